/* `prefrl bench trainer [RECIPE] [k=v ...]`: environment steps per second
 * inside the trainer — the whole loop (act, step, reward prediction, replay,
 * episode store) with and without learning. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include <prefrl/nn.h>

/* seconds for one trainer run of the recipe with the user's overrides,
 * then the mode's */
static gboolean time_run(const char *path, char **ov, const char *const *extra,
                         double *seconds, int64_t *steps, GError **error)
{
    GPtrArray *all = g_ptr_array_new();
    for (char **o = ov; *o; o++)
        g_ptr_array_add(all, *o);
    for (const char *const *e = extra; *e; e++)
        g_ptr_array_add(all, (gpointer)*e);
    g_ptr_array_add(all, NULL);
    PrefrlNode *root = prefrl_cli_load_recipe(path, (const char *const *)all->pdata,
                                              prefrl_trainer_required_kinds(), error);
    g_ptr_array_unref(all);
    if (!root)
        return FALSE;
    gboolean ok = FALSE;
    PrefrlTrainer *t = prefrl_trainer_new(root, prefrl_registry_default(), NULL, error);
    if (t) { /* the trainer applied the recipe's threads */
        *steps = prefrl_param_int(prefrl_node_get(root, "trainer"), "num_train_steps");
        double t0 = prefrl_bench_seconds();
        ok = prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, error);
        *seconds = prefrl_bench_seconds() - t0;
        prefrl_trainer_free(t);
    }
    prefrl_node_free(root);
    return ok;
}

static const PrefrlCliUsage usage = {
    "bench trainer", "[RECIPE] [section.key=value ...]",
    "Env steps per second inside the trainer, with and without learning.",
    "Times 3000 trainer steps of the recipe (default: configs/quickstart.yaml) twice: all\n"
    "seed steps (random actions: env, reward prediction, replay and episode store, no\n"
    "learning), then with one agent update per step after 500 seed steps; medians of 3 runs.\n"
    "Overrides apply to the recipe."};

int prefrl_cmd_bench_trainer(int argc, char **argv)
{
    char **args;
    int rc = prefrl_cli_parse(&usage, NULL, argc, argv, &args);
    if (rc >= 0)
        return rc;
    char *fallback = prefrl_bench_config_path("quickstart.yaml");
    const char *path = fallback;
    int first_ov = 0;
    enum { reps = 3 };
    if (args[0] && !strchr(args[0], '=')) {
        path = args[0];
        first_ov = 1;
    }
    const char *steps = "trainer.num_train_steps=3000";
    /* no learning: every step is a seed step (random action, no update) */
    const char *const env_only[] = {steps, "trainer.num_seed_steps=1000000000",
                                    "trainer.eval_frequency=1000000000", NULL};
    /* learning from the start: one agent update per step after 500 seed steps */
    const char *const learning[] = {steps, "trainer.num_seed_steps=500",
                                    "trainer.num_unsup_steps=0",
                                    "trainer.eval_frequency=1000000000", NULL};
    const char *const *modes[] = {env_only, learning};
    const char *names[] = {"env + replay, no updates", "with agent updates"};
    printf("prefrl bench trainer: %s, 3000 steps, median of %d runs\n", path, reps);
    rc = 0;
    for (int m = 0; m < 2 && rc == 0; m++) {
        double rate[reps];
        for (int r = 0; r < reps && rc == 0; r++) {
            GError *err = NULL;
            double sec = 0;
            int64_t n = 0;
            if (!time_run(path, args + first_ov, modes[m], &sec, &n, &err)) {
                rc = prefrl_cli_fail(err);
                g_error_free(err);
            }
            rate[r] = n / sec;
        }
        if (rc == 0) {
            PrefrlBenchStats s = prefrl_bench_stats(rate, reps);
            printf("  %-26s %9.0f env steps/s  (min %.0f, max %.0f)\n", names[m], s.median,
                   s.min, s.max);
        }
    }
    g_free(fallback);
    g_strfreev(args);
    return rc;
}
