/* The small trainer problem the learning tests share; see pbrl_test.h. */
#include "config.h"
#include <string.h>
#include <check.h>

#include "pbrl_test.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"

static const char base_recipe[] =
    "seed: 3\n"
    "trainer:\n"
    "  num_train_steps: 8000\n"
    "  num_seed_steps: 100\n"
    "  num_unsup_steps: 100\n"
    "  eval_frequency: 8000\n"
    "  num_eval_episodes: 20\n"
    "  max_feedback: 100\n"
    "  reward_batch: 10\n"
    "  num_interact: 200\n"
    "  segment: 10\n"
    "  reset_update: 10\n"
    "env:\n"
    "  task: fixture_reach\n"
    "agent:\n"
    "  name: sac\n"
    "  hidden_dim: 64\n"
    "  hidden_depth: 2\n"
    "  batch_size: 64\n"
    "  actor_lr: 0.001\n"
    "  critic_lr: 0.001\n"
    "  alpha_lr: 0.001\n"
    "sampler:\n"
    "  name: disagreement\n"
    "teacher:\n"
    "  name: scripted\n";

PrefrlRegistry *pbrl_test_registry(void)
{
    PrefrlRegistry *reg = prefrl_registry_default();
    GError *err = NULL;
    /* loading a file twice is a no-op */
    ck_assert_msg(prefrl_registry_load_file(reg, FIXTURE_PBRL, &err), "%s",
                  err ? err->message : "");
    return reg;
}

PrefrlNode *pbrl_test_recipe(const char *const *reward, const char *const *extra)
{
    GError *err = NULL;
    PrefrlNode *root =
        prefrl_recipe_parse_string(base_recipe, strlen(base_recipe), "test.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    const char *const *lists[] = {reward, extra};
    for (int l = 0; l < 2; l++)
        for (const char *const *o = lists[l]; o && *o; o++)
            ck_assert_msg(prefrl_recipe_override(root, *o, &err), "%s", err ? err->message : "");
    return root;
}

static const char short_recipe[] =
    "seed: 3\n"
    "trainer:\n"
    "  num_train_steps: 1200\n"
    "  num_seed_steps: 100\n"
    "  num_unsup_steps: 100\n"
    "  eval_frequency: 600\n"
    "  num_eval_episodes: 4\n"
    "  max_feedback: 40\n"
    "  reward_batch: 10\n"
    "  num_interact: 200\n"
    "  segment: 10\n"
    "  reset_update: 10\n"
    "env:\n"
    "  task: fixture_reach\n"
    "sampler:\n"
    "  name: disagreement\n"
    "teacher:\n"
    "  name: scripted\n";

PrefrlNode *pbrl_test_short_recipe(const char *const *agent, const char *const *reward,
                                   const char *const *extra)
{
    GError *err = NULL;
    PrefrlNode *root =
        prefrl_recipe_parse_string(short_recipe, strlen(short_recipe), "test.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    const char *const *lists[] = {agent, reward, extra};
    for (int l = 0; l < 3; l++)
        for (const char *const *o = lists[l]; o && *o; o++)
            ck_assert_msg(prefrl_recipe_override(root, *o, &err), "%s: %s", *o,
                          err ? err->message : "");
    pbrl_test_resolve(root);
    return root;
}

void pbrl_test_resolve(PrefrlNode *root)
{
    GError *err = NULL;
    ck_assert_msg(prefrl_recipe_resolve(root, pbrl_test_registry(), &prefrl_run_keys,
                                        prefrl_trainer_required_kinds(), &err),
                  "%s", err ? err->message : "");
}

double pbrl_test_random_return(int seed)
{
    char *s = g_strdup_printf("seed=%d", seed);
    const char *const reward[] = {"reward.name=pebble", NULL};
    const char *const extra[] = {s, NULL};
    PrefrlNode *root = pbrl_test_recipe(reward, extra);
    prefrl_node_remove(root, "agent");
    GError *err = NULL;
    ck_assert(prefrl_recipe_override(root, "agent.name=fixture_probe", &err));
    pbrl_test_resolve(root);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    double ret;
    ck_assert(prefrl_trainer_evaluate(t, 50, &ret, NULL, NULL, NULL, &err));
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(s);
    return ret;
}

double pbrl_test_learned_return(PrefrlNode *root)
{
    GError *err = NULL;
    pbrl_test_resolve(root);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s",
                  err ? err->message : "");
    double learned = prefrl_trainer_last_eval(t);
    ck_assert_int_eq(prefrl_trainer_labeled_feedback(t), 100);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    return learned;
}

PrefrlInstance *pbrl_test_agent(const char *name, int D, int A, uint64_t seed,
                                const char *const *base, const char *const *extra)
{
    const char *ov[64];
    int n = 0;
    const char *const *lists[] = {base, extra};
    for (int l = 0; l < 2; l++)
        for (const char *const *o = lists[l]; o && *o; o++) {
            ck_assert_int_lt(n, 63);
            ov[n++] = *o;
        }
    ov[n] = NULL;
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = D, .act_dim = A,
                         .episode_length = 100};
    GError *err = NULL;
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_AGENT,
                                               name, ov, seed, &env, &err);
    ck_assert_msg(inst != NULL, "cannot create agent/%s: %s", name, err ? err->message : "?");
    return inst;
}

void pbrl_test_train(PrefrlNode *root, const char *dir)
{
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s",
                  err ? err->message : "");
    prefrl_trainer_free(t);
}

char *pbrl_test_run_dir(const char *name)
{
    return test_fresh_dir(TEST_BUILDDIR "/trainer-runs", name);
}

volatile sig_atomic_t pbrl_test_stop;

static gpointer press_ctrl_c(gpointer data)
{
    (void)data;
    g_usleep(300000);
    pbrl_test_stop = 1;
    return NULL;
}

GThread *pbrl_test_press_ctrl_c(void)
{
    pbrl_test_stop = 0;
    return g_thread_new("ctrl-c", press_ctrl_c, NULL);
}

void pbrl_test_interrupt(PrefrlNode *root, const char *dir, const char *csv)
{
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    GThread *th = pbrl_test_press_ctrl_c();
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    g_thread_join(th);
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED));
    ck_assert(g_str_has_prefix(err->message, "interrupted at step "));
    g_error_free(err);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    char *text = test_slurp(dir, csv);
    ck_assert(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    g_free(text);
    char *log = test_slurp(dir, "log.txt");
    ck_assert_ptr_nonnull(strstr(log, "interrupted"));
    ck_assert_ptr_nonnull(strstr(log, "checkpoint written"));
    g_free(log);
}

/* the file's text with the column `drop` removed from every row (train.csv's
 * episode wall time differs between runs) */
static char *without_column(const char *text, const char *drop)
{
    gchar **lines = g_strsplit(text, "\n", -1);
    gchar **head = g_strsplit(lines[0], ",", -1);
    int skip = -1;
    for (int i = 0; head[i]; i++)
        if (!strcmp(head[i], drop))
            skip = i;
    ck_assert_int_ge(skip, 0);
    GString *out = g_string_new(NULL);
    for (int l = 0; lines[l]; l++) {
        gchar **f = g_strsplit(lines[l], ",", -1);
        for (int i = 0; f[i]; i++)
            if (i != skip)
                g_string_append_printf(out, "%s,", f[i]);
        g_string_append_c(out, '\n');
        g_strfreev(f);
    }
    g_strfreev(head);
    g_strfreev(lines);
    return g_string_free(out, FALSE);
}

void pbrl_test_assert_same_outputs(const char *a, const char *b, const char *what)
{
    static const char *const files[] = {"eval.csv", "labels.csv", "reward.csv", "prefs.bin",
                                        "train.csv"};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        gsize nx, ny;
        char *px = g_build_filename(a, files[i], NULL), *py = g_build_filename(b, files[i], NULL);
        char *x, *y;
        ck_assert_msg(g_file_get_contents(px, &x, &nx, NULL) &&
                          g_file_get_contents(py, &y, &ny, NULL),
                      "%s: %s is missing", what, files[i]);
        ck_assert_msg(nx > 0, "%s: %s is empty", what, files[i]);
        if (!strcmp(files[i], "train.csv")) {
            char *x2 = without_column(x, "duration"), *y2 = without_column(y, "duration");
            g_free(x);
            g_free(y);
            x = x2;
            y = y2;
            nx = strlen(x);
            ny = strlen(y);
        }
        ck_assert_msg(nx == ny && !memcmp(x, y, nx), "%s: %s differs after resuming", what,
                      files[i]);
        g_free(x);
        g_free(y);
        g_free(px);
        g_free(py);
    }
}
