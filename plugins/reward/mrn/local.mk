# reward/mrn: prefrl-reward-mrn.so, Meta-Reward-Net on the SDK (its
# meta-gradient is the SDK's prefrl/reward_meta.h), and its tests.
plugin_LTLIBRARIES += plugins/reward/mrn/prefrl-reward-mrn.la
plugins_reward_mrn_prefrl_reward_mrn_la_SOURCES = plugins/reward/mrn/mrn.c
plugins_reward_mrn_prefrl_reward_mrn_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_reward_mrn_prefrl_reward_mrn_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_mrn_prefrl_reward_mrn_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/plugins/reward/mrn/check_reward_mrn
TESTS += tests/plugins/reward/mrn/check_reward_mrn
tests_plugins_reward_mrn_check_reward_mrn_SOURCES = \
	tests/plugins/reward/mrn/check_reward_mrn.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h \
	tests/plugins/reward/reward_test.c tests/plugins/reward/reward_test.h
tests_plugins_reward_mrn_check_reward_mrn_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests
tests_plugins_reward_mrn_check_reward_mrn_LDADD = $(TEST_LIBS)
endif
