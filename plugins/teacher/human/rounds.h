/* The query-round files shared by teacher/file and teacher/human
 * (docs/human-feedback.md): a round directory <queries>/round-NNNN/ holding
 * round.json, the two clips of each query and answers.txt, the labels a
 * person (or the labelling page) writes.  This module writes a round, moves
 * a stale one aside, reads and validates answers.txt, appends answers, and
 * waits until every query of the round has a label. */
#ifndef PREFRL_TEACHER_ROUNDS_H
#define PREFRL_TEACHER_ROUNDS_H

#include <stdint.h>
#include <glib.h>

#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

/** A query not answered yet (labels[] of a Round). */
#define ROUNDS_UNANSWERED G_MININT

/** The keys both teachers share, then NULL-terminated by the caller. */
#define ROUNDS_COMMON_PARAMS                                                                     \
    {"width", PREFRL_PARAM_INT, "320", 16, 4096, NULL,                                          \
     "width in pixels of each query clip"},                                                     \
    {"height", PREFRL_PARAM_INT, "240", 16, 4096, NULL,                                         \
     "height in pixels of each query clip"},                                                    \
    {"fps", PREFRL_PARAM_INT, "30", 1, 240, NULL,                                               \
     "frames per second of the clips (one frame per judged step)"},                     \
    {"camera", PREFRL_PARAM_STRING, "", 0, 0, NULL,                                             \
     "camera the clips are seen from (a camera of the task, docs/rendering.md; an unknown "     \
     "one's error lists them); empty = the task's default view"},                               \
    {"format", PREFRL_PARAM_CHOICE, "webm", 0, 0, "webm|mp4",                                   \
     "clip format: webm (VP9) or mp4 (H.264)"},                                                 \
    {"poll_interval", PREFRL_PARAM_FLOAT, "0.5", 0.01, 60, NULL,                                \
     "seconds between two reads of answers.txt while the round waits"},                         \
    {"timeout", PREFRL_PARAM_FLOAT, "0", 0, 1e9, NULL,                                          \
     "seconds a round may wait for its answers before the run stops with an error (the "        \
     "answers given are kept for `prefrl resume`); 0 = wait forever"},                          \
    {"dir", PREFRL_PARAM_STRING, "", 0, 0, NULL,                                                \
     "folder of the round directories; empty = queries/ in the run directory"}

/** The settings of a teacher that writes rounds (from its parameters). */
typedef struct RoundsConfig {
    const char *who;        /* "teacher/file" or "teacher/human", for messages */
    char *root;             /* folder of the round directories */
    char *shown_root;       /* the same as messages show it ("queries" in a run) */
    char *env_name;         /* "env/TASK" for messages, or "the environment" */
    int width, height, fps;
    char *camera;           /* NULL: the task's default view */
    const char *ext;        /* "webm" or "mp4" */
    gboolean clips;         /* write clips (FALSE: round.json names none) */
    gboolean clips_key;     /* the teacher has a `clips` key (errors suggest it) */
    double poll_interval;   /* seconds */
    double timeout;         /* seconds; 0 = forever */
} RoundsConfig;

/** One query round on disk and the answers read so far. */
typedef struct Round {
    int64_t number;         /* the trainer's round, 1-based */
    int n;                  /* queries */
    char *dir;              /* the round directory */
    char *shown_dir;        /* as messages show it, e.g. "queries/round-0003" */
    char *answers;          /* dir/answers.txt */
    char *json;             /* round.json's text */
    char **clip_names;      /* 2n names ("q0000-left.webm", ...), or NULL without clips */
    int *labels;            /* n labels, ROUNDS_UNANSWERED where none yet */
    int answered;           /* labels that are not ROUNDS_UNANSWERED */
} Round;

/** Fill cfg from a validated parameter section (the common keys, plus
 *  `clips` when the schema has it).  FALSE when neither `dir` nor the run
 *  directory names a folder. */
gboolean rounds_config_init(RoundsConfig *cfg, const char *who, const PrefrlNode *params,
                            const PrefrlContext *ctx, GError **error);

/** Free what cfg owns. */
void rounds_config_clear(RoundsConfig *cfg);

/** Check that q carries what a round needs (the fields appended for
 *  interactive teachers; write_clip unless clips are off). */
gboolean rounds_check_query(const RoundsConfig *cfg, const PrefrlTeacherQuery *q,
                            GError **error);

/** Open round q->round: reuse its directory when it holds the same queries
 *  (same fingerprint: clips and answers kept), else move the old one aside
 *  to round-NNNN.old-K (and say so), write the missing clips and round.json,
 *  then read answers.txt.  Transfer full (rounds_free). */
Round *rounds_open(const RoundsConfig *cfg, const PrefrlTeacherQuery *q, GError **error);

/** Read answers.txt again (complete lines only) into r->labels; FALSE with
 *  PREFRL_ERROR_CONFIG naming the file and line of the first bad line. */
gboolean rounds_read_answers(Round *r, GError **error);

/** Label word -> PREFRL_LABEL_*, or ROUNDS_UNANSWERED when not a label. */
int rounds_label_from_word(const char *word);

/** PREFRL_LABEL_* -> its word ("left", "right", "equal", "skip"). */
const char *rounds_label_word(int label);

/** Append "INDEX LABEL" to answers.txt (flushed to disk) and record it.
 *  An index already answered the same way is accepted without a new line;
 *  answered differently, or out of range: FALSE with PREFRL_ERROR_CONFIG. */
gboolean rounds_append_answer(Round *r, int index, int label, GError **error);

/** Wait until every query of r has a label, reading answers.txt every
 *  poll_interval seconds; lock (may be NULL) is held while r is read.  TRUE
 *  with the n labels copied to labels; FALSE with PREFRL_ERROR_INTERRUPTED
 *  once q->stop is set, with PREFRL_ERROR_IO after cfg->timeout, or a bad
 *  answers.txt's error. */
gboolean rounds_wait(const RoundsConfig *cfg, Round *r, const PrefrlTeacherQuery *q,
                     GMutex *lock, int *labels, GError **error);

/** Free a round (NULL is ignored); the files stay. */
void rounds_free(Round *r);

#endif
