# The neural-network library behind include/prefrl/nn.h: MLPs with
# forward/backward/JVP, ensembles in one slab, Adam, the squashed Gaussian
# policy head, losses, checksummed parameter records, the optional oneDNN
# numerics backend (ONEDNN_LIBS is empty without it).  Uses the host layer.
pkginclude_HEADERS += include/prefrl/nn.h
libprefrl_la_SOURCES += \
	core/nn/nn_internal.h \
	core/nn/nn_backend.h \
	core/nn/activation.c \
	core/nn/nn_mlp.c \
	core/nn/backend_onednn.c \
	core/nn/bf16.h \
	core/nn/bf16.c \
	core/nn/nn_init.c \
	core/nn/nn_ensemble.c \
	core/nn/nn_io.c \
	core/nn/adam.c \
	core/nn/policy.c \
	core/nn/loss.c
libprefrl_la_LIBADD += $(ONEDNN_LIBS)
