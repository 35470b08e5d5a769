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

if HAVE_CHECK
check_PROGRAMS += tests/check_nn
TESTS += tests/check_nn
tests_check_nn_SOURCES = tests/check_nn.c
tests_check_nn_CFLAGS = $(TEST_CFLAGS)
tests_check_nn_LDADD = $(TEST_LIBS)
endif

# `prefrl bench nn`
prefrl_SOURCES += core/cli/bench_nn.c
