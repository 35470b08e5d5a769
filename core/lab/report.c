/* `prefrl report`: run directories → grouped statistics, figures and tables.
 * Definitions of every number are in report.h. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "lab/plot.h"
#include "host/recipe.h"
#include "lab/report.h"
#include "pbrl/rundir.h"

#define MAX_DEPTH 16 /* directory levels searched below each DIR */

/* ---- CSV ----------------------------------------------------------------------------- */

typedef struct {
    char **names;  /* header */
    int n_cols, n_rows;
    double *data;  /* row-major n_rows × n_cols; empty fields are NAN */
} Csv;

static void csv_free(Csv *c)
{
    if (!c)
        return;
    g_strfreev(c->names);
    g_free(c->data);
    g_free(c);
}

static int csv_col(const Csv *c, const char *name)
{
    for (int i = 0; i < c->n_cols; i++)
        if (!strcmp(c->names[i], name))
            return i;
    return -1;
}

/* A B-Pref CSV: a header line, then numeric rows.  A last line without its
 * newline is a row still being written by a live run and is ignored. */
static Csv *csv_read(const char *path, GError **error)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    Csv *c = g_new0(Csv, 1);
    char **lines = g_strsplit(text, "\n", -1);
    guint n_lines = g_strv_length(lines);
    g_free(text);
    if (n_lines == 0 || !lines[0][0]) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "%s: empty (no header line)", path);
        goto fail;
    }
    c->names = g_strsplit(g_strstrip(lines[0]), ",", -1);
    c->n_cols = (int)g_strv_length(c->names);
    /* lines[n_lines-1] is "" after a final newline, or the unfinished row */
    guint last = n_lines - 1;
    c->data = g_new(double, (gsize)c->n_cols * MAX(last, 1u));
    for (guint l = 1; l < last; l++) {
        char *line = g_strstrip(lines[l]);
        if (!*line)
            continue;
        char **f = g_strsplit(line, ",", -1);
        if ((int)g_strv_length(f) != c->n_cols) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                        "%s:%u: %u fields where the header has %d", path, l + 1,
                        g_strv_length(f), c->n_cols);
            g_strfreev(f);
            goto fail;
        }
        for (int j = 0; j < c->n_cols; j++) {
            char *end = NULL;
            double v = f[j][0] ? g_ascii_strtod(f[j], &end) : NAN;
            if (f[j][0] && (end == f[j] || *end)) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                            "%s:%u: column '%s': '%s' is not a number", path, l + 1,
                            c->names[j], f[j]);
                g_strfreev(f);
                goto fail;
            }
            c->data[(gsize)c->n_rows * c->n_cols + j] = v;
        }
        c->n_rows++;
        g_strfreev(f);
    }
    g_strfreev(lines);
    return c;
fail:
    g_strfreev(lines);
    csv_free(c);
    return NULL;
}

/* ---- runs ---------------------------------------------------------------------------- */

typedef struct {
    char *dir, *task, *reward, *agent, *sampler, *teacher, *status;
    gint64 seed, max_feedback;
    gboolean labels;     /* the reward learner took preference labels */
    const char *metric;  /* eval.csv column the report reads */
    int n;               /* evaluation rows */
    double *step, *value;
    double *given;       /* labels given by each evaluation's step (NAN: not known) */
    double labels_given; /* labels given over the run (NAN: not known) */
    GArray *rounds;      /* double: the steps at which labels arrived (query rounds) */
    double final, auc;
    double q_mse, q_nmse;  /* last evaluation's Q diagnostics (NAN when not logged) */
    double q_mse_true, q_nmse_true; /* the same against the true value (NAN: not logged) */
    gboolean has_nmse;     /* eval.csv has a q_nmse column */
    GHashTable *settings;  /* flattened recipe key -> value, per-run keys left out */
} Run;

static void run_free(gpointer p)
{
    Run *r = p;
    g_free(r->dir);
    g_free(r->task);
    g_free(r->reward);
    g_free(r->agent);
    g_free(r->sampler);
    g_free(r->teacher);
    g_free(r->status);
    g_free(r->step);
    g_free(r->value);
    g_free(r->given);
    if (r->rounds)
        g_array_unref(r->rounds);
    if (r->settings)
        g_hash_table_unref(r->settings);
    g_free(r);
}

/* Keys whose value is per run by nature, never a setting that tells groups
 * apart: the seed, the run's name and output directory, thread counts, how
 * often checkpoints are written and the memory cap (neither changes a
 * result), progress output, evaluation videos (rendering leaves the physics
 * alone), and where a teacher's page listens.  Input files (seed_prefs) are
 * settings. */
static gboolean per_run_key(const char *key)
{
    static const char *const exact[] = {"seed", "name", "out_dir", "threads",
                                        "trainer.checkpoint_frequency", "trainer.max_memory",
                                        "trainer.save_video"};
    for (guint i = 0; i < G_N_ELEMENTS(exact); i++)
        if (!strcmp(key, exact[i]))
            return TRUE;
    const char *leaf = strrchr(key, '.');
    leaf = leaf ? leaf + 1 : key;
    static const char *const leaves[] = {"threads", "port", "bind", "host", "allow_remote"};
    for (guint i = 0; i < G_N_ELEMENTS(leaves); i++)
        if (!strcmp(leaf, leaves[i]))
            return TRUE;
    return g_str_has_suffix(leaf, "_threads") || g_str_has_prefix(leaf, "progress") ||
           g_str_has_prefix(leaf, "video_");
}

/* Keys that act only through labels: for a reward that takes none, runs that
 * differ in them are the same experiment (e.g. SAC on the true reward in a
 * grid over label budgets). */
static gboolean label_only_key(const char *key)
{
    return g_str_has_prefix(key, "sampler.") || g_str_has_prefix(key, "teacher.") ||
           !strcmp(key, "trainer.max_feedback") || !strcmp(key, "trainer.reward_batch") ||
           !strcmp(key, "trainer.reward_schedule");
}

/* every scalar of the tree as "a.b.c" -> text (a list's items as a.b[i]) */
static void flatten(const PrefrlNode *node, const char *path, GHashTable *out)
{
    switch (prefrl_node_kind(node)) {
    case PREFRL_NODE_SCALAR: {
        const char *text = prefrl_node_text(node);
        g_hash_table_insert(out, g_strdup(path), g_strdup(text ? text : ""));
        break;
    }
    case PREFRL_NODE_MAP:
    case PREFRL_NODE_LIST:
        for (guint i = 0; i < prefrl_node_size(node); i++) {
            const char *k = NULL;
            const PrefrlNode *child = prefrl_node_at(node, i, &k);
            char *sub = prefrl_node_kind(node) == PREFRL_NODE_MAP
                            ? (*path ? g_strconcat(path, ".", k, NULL) : g_strdup(k))
                            : g_strdup_printf("%s[%u]", path, i);
            flatten(child, sub, out);
            g_free(sub);
        }
        break;
    }
}

static char *section_name(const PrefrlNode *root, const char *section, const char *selector)
{
    const char *t = prefrl_node_text(prefrl_node_get(prefrl_node_get(root, section), selector));
    return t ? g_strdup(t) : NULL;
}

static gint64 int_at(const PrefrlNode *map, const char *key, gint64 dflt)
{
    const char *t = prefrl_node_text(prefrl_node_get(map, key));
    if (!t)
        return dflt;
    char *end = NULL;
    double v = g_ascii_strtod(t, &end);
    return end != t && !*end ? (gint64)v : dflt;
}

/* trapezoidal area under (x, y) divided by the x span */
static double mean_height(const double *x, const double *y, int n)
{
    if (n == 1)
        return y[0];
    double area = 0;
    for (int i = 1; i < n; i++)
        area += 0.5 * (y[i] + y[i - 1]) * (x[i] - x[i - 1]);
    return area / (x[n - 1] - x[0]);
}

/* The labels a run was given, from its reward.csv (a row per query round:
 * step, labeled_feedback), else its train.csv: in total and by each
 * evaluation's step.  NAN when the run logged neither (or takes no labels). */
static void labels_given(Run *r)
{
    r->given = g_new(double, r->n);
    for (int i = 0; i < r->n; i++)
        r->given[i] = NAN;
    r->labels_given = NAN;
    r->rounds = g_array_new(FALSE, FALSE, sizeof(double));
    if (!r->labels)
        return;
    static const PrefrlRunFile sources[] = {PREFRL_RUN_REWARD_CSV, PREFRL_RUN_TRAIN_CSV};
    for (guint k = 0; k < G_N_ELEMENTS(sources); k++) {
        char *path = prefrl_rundir_path(r->dir, sources[k]);
        Csv *c = g_file_test(path, G_FILE_TEST_EXISTS) ? csv_read(path, NULL) : NULL;
        g_free(path);
        int sc = c ? csv_col(c, "step") : -1, lc = c ? csv_col(c, "labeled_feedback") : -1;
        if (sc < 0 || lc < 0) {
            csv_free(c);
            continue;
        }
        /* a row whose count grew is a query round that brought labels */
        double seen = 0;
        for (int i = 0; i < c->n_rows; i++) {
            double l = c->data[(gsize)i * c->n_cols + lc];
            if (isfinite(l) && l > seen) {
                g_array_append_val(r->rounds, c->data[(gsize)i * c->n_cols + sc]);
                seen = l;
            }
        }
        /* counts only grow: the latest row at or before a step holds its count */
        double total = 0;
        int row = 0;
        for (int i = 0; i < r->n; i++) {
            for (; row < c->n_rows && c->data[(gsize)row * c->n_cols + sc] <= r->step[i]; row++)
                if (isfinite(c->data[(gsize)row * c->n_cols + lc]))
                    total = MAX(total, c->data[(gsize)row * c->n_cols + lc]);
            r->given[i] = total;
        }
        for (; row < c->n_rows; row++)
            if (isfinite(c->data[(gsize)row * c->n_cols + lc]))
                total = MAX(total, c->data[(gsize)row * c->n_cols + lc]);
        r->labels_given = total;
        csv_free(c);
        return;
    }
}

static Run *run_load(const char *dir, GError **error)
{
    PrefrlNode *root = prefrl_rundir_read_config(dir, error);
    if (!root)
        return NULL;
    Run *r = g_new0(Run, 1);
    r->dir = g_strdup(dir);
    r->task = section_name(root, "env", "task");
    /* a task on another scene than the default (Meta-world's env.scene:
     * original) is its own row and curve, named with the scene */
    char *scene = section_name(root, "env", "scene");
    if (r->task && scene && strcmp(scene, "bundled") != 0) {
        char *named = g_strdup_printf("%s (%s scene)", r->task, scene);
        g_free(r->task);
        r->task = named;
    }
    g_free(scene);
    r->reward = section_name(root, "reward", "name");
    r->agent = section_name(root, "agent", "name");
    r->sampler = section_name(root, "sampler", "name");
    r->teacher = section_name(root, "teacher", "name");
    r->seed = int_at(root, "seed", 0);
    r->max_feedback = int_at(prefrl_node_get(root, "trainer"), "max_feedback", 0);
    r->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    flatten(root, "", r->settings);
    prefrl_node_free(root);
    if (!r->task) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "%s/%s names no env.task", dir,
                    prefrl_rundir_name(PREFRL_RUN_CONFIG));
        run_free(r);
        return NULL;
    }
    if (!r->reward)
        r->reward = g_strdup("none");

    prefrl_rundir_status(dir, &r->status);
    if (!r->status)
        r->status = g_strdup("unknown");
    char *labels = prefrl_rundir_path(dir, PREFRL_RUN_LABELS_CSV);
    r->labels = g_file_test(labels, G_FILE_TEST_EXISTS);
    g_free(labels);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, r->settings);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (per_run_key(key) || (!r->labels && label_only_key(key)))
            g_hash_table_iter_remove(&it);

    char *eval = prefrl_rundir_path(dir, PREFRL_RUN_EVAL_CSV);
    Csv *c = csv_read(eval, error);
    if (!c) {
        g_free(eval);
        run_free(r);
        return NULL;
    }
    static const char *const metrics[] = {"success_rate", "true_episode_reward", "episode_reward"};
    int mc = -1;
    for (guint i = 0; i < G_N_ELEMENTS(metrics) && mc < 0; i++)
        if ((mc = csv_col(c, metrics[i])) >= 0)
            r->metric = metrics[i];
    int sc = csv_col(c, "step"), qc = csv_col(c, "q_mse"), nqc = csv_col(c, "q_nmse");
    int tqc = csv_col(c, "q_mse_true"), tnqc = csv_col(c, "q_nmse_true");
    if (mc < 0 || sc < 0 || c->n_rows == 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT, "%s: %s", eval,
                    sc < 0   ? "no 'step' column"
                    : mc < 0 ? "no success_rate, true_episode_reward or episode_reward column"
                             : "no evaluation yet");
        g_free(eval);
        csv_free(c);
        run_free(r);
        return NULL;
    }
    r->n = c->n_rows;
    r->step = g_new(double, r->n);
    r->value = g_new(double, r->n);
    for (int i = 0; i < r->n; i++) {
        const double *row = c->data + (gsize)i * c->n_cols;
        r->step[i] = row[sc];
        r->value[i] = row[mc];
    }
    const double *last = c->data + (gsize)(r->n - 1) * c->n_cols;
    r->q_mse = qc >= 0 ? last[qc] : NAN;
    r->q_nmse = nqc >= 0 ? last[nqc] : NAN;
    r->q_mse_true = tqc >= 0 ? last[tqc] : NAN;
    r->q_nmse_true = tnqc >= 0 ? last[tnqc] : NAN;
    r->has_nmse = nqc >= 0;
    csv_free(c);
    for (int i = 1; i < r->n; i++)
        if (!(r->step[i] > r->step[i - 1])) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                        "%s:%d: steps do not increase", eval, i + 2);
            g_free(eval);
            run_free(r);
            return NULL;
        }
    g_free(eval);
    r->final = r->value[r->n - 1];
    r->auc = mean_height(r->step, r->value, r->n);
    labels_given(r);
    return r;
}

static int str_ptr_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void find_runs(const char *dir, int depth, GPtrArray *found)
{
    if (prefrl_rundir_is_run(dir)) {
        g_ptr_array_add(found, g_strdup(dir));
        return;
    }
    if (depth >= MAX_DEPTH)
        return;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        if (n[0] != '.')
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, str_ptr_cmp);
    for (guint i = 0; i < names->len; i++) {
        char *p = g_build_filename(dir, names->pdata[i], NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            find_runs(p, depth + 1, found);
        g_free(p);
    }
    g_ptr_array_unref(names);
}

/* ---- groups -------------------------------------------------------------------------- */

typedef struct {
    char *task;
    char *base;          /* the method: reward (agent, sampler, teacher when they vary) */
    char *settings;      /* the keys that set it apart from its peers: "beta_init=0.5" */
    char *method;        /* base and settings: the group's label */
    char *key;           /* task, budget and every setting: the grouping key */
    gint64 budget;       /* -1: the method takes no labels */
    const char *metric;
    GPtrArray *runs;     /* Run*, not owned */
    double final_mean, final_std, auc_mean, auc_std, q_mean, q_std;
    double qt_mean, qt_std; /* the Q diagnostic against the true value */
    int qt_n;
    double given_lo, given_hi; /* labels given over its runs (NAN: not known) */
    int q_n;
    /* --frames: a strip from the first seed's final agent, or why there is none */
    guint8 **frames;
    char **captions;
    int n_frames, frame_w, frame_h;
    char *frames_note;
} Group;

struct PrefrlReport {
    GPtrArray *runs;     /* Run* */
    GPtrArray *groups;   /* Group*, sorted by task, budget, method */
    GPtrArray *warnings; /* char* */
    GPtrArray *dirs;     /* char*: the directories asked for */
    GPtrArray *varied;   /* char*: the setting keys that tell groups apart, sorted */
    gboolean has_q, budgets_vary;
    gboolean has_q_true; /* some run logged the Q diagnostic against the true value */
    /* the Q diagnostic of the tables: the scale-free q_nmse when every run
     * with a Q column logged it, else the raw q_mse (older runs) */
    gboolean q_scaled;
    PrefrlReportOptions opt;
};

static void group_free(gpointer p)
{
    Group *g = p;
    g_free(g->task);
    g_free(g->base);
    g_free(g->settings);
    g_free(g->method);
    g_free(g->key);
    g_ptr_array_unref(g->runs);
    for (int i = 0; i < g->n_frames; i++)
        g_free(g->frames[i]);
    g_free(g->frames);
    g_strfreev(g->captions);
    g_free(g->frames_note);
    g_free(g);
}

void prefrl_report_free(PrefrlReport *r)
{
    if (!r)
        return;
    g_ptr_array_unref(r->groups);
    g_ptr_array_unref(r->runs);
    g_ptr_array_unref(r->warnings);
    g_ptr_array_unref(r->dirs);
    if (r->varied)
        g_ptr_array_unref(r->varied);
    g_free(r);
}

guint prefrl_report_n_runs(const PrefrlReport *r)
{
    return r->runs->len;
}

const GPtrArray *prefrl_report_warnings(const PrefrlReport *r)
{
    return r->warnings;
}

void prefrl_report_set_options(PrefrlReport *r, const PrefrlReportOptions *opt)
{
    r->opt = *opt;
}

guint prefrl_report_n_groups(const PrefrlReport *r)
{
    return r->groups->len;
}

const char *prefrl_report_group_first_run(const PrefrlReport *r, guint i)
{
    const Group *g = r->groups->pdata[i];
    const Run *first = NULL;
    for (guint j = 0; j < g->runs->len; j++) {
        const Run *run = g->runs->pdata[j];
        if (!first || run->seed < first->seed)
            first = run;
    }
    return first->dir;
}

void prefrl_report_set_frames(PrefrlReport *r, guint i, const guint8 *const *frames,
                              const char *const *captions, int n, int width, int height)
{
    Group *g = r->groups->pdata[i];
    g->frames = g_new0(guint8 *, MAX(n, 1));
    g->captions = g_new0(char *, n + 1);
    for (int k = 0; k < n; k++) {
        g->frames[k] = g_memdup2(frames[k], (gsize)width * (gsize)height * 3);
        g->captions[k] = g_strdup(captions ? captions[k] : "");
    }
    g->n_frames = n;
    g->frame_w = width;
    g->frame_h = height;
}

void prefrl_report_set_frames_note(PrefrlReport *r, guint i, const char *why)
{
    Group *g = r->groups->pdata[i];
    g_free(g->frames_note);
    g->frames_note = g_strdup(why);
    g_ptr_array_add(r->warnings, g_strdup_printf("no frames for %s / %s: %s", g->task,
                                                 g->method, why));
}

/* mean and sample std of the finite values; std NAN below two values */
static void mean_std(const double *v, int n, double *mean, double *std, int *count)
{
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            s += v[i];
            k++;
        }
    *mean = k ? s / k : NAN;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            ss += (v[i] - *mean) * (v[i] - *mean);
    *std = k > 1 ? sqrt(ss / (k - 1)) : NAN;
    if (count)
        *count = k;
}

static gboolean varies(const GPtrArray *runs, gsize offset, gboolean labelled_only)
{
    const char *first = NULL;
    gboolean seen = FALSE;
    for (guint i = 0; i < runs->len; i++) {
        const Run *r = runs->pdata[i];
        if (labelled_only && !r->labels)
            continue;
        const char *v = G_STRUCT_MEMBER(const char *, r, offset);
        if (!seen) {
            first = v;
            seen = TRUE;
        } else if (g_strcmp0(first, v)) {
            return TRUE;
        }
    }
    return FALSE;
}

static char *method_label(const Run *r, gboolean agent, gboolean sampler, gboolean teacher)
{
    GString *extra = g_string_new(NULL);
    if (agent || !r->labels) /* "true (agent sac)": SAC on the true reward */
        g_string_append_printf(extra, "agent %s", r->agent ? r->agent : "none");
    if (sampler && r->labels)
        g_string_append_printf(extra, "%ssampler %s", extra->len ? ", " : "",
                               r->sampler ? r->sampler : "none");
    if (teacher && r->labels)
        g_string_append_printf(extra, "%steacher %s", extra->len ? ", " : "",
                               r->teacher ? r->teacher : "none");
    char *label = extra->len ? g_strdup_printf("%s (%s)", r->reward, extra->str)
                             : g_strdup(r->reward);
    g_string_free(extra, TRUE);
    return label;
}

/* strcmp with the numbers in the strings compared by value:
 * "beta_init=0.05" < "beta_init=0.5", "steps=500" < "steps=1000" */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            char *ea, *eb;
            double x = g_ascii_strtod(a, &ea), y = g_ascii_strtod(b, &eb);
            if (x != y)
                return x < y ? -1 : 1;
            a = ea;
            b = eb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int group_cmp(gconstpointer a, gconstpointer b)
{
    const Group *x = *(Group *const *)a, *y = *(Group *const *)b;
    int c = strcmp(x->task, y->task);
    if (c)
        return c;
    if (x->budget != y->budget)
        return x->budget < y->budget ? -1 : 1;
    if ((c = strcmp(x->base, y->base)))
        return c;
    if ((c = natural_cmp(x->settings, y->settings)))
        return c;
    return strcmp(x->key, y->key);
}

/* the grouping key: task, budget, method and every setting, in key order */
static char *group_key(const Run *r, gint64 budget, const char *base)
{
    GString *k = g_string_new(NULL);
    g_string_append_printf(k, "%s\x1f%" G_GINT64_FORMAT "\x1f%s", r->task, budget, base);
    GList *keys = g_list_sort(g_hash_table_get_keys(r->settings), (GCompareFunc)strcmp);
    for (GList *l = keys; l; l = l->next)
        g_string_append_printf(k, "\x1e%s=%s", (char *)l->data,
                               (char *)g_hash_table_lookup(r->settings, l->data));
    g_list_free(keys);
    return g_string_free(k, FALSE);
}

/* a key's shortest name: its last part unless another key of `run` ends the
 * same way (agent.hidden_dim and reward.hidden_dim keep their section) */
static const char *short_key(const char *key, const Run *run)
{
    const char *leaf = strrchr(key, '.');
    if (!leaf)
        return key;
    leaf++;
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, run->settings);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        const char *other = k;
        if (strcmp(other, key) && g_str_has_suffix(other, leaf) &&
            (strlen(other) == strlen(leaf) || other[strlen(other) - strlen(leaf) - 1] == '.'))
            return key;
    }
    return leaf;
}

/* For each group, the keys whose values differ among the groups of the same
 * task, budget and method (its peers), written "key=value" in key order: what
 * sets the group apart.  Also collects every such key in rep->varied. */
static void name_settings(PrefrlReport *rep)
{
    GHashTable *varied = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < rep->groups->len; i++) {
        Group *g = rep->groups->pdata[i];
        const Run *r0 = g->runs->pdata[0];
        GHashTable *keys = g_hash_table_new(g_str_hash, g_str_equal);
        GPtrArray *peers = g_ptr_array_new();
        for (guint j = 0; j < rep->groups->len; j++) {
            const Group *h = rep->groups->pdata[j];
            if (!strcmp(h->task, g->task) && h->budget == g->budget && !strcmp(h->base, g->base)) {
                const Run *rh = h->runs->pdata[0];
                g_ptr_array_add(peers, (gpointer)rh);
                GHashTableIter it;
                gpointer k;
                g_hash_table_iter_init(&it, rh->settings);
                while (g_hash_table_iter_next(&it, &k, NULL))
                    g_hash_table_add(keys, k);
            }
        }
        GList *sorted = g_list_sort(g_hash_table_get_keys(keys), (GCompareFunc)strcmp);
        GString *set = g_string_new(NULL);
        for (GList *l = sorted; l; l = l->next) {
            const char *own = g_hash_table_lookup(r0->settings, l->data);
            gboolean differs = FALSE;
            for (guint j = 0; j < peers->len && !differs; j++)
                differs = g_strcmp0(own, g_hash_table_lookup(
                                             ((const Run *)peers->pdata[j])->settings, l->data));
            if (!differs)
                continue;
            g_hash_table_add(varied, l->data);
            g_string_append_printf(set, "%s%s=%s", set->len ? " " : "", short_key(l->data, r0),
                                   own ? own : "(unset)");
        }
        g_list_free(sorted);
        g_ptr_array_unref(peers);
        g_hash_table_unref(keys);
        g_free(g->settings);
        g->settings = g_string_free(set, FALSE);
        g_free(g->method);
        g->method = *g->settings ? g_strconcat(g->base, " ", g->settings, NULL) : g_strdup(g->base);
    }
    rep->varied = g_ptr_array_new_with_free_func(g_free);
    GList *sorted = g_list_sort(g_hash_table_get_keys(varied), (GCompareFunc)strcmp);
    for (GList *l = sorted; l; l = l->next)
        g_ptr_array_add(rep->varied, g_strdup(l->data));
    g_list_free(sorted);
    g_hash_table_unref(varied);
}

/* Group the runs: runs with the same task, method, label budget and every
 * other setting (per-run keys aside) are seeds of one experiment; any other
 * difference, a run length or a reward's parameter, makes its own group. */
static void build_groups(PrefrlReport *rep)
{
    rep->q_scaled = TRUE;
    for (guint i = 0; i < rep->runs->len; i++) {
        const Run *r = rep->runs->pdata[i];
        if (!isnan(r->q_mse) && !r->has_nmse)
            rep->q_scaled = FALSE;
    }
    gboolean va = varies(rep->runs, G_STRUCT_OFFSET(Run, agent), FALSE);
    gboolean vs = varies(rep->runs, G_STRUCT_OFFSET(Run, sampler), TRUE);
    gboolean vt = varies(rep->runs, G_STRUCT_OFFSET(Run, teacher), TRUE);
    GHashTable *index = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < rep->runs->len; i++) {
        Run *r = rep->runs->pdata[i];
        char *base = method_label(r, va, vs, vt);
        gint64 budget = r->labels ? r->max_feedback : -1;
        char *key = group_key(r, budget, base);
        Group *g = g_hash_table_lookup(index, key);
        if (!g) {
            g = g_new0(Group, 1);
            g->task = g_strdup(r->task);
            g->base = base;
            g->settings = g_strdup("");
            g->method = g_strdup(base);
            g->key = key;
            g->budget = budget;
            g->metric = r->metric;
            g->runs = g_ptr_array_new();
            g_ptr_array_add(rep->groups, g);
            g_hash_table_insert(index, g->key, g);
        } else {
            g_free(base);
            g_free(key);
        }
        if (strcmp(g->metric, r->metric))
            g_ptr_array_add(rep->warnings,
                            g_strdup_printf("%s logs %s where other runs of %s log %s; pooled",
                                            r->dir, r->metric, g->task, g->metric));
        /* one run per seed: a second one with every setting equal is a repeat
         * (e.g. a label-free method swept over budgets) and would shrink the std */
        const Run *twin = NULL;
        for (guint j = 0; j < g->runs->len && !twin; j++)
            if (((const Run *)g->runs->pdata[j])->seed == r->seed)
                twin = g->runs->pdata[j];
        if (twin)
            g_ptr_array_add(rep->warnings,
                            g_strdup_printf("%s repeats seed %" G_GINT64_FORMAT " of %s / %s "
                                            "with the same settings (%s); only the first is used",
                                            r->dir, r->seed, g->task, g->base, twin->dir));
        else
            g_ptr_array_add(g->runs, r);
    }
    g_hash_table_unref(index);
    name_settings(rep);
    g_ptr_array_sort(rep->groups, group_cmp);

    GHashTable *budgets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < rep->groups->len; i++) {
        Group *g = rep->groups->pdata[i];
        int n = (int)g->runs->len;
        double *f = g_new(double, n), *a = g_new(double, n), *q = g_new(double, n);
        double *qt = g_new(double, n);
        g->given_lo = g->given_hi = NAN;
        for (int j = 0; j < n; j++) {
            const Run *r = g->runs->pdata[j];
            f[j] = r->final;
            a[j] = r->auc;
            q[j] = rep->q_scaled ? r->q_nmse : r->q_mse;
            qt[j] = rep->q_scaled ? r->q_nmse_true : r->q_mse_true;
            if (isfinite(r->labels_given)) {
                g->given_lo = isnan(g->given_lo) ? r->labels_given : MIN(g->given_lo, r->labels_given);
                g->given_hi = isnan(g->given_hi) ? r->labels_given : MAX(g->given_hi, r->labels_given);
            }
        }
        mean_std(f, n, &g->final_mean, &g->final_std, NULL);
        mean_std(a, n, &g->auc_mean, &g->auc_std, NULL);
        mean_std(q, n, &g->q_mean, &g->q_std, &g->q_n);
        mean_std(qt, n, &g->qt_mean, &g->qt_std, &g->qt_n);
        rep->has_q |= g->q_n > 0;
        rep->has_q_true |= g->qt_n > 0;
        g_free(f);
        g_free(a);
        g_free(q);
        g_free(qt);
        if (g->budget >= 0) {
            /* a task whose labelled groups have two budgets varies them */
            gint64 *seen = g_hash_table_lookup(budgets, g->task);
            if (!seen)
                g_hash_table_insert(budgets, g_strdup(g->task), g_memdup2(&g->budget, sizeof g->budget));
            else if (*seen != g->budget)
                rep->budgets_vary = TRUE;
        }
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, budgets);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_free(v);
    g_hash_table_unref(budgets);
}

PrefrlReport *prefrl_report_load(const char *const *dirs, int n_dirs, gboolean include_unfinished,
                                 GError **error)
{
    PrefrlReport *rep = g_new0(PrefrlReport, 1);
    rep->runs = g_ptr_array_new_with_free_func(run_free);
    rep->groups = g_ptr_array_new_with_free_func(group_free);
    rep->warnings = g_ptr_array_new_with_free_func(g_free);
    rep->dirs = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n_dirs; i++) {
        if (!g_file_test(dirs[i], G_FILE_TEST_IS_DIR)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: not a directory", dirs[i]);
            g_ptr_array_unref(found);
            prefrl_report_free(rep);
            return NULL;
        }
        g_ptr_array_add(rep->dirs, g_strdup(dirs[i]));
        find_runs(dirs[i], 0, found);
    }
    int unfinished = 0;
    for (guint i = 0; i < found->len; i++) {
        GError *err = NULL;
        Run *r = run_load(found->pdata[i], &err);
        if (!r) {
            g_ptr_array_add(rep->warnings, g_strdup_printf("left out %s: %s",
                                                           (char *)found->pdata[i], err->message));
            g_error_free(err);
            continue;
        }
        if (strcmp(r->status, prefrl_run_status_name(PREFRL_STATUS_DONE)) && !include_unfinished) {
            unfinished++;
            g_ptr_array_add(rep->warnings,
                            g_strdup_printf("left out %s: status '%s' (pass --all to include "
                                            "unfinished runs)", r->dir, r->status));
            run_free(r);
            continue;
        }
        g_ptr_array_add(rep->runs, r);
    }
    if (!rep->runs->len) {
        GString *why = g_string_new(NULL);
        for (guint i = 0; i < rep->warnings->len; i++)
            g_string_append_printf(why, "\n  %s", (char *)rep->warnings->pdata[i]);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "no %srun directories (with %s and %s) found under %s%s%s",
                    unfinished ? "finished " : "", prefrl_rundir_name(PREFRL_RUN_CONFIG),
                    prefrl_rundir_name(PREFRL_RUN_EVAL_CSV), dirs[0], n_dirs > 1 ? " ..." : "",
                    why->str);
        g_string_free(why, TRUE);
        g_ptr_array_unref(found);
        prefrl_report_free(rep);
        return NULL;
    }
    g_ptr_array_unref(found);
    build_groups(rep);
    return rep;
}

/* ---- tables -------------------------------------------------------------------------- */

/* digits that suit the magnitude: returns 512.3, 0.834, 12.05 */
static void fmt_num(GString *s, double v)
{
    if (!isfinite(v))
        g_string_append(s, "–");
    else if (fabs(v) >= 100)
        g_string_append_printf(s, "%.1f", v);
    else if (fabs(v) >= 1)
        g_string_append_printf(s, "%.2f", v);
    else
        g_string_append_printf(s, "%.3g", v);
}

static void fmt_mean_std(GString *s, double mean, double std)
{
    fmt_num(s, mean);
    g_string_append(s, " ± ");
    fmt_num(s, std);
}

static const char *metric_title(const char *metric)
{
    return !strcmp(metric, "success_rate") ? "success rate (%)" : "episode return";
}

/* the smallest value any run of task `task` (and budget `budget` unless
 * PREFRL_ANY_BUDGET, with the label-free groups) logged */
#define ANY_BUDGET G_MININT64
static double data_min(const PrefrlReport *r, const char *task, gint64 budget)
{
    double lo = INFINITY;
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        if (strcmp(g->task, task) || (budget != ANY_BUDGET && g->budget >= 0 && g->budget != budget))
            continue;
        for (guint j = 0; j < g->runs->len; j++) {
            const Run *run = g->runs->pdata[j];
            for (int k = 0; k < run->n; k++)
                if (isfinite(run->value[k]))
                    lo = MIN(lo, run->value[k]);
        }
    }
    return lo;
}

/* a panel plotting `metric` (y label `prefix` + its title) inside the
 * metric's range: a success rate's 0-100 %, and 0 below a return when no
 * run of the panel ever logged a negative one (a band of mean − std must not
 * suggest returns the task cannot give) */
static PrefrlPanel *metric_panel(PrefrlFigure *fig, const char *title, const char *xlabel,
                                 const char *prefix, const char *metric, double lowest)
{
    char *ylabel = g_strconcat(prefix, metric_title(metric), NULL);
    PrefrlPanel *p = prefrl_figure_add_panel(fig, title, xlabel, ylabel);
    g_free(ylabel);
    if (!strcmp(metric, "success_rate"))
        prefrl_panel_set_y_limits(p, 0.0, 100.0);
    else if (lowest >= 0)
        prefrl_panel_set_y_limits(p, 0.0, INFINITY);
    return p;
}

static void fmt_budget(GString *s, gint64 b)
{
    if (b < 0)
        g_string_append(s, "–");
    else
        g_string_append_printf(s, "%" G_GINT64_FORMAT, b);
}

/* a count's range: "30" or "28–30" */
static void fmt_count_range(GString *s, double lo, double hi)
{
    if (lo == hi)
        g_string_append_printf(s, "%.0f", lo);
    else
        g_string_append_printf(s, "%.0f–%.0f", lo, hi);
}

/* "30", "28–30" or "–" */
static void fmt_given(GString *s, const Group *g)
{
    if (isnan(g->given_lo))
        g_string_append(s, "–");
    else
        fmt_count_range(s, g->given_lo, g->given_hi);
}

char *prefrl_report_summary_markdown(const PrefrlReport *r)
{
    GString *s = g_string_new("| task | labels | method | n | final | AUC |");
    if (r->has_q)
        g_string_append_printf(s, " %s |", r->q_scaled ? "Q nmse" : "Q mse");
    g_string_append(s, " given |\n|---|---|---|---|---|---|---|");
    g_string_append(s, r->has_q ? "---|\n" : "\n");
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        g_string_append_printf(s, "| %s | ", g->task);
        fmt_budget(s, g->budget);
        g_string_append_printf(s, " | %s | %u | ", g->method, g->runs->len);
        fmt_mean_std(s, g->final_mean, g->final_std);
        g_string_append(s, " | ");
        fmt_mean_std(s, g->auc_mean, g->auc_std);
        if (r->has_q) {
            g_string_append(s, " | ");
            if (g->q_n)
                fmt_mean_std(s, g->q_mean, g->q_std);
            else
                g_string_append(s, "–");
        }
        g_string_append(s, " | ");
        fmt_given(s, g);
        g_string_append(s, " |\n");
    }
    return g_string_free(s, FALSE);
}

/* RFC 4180 field */
static void csv_field(GString *s, const char *v, gboolean last)
{
    if (v && strpbrk(v, ",\"\n")) {
        g_string_append_c(s, '"');
        for (const char *c = v; *c; c++) {
            if (*c == '"')
                g_string_append_c(s, '"');
            g_string_append_c(s, *c);
        }
        g_string_append_c(s, '"');
    } else if (v) {
        g_string_append(s, v);
    }
    g_string_append_c(s, last ? '\n' : ',');
}

static void csv_num(GString *s, double v, gboolean last)
{
    if (isfinite(v))
        g_string_append_printf(s, "%.9g", v);
    g_string_append_c(s, last ? '\n' : ',');
}

static char *seeds_of(const Group *g)
{
    GString *s = g_string_new(NULL);
    for (guint j = 0; j < g->runs->len; j++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, j ? " " : "",
                               ((const Run *)g->runs->pdata[j])->seed);
    return g_string_free(s, FALSE);
}

static char *summary_csv(const PrefrlReport *r)
{
    GString *s = g_string_new("task,method,reward,agent,sampler,teacher,max_feedback,metric,n,"
                              "seeds,final_mean,final_std,auc_mean,auc_std,q_metric,q_mean,"
                              "q_std,q_n,settings,labels_given_min,labels_given_max\n");
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        const Run *r0 = g->runs->pdata[0];
        csv_field(s, g->task, FALSE);
        csv_field(s, g->method, FALSE);
        csv_field(s, r0->reward, FALSE);
        csv_field(s, r0->agent, FALSE);
        csv_field(s, r0->labels ? r0->sampler : NULL, FALSE);
        csv_field(s, r0->labels ? r0->teacher : NULL, FALSE);
        if (g->budget >= 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT, g->budget);
        g_string_append_c(s, ',');
        csv_field(s, g->metric, FALSE);
        g_string_append_printf(s, "%u,", g->runs->len);
        char *seeds = seeds_of(g);
        csv_field(s, seeds, FALSE);
        g_free(seeds);
        csv_num(s, g->final_mean, FALSE);
        csv_num(s, g->final_std, FALSE);
        csv_num(s, g->auc_mean, FALSE);
        csv_num(s, g->auc_std, FALSE);
        csv_field(s, g->q_n ? (r->q_scaled ? "q_nmse" : "q_mse") : NULL, FALSE);
        csv_num(s, g->q_mean, FALSE);
        csv_num(s, g->q_std, FALSE);
        g_string_append_printf(s, "%d,", g->q_n);
        csv_field(s, g->settings, FALSE);
        csv_num(s, g->given_lo, FALSE);
        csv_num(s, g->given_hi, TRUE);
    }
    return g_string_free(s, FALSE);
}

/* what the second Q table measures */
#define Q_TRUE_NOTE                                                                             \
    "Against the true value: the same error with G replaced by the discounted return of "     \
    "the evaluated policy followed past the episode's time limit until γ^k < 1e-4 (SAC "      \
    "bootstraps through time limits, so the truncated G above charges a good critic for "    \
    "each episode's last ~1/(1−γ) steps).\n"

/* rows (task, budget when it varies) × method columns, as in the paper's Table 1:
 * *md against G truncated at the time limit, *md_true against the true value
 * (NULL when no run logged it), *csv both */
static void q_tables(const PrefrlReport *r, char **md, char **md_true, char **csv)
{
    GPtrArray *methods = g_ptr_array_new();
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        gboolean seen = FALSE;
        for (guint j = 0; j < methods->len && !seen; j++)
            seen = !strcmp(methods->pdata[j], g->method);
        if (g->q_n && !seen)
            g_ptr_array_add(methods, g->method);
    }
    g_ptr_array_sort(methods, str_ptr_cmp);
    GString *m = g_string_new("| task | labels |");
    for (guint j = 0; j < methods->len; j++)
        g_string_append_printf(m, " %s |", (char *)methods->pdata[j]);
    g_string_append(m, "\n|---|---|");
    for (guint j = 0; j < methods->len; j++)
        g_string_append(m, "---|");
    g_string_append_c(m, '\n');
    GString *mt = g_string_new(m->str); /* the same header */
    GString *c = g_string_new(NULL);
    const char *q = r->q_scaled ? "q_nmse" : "q_mse";
    g_string_printf(c, "task,max_feedback,method,n,%s_mean,%s_std,n_true,%s_true_mean,%s_true_std\n",
                    q, q, q, q);
    /* one row per task and labelled budget; label-free methods repeat in each */
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *row = r->groups->pdata[i];
        if (i > 0) {
            const Group *prev = r->groups->pdata[i - 1];
            if (!strcmp(prev->task, row->task) && prev->budget == row->budget)
                continue;
        }
        gboolean labelled_exists = FALSE;
        for (guint k = 0; k < r->groups->len && !labelled_exists; k++) {
            const Group *g = r->groups->pdata[k];
            labelled_exists = !strcmp(g->task, row->task) && g->budget >= 0 && g->q_n;
        }
        if (row->budget < 0 && labelled_exists)
            continue; /* shown in the labelled rows */
        g_string_append_printf(m, "| %s | ", row->task);
        fmt_budget(m, row->budget);
        g_string_append(m, " |");
        g_string_append_printf(mt, "| %s | ", row->task);
        fmt_budget(mt, row->budget);
        g_string_append(mt, " |");
        for (guint j = 0; j < methods->len; j++) {
            const Group *cell = NULL;
            for (guint k = 0; k < r->groups->len && !cell; k++) {
                const Group *g = r->groups->pdata[k];
                if (!strcmp(g->task, row->task) && !strcmp(g->method, methods->pdata[j]) &&
                    (g->budget == row->budget || g->budget < 0) && g->q_n)
                    cell = g;
            }
            g_string_append_c(m, ' ');
            g_string_append_c(mt, ' ');
            if (cell && cell->qt_n) {
                fmt_mean_std(mt, cell->qt_mean, cell->qt_std);
                g_string_append_printf(mt, " (%d)", cell->qt_n);
            } else {
                g_string_append(mt, "–");
            }
            g_string_append(mt, " |");
            if (cell) {
                fmt_mean_std(m, cell->q_mean, cell->q_std);
                g_string_append_printf(m, " (%d)", cell->q_n);
                csv_field(c, cell->task, FALSE);
                if (cell->budget >= 0)
                    g_string_append_printf(c, "%" G_GINT64_FORMAT, cell->budget);
                g_string_append_c(c, ',');
                csv_field(c, cell->method, FALSE);
                g_string_append_printf(c, "%d,", cell->q_n);
                csv_num(c, cell->q_mean, FALSE);
                csv_num(c, cell->q_std, FALSE);
                g_string_append_printf(c, "%d,", cell->qt_n);
                csv_num(c, cell->qt_mean, FALSE);
                csv_num(c, cell->qt_std, TRUE);
            } else {
                g_string_append(m, "–");
            }
            g_string_append(m, " |");
        }
        g_string_append_c(m, '\n');
        g_string_append_c(mt, '\n');
    }
    g_ptr_array_unref(methods);
    *md = g_string_free(m, FALSE);
    *md_true = r->has_q_true ? g_string_free(mt, FALSE) : (g_string_free(mt, TRUE), NULL);
    *csv = g_string_free(c, FALSE);
}

/* ---- figures ------------------------------------------------------------------------- */

static int double_cmp(gconstpointer a, gconstpointer b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* a 95 % percentile bootstrap interval of the mean of v[0..k-1] (2000
 * resamples from a fixed seed, so a report is reproducible); `rng` (reseeded
 * here) and `means` (BOOT_RESAMPLES) are the caller's scratch, reused over a
 * curve's points */
#define BOOT_RESAMPLES 2000
#define BOOT_SEED 20240601u
static void bootstrap_ci(const double *v, int k, GRand *rng, double *means, double *lo,
                         double *hi)
{
    if (k < 2) {
        *lo = *hi = k ? v[0] : NAN;
        return;
    }
    g_rand_set_seed(rng, BOOT_SEED);
    for (int b = 0; b < BOOT_RESAMPLES; b++) {
        double sum = 0;
        for (int i = 0; i < k; i++)
            sum += v[g_rand_int_range(rng, 0, k)];
        means[b] = sum / k;
    }
    qsort(means, BOOT_RESAMPLES, sizeof(double), double_cmp);
    *lo = means[(int)floor(0.025 * (BOOT_RESAMPLES - 1))];
    *hi = means[(int)ceil(0.975 * (BOOT_RESAMPLES - 1))];
}

/* The mean curve of a group: at each step any run logged, the mean over the
 * runs that logged it and the band's edges (± sample std, 0 with one run; or
 * the bootstrap interval).  x is the step, or with `x_labels` the mean of
 * the labels those runs had been given by then.  Arrays newly allocated. */
static int group_curve(const Group *g, const PrefrlReportOptions *opt, double **x,
                       double **mean, double **lo, double **hi)
{
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint j = 0; j < g->runs->len; j++) {
        const Run *r = g->runs->pdata[j];
        g_array_append_vals(steps, r->step, (guint)r->n);
    }
    g_array_sort(steps, double_cmp);
    guint cap = MAX(steps->len, 1u);
    *x = g_new(double, cap);
    *mean = g_new(double, cap);
    *lo = g_new(double, cap);
    *hi = g_new(double, cap);
    double *vals = g_new(double, g->runs->len), *given = g_new(double, g->runs->len);
    guint *at = g_new0(guint, g->runs->len); /* each run's next row: steps increase */
    gboolean ci = opt->band == PREFRL_REPORT_BAND_CI;
    GRand *rng = ci ? g_rand_new_with_seed(BOOT_SEED) : NULL;
    double *means = ci ? g_new(double, BOOT_RESAMPLES) : NULL;
    int n = 0;
    double last = NAN;
    for (guint i = 0; i < steps->len; i++) {
        double s = g_array_index(steps, double, i);
        if (i > 0 && last == s)
            continue;
        last = s;
        int k = 0;
        for (guint j = 0; j < g->runs->len; j++) {
            const Run *r = g->runs->pdata[j];
            while (at[j] < (guint)r->n && r->step[at[j]] < s)
                at[j]++;
            if (at[j] < (guint)r->n && r->step[at[j]] == s) {
                given[k] = r->given[at[j]];
                vals[k++] = r->value[at[j]];
            }
        }
        double m, sd, gm, gsd;
        mean_std(vals, k, &m, &sd, NULL);
        mean_std(given, k, &gm, &gsd, NULL);
        (*x)[n] = opt->x_labels ? gm : s;
        (*mean)[n] = m;
        if (ci) {
            bootstrap_ci(vals, k, rng, means, &(*lo)[n], &(*hi)[n]);
        } else {
            sd = isfinite(sd) ? sd : 0.0;
            (*lo)[n] = m - sd;
            (*hi)[n] = m + sd;
        }
        n++;
    }
    g_free(at);
    g_free(means);
    if (rng)
        g_rand_free(rng);
    g_free(vals);
    g_free(given);
    g_array_unref(steps);
    return n;
}

/* "3 seeds", or "2–3 seeds" when groups of one label differ */
static char *legend_label(const PrefrlReport *r, const char *method)
{
    guint lo = G_MAXUINT, hi = 0;
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        if (!strcmp(g->method, method)) {
            lo = MIN(lo, g->runs->len);
            hi = MAX(hi, g->runs->len);
        }
    }
    return lo == hi ? g_strdup_printf("%s · %u seed%s", method, lo, lo == 1 ? "" : "s")
                    : g_strdup_printf("%s · %u–%u seeds", method, lo, hi);
}

static void add_curve(const PrefrlReport *r, PrefrlPanel *p, const Group *g)
{
    char *label = legend_label(r, g->method);
    if (r->opt.x_labels && g->budget < 0) {
        /* no labels to plot against: the final performance as a reference */
        double x0 = 0, sd = isfinite(g->final_std) ? g->final_std : 0.0;
        prefrl_panel_add_series(p, label, PREFRL_SERIES_HLINE, 1, &x0, &g->final_mean, &sd);
        g_free(label);
        return;
    }
    double *x, *m, *lo, *hi;
    int n = group_curve(g, &r->opt, &x, &m, &lo, &hi);
    prefrl_panel_add_series_band(p, label, PREFRL_SERIES_BAND, n, x, m, lo, hi);
    if (!r->opt.x_labels && g->budget >= 0) {
        /* the query rounds of the group's runs, each step once */
        GArray *steps = g_array_new(FALSE, FALSE, sizeof(double));
        for (guint j = 0; j < g->runs->len; j++) {
            const Run *run = g->runs->pdata[j];
            g_array_append_vals(steps, run->rounds->data, run->rounds->len);
        }
        g_array_sort(steps, double_cmp);
        guint k = 0;
        for (guint j = 0; j < steps->len; j++)
            if (!k || g_array_index(steps, double, j) != g_array_index(steps, double, k - 1))
                g_array_index(steps, double, k++) = g_array_index(steps, double, j);
        prefrl_panel_add_x_marks(p, label, (int)k, (const double *)steps->data);
        g_array_unref(steps);
    }
    g_free(label);
    g_free(x);
    g_free(m);
    g_free(lo);
    g_free(hi);
}

/* " · budget 100 · 30 given" (the labels the runs were actually given, from
 * their reward.csv, may fall short of the budget) */
static void title_budget(GString *title, const PrefrlReport *r, const char *task, gint64 budget)
{
    double lo = NAN, hi = NAN;
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        if (strcmp(g->task, task) || g->budget != budget || isnan(g->given_lo))
            continue;
        lo = isnan(lo) ? g->given_lo : MIN(lo, g->given_lo);
        hi = isnan(hi) ? g->given_hi : MAX(hi, g->given_hi);
    }
    g_string_append_printf(title, " · budget %" G_GINT64_FORMAT, budget);
    if (isnan(lo))
        return;
    g_string_append(title, " · ");
    fmt_count_range(title, lo, hi);
    g_string_append(title, " given");
}

/* what the learning curves' figure title says: the line and the band */
static const char *band_title(const PrefrlReportOptions *opt)
{
    return opt->band == PREFRL_REPORT_BAND_CI
               ? "line: mean of seeds · band: 95 % bootstrap CI"
               : "line: mean of seeds · band: ± 1 std";
}

/* tasks in order, and each task's labelled budgets in increasing order */
static GPtrArray *task_list(const PrefrlReport *r)
{
    GPtrArray *tasks = g_ptr_array_new();
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        if (!tasks->len || strcmp(g_ptr_array_index(tasks, tasks->len - 1), g->task))
            g_ptr_array_add(tasks, g->task);
    }
    return tasks;
}

static GArray *budgets_of(const PrefrlReport *r, const char *task)
{
    GArray *b = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        if (strcmp(g->task, task) || g->budget < 0)
            continue;
        if (!b->len || g_array_index(b, gint64, b->len - 1) != g->budget)
            g_array_append_val(b, g->budget);
    }
    return b;
}

/* the learning curves; each panel's title is appended to `titles` (char*) */
static PrefrlFigure *curves_figure(const PrefrlReport *r, GPtrArray *titles)
{
    GPtrArray *tasks = task_list(r);
    int cols = 1;
    if (r->budgets_vary) {
        for (guint t = 0; t < tasks->len; t++) {
            GArray *b = budgets_of(r, tasks->pdata[t]);
            cols = MAX(cols, (int)b->len);
            g_array_unref(b);
        }
    } else {
        cols = MIN((int)tasks->len, 3);
    }
    PrefrlFigure *fig = prefrl_figure_new(band_title(&r->opt), cols);
    const char *xlabel = r->opt.x_labels ? "preference labels given" : "environment steps";
    for (guint t = 0; t < tasks->len; t++) {
        const char *task = tasks->pdata[t];
        GArray *b = budgets_of(r, task);
        int panels = r->budgets_vary ? MAX((int)b->len, 1) : 1;
        for (int k = 0; k < panels; k++) {
            GString *title = g_string_new(task);
            gint64 budget = b->len ? g_array_index(b, gint64, r->budgets_vary ? k : 0) : -1;
            if (b->len == 1 || (r->budgets_vary && b->len))
                title_budget(title, r, task, budget);
            PrefrlPanel *p = NULL;
            for (guint i = 0; i < r->groups->len; i++) {
                const Group *g = r->groups->pdata[i];
                if (strcmp(g->task, task))
                    continue;
                if (r->budgets_vary && b->len && g->budget >= 0 && g->budget != budget)
                    continue;
                if (!p)
                    p = metric_panel(fig, title->str, xlabel, "", g->metric,
                                     data_min(r, task, r->budgets_vary ? budget : ANY_BUDGET));
                add_curve(r, p, g);
            }
            g_ptr_array_add(titles, g_string_free(title, FALSE));
        }
        if (r->budgets_vary)
            for (int k = panels; k < cols; k++)
                prefrl_figure_skip_panel(fig);
        g_array_unref(b);
    }
    g_ptr_array_unref(tasks);
    return fig;
}

/* final performance against the label budget, one panel per task whose
 * budgets vary; label-free methods as dashed references */
static PrefrlFigure *budget_figure(const PrefrlReport *r)
{
    GPtrArray *tasks = task_list(r);
    int n_panels = 0;
    for (guint t = 0; t < tasks->len; t++) {
        GArray *b = budgets_of(r, tasks->pdata[t]);
        n_panels += b->len > 1;
        g_array_unref(b);
    }
    PrefrlFigure *fig = prefrl_figure_new("points: mean of seeds · bars: ± 1 std", MIN(n_panels, 3));
    for (guint t = 0; t < tasks->len; t++) {
        const char *task = tasks->pdata[t];
        GArray *b = budgets_of(r, task);
        if (b->len < 2) {
            g_array_unref(b);
            continue;
        }
        const Group *first = NULL;
        for (guint i = 0; i < r->groups->len && !first; i++)
            if (!strcmp(((const Group *)r->groups->pdata[i])->task, task))
                first = r->groups->pdata[i];
        PrefrlPanel *p = metric_panel(fig, task, "label budget (max_feedback)", "final ",
                                      first->metric, data_min(r, task, ANY_BUDGET));
        double *ticks = g_new(double, b->len);
        for (guint k = 0; k < b->len; k++)
            ticks[k] = (double)g_array_index(b, gint64, k);
        gint64 lo = g_array_index(b, gint64, 0), hi = g_array_index(b, gint64, b->len - 1);
        prefrl_panel_set_log_x(p, lo > 0 && hi >= 10 * lo);
        prefrl_panel_set_x_ticks(p, ticks, (int)b->len);
        g_free(ticks);
        /* one series per method over the budgets it has */
        GPtrArray *done = g_ptr_array_new();
        for (guint i = 0; i < r->groups->len; i++) {
            const Group *g = r->groups->pdata[i];
            gboolean seen = FALSE;
            for (guint j = 0; j < done->len && !seen; j++)
                seen = !strcmp(done->pdata[j], g->method);
            if (strcmp(g->task, task) || seen)
                continue;
            g_ptr_array_add(done, g->method);
            if (g->budget < 0) {
                double sd = isfinite(g->final_std) ? g->final_std : 0.0;
                double x0 = (double)lo;
                char *label = legend_label(r, g->method);
                prefrl_panel_add_series(p, label, PREFRL_SERIES_HLINE, 1, &x0, &g->final_mean,
                                        &sd);
                g_free(label);
                continue;
            }
            GArray *x = g_array_new(FALSE, FALSE, sizeof(double));
            GArray *m = g_array_new(FALSE, FALSE, sizeof(double));
            GArray *sd = g_array_new(FALSE, FALSE, sizeof(double));
            for (guint k = i; k < r->groups->len; k++) {
                const Group *h = r->groups->pdata[k];
                if (strcmp(h->task, task) || strcmp(h->method, g->method))
                    continue;
                double bx = (double)h->budget, s = isfinite(h->final_std) ? h->final_std : 0.0;
                g_array_append_val(x, bx);
                g_array_append_val(m, h->final_mean);
                g_array_append_val(sd, s);
            }
            char *label = legend_label(r, g->method);
            prefrl_panel_add_series(p, label, PREFRL_SERIES_POINTS, (int)x->len,
                                    (double *)x->data, (double *)m->data, (double *)sd->data);
            g_free(label);
            g_array_unref(x);
            g_array_unref(m);
            g_array_unref(sd);
        }
        g_ptr_array_unref(done);
        g_array_unref(b);
    }
    g_ptr_array_unref(tasks);
    return fig;
}

/* ---- output -------------------------------------------------------------------------- */

static gboolean put(const char *dir, const char *name, const char *text, GPtrArray *written,
                    GError **error)
{
    char *path = g_build_filename(dir, name, NULL);
    gboolean ok = prefrl_write_file_atomic(path, text, strlen(text), error);
    g_free(path);
    if (ok && written)
        g_ptr_array_add(written, g_strdup(name));
    return ok;
}

static gboolean save_figure(PrefrlFigure *fig, const char *dir, const char *stem,
                            GPtrArray *written, GError **error)
{
    char *png_name = g_strconcat(stem, ".png", NULL), *svg_name = g_strconcat(stem, ".svg", NULL);
    char *png = g_build_filename(dir, png_name, NULL), *svg = g_build_filename(dir, svg_name, NULL);
    gboolean ok = prefrl_figure_save(fig, png, svg, error);
    if (ok && written) {
        g_ptr_array_add(written, png_name);
        g_ptr_array_add(written, svg_name);
    } else {
        g_free(png_name);
        g_free(svg_name);
    }
    g_free(png);
    g_free(svg);
    prefrl_figure_free(fig);
    return ok;
}

gboolean prefrl_report_write(const PrefrlReport *r, const char *out_dir, GPtrArray *written,
                             GError **error)
{
    if (g_mkdir_with_parents(out_dir, 0755) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", out_dir,
                    g_strerror(errno));
        return FALSE;
    }
    char *summary = prefrl_report_summary_markdown(r);
    char *csv = summary_csv(r);
    char *q_md = NULL, *q_md_true = NULL, *q_csv = NULL;
    GPtrArray *titles = g_ptr_array_new_with_free_func(g_free); /* the curves' panels */
    if (r->has_q)
        q_tables(r, &q_md, &q_md_true, &q_csv);
    if (q_md_true) {
        /* q_accuracy.md: both tables, the truncated target's first */
        char *both = g_strconcat(q_md, "\n", Q_TRUE_NOTE, "\n", q_md_true, NULL);
        g_free(q_md);
        q_md = both;
    }
    gboolean ok = put(out_dir, "summary.md", summary, written, error) &&
                  put(out_dir, "summary.csv", csv, written, error) &&
                  (!r->has_q || (put(out_dir, "q_accuracy.md", q_md, written, error) &&
                                 put(out_dir, "q_accuracy.csv", q_csv, written, error))) &&
                  save_figure(curves_figure(r, titles), out_dir, "curves", written, error) &&
                  (!r->budgets_vary ||
                   save_figure(budget_figure(r), out_dir, "budget", written, error));
    GPtrArray *strips = g_ptr_array_new_with_free_func(g_free); /* per group: its PNG or NULL */
    for (guint i = 0; ok && i < r->groups->len; i++) {
        const Group *g = r->groups->pdata[i];
        char *name = NULL;
        if (g->n_frames > 0) {
            char *slug = g_strdup_printf("%s-%s", g->task, g->method);
            for (char *c = slug; *c; c++)
                if (!g_ascii_isalnum(*c) && !strchr("._=-", *c))
                    *c = '_';
            name = g_strdup_printf("frames-%02u-%s.png", i + 1, slug);
            g_free(slug);
            char *path = g_build_filename(out_dir, name, NULL);
            ok = prefrl_strip_save((const guint8 *const *)g->frames,
                                   (const char *const *)g->captions, g->n_frames, g->frame_w,
                                   g->frame_h, path, error);
            g_free(path);
            if (ok && written)
                g_ptr_array_add(written, g_strdup(name));
        }
        g_ptr_array_add(strips, name);
    }
    if (ok) {
        GString *md = g_string_new("# prefrl report\n\n");
        g_string_append_printf(md, "%u runs from", r->runs->len);
        for (guint i = 0; i < r->dirs->len; i++)
            g_string_append_printf(md, " `%s`", (char *)r->dirs->pdata[i]);
        g_string_append(md, ". Runs are pooled as seeds of one group only when every recipe "
                            "setting is equal (seed, name, out_dir, thread counts and other "
                            "per-run keys aside); a group's label names the settings that "
                            "set it apart from the groups of the same method, task and label "
                            "budget");
        if (r->varied->len) {
            g_string_append(md, " (here:");
            for (guint i = 0; i < r->varied->len; i++)
                g_string_append_printf(md, "%s `%s`", i ? "," : "", (char *)r->varied->pdata[i]);
            g_string_append(md, ")");
        }
        g_string_append(md, ".\n\n## Learning curves\n\n![learning curves](curves.png)\n\n");
        g_string_append(md, r->opt.band == PREFRL_REPORT_BAND_CI
                                ? "Line: mean across the seeds of each group (their number is "
                                  "in the legend); shaded: a 95 % percentile bootstrap "
                                  "confidence interval of that mean (2000 resamples of the "
                                  "seeds; none with one seed)"
                                : "Line: mean across the seeds of each group (their number is "
                                  "in the legend); shaded: ± one sample standard deviation "
                                  "across those seeds (none with one seed)");
        g_string_append(md, r->opt.x_labels
                                ? "; x: the preference labels the runs had been given by each "
                                  "evaluation (mean over the seeds; methods without labels "
                                  "dashed at their final value)"
                                : "; x: environment steps, the ticks along a panel's top "
                                  "edge marking the query rounds that brought labels (from "
                                  "the runs' reward.csv)");
        g_string_append(md, "; y: the true episode return (DMC) or success rate in % "
                            "(Meta-world) of the deterministic evaluation episodes, kept "
                            "within 0-100 % and, when no run logged a negative return, "
                            "above 0. Panel titles give the label budget (max_feedback) and "
                            "the labels the runs were actually given (reward.csv).\n\n");
        g_string_append(md, "Panels:");
        for (guint i = 0; i < titles->len; i++)
            g_string_append_printf(md, "%s *%s*", i ? ";" : "", (char *)titles->pdata[i]);
        g_string_append(md, ".\n\n## Summary\n\n");
        g_string_append(md, summary);
        g_string_append(md, "\n*final*: the last evaluation of each run; *AUC*: area under "
                            "its evaluation curve divided by the step span (its average "
                            "height); mean ± sample std (n − 1) over the n runs; *labels*: "
                            "the budget, trainer.max_feedback (– for a reward that takes no "
                            "labels); *given*: the labels the runs were given (their "
                            "reward.csv), which a run may end short of its budget. "
                            "The same numbers at full precision are in summary.csv.\n");
        g_string_append(md, "\n## Groups\n\n| task | labels | group | seeds | runs |\n"
                            "|---|---|---|---|---|\n");
        for (guint i = 0; i < r->groups->len; i++) {
            const Group *g = r->groups->pdata[i];
            char *seeds = seeds_of(g);
            g_string_append_printf(md, "| %s | ", g->task);
            fmt_budget(md, g->budget);
            g_string_append_printf(md, " | %s | %s |", g->method, seeds);
            for (guint j = 0; j < g->runs->len; j++)
                g_string_append_printf(md, " `%s`", ((const Run *)g->runs->pdata[j])->dir);
            g_string_append(md, " |\n");
            g_free(seeds);
        }
        if (r->budgets_vary)
            g_string_append(md, "\n## Label budgets\n\n![final performance against label "
                                "budget](budget.png)\n\nFinal performance (mean ± std "
                                "across seeds) per label budget; dashed: methods without "
                                "labels.\n");
        if (r->has_q) {
            g_string_append(md, "\n## Q-function accuracy (the paper's Table 1)\n\n");
            g_string_append(md,
                            r->q_scaled
                                ? "`q_nmse`: mean squared error between the critic's Q(s, a) "
                                  "and the discounted true return G over the evaluation "
                                  "episodes, both standardised over those steps (= 2(1 − "
                                  "Pearson r)), so a learned reward's arbitrary scale and "
                                  "offset do not count; at the last evaluation; mean ± std "
                                  "(n runs).\n\n"
                                : "`q_mse`: mean squared error between the critic's Q(s, a) "
                                  "and the discounted true return over the evaluation "
                                  "episodes, at the last evaluation, on each reward's own "
                                  "scale (these runs predate the scale-free q_nmse); mean ± "
                                  "std (n runs).\n\n");
            g_string_append(md, q_md);
        }
        gboolean any_frames = FALSE;
        for (guint i = 0; i < r->groups->len; i++) {
            const Group *g = r->groups->pdata[i];
            if (!strips->pdata[i] && !g->frames_note)
                continue;
            if (!any_frames)
                g_string_append(md, "\n## What the agents do\n\nFrames of one evaluation "
                                    "episode of each group's final agent (the run of its "
                                    "lowest seed, its saved agent played deterministically "
                                    "as `prefrl render` does), evenly spaced from the reset "
                                    "to the time limit.\n");
            any_frames = TRUE;
            g_string_append_printf(md, "\n### %s · %s\n\n", g->task, g->method);
            if (strips->pdata[i])
                g_string_append_printf(md, "![%s, %s](%s)\n\n`%s`\n", g->task, g->method,
                                       (char *)strips->pdata[i],
                                       prefrl_report_group_first_run(r, i));
            else
                g_string_append_printf(md, "No frames: %s\n", g->frames_note);
        }
        if (r->warnings->len) {
            g_string_append(md, "\n## Notes\n\n");
            for (guint i = 0; i < r->warnings->len; i++)
                g_string_append_printf(md, "- %s\n", (char *)r->warnings->pdata[i]);
        }
        ok = put(out_dir, "report.md", md->str, written, error);
        g_string_free(md, TRUE);
    }
    g_ptr_array_unref(strips);
    g_ptr_array_unref(titles);
    g_free(summary);
    g_free(csv);
    g_free(q_md);
    g_free(q_md_true);
    g_free(q_csv);
    return ok;
}
