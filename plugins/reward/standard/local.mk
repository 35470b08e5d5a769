# Reward learners (issues 5-6): prefrl-reward-standard.so with pebble, true
# (and the paper's surf and mrn), sharing the ensemble reward model.
plugin_LTLIBRARIES += plugins/reward/standard/prefrl-reward-standard.la
plugins_reward_standard_prefrl_reward_standard_la_SOURCES = \
	plugins/reward/standard/standard.c plugins/reward/standard/standard.h \
	plugins/reward/standard/reward_model.c plugins/reward/standard/reward_model.h \
	plugins/reward/standard/pebble.c plugins/reward/standard/true_reward.c
plugins_reward_standard_prefrl_reward_standard_la_CFLAGS = $(PLUGIN_CFLAGS) -include config.h
plugins_reward_standard_prefrl_reward_standard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_standard_prefrl_reward_standard_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm
