# Meta-world v2 manipulation tasks: prefrl-env-metaworld.so and its MJCF models.

MW_SOURCES = plugins/env/metaworld/mw_env.c plugins/env/metaworld/mw_env.h \
	plugins/env/metaworld/mw_tasks.c

plugin_LTLIBRARIES += plugins/env/metaworld/prefrl-env-metaworld.la
plugins_env_metaworld_prefrl_env_metaworld_la_SOURCES = plugins/env/metaworld/metaworld.c \
	$(MW_SOURCES)
plugins_env_metaworld_prefrl_env_metaworld_la_CFLAGS = $(PLUGIN_CFLAGS) $(MUJOCO_CFLAGS)
plugins_env_metaworld_prefrl_env_metaworld_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_env_metaworld_prefrl_env_metaworld_la_LIBADD = libprefrl-mujoco.la libprefrl.la $(GLIB_LIBS) $(MUJOCO_LIBS) -lm

# bundled models (installed flat into $(modeldir), where the includes resolve)
dist_model_DATA += \
	plugins/env/metaworld/models/metaworld_common.xml \
	plugins/env/metaworld/models/metaworld_walls.xml \
	plugins/env/metaworld/models/metaworld_door_open.xml \
	plugins/env/metaworld/models/metaworld_button_press.xml \
	plugins/env/metaworld/models/metaworld_drawer_open.xml \
	plugins/env/metaworld/models/metaworld_window_open.xml \
	plugins/env/metaworld/models/metaworld_sweep_into.xml \
	plugins/env/metaworld/models/metaworld_hammer.xml

# tests (tests/plugins/env/metaworld/): envs under test come from the built
# plugin through the registry; the program compiles the env sources in
# (mw_env.h, the plugin's private interface) to set states by hand
if HAVE_CHECK
check_PROGRAMS += tests/plugins/env/metaworld/check_env_metaworld
TESTS += tests/plugins/env/metaworld/check_env_metaworld
tests_plugins_env_metaworld_check_env_metaworld_SOURCES = \
	tests/plugins/env/metaworld/check_env_metaworld.c tests/plugins/env/render_checks.h \
	$(MW_SOURCES)
tests_plugins_env_metaworld_check_env_metaworld_CFLAGS = $(TEST_CFLAGS) $(MUJOCO_CFLAGS) \
	-I$(top_srcdir)/plugins/env/metaworld
tests_plugins_env_metaworld_check_env_metaworld_LDADD = libprefrl-mujoco.la $(TEST_LIBS) \
	$(MUJOCO_LIBS)
# the original v2 scenes, from $$PREFRL_METAWORLD_ASSETS (SKIP without it)
check_PROGRAMS += tests/plugins/env/metaworld/check_env_metaworld_original
TESTS += tests/plugins/env/metaworld/check_env_metaworld_original
tests_plugins_env_metaworld_check_env_metaworld_original_SOURCES = \
	tests/plugins/env/metaworld/check_env_metaworld_original.c \
	tests/plugins/env/render_checks.h $(MW_SOURCES)
tests_plugins_env_metaworld_check_env_metaworld_original_CFLAGS = $(TEST_CFLAGS) \
	$(MUJOCO_CFLAGS) -I$(top_srcdir)/plugins/env/metaworld
tests_plugins_env_metaworld_check_env_metaworld_original_LDADD = libprefrl-mujoco.la \
	$(TEST_LIBS) $(MUJOCO_LIBS)
endif
