# Core tests: RNG, recipes (with the bad-recipe fixtures), plugin loader
# (with fixture plugins), ABI layout.
EXTRA_DIST += tests/recipes
# checkpoint-stream helpers of the component tests (header-only)
EXTRA_DIST += tests/ckpt_test.h

# fixture plugins for the loader tests (built, never installed): a good one,
# one of another ABI version, a shared object without the entry symbol, one
# built with older (shorter) tables, one built with a newer (longer) table
check_LTLIBRARIES += tests/fixtures/prefrl-fixture-good.la \
	tests/fixtures/prefrl-fixture-abi.la \
	tests/fixtures/prefrl-fixture-nosym.la \
	tests/fixtures/prefrl-fixture-old.la \
	tests/fixtures/prefrl-fixture-newer.la
FIXTURE_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
tests_fixtures_prefrl_fixture_good_la_SOURCES = tests/fixtures/good.c
tests_fixtures_prefrl_fixture_good_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_good_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_good_la_LIBADD = libprefrl.la $(GLIB_LIBS)
tests_fixtures_prefrl_fixture_abi_la_SOURCES = tests/fixtures/abi.c
tests_fixtures_prefrl_fixture_abi_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_abi_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_nosym_la_SOURCES = tests/fixtures/nosym.c
tests_fixtures_prefrl_fixture_nosym_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_nosym_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_old_la_SOURCES = tests/fixtures/old.c
tests_fixtures_prefrl_fixture_old_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_old_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_old_la_LIBADD = libprefrl.la $(GLIB_LIBS)
tests_fixtures_prefrl_fixture_newer_la_SOURCES = tests/fixtures/newer.c
tests_fixtures_prefrl_fixture_newer_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_newer_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_newer_la_LIBADD = libprefrl.la $(GLIB_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/check_core
TESTS += tests/check_core
tests_check_core_SOURCES = tests/check_core.c tests/check_rng.c tests/check_recipe.c \
	tests/check_registry.c tests/check_component.c tests/check_cli.c tests/check_suites.h
tests_check_core_CFLAGS = $(TEST_CFLAGS)
tests_check_core_LDADD = $(TEST_LIBS)
endif

# the trainer end to end, with fixture env and probe agent
check_LTLIBRARIES += tests/fixtures/prefrl-fixture-pbrl.la
tests_fixtures_prefrl_fixture_pbrl_la_SOURCES = tests/fixtures/pbrl.c
tests_fixtures_prefrl_fixture_pbrl_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_fixtures_prefrl_fixture_pbrl_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_fixtures_prefrl_fixture_pbrl_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm
if HAVE_CHECK
check_PROGRAMS += tests/check_trainer
TESTS += tests/check_trainer
tests_check_trainer_SOURCES = tests/check_trainer.c tests/pbrl_test.c tests/pbrl_test.h
tests_check_trainer_CFLAGS = $(TEST_CFLAGS)
tests_check_trainer_LDADD = $(TEST_LIBS)
endif

# run directories the trainer tests write
clean-local:
	rm -rf tests/trainer-runs

# the docs' relative links resolve, and no file names a note outside the
# repository (scripts/check-doc-links.sh; docs/testing.md)
TESTS += scripts/check-doc-links.sh
EXTRA_DIST += scripts/check-doc-links.sh
# the dependency picture of docs/architecture.md: no upward arrow, no circle
TESTS += scripts/check-layers.sh
EXTRA_DIST += scripts/check-layers.sh

# the NN library
if HAVE_CHECK
check_PROGRAMS += tests/check_nn
TESTS += tests/check_nn
tests_check_nn_SOURCES = tests/check_nn.c
tests_check_nn_CFLAGS = $(TEST_CFLAGS)
tests_check_nn_LDADD = $(TEST_LIBS)
endif

# sweeps and reports (the lab layer)
EXTRA_DIST += tests/sweeps
if HAVE_CHECK
check_PROGRAMS += tests/check_sweep
TESTS += tests/check_sweep
tests_check_sweep_SOURCES = tests/check_sweep.c
tests_check_sweep_CFLAGS = $(TEST_CFLAGS) $(CAIRO_CFLAGS)
tests_check_sweep_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) $(CAIRO_LIBS)
endif

# a reward learner built out of tree (docs/examples/my_reward.c) against an
# installed prefix through pkg-config, trained with the installed prefrl
TESTS += tests/plugins/reward/outoftree.sh
EXTRA_DIST += tests/plugins/reward/outoftree.sh
