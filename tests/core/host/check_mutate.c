/* Recipe mutation test: damaged copies of every shipped recipe
 * (configs/, without the sweep grids) and of the test recipes
 * (tests/common/recipes/) go through the parser and the validator as
 * `prefrl check` runs them.  Each must end in a valid recipe or in a
 * one-line error: no crash, no hang, no message with a newline or another
 * control character in it, no silent failure.  A valid mutant is also
 * written out as YAML, read back and validated again: the resolved recipe of
 * a run directory must feed back.
 *
 * The mutants are fixed: a seeded generator (PREFRL_MUTATE_SEED, default 13)
 * picks, for each of PREFRL_MUTANTS (default 3000) mutants, a source file and
 * one to three edits: byte flips, deletions, duplicated, deleted or swapped
 * lines, swapped values, huge and odd numbers, YAML tags, anchors and
 * aliases, block scalars, quoted escapes, truncation and device includes.
 * A mutant is written next to its source in a copy of the tree, so its
 * relative includes resolve as the original's do.  A failure prints the
 * mutant's number and text (escaped). */
#include "config.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include <prefrl/pbrl.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include "check_run.h"

/* splitmix64: a fixed sequence, whatever the platform */
static guint64 rng_state;

static guint64 next_u64(void)
{
    guint64 z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 */
static gsize pick(gsize n)
{
    return (gsize)(next_u64() % n);
}

typedef struct {
    char *path;   /* the copy's path */
    char *text;   /* its original text */
    gsize len;
} Source;

static GPtrArray *sources; /* Source* */
static char *scratch;      /* the temporary copy of the trees */

static void source_free(Source *s)
{
    g_free(s->path);
    g_free(s->text);
    g_free(s);
}

/* g_ptr_array_sort hands the comparison pointers to the elements */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* copy the .yaml files under src to dst (same relative paths), recording
 * each as a source unless it lies under a folder named `skip` */
static void copy_tree(const char *src, const char *dst, const char *skip)
{
    GDir *d = g_dir_open(src, 0, NULL);
    ck_assert_msg(d != NULL, "cannot open %s", src);
    ck_assert_int_eq(g_mkdir_with_parents(dst, 0700), 0);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, compare_names); /* the same order everywhere */
    for (guint i = 0; i < names->len; i++) {
        const char *nm = names->pdata[i];
        char *s = g_build_filename(src, nm, NULL);
        char *t = g_build_filename(dst, nm, NULL);
        if (g_file_test(s, G_FILE_TEST_IS_DIR)) {
            copy_tree(s, t, skip && !strcmp(nm, skip) ? NULL : skip);
            if (skip && !strcmp(nm, skip)) { /* copied for includes, not mutated */
                for (guint j = sources->len; j > 0; j--) {
                    Source *x = sources->pdata[j - 1];
                    if (!g_str_has_prefix(x->path, t))
                        break;
                    g_ptr_array_remove_index(sources, j - 1);
                }
            }
        } else if (g_str_has_suffix(nm, ".yaml")) {
            Source *x = g_new0(Source, 1);
            ck_assert(g_file_get_contents(s, &x->text, &x->len, NULL));
            ck_assert(g_file_set_contents(t, x->text, (gssize)x->len, NULL));
            x->path = g_strdup(t);
            g_ptr_array_add(sources, x);
        }
        g_free(s);
        g_free(t);
    }
    g_ptr_array_unref(names);
}

/* ---- the edits ------------------------------------------------------------ */

/* [start, end) of line i of text (i < number of lines) */
static gsize n_lines(const GString *t)
{
    gsize n = 0;
    for (gsize i = 0; i < t->len; i++)
        n += t->str[i] == '\n';
    return n + (t->len && t->str[t->len - 1] != '\n');
}

static void line_span(const GString *t, gsize line, gsize *start, gsize *end)
{
    gsize i = 0;
    for (gsize l = 0; l < line && i < t->len; i++)
        if (t->str[i] == '\n')
            l++;
    *start = i;
    while (i < t->len && t->str[i] != '\n')
        i++;
    *end = i < t->len ? i + 1 : i; /* with its newline */
}

/* the value part of line `line` ("key: VALUE"), or FALSE */
static gboolean value_span(const GString *t, gsize line, gsize *vs, gsize *ve)
{
    gsize s, e;
    line_span(t, line, &s, &e);
    while (e > s && (t->str[e - 1] == '\n' || t->str[e - 1] == '\r'))
        e--;
    for (gsize i = s; i + 1 < e; i++) {
        if (t->str[i] == '#')
            return FALSE;
        if (t->str[i] == ':' && t->str[i + 1] == ' ') {
            gsize v = i + 2;
            while (v < e && t->str[v] == ' ')
                v++;
            gsize w = v;
            while (w < e && !(t->str[w] == ' ' && w + 1 < e && t->str[w + 1] == '#'))
                w++;
            if (w <= v)
                return FALSE;
            *vs = v;
            *ve = w;
            return TRUE;
        }
    }
    return FALSE;
}

/* a random line that has a value, or FALSE */
static gboolean some_value(const GString *t, gsize *vs, gsize *ve)
{
    gsize n = n_lines(t);
    if (!n)
        return FALSE;
    gsize first = pick(n);
    for (gsize k = 0; k < n; k++)
        if (value_span(t, (first + k) % n, vs, ve))
            return TRUE;
    return FALSE;
}

static const char *const huge[] = {
    "99999999999999999999999", "1e308", "1e309", "-1e400", "2147483648", "4294967296",
    "-9223372036854775809", "9223372036854775807", "nan", ".inf", "-.inf", "0x7fffffff",
    "1e15", "-0", "1e-320", "0.1e1000", "18446744073709551616", "1_000", "0o17", "+5",
};
static const char *const tags[] = {
    "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!custom ", "!!map ", "!!seq ",
    "! ", "!<tag:example.com,2000:x> ", "!!binary ", "!!timestamp ", "!e!x ",
};
static const char *const anchors[] = {"&a ", "*a", "&b [*a, *a]", "<<: *a", "&a\n", "*"};
static const char *const syntax[] = {":", "-", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">",
                                     "'", "\"", "%", "@", "`", ",", "\n", " ", "\t", "\\", "?",
                                     "\r", "\x7f", "\xc3", "\xef\xbb\xbf", "---\n", "...\n"};
static const char *const escapes[] = {"\"a\\nb\"", "\"\\t\"", "\"x\\0y\"", "\"\\x01\"",
                                      "\"\\u2028\"", "\"\\N\"", "'it''s'", "\"\\e[31m\"", "\"\"", "''",
                                      "\"\\\\\"", "|\n  1\n", ">-\n  a\n  b\n", "|+\n\n"};
static const char *const includes[] = {"include: /dev/zero\n", "defaults: /dev/null\n",
                                       "include: .\n", "defaults: [missing.yaml]\n",
                                       "include: {a: 1}\n", "defaults: \"\"\n"};

/* one random edit of t */
static void mutate(GString *t)
{
    gsize vs, ve, s, e, s2, e2, n = n_lines(t);
    switch (pick(14)) {
    case 0: /* byte flip */
        if (t->len) {
            gsize i = pick(t->len);
            t->str[i] = (char)(t->str[i] ^ (1 << pick(8)));
        }
        break;
    case 1: /* a syntax character inserted or written over a byte */
        if (t->len) {
            gsize i = pick(t->len);
            const char *c = syntax[pick(G_N_ELEMENTS(syntax))];
            if (pick(2))
                g_string_erase(t, (gssize)i, 1);
            g_string_insert(t, (gssize)i, c);
        }
        break;
    case 2: /* deletion */
        if (t->len) {
            gsize i = pick(t->len), k = 1 + pick(16); /* not inside MIN: it evaluates twice */
            g_string_erase(t, (gssize)i, (gssize)MIN(t->len - i, k));
        }
        break;
    case 3: /* a duplicated line */
        if (n) {
            line_span(t, pick(n), &s, &e);
            char *dup = g_strndup(t->str + s, e - s);
            g_string_insert(t, (gssize)e, dup);
            g_free(dup);
        }
        break;
    case 4: /* a deleted line */
        if (n) {
            line_span(t, pick(n), &s, &e);
            g_string_erase(t, (gssize)s, (gssize)(e - s));
        }
        break;
    case 5: /* two lines swapped */
        if (n > 1) {
            gsize a = pick(n), b = pick(n);
            if (a > b) {
                gsize x = a;
                a = b;
                b = x;
            }
            if (a == b)
                break;
            line_span(t, a, &s, &e);
            line_span(t, b, &s2, &e2);
            char *la = g_strndup(t->str + s, e - s), *lb = g_strndup(t->str + s2, e2 - s2);
            g_string_erase(t, (gssize)s2, (gssize)(e2 - s2));
            g_string_insert(t, (gssize)s2, la);
            g_string_erase(t, (gssize)s, (gssize)(e - s));
            g_string_insert(t, (gssize)s, lb);
            g_free(la);
            g_free(lb);
        }
        break;
    case 6: /* two values swapped */
        if (some_value(t, &vs, &ve) && some_value(t, &s, &e) && vs != s) {
            char *va = g_strndup(t->str + vs, ve - vs), *vb = g_strndup(t->str + s, e - s);
            if (vs > s) { /* the later one first, so the earlier span stays put */
                g_string_erase(t, (gssize)vs, (gssize)(ve - vs));
                g_string_insert(t, (gssize)vs, vb);
                g_string_erase(t, (gssize)s, (gssize)(e - s));
                g_string_insert(t, (gssize)s, va);
            } else {
                g_string_erase(t, (gssize)s, (gssize)(e - s));
                g_string_insert(t, (gssize)s, va);
                g_string_erase(t, (gssize)vs, (gssize)(ve - vs));
                g_string_insert(t, (gssize)vs, vb);
            }
            g_free(va);
            g_free(vb);
        }
        break;
    case 7: /* a huge or odd number */
        if (some_value(t, &vs, &ve)) {
            g_string_erase(t, (gssize)vs, (gssize)(ve - vs));
            g_string_insert(t, (gssize)vs, huge[pick(G_N_ELEMENTS(huge))]);
        }
        break;
    case 8: /* a tag before a value (or a key) */
        if (some_value(t, &vs, &ve)) {
            if (pick(4) == 0) { /* before the key */
                gsize l = pick(n);
                line_span(t, l, &s, &e);
                while (s < e && t->str[s] == ' ')
                    s++;
                vs = s;
            }
            g_string_insert(t, (gssize)vs, tags[pick(G_N_ELEMENTS(tags))]);
        }
        break;
    case 9: /* anchors and aliases */
        if (some_value(t, &vs, &ve)) {
            const char *a = anchors[pick(G_N_ELEMENTS(anchors))];
            if (a[0] == '*' || a[0] == '<')
                g_string_erase(t, (gssize)vs, (gssize)(ve - vs));
            g_string_insert(t, (gssize)vs, a);
        }
        break;
    case 10: /* a value made a block scalar or a quoted string with escapes */
        if (some_value(t, &vs, &ve)) {
            if (pick(2)) {
                g_string_erase(t, (gssize)vs, (gssize)(ve - vs));
                g_string_insert(t, (gssize)vs, escapes[pick(G_N_ELEMENTS(escapes))]);
            } else {
                g_string_insert(t, (gssize)vs, pick(2) ? "|\n    " : ">\n    ");
            }
        }
        break;
    case 11: /* truncation */
        if (t->len)
            g_string_truncate(t, pick(t->len));
        break;
    case 12: /* an include of a special or odd file */
        g_string_prepend(t, includes[pick(G_N_ELEMENTS(includes))]);
        break;
    default: /* a random byte */
        if (t->len)
            t->str[pick(t->len)] = (char)(1 + pick(255));
        break;
    }
}

/* ---- the oracle ------------------------------------------------------------ */

/* NULL when msg is a good one-line error, else what is wrong with it */
static const char *bad_message(const char *msg)
{
    if (!msg || !*msg)
        return "an empty message";
    for (const char *c = msg; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return *c == '\n' ? "a newline in the message" : "a control character in the message";
    /* NEL and the other C1 controls, the Unicode line and paragraph separators */
    for (const char *c = msg; *c; c++)
        if (((unsigned char)c[0] == 0xc2 && (unsigned char)c[1] >= 0x80 &&
             (unsigned char)c[1] <= 0x9f) ||
            ((unsigned char)c[0] == 0xe2 && (unsigned char)c[1] == 0x80 &&
             ((unsigned char)c[2] == 0xa8 || (unsigned char)c[2] == 0xa9)))
            return "a Unicode line break or control in the message";
    return NULL;
}

/* load and validate `path` as `prefrl check` does: NULL and *error, or the tree */
static PrefrlNode *check_recipe(const char *path, PrefrlRegistry *reg, GError **error)
{
    PrefrlNode *root = prefrl_recipe_load(path, error);
    if (root && !prefrl_recipe_resolve(root, reg, &prefrl_run_keys,
                                       prefrl_trainer_required_kinds(), error)) {
        prefrl_node_free(root);
        return NULL;
    }
    return root;
}

static int env_int(const char *name, int dflt)
{
    const char *v = g_getenv(name);
    return v && *v ? atoi(v) : dflt;
}

START_TEST(test_mutants)
{
    PrefrlRegistry *reg = prefrl_registry_default();
    sources = g_ptr_array_new_with_free_func((GDestroyNotify)source_free);
    scratch = g_dir_make_tmp("prefrl-mutate-XXXXXX", NULL);
    ck_assert_ptr_nonnull(scratch);
    char *configs = g_build_filename(scratch, "configs", NULL);
    char *recipes = g_build_filename(scratch, "recipes", NULL);
    copy_tree(TEST_SRCDIR "/../configs", configs, "sweeps");
    copy_tree(TEST_SRCDIR "/common/recipes", recipes, NULL);
    ck_assert_uint_gt(sources->len, 50);

    /* the originals: the shipped run recipes are valid, every one ends cleanly */
    guint valid_sources = 0;
    for (guint i = 0; i < sources->len; i++) {
        Source *x = sources->pdata[i];
        GError *err = NULL;
        PrefrlNode *root = check_recipe(x->path, reg, &err);
        if (root) {
            valid_sources++;
            prefrl_node_free(root);
        } else {
            const char *why = bad_message(err->message);
            ck_assert_msg(!why, "%s: %s: %s", x->path, why, err->message);
            ck_assert_msg(!g_str_has_prefix(x->path, configs) ||
                              strstr(x->path, "/common/") || strstr(x->path, "/teachers/") ||
                              strstr(x->path, "/bench/"), /* snippets, bench recipes */
                          "shipped recipe %s is refused: %s", x->path, err->message);
            g_error_free(err);
        }
    }

    rng_state = (guint64)env_int("PREFRL_MUTATE_SEED", 13);
    int n_mutants = env_int("PREFRL_MUTANTS", 3000);
    int n_valid = 0, n_error = 0;
    GHashTable *kinds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int m = 0; m < n_mutants; m++) {
        Source *x = sources->pdata[pick(sources->len)];
        GString *t = g_string_new_len(x->text, (gssize)x->len);
        int edits = 1 + (int)pick(3);
        for (int k = 0; k < edits; k++)
            mutate(t);
        char *dir = g_path_get_dirname(x->path);
        char *path = g_build_filename(dir, "mutant.yaml", NULL);
        ck_assert(g_file_set_contents(path, t->str, (gssize)t->len, NULL));
        GError *err = NULL;
        PrefrlNode *root = check_recipe(path, reg, &err);
        char *shown = prefrl_text_escape(t->str);
        if (root) {
            n_valid++;
            ck_assert_ptr_null(err);
            /* the resolved recipe feeds back */
            char *yaml = prefrl_recipe_to_yaml(root);
            PrefrlNode *again = prefrl_recipe_parse_string(yaml, strlen(yaml), "<resolved>", &err);
            if (again && !prefrl_recipe_resolve(again, reg, &prefrl_run_keys,
                                                prefrl_trainer_required_kinds(), &err)) {
                prefrl_node_free(again);
                again = NULL;
            }
            ck_assert_msg(again != NULL, "mutant %d of %s: valid, but its resolved form is "
                          "refused: %s\nmutant: %s", m, x->path, err ? err->message : "?", shown);
            prefrl_node_free(again);
            g_free(yaml);
            prefrl_node_free(root);
        } else {
            n_error++;
            ck_assert_msg(err != NULL, "mutant %d of %s: refused without a message\nmutant: %s", m,
                          x->path, shown);
            const char *why = bad_message(err->message);
            char *msg = prefrl_text_escape(err->message);
            ck_assert_msg(!why, "mutant %d of %s: %s: %s\nmutant: %s", m, x->path, why, msg,
                          shown);
            /* tally the kinds of errors (the text after the location, first words) */
            const char *tail = strstr(msg, ": ");
            tail = tail ? tail + 2 : msg;
            while (g_ascii_isdigit(*tail) || *tail == ':' || *tail == ' ')
                tail++;
            g_hash_table_add(kinds, g_strndup(tail, MIN(strlen(tail), 24)));
            g_free(msg);
            g_error_free(err);
        }
        g_free(shown);
        g_unlink(path);
        g_free(path);
        g_free(dir);
        g_string_free(t, TRUE);
    }
    printf("check_mutate: %u sources (%u valid), %d mutants: %d valid, %d one-line errors "
           "(%u distinct beginnings)\n",
           sources->len, valid_sources, n_mutants, n_valid, n_error,
           g_hash_table_size(kinds));
    ck_assert_int_ge(n_mutants, 1000);
    /* the edits must reach both outcomes often, or they test little */
    ck_assert_int_gt(n_valid, n_mutants / 20);
    ck_assert_int_gt(n_error, n_mutants / 4);
    g_hash_table_unref(kinds);
    prefrl_remove_tree(scratch);
    g_free(scratch);
    g_free(configs);
    g_free(recipes);
    g_ptr_array_unref(sources);
}
END_TEST

int main(void)
{
    /* a GLib critical or warning from the parser or the validator is a bug */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
    Suite *s = suite_create("mutate");
    TCase *tc = tcase_create("recipes");
    tcase_add_test(tc, test_mutants);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    int failed = check_run(s);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
