/* Sizes and the checks `prefrl check` shares with `prefrl run`: every
 * integer parameter's range fits the C type that stores it, recipes whose
 * sizes would crash, wrap or exhaust memory are refused at resolution with
 * one-line messages, and the components' validate hooks run there too
 * (docs/recipes.md, "Sizes and memory"). */
#include "config.h"
#include <limits.h>
#include <string.h>
#include <glib/gstdio.h>

#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include "check_suites.h"

#define PLUGINS_DIR TEST_BUILDDIR "/../plugins"

#if defined(__SANITIZE_ADDRESS__)
/* under --enable-sanitizers: let an impossible allocation return NULL, as
 * malloc does, instead of ASan stopping the program, so the trainer's
 * g_try_new paths are tested there too */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}
#endif

/* the core keys stored as int64_t (everything else is an int): up to 2^53 */
static const char *const int64_keys[] = {
    "recipe.seed",           "trainer.num_train_steps",      "trainer.num_seed_steps",
    "trainer.num_unsup_steps", "trainer.eval_frequency",     "trainer.checkpoint_frequency",
    "trainer.max_feedback",  "trainer.max_memory",           NULL,
};

static void check_specs(const PrefrlParamSpec *specs, const char *label)
{
    for (const PrefrlParamSpec *s = specs; s && s->key; s++) {
        if (s->type != PREFRL_PARAM_INT)
            continue;
        char *key = g_strdup_printf("%s.%s", label, s->key);
        double hi = g_strv_contains(int64_keys, key) ? 9007199254740992.0 : (double)INT_MAX;
        double lo = g_strv_contains(int64_keys, key) ? -9007199254740992.0 : (double)INT_MIN;
        ck_assert_msg(s->min != s->max, "%s has no range", key);
        ck_assert_msg(s->max <= hi && s->min >= lo, "%s: range [%g, %g] does not fit its type",
                      key, s->min, s->max);
        g_free(key);
    }
}

/* every installed (in-tree) plugin and the core keys */
START_TEST(test_int_ranges_fit)
{
    check_specs(prefrl_run_params, "recipe");
    check_specs(prefrl_trainer_params, "trainer");

    PrefrlRegistry *reg = prefrl_registry_new();
    GError *err = NULL;
    int plugins = 0;
    GDir *kinds = g_dir_open(PLUGINS_DIR, 0, &err);
    ck_assert_msg(kinds != NULL, "%s", err ? err->message : "");
    for (const char *k; (k = g_dir_read_name(kinds));) {
        char *kdir = g_build_filename(PLUGINS_DIR, k, NULL);
        GDir *names = g_dir_open(kdir, 0, NULL);
        for (const char *n; names && (n = g_dir_read_name(names));) {
            char *so = g_strdup_printf("%s/%s/.libs/prefrl-%s-%s.so", kdir, n, k, n);
            if (g_file_test(so, G_FILE_TEST_EXISTS)) {
                ck_assert_msg(prefrl_registry_load_file(reg, so, &err), "%s", err->message);
                plugins++;
            }
            g_free(so);
        }
        if (names)
            g_dir_close(names);
        g_free(kdir);
    }
    g_dir_close(kinds);
    ck_assert_int_ge(plugins, 8);

    int components = 0;
    for (int k = 1; k <= PREFRL_N_KINDS; k++) {
        GPtrArray *all = prefrl_registry_list(reg, k);
        for (guint i = 0; i < all->len; i++) {
            const PrefrlComponent *c = all->pdata[i];
            char *label = g_strdup_printf("%s/%s", prefrl_kind_name(k), c->name);
            check_specs(c->params, label);
            g_free(label);
            components++;
        }
        g_ptr_array_unref(all);
    }
    ck_assert_int_ge(components, 15);
    prefrl_registry_free(reg);
}
END_TEST

/* the fixture env (50-step episodes) with SAC, PEBBLE, a sampler, a teacher */
static const char recipe[] = "seed: 3\n"
                             "trainer:\n"
                             "  num_train_steps: 2000\n"
                             "  num_unsup_steps: 500\n"
                             "  reward_batch: 10\n"
                             "  segment: 10\n"
                             "env:\n"
                             "  task: fixture_reach\n"
                             "agent:\n"
                             "  name: sac\n"
                             "  hidden_dim: 64\n"
                             "  batch_size: 64\n"
                             "reward:\n"
                             "  name: pebble\n"
                             "sampler:\n"
                             "  name: disagreement\n"
                             "teacher:\n"
                             "  name: scripted\n";

static PrefrlRegistry *fixture_registry(void)
{
    PrefrlRegistry *reg = prefrl_registry_default();
    GError *err = NULL;
    ck_assert_msg(prefrl_registry_load_file(reg, FIXTURE_PBRL, &err), "%s",
                  err ? err->message : "");
    return reg;
}

/* resolve the recipe with overrides (NULL-terminated); the error (owned) or NULL */
static char *resolve(const char *o1, const char *o2)
{
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_parse_string(recipe, strlen(recipe), "test.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    const char *ov[] = {o1, o2};
    for (int i = 0; i < 2; i++)
        if (ov[i])
            ck_assert_msg(prefrl_recipe_override(root, ov[i], &err), "%s", err->message);
    gboolean ok = prefrl_recipe_resolve(root, fixture_registry(), &prefrl_run_keys,
                                        prefrl_trainer_required_kinds(), &err);
    prefrl_node_free(root);
    ck_assert(ok == (err == NULL));
    char *msg = err ? g_strdup(err->message) : NULL;
    g_clear_error(&err);
    return msg;
}

static void expect(const char *o1, const char *o2, const char *want)
{
    char *msg = resolve(o1, o2);
    ck_assert_msg(msg != NULL, "%s %s: accepted", o1, o2 ? o2 : "");
    ck_assert_msg(!strchr(msg, '\n'), "not one line: %s", msg);
    ck_assert_msg(strstr(msg, want), "%s %s: '%s' lacks '%s'", o1, o2 ? o2 : "", msg, want);
    g_free(msg);
}

START_TEST(test_recipe_fits)
{
    char *msg = resolve(NULL, NULL);
    ck_assert_msg(msg == NULL, "%s", msg);
    msg = resolve("trainer.segment=49", NULL); /* the longest that fits 50-step episodes */
    ck_assert_msg(msg == NULL, "%s", msg);
}
END_TEST

/* integers that used to pass check and then crash the run, wrap or abort */
START_TEST(test_item5_sizes)
{
    expect("trainer.reward_batch=2147483648", NULL,
           "<command line>: trainer.reward_batch: 2147483648 is out of range; allowed values "
           "are [1, 1000000]");
    expect("trainer.reward_batch=4294967296", NULL, "allowed values are [1, 1000000]");
    expect("trainer.reward_batch=1e9", NULL, "allowed values are [1, 1000000]");
    expect("trainer.reset_update=2147483648", NULL,
           "trainer.reset_update: 2147483648 is out of range; allowed values are [0, "
           "2147483647]");
    expect("trainer.segment=100000", NULL,
           "trainer.segment: 100000 steps do not fit in the 50-step episodes of "
           "env/fixture_reach, so no query could ever be asked; use at most 49");
    expect("reward.hidden_dim=65536", "reward.ensemble_size=64",
           "test.yaml: the run needs about ");
    expect("reward.hidden_dim=65536", "reward.ensemble_size=64", "reward/pebble ");
    expect("reward.hidden_dim=65536", "reward.ensemble_size=64", "this machine has");
    expect("agent.hidden_dim=65536", "agent.batch_size=65536", "agent/sac ");
    expect("agent.name=ppo", "agent.hidden_dim=65536", "agent/ppo ");
    expect("trainer.num_train_steps=1e15", NULL, "replay ");
    /* a reward batch in range but a memory budget too small */
    expect("trainer.reward_batch=1000000", "trainer.max_memory=64",
           "more than the 64.0 MiB trainer.max_memory allows; lower the sizes of its largest "
           "part or raise trainer.max_memory");
}
END_TEST

/* what create() refuses, check refuses, with the component's prefix once */
START_TEST(test_item9_validate)
{
    char *msg = resolve("agent.log_std_min=5", NULL);
    ck_assert_msg(msg != NULL, "accepted");
    ck_assert_str_eq(msg, "test.yaml:9:1: agent/sac: log_std_min (5) must be below "
                          "log_std_max (2)");
    g_free(msg);
    expect("trainer.segment=50", NULL, "use at most 49");
    expect("env.episode_length=10", NULL,
           "trainer.segment: 10 steps do not fit in the 10-step episodes");
    /* a label budget no query round can deliver */
    expect("trainer.num_seed_steps=1000", "trainer.num_unsup_steps=1000",
           "test.yaml:3:20: trainer.num_train_steps: the run stops at step 2000, before its "
           "first query round at step 2000 (the end of num_seed_steps + num_unsup_steps), so "
           "none of the 1400 labels of trainer.max_feedback could be asked; train longer, "
           "pre-train less, or set trainer.max_feedback=0");
    char *msg2 = resolve("trainer.num_unsup_steps=999", NULL);
    ck_assert_msg(msg2 == NULL, "%s", msg2);
}
END_TEST

/* the trainer itself (resolution skipped, as a library user might) fails
 * with a message rather than an abort when a workspace cannot be allocated */
START_TEST(test_trainer_no_abort)
{
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_parse_string(recipe, strlen(recipe), "test.yaml", &err);
    ck_assert(prefrl_recipe_override(root, "trainer.max_memory=0", &err));
    ck_assert(prefrl_recipe_resolve(root, fixture_registry(), &prefrl_run_keys,
                                    prefrl_trainer_required_kinds(), &err));
    /* a reward batch no machine holds, written past the schema */
    ck_assert(prefrl_recipe_override(root, "trainer.reward_batch=1000000000", &err));
    ck_assert(prefrl_recipe_override(root, "trainer.segment=49", &err));
    ck_assert(prefrl_recipe_override(root, "sampler.large_batch=1000", &err));
    PrefrlTrainer *t = prefrl_trainer_new(root, fixture_registry(), NULL, &err);
    ck_assert(t == NULL);
    ck_assert_msg(strstr(err->message, "cannot allocate"), "%s", err->message);
    g_error_free(err);
    prefrl_node_free(root);
}
END_TEST

Suite *sizes_suite(void)
{
    Suite *s = suite_create("sizes");
    TCase *tc = tcase_create("sizes");
    tcase_add_test(tc, test_int_ranges_fit);
    tcase_add_test(tc, test_recipe_fits);
    tcase_add_test(tc, test_item5_sizes);
    tcase_add_test(tc, test_item9_validate);
    tcase_add_test(tc, test_trainer_no_abort);
    suite_add_tcase(s, tc);
    return s;
}
