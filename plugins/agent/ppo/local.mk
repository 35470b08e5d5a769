# PPO agent (PrefPPO, docs/agents.md): prefrl-agent-ppo.so and its tests.
plugin_LTLIBRARIES += plugins/agent/ppo/prefrl-agent-ppo.la
plugins_agent_ppo_prefrl_agent_ppo_la_SOURCES = plugins/agent/ppo/ppo.c plugins/agent/ppo/ppo.h
plugins_agent_ppo_prefrl_agent_ppo_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_agent_ppo_prefrl_agent_ppo_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_agent_ppo_prefrl_agent_ppo_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

# tests (tests/plugins/agent/ppo/): agents come from the built plugin; the
# program compiles ppo.c in to call the internal steps ppo.h declares
if HAVE_CHECK
check_PROGRAMS += tests/plugins/agent/ppo/check_agent_ppo
TESTS += tests/plugins/agent/ppo/check_agent_ppo
tests_plugins_agent_ppo_check_agent_ppo_SOURCES = tests/plugins/agent/ppo/check_agent_ppo.c \
	plugins/agent/ppo/ppo.c plugins/agent/ppo/ppo.h \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_plugins_agent_ppo_check_agent_ppo_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/agent/ppo
tests_plugins_agent_ppo_check_agent_ppo_LDADD = $(TEST_LIBS)
endif
