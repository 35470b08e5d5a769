# reward/pebble: prefrl-reward-pebble.so, PEBBLE's learner on the SDK.
plugin_LTLIBRARIES += plugins/reward/pebble/prefrl-reward-pebble.la
plugins_reward_pebble_prefrl_reward_pebble_la_SOURCES = plugins/reward/pebble/pebble.c
plugins_reward_pebble_prefrl_reward_pebble_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_reward_pebble_prefrl_reward_pebble_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_reward_pebble_prefrl_reward_pebble_la_LIBADD = libprefrl.la $(GLIB_LIBS)
