/* The components of the interactive-teacher plugin (plugin.c lists them)
 * and the labelling page teacher/human serves. */
#ifndef PREFRL_TEACHER_HUMAN_TEACHERS_H
#define PREFRL_TEACHER_HUMAN_TEACHERS_H

#include <prefrl/plugin.h>

/** teacher/file: labels from answers.txt (file.c). */
extern const PrefrlComponent teacher_file_component;

/** teacher/human: labels from the labelling page (human.c). */
extern const PrefrlComponent teacher_human_component;

/** The labelling page, HTML with its style and script (page.c). */
extern const char teacher_human_page[];

#endif
