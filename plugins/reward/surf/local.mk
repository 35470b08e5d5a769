# reward/surf: prefrl-reward-surf.so, SURF on the SDK, and its tests.
plugin_LTLIBRARIES += plugins/reward/surf/prefrl-reward-surf.la
plugins_reward_surf_prefrl_reward_surf_la_SOURCES = plugins/reward/surf/surf.c
plugins_reward_surf_prefrl_reward_surf_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_reward_surf_prefrl_reward_surf_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_surf_prefrl_reward_surf_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/plugins/reward/surf/check_reward_surf
TESTS += tests/plugins/reward/surf/check_reward_surf
tests_plugins_reward_surf_check_reward_surf_SOURCES = \
	tests/plugins/reward/surf/check_reward_surf.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h \
	tests/plugins/reward/reward_test.c tests/plugins/reward/reward_test.h
tests_plugins_reward_surf_check_reward_surf_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests
tests_plugins_reward_surf_check_reward_surf_LDADD = $(TEST_LIBS)
endif
