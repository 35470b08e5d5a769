# Experiment tools: sweeps over grids of recipes, reports, plots.  The plots
# draw with cairo and the videos encode with FFmpeg, so this layer is a
# convenience library of its own (the prefrl program links it; libprefrl
# depends on neither cairo nor FFmpeg).
noinst_LTLIBRARIES += core/lab/libprefrl-lab.la
core_lab_libprefrl_lab_la_SOURCES = \
	core/lab/sweep.c core/lab/sweep.h \
	core/lab/report.c core/lab/report.h \
	core/lab/plot.c core/lab/plot.h \
	core/lab/video.c core/lab/video.h
core_lab_libprefrl_lab_la_CFLAGS = $(AM_CFLAGS) $(CAIRO_CFLAGS) $(FFMPEG_CFLAGS)
core_lab_libprefrl_lab_la_LIBADD = $(CAIRO_LIBS) $(FFMPEG_LIBS)
