# Query samplers: prefrl-sampler-standard.so with uniform, disagreement, entropy, kcenter, kcenter_disagreement, kcenter_entropy
plugin_LTLIBRARIES += plugins/sampler/standard/prefrl-sampler-standard.la
plugins_sampler_standard_prefrl_sampler_standard_la_SOURCES = plugins/sampler/standard/sampler.c
plugins_sampler_standard_prefrl_sampler_standard_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_sampler_standard_prefrl_sampler_standard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sampler_standard_prefrl_sampler_standard_la_LIBADD = libprefrl.la $(GLIB_LIBS) $(OPENBLAS_LIBS) -lm

# tests (tests/plugins/sampler/standard/): each sampler on constructed cases
if HAVE_CHECK
check_PROGRAMS += tests/plugins/sampler/standard/check_sampler_standard
TESTS += tests/plugins/sampler/standard/check_sampler_standard
tests_plugins_sampler_standard_check_sampler_standard_SOURCES = \
	tests/plugins/sampler/standard/check_sampler_standard.c
tests_plugins_sampler_standard_check_sampler_standard_CFLAGS = $(TEST_CFLAGS)
tests_plugins_sampler_standard_check_sampler_standard_LDADD = $(TEST_LIBS)
endif
