/* teacher/file: each query round is written as files in the run directory
 * (round.json and the two clips of every query, rounds.h) and its labels
 * are read back from answers.txt, written by a person or an annotation tool
 * (docs/human-feedback.md).  The trainer waits until every query of the
 * round has a label. */
#include <inttypes.h>

#include "rounds.h"
#include "teachers.h"

typedef struct {
    RoundsConfig cfg;
} FileTeacher;

static void *file_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    FileTeacher *t = g_new0(FileTeacher, 1);
    if (!rounds_config_init(&t->cfg, "teacher/file", params, ctx, error)) {
        rounds_config_clear(&t->cfg);
        g_free(t);
        return NULL;
    }
    return t;
}

static void file_destroy(void *self)
{
    FileTeacher *t = self;
    if (!t)
        return;
    rounds_config_clear(&t->cfg);
    g_free(t);
}

static gboolean file_label(void *self, const PrefrlTeacherQuery *q, int *labels, GError **error)
{
    FileTeacher *t = self;
    if (!rounds_check_query(&t->cfg, q, error))
        return FALSE;
    Round *r = rounds_open(&t->cfg, q, error);
    if (!r)
        return FALSE;
    if (q->say && r->answered < r->n) {
        char *line;
        if (r->answered > 0)
            line = g_strdup_printf("teacher/file: round %" PRId64 ": %d of %d queries still "
                                   "unanswered in %s/ (answers.txt)", r->number,
                                   r->n - r->answered, r->n, r->shown_dir);
        else
            line = g_strdup_printf("teacher/file: round %" PRId64 ": %d queries in %s/ "
                                   "(answers.txt)", r->number, r->n, r->shown_dir);
        q->say(q->say_ctx, line);
        g_free(line);
    }
    gboolean ok = rounds_wait(&t->cfg, r, q, NULL, labels, error);
    rounds_free(r);
    return ok;
}

static const PrefrlTeacherOps file_ops = {
    .struct_size = sizeof(PrefrlTeacherOps),
    .label = file_label,
};

static const PrefrlParamSpec file_params[] = {
    ROUNDS_COMMON_PARAMS,
    {"clips", PREFRL_PARAM_BOOL, "true", 0, 0, NULL,
     "write the two clips of every query (false: round.json names no clips, for an "
     "environment that cannot render or a tool that labels from elsewhere)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

const PrefrlComponent teacher_file_component = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_TEACHER,
    .name = "file",
    .summary = "labels read from answers.txt in the run directory, each query round written "
               "there as round.json and two clips per query",
    .params = file_params,
    .flags = PREFRL_FLAG_INTERACTIVE,
    .create = file_create,
    .destroy = file_destroy,
    .ops = &file_ops,
};
