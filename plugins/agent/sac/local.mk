# SAC agent (docs/agents.md): prefrl-agent-sac.so and its tests (`prefrl bench agent` times it).
plugin_LTLIBRARIES += plugins/agent/sac/prefrl-agent-sac.la
plugins_agent_sac_prefrl_agent_sac_la_SOURCES = plugins/agent/sac/sac.c
plugins_agent_sac_prefrl_agent_sac_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_agent_sac_prefrl_agent_sac_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_agent_sac_prefrl_agent_sac_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/check_agent_sac
TESTS += tests/check_agent_sac
tests_check_agent_sac_SOURCES = tests/check_agent_sac.c tests/pbrl_test.c tests/pbrl_test.h
tests_check_agent_sac_CFLAGS = $(TEST_CFLAGS)
tests_check_agent_sac_LDADD = $(TEST_LIBS)
endif
