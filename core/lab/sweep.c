/* Sweeps: grid files expanded into cells, each validated up front and run
 * as its own `prefrl run` process, a few at a time, with one progress line.
 * The format is described in sweep.h. */
#define _GNU_SOURCE /* pipe2 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/rundir.h"
#include "lab/sweep.h"
#include "pbrl/trainer.h"

#define MAX_CELLS 100000        /* a grid larger than this is surely a mistake */
#define STDERR_KEEP (64 * 1024) /* bytes of a cell's stderr kept in stderr.txt */
#define TAIL_LINES 8            /* lines of it shown when the cell fails */

typedef struct {
    char *key;               /* as written: "path" or zipped "path1,path2" */
    char **paths;            /* key paths or template variable names (one unless zipped) */
    guint n_paths;
    gboolean *is_var;        /* paths[k] is used as {paths[k]} in the recipe template */
    const PrefrlNode *where; /* the axis in the grid (for locations) */
    GPtrArray *values;       /* PrefrlNode* (owned): scalars, ranges expanded; for a zipped
                              * axis, lists of n_paths scalars */
} Axis;

/* the scalar for paths[k] of value v */
static const PrefrlNode *part(const Axis *a, guint v, guint k)
{
    const PrefrlNode *n = a->values->pdata[v];
    return a->n_paths == 1 ? n : prefrl_node_at(n, k, NULL);
}

typedef struct {
    char *key;
    const PrefrlNode *value; /* in the grid tree */
} Setting;

struct PrefrlGrid {
    PrefrlNode *root;        /* the composed grid file */
    char *sweep_dir;
    GPtrArray *axes;         /* Axis* */
    GArray *set;             /* Setting */
    char **overrides;        /* the command line's key=value, after set: and the axes */
    GPtrArray *cells;        /* PrefrlGridCell* */
};

static void axis_free(gpointer p)
{
    Axis *a = p;
    g_free(a->key);
    g_strfreev(a->paths);
    g_free(a->is_var);
    g_ptr_array_unref(a->values);
    g_free(a);
}

static void cell_free(gpointer p)
{
    PrefrlGridCell *c = p;
    g_free(c->name);
    g_free(c->recipe);
    g_ptr_array_unref(c->overrides);
    prefrl_node_free(c->resolved);
    g_free(c);
}

static void setting_clear(gpointer p)
{
    g_free(((Setting *)p)->key);
}

void prefrl_grid_free(PrefrlGrid *g)
{
    if (!g)
        return;
    if (g->cells)
        g_ptr_array_unref(g->cells);
    if (g->axes)
        g_ptr_array_unref(g->axes);
    if (g->set)
        g_array_unref(g->set);
    g_strfreev(g->overrides);
    g_free(g->sweep_dir);
    prefrl_node_free(g->root);
    g_free(g);
}

const char *prefrl_grid_sweep_dir(const PrefrlGrid *g)
{
    return g->sweep_dir;
}

guint prefrl_grid_n_cells(const PrefrlGrid *g)
{
    return g->cells->len;
}

const PrefrlGridCell *prefrl_grid_cell(const PrefrlGrid *g, guint i)
{
    g_return_val_if_fail(i < g->cells->len, NULL);
    return g->cells->pdata[i];
}

/* ---- parsing ------------------------------------------------------------------------- */

/* "FILE:LINE:COL" of `node`'s key, without the prefix's ": ", to sit inside
 * parentheses (newly allocated) */
static char *where_bare(const PrefrlNode *node)
{
    char *w = prefrl_node_where(node, TRUE);
    g_strchomp(w);
    if (g_str_has_suffix(w, ":"))
        w[strlen(w) - 1] = 0;
    return w;
}

static gboolean fail_at(GError **error, const PrefrlNode *node, gboolean at_key, const char *fmt,
                        ...) G_GNUC_PRINTF(4, 5);
static gboolean fail_at(GError **error, const PrefrlNode *node, gboolean at_key, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *where = prefrl_node_where(node, at_key);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s%s", where, msg);
    g_free(where);
    g_free(msg);
    return FALSE;
}

static gboolean parse_int(const char *s, gint64 *out)
{
    char *end = NULL;
    errno = 0;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return FALSE;
    *out = v;
    return TRUE;
}

/* "A..B" with integers A <= B → A, A+1, ..., B appended as scalars at n's location */
static gboolean expand_value(const PrefrlNode *n, GPtrArray *out, GError **error)
{
    if (prefrl_node_kind(n) != PREFRL_NODE_SCALAR)
        return fail_at(error, n, FALSE,
                       "axis values must be single values (each cell runs as `prefrl run "
                       "RECIPE key=value ...`)");
    const char *t = n->text, *dots = n->quoted ? NULL : strstr(t, "..");
    if (!dots) {
        g_ptr_array_add(out, prefrl_node_dup(n));
        return TRUE;
    }
    char *a = g_strndup(t, (gsize)(dots - t));
    gint64 lo, hi;
    gboolean ok = parse_int(g_strstrip(a), &lo) && parse_int(dots + 2, &hi);
    g_free(a);
    if (!ok)
        return fail_at(error, n, FALSE, "'%s' is not an integer range like 1..5", t);
    if (lo > hi)
        return fail_at(error, n, FALSE, "empty range '%s' (the first bound is larger)", t);
    if (hi - lo >= MAX_CELLS)
        return fail_at(error, n, FALSE, "range '%s' has more than %d values", t, MAX_CELLS);
    for (gint64 v = lo; v <= hi; v++) {
        char buf[32];
        g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
        PrefrlNode *s = prefrl_node_new_scalar(buf, n->file, n->line, n->col);
        g_ptr_array_add(out, s);
    }
    return TRUE;
}

/* a zipped axis value: a list of one single value per path */
static gboolean tuple_value(const Axis *a, const PrefrlNode *n, GError **error)
{
    if (prefrl_node_kind(n) != PREFRL_NODE_LIST || prefrl_node_size(n) != a->n_paths)
        return fail_at(error, n, FALSE, "axis '%s' sets %u keys together: each value is a "
                       "list of %u values, e.g. [%s]", a->key, a->n_paths, a->n_paths,
                       a->n_paths == 2 ? "a, b" : "a, b, ...");
    for (guint k = 0; k < a->n_paths; k++)
        if (prefrl_node_kind(prefrl_node_at(n, k, NULL)) != PREFRL_NODE_SCALAR)
            return fail_at(error, prefrl_node_at(n, k, NULL), FALSE,
                           "values of axis '%s' must be single values", a->key);
    g_ptr_array_add(a->values, prefrl_node_dup(n));
    return TRUE;
}

static char *value_text(const Axis *a, guint v)
{
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < a->n_paths; k++)
        g_string_append_printf(s, "%s%s", k ? ", " : "", part(a, v, k)->text);
    return g_string_free(s, FALSE);
}

static gboolean parse_axes(PrefrlGrid *g, const PrefrlNode *axes, GError **error)
{
    if (prefrl_node_kind(axes) != PREFRL_NODE_MAP)
        return fail_at(error, axes, FALSE, "'axes' must be a map of key: [values]");
    for (guint i = 0; i < prefrl_node_size(axes); i++) {
        const char *key;
        const PrefrlNode *v = prefrl_node_at(axes, i, &key);
        Axis *a = g_new0(Axis, 1);
        a->key = g_strdup(key);
        a->paths = g_strsplit(key, ",", -1);
        a->n_paths = g_strv_length(a->paths);
        a->is_var = g_new0(gboolean, MAX(a->n_paths, 1u));
        a->where = v;
        a->values = g_ptr_array_new_with_free_func((GDestroyNotify)prefrl_node_free);
        g_ptr_array_add(g->axes, a);
        for (guint k = 0; k < a->n_paths; k++) {
            g_strstrip(a->paths[k]);
            if (!a->paths[k][0])
                return fail_at(error, v, TRUE, "empty key in axis '%s'", key);
            if (!strcmp(a->paths[k], "name") || !strcmp(a->paths[k], "out_dir"))
                return fail_at(error, v, TRUE,
                               "a sweep sets '%s' of each cell itself (cells are named from "
                               "their axis values; the directory is sweep_dir)", a->paths[k]);
        }
        gboolean zipped = a->n_paths > 1;
        if (prefrl_node_kind(v) == PREFRL_NODE_LIST) {
            for (guint j = 0; j < prefrl_node_size(v); j++) {
                const PrefrlNode *item = prefrl_node_at(v, j, NULL);
                if (!(zipped ? tuple_value(a, item, error)
                             : expand_value(item, a->values, error)))
                    return FALSE;
            }
        } else if (zipped) {
            return fail_at(error, v, FALSE, "axis '%s' takes a list of [%s] values", key, key);
        } else if (!expand_value(v, a->values, error)) {
            return FALSE;
        }
        if (!a->values->len)
            return fail_at(error, v, TRUE, "axis '%s' has no values", key);
        for (guint j = 0; j < a->values->len; j++)
            for (guint k = 0; k < j; k++) {
                char *x = value_text(a, j), *y = value_text(a, k);
                gboolean same = !strcmp(x, y);
                if (same)
                    fail_at(error, a->values->pdata[j], FALSE, "axis '%s' lists '%s' twice",
                            key, x);
                g_free(x);
                g_free(y);
                if (same)
                    return FALSE;
            }
    }
    return TRUE;
}

/* set: {a.b: v} or nested maps {a: {b: v}} → settings "a.b" */
static gboolean parse_set(PrefrlGrid *g, const PrefrlNode *map, const char *prefix,
                          GError **error)
{
    if (prefrl_node_kind(map) != PREFRL_NODE_MAP)
        return fail_at(error, map, FALSE, "'set' must be a map of key: value");
    for (guint i = 0; i < prefrl_node_size(map); i++) {
        const char *key;
        const PrefrlNode *v = prefrl_node_at(map, i, &key);
        char *path = prefix ? g_strdup_printf("%s.%s", prefix, key) : g_strdup(key);
        gboolean ok = TRUE;
        if (prefrl_node_kind(v) == PREFRL_NODE_MAP) {
            ok = parse_set(g, v, path, error);
        } else if (prefrl_node_kind(v) != PREFRL_NODE_SCALAR) {
            ok = fail_at(error, v, FALSE,
                         "values in 'set' must be single values (cells run as `prefrl run "
                         "RECIPE key=value ...`)");
        } else if (!strcmp(path, "name") || !strcmp(path, "out_dir")) {
            ok = fail_at(error, v, TRUE, "a sweep sets '%s' of each cell itself", path);
        } else {
            Setting s = {g_strdup(path), v};
            g_array_append_val(g->set, s);
        }
        g_free(path);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

/* {name} occurrences in the recipe template must be axes; mark them */
static gboolean parse_template(PrefrlGrid *g, const PrefrlNode *recipe, GError **error)
{
    const char *t = recipe->text;
    for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            return fail_at(error, recipe, FALSE, "unclosed '{' in recipe '%s'", t);
        char *var = g_strndup(p + 1, (gsize)(end - p - 1));
        gboolean found = FALSE;
        for (guint i = 0; i < g->axes->len; i++) {
            Axis *a = g->axes->pdata[i];
            for (guint k = 0; k < a->n_paths; k++)
                if (!strcmp(a->paths[k], var))
                    found = a->is_var[k] = TRUE;
        }
        if (!found) {
            GPtrArray *names = g_ptr_array_new();
            for (guint i = 0; i < g->axes->len; i++) {
                Axis *a = g->axes->pdata[i];
                for (guint k = 0; k < a->n_paths; k++)
                    g_ptr_array_add(names, a->paths[k]);
            }
            const char *near =
                prefrl_nearest(var, (const char *const *)names->pdata, names->len);
            fail_at(error, recipe, FALSE, "recipe '%s' uses {%s} but no axis is named '%s'%s%s%s",
                    t, var, var, near ? "; did you mean '" : "", near ? near : "",
                    near ? "'?" : "");
            g_ptr_array_unref(names);
            g_free(var);
            return FALSE;
        }
        g_free(var);
    }
    return TRUE;
}

/* ---- cells --------------------------------------------------------------------------- */

static gboolean is_number(const char *s)
{
    char *end = NULL;
    g_ascii_strtod(s, &end);
    return end != s && !*end;
}

/* a file-name-safe piece of a cell name */
static void append_part(GString *name, const char *key, const char *value, gboolean with_key)
{
    if (name->len)
        g_string_append_c(name, '-');
    const char *leaf = strrchr(key, '.');
    leaf = leaf ? leaf + 1 : key;
    gboolean num = is_number(value);
    if (num || with_key)
        g_string_append_printf(name, "%s%s", leaf, num ? "" : "_");
    char *v = g_strdup(value);
    if (g_str_has_suffix(v, ".yaml"))
        v[strlen(v) - 5] = 0;
    for (char *c = v; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("._+-", *c))
            *c = *c == '/' ? '-' : '_';
    g_string_append(name, v);
    g_free(v);
}

static char *expand_template(const char *t, const PrefrlGrid *g, const guint *idx)
{
    GString *s = g_string_new(NULL);
    for (const char *p = t; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        if (!end) {
            g_string_append_c(s, *p++);
            continue;
        }
        for (guint i = 0; i < g->axes->len; i++) {
            const Axis *a = g->axes->pdata[i];
            for (guint k = 0; k < a->n_paths; k++)
                if (strlen(a->paths[k]) == (gsize)(end - p - 1) &&
                    !strncmp(a->paths[k], p + 1, end - p - 1))
                    g_string_append(s, part(a, idx[i], k)->text);
        }
        p = end + 1;
    }
    return g_string_free(s, FALSE);
}

/* root[path] = dup(value); `key_at` gives the location of the key */
static gboolean apply_at(PrefrlNode *root, const char *path, const PrefrlNode *value,
                         const PrefrlNode *key_at, GError **error)
{
    char **parts = g_strsplit(path, ".", -1);
    int n = (int)g_strv_length(parts);
    gboolean ok = TRUE;
    PrefrlNode *map = root;
    for (int i = 0; ok && i < n; i++) {
        if (!parts[i][0]) {
            ok = fail_at(error, key_at, TRUE, "empty part in key path '%s'", path);
            break;
        }
        if (i == n - 1) {
            PrefrlNode *v = prefrl_node_dup(value);
            v->key_line = key_at->key_line;
            v->key_col = key_at->key_col;
            prefrl_node_set(map, parts[i], v);
            break;
        }
        PrefrlNode *next = prefrl_node_lookup(map, parts[i]);
        if (!next) {
            next = prefrl_node_new_map(key_at->file, key_at->key_line, key_at->key_col);
            prefrl_node_set(map, parts[i], next);
        } else if (next->kind != PREFRL_NODE_MAP) {
            char *w = where_bare(next);
            ok = fail_at(error, key_at, TRUE, "'%s': '%s' is a value in the base recipe (%s), "
                         "not a section", path, parts[i], w);
            g_free(w);
        }
        map = next;
    }
    g_strfreev(parts);
    return ok;
}

static char *override_text(const char *key, const PrefrlNode *v)
{
    return g_strdup_printf("%s=%s", key, v->text);
}

/* build and validate cell `idx` (one index per axis) */
static PrefrlGridCell *make_cell(PrefrlGrid *g, const guint *idx, const char *name,
                                 const PrefrlNode *recipe_node, GHashTable *bases,
                                 PrefrlRegistry *reg, GError **error)
{
    PrefrlGridCell *c = g_new0(PrefrlGridCell, 1);
    c->name = g_strdup(name);
    c->overrides = g_ptr_array_new_with_free_func(g_free);
    char *rel = expand_template(recipe_node->text, g, idx);
    char *dir = g_path_get_dirname(recipe_node->file);
    c->recipe = g_path_is_absolute(rel) || !strcmp(dir, ".") ? g_strdup(rel)
                                                               : g_build_filename(dir, rel, NULL);
    g_free(dir);
    const PrefrlNode *base = g_hash_table_lookup(bases, c->recipe);
    if (!base) {
        if (!g_file_test(c->recipe, G_FILE_TEST_IS_REGULAR)) {
            fail_at(error, recipe_node, FALSE, "base recipe '%s' not found (looked for %s) "
                    "for cell %s", rel, c->recipe, name);
            g_free(rel);
            cell_free(c);
            return NULL;
        }
        PrefrlNode *loaded = prefrl_recipe_load(c->recipe, error);
        if (!loaded) {
            g_prefix_error(error, "cell %s: ", name);
            g_free(rel);
            cell_free(c);
            return NULL;
        }
        g_hash_table_insert(bases, g_strdup(c->recipe), loaded);
        base = loaded;
    }
    g_free(rel);

    PrefrlNode *root = prefrl_node_dup(base);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < g->set->len; i++) {
        const Setting *s = &g_array_index(g->set, Setting, i);
        ok = apply_at(root, s->key, s->value, s->value, error);
        if (ok)
            g_ptr_array_add(c->overrides, override_text(s->key, s->value));
    }
    for (guint i = 0; ok && i < g->axes->len; i++) {
        const Axis *a = g->axes->pdata[i];
        for (guint k = 0; ok && k < a->n_paths; k++) {
            if (a->is_var[k])
                continue;
            const PrefrlNode *v = part(a, idx[i], k);
            ok = apply_at(root, a->paths[k], v, a->where, error);
            if (ok)
                g_ptr_array_add(c->overrides, override_text(a->paths[k], v));
        }
    }
    /* the command line's, applied as `prefrl run` applies them (and in
     * the cell's command line, where the run applies them again) */
    for (char **o = g->overrides; ok && *o; o++) {
        ok = prefrl_recipe_override(root, *o, error);
        if (ok)
            g_ptr_array_add(c->overrides, g_strdup(*o));
        else
            g_prefix_error(error, "cell %s: ", name);
    }
    /* before defaults are written out: does the recipe itself choose threads? */
    c->threads_set = prefrl_node_lookup(root, "threads") != NULL;
    if (ok) {
        PrefrlNode *od = prefrl_node_new_scalar(g->sweep_dir, "<sweep>", 0, 0);
        PrefrlNode *nm = prefrl_node_new_scalar(name, "<sweep>", 0, 0);
        od->quoted = nm->quoted = TRUE;
        prefrl_node_set(root, "out_dir", od);
        prefrl_node_set(root, "name", nm);
        g_ptr_array_add(c->overrides, g_strdup_printf("out_dir=%s", g->sweep_dir));
        g_ptr_array_add(c->overrides, g_strdup_printf("name=%s", name));
        ok = prefrl_recipe_resolve(root, reg, &prefrl_run_keys, prefrl_trainer_required_kinds(),
                                   error);
        if (!ok)
            g_prefix_error(error, "cell %s: ", name);
    }
    if (!ok) {
        prefrl_node_free(root);
        cell_free(c);
        return NULL;
    }
    c->resolved = root;
    return c;
}

static char *cell_name(const PrefrlGrid *g, const guint *idx, gboolean with_keys)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < g->axes->len; i++) {
        const Axis *a = g->axes->pdata[i];
        for (guint k = 0; k < a->n_paths; k++)
            append_part(s, a->paths[k], part(a, idx[i], k)->text, with_keys);
    }
    if (!s->len)
        g_string_append(s, "run");
    if (s->str[0] == '.')
        g_string_prepend_c(s, '_'); /* never a hidden directory */
    return g_string_free(s, FALSE);
}

static gboolean build_cells(PrefrlGrid *g, const PrefrlNode *recipe_node, PrefrlRegistry *reg,
                            GError **error)
{
    guint64 n = 1;
    for (guint i = 0; i < g->axes->len; i++) {
        n *= ((Axis *)g->axes->pdata[i])->values->len;
        if (n > MAX_CELLS)
            return fail_at(error, g->root, FALSE, "the grid has more than %d cells", MAX_CELLS);
    }
    guint na = g->axes->len;
    guint *idx = g_new0(guint, MAX(na, 1u));
    /* names: values alone when that is unambiguous, else key_value everywhere */
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (int pass = 0; pass < 2; pass++) {
        g_ptr_array_set_size(names, 0);
        GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
        gboolean unique = TRUE;
        memset(idx, 0, sizeof(guint) * MAX(na, 1u));
        for (guint64 c = 0; c < n; c++) {
            char *name = cell_name(g, idx, pass == 1);
            unique &= g_hash_table_add(seen, name);
            g_ptr_array_add(names, name);
            for (int i = (int)na - 1; i >= 0; i--) {
                if (++idx[i] < ((Axis *)g->axes->pdata[i])->values->len)
                    break;
                idx[i] = 0;
            }
        }
        g_hash_table_unref(seen);
        if (unique)
            break;
        if (pass == 1) {
            g_ptr_array_unref(names);
            g_free(idx);
            return fail_at(error, g->root, FALSE, "two cells of the grid get the same name; "
                           "give the axes distinct values");
        }
    }
    GHashTable *bases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)prefrl_node_free);
    memset(idx, 0, sizeof(guint) * MAX(na, 1u));
    gboolean ok = TRUE;
    for (guint64 c = 0; ok && c < n; c++) {
        PrefrlGridCell *cell = make_cell(g, idx, names->pdata[c], recipe_node, bases, reg, error);
        ok = cell != NULL;
        if (ok)
            g_ptr_array_add(g->cells, cell);
        for (int i = (int)na - 1; i >= 0; i--) {
            if (++idx[i] < ((Axis *)g->axes->pdata[i])->values->len)
                break;
            idx[i] = 0;
        }
    }
    g_hash_table_unref(bases);
    g_ptr_array_unref(names);
    g_free(idx);
    return ok;
}

/* Components check what only they know (a reward that needs a sampler, an
 * env that must load its model) when they are created: create each distinct
 * recipe once, seeds aside, with no run directory, so such mistakes also
 * fail before anything runs. */
static gboolean create_cells(const PrefrlGrid *g, PrefrlRegistry *reg, GError **error)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < g->cells->len; i++) {
        const PrefrlGridCell *c = g->cells->pdata[i];
        PrefrlNode *key_tree = prefrl_node_dup(c->resolved);
        prefrl_node_remove(key_tree, "seed");
        prefrl_node_remove(key_tree, "name");
        char *key = prefrl_recipe_to_yaml(key_tree);
        prefrl_node_free(key_tree);
        if (!g_hash_table_add(seen, key))
            continue;
        PrefrlTrainer *t = prefrl_trainer_new(c->resolved, reg, NULL, error);
        ok = t != NULL;
        if (t)
            prefrl_trainer_free(t);
        else
            g_prefix_error(error, "cell %s: ", c->name);
    }
    g_hash_table_unref(seen);
    return ok;
}

/* the command line's overrides: section.key=value (checked on an empty
 * recipe for their form), never name or out_dir (the sweep's) nor a key an
 * axis varies (every cell would be the same run) */
static gboolean check_overrides(const PrefrlGrid *g, GError **error)
{
    for (char **o = g->overrides; *o; o++) {
        PrefrlNode *scratch = prefrl_node_new_map("<command line>", 0, 0);
        gboolean ok = prefrl_recipe_override(scratch, *o, error);
        prefrl_node_free(scratch);
        if (!ok)
            return FALSE;
        char *key = g_strndup(*o, (gsize)(strchr(*o, '=') - *o));
        if (!strcmp(key, "name") || !strcmp(key, "out_dir")) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "<command line>: override '%s': a sweep sets '%s' of each cell itself "
                        "(--dir chooses the sweep directory)", *o, key);
            ok = FALSE;
        }
        for (guint i = 0; ok && i < g->axes->len; i++) {
            const Axis *a = g->axes->pdata[i];
            for (guint k = 0; ok && k < a->n_paths; k++)
                if (!a->is_var[k] && !strcmp(a->paths[k], key)) {
                    char *w = where_bare(a->where);
                    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                                "<command line>: override '%s': '%s' is an axis of the grid "
                                "(%s); an override sets one value for every cell",
                                *o, key, w);
                    g_free(w);
                    ok = FALSE;
                }
        }
        g_free(key);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

PrefrlGrid *prefrl_grid_load(const char *path, const char *sweep_dir,
                             const char *const *overrides, PrefrlRegistry *reg, GError **error)
{
    PrefrlGrid *g = g_new0(PrefrlGrid, 1);
    g->axes = g_ptr_array_new_with_free_func(axis_free);
    g->set = g_array_new(FALSE, FALSE, sizeof(Setting));
    g_array_set_clear_func(g->set, setting_clear);
    g->cells = g_ptr_array_new_with_free_func(cell_free);
    g->overrides = g_strdupv((char **)(overrides ? overrides : (const char *const[]){NULL}));
    g->root = prefrl_recipe_load(path, error);
    if (!g->root)
        goto fail;
    if (prefrl_node_kind(g->root) != PREFRL_NODE_MAP) {
        fail_at(error, g->root, FALSE, "a grid is a map with recipe:, axes: and set:");
        goto fail;
    }
    static const char *const keys[] = {"recipe", "sweep_dir", "set", "axes"};
    for (guint i = 0; i < prefrl_node_size(g->root); i++) {
        const char *key;
        const PrefrlNode *v = prefrl_node_at(g->root, i, &key);
        gboolean known = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS(keys) && !known; k++)
            known = !strcmp(key, keys[k]);
        if (!known) {
            const char *near = prefrl_nearest(key, keys, G_N_ELEMENTS(keys));
            if (near)
                fail_at(error, v, TRUE, "unknown grid key '%s'; did you mean '%s'?", key, near);
            else
                fail_at(error, v, TRUE, "unknown grid key '%s'; a grid has recipe, sweep_dir, "
                        "set and axes (a recipe setting goes under set:)", key);
            goto fail;
        }
    }
    const PrefrlNode *recipe = prefrl_node_get(g->root, "recipe");
    if (!recipe || prefrl_node_kind(recipe) != PREFRL_NODE_SCALAR || !recipe->text[0]) {
        fail_at(error, recipe ? recipe : g->root, recipe != NULL,
                "a grid needs 'recipe: BASE.yaml' (a file name, relative to the grid)");
        goto fail;
    }
    const PrefrlNode *axes = prefrl_node_get(g->root, "axes");
    const PrefrlNode *set = prefrl_node_get(g->root, "set");
    if ((axes && !parse_axes(g, axes, error)) || (set && !parse_set(g, set, NULL, error)) ||
        !parse_template(g, recipe, error))
        goto fail;
    for (guint i = 0; i < g->axes->len; i++) {
        const Axis *a = g->axes->pdata[i];
        for (guint k = 0; k < a->n_paths; k++)
            for (guint j = 0; j < g->set->len; j++)
                if (!a->is_var[k] && !strcmp(a->paths[k], g_array_index(g->set, Setting, j).key)) {
                    fail_at(error, a->where, TRUE, "'%s' is both an axis and in set:",
                            a->paths[k]);
                    goto fail;
                }
    }
    if (!check_overrides(g, error))
        goto fail;
    const PrefrlNode *sd = prefrl_node_get(g->root, "sweep_dir");
    if (sweep_dir) {
        g->sweep_dir = g_strdup(sweep_dir);
    } else if (sd) {
        if (prefrl_node_kind(sd) != PREFRL_NODE_SCALAR || !sd->text[0]) {
            fail_at(error, sd, FALSE, "sweep_dir must be a directory name");
            goto fail;
        }
        g->sweep_dir = g_strdup(sd->text);
    } else {
        char *base = g_path_get_basename(path);
        char *dot = strrchr(base, '.');
        if (dot && dot != base)
            *dot = 0;
        g->sweep_dir = g_build_filename("runs", base, NULL);
        g_free(base);
    }
    if (!build_cells(g, recipe, reg, error) || !create_cells(g, reg, error))
        goto fail;
    return g;
fail:
    prefrl_grid_free(g);
    return NULL;
}

/* quoted for a shell only when it needs to be */
static void append_word(GString *s, const char *w)
{
    gboolean plain = *w != 0;
    for (const char *p = w; *p && plain; p++)
        plain = g_ascii_isalnum(*p) || strchr("._+-=/:,@%", *p);
    char *q = plain ? g_strdup(w) : g_shell_quote(w);
    g_string_append_printf(s, "%s%s", s->len ? " " : "", q);
    g_free(q);
}

/* the words of cell i's command line, by what is on disk: `resume DIR` for a
 * resumable cell, else `run RECIPE overrides`, with --force to replace an
 * unfinished run directory, and threads=N when `threads` > 0 (owns its strings) */
static GPtrArray *cell_words(const PrefrlGrid *g, guint i, const char *exe, int threads)
{
    const PrefrlGridCell *c = prefrl_grid_cell(g, i);
    PrefrlCellState st = prefrl_grid_cell_state(g, i, NULL);
    GPtrArray *w = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(w, g_strdup(exe));
    if (st == PREFRL_CELL_RESUMABLE) {
        g_ptr_array_add(w, g_strdup("resume"));
        g_ptr_array_add(w, g_build_filename(g->sweep_dir, c->name, NULL));
        return w;
    }
    g_ptr_array_add(w, g_strdup("run"));
    g_ptr_array_add(w, g_strdup(c->recipe));
    for (guint k = 0; k < c->overrides->len; k++)
        g_ptr_array_add(w, g_strdup(c->overrides->pdata[k]));
    if (threads > 0)
        g_ptr_array_add(w, g_strdup_printf("threads=%d", threads));
    if (st != PREFRL_CELL_NEW)
        g_ptr_array_add(w, g_strdup("--force")); /* restart: replace what is there */
    return w;
}

char *prefrl_grid_cell_command(const PrefrlGrid *g, guint i, const char *exe)
{
    GPtrArray *w = cell_words(g, i, exe, 0);
    GString *s = g_string_new(NULL);
    for (guint k = 0; k < w->len; k++)
        append_word(s, w->pdata[k]);
    g_ptr_array_unref(w);
    return g_string_free(s, FALSE);
}

/* ---- state on disk ------------------------------------------------------------------- */

/* FALSE at the first difference, described in `diff` (a: the run's
 * config.yaml, b: the grid's cell); the top-level `threads` is skipped with
 * `any_threads` (they change speed, not what is computed, and an array task
 * takes them from its allocation) */
static gboolean same_tree(const PrefrlNode *a, const PrefrlNode *b, const char *path,
                          gboolean any_threads, GString *diff)
{
    const char *config = prefrl_rundir_name(PREFRL_RUN_CONFIG);
    if (a->kind != b->kind) {
        g_string_printf(diff, "%s differs in shape", path);
        return FALSE;
    }
    if (a->kind == PREFRL_NODE_SCALAR) {
        if (!strcmp(a->text, b->text))
            return TRUE;
        g_string_printf(diff, "%s: %s in %s, %s in the grid", path, a->text, config, b->text);
        return FALSE;
    }
    guint n = MAX(a->items->len, b->items->len);
    for (guint i = 0; i < n; i++) {
        if (a->kind == PREFRL_NODE_LIST) {
            if (i >= a->items->len || i >= b->items->len) {
                g_string_printf(diff, "%s has %u items in %s, %u in the grid", path,
                                a->items->len, config, b->items->len);
                return FALSE;
            }
            char *p = g_strdup_printf("%s[%u]", path, i);
            gboolean same = same_tree(a->items->pdata[i], b->items->pdata[i], p, FALSE, diff);
            g_free(p);
            if (!same)
                return FALSE;
            continue;
        }
        /* maps: every key of either side */
        const PrefrlNode *x = i < a->items->len ? a->items->pdata[i] : NULL;
        const PrefrlNode *y = i < b->items->len ? b->items->pdata[i] : NULL;
        for (int side = 0; side < 2; side++) {
            const PrefrlNode *k = side ? y : x;
            if (!k)
                continue;
            if (!*path && (!strcmp(k->key, "out_dir") || !strcmp(k->key, "name") ||
                           (any_threads && !strcmp(k->key, "threads"))))
                continue;
            const PrefrlNode *other = prefrl_node_get(side ? a : b, k->key);
            char *p = *path ? g_strdup_printf("%s.%s", path, k->key) : g_strdup(k->key);
            gboolean same = TRUE;
            if (!other) {
                g_string_printf(diff, "%s is only in %s", p, side ? "the grid" : config);
                same = FALSE;
            } else if (!side) {
                same = same_tree(k, other, p, FALSE, diff);
            }
            g_free(p);
            if (!same)
                return FALSE;
        }
    }
    return TRUE;
}

PrefrlCellState prefrl_grid_cell_state(const PrefrlGrid *g, guint i, char **detail)
{
    const PrefrlGridCell *c = prefrl_grid_cell(g, i);
    if (detail)
        *detail = NULL;
    char *dir = g_build_filename(g->sweep_dir, c->name, NULL);
    if (!g_file_test(dir, G_FILE_TEST_EXISTS)) {
        g_free(dir);
        return PREFRL_CELL_NEW;
    }
    long holder = prefrl_rundir_lock_holder(dir);
    if (holder != 0) {
        /* another process writes it: never resume or restart it under that one */
        if (detail)
            *detail = holder > 0 ? g_strdup_printf("running in prefrl process %ld", holder)
                                 : g_strdup("running in another prefrl process");
        g_free(dir);
        return PREFRL_CELL_RUNNING;
    }
    char *status = NULL;
    PrefrlRunStatus run_status = prefrl_rundir_status(dir, &status);
    if (!status)
        status = g_strdup("no status");
    PrefrlCellState st = PREFRL_CELL_UNFINISHED;
    PrefrlNode *cfg = prefrl_rundir_read_config(dir, NULL);
    GString *diff = g_string_new(NULL);
    if (!cfg)
        g_string_printf(diff, "%s is missing or unreadable", prefrl_rundir_name(PREFRL_RUN_CONFIG));
    gboolean same = cfg && same_tree(cfg, c->resolved, "", !c->threads_set, diff);
    if (run_status == PREFRL_STATUS_DONE) {
        st = same ? PREFRL_CELL_DONE : PREFRL_CELL_STALE;
        if (detail && st == PREFRL_CELL_STALE)
            *detail = g_strdup(diff->str);
    } else {
        /* stopped (or killed: status still `running`) under this recipe, with a
         * checkpoint: continue it */
        if (same &&
            (run_status == PREFRL_STATUS_INTERRUPTED || run_status == PREFRL_STATUS_RUNNING) &&
            prefrl_rundir_has_checkpoint(dir))
            st = PREFRL_CELL_RESUMABLE;
        if (detail)
            *detail = g_strdup(status);
    }
    g_string_free(diff, TRUE);
    prefrl_node_free(cfg);
    g_free(status);
    g_free(dir);
    return st;
}

/* ---- running ------------------------------------------------------------------------- */

typedef struct {
    guint cell;
    pid_t pid;
    int fd;          /* read end of the cell's stderr; -1 once at EOF */
    GString *err;    /* the last STDERR_KEEP bytes or so of it */
    gint64 t0;       /* monotonic start, µs */
} Job;

typedef struct {
    const PrefrlGrid *g;
    const PrefrlSweepOptions *opt;
    PrefrlSweepResult *res;
    GArray *jobs;        /* Job */
    guint *queue;        /* cells to run, in order */
    guint n_queue, next;
    double dur_sum;      /* seconds of the cells finished by this sweep */
    guint dur_n;
    gboolean stopping, killed;
    char *last_line;     /* progress line last printed (non-TTY prints changes only) */
    gboolean line_open;  /* a TTY progress line is on screen */
} Sweep;

static void clear_line(Sweep *s)
{
    if (s->line_open) {
        fputs("\r\033[K", s->opt->out);
        s->line_open = FALSE;
    }
}

static void say(Sweep *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void say(Sweep *s, const char *fmt, ...)
{
    clear_line(s);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->opt->out, fmt, ap);
    va_end(ap);
    fflush(s->opt->out);
}

static void format_duration(char *buf, gsize len, double sec)
{
    long t = (long)(sec + 0.5);
    if (t >= 3600)
        g_snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        g_snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        g_snprintf(buf, len, "%lds", t);
}

static void progress(Sweep *s)
{
    const PrefrlSweepResult *r = s->res;
    guint running = s->jobs->len, remaining = s->n_queue - s->next;
    char eta[32] = "--";
    if (s->dur_n && (running || remaining)) {
        /* work left at the mean cell duration, spread over the slots in use */
        double mean = s->dur_sum / s->dur_n, left = remaining * mean;
        gint64 now = g_get_monotonic_time();
        for (guint i = 0; i < running; i++) {
            const Job *j = &g_array_index(s->jobs, Job, i);
            left += MAX(mean - (now - j->t0) / 1e6, 0.0);
        }
        format_duration(eta, sizeof eta, left / MAX(MIN((guint)s->opt->jobs, running + remaining), 1u));
    } else if (!running && !remaining) {
        g_strlcpy(eta, "0s", sizeof eta);
    }
    char *line = g_strdup_printf("%u/%u done, %u running, %u failed, %u remaining, ETA %s",
                                 r->skipped + r->done, r->total, running, r->failed, remaining,
                                 eta);
    if (s->opt->tty) {
        fprintf(s->opt->out, "\r\033[K%s", line);
        s->line_open = TRUE;
        fflush(s->opt->out);
        g_free(line);
        return;
    }
    /* without a terminal, a line whenever a count changes (not the ETA) */
    char *key = g_strndup(line, (gsize)(strstr(line, ", ETA") - line));
    if (g_strcmp0(key, s->last_line)) {
        fprintf(s->opt->out, "%s\n", line);
        fflush(s->opt->out);
        g_free(s->last_line);
        s->last_line = key;
    } else {
        g_free(key);
    }
    g_free(line);
}

static void keep_tail(GString *err)
{
    if (err->len <= 2 * STDERR_KEEP)
        return;
    const char *cut = err->str + err->len - STDERR_KEEP;
    const char *nl = strchr(cut, '\n');
    gsize drop = (gsize)((nl ? nl + 1 : cut) - err->str);
    g_string_erase(err, 0, (gssize)drop);
}

/* read what is there; FALSE at EOF or error */
static gboolean drain(Job *j)
{
    char buf[8192];
    for (;;) {
        ssize_t n = read(j->fd, buf, sizeof buf);
        if (n > 0) {
            g_string_append_len(j->err, buf, n);
            keep_tail(j->err);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return TRUE;
        close(j->fd);
        j->fd = -1;
        return FALSE;
    }
}

static gboolean launch(Sweep *s, guint cell, GError **error)
{
    const PrefrlGrid *g = s->g;
    const PrefrlGridCell *c = prefrl_grid_cell(g, cell);
    GPtrArray *argv = cell_words(g, cell, s->opt->exe, 0);
    g_ptr_array_add(argv, NULL);

    int p[2];
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || pipe2(p, O_CLOEXEC) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot start cell %s: %s", c->name,
                    g_strerror(errno));
        if (devnull >= 0)
            close(devnull);
        g_ptr_array_unref(argv);
        return FALSE;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec.  The cell stops
         * (cleanly, as on Ctrl-C) when the sweep dies, even by SIGKILL, so no
         * orphan keeps writing a run that a new sweep would take over */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(127); /* the sweep died before the request took effect */
        signal(SIGPIPE, SIG_IGN); /* its stderr is our pipe: EPIPE, not death, if we go */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        execv(s->opt->exe, (char **)argv->pdata);
        static const char msg[] = "prefrl sweep: cannot execute the prefrl program\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    int saved = errno;
    close(p[1]);
    close(devnull);
    g_ptr_array_unref(argv);
    if (pid < 0) {
        close(p[0]);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot start cell %s: %s", c->name,
                    g_strerror(saved));
        return FALSE;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    Job j = {.cell = cell, .pid = pid, .fd = p[0], .err = g_string_new(NULL),
             .t0 = g_get_monotonic_time()};
    g_array_append_val(s->jobs, j);
    return TRUE;
}

static char *last_lines(const char *text, int n)
{
    const char *end = text + strlen(text);
    while (end > text && end[-1] == '\n')
        end--;
    const char *p = end;
    for (int k = 0; k < n && p > text;) {
        p--;
        if (*p == '\n' && ++k == n) {
            p++;
            break;
        }
    }
    return g_strndup(p, (gsize)(end - p));
}

/* a finished job: classify, keep its stderr, report a failure */
static void finish(Sweep *s, Job *j, int wstatus)
{
    while (j->fd >= 0 && drain(j))
        ; /* the child is gone: read to EOF */
    const PrefrlGridCell *c = prefrl_grid_cell(s->g, j->cell);
    double dur = (g_get_monotonic_time() - j->t0) / 1e6;
    char *dir = g_build_filename(s->g->sweep_dir, c->name, NULL);
    char *status = NULL;
    PrefrlRunStatus run_status = prefrl_rundir_status(dir, &status);

    gboolean exited = WIFEXITED(wstatus);
    int code = exited ? WEXITSTATUS(wstatus) : WTERMSIG(wstatus);
    enum { OK, FAILED, INTERRUPTED } what;
    if (exited && code == 0 && run_status == PREFRL_STATUS_DONE)
        what = OK;
    else if (s->stopping && ((exited && code == 130) ||
                             (!exited && (code == SIGINT || code == SIGTERM || code == SIGKILL))))
        what = INTERRUPTED;
    else
        what = FAILED;

    if (j->err->len || what == FAILED) {
        g_mkdir_with_parents(dir, 0755);
        char *path = prefrl_rundir_path(dir, PREFRL_RUN_STDERR);
        prefrl_write_file_atomic(path, j->err->str, j->err->len, NULL);
        g_free(path);
    }
    if (what == OK) {
        s->res->done++;
        s->dur_sum += dur;
        s->dur_n++;
    } else if (what == INTERRUPTED) {
        s->res->interrupted++;
    } else {
        s->res->failed++;
        s->dur_sum += dur;
        s->dur_n++;
        char reason[96];
        if (exited && code == 0)
            g_snprintf(reason, sizeof reason, "exit status 0 but status '%s'",
                       status ? status : "missing");
        else if (exited)
            g_snprintf(reason, sizeof reason, "exit status %d", code);
        else
            g_snprintf(reason, sizeof reason, "killed by signal %d (%s)", code, g_strsignal(code));
        char *tail = last_lines(j->err->str, TAIL_LINES);
        char **lines = g_strsplit(tail, "\n", -1);
        GString *ind = g_string_new(NULL);
        for (char **l = lines; *l; l++)
            if (**l)
                g_string_append_printf(ind, "    %s\n", *l);
        say(s, "prefrl sweep: cell %s failed (%s)%s\n%s    (stderr in %s/stderr.txt)\n", c->name,
            reason, ind->len ? "; its stderr ends:" : "; it wrote nothing to stderr", ind->str,
            dir);
        g_string_free(ind, TRUE);
        g_strfreev(lines);
        g_free(tail);
    }
    g_free(status);
    g_free(dir);
    g_string_free(j->err, TRUE);
}

/* ---- Slurm bookkeeping --------------------------------------------------------------- */

#define SLURM_SUBDIR "_slurm"  /* in the sweep directory: scripts, jobs.tsv, logs/ */
#define JOBS_FILE "jobs.tsv"
#define CELLS_FILE ".cells"    /* the grid's cell names, for --status */

/* one submitted array task, as recorded in jobs.tsv */
typedef struct {
    char *job;   /* the array's job id */
    guint index; /* the task's array index */
    char *cell;
    const char *state; /* its Slurm state (owned by SlurmView.state), NULL: not known */
} Task;

static void task_free(gpointer p)
{
    Task *t = p;
    g_free(t->job);
    g_free(t->cell);
    g_free(t);
}

/* the recorded tasks and what Slurm says of them */
typedef struct {
    GPtrArray *tasks;    /* Task*, in submission order */
    GHashTable *state;   /* "JOB_INDEX" -> Slurm state word (owned), from squeue or sacct */
    gboolean queried;    /* squeue answered */
    char *query_error;   /* else why not (NULL when there was nothing to ask) */
} SlurmView;

static void view_clear(SlurmView *v)
{
    if (v->tasks)
        g_ptr_array_unref(v->tasks);
    if (v->state)
        g_hash_table_unref(v->state);
    g_free(v->query_error);
    *v = (SlurmView){0};
}

static char *slurm_path(const char *sweep_dir, const char *file)
{
    return g_build_filename(sweep_dir, SLURM_SUBDIR, file, NULL);
}

/* jobs.tsv: "JOB<TAB>INDEX<TAB>CELL" lines after a '#' header; none yet: empty */
static gboolean read_tasks(const char *sweep_dir, GPtrArray *tasks, GError **error)
{
    char *path = slurm_path(sweep_dir, JOBS_FILE);
    char *text = NULL;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, NULL, &e)) {
        gboolean missing = g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (!missing)
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot read %s: %s", path,
                        e->message);
        g_error_free(e);
        g_free(path);
        return missing;
    }
    char **lines = g_strsplit(text, "\n", -1);
    gboolean ok = TRUE;
    for (guint i = 0; ok && lines[i]; i++) {
        if (!lines[i][0] || lines[i][0] == '#')
            continue;
        char **f = g_strsplit(lines[i], "\t", -1);
        gint64 idx;
        if (g_strv_length(f) != 3 || !f[0][0] || !parse_int(f[1], &idx) || idx < 0 ||
            idx > G_MAXINT || !f[2][0]) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "%s:%u: expected JOBID<TAB>INDEX<TAB>CELL (the file is written by "
                        "prefrl sweep --slurm)", path, i + 1);
            ok = FALSE;
        } else {
            Task *t = g_new0(Task, 1);
            t->job = g_strdup(f[0]);
            t->index = (guint)idx;
            t->cell = g_strdup(f[2]);
            g_ptr_array_add(tasks, t);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return ok;
}

static gboolean write_tasks(const char *sweep_dir, const GPtrArray *tasks, GError **error)
{
    GString *s = g_string_new("# prefrl sweep --slurm: the array tasks submitted "
                              "(job id, array index, cell)\n");
    for (guint i = 0; i < tasks->len; i++) {
        const Task *t = tasks->pdata[i];
        g_string_append_printf(s, "%s\t%u\t%s\n", t->job, t->index, t->cell);
    }
    char *path = slurm_path(sweep_dir, JOBS_FILE);
    gboolean ok = prefrl_write_file_atomic(path, s->str, s->len, error);
    g_free(path);
    g_string_free(s, TRUE);
    return ok;
}

/* .cells: every cell's name, so --status lists cells not started yet */
static gboolean write_cells(const PrefrlGrid *g, GError **error)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < g->cells->len; i++)
        g_string_append_printf(s, "%s\n", ((PrefrlGridCell *)g->cells->pdata[i])->name);
    char *path = g_build_filename(g->sweep_dir, CELLS_FILE, NULL);
    gboolean ok = prefrl_write_file_atomic(path, s->str, s->len, error);
    g_free(path);
    g_string_free(s, TRUE);
    return ok;
}

/* run a program found on PATH; FALSE with `why` when it cannot start or fails */
static gboolean run_tool(const char *const *argv, char **out, char **why)
{
    char *err = NULL;
    int wstatus = 0;
    GError *e = NULL;
    *out = NULL;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, &err,
                      &wstatus, &e)) {
        *why = g_strdup_printf("cannot run %s: %s", argv[0], e->message);
        g_error_free(e);
        return FALSE;
    }
    if (!g_spawn_check_wait_status(wstatus, NULL)) {
        g_strstrip(err);
        *why = g_strdup_printf("%s failed%s%s", argv[0], *err ? ": " : "", err);
        g_free(err);
        g_free(*out);
        *out = NULL;
        return FALSE;
    }
    g_free(err);
    return TRUE;
}

/* states in which a task still holds (or will hold) its cell */
static gboolean state_active(const char *st)
{
    static const char *const active[] = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING",
                                         "SUSPENDED", "REQUEUED", "REQUEUE_FED",
                                         "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT",
                                         "RESV_DEL_HOLD", "SPECIAL_EXIT"};
    for (guint i = 0; st && i < G_N_ELEMENTS(active); i++)
        if (!strcmp(st, active[i]))
            return TRUE;
    return FALSE;
}

/* active states in which the task waits for a node (its run has not begun) */
static gboolean state_queued(const char *st)
{
    static const char *const queued[] = {"PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD"};
    for (guint i = 0; st && i < G_N_ELEMENTS(queued); i++)
        if (!strcmp(st, queued[i]))
            return TRUE;
    return FALSE;
}

/* read jobs.tsv and ask squeue (then sacct, for tasks squeue has forgotten)
 * about the jobs in it.  FALSE only when jobs.tsv is unreadable; a failing
 * squeue leaves v->queried FALSE with the reason in v->query_error. */
static gboolean view_load(const char *sweep_dir, SlurmView *v, GError **error)
{
    *v = (SlurmView){.tasks = g_ptr_array_new_with_free_func(task_free),
                     .state = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
    if (!read_tasks(sweep_dir, v->tasks, error))
        return FALSE;
    if (!v->tasks->len)
        return TRUE;
    GHashTable *jobs = g_hash_table_new(g_str_hash, g_str_equal);
    GString *ids = g_string_new(NULL);
    for (guint i = 0; i < v->tasks->len; i++) {
        const Task *t = v->tasks->pdata[i];
        if (g_hash_table_add(jobs, t->job))
            g_string_append_printf(ids, "%s%s", ids->len ? "," : "", t->job);
    }
    /* every task of this user's jobs, finished ones too while slurmctld keeps
     * them (MinJobAge); filtered here, since squeue -j fails on a forgotten id */
    const char *sq[] = {"squeue", "--noheader", "--array", "--states=all", "--format=%F|%K|%T",
                        "--user", g_get_user_name(), NULL};
    char *out = NULL;
    v->queried = run_tool(sq, &out, &v->query_error);
    if (v->queried) {
        char **lines = g_strsplit(out, "\n", -1);
        for (char **l = lines; *l; l++) {
            char **f = g_strsplit(*l, "|", 3);
            if (g_strv_length(f) == 3 && g_hash_table_contains(jobs, f[0]))
                g_hash_table_insert(v->state, g_strdup_printf("%s_%s", f[0], f[1]),
                                    g_strdup(g_strstrip(f[2])));
            g_strfreev(f);
        }
        g_strfreev(lines);
    }
    g_free(out);
    /* sacct remembers longer, where accounting is on; its absence is no error */
    const char *sa[] = {"sacct", "--noheader", "--allocations", "--parsable2",
                        "--format=JobID,State", "--jobs", ids->str, NULL};
    char *why = NULL;
    if (v->queried && run_tool(sa, &out, &why)) {
        char **lines = g_strsplit(out, "\n", -1);
        for (char **l = lines; *l; l++) {
            char **f = g_strsplit(*l, "|", 2);
            if (g_strv_length(f) == 2 && !strchr(f[0], '[') && strchr(f[0], '_') &&
                !g_hash_table_contains(v->state, f[0])) {
                char *sp = strchr(f[1], ' '); /* "CANCELLED by 0" */
                if (sp)
                    *sp = 0;
                g_hash_table_insert(v->state, g_strdup(f[0]), g_strdup(f[1]));
            }
            g_strfreev(f);
        }
        g_strfreev(lines);
        g_free(out);
    }
    g_free(why);
    /* each task's state, looked up once */
    for (guint i = 0; i < v->tasks->len; i++) {
        Task *t = v->tasks->pdata[i];
        char *key = g_strdup_printf("%s_%u", t->job, t->index);
        t->state = g_hash_table_lookup(v->state, key);
        g_free(key);
    }
    g_string_free(ids, TRUE);
    g_hash_table_unref(jobs);
    return TRUE;
}

/* the task that speaks for `cell`: one still active if any, else the last
 * submitted (NULL: never submitted); `state` receives its Slurm state or NULL */
static const Task *view_task(const SlurmView *v, const char *cell, const char **state)
{
    const Task *last = NULL;
    for (guint i = 0; v->tasks && i < v->tasks->len; i++) {
        const Task *t = v->tasks->pdata[i];
        if (strcmp(t->cell, cell))
            continue;
        last = t;
        if (state_active(t->state))
            break;
    }
    *state = last ? last->state : NULL;
    return last;
}

/* may a cell have a task that holds it?  Yes when squeue says so, and for
 * every recorded cell when squeue could not be asked (`why` then says so) */
static gboolean view_holds(const SlurmView *v, const char *cell, char **why)
{
    const char *st = NULL;
    const Task *t = view_task(v, cell, &st);
    *why = NULL;
    if (!t)
        return FALSE;
    if (!v->queried) {
        *why = g_strdup_printf("submitted to Slurm as task %s_%u, and squeue cannot tell its "
                               "state (%s)", t->job, t->index, v->query_error);
        return TRUE;
    }
    if (!state_active(st))
        return FALSE;
    *why = g_strdup_printf("Slurm task %s_%u is %s", t->job, t->index, st);
    return TRUE;
}

static gboolean lock_dir(const char *dir, int *fd, GError **error)
{
    char *path = g_build_filename(dir, ".lock", NULL);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot open %s: %s", path,
                    g_strerror(errno));
        g_free(path);
        return FALSE;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: %s", dir,
                    e == EWOULDBLOCK ? "another prefrl sweep is running in this directory"
                                     : g_strerror(e));
        close(*fd);
        *fd = -1;
        g_free(path);
        return FALSE;
    }
    g_free(path);
    return TRUE;
}

gboolean prefrl_sweep_run(const PrefrlGrid *g, const PrefrlSweepOptions *opt,
                          PrefrlSweepResult *res, GError **error)
{
    *res = (PrefrlSweepResult){.total = g->cells->len};
    if (g_mkdir_with_parents(g->sweep_dir, 0755) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", g->sweep_dir,
                    g_strerror(errno));
        return FALSE;
    }
    int lock = -1;
    if (!lock_dir(g->sweep_dir, &lock, error))
        return FALSE;
    /* cells submitted to Slurm and still queued or running there are left to it */
    SlurmView view = {0};
    if (!write_cells(g, error) || !view_load(g->sweep_dir, &view, error)) {
        view_clear(&view);
        close(lock);
        return FALSE;
    }
    Sweep s = {.g = g, .opt = opt, .res = res, .jobs = g_array_new(FALSE, FALSE, sizeof(Job)),
               .queue = g_new(guint, MAX(g->cells->len, 1u))};
    for (guint i = 0; i < g->cells->len; i++) {
        char *detail = NULL;
        PrefrlCellState st = prefrl_grid_cell_state(g, i, &detail);
        char *held = NULL;
        if (st != PREFRL_CELL_DONE && st != PREFRL_CELL_STALE && st != PREFRL_CELL_RUNNING &&
            view_holds(&view, prefrl_grid_cell(g, i)->name, &held)) {
            res->running++;
            say(&s, "prefrl sweep: cell %s is left to Slurm (%s); not started here\n",
                prefrl_grid_cell(g, i)->name, held);
            g_free(held);
        } else if (st == PREFRL_CELL_RUNNING) {
            res->running++;
            say(&s, "prefrl sweep: cell %s is still running (%s); not started again\n",
                prefrl_grid_cell(g, i)->name, detail);
        } else if (st == PREFRL_CELL_DONE || st == PREFRL_CELL_STALE) {
            res->skipped++;
            if (st == PREFRL_CELL_STALE) {
                res->stale++;
                say(&s, "prefrl sweep: warning: cell %s is done, but under another recipe "
                        "(%s); kept: remove %s/%s to run it again\n",
                    prefrl_grid_cell(g, i)->name, detail, g->sweep_dir,
                    prefrl_grid_cell(g, i)->name);
            }
        } else {
            s.queue[s.n_queue++] = i;
        }
        g_free(detail);
    }
    say(&s, "sweep %s: %u cells, %u already done, %u to run, %d at a time\n", g->sweep_dir,
        res->total, res->skipped, s.n_queue, opt->jobs);

    gboolean ok = TRUE;
    struct pollfd *fds = g_new(struct pollfd, MAX(opt->jobs, 1));
    for (;;) {
        gboolean stop = opt->stop && *opt->stop > 0;
        if (stop && !s.stopping) {
            s.stopping = TRUE;
            if (s.jobs->len)
                say(&s, "prefrl sweep: stopping; no new cells; waiting for %u running "
                        "(interrupt again to kill them)\n", s.jobs->len);
            for (guint i = 0; i < s.jobs->len; i++)
                kill(g_array_index(s.jobs, Job, i).pid, SIGINT);
        }
        if (s.stopping && opt->stop && *opt->stop > 1 && !s.killed) {
            s.killed = TRUE;
            for (guint i = 0; i < s.jobs->len; i++)
                kill(g_array_index(s.jobs, Job, i).pid, SIGKILL);
        }
        while (!s.stopping && s.jobs->len < (guint)opt->jobs && s.next < s.n_queue) {
            GError *err = NULL;
            guint cell = s.queue[s.next++];
            if (!launch(&s, cell, &err)) {
                /* the system refused a process: count it, keep the others going */
                res->failed++;
                say(&s, "prefrl sweep: %s\n", err->message);
                g_error_free(err);
            }
        }
        progress(&s);
        if (!s.jobs->len)
            break;
        nfds_t n = 0;
        for (guint i = 0; i < s.jobs->len; i++) {
            Job *j = &g_array_index(s.jobs, Job, i);
            if (j->fd >= 0)
                fds[n++] = (struct pollfd){.fd = j->fd, .events = POLLIN};
        }
        poll(fds, n, 500); /* EINTR from a signal just loops */
        for (guint i = 0; i < s.jobs->len; i++) {
            Job *j = &g_array_index(s.jobs, Job, i);
            if (j->fd >= 0)
                drain(j);
        }
        for (guint i = 0; i < s.jobs->len;) {
            Job *j = &g_array_index(s.jobs, Job, i);
            int wstatus = 0;
            pid_t r = waitpid(j->pid, &wstatus, WNOHANG);
            if (r == j->pid || (r < 0 && errno == ECHILD)) {
                finish(&s, j, r == j->pid ? wstatus : (1 << 8));
                g_array_remove_index(s.jobs, i);
            } else {
                i++;
            }
        }
    }
    res->not_started = s.n_queue - s.next;
    progress(&s);
    clear_line(&s);
    if (opt->tty) {
        /* leave the final counts on screen */
        char *line = g_strdup_printf("%u/%u done, %u failed", res->skipped + res->done,
                                     res->total, res->failed);
        fprintf(opt->out, "%s\n", line);
        g_free(line);
    }
    fflush(opt->out);
    g_free(fds);
    g_free(s.queue);
    g_free(s.last_line);
    g_array_unref(s.jobs);
    view_clear(&view);
    close(lock);
    return ok;
}

/* ---- Slurm --------------------------------------------------------------------------- */

/* an sbatch option value goes on an #SBATCH line: one word */
static gboolean check_word(const char *what, const char *v, GError **error)
{
    if (!v)
        return TRUE;
    gboolean ok = *v != 0;
    for (const char *p = v; *p && ok; p++)
        ok = !g_ascii_isspace(*p) && *p != '#';
    if (!ok)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "--%s '%s': the value goes on an #SBATCH line; give one word without "
                    "spaces or '#'", what, v);
    return ok;
}

static gboolean check_slurm_options(const PrefrlSlurmOptions *o, GError **error)
{
    if (!check_word("partition", o->partition, error) || !check_word("time", o->time, error) ||
        !check_word("mem", o->mem, error) || !check_word("account", o->account, error) ||
        !check_word("signal", o->signal, error))
        return FALSE;
    for (char **a = o->sbatch_args; a && *a; a++)
        if ((*a)[0] != '-' || strpbrk(*a, "\n\r")) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "--sbatch-arg '%s': give one sbatch option on one line, starting with "
                        "'-' (e.g. --sbatch-arg=--qos=long)", *a);
            return FALSE;
        }
    return TRUE;
}

static char *absolute(const char *path)
{
    if (g_path_is_absolute(path))
        return g_strdup(path);
    char *cwd = g_get_current_dir();
    char *p = g_build_filename(cwd, path, NULL);
    g_free(cwd);
    return p;
}

/* the job array's script: task i runs the cell on line i + 1 of `cells_file` */
static char *array_script(const PrefrlGrid *g, const PrefrlSlurmOptions *o, guint n,
                          const char *cells_file)
{
    GString *s = g_string_new("#!/bin/sh\n");
    char *sd = absolute(g->sweep_dir), *cwd = g_get_current_dir();
    char *base = g_path_get_basename(g->sweep_dir);
    g_string_append_printf(s, "# written by prefrl sweep --slurm: array task i runs the cell on "
                              "line i+1 of\n# %s, in the same sweep directory a local "
                              "`prefrl sweep` writes.\n", cells_file);
    g_string_append_printf(s, "#SBATCH --job-name=prefrl-%s\n", base);
    g_string_append_printf(s, "#SBATCH --array=0-%u", n - 1);
    if (o->max_parallel > 0)
        g_string_append_printf(s, "%%%d", o->max_parallel);
    g_string_append_printf(s, "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n",
                           o->cpus_per_task);
    g_string_append_printf(s, "#SBATCH --chdir=%s\n", cwd);
    g_string_append_printf(s, "#SBATCH --output=%s/%s/logs/%%A_%%a.out\n", sd, SLURM_SUBDIR);
    /* a requeued task appends: the log keeps the interrupted attempt too */
    g_string_append(s, "#SBATCH --open-mode=append\n");
    const struct { const char *opt, *v; } words[] = {{"partition", o->partition},
                                                     {"time", o->time}, {"mem", o->mem},
                                                     {"account", o->account},
                                                     {"signal", o->signal}};
    for (guint i = 0; i < G_N_ELEMENTS(words); i++)
        if (words[i].v)
            g_string_append_printf(s, "#SBATCH --%s=%s\n", words[i].opt, words[i].v);
    g_string_append(s, o->requeue ? "#SBATCH --requeue\n" : "#SBATCH --no-requeue\n");
    for (char **a = o->sbatch_args; a && *a; a++)
        g_string_append_printf(s, "#SBATCH %s\n", *a);
    char *qcells = g_shell_quote(cells_file), *qexe = g_shell_quote(o->exe);
    char *qgrid = g_shell_quote(o->grid_path), *qdir = g_shell_quote(g->sweep_dir);
    /* the task loads the grid with the same command-line overrides */
    GString *qov = g_string_new(NULL);
    for (char **ov = g->overrides; *ov; ov++) {
        char *q = g_shell_quote(*ov);
        g_string_append_printf(qov, " %s", q);
        g_free(q);
    }
    g_string_append_printf(s,
                           "cell=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" %s)\n"
                           "[ -n \"$cell\" ] || { echo \"no cell for array task "
                           "$SLURM_ARRAY_TASK_ID in %s\" >&2; exit 1; }\n"
                           "# exec: Slurm's SIGTERM (scancel, time limit, preemption) reaches "
                           "the run,\n# which checkpoints and stops; the next submission "
                           "resumes it\n"
                           "exec %s sweep %s%s --dir %s --cell \"$cell\"\n",
                           qcells, cells_file, qexe, qgrid, qov->str, qdir);
    g_string_free(qov, TRUE);
    g_free(qcells);
    g_free(qexe);
    g_free(qgrid);
    g_free(qdir);
    g_free(base);
    g_free(cwd);
    g_free(sd);
    return g_string_free(s, FALSE);
}

/* the next submission's _slurm/array-K.sh and (absolute) array-K.cells: K one
 * past the last submission's (newly allocated) */
static void next_array_files(const char *sweep_dir, char **script, char **cells_file)
{
    for (guint k = 1;; k++) {
        char *name = g_strdup_printf("array-%u.sh", k);
        *script = slurm_path(sweep_dir, name);
        g_free(name);
        if (!g_file_test(*script, G_FILE_TEST_EXISTS)) {
            name = g_strdup_printf("array-%u.cells", k);
            char *rel = slurm_path(sweep_dir, name);
            *cells_file = absolute(rel);
            g_free(rel);
            g_free(name);
            return;
        }
        g_free(*script);
    }
}

/* submit `script` with sbatch --parsable: its job id (newly allocated), or
 * NULL with `error` set */
static char *sbatch(const char *script, GError **error)
{
    const char *argv[] = {"sbatch", "--parsable", script, NULL};
    char *out = NULL, *why = NULL;
    if (!run_tool(argv, &out, &why)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s (script %s)", why, script);
        g_free(why);
        g_free(out);
        return NULL;
    }
    /* "JOBID" or "JOBID;CLUSTER" */
    char *job = g_strdup(g_strstrip(out));
    char *semi = strchr(job, ';');
    if (semi)
        *semi = 0;
    gint64 id;
    if (!parse_int(job, &id)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "sbatch answered '%s', not a job id (script %s)", out, script);
        g_free(job);
        job = NULL;
    }
    g_free(out);
    return job;
}

gboolean prefrl_sweep_submit(const PrefrlGrid *g, const PrefrlSlurmOptions *opt,
                             guint *submitted, GError **error)
{
    *submitted = 0;
    if (!check_slurm_options(opt, error))
        return FALSE;
    char *logs = g_build_filename(g->sweep_dir, SLURM_SUBDIR, "logs", NULL);
    if (g_mkdir_with_parents(logs, 0755) != 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot create %s: %s", logs,
                    g_strerror(errno));
        g_free(logs);
        return FALSE;
    }
    g_free(logs);
    int lock = -1;
    if (!lock_dir(g->sweep_dir, &lock, error))
        return FALSE;
    SlurmView view = {0};
    gboolean ok = write_cells(g, error) && view_load(g->sweep_dir, &view, error);
    if (ok && view.tasks->len && !view.queried) {
        /* without squeue, a queued cell could be submitted twice */
        char *path = slurm_path(g->sweep_dir, JOBS_FILE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot tell which cells of %s are still queued (%s); nothing submitted",
                    path, view.query_error);
        g_free(path);
        ok = FALSE;
    }
    GPtrArray *unsubmitted = g_ptr_array_new(); /* const char* cell names */
    guint done = 0, held_n = 0;
    for (guint i = 0; ok && i < g->cells->len; i++) {
        const PrefrlGridCell *c = g->cells->pdata[i];
        char *detail = NULL, *held = NULL;
        PrefrlCellState st = prefrl_grid_cell_state(g, i, &detail);
        if (st == PREFRL_CELL_DONE || st == PREFRL_CELL_STALE) {
            done++;
            if (st == PREFRL_CELL_STALE)
                fprintf(opt->out, "prefrl sweep: warning: cell %s is done, but under another "
                                  "recipe (%s); kept: remove %s/%s to run it again\n",
                        c->name, detail, g->sweep_dir, c->name);
        } else if (st == PREFRL_CELL_RUNNING) {
            held_n++;
            fprintf(opt->out, "prefrl sweep: cell %s is %s; not submitted\n", c->name, detail);
        } else if (view_holds(&view, c->name, &held)) {
            held_n++;
            fprintf(opt->out, "prefrl sweep: cell %s: %s; not submitted again\n", c->name,
                    held);
        } else {
            g_ptr_array_add(unsubmitted, c->name);
        }
        g_free(detail);
        g_free(held);
    }
    if (ok && !unsubmitted->len) {
        fprintf(opt->out, "sweep %s: %u cells: %u done, %u queued or running; nothing to "
                          "submit\n", g->sweep_dir, g->cells->len, done, held_n);
    } else if (ok) {
        char *script = NULL, *cells_file = NULL;
        next_array_files(g->sweep_dir, &script, &cells_file);
        GString *names = g_string_new(NULL);
        for (guint i = 0; i < unsubmitted->len; i++)
            g_string_append_printf(names, "%s\n", (const char *)unsubmitted->pdata[i]);
        char *text = array_script(g, opt, unsubmitted->len, cells_file);
        ok = prefrl_write_file_atomic(cells_file, names->str, names->len, error) &&
             prefrl_write_file_atomic(script, text, strlen(text), error);
        if (ok && g_chmod(script, 0755) != 0) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot chmod %s: %s", script,
                        g_strerror(errno));
            ok = FALSE;
        }
        char *job = NULL;
        if (ok && opt->dry)
            fprintf(opt->out, "sweep %s: %u cells to submit; script %s (not submitted: "
                              "--dry-run)\n", g->sweep_dir, unsubmitted->len, script);
        else if (ok)
            ok = (job = sbatch(script, error)) != NULL;
        if (job) {
            for (guint i = 0; i < unsubmitted->len; i++) {
                Task *t = g_new0(Task, 1);
                t->job = g_strdup(job);
                t->index = i;
                t->cell = g_strdup(unsubmitted->pdata[i]);
                g_ptr_array_add(view.tasks, t);
            }
            char *path = slurm_path(g->sweep_dir, JOBS_FILE);
            ok = write_tasks(g->sweep_dir, view.tasks, error);
            if (!ok)
                g_prefix_error(error, "submitted job %s, but could not record it (cancel "
                                      "it with scancel %s): ", job, job);
            char par[48] = "";
            if (opt->max_parallel > 0)
                g_snprintf(par, sizeof par, ", at most %d at once", opt->max_parallel);
            if (ok)
                fprintf(opt->out, "sweep %s: submitted %u of %u cells as Slurm job %s "
                                  "(array 0-%u%s); %u done, %u queued or running\n"
                                  "  script %s, tasks recorded in %s, logs in %s/%s/logs\n",
                        g->sweep_dir, unsubmitted->len, g->cells->len, job,
                        unsubmitted->len - 1, par, done, held_n, script, path, g->sweep_dir,
                        SLURM_SUBDIR);
            g_free(path);
            if (ok)
                *submitted = unsubmitted->len;
        }
        g_free(job);
        g_free(text);
        g_string_free(names, TRUE);
        g_free(script);
        g_free(cells_file);
    }
    g_ptr_array_unref(unsubmitted);
    view_clear(&view);
    close(lock);
    return ok;
}

int prefrl_sweep_run_cell(const PrefrlGrid *g, const char *name, const char *exe,
                          GError **error)
{
    guint i = 0;
    while (i < g->cells->len && strcmp(((PrefrlGridCell *)g->cells->pdata[i])->name, name))
        i++;
    if (i == g->cells->len) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "the grid has no cell '%s' (its first is '%s'); was the grid changed since "
                    "the submission?", name,
                    g->cells->len ? ((PrefrlGridCell *)g->cells->pdata[0])->name : "");
        return 1;
    }
    const PrefrlGridCell *c = g->cells->pdata[i];
    char *detail = NULL;
    PrefrlCellState st = prefrl_grid_cell_state(g, i, &detail);
    if (st == PREFRL_CELL_DONE || st == PREFRL_CELL_STALE) {
        fprintf(stderr, "prefrl sweep: cell %s is already done%s%s%s; nothing to run\n", name,
                detail ? " (under another recipe: " : "", detail ? detail : "",
                detail ? ")" : "");
        g_free(detail);
        return 0;
    }
    if (st == PREFRL_CELL_RUNNING) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cell %s is %s; this task leaves it "
                    "alone", name, detail);
        g_free(detail);
        return 1;
    }
    g_free(detail);
    /* threads from the allocation, unless the recipe chose them */
    int threads = 0;
    const char *cpus = g_getenv("SLURM_CPUS_PER_TASK");
    gint64 n;
    if (!c->threads_set && cpus && parse_int(cpus, &n) && n >= 1)
        threads = (int)MIN(n, 64); /* the `threads` key's range */
    GPtrArray *w = cell_words(g, i, exe, threads);
    GString *cmd = g_string_new(NULL);
    for (guint k = 0; k < w->len; k++)
        append_word(cmd, w->pdata[k]);
    fprintf(stderr, "prefrl sweep: cell %s: %s\n", name, cmd->str);
    fflush(stderr);
    g_string_free(cmd, TRUE);
    g_ptr_array_add(w, NULL);
    execv(exe, (char **)w->pdata);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot execute %s: %s", exe,
                g_strerror(errno));
    g_ptr_array_unref(w);
    return 1;
}

static int strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the cell names of the sweep in `dir`: .cells, else its run directories */
static GPtrArray *sweep_cells(const char *dir, GError **error)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    char *path = g_build_filename(dir, CELLS_FILE, NULL);
    char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l)
                g_ptr_array_add(names, g_strdup(*l));
        g_strfreev(lines);
        g_free(text);
    } else {
        GDir *d = g_dir_open(dir, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, n, NULL);
            if (n[0] != '.' && prefrl_rundir_is_run(p))
                g_ptr_array_add(names, g_strdup(n));
            g_free(p);
        }
        if (d)
            g_dir_close(d);
        g_ptr_array_sort(names, strcmp_ptr);
    }
    if (!names->len) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s is not a sweep directory (no %s "
                    "and no run directories in it)", dir, CELLS_FILE);
        g_ptr_array_unref(names);
        names = NULL;
    }
    g_free(path);
    return names;
}

gboolean prefrl_sweep_status(const char *dir, FILE *out, GError **error)
{
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: no such directory (--status "
                    "takes a sweep directory)", dir);
        return FALSE;
    }
    GPtrArray *names = sweep_cells(dir, error);
    if (!names)
        return FALSE;
    SlurmView view = {0};
    if (!view_load(dir, &view, error)) {
        view_clear(&view);
        g_ptr_array_unref(names);
        return FALSE;
    }
    if (view.tasks->len && !view.queried)
        fprintf(out, "prefrl sweep: warning: %s; Slurm states are not shown\n",
                view.query_error);
    enum { DONE, RUNNING, PENDING, FAILED, INTERRUPTED, N_WORDS };
    static const char *const words[] = {"done", "running", "pending", "failed", "interrupted"};
    guint counts[N_WORDS] = {0};
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        char *cell = g_build_filename(dir, name, NULL);
        gboolean exists = g_file_test(cell, G_FILE_TEST_IS_DIR);
        char *text = NULL;
        PrefrlRunStatus rs = exists ? prefrl_rundir_status(cell, &text) : PREFRL_STATUS_NONE;
        long holder = exists ? prefrl_rundir_lock_holder(cell) : 0;
        const char *st = NULL;
        const Task *t = view.queried ? view_task(&view, name, &st) : NULL;
        GString *why = g_string_new(NULL);
        int w;
        if (rs == PREFRL_STATUS_DONE) {
            w = DONE;
        } else if (holder != 0 || (state_active(st) && !state_queued(st))) {
            w = RUNNING;
            if (holder > 0)
                g_string_append_printf(why, "prefrl process %ld", holder);
        } else if (state_active(st)) {
            w = PENDING;
            g_string_append(why, rs == PREFRL_STATUS_INTERRUPTED &&
                                         prefrl_rundir_has_checkpoint(cell)
                                     ? "queued to resume from its checkpoint"
                                     : "queued");
        } else if (rs == PREFRL_STATUS_FAILED || rs == PREFRL_STATUS_UNKNOWN) {
            w = FAILED;
            g_string_append_printf(why, "status '%s'; see %s/%s", text ? text : "?", cell,
                                   prefrl_rundir_name(PREFRL_RUN_STATUS));
        } else if (rs == PREFRL_STATUS_INTERRUPTED || rs == PREFRL_STATUS_RUNNING) {
            w = INTERRUPTED;
            g_string_append(why, prefrl_rundir_has_checkpoint(cell)
                                     ? "resumable from its checkpoint"
                                     : "no checkpoint: restarts from scratch");
        } else if (t && st && strcmp(st, "COMPLETED") && strcmp(st, "CANCELLED") &&
                   strcmp(st, "PREEMPTED") && strcmp(st, "DEADLINE")) {
            /* the task failed before its run began (a bad node, a missing program) */
            w = FAILED;
            g_string_append(why, "the task failed before the run started");
        } else if (t && st && strcmp(st, "COMPLETED")) {
            w = PENDING; /* cancelled before it began: the next submission runs it */
            g_string_append(why, "not started");
        } else {
            w = PENDING;
            g_string_append(why, t ? "submitted" : "not started");
        }
        if (t) {
            g_string_append_printf(why, "%sSlurm task %s_%u %s", why->len ? "; " : "", t->job,
                                   t->index, st ? st : "(forgotten by squeue)");
            if (w != DONE)
                g_string_append_printf(why, ", log %s/%s/logs/%s_%u.out", dir, SLURM_SUBDIR,
                                       t->job, t->index);
        }
        counts[w]++;
        fprintf(out, "%-12s %s%s%s%s\n", words[w], name, why->len ? "  (" : "", why->str,
                why->len ? ")" : "");
        g_string_free(why, TRUE);
        g_free(text);
        g_free(cell);
    }
    fprintf(out, "sweep %s: %u cells: %u done, %u running, %u pending, %u failed, %u "
                 "interrupted\n", dir, names->len, counts[DONE], counts[RUNNING],
            counts[PENDING], counts[FAILED], counts[INTERRUPTED]);
    view_clear(&view);
    g_ptr_array_unref(names);
    return TRUE;
}
