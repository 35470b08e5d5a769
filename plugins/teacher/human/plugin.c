/* The interactive teachers' plugin: teacher/file and teacher/human share the
 * query-round files (rounds.c) and wait for a person; both set
 * PREFRL_FLAG_INTERACTIVE, so the trainer checkpoints before each round. */
#include "teachers.h"

PREFRL_PLUGIN_DEFINE("teacher-human", PREFRL_VERSION, &teacher_file_component,
                     &teacher_human_component);
