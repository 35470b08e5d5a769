/* Plugin loader: a good fixture loads and its components work; a plugin
 * built with older, shorter tables loads with their tails read as NULL and
 * runs; a plugin with a newer, longer table, an ABI mismatch, a shared
 * object without the entry symbol and a corrupt file each give their
 * precise error; the ABI structs keep their layout. */
#include "config.h"
#include <math.h>
#include <stddef.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <prefrl/pbrl.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include "check_suites.h"

START_TEST(test_good_plugin)
{
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert_msg(prefrl_registry_load_file(reg, FIXTURE_GOOD, &err), "%s",
                  err ? err->message : "");
    /* loading the same file again is a no-op */
    ck_assert(prefrl_registry_load_file(reg, FIXTURE_GOOD, &err));
    GPtrArray *envs = prefrl_registry_list(reg, PREFRL_KIND_ENV);
    ck_assert_uint_eq(envs->len, 1);
    g_ptr_array_unref(envs);
    const PrefrlComponent *c = prefrl_registry_find(reg, PREFRL_KIND_SAMPLER, "fixture_pick", &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(prefrl_registry_component_path(reg, c), FIXTURE_GOOD);

    /* an instance with defaults plus overrides, seeded */
    const char *ov[] = {"episode_length=3", NULL};
    PrefrlInstance *a = prefrl_instance_new(reg, PREFRL_KIND_ENV, "fixture_line", ov, 5, NULL, &err);
    ck_assert_msg(a != NULL, "%s", err ? err->message : "");
    ck_assert_str_eq(prefrl_param_string(a->params, "task"), "fixture_line");
    const PrefrlEnvOps *ops = a->component->ops;
    PrefrlEnvInfo info;
    ops->info(a->self, &info);
    ck_assert_int_eq(info.episode_length, 3);
    float obs[1], act[1] = {0.0f};
    PrefrlEnvStep st;
    ck_assert(ops->reset(a->self, obs, &err));
    for (int i = 0; i < 3; i++)
        ck_assert(ops->step(a->self, act, obs, &st, &err));
    ck_assert(st.truncated);
    prefrl_instance_free(a);

    /* a bad override is reported, nothing leaks */
    const char *bad[] = {"episode_length=0", NULL};
    ck_assert_ptr_null(prefrl_instance_new(reg, PREFRL_KIND_ENV, "fixture_line", bad, 5, NULL, &err));
    ck_assert_str_eq(err->message, "<command line>: env/fixture_line.episode_length: 0 is out of "
                                   "range; allowed values are [1, 1000]");
    g_clear_error(&err);

    ck_assert_ptr_null(prefrl_registry_find(reg, PREFRL_KIND_AGENT, "sac", &err));
    ck_assert_str_eq(err->message, "unknown agent 'sac' (available: none installed)");
    g_clear_error(&err);
    prefrl_registry_free(reg);
}
END_TEST

START_TEST(test_older_plugin)
{
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert_msg(prefrl_registry_load_file(reg, FIXTURE_OLD, &err), "%s",
                  err ? err->message : "");

    /* the core sees full-size copies: what the plugin did not know reads as NULL */
    const PrefrlComponent *ec = prefrl_registry_find(reg, PREFRL_KIND_ENV, "fixture_old_counter",
                                                     &err);
    const PrefrlComponent *rc = prefrl_registry_find(reg, PREFRL_KIND_REWARD,
                                                     "fixture_old_linear", &err);
    ck_assert_ptr_nonnull(ec);
    ck_assert_ptr_nonnull(rc);
    ck_assert_uint_eq(ec->struct_size, sizeof(PrefrlComponent));
    ck_assert_uint_eq(rc->struct_size, sizeof(PrefrlComponent));
    ck_assert_ptr_null(ec->validate); /* appended after the fixture was written */
    ck_assert_ptr_null(rc->memory);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_null(rc->reserved[i]);
    ck_assert_ptr_null(ec->save);
    ck_assert_ptr_nonnull(rc->save);
    const PrefrlEnvOps *eops = ec->ops;
    ck_assert_uint_eq(eops->struct_size, sizeof(PrefrlEnvOps));
    ck_assert_ptr_nonnull(eops->step);
    ck_assert_ptr_null(eops->snapshot);
    ck_assert_ptr_null(eops->render); /* appended after the fixture was written */
    ck_assert_ptr_null(eops->cameras);
    const PrefrlRewardOps *rops = rc->ops;
    ck_assert_uint_eq(rops->struct_size, sizeof(PrefrlRewardOps));
    ck_assert_ptr_nonnull(rops->train);
    ck_assert_ptr_null(rops->meta_step);
    ck_assert_ptr_null(rops->batch_reward);

    /* and both run: an episode of the env, then r̂ before and after a train() */
    PrefrlInstance *env = prefrl_instance_new(reg, PREFRL_KIND_ENV, "fixture_old_counter", NULL, 1,
                                              NULL, &err);
    ck_assert_msg(env != NULL, "%s", err ? err->message : "");
    PrefrlEnvInfo info;
    eops->info(env->self, &info);
    ck_assert_int_eq(info.episode_length, 4);
    float obs[1], act[1] = {0.25f};
    PrefrlEnvStep st = {0};
    ck_assert(eops->reset(env->self, obs, &err));
    int steps = 0;
    while (!st.truncated && steps < 10) {
        ck_assert(eops->step(env->self, act, obs, &st, &err));
        steps++;
    }
    ck_assert_int_eq(steps, 4);
    ck_assert_float_eq(obs[0], 4.0f);

    PrefrlInstance *reward = prefrl_instance_new(reg, PREFRL_KIND_REWARD, "fixture_old_linear",
                                                 NULL, 1, &info, &err);
    ck_assert_msg(reward != NULL, "%s", err ? err->message : "");
    const float sa[4] = {1.0f, 2.0f, 0.5f, 0.5f}; /* two rows of obs‖act */
    float r[2];
    rops->predict(reward->self, 0, sa, 2, r);
    ck_assert_float_eq(r[0], 3.0f);
    ck_assert_float_eq(r[1], 1.0f);
    PrefrlRewardData data = {.struct_size = sizeof data, .step = 10};
    ck_assert(rops->train(reward->self, &data, NULL, &err));
    rops->predict(reward->self, 10, sa, 2, r);
    ck_assert_float_eq(r[0], 4.5f);
    prefrl_instance_free(reward);
    prefrl_instance_free(env);
    prefrl_registry_free(reg);
}
END_TEST

/* the trainer runs with the older plugin's reward learner: every op it
 * looks up past that table's end (batch_reward, meta_period) reads NULL */
START_TEST(test_older_plugin_trains)
{
    static const char recipe[] = "seed: 2\n"
                                 "trainer:\n"
                                 "  num_train_steps: 300\n"
                                 "  num_seed_steps: 20\n"
                                 "  num_unsup_steps: 20\n"
                                 "  eval_frequency: 300\n"
                                 "  num_eval_episodes: 2\n"
                                 "  checkpoint_frequency: 0\n"
                                 "  max_feedback: 20\n"
                                 "  reward_batch: 5\n"
                                 "  num_interact: 50\n"
                                 "  segment: 3\n"
                                 "  reset_update: 2\n"
                                 "env: {task: fixture_old_counter, episode_length: 10}\n"
                                 "agent: {name: fixture_probe, batch_size: 8}\n"
                                 "reward: {name: fixture_old_linear}\n"
                                 "sampler: {name: uniform}\n"
                                 "teacher: {name: scripted}\n";
    const char *const files[] = {FIXTURE_OLD, FIXTURE_PBRL, PLUGIN_SAMPLERS, PLUGIN_TEACHER};
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++)
        ck_assert_msg(prefrl_registry_load_file(reg, files[i], &err), "%s",
                      err ? err->message : "");
    PrefrlNode *root = prefrl_recipe_parse_string(recipe, strlen(recipe), "old.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_recipe_resolve(root, reg, &prefrl_run_keys,
                                        prefrl_trainer_required_kinds(), &err),
                  "%s", err ? err->message : "");
    PrefrlTrainer *t = prefrl_trainer_new(root, reg, NULL, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s", err ? err->message : "");
    ck_assert_int_eq(prefrl_trainer_labeled_feedback(t), 20);
    ck_assert(isfinite(prefrl_trainer_last_eval(t)));
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    prefrl_registry_free(reg);
}
END_TEST

START_TEST(test_newer_plugin)
{
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_load_file(reg, FIXTURE_NEWER, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_ABI));
    char *want = g_strdup_printf("plugin %s: the ops table of sampler/fixture_newer_first is %zu "
                                 "bytes, larger than the %zu bytes this prefrl knows: the plugin "
                                 "was built against a newer prefrl; rebuild it against this one",
                                 FIXTURE_NEWER, sizeof(PrefrlSamplerOps) + sizeof(void *),
                                 sizeof(PrefrlSamplerOps));
    ck_assert_str_eq(err->message, want);
    g_free(want);
    g_error_free(err);
    GPtrArray *samplers = prefrl_registry_list(reg, PREFRL_KIND_SAMPLER);
    ck_assert_uint_eq(samplers->len, 0);
    g_ptr_array_unref(samplers);
    prefrl_registry_free(reg);
}
END_TEST

START_TEST(test_abi_mismatch)
{
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_load_file(reg, FIXTURE_ABI, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_ABI));
    char *want = g_strdup_printf("plugin %s: built for plugin ABI version 99, but this prefrl has "
                                 "ABI version %u; rebuild the plugin against this prefrl",
                                 FIXTURE_ABI, PREFRL_ABI_VERSION);
    ck_assert_str_eq(err->message, want);
    g_free(want);
    g_error_free(err);
    /* nothing of it was registered */
    GPtrArray *envs = prefrl_registry_list(reg, PREFRL_KIND_ENV);
    ck_assert_uint_eq(envs->len, 0);
    g_ptr_array_unref(envs);
    prefrl_registry_free(reg);
}
END_TEST

START_TEST(test_no_entry_symbol)
{
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_load_file(reg, FIXTURE_NOSYM, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_PLUGIN));
    ck_assert_str_eq(err->message, "plugin " FIXTURE_NOSYM ": no 'prefrl_plugin_entry' symbol: "
                                   "not a prefrl plugin");
    g_error_free(err);
    prefrl_registry_free(reg);
}
END_TEST

START_TEST(test_corrupt_file)
{
    char *path = g_build_filename(g_get_tmp_dir(), "prefrl-corrupt.so", NULL);
    /* an ELF magic followed by garbage */
    char junk[512] = "\177ELF\002\001\001";
    for (int i = 8; i < 512; i++)
        junk[i] = (char)(i * 37);
    ck_assert(g_file_set_contents(path, junk, sizeof junk, NULL));
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_load_file(reg, path, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_PLUGIN));
    char *want = g_strdup_printf("plugin %s: cannot be loaded: ", path);
    ck_assert_msg(g_str_has_prefix(err->message, want), "%s", err->message);
    g_free(want);
    g_error_free(err);
    err = NULL;
    /* a missing file too */
    ck_assert(!prefrl_registry_load_file(reg, "/nonexistent/prefrl-x.so", &err));
    ck_assert(g_str_has_prefix(err->message, "plugin /nonexistent/prefrl-x.so: cannot be loaded"));
    g_error_free(err);
    prefrl_registry_free(reg);
    g_unlink(path);
    g_free(path);
}
END_TEST

START_TEST(test_scan_path)
{
    /* PREFRL_PLUGIN_PATH is searched first, then the install dir; nothing
     * else (no build-tree path is compiled in) */
    g_setenv("PREFRL_PLUGIN_PATH", TEST_BUILDDIR "/common/fixtures/.libs:/nonexistent", TRUE);
    char **dirs = prefrl_registry_search_path();
    ck_assert_uint_eq(g_strv_length(dirs), 3);
    ck_assert_str_eq(dirs[0], TEST_BUILDDIR "/common/fixtures/.libs");
    ck_assert_str_eq(dirs[1], "/nonexistent");
    ck_assert_str_eq(dirs[2], PREFRL_PLUGINDIR);
    g_strfreev(dirs);
    /* a non-strict scan loads the good fixtures and records the three bad ones */
    PrefrlRegistry *reg = prefrl_registry_new();
    ck_assert(prefrl_registry_scan(reg, FALSE, NULL));
    ck_assert_ptr_nonnull(prefrl_registry_find(reg, PREFRL_KIND_ENV, "fixture_line", NULL));
    const GPtrArray *f = prefrl_registry_failures(reg);
    guint fixture_failures = 0;
    for (guint i = 0; i < f->len; i++)
        fixture_failures += strstr(f->pdata[i], "prefrl-fixture-") != NULL;
    ck_assert_uint_eq(fixture_failures, 3);
    ck_assert_ptr_nonnull(
        prefrl_registry_find(reg, PREFRL_KIND_REWARD, "fixture_old_linear", NULL));
    prefrl_registry_free(reg);
    /* a strict scan stops at the first bad one */
    reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_scan(reg, TRUE, &err));
    g_error_free(err);
    prefrl_registry_free(reg);
    g_unsetenv("PREFRL_PLUGIN_PATH");
}
END_TEST

/* the failures of a non-strict scan of PREFRL_PLUGIN_PATH=path, joined by
 * newlines (owned); *found tells whether env/fixture_line was loaded */
static char *scan_failures(const char *path, gboolean *found)
{
    g_setenv("PREFRL_PLUGIN_PATH", path, TRUE);
    PrefrlRegistry *reg = prefrl_registry_new();
    ck_assert(prefrl_registry_scan(reg, FALSE, NULL));
    *found = prefrl_registry_find(reg, PREFRL_KIND_ENV, "fixture_line", NULL) != NULL;
    const GPtrArray *f = prefrl_registry_failures(reg);
    GString *all = g_string_new(NULL);
    for (guint i = 0; i < f->len; i++)
        g_string_append_printf(all, "%s\n", (const char *)f->pdata[i]);
    prefrl_registry_free(reg);
    g_unsetenv("PREFRL_PLUGIN_PATH");
    return g_string_free(all, FALSE);
}

/* a copy of the good fixture at dir/rel (directories made 0755), mode 0755 */
static char *place_fixture(const char *dir, const char *rel)
{
    char *text = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(FIXTURE_GOOD, &text, &len, NULL));
    char *p = g_build_filename(dir, rel, NULL);
    char *parent = g_path_get_dirname(p);
    ck_assert_int_eq(g_mkdir_with_parents(parent, 0755), 0);
    ck_assert(g_file_set_contents(p, text, (gssize)len, NULL));
    ck_assert_int_eq(g_chmod(p, 0755), 0);
    g_free(parent);
    g_free(text);
    return p;
}

/* the plugin path: absolute entries only, a fixed shallow layout, and no
 * file or directory another user could have written */
START_TEST(test_plugin_path_rules)
{
    /* a relative entry is refused (and not searched), with a message */
    g_setenv("PREFRL_PLUGIN_PATH", "plugins:" TEST_BUILDDIR "/common/fixtures/.libs", TRUE);
    char **dirs = prefrl_registry_search_path();
    ck_assert_uint_eq(g_strv_length(dirs), 2);
    ck_assert_str_eq(dirs[0], TEST_BUILDDIR "/common/fixtures/.libs");
    g_strfreev(dirs);
    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    ck_assert(!prefrl_registry_scan(reg, TRUE, &err));
    ck_assert_str_eq(err->message, "PREFRL_PLUGIN_PATH entry 'plugins' is not an absolute path: "
                                   "ignored; name plugin directories by absolute paths");
    g_clear_error(&err);
    prefrl_registry_free(reg);
    gboolean found;
    char *msg = scan_failures(".", &found);
    ck_assert(!found);
    ck_assert_str_eq(msg, "PREFRL_PLUGIN_PATH entry '.' is not an absolute path: ignored; name "
                          "plugin directories by absolute paths\n");
    g_free(msg);

    /* the layout: DIR/prefrl-*.so and DIR/KIND/NAME/[.libs/]prefrl-*.so only */
    char *dir = g_dir_make_tmp("prefrl-plugpath-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(g_chmod(dir, 0755), 0);
    char *deep = place_fixture(dir, "env/line/sub/.libs/prefrl-fixture-good.so");
    char *other = place_fixture(dir, "misc/line/prefrl-fixture-good.so");
    msg = scan_failures(dir, &found);
    ck_assert_msg(!found, "a plugin below the fixed layout was loaded");
    ck_assert_str_eq(msg, "");
    g_free(msg);
    char *file = place_fixture(dir, "env/line/.libs/prefrl-fixture-good.so");
    msg = scan_failures(dir, &found);
    ck_assert(found);
    ck_assert_str_eq(msg, "");
    g_free(msg);

    /* writable by others or by the group: refused, naming the file */
    ck_assert_int_eq(g_chmod(file, 0757), 0);
    msg = scan_failures(dir, &found);
    ck_assert(!found);
    char *want = g_strdup_printf("plugin file %s is writable by other users (mode 0757): "
                                 "refused; chmod go-w it\n", file);
    ck_assert_str_eq(msg, want);
    g_free(want);
    g_free(msg);
    if (getuid() == 0) { /* a group of others (nogroup), then root's private group */
        ck_assert_int_eq(chown(file, 0, 65534), 0);
        ck_assert_int_eq(g_chmod(file, 0775), 0);
        msg = scan_failures(dir, &found);
        ck_assert(!found);
        want = g_strdup_printf("plugin file %s is writable by its group (mode 0775): refused; "
                               "chmod go-w it\n", file);
        ck_assert_str_eq(msg, want);
        g_free(want);
        g_free(msg);
        struct group *gr = getgrgid(0);
        struct passwd *pw = getpwuid(0);
        if (gr && pw && pw->pw_gid == 0 && !strcmp(gr->gr_name, pw->pw_name) && !gr->gr_mem[0]) {
            ck_assert_int_eq(chown(file, 0, 0), 0);
            ck_assert_int_eq(g_chmod(file, 0775), 0);
            msg = scan_failures(dir, &found);
            ck_assert_msg(found, "group-writable in the owner's private group: %s", msg);
            g_free(msg);
        }
        ck_assert_int_eq(chown(file, 0, 0), 0);
    }
    ck_assert_int_eq(g_chmod(file, 0755), 0);
    char *libs = g_path_get_dirname(file);
    ck_assert_int_eq(g_chmod(libs, 01777), 0);
    msg = scan_failures(dir, &found);
    ck_assert(!found);
    want = g_strdup_printf("plugin directory %s is writable by other users (mode 1777): "
                           "refused; chmod go-w it\n", libs);
    ck_assert_str_eq(msg, want);
    g_free(want);
    g_free(msg);
    ck_assert_int_eq(g_chmod(libs, 0755), 0);
    ck_assert_int_eq(g_chmod(dir, 0777), 0); /* the search directory itself */
    msg = scan_failures(dir, &found);
    ck_assert(!found);
    ck_assert_ptr_nonnull(strstr(msg, "is writable by other users (mode 0777)"));
    g_free(msg);
    ck_assert_int_eq(g_chmod(dir, 0755), 0);
    /* owned by another user (as root, who can make such a file) */
    if (getuid() == 0) {
        ck_assert_int_eq(chown(file, 65534, 65534), 0);
        msg = scan_failures(dir, &found);
        ck_assert(!found);
        want = g_strdup_printf("plugin file %s is owned by uid 65534, neither you nor root: "
                               "refused\n", file);
        ck_assert_str_eq(msg, want);
        g_free(want);
        g_free(msg);
    }
    prefrl_remove_tree(dir);

    /* the files of a directory load in name order, whatever the file system's:
     * of two copies of one plugin, prefrl-a.so provides it, prefrl-b.so fails */
    ck_assert_int_eq(g_mkdir(dir, 0755), 0);
    static const char *const later[] = {"prefrl-f.so", "prefrl-e.so", "prefrl-d.so",
                                        "prefrl-c.so", "prefrl-b.so"};
    for (int i = 0; i < 5; i++) /* made before prefrl-a.so, in reverse order */
        g_free(place_fixture(dir, later[i]));
    char *a = place_fixture(dir, "prefrl-a.so");
    g_setenv("PREFRL_PLUGIN_PATH", dir, TRUE);
    reg = prefrl_registry_new();
    ck_assert(prefrl_registry_scan(reg, FALSE, NULL));
    const PrefrlComponent *c = prefrl_registry_find(reg, PREFRL_KIND_ENV, "fixture_line", NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(prefrl_registry_component_path(reg, c), a);
    const GPtrArray *f = prefrl_registry_failures(reg);
    ck_assert_uint_eq(f->len, 5);
    for (int i = 0; i < 5; i++) /* and the others fail in name order */
        ck_assert_ptr_nonnull(strstr(f->pdata[i], later[4 - i]));
    prefrl_registry_free(reg);
    g_unsetenv("PREFRL_PLUGIN_PATH");
    prefrl_remove_tree(dir);
    g_free(a);
    g_free(libs);
    g_free(file);
    g_free(other);
    g_free(deep);
    g_free(dir);
}
END_TEST

/* the ABI structs: growing them at the end is allowed, moving fields is not */
START_TEST(test_abi_layout)
{
    ck_assert_uint_eq(offsetof(PrefrlPlugin, abi_version), 0);
    ck_assert_uint_eq(offsetof(PrefrlPlugin, struct_size), 4);
    ck_assert_uint_eq(offsetof(PrefrlPlugin, name), 8);
    ck_assert_uint_eq(offsetof(PrefrlPlugin, components), 24);
    ck_assert_uint_eq(offsetof(PrefrlComponent, struct_size), 0);
    ck_assert_uint_eq(offsetof(PrefrlComponent, kind), 4);
    ck_assert_uint_eq(offsetof(PrefrlComponent, name), 8);
    ck_assert_uint_eq(offsetof(PrefrlComponent, params), 24);
    ck_assert_uint_eq(offsetof(PrefrlComponent, create), 40);
    ck_assert_uint_eq(offsetof(PrefrlComponent, ops), 72);
    ck_assert_uint_eq(offsetof(PrefrlComponent, reserved), 80);
    ck_assert_uint_eq(offsetof(PrefrlComponent, validate), 112);
    ck_assert_uint_eq(offsetof(PrefrlComponent, memory), 120);
    ck_assert_uint_eq(offsetof(PrefrlRewardOps, meta_step), 56);
    ck_assert_uint_eq(offsetof(PrefrlRewardOps, batch_reward), 64);
    ck_assert_uint_eq(offsetof(PrefrlContext, total_steps), 88);
    ck_assert_uint_eq(offsetof(PrefrlEnvOps, reset), 16);
    ck_assert_uint_eq(offsetof(PrefrlEnvStep, success), 12);
    ck_assert_uint_eq(sizeof(PrefrlRng), 48);
    ck_assert_uint_eq(offsetof(PrefrlParamSpec, doc), 48);
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_good_plugin);
    tcase_add_test(tc, test_older_plugin);
    tcase_add_test(tc, test_older_plugin_trains);
    tcase_add_test(tc, test_abi_layout);
    tcase_add_test(tc, test_scan_path);
    tcase_add_test(tc, test_plugin_path_rules);
    suite_add_tcase(s, tc);
    TCase *errs = tcase_create("errors");
    tcase_add_test(errs, test_newer_plugin);
    tcase_add_test(errs, test_abi_mismatch);
    tcase_add_test(errs, test_no_entry_symbol);
    tcase_add_test(errs, test_corrupt_file);
    suite_add_tcase(s, errs);
    return s;
}
