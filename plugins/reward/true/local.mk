# reward/true: prefrl-reward-true.so, the task's own reward (no queries).
plugin_LTLIBRARIES += plugins/reward/true/prefrl-reward-true.la
plugins_reward_true_prefrl_reward_true_la_SOURCES = plugins/reward/true/true.c
plugins_reward_true_prefrl_reward_true_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_reward_true_prefrl_reward_true_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_true_prefrl_reward_true_la_LIBADD = libprefrl.la $(GLIB_LIBS)
