# reward/rune: prefrl-reward-rune.so, RUNE (PEBBLE + reward-uncertainty
# exploration bonus) on the SDK, and its tests.
plugin_LTLIBRARIES += plugins/reward/rune/prefrl-reward-rune.la
plugins_reward_rune_prefrl_reward_rune_la_SOURCES = plugins/reward/rune/rune.c
plugins_reward_rune_prefrl_reward_rune_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_reward_rune_prefrl_reward_rune_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_rune_prefrl_reward_rune_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/plugins/reward/rune/check_reward_rune
TESTS += tests/plugins/reward/rune/check_reward_rune
tests_plugins_reward_rune_check_reward_rune_SOURCES = \
	tests/plugins/reward/rune/check_reward_rune.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h \
	tests/plugins/reward/reward_test.c tests/plugins/reward/reward_test.h
tests_plugins_reward_rune_check_reward_rune_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests
tests_plugins_reward_rune_check_reward_rune_LDADD = $(TEST_LIBS)
endif
