# SAC agent (docs/agents.md): prefrl-agent-sac.so and its tests (`prefrl bench agent` times it).
plugin_LTLIBRARIES += plugins/agent/sac/prefrl-agent-sac.la
plugins_agent_sac_prefrl_agent_sac_la_SOURCES = plugins/agent/sac/sac.c plugins/agent/sac/sac.h
plugins_agent_sac_prefrl_agent_sac_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_agent_sac_prefrl_agent_sac_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_agent_sac_prefrl_agent_sac_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

# tests (tests/plugins/agent/sac/): the agent comes from the built plugin;
# sac.h, the plugin's private header, gives the layout of its state
if HAVE_CHECK
check_PROGRAMS += tests/plugins/agent/sac/check_agent_sac
TESTS += tests/plugins/agent/sac/check_agent_sac
tests_plugins_agent_sac_check_agent_sac_SOURCES = tests/plugins/agent/sac/check_agent_sac.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_plugins_agent_sac_check_agent_sac_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugins/agent/sac
tests_plugins_agent_sac_check_agent_sac_LDADD = $(TEST_LIBS)
endif
