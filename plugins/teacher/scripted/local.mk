# The B-Pref scripted teacher (docs/samplers-and-teachers.md): prefrl-teacher-scripted.so
plugin_LTLIBRARIES += plugins/teacher/scripted/prefrl-teacher-scripted.la
plugins_teacher_scripted_prefrl_teacher_scripted_la_SOURCES = plugins/teacher/scripted/scripted.c
plugins_teacher_scripted_prefrl_teacher_scripted_la_CFLAGS = $(PLUGIN_CFLAGS)
plugins_teacher_scripted_prefrl_teacher_scripted_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_teacher_scripted_prefrl_teacher_scripted_la_LIBADD = libprefrl.la $(GLIB_LIBS) -lm

if HAVE_CHECK
check_PROGRAMS += tests/check_teacher
TESTS += tests/check_teacher
tests_check_teacher_SOURCES = tests/check_teacher.c
tests_check_teacher_CFLAGS = $(TEST_CFLAGS)
tests_check_teacher_LDADD = $(TEST_LIBS)
endif
