# Sweeps and reports (issue 8): `prefrl sweep`, `prefrl report`, grids in
# configs/sweeps/.  The report draws with cairo, so these sources live in a
# convenience library with cairo's flags instead of in libprefrl.
noinst_LTLIBRARIES = core/libprefrl-sweep.la
core_libprefrl_sweep_la_SOURCES = core/sweep.c core/sweep.h core/report.c core/report.h \
	core/plot.c core/plot.h
core_libprefrl_sweep_la_CFLAGS = $(AM_CFLAGS) $(CAIRO_CFLAGS)
core_libprefrl_sweep_la_LIBADD = $(CAIRO_LIBS)

prefrl_SOURCES += core/cli/cmd_sweep.c core/cli/cmd_report.c
prefrl_LDADD += core/libprefrl-sweep.la $(CAIRO_LIBS)

EXTRA_DIST += tests/sweeps docs

if HAVE_CHECK
check_PROGRAMS += tests/check_sweep
TESTS += tests/check_sweep
tests_check_sweep_SOURCES = tests/check_sweep.c
tests_check_sweep_CFLAGS = $(TEST_CFLAGS) $(CAIRO_CFLAGS)
tests_check_sweep_LDADD = core/libprefrl-sweep.la $(TEST_LIBS) $(CAIRO_LIBS)
endif
