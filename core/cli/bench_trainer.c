/* `prefrl bench trainer [RECIPE] [k=v ...]`: environment steps per second
 * inside the trainer — the whole loop (act, step, reward prediction, replay,
 * episode store) with and without learning — beside the environment alone. */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include <prefrl/nn.h>

#define DEFAULT_RECIPE PREFRL_SRCDIR "/configs/quickstart.yaml"

/* seconds for one trainer run of the recipe with extra overrides */
static gboolean time_run(const char *path, char **ov, int n_ov, const char *const *extra,
                         double *seconds, int64_t *steps, GError **error)
{
    PrefrlNode *root = prefrl_recipe_load(path, error);
    if (!root)
        return FALSE;
    gboolean ok = TRUE;
    for (int i = 0; ok && i < n_ov; i++)
        ok = prefrl_recipe_override(root, ov[i], error);
    for (const char *const *e = extra; ok && *e; e++)
        ok = prefrl_recipe_override(root, *e, error);
    PrefrlRegistry *reg = prefrl_registry_default();
    ok = ok && prefrl_recipe_resolve(root, reg, &prefrl_run_keys, prefrl_trainer_required_kinds(),
                                     error);
    PrefrlTrainer *t = ok ? prefrl_trainer_new(root, reg, NULL, error) : NULL;
    if (t) {
        prefrl_nn_set_threads((int)prefrl_param_int(root, "threads"));
        *steps = prefrl_param_int(prefrl_node_get(root, "trainer"), "num_train_steps");
        gint64 t0 = g_get_monotonic_time();
        ok = prefrl_trainer_run(t, NULL, FALSE, error);
        *seconds = (g_get_monotonic_time() - t0) / 1e6;
        prefrl_trainer_free(t);
    } else {
        ok = FALSE;
    }
    prefrl_node_free(root);
    return ok;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int prefrl_cmd_bench_trainer(int argc, char **argv)
{
    const char *path = DEFAULT_RECIPE;
    int first_ov = 1, reps = 3;
    if (argc > 1 && !strchr(argv[1], '=')) {
        path = argv[1];
        first_ov = 2;
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
    for (int m = 0; m < 2; m++) {
        double rate[8];
        for (int r = 0; r < reps; r++) {
            GError *err = NULL;
            double sec = 0;
            int64_t n = 0;
            if (!time_run(path, argv + first_ov, argc - first_ov, modes[m], &sec, &n, &err))
                return prefrl_cli_fail(err);
            rate[r] = n / sec;
        }
        qsort(rate, reps, sizeof rate[0], cmp_double);
        printf("  %-26s %9.0f env steps/s  (min %.0f, max %.0f)\n", names[m], rate[reps / 2],
               rate[0], rate[reps - 1]);
    }
    return 0;
}
