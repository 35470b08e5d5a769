# The core's tests, laid out as core/ is (tests/core/<layer>/), and what
# several test programs share (tests/common/).  A plugin's tests live under
# tests/plugins/<kind>/<name>/ and are built by the plugin's own local.mk.
#
#   tests/common/    C helpers (pbrl_test.c/h: the small trainer problem;
#                    cli_test.c/h: running the prefrl program; files_test.h:
#                    file text, fresh work directories;
#                    ckpt_test.h: checkpoint-stream helpers), the fixture
#                    plugins (fixtures/) and the recipe fixtures (recipes/)
#   tests/core/      check_core (its main and check_suites.h; the suites sit
#                    in host/ and cli/), check_exports.sh, check_install.sh
#   tests/core/<layer>/  host: rng, recipe, registry, component; nn; pbrl:
#                    trainer; lab: sweep (with its sweeps/), report, video; cli: cli
#
# Every test program finds the shared helpers' headers on this path.
TEST_CFLAGS += -I$(top_srcdir)/tests/common
EXTRA_DIST += tests/common/recipes
# checkpoint-stream helpers of the component tests (header-only)
EXTRA_DIST += tests/common/ckpt_test.h
# how every test program runs its Check suite (header-only)
EXTRA_DIST += tests/common/check_run.h
# reading prefrl report's results back (header-only)
EXTRA_DIST += tests/common/report_test.h
# physics fingerprints of MuJoCo models for the env tests (header-only)
EXTRA_DIST += tests/common/mj_fingerprint.h
# a file's text, a file written, a fresh work directory (header-only)
EXTRA_DIST += tests/common/files_test.h
# the small env/dmc problem of the media tests (header-only)
EXTRA_DIST += tests/common/dmc_test.h
# the FFmpeg writer as the trainer's video sink (header-only)
EXTRA_DIST += tests/common/video_test.h
# an env plugin created, reset and stepped as a run does (header-only)
EXTRA_DIST += tests/common/env_test.h
# running the prefrl program (or one on PATH) and keeping its status, stdout
# and stderr: the sources the program and lab tests add to their own
CLI_TEST_SOURCES = tests/common/cli_test.c tests/common/cli_test.h

# fixture plugins for the loader tests (built, never installed): a good one,
# one of another ABI version, a shared object without the entry symbol, one
# built with older (shorter) tables, one built with a newer (longer) table
check_LTLIBRARIES += tests/common/fixtures/prefrl-fixture-good.la \
	tests/common/fixtures/prefrl-fixture-abi.la \
	tests/common/fixtures/prefrl-fixture-nosym.la \
	tests/common/fixtures/prefrl-fixture-old.la \
	tests/common/fixtures/prefrl-fixture-newer.la
FIXTURE_LDFLAGS = $(PLUGIN_LDFLAGS) -rpath /nowhere
tests_common_fixtures_prefrl_fixture_good_la_SOURCES = tests/common/fixtures/good.c
tests_common_fixtures_prefrl_fixture_good_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_good_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_good_la_LIBADD = libprefrl.la $(GLIB_LIBS)
tests_common_fixtures_prefrl_fixture_abi_la_SOURCES = tests/common/fixtures/abi.c
tests_common_fixtures_prefrl_fixture_abi_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_abi_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_nosym_la_SOURCES = tests/common/fixtures/nosym.c
tests_common_fixtures_prefrl_fixture_nosym_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_nosym_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_old_la_SOURCES = tests/common/fixtures/old.c
tests_common_fixtures_prefrl_fixture_old_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_old_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_old_la_LIBADD = libprefrl.la $(GLIB_LIBS)
tests_common_fixtures_prefrl_fixture_newer_la_SOURCES = tests/common/fixtures/newer.c
tests_common_fixtures_prefrl_fixture_newer_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_newer_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_newer_la_LIBADD = libprefrl.la $(GLIB_LIBS)

# the fixture env and probe agent of the trainer, sweep and learning tests
check_LTLIBRARIES += tests/common/fixtures/prefrl-fixture-pbrl.la
tests_common_fixtures_prefrl_fixture_pbrl_la_SOURCES = tests/common/fixtures/pbrl.c
tests_common_fixtures_prefrl_fixture_pbrl_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_common_fixtures_prefrl_fixture_pbrl_la_LDFLAGS = $(FIXTURE_LDFLAGS)
tests_common_fixtures_prefrl_fixture_pbrl_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

# check_core: the host layer's suites (RNG, recipes with the bad-recipe
# fixtures, plugin loader with the fixture plugins, components, ABI layout)
# and the CLI's, in one program
if HAVE_CHECK
check_PROGRAMS += tests/core/check_core
TESTS += tests/core/check_core
tests_core_check_core_SOURCES = tests/core/check_core.c tests/core/check_suites.h \
	tests/core/host/check_rng.c tests/core/host/check_recipe.c \
	tests/core/host/check_registry.c tests/core/host/check_component.c \
	tests/core/host/check_sizes.c \
	tests/core/cli/check_cli.c $(CLI_TEST_SOURCES)
tests_core_check_core_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests/core
tests_core_check_core_LDADD = $(TEST_LIBS)
endif

# the recipe mutation test: damaged copies of the shipped and test recipes
# through the parser and the validator, each ending in a valid recipe or a
# one-line error (fixed seed)
if HAVE_CHECK
check_PROGRAMS += tests/core/host/check_mutate
TESTS += tests/core/host/check_mutate
tests_core_host_check_mutate_SOURCES = tests/core/host/check_mutate.c
tests_core_host_check_mutate_CFLAGS = $(TEST_CFLAGS)
tests_core_host_check_mutate_LDADD = $(TEST_LIBS)
endif

# the NN library
if HAVE_CHECK
check_PROGRAMS += tests/core/nn/check_nn
TESTS += tests/core/nn/check_nn
tests_core_nn_check_nn_SOURCES = tests/core/nn/check_nn.c
tests_core_nn_check_nn_CFLAGS = $(TEST_CFLAGS)
tests_core_nn_check_nn_LDADD = $(TEST_LIBS)
# the same tests on the oneDNN float32 backend (SKIP without oneDNN), and
# bf16 against fp32 (tests/core/nn/check_nn_bf16.c)
check_PROGRAMS += tests/core/nn/check_nn_onednn tests/core/nn/check_nn_bf16
TESTS += tests/core/nn/check_nn_onednn tests/core/nn/check_nn_bf16
tests_core_nn_check_nn_onednn_SOURCES = tests/core/nn/check_nn.c
tests_core_nn_check_nn_onednn_CFLAGS = $(TEST_CFLAGS) -DCHECK_NN_NUMERICS=PREFRL_NUMERICS_ONEDNN_FP32
tests_core_nn_check_nn_onednn_LDADD = $(TEST_LIBS)
tests_core_nn_check_nn_bf16_SOURCES = tests/core/nn/check_nn_bf16.c
tests_core_nn_check_nn_bf16_CFLAGS = $(TEST_CFLAGS)
tests_core_nn_check_nn_bf16_LDADD = $(TEST_LIBS)
endif

# the trainer end to end, with the fixture env and probe agent
if HAVE_CHECK
check_PROGRAMS += tests/core/pbrl/check_trainer
TESTS += tests/core/pbrl/check_trainer
tests_core_pbrl_check_trainer_SOURCES = tests/core/pbrl/check_trainer.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_trainer_CFLAGS = $(TEST_CFLAGS)
tests_core_pbrl_check_trainer_LDADD = $(TEST_LIBS)
# checked writes (a file-size limit in a forked child) and the divergence guard
check_PROGRAMS += tests/core/pbrl/check_writes
TESTS += tests/core/pbrl/check_writes
tests_core_pbrl_check_writes_SOURCES = tests/core/pbrl/check_writes.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_writes_CFLAGS = $(TEST_CFLAGS)
tests_core_pbrl_check_writes_LDADD = $(TEST_LIBS)
# the progress display of both loops (terminal and periodic lines)
check_PROGRAMS += tests/core/pbrl/check_progress
TESTS += tests/core/pbrl/check_progress
tests_core_pbrl_check_progress_SOURCES = tests/core/pbrl/check_progress.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_progress_CFLAGS = $(TEST_CFLAGS)
tests_core_pbrl_check_progress_LDADD = $(TEST_LIBS)
# query round sizes by trainer.reward_schedule (labels.csv)
check_PROGRAMS += tests/core/pbrl/check_schedule
TESTS += tests/core/pbrl/check_schedule
tests_core_pbrl_check_schedule_SOURCES = tests/core/pbrl/check_schedule.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_schedule_CFLAGS = $(TEST_CFLAGS)
tests_core_pbrl_check_schedule_LDADD = $(TEST_LIBS)
# the Q diagnostic against the true value (episodes followed past the limit)
check_PROGRAMS += tests/core/pbrl/check_qtrue
TESTS += tests/core/pbrl/check_qtrue
tests_core_pbrl_check_qtrue_SOURCES = tests/core/pbrl/check_qtrue.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_qtrue_CFLAGS = $(TEST_CFLAGS)
tests_core_pbrl_check_qtrue_LDADD = $(TEST_LIBS)
endif

if HAVE_CHECK
# clips and interactive rounds on env/dmc with teacher/file, evaluation
# videos and preference datasets (decoded through FFmpeg)
check_PROGRAMS += tests/core/pbrl/check_clips
TESTS += tests/core/pbrl/check_clips
tests_core_pbrl_check_clips_SOURCES = tests/core/pbrl/check_clips.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_core_pbrl_check_clips_CFLAGS = $(TEST_CFLAGS) $(FFMPEG_CFLAGS)
tests_core_pbrl_check_clips_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) $(FFMPEG_LIBS)
endif

# the prefrl program with evaluation videos and a seeded run (env/dmc)
if HAVE_CHECK
check_PROGRAMS += tests/core/cli/check_cli_media
TESTS += tests/core/cli/check_cli_media
tests_core_cli_check_cli_media_SOURCES = tests/core/cli/check_cli_media.c $(CLI_TEST_SOURCES)
tests_core_cli_check_cli_media_CFLAGS = $(TEST_CFLAGS)
tests_core_cli_check_cli_media_LDADD = $(TEST_LIBS)
endif

# sweeps and reports (the lab layer)
EXTRA_DIST += tests/core/lab/sweeps
if HAVE_CHECK
check_PROGRAMS += tests/core/lab/check_sweep
TESTS += tests/core/lab/check_sweep
tests_core_lab_check_sweep_SOURCES = tests/core/lab/check_sweep.c $(CLI_TEST_SOURCES)
tests_core_lab_check_sweep_CFLAGS = $(TEST_CFLAGS) $(CAIRO_CFLAGS)
tests_core_lab_check_sweep_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) $(CAIRO_LIBS)
# reports of ablations (groups, notes), the plot's y range, frame strips
check_PROGRAMS += tests/core/lab/check_report
TESTS += tests/core/lab/check_report
tests_core_lab_check_report_SOURCES = tests/core/lab/check_report.c $(CLI_TEST_SOURCES)
tests_core_lab_check_report_CFLAGS = $(TEST_CFLAGS) $(CAIRO_CFLAGS)
tests_core_lab_check_report_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) $(CAIRO_LIBS)
# sweeps as Slurm job arrays, on a one-node cluster started by scripts/slurm-cluster.sh
EXTRA_DIST += tests/core/lab/slurm-grids scripts/slurm-cluster.sh
check_PROGRAMS += tests/core/lab/check_slurm
TESTS += tests/core/lab/check_slurm
tests_core_lab_check_slurm_SOURCES = tests/core/lab/check_slurm.c $(CLI_TEST_SOURCES)
tests_core_lab_check_slurm_CFLAGS = $(TEST_CFLAGS)
tests_core_lab_check_slurm_LDADD = $(TEST_LIBS)
# the video writer: encode, decode back, compare (FFmpeg)
check_PROGRAMS += tests/core/lab/check_video
TESTS += tests/core/lab/check_video
tests_core_lab_check_video_SOURCES = tests/core/lab/check_video.c $(CLI_TEST_SOURCES)
tests_core_lab_check_video_CFLAGS = $(TEST_CFLAGS) $(FFMPEG_CFLAGS)
tests_core_lab_check_video_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) $(FFMPEG_LIBS)
endif

# what the tests leave in the build tree: the trainer tests' run directories
# (pbrl_test.c), the media and teacher tests' work directories and the
# browser test's screenshot
clean-local:
	rm -rf tests/trainer-runs tests/cli-media tests/teacher-human-work tests/video-work \
	    tests/plugins/teacher/human/labelling-page.png

# the docs' relative links resolve, and no file names a note outside the
# repository (scripts/check-doc-links.sh; docs/testing.md)
TESTS += scripts/check-doc-links.sh
EXTRA_DIST += scripts/check-doc-links.sh
# the dependency picture of docs/layers.md: no upward arrow, no circle
TESTS += scripts/check-layers.sh
EXTRA_DIST += scripts/check-layers.sh

# a reward learner built out of tree (docs/examples/my_reward.c) against an
# installed prefix through pkg-config, trained with the installed prefrl
TESTS += tests/plugins/reward/outoftree.sh
EXTRA_DIST += tests/plugins/reward/outoftree.sh

# the labelling page of teacher/human in headless Chromium (Selenium), with
# two short `prefrl run`s; it needs the whole build like outoftree.sh, and
# skips when scripts/test.sh could not install the browser packages
TESTS += tests/plugins/teacher/human/browser.sh
EXTRA_DIST += tests/plugins/teacher/human/browser.sh tests/plugins/teacher/human/browser.py
