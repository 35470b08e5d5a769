# The interactive teachers, teacher/file and teacher/human
# (docs/human-feedback.md): prefrl-teacher-human.so, linking libmicrohttpd
# for the labelling page
plugin_LTLIBRARIES += plugins/teacher/human/prefrl-teacher-human.la
plugins_teacher_human_prefrl_teacher_human_la_SOURCES = plugins/teacher/human/plugin.c \
	plugins/teacher/human/teachers.h plugins/teacher/human/rounds.c \
	plugins/teacher/human/rounds.h plugins/teacher/human/file.c \
	plugins/teacher/human/human.c plugins/teacher/human/page.c
plugins_teacher_human_prefrl_teacher_human_la_CFLAGS = $(PLUGIN_CFLAGS) $(MICROHTTPD_CFLAGS)
plugins_teacher_human_prefrl_teacher_human_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_teacher_human_prefrl_teacher_human_la_LIBADD = libprefrl.la $(GLIB_LIBS) \
	$(MICROHTTPD_LIBS)

# tests (tests/plugins/teacher/human/): the round files, answers.txt and its
# errors, resume, and the labelling page's HTTP contract over a socket
if HAVE_CHECK
check_PROGRAMS += tests/plugins/teacher/human/check_teacher_human
TESTS += tests/plugins/teacher/human/check_teacher_human
tests_plugins_teacher_human_check_teacher_human_SOURCES = \
	tests/plugins/teacher/human/check_teacher_human.c \
	tests/common/pbrl_test.c tests/common/pbrl_test.h
tests_plugins_teacher_human_check_teacher_human_CFLAGS = $(TEST_CFLAGS) $(FFMPEG_CFLAGS)
tests_plugins_teacher_human_check_teacher_human_LDADD = core/lab/libprefrl-lab.la $(TEST_LIBS) \
	$(FFMPEG_LIBS)
endif
