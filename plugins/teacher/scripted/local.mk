# The B-Pref scripted teacher (docs/samplers-and-teachers.md): prefrl-teacher-scripted.so
plugin_LTLIBRARIES += plugins/teacher/scripted/prefrl-teacher-scripted.la
plugins_teacher_scripted_prefrl_teacher_scripted_la_SOURCES = plugins/teacher/scripted/scripted.c
plugins_teacher_scripted_prefrl_teacher_scripted_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_teacher_scripted_prefrl_teacher_scripted_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_teacher_scripted_prefrl_teacher_scripted_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

# tests (tests/plugins/teacher/scripted/): the teacher on constructed pairs
if HAVE_CHECK
check_PROGRAMS += tests/plugins/teacher/scripted/check_teacher_scripted
TESTS += tests/plugins/teacher/scripted/check_teacher_scripted
tests_plugins_teacher_scripted_check_teacher_scripted_SOURCES = \
	tests/plugins/teacher/scripted/check_teacher_scripted.c
tests_plugins_teacher_scripted_check_teacher_scripted_CFLAGS = $(TEST_CFLAGS)
tests_plugins_teacher_scripted_check_teacher_scripted_LDADD = $(TEST_LIBS)
endif
