# Neural-network core (issue 3): sources, tests and benchmark of include/prefrl/nn.h.
pkginclude_HEADERS += include/prefrl/nn.h
libprefrl_la_SOURCES += \
	core/nn_internal.h \
	core/nn_mlp.c \
	core/nn_init.c \
	core/nn_ensemble.c \
	core/nn_io.c \
	core/adam.c \
	core/policy.c \
	core/loss.c
