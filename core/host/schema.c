/* Section validation: every key of a recipe section is checked against a
 * parameter schema (the core's keys, which the layer running recipes
 * supplies, or a component's for its section: resolve.c picks which);
 * unknown keys get a "did you mean" hint, bad values the allowed ones; then
 * every default is written out so the saved recipe is complete.  Also the
 * typed getters plugins read their validated sections with. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host/schema.h"

#define INT_MAXF 9007199254740992.0 /* 2^53: integers beyond lose precision as doubles */

/* ---- hints -------------------------------------------------------------- */

guint prefrl_edit_distance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    guint *row = g_new(guint, lb + 1);
    for (gsize j = 0; j <= lb; j++)
        row[j] = (guint)j;
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];
        row[0] = (guint)i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
            guint best = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            row[j] = best;
            diag = up;
        }
    }
    guint d = row[lb];
    g_free(row);
    return d;
}

const char *prefrl_nearest(const char *word, const char *const *candidates, guint n)
{
    const char *best = NULL;
    guint best_d = G_MAXUINT;
    for (guint i = 0; i < n; i++) {
        guint d = prefrl_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    guint limit = MAX(2, (guint)strlen(word) / 3);
    return best && best_d <= limit ? best : NULL;
}

const char *prefrl_param_type_name(PrefrlParamType type)
{
    switch (type) {
    case PREFRL_PARAM_INT: return "int";
    case PREFRL_PARAM_FLOAT: return "float";
    case PREFRL_PARAM_BOOL: return "bool";
    case PREFRL_PARAM_STRING: return "string";
    case PREFRL_PARAM_CHOICE: return "choice";
    }
    return "?";
}

static GPtrArray *spec_keys(const PrefrlParamSpec *specs)
{
    GPtrArray *keys = g_ptr_array_new();
    for (const PrefrlParamSpec *s = specs; s && s->key; s++)
        g_ptr_array_add(keys, (gpointer)s->key);
    return keys;
}

static char *join_words(GPtrArray *words)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(words, i));
    return g_string_free(s, FALSE);
}

/* ---- values ------------------------------------------------------------- */

static gboolean parse_float(const char *t, double *out)
{
    const char *s = t;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (*s == '.')
        s++; /* YAML spells infinity .inf */
    if (!g_ascii_strcasecmp(s, "inf") || !g_ascii_strcasecmp(s, "infinity")) {
        *out = sign * INFINITY;
        return TRUE;
    }
    char *end;
    errno = 0;
    double v = g_ascii_strtod(t, &end);
    if (end == t || *end || errno == ERANGE || isnan(v))
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean parse_int(const char *t, gint64 *out)
{
    char *end;
    errno = 0;
    gint64 v = g_ascii_strtoll(t, &end, 10);
    if (end != t && !*end && errno == 0) {
        *out = v;
        return TRUE;
    }
    /* 1e6 is a common way to write step counts: accept integral floats */
    double d;
    if (parse_float(t, &d) && isfinite(d) && d == floor(d) && fabs(d) <= INT_MAXF) {
        *out = (gint64)d;
        return TRUE;
    }
    return FALSE;
}

static gboolean parse_bool(const char *t, gboolean *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!g_ascii_strcasecmp(t, yes[i])) {
            *out = TRUE;
            return TRUE;
        }
        if (!g_ascii_strcasecmp(t, no[i])) {
            *out = FALSE;
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean choice_ok(const char *choices, const char *t)
{
    char **words = g_strsplit(choices, "|", -1);
    gboolean ok = g_strv_contains((const char *const *)words, t);
    g_strfreev(words);
    return ok;
}

static char *format_bound(double v, PrefrlParamType type)
{
    if (isinf(v))
        return g_strdup(v > 0 ? "inf" : "-inf");
    if (type == PREFRL_PARAM_INT)
        return g_strdup_printf("%lld", (long long)v);
    return g_strdup_printf("%g", v);
}

/* check node against spec and normalise its text; error names label.key */
static gboolean check_value(const PrefrlParamSpec *s, const char *label, PrefrlNode *n,
                            GError **error)
{
    char *where = prefrl_node_where(n, FALSE);
    gboolean ok = TRUE;
    if (n->kind != PREFRL_NODE_SCALAR) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s%s.%s: expected a single %s value, not a %s", where, label, s->key,
                    prefrl_param_type_name(s->type),
                    n->kind == PREFRL_NODE_MAP ? "map" : "list");
        g_free(where);
        return FALSE;
    }
    const char *t = n->text;
    char *shown = prefrl_text_escape(t); /* values are echoed on one line */
    double v = 0;
    switch (s->type) {
    case PREFRL_PARAM_INT: {
        gint64 i;
        if (!parse_int(t, &i) || n->quoted) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: expected an integer, got '%s'", where, label, s->key, shown);
            ok = FALSE;
            break;
        }
        v = (double)i;
        g_free(n->text);
        n->text = g_strdup_printf("%" G_GINT64_FORMAT, i);
        t = n->text; /* the old text is gone */
        break;
    }
    case PREFRL_PARAM_FLOAT:
        if (!parse_float(t, &v) || n->quoted) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: expected a number, got '%s'", where, label, s->key, shown);
            ok = FALSE;
        }
        break;
    case PREFRL_PARAM_BOOL: {
        gboolean b;
        if (!parse_bool(t, &b) || n->quoted) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: expected true or false, got '%s'", where, label, s->key, shown);
            ok = FALSE;
            break;
        }
        g_free(n->text);
        n->text = g_strdup(b ? "true" : "false");
        t = n->text;
        break;
    }
    case PREFRL_PARAM_CHOICE:
        if (!choice_ok(s->choices, t)) {
            char **words = g_strsplit(s->choices, "|", -1);
            char *valid = g_strjoinv(", ", words);
            const char *near = prefrl_nearest(t, (const char *const *)words, g_strv_length(words));
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: '%s' is not one of: %s%s%s%s", where, label, s->key, shown, valid,
                        near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
            g_free(valid);
            g_strfreev(words);
            ok = FALSE;
        }
        break;
    case PREFRL_PARAM_STRING:
        break;
    }
    if (ok && (s->type == PREFRL_PARAM_INT || s->type == PREFRL_PARAM_FLOAT) &&
        s->min != s->max && (v < s->min || v > s->max)) {
        char *lo = format_bound(s->min, s->type), *hi = format_bound(s->max, s->type);
        if (s->max >= 1e15) /* effectively unbounded above */
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: %s is out of range; it must be >= %s", where, label, s->key, t,
                        lo);
        else
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s.%s: %s is out of range; allowed values are [%s, %s]", where, label,
                        s->key, t, lo, hi);
        g_free(lo);
        g_free(hi);
        ok = FALSE;
    }
    g_free(shown);
    g_free(where);
    return ok;
}

PrefrlNode *prefrl_schema_defaults(const PrefrlParamSpec *specs)
{
    PrefrlNode *sec = prefrl_node_new_map("<defaults>", 0, 0);
    for (const PrefrlParamSpec *s = specs; s && s->key; s++)
        if (s->dflt)
            prefrl_node_set(sec, s->key, prefrl_node_new_scalar(s->dflt, "<defaults>", 0, 0));
    return sec;
}

gboolean prefrl_schema_apply(const PrefrlParamSpec *specs, const char *label,
                             PrefrlNode *section, const char *selector, GError **error)
{
    /* unknown keys first: a typo is the likeliest mistake */
    for (guint i = 0; i < section->items->len; i++) {
        PrefrlNode *n = g_ptr_array_index(section->items, i);
        if (selector && !strcmp(n->key, selector))
            continue;
        const PrefrlParamSpec *s = specs;
        while (s && s->key && strcmp(s->key, n->key))
            s++;
        if (!s || !s->key) {
            GPtrArray *keys = spec_keys(specs);
            const char *near = prefrl_nearest(n->key, (const char *const *)keys->pdata, keys->len);
            char *where = prefrl_node_where(n, TRUE);
            if (near) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                            "%sunknown key '%s' in %s; did you mean '%s'?", where, n->key, label,
                            near);
            } else {
                char *valid = keys->len ? join_words(keys) : g_strdup("(none)");
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                            "%sunknown key '%s' in %s; valid keys: %s", where, n->key, label,
                            valid);
                g_free(valid);
            }
            g_free(where);
            g_ptr_array_unref(keys);
            return FALSE;
        }
        if (!check_value(s, label, n, error))
            return FALSE;
    }
    /* then write out every default */
    for (const PrefrlParamSpec *s = specs; s && s->key; s++) {
        if (prefrl_node_get(section, s->key))
            continue;
        if (!s->dflt) {
            char *where = prefrl_node_where(section, TRUE);
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%s%s: missing required key '%s' (%s)", where, label, s->key, s->doc);
            g_free(where);
            return FALSE;
        }
        PrefrlNode *d = prefrl_node_new_scalar(s->dflt, "<defaults>", 0, 0);
        prefrl_node_set(section, s->key, d);
        if (!check_value(s, label, d, error)) /* a bad default is the plugin's bug */
            return FALSE;
    }
    return TRUE;
}

/* ---- typed getters for plugins ---------------------------------------------- */

static const char *param_text(const PrefrlNode *params, const char *key)
{
    const char *t = prefrl_node_text(prefrl_node_get(params, key));
    if (!t)
        g_critical("prefrl: parameter '%s' is not in the validated section", key);
    return t;
}

gint64 prefrl_param_int(const PrefrlNode *params, const char *key)
{
    const char *t = param_text(params, key);
    gint64 v = 0;
    if (t && !parse_int(t, &v))
        g_critical("prefrl: parameter '%s' = '%s' is not an integer", key, t);
    return v;
}

double prefrl_param_float(const PrefrlNode *params, const char *key)
{
    const char *t = param_text(params, key);
    double v = 0;
    if (t && !parse_float(t, &v))
        g_critical("prefrl: parameter '%s' = '%s' is not a number", key, t);
    return v;
}

gboolean prefrl_param_bool(const PrefrlNode *params, const char *key)
{
    const char *t = param_text(params, key);
    gboolean v = FALSE;
    if (t && !parse_bool(t, &v))
        g_critical("prefrl: parameter '%s' = '%s' is not a boolean", key, t);
    return v;
}

const char *prefrl_param_string(const PrefrlNode *params, const char *key)
{
    return param_text(params, key);
}
