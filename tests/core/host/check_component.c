/* Components outside a run through the public API only (prefrl/component.h,
 * no core header): created by kind and name from the default registry with
 * overrides or a map, defaults filled in and values validated, seeded as in
 * a run; driven through their ops; saved, loaded into a fresh instance and
 * compared; damaged files, other components' files and missing hooks
 * refused.  The components come from the fixture plugins and the built-in
 * sampler plugin (PREFRL_PLUGIN_PATH points at them). */
#include <string.h>
#include <glib/gstdio.h>
#include <prefrl/component.h>
#include <prefrl/pbrl.h>
#include "check_suites.h"

static void use_fixtures(void)
{
    g_setenv("PREFRL_PLUGIN_PATH",
             TEST_BUILDDIR "/common/fixtures/.libs:" TEST_BUILDDIR "/../plugins", TRUE);
}

static const PrefrlEnvInfo env2x1 = {.struct_size = sizeof(PrefrlEnvInfo), .obs_dim = 2,
                                     .act_dim = 1};

/* r̂ of two fixed rows of obs‖act */
static void predict2(PrefrlInstance *inst, float r[2])
{
    static const float sa[6] = {1.0f, 2.0f, 3.0f, 0.5f, 0.5f, 0.0f};
    const PrefrlRewardOps *ops = prefrl_instance_ops(inst);
    ops->predict(prefrl_instance_self(inst), 0, sa, 2, r);
}

static PrefrlInstance *linear(const char *const *overrides)
{
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_create(PREFRL_KIND_REWARD, "fixture_old_linear",
                                                  overrides, 3, &env2x1, &err);
    ck_assert_msg(inst != NULL, "%s", err ? err->message : "");
    return inst;
}

START_TEST(test_create_and_drive)
{
    const char *ov[] = {"weight=2", NULL};
    PrefrlInstance *inst = linear(ov);
    const PrefrlComponent *c = prefrl_instance_component(inst);
    ck_assert_int_eq(c->kind, PREFRL_KIND_REWARD);
    ck_assert_str_eq(c->name, "fixture_old_linear");
    /* the override and the default of the other key */
    const PrefrlNode *params = prefrl_instance_params(inst);
    ck_assert_double_eq(prefrl_param_float(params, "weight"), 2.0);
    ck_assert_double_eq(prefrl_param_float(params, "rate"), 0.5);
    ck_assert_str_eq(prefrl_param_string(params, "name"), "fixture_old_linear");
    /* an older plugin: its table's missing tail reads as NULL */
    const PrefrlRewardOps *ops = prefrl_instance_ops(inst);
    ck_assert_ptr_eq(ops, c->ops);
    ck_assert_ptr_null(ops->batch_reward);
    float r[2];
    predict2(inst, r);
    ck_assert_float_eq(r[0], 12.0f);
    ck_assert_float_eq(r[1], 2.0f);
    GError *err = NULL;
    PrefrlRewardData data = {.struct_size = sizeof data};
    ck_assert(ops->train(prefrl_instance_self(inst), &data, NULL, &err));
    predict2(inst, r);
    ck_assert_float_eq(r[0], 15.0f);
    prefrl_instance_free(inst);
    prefrl_instance_free(NULL);
}
END_TEST

/* the component's stream is the one a run of that seed gives its kind */
START_TEST(test_seeded_as_in_a_run)
{
    GError *err = NULL;
    PrefrlInstance *env = prefrl_instance_create(PREFRL_KIND_ENV, "fixture_line", NULL, 5, NULL,
                                                 &err);
    ck_assert_msg(env != NULL, "%s", err ? err->message : "");
    const PrefrlEnvOps *ops = prefrl_instance_ops(env);
    float obs[1];
    ck_assert(ops->reset(prefrl_instance_self(env), obs, &err));
    PrefrlRng rng;
    prefrl_rng_init(&rng, 5, "env");
    ck_assert_float_eq(obs[0], (float)prefrl_rng_uniform(&rng));
    prefrl_instance_free(env);
}
END_TEST

START_TEST(test_from_map)
{
    GHashTable *map = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(map, "weight", "-1");
    g_hash_table_insert(map, "rate", "0");
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_create_from_map(PREFRL_KIND_REWARD, "fixture_old_linear",
                                                           map, 3, &env2x1, &err);
    ck_assert_msg(inst != NULL, "%s", err ? err->message : "");
    float r[2];
    predict2(inst, r);
    ck_assert_float_eq(r[0], -6.0f);
    prefrl_instance_free(inst);

    /* errors as for a recipe, for the first bad key in sorted order */
    g_hash_table_insert(map, "wieght", "1");
    g_hash_table_insert(map, "zzz", "1");
    ck_assert_ptr_null(prefrl_instance_create_from_map(PREFRL_KIND_REWARD, "fixture_old_linear",
                                                       map, 3, &env2x1, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_str_eq(err->message, "<parameters>: unknown key 'wieght' in "
                                   "reward/fixture_old_linear; did you mean 'weight'?");
    g_clear_error(&err);
    g_hash_table_unref(map);

    /* no map: the defaults */
    inst = prefrl_instance_create_from_map(PREFRL_KIND_REWARD, "fixture_old_linear", NULL, 3,
                                           &env2x1, &err);
    ck_assert_msg(inst != NULL, "%s", err ? err->message : "");
    predict2(inst, r);
    ck_assert_float_eq(r[0], 6.0f);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_create_errors)
{
    GError *err = NULL;
    ck_assert_ptr_null(prefrl_instance_create(PREFRL_KIND_REWARD, "fixture_old_lineer", NULL, 1,
                                              &env2x1, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_PLUGIN));
    ck_assert_msg(g_str_has_prefix(err->message, "unknown reward 'fixture_old_lineer'; did you "
                                                 "mean 'fixture_old_linear'?"),
                  "%s", err->message);
    g_clear_error(&err);

    const char *bare[] = {"weight", NULL};
    ck_assert_ptr_null(prefrl_instance_create(PREFRL_KIND_REWARD, "fixture_old_linear", bare, 1,
                                              &env2x1, &err));
    ck_assert_str_eq(err->message, "<parameters>: 'weight' is not of the form key=value");
    g_clear_error(&err);

    const char *range[] = {"rate=11", NULL};
    ck_assert_ptr_null(prefrl_instance_create(PREFRL_KIND_REWARD, "fixture_old_linear", range, 1,
                                              &env2x1, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_CONFIG));
    ck_assert_str_eq(err->message, "<parameters>: reward/fixture_old_linear.rate: 11 is out of "
                                   "range; allowed values are [0, 10]");
    g_clear_error(&err);

    /* the component's own error: this one needs the env's sizes */
    ck_assert_ptr_null(prefrl_instance_create(PREFRL_KIND_REWARD, "fixture_old_linear", NULL, 1,
                                              NULL, &err));
    ck_assert_str_eq(err->message, "fixture_old_linear needs the env");
    g_clear_error(&err);
}
END_TEST

START_TEST(test_save_load)
{
    char *path = g_build_filename(g_get_tmp_dir(), "prefrl-check-component.bin", NULL);
    const char *ov[] = {"weight=2", "rate=0.25", NULL};
    PrefrlInstance *a = linear(ov);
    const PrefrlRewardOps *ops = prefrl_instance_ops(a);
    GError *err = NULL;
    PrefrlRewardData data = {.struct_size = sizeof data};
    ck_assert(ops->train(prefrl_instance_self(a), &data, NULL, &err));
    ck_assert_msg(prefrl_instance_save(a, path, &err), "%s", err ? err->message : "");

    /* a fresh instance with other values takes the saved state */
    PrefrlInstance *b = linear(NULL);
    float ra[2], rb[2];
    predict2(a, ra);
    predict2(b, rb);
    ck_assert_float_ne(ra[0], rb[0]);
    ck_assert_msg(prefrl_instance_load(b, path, &err), "%s", err ? err->message : "");
    predict2(b, rb);
    ck_assert_float_eq(ra[0], rb[0]);
    ck_assert_float_eq(ra[1], rb[1]);

    /* a damaged file is refused, naming it */
    char *bytes = NULL;
    gsize n = 0;
    ck_assert(g_file_get_contents(path, &bytes, &n, NULL));
    bytes[n / 2] ^= 0x10;
    ck_assert(g_file_set_contents(path, bytes, (gssize)n, NULL));
    ck_assert(!prefrl_instance_load(b, path, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_FORMAT));
    ck_assert_msg(g_str_has_prefix(err->message, path), "%s", err->message);
    g_clear_error(&err);
    /* so is a truncated one */
    ck_assert(g_file_set_contents(path, bytes, (gssize)(n - 6), NULL));
    ck_assert(!prefrl_instance_load(b, path, &err));
    ck_assert_msg(g_str_has_prefix(err->message, path), "%s", err->message);
    g_clear_error(&err);
    g_free(bytes);
    /* and a missing one */
    g_unlink(path);
    ck_assert(!prefrl_instance_load(b, path, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_IO));
    g_clear_error(&err);

    /* a component without hooks says so */
    PrefrlInstance *line = prefrl_instance_create(PREFRL_KIND_ENV, "fixture_line", NULL, 1, NULL,
                                                  &err);
    ck_assert_msg(line != NULL, "%s", err ? err->message : "");
    ck_assert(!prefrl_instance_save(line, path, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_PLUGIN));
    ck_assert_str_eq(err->message, "env/fixture_line has no save hook: it keeps no state");
    g_clear_error(&err);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    ck_assert(!prefrl_instance_load(line, path, &err));
    ck_assert_str_eq(err->message, "env/fixture_line has no load hook: it keeps no state");
    g_clear_error(&err);

    prefrl_instance_free(line);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
    g_free(path);
}
END_TEST

/* a built-in component: the uniform sampler's draws continue from a loaded state */
START_TEST(test_builtin_sampler)
{
    char *path = g_build_filename(g_get_tmp_dir(), "prefrl-check-sampler.bin", NULL);
    GError *err = NULL;
    PrefrlInstance *a = prefrl_instance_create(PREFRL_KIND_SAMPLER, "uniform", NULL, 1, &env2x1,
                                               &err);
    ck_assert_msg(a != NULL, "%s", err ? err->message : "");
    PrefrlInstance *b = prefrl_instance_create(PREFRL_KIND_SAMPLER, "uniform", NULL, 2, &env2x1,
                                               &err);
    ck_assert_msg(b != NULL, "%s", err ? err->message : "");
    const PrefrlSamplerOps *ops = prefrl_instance_ops(a);
    PrefrlCandidates c = {.n = 40, .H = 1, .obs_dim = 2, .act_dim = 1};
    int ca[5], cb[5];
    ck_assert(ops->select(prefrl_instance_self(a), &c, 5, ca, &err));
    ck_assert_msg(prefrl_instance_save(a, path, &err), "%s", err ? err->message : "");
    ck_assert_msg(prefrl_instance_load(b, path, &err), "%s", err ? err->message : "");
    for (int round = 0; round < 3; round++) {
        ck_assert(ops->select(prefrl_instance_self(a), &c, 5, ca, &err));
        ck_assert(ops->select(prefrl_instance_self(b), &c, 5, cb, &err));
        ck_assert_mem_eq(ca, cb, sizeof ca);
    }
    /* a file of another component is refused by name */
    PrefrlInstance *r = linear(NULL);
    ck_assert(!prefrl_instance_load(r, path, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_FORMAT));
    ck_assert_msg(g_str_has_prefix(err->message, path), "%s", err->message);
    g_clear_error(&err);
    prefrl_instance_free(r);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
    g_unlink(path);
    g_free(path);
}
END_TEST

Suite *component_suite(void)
{
    Suite *s = suite_create("component");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, use_fixtures, NULL);
    tcase_add_test(tc, test_create_and_drive);
    tcase_add_test(tc, test_seeded_as_in_a_run);
    tcase_add_test(tc, test_from_map);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_builtin_sampler);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("errors");
    tcase_add_checked_fixture(errs, use_fixtures, NULL);
    tcase_add_test(errs, test_create_errors);
    suite_add_tcase(s, errs);
    return s;
}
