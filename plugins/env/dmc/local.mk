# DeepMind Control Suite tasks: prefrl-env-dmc.so and its MJCF models.

# the plugin: one component per task
plugin_LTLIBRARIES += plugins/env/dmc/prefrl-env-dmc.la
plugins_env_dmc_prefrl_env_dmc_la_SOURCES = plugins/env/dmc/dmc.c plugins/env/dmc/dmc.h
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

# tests (tests/plugins/env/dmc/, with its data/): tasks through the
# registry, rewards at constructed states (the program compiles dmc.c in for
# the state layout and observation functions dmc.h declares), errors
EXTRA_DIST += tests/plugins/env/dmc/data
if HAVE_CHECK
check_PROGRAMS += tests/plugins/env/dmc/check_env_dmc
TESTS += tests/plugins/env/dmc/check_env_dmc
tests_plugins_env_dmc_check_env_dmc_SOURCES = tests/plugins/env/dmc/check_env_dmc.c \
	tests/plugins/env/render_checks.h plugins/env/dmc/dmc.c plugins/env/dmc/dmc.h
tests_plugins_env_dmc_check_env_dmc_CFLAGS = $(TEST_CFLAGS) $(MUJOCO_CFLAGS) \
	-I$(top_srcdir)/plugins/env/dmc
tests_plugins_env_dmc_check_env_dmc_LDADD = libprefrl-mujoco.la $(TEST_LIBS) $(MUJOCO_LIBS)
EXTRA_tests_plugins_env_dmc_check_env_dmc_DEPENDENCIES = plugins/env/dmc/prefrl-env-dmc.la
endif
