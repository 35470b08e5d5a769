# DeepMind Control Suite tasks: prefrl-env-dmc.so and its MJCF models.

# the plugin: one component per task
plugin_LTLIBRARIES += plugins/env/dmc/prefrl-env-dmc.la
plugins_env_dmc_prefrl_env_dmc_la_SOURCES = plugins/env/dmc/dmc.c
plugins_env_dmc_prefrl_env_dmc_la_CFLAGS = $(PLUGIN_CFLAGS) $(MUJOCO_CFLAGS)
plugins_env_dmc_prefrl_env_dmc_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_env_dmc_prefrl_env_dmc_la_LIBADD = libprefrl-mujoco.la libprefrl.la $(GLIB_LIBS) $(MUJOCO_LIBS) -lm

# bundled models (installed flat into $(modeldir); found in the source tree first)
dist_model_DATA += \
	plugins/env/dmc/models/walker.xml \
	plugins/env/dmc/models/cheetah.xml \
	plugins/env/dmc/models/quadruped.xml \
	plugins/env/dmc/models/cartpole.xml \
	plugins/env/dmc/models/reacher.xml

# tests: tasks through the registry, rewards at constructed states, errors
EXTRA_DIST += tests/data/dmc_missing_names.xml tests/data/dmc_unstable_cartpole.xml \
	tests/data/dmc_malformed.xml
if HAVE_CHECK
check_PROGRAMS += tests/check_env_dmc
TESTS += tests/check_env_dmc
tests_check_env_dmc_SOURCES = tests/check_env_dmc.c
tests_check_env_dmc_CFLAGS = $(TEST_CFLAGS) $(MUJOCO_CFLAGS)
tests_check_env_dmc_LDADD = libprefrl-mujoco.la $(TEST_LIBS) $(MUJOCO_LIBS)
EXTRA_tests_check_env_dmc_DEPENDENCIES = plugins/env/dmc/prefrl-env-dmc.la
endif
