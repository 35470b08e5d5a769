# Query samplers: prefrl-sampler-standard.so with uniform, disagreement, entropy, kcenter, kcenter_disagreement, kcenter_entropy
plugin_LTLIBRARIES += plugins/sampler/standard/prefrl-sampler-standard.la
plugins_sampler_standard_prefrl_sampler_standard_la_SOURCES = plugins/sampler/standard/sampler.c
plugins_sampler_standard_prefrl_sampler_standard_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_sampler_standard_prefrl_sampler_standard_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sampler_standard_prefrl_sampler_standard_la_LIBADD = libprefrl.la $(GLIB_LIBS) $(OPENBLAS_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/check_samplers
TESTS += tests/check_samplers
tests_check_samplers_SOURCES = tests/check_samplers.c
tests_check_samplers_CFLAGS = $(TEST_CFLAGS)
tests_check_samplers_LDADD = $(TEST_LIBS)
endif
