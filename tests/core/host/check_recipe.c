/* Recipes: parsing with locations, composition, overrides, validation with
 * exact messages for every bad-recipe fixture, defaults written out, and
 * hostile input ending in an error. */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "check_suites.h"

static PrefrlRegistry *reg;

static void setup(void)
{
    reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert_msg(prefrl_registry_load_file(reg, FIXTURE_GOOD, &err), "%s",
                  err ? err->message : "");
}

static void teardown(void)
{
    prefrl_registry_free(reg);
}

/* load + resolve `name` from tests/common/recipes; return the error message (owned) or
 * NULL */
static char *resolve_error(const char *name, const char *const *overrides)
{
    char *path = g_strconcat(RECIPES, name, NULL);
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_load(path, &err);
    for (const char *const *o = overrides; root && o && *o; o++)
        if (!prefrl_recipe_override(root, *o, &err)) {
            prefrl_node_free(root);
            root = NULL;
        }
    if (root && !prefrl_recipe_resolve(root, reg, &prefrl_run_keys, 1u << PREFRL_KIND_ENV, &err)) {
        prefrl_node_free(root);
        root = NULL;
    }
    prefrl_node_free(root);
    g_free(path);
    if (!err)
        return NULL;
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

/* the message must equal RECIPES + expected (its location first) */
static void expect_error(const char *name, const char *expected)
{
    char *msg = resolve_error(name, NULL);
    ck_assert_msg(msg != NULL, "%s: accepted but should fail", name);
    char *want = g_strconcat(RECIPES, expected, NULL);
    ck_assert_str_eq(msg, want);
    g_free(want);
    g_free(msg);
}

START_TEST(test_bad_recipes)
{
    expect_error("syntax.yaml", "syntax.yaml:4:5: YAML syntax error: while parsing a flow "
                                "sequence did not find expected ',' or ']'");
    expect_error("unknown_key.yaml",
                 "unknown_key.yaml:4:3: unknown key 'gian' in env/fixture_line; did you mean "
                 "'gain'?");
    expect_error("unknown_plugin.yaml",
                 "unknown_plugin.yaml:2:9: unknown env 'fixture_lin'; did you mean "
                 "'fixture_line'? (available: fixture_line)");
    expect_error("wrong_type.yaml", "wrong_type.yaml:3:19: env/fixture_line.episode_length: "
                                    "expected an integer, got 'ten'");
    expect_error("out_of_range.yaml", "out_of_range.yaml:3:9: env/fixture_line.gain: 11 is out "
                                      "of range; allowed values are [0, 10]");
    expect_error("bad_choice.yaml", "bad_choice.yaml:3:9: env/fixture_line.mode: 'fsat' is not "
                                    "one of: fast, slow, exact (did you mean 'fast'?)");
    expect_error("missing_include.yaml",
                 "missing_include.yaml:3:5: included recipe 'no_such_file.yaml' not found "
                 "(looked for " TEST_SRCDIR "/common/recipes/no_such_file.yaml)");
    expect_error("empty.yaml", "empty.yaml:1:1: empty recipe: expected a map of settings");
    expect_error("comment_only.yaml",
                 "comment_only.yaml:1:1: empty recipe: expected a map of settings");
    expect_error("duplicate.yaml",
                 "duplicate.yaml:4:3: duplicate key 'gain' (first defined at line 3)");
    expect_error("top_unknown.yaml", "top_unknown.yaml:1:1: unknown key 'traner' at the top of "
                                     "the recipe; did you mean 'trainer'?");
    expect_error("alias.yaml", "alias.yaml:1:4: YAML anchors and aliases (&name, *name) are not "
                               "supported in recipes; use 'defaults:' to share settings");
    expect_error("section_scalar.yaml",
                 "section_scalar.yaml:1:6: 'env' must be a map of settings");
}
END_TEST

START_TEST(test_missing_section)
{
    char *msg = resolve_error("missing_env.yaml", NULL);
    ck_assert_str_eq(msg, RECIPES "missing_env.yaml: missing section 'env:' with 'task:' (one "
                                  "of: fixture_line)");
    g_free(msg);
}
END_TEST

START_TEST(test_include_cycle)
{
    char *msg = resolve_error("cycle_a.yaml", NULL);
    ck_assert_ptr_nonnull(msg);
    /* located at the include that closes the cycle, naming the chain */
    ck_assert_msg(g_str_has_prefix(msg, RECIPES "cycle_b.yaml:1:12: include cycle: "), "%s", msg);
    ck_assert_ptr_nonnull(strstr(msg, "cycle_a.yaml -> "));
    ck_assert_ptr_nonnull(strstr(msg, "cycle_b.yaml -> "));
    g_free(msg);
}
END_TEST

START_TEST(test_compose_override_defaults)
{
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_load(RECIPES "good.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_recipe_override(root, "env.gain=0.75", &err));
    ck_assert(prefrl_recipe_override(root, "trainer.max_feedback=1e3", &err));
    ck_assert(prefrl_recipe_override(root, "seed=11", &err));
    ck_assert_msg(prefrl_recipe_resolve(root, reg, &prefrl_run_keys, 1u << PREFRL_KIND_ENV, &err),
                  "%s", err ? err->message : "");
    const PrefrlNode *env = prefrl_node_get(root, "env");
    const PrefrlNode *trainer = prefrl_node_get(root, "trainer");
    /* base value, own value, override, default */
    ck_assert_int_eq(prefrl_param_int(trainer, "num_train_steps"), 2000);
    ck_assert_int_eq(prefrl_param_int(trainer, "num_seed_steps"), 50);
    ck_assert_int_eq(prefrl_param_int(trainer, "max_feedback"), 1000);
    ck_assert_int_eq(prefrl_param_int(trainer, "num_unsup_steps"), 9000);
    ck_assert_int_eq(prefrl_param_int(root, "seed"), 11);
    ck_assert_double_eq(prefrl_param_float(env, "gain"), 0.75);
    ck_assert_str_eq(prefrl_param_string(env, "mode"), "slow");
    ck_assert_int_eq(prefrl_param_int(env, "episode_length"), 10);
    ck_assert(!prefrl_param_bool(env, "noisy"));
    ck_assert_int_eq(prefrl_param_int(prefrl_node_get(root, "sampler"), "large_batch"), 10);
    /* locations survive composition */
    const char *file;
    int line, col;
    prefrl_node_location(prefrl_node_get(trainer, "num_train_steps"), &file, &line, &col);
    ck_assert_str_eq(file, RECIPES "base.yaml");
    ck_assert_int_eq(line, 4);
    ck_assert_int_eq(col, 20);

    /* the resolved text has every default and parses back to the same tree */
    char *yaml = prefrl_recipe_to_yaml(root);
    ck_assert_ptr_nonnull(strstr(yaml, "num_unsup_steps: 9000\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "  label: \"\"\n"));
    PrefrlNode *again = prefrl_recipe_parse_string(yaml, strlen(yaml), "resolved", &err);
    ck_assert_msg(again != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_recipe_resolve(again, reg, &prefrl_run_keys, 1u << PREFRL_KIND_ENV, &err));
    char *yaml2 = prefrl_recipe_to_yaml(again);
    ck_assert_str_eq(yaml, yaml2);
    g_free(yaml);
    g_free(yaml2);
    prefrl_node_free(again);
    prefrl_node_free(root);
}
END_TEST

START_TEST(test_override_errors)
{
    char *msg = resolve_error("good.yaml", (const char *const[]){"env.gian=2", NULL});
    ck_assert_str_eq(msg, "<command line>: unknown key 'gian' in env/fixture_line; did you mean "
                          "'gain'?");
    g_free(msg);
    msg = resolve_error("good.yaml", (const char *const[]){"trainer.segment=abc", NULL});
    ck_assert_str_eq(msg, "<command line>: trainer.segment: expected an integer, got 'abc'");
    g_free(msg);
    msg = resolve_error("good.yaml", (const char *const[]){"nonsense", NULL});
    ck_assert_str_eq(msg, "<command line>: override 'nonsense' is not of the form "
                          "section.key=value");
    g_free(msg);
    msg = resolve_error("good.yaml", (const char *const[]){"seed.x=1", NULL});
    ck_assert_ptr_nonnull(strstr(msg, "'seed' is a value, not a section"));
    g_free(msg);
    /* an integer out of range (its text is rewritten before the check) */
    msg = resolve_error("good.yaml", (const char *const[]){"trainer.max_feedback=-5", NULL});
    ck_assert_str_eq(msg, "<command line>: trainer.max_feedback: -5 is out of range; it must be "
                          ">= 0");
    g_free(msg);
    /* infinity is a valid float, a quoted number is not an int */
    msg = resolve_error("good.yaml", (const char *const[]){"env.gain=inf", NULL});
    ck_assert_ptr_nonnull(strstr(msg, "inf is out of range; allowed values are [0, 10]"));
    g_free(msg);
}
END_TEST

/* hostile input: write `len` bytes to a temp recipe and expect an error */
static char *hostile(const char *text, gsize len)
{
    char *path = g_build_filename(g_get_tmp_dir(), "prefrl-hostile.yaml", NULL);
    ck_assert(g_file_set_contents(path, text, (gssize)len, NULL));
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_load(path, &err);
    ck_assert_ptr_null(root);
    ck_assert_ptr_nonnull(err);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    g_unlink(path);
    g_free(path);
    return msg;
}

START_TEST(test_hostile)
{
    /* binary data */
    char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (char)i;
    char *msg = hostile(bin, sizeof bin);
    ck_assert_ptr_nonnull(strstr(msg, "not a valid YAML text file"));
    g_free(msg);
    /* invalid UTF-8 */
    msg = hostile("seed: \xff\xfe\n", 9);
    ck_assert_ptr_nonnull(strstr(msg, "not a valid YAML text file"));
    g_free(msg);
    /* deep nesting */
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    msg = hostile(deep->str, deep->len);
    ck_assert_ptr_nonnull(strstr(msg, "nested too deeply"));
    g_free(msg);
    g_string_free(deep, TRUE);
    /* many nodes */
    GString *wide = g_string_new("a: [");
    for (int i = 0; i < 200000; i++)
        g_string_append(wide, "1,");
    g_string_append(wide, "1]\n");
    msg = hostile(wide->str, wide->len);
    ck_assert_ptr_nonnull(strstr(msg, "recipe too large"));
    g_free(msg);
    g_string_free(wide, TRUE);
    /* a file over the size cap is refused before it is read */
    gsize big = PREFRL_RECIPE_MAX_BYTES + 10;
    char *huge = g_malloc(big);
    memset(huge, '#', big);
    msg = hostile(huge, big);
    ck_assert_ptr_nonnull(strstr(msg, "recipe too large"));
    g_free(msg);
    g_free(huge);
    /* an alias bomb is refused at its first alias */
    msg = hostile("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", 38);
    ck_assert_ptr_nonnull(strstr(msg, "anchors and aliases"));
    g_free(msg);
    /* a NUL inside a value */
    msg = hostile("a: \"x\\0y\"\n", 10);
    ck_assert_ptr_nonnull(strstr(msg, "NUL"));
    g_free(msg);
}
END_TEST

/* resolve a recipe written to a temp file (the env section of base.yaml
 * first); the error message (owned) or NULL */
static char *text_error(const char *text)
{
    char *path = g_build_filename(g_get_tmp_dir(), "prefrl-text.yaml", NULL);
    char *full = g_strconcat("defaults: " RECIPES "base.yaml\n", text, NULL);
    ck_assert(g_file_set_contents(path, full, -1, NULL));
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_load(path, &err);
    if (root && !prefrl_recipe_resolve(root, reg, &prefrl_run_keys, 1u << PREFRL_KIND_ENV, &err)) {
        prefrl_node_free(root);
        root = NULL;
    }
    prefrl_node_free(root);
    g_unlink(path);
    g_free(path);
    g_free(full);
    if (!err)
        return NULL;
    /* every message stays on one line */
    ck_assert_msg(!strchr(err->message, '\n'), "newline in: %s", err->message);
    char *msg = g_strdup(err->message);
    g_error_free(err);
    return msg;
}

/* the message of text_error ends with `tail` */
static void expect_text_error(const char *text, const char *tail)
{
    char *msg = text_error(text);
    ck_assert_msg(msg != NULL, "accepted: %s", text);
    ck_assert_msg(g_str_has_suffix(msg, tail), "'%s' does not end with '%s'", msg, tail);
    g_free(msg);
}

static void expect_text_ok(const char *text)
{
    char *msg = text_error(text);
    ck_assert_msg(msg == NULL, "%s: %s", text, msg);
}

/* YAML tags are honoured or refused, never ignored; values with
 * newlines keep a message on one line */
START_TEST(test_tags)
{
    /* !!str 5 is the string "5": an integer key refuses it */
    expect_text_error("seed: !!str 5\n", "prefrl-text.yaml:2:7: recipe.seed: expected an "
                                         "integer, got '5'");
    expect_text_error("env:\n  episode_length: ! 5\n", "expected an integer, got '5'");
    expect_text_ok("seed: !!int 5\n");
    expect_text_ok("env:\n  episode_length: !!int \"20\"\n  gain: !!float 1.5e0\n"
                   "  noisy: !!bool true\n  label: !!str 12\n");
    expect_text_ok("env: !!map\n  label: !!null ~\n");
    expect_text_error("seed: !!int five\n",
                      "prefrl-text.yaml:2:7: 'five' is not a decimal integer, as its tag !!int says");
    expect_text_error("seed: !!float 0x10\n", "'0x10' is not a decimal number, as its tag !!float says");
    expect_text_error("env:\n  noisy: !!bool yes\n",
                      "'yes' is not true or false, as its tag !!bool says");
    expect_text_error("env:\n  label: !!null x\n", "is not null (~, null or nothing), as its tag "
                                                   "!!null says");
    /* any other tag is refused where it is written */
    expect_text_error("seed: !custom 5\n",
                      "prefrl-text.yaml:2:7: YAML tag '!custom' is not supported; recipes accept "
                      "only !!str, !!int, !!float, !!bool and !!null on values");
    expect_text_error("seed: !!timestamp 2001-12-14\n", "YAML tag '!!timestamp' is not supported;"
                                                        " recipes accept only !!str, !!int, "
                                                        "!!float, !!bool and !!null on values");
    expect_text_error("env: !thing {task: fixture_line}\n",
                      "prefrl-text.yaml:2:6: YAML tag '!thing' is not supported on a map; recipes "
                      "accept only !!str, !!int, !!float, !!bool and !!null on values");
    expect_text_error("seed: !!seq {a: 1}\n", "YAML tag '!!seq' is not supported on a map; "
                                              "recipes accept only !!str, !!int, !!float, "
                                              "!!bool and !!null on values");
    expect_text_error("seed: !!seq [1]\n", "recipe.seed: expected a single int value, not a "
                                           "list");
    expect_text_error("seed: !!map 5\n", "YAML tag '!!map' is not supported; recipes accept "
                                         "only !!str, !!int, !!float, !!bool and !!null on "
                                         "values");
    expect_text_error("!!int 5: x\n", "prefrl-text.yaml:2:1: YAML tag '!!int' is not supported "
                                      "on a map key; recipes accept only !!str, !!int, !!float, "
                                      "!!bool and !!null on values");
    expect_text_ok("!!str seed: 5\n"); /* a key is a string anyway */
    /* an anchor on a key is refused like any other */
    expect_text_error("&k seed: 5\n", "YAML anchors and aliases (&name, *name) are not "
                                      "supported in recipes; use 'defaults:' to share settings");
    /* control characters are escaped in messages */
    expect_text_error("seed: |\n  1\n", "prefrl-text.yaml:2:7: recipe.seed: expected an "
                                        "integer, got '1\\n'");
    expect_text_error("env:\n  mode: \"fa\\tst\\x01\"\n",
                      "env/fixture_line.mode: 'fa\\tst\\x01' is not one of: fast, slow, exact "
                      "(did you mean 'fast'?)");
    expect_text_error("env:\n  task: \"a\\nb\"\n", "unknown env 'a\\nb' (available: "
                                                   "fixture_line)");
    expect_text_error("env:\n  mode: \"\\N\\L\\P\"\n", /* NEL, U+2028, U+2029 */
                      "env/fixture_line.mode: '\\u0085\\u2028\\u2029' is not one of: fast, "
                      "slow, exact");
    expect_text_error("\"a\\nb\": 1\n", "prefrl-text.yaml:2:1: map keys must be plain words, "
                                        "not 'a\\nb'");
    expect_text_error("include: \"x\\ny.yaml\"\n",
                      "prefrl-text.yaml:2:10: expected a recipe file name, not 'x\\ny.yaml'");
    expect_text_error("include: \"\\N\"\n", /* found by the mutation test */
                      "prefrl-text.yaml:2:10: expected a recipe file name, not '\\u0085'");
}
END_TEST

/* recipes are regular files read with a hard limit;
 * devices and FIFOs are refused at once, naming the file */
START_TEST(test_special_files)
{
    GError *err = NULL;
    ck_assert_ptr_null(prefrl_recipe_load("/dev/zero", &err));
    ck_assert_str_eq(err->message, "/dev/zero: is a device, not a regular file; a recipe must "
                                   "be a regular file");
    g_clear_error(&err);
    expect_text_error("include: /dev/zero\n",
                      "/dev/zero: is a device, not a regular file; a recipe must be a regular "
                      "file");
    char *dir = g_dir_make_tmp("prefrl-fifo-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    char *fifo = g_build_filename(dir, "f.yaml", NULL);
    char *top = g_build_filename(dir, "top.yaml", NULL);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert(g_file_set_contents(top, "include: f.yaml\n", -1, NULL));
    /* no writer ever opens the FIFO: a blocking open would hang here */
    ck_assert_ptr_null(prefrl_recipe_load(top, &err));
    char *want = g_strconcat(fifo, ": is a FIFO, not a regular file; a recipe must be a "
                                   "regular file", NULL);
    ck_assert_str_eq(err->message, want);
    g_clear_error(&err);
    ck_assert_ptr_null(prefrl_recipe_load(dir, &err));
    ck_assert(g_str_has_suffix(err->message, ": is a directory, not a recipe"));
    g_clear_error(&err);
    /* exactly the limit is read; one byte more is refused */
    gsize big = PREFRL_RECIPE_MAX_BYTES;
    char *text = g_malloc(big + 1);
    memset(text, '#', big + 1);
    memcpy(text, "seed: 1\n", 8);
    ck_assert(g_file_set_contents(top, text, (gssize)big, NULL));
    PrefrlNode *root = prefrl_recipe_load(top, &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    prefrl_node_free(root);
    ck_assert(g_file_set_contents(top, text, (gssize)big + 1, NULL));
    ck_assert_ptr_null(prefrl_recipe_load(top, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "recipe too large"));
    g_clear_error(&err);
    g_free(text);
    g_unlink(fifo);
    g_unlink(top);
    g_rmdir(dir);
    g_free(want);
    g_free(top);
    g_free(fifo);
    g_free(dir);
}
END_TEST

START_TEST(test_nearest)
{
    const char *words[] = {"max_feedback", "reward_batch", "num_interact"};
    ck_assert_str_eq(prefrl_nearest("max_feedbak", words, 3), "max_feedback");
    ck_assert_str_eq(prefrl_nearest("num_interaction", words, 3), "num_interact");
    ck_assert_ptr_null(prefrl_nearest("completely_else", words, 3));
    ck_assert_uint_eq(prefrl_edit_distance("kitten", "sitting"), 3);
}
END_TEST

Suite *recipe_suite(void)
{
    Suite *s = suite_create("recipe");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_compose_override_defaults);
    tcase_add_test(tc, test_nearest);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("errors");
    tcase_add_checked_fixture(errs, setup, teardown);
    tcase_add_test(errs, test_bad_recipes);
    tcase_add_test(errs, test_missing_section);
    tcase_add_test(errs, test_include_cycle);
    tcase_add_test(errs, test_override_errors);
    tcase_add_test(errs, test_hostile);
    tcase_add_test(errs, test_tags);
    tcase_add_test(errs, test_special_files);
    tcase_set_timeout(errs, 60); /* a FIFO that blocked would hang, not fail */
    suite_add_tcase(s, errs);
    return s;
}
