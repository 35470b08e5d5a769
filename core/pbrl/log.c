/* Metrics: B-Pref's logger semantics.  Every logged value is accumulated per
 * key; a dump writes the mean since the previous dump.  The CSV header is the
 * alphabetically sorted columns of the first row written, so files line up
 * with B-Pref's and existing plotting scripts read them. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include "pbrl/log.h"

typedef struct {
    double sum;
    long n;
} Meter;

typedef struct {
    FILE *csv;
    char *path;           /* the CSV's name in messages (NULL: "a CSV file") */
    GHashTable *meters;   /* column → Meter* */
    GPtrArray *header;    /* columns, fixed at the first dump */
} Group;

struct PrefrlLog {
    Group train, eval;
    GHashTable *columns;  /* key → its column (both owned): computed once per key */
    double threshold;     /* divergence: |value| above it (INFINITY: non-finite only) */
    char *bad_column;     /* the first diverged value's column, NULL while none */
    double bad_value;
};

static void group_init(Group *g, FILE *csv)
{
    g->csv = csv;
    g->path = NULL;
    g->meters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g->header = NULL;
}

static void group_clear(Group *g)
{
    g_hash_table_unref(g->meters);
    g_free(g->path);
    if (g->header)
        g_ptr_array_unref(g->header);
}

PrefrlLog *prefrl_log_new(FILE *train_csv, FILE *eval_csv)
{
    PrefrlLog *log = g_new0(PrefrlLog, 1);
    group_init(&log->train, train_csv);
    group_init(&log->eval, eval_csv);
    log->columns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    log->threshold = PREFRL_LOG_DIVERGENCE_DEFAULT;
    return log;
}

void prefrl_log_set_paths(PrefrlLog *log, const char *train_path, const char *eval_path)
{
    g_free(log->train.path);
    g_free(log->eval.path);
    log->train.path = g_strdup(train_path);
    log->eval.path = g_strdup(eval_path);
}

void prefrl_log_set_divergence(PrefrlLog *log, double threshold)
{
    log->threshold = threshold;
}

gboolean prefrl_log_diverged(const PrefrlLog *log, const char **column, double *value)
{
    if (!log || !log->bad_column)
        return FALSE;
    if (column)
        *column = log->bad_column;
    if (value)
        *value = log->bad_value;
    return TRUE;
}

/* the values the divergence guard watches: losses and SAC's temperature
 * (train_critic/loss → critic_loss, train_alpha/value → alpha_value); other
 * metrics may legitimately be large or undefined */
static gboolean watched(const char *col)
{
    return g_str_has_suffix(col, "loss") || !strcmp(col, "alpha_value");
}

void prefrl_log_free(PrefrlLog *log)
{
    if (!log)
        return;
    group_clear(&log->train);
    group_clear(&log->eval);
    g_hash_table_unref(log->columns);
    g_free(log->bad_column);
    g_free(log);
}

char *prefrl_log_column(const char *key)
{
    const char *slash = strchr(key, '/');
    GString *col = g_string_new(NULL);
    if (g_str_has_prefix(key, "eval/")) {
        g_string_append(col, key + 5);
    } else if (g_str_has_prefix(key, "train") && slash) {
        /* "train" plus one character dropped: train/x → x, train_y/x → y_x */
        const char *rest = key + 6;
        if (rest < slash + 1)
            g_string_append_len(col, rest, slash - rest), g_string_append_c(col, '_');
        g_string_append(col, slash + 1);
    } else {
        g_string_append(col, key);
    }
    for (char *c = col->str; *c; c++)
        if (*c == '/')
            *c = '_';
    return g_string_free(col, FALSE);
}

void prefrl_log_scalar(PrefrlLog *log, const char *key, double value)
{
    if (!log)
        return;
    Group *g = g_str_has_prefix(key, "eval/") ? &log->eval : &log->train;
    /* the column of a key seen before costs a lookup, no allocation */
    const char *col = g_hash_table_lookup(log->columns, key);
    if (!col) {
        char *fresh = prefrl_log_column(key);
        g_hash_table_insert(log->columns, g_strdup(key), fresh);
        col = fresh;
    }
    if (!log->bad_column && watched(col) &&
        (!isfinite(value) || fabs(value) > log->threshold)) {
        /* the first diverged value; the trainer stops at its next check */
        log->bad_column = g_strdup(col);
        log->bad_value = value;
    }
    Meter *m = g_hash_table_lookup(g->meters, col);
    if (!m) {
        m = g_new0(Meter, 1);
        g_hash_table_insert(g->meters, g_strdup(col), m);
    }
    m->sum += value;
    m->n++;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean group_dump(Group *g, int64_t step, GError **error)
{
    errno = 0; /* a failed write below sets it; a stale one must not name the cause */
    if (!g->header) {
        g->header = g_ptr_array_new_with_free_func(g_free);
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, g->meters);
        while (g_hash_table_iter_next(&it, &k, NULL))
            if (strcmp(k, "step"))
                g_ptr_array_add(g->header, g_strdup(k));
        g_ptr_array_add(g->header, g_strdup("step"));
        g_ptr_array_sort(g->header, cmp_str);
        if (g->csv)
            for (guint i = 0; i < g->header->len; i++)
                fprintf(g->csv, "%s%s", i ? "," : "", (char *)g->header->pdata[i]);
        if (g->csv)
            fputc('\n', g->csv);
    }
    if (g->csv) {
        for (guint i = 0; i < g->header->len; i++) {
            const char *col = g->header->pdata[i];
            if (i)
                fputc(',', g->csv);
            if (!strcmp(col, "step")) {
                fprintf(g->csv, "%lld", (long long)step);
                continue;
            }
            Meter *m = g_hash_table_lookup(g->meters, col);
            fprintf(g->csv, "%.9g", m && m->n ? m->sum / (double)m->n : 0.0);
        }
        fputc('\n', g->csv);
        if (fflush(g->csv) != 0 || ferror(g->csv)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s",
                        g->path ? g->path : "a CSV file", g_strerror(errno ? errno : EIO));
            return FALSE;
        }
    }
    g_hash_table_remove_all(g->meters);
    return TRUE;
}

gboolean prefrl_log_dump_train(PrefrlLog *log, int64_t step, GError **error)
{
    return group_dump(&log->train, step, error);
}

gboolean prefrl_log_dump_eval(PrefrlLog *log, int64_t step, GError **error)
{
    return group_dump(&log->eval, step, error);
}

void prefrl_log_discard_train(PrefrlLog *log)
{
    g_hash_table_remove_all(log->train.meters);
}

double prefrl_log_peek(PrefrlLog *log, const char *key)
{
    Group *g = g_str_has_prefix(key, "eval/") ? &log->eval : &log->train;
    char *col = prefrl_log_column(key);
    Meter *m = g_hash_table_lookup(g->meters, col);
    g_free(col);
    return m && m->n ? m->sum / (double)m->n : NAN;
}

/* ---- checkpoints: the header and the meters not yet dumped ---- */

static void group_save(const Group *g, PrefrlCkpt *c)
{
    prefrl_ckpt_put_i64(c, g->header ? (int64_t)g->header->len : -1);
    for (guint i = 0; g->header && i < g->header->len; i++)
        prefrl_ckpt_put_str(c, g->header->pdata[i]);
    prefrl_ckpt_put_i64(c, g_hash_table_size(g->meters));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, g->meters);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const Meter *m = v;
        prefrl_ckpt_put_str(c, k);
        prefrl_ckpt_put_f64(c, m->sum);
        prefrl_ckpt_put_i64(c, m->n);
    }
}

static void group_load(Group *g, PrefrlCkpt *c)
{
    if (g->header)
        g_clear_pointer(&g->header, g_ptr_array_unref);
    g_hash_table_remove_all(g->meters);
    int64_t n = prefrl_ckpt_get_count(c, -1, 100000, "the number of CSV columns");
    if (n >= 0 && !c->error) {
        g->header = g_ptr_array_new_with_free_func(g_free);
        for (int64_t i = 0; i < n && !c->error; i++) {
            char *col = prefrl_ckpt_get_str(c);
            if (col)
                g_ptr_array_add(g->header, col);
        }
    }
    n = prefrl_ckpt_get_count(c, 0, 100000, "the number of pending metrics");
    for (int64_t i = 0; i < n && !c->error; i++) {
        char *col = prefrl_ckpt_get_str(c);
        Meter *m = g_new0(Meter, 1);
        m->sum = prefrl_ckpt_get_f64(c);
        m->n = (long)prefrl_ckpt_get_i64(c);
        if (col)
            g_hash_table_replace(g->meters, col, m);
        else
            g_free(m);
    }
}

void prefrl_log_save(const PrefrlLog *log, PrefrlCkpt *c)
{
    group_save(&log->train, c);
    group_save(&log->eval, c);
}

void prefrl_log_load(PrefrlLog *log, PrefrlCkpt *c)
{
    group_load(&log->train, c);
    group_load(&log->eval, c);
}
