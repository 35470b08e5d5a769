# PPO agent (PrefPPO, docs/agents.md): prefrl-agent-ppo.so and its tests.
plugin_LTLIBRARIES += plugins/agent/ppo/prefrl-agent-ppo.la
plugins_agent_ppo_prefrl_agent_ppo_la_SOURCES = plugins/agent/ppo/ppo.c
plugins_agent_ppo_prefrl_agent_ppo_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_agent_ppo_prefrl_agent_ppo_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_agent_ppo_prefrl_agent_ppo_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/check_agent_ppo
TESTS += tests/check_agent_ppo
tests_check_agent_ppo_SOURCES = tests/check_agent_ppo.c tests/pbrl_test.c tests/pbrl_test.h
tests_check_agent_ppo_CFLAGS = $(TEST_CFLAGS)
tests_check_agent_ppo_LDADD = $(TEST_LIBS)
endif
