# Reward learners (issues 5-6): prefrl-reward-standard.so with pebble, true,
# and the paper's mrn and surf, sharing the ensemble reward model.
plugin_LTLIBRARIES += plugins/reward/standard/prefrl-reward-standard.la
plugins_reward_standard_prefrl_reward_standard_la_SOURCES = \
	plugins/reward/standard/standard.c plugins/reward/standard/standard.h \
	plugins/reward/standard/reward_model.c plugins/reward/standard/reward_model.h \
	plugins/reward/standard/pebble.c plugins/reward/standard/true_reward.c \
	plugins/reward/standard/mrn.c plugins/reward/standard/mrn.h \
	plugins/reward/standard/surf.c plugins/reward/standard/surf.h
plugins_reward_standard_prefrl_reward_standard_la_CFLAGS = $(PLUGIN_CFLAGS) -include config.h
plugins_reward_standard_prefrl_reward_standard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_standard_prefrl_reward_standard_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

# MRN and SURF tests compile the learners' sources to reach their internals
if HAVE_CHECK
check_PROGRAMS += tests/check_reward_mrn tests/check_reward_surf
TESTS += tests/check_reward_mrn tests/check_reward_surf
tests_check_reward_mrn_SOURCES = tests/check_reward_mrn.c tests/pbrl_test.c tests/pbrl_test.h \
	plugins/reward/standard/reward_model.c plugins/reward/standard/mrn.c
tests_check_reward_mrn_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/reward/standard
tests_check_reward_mrn_LDADD = $(TEST_LIBS)
tests_check_reward_surf_SOURCES = tests/check_reward_surf.c tests/pbrl_test.c tests/pbrl_test.h \
	plugins/reward/standard/reward_model.c plugins/reward/standard/surf.c
tests_check_reward_surf_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/reward/standard
tests_check_reward_surf_LDADD = $(TEST_LIBS)
endif
