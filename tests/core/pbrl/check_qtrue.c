/* The Q diagnostic against the true value: each evaluated state's target is
 * its discounted true return with the episode followed past the time limit
 * by the evaluated policy, for K = ceil(log(1e-4)/log γ) steps (stopped by a
 * true termination), next to the old target truncated at the limit.  The
 * targets are recomputed here from independent rollouts of the same policy
 * on the same initial states, summed to (practically) infinity; they differ
 * where the time limit cuts; the episode's own numbers are unchanged; and
 * eval.csv gains the columns q_mse_true and q_nmse_true. */
#include <math.h>
#include <string.h>
#include <check.h>

#include "host/recipe.h"
#include "pbrl/trainer_private.h"
#include "pbrl_test.h"
#include "check_run.h"

enum { L = 20, EPISODES = 3, FAR = 3000 };
#define GAMMA 0.9

/* SAC with a short discount (K = 88) on 20-step episodes whose rewards are
 * all in [1, 2] (offset 1), so every cut tail is clearly positive */
static const char *const SAC[] = {"agent.name=sac", "agent.hidden_dim=16", "agent.hidden_depth=2",
                                  "agent.batch_size=16", "agent.discount=0.9", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=16",
                                     "reward.reward_update=5", NULL};

START_TEST(test_steps)
{
    ck_assert_int_eq(prefrl_q_true_steps(0.99), 917);
    ck_assert_int_eq(prefrl_q_true_steps(0.9), 88);
    for (double g = 0.5; g < 0.9995; g += 0.0137) {
        int K = prefrl_q_true_steps(g);
        ck_assert_msg(pow(g, K) < 1e-4 && pow(g, K - 1) >= 1e-4, "γ %g: K %d", g, K);
    }
    ck_assert_int_eq(prefrl_q_true_steps(0.0), 0);
    ck_assert_int_eq(prefrl_q_true_steps(1.0), -1);
}
END_TEST

/* the mean of (q − g)² */
static double mse(const float *q, const double *g, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (q[i] - g[i]) * (q[i] - g[i]);
    return s / n;
}

/* evaluate a trainer of the short problem after `train_steps` of training,
 * with `env_extra` overrides, and check every target against rollouts of its
 * policy on a second env of the same stream (the same initial states) */
static void check_targets(int train_steps, const char *terminal_at, int cut_at)
{
    char *steps = g_strdup_printf("trainer.num_train_steps=%d", train_steps);
    const char *const extra[] = {"env.episode_length=20", "env.reward_offset=1", terminal_at,
                                 steps, "trainer.eval_frequency=100000", "trainer.segment=5",
                                 NULL};
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, extra);
    PrefrlRegistry *reg = pbrl_test_registry();
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, reg, NULL, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s",
                  err ? err->message : "");
    /* the twin env: stream "env" of the same seed, created as the trainer's;
     * the trainer's own env has stepped through training since */
    PrefrlInstance *twin =
        trainer_make_component(root, reg, PREFRL_KIND_ENV, "env", NULL, NULL, &err);
    ck_assert_msg(twin != NULL, "%s", err ? err->message : "");
    const PrefrlEnvOps *eo = twin->component->ops;
    /* bring it to the trainer env's state: that one reset once per
     * training episode (20 steps each) and drew nothing else */
    float obs[4], next[4], act[2];
    for (int e = 0; e < train_steps / L; e++)
        ck_assert(eo->reset(twin->self, obs, &err));
    PrefrlEvalResult r;
    ck_assert_msg(prefrl_trainer_evaluate_all(t, EPISODES, &r, &err), "%s",
                  err ? err->message : "");

    /* the independent targets */
    static double g_trunc[EPISODES * L], g_true[EPISODES * L];
    double rewards[L + FAR];
    double total = 0;
    for (int e = 0; e < EPISODES; e++) {
        ck_assert(eo->reset(twin->self, obs, &err));
        int n = 0, ended = 0;
        double ret = 0;
        for (int k = 0; k < L + FAR && !ended; k++) {
            PrefrlEnvStep st = {0};
            t->aops->act(t->agent->self, obs, TRUE, act);
            ck_assert(eo->step(twin->self, act, next, &st, &err));
            memcpy(obs, next, sizeof obs);
            rewards[n++] = st.reward;
            if (k < L)
                ret += st.reward;
            ended = st.terminal;
        }
        total += ret;
        if (cut_at)
            ck_assert_int_eq(n, cut_at); /* the termination past the limit */
        for (int i = 0; i < L; i++) {
            double a = 0, b = 0;
            for (int j = n - 1; j >= i; j--) {
                b = rewards[j] + GAMMA * b;
                if (j < L)
                    a = rewards[j] + GAMMA * a;
            }
            g_trunc[e * L + i] = a;
            g_true[e * L + i] = b;
        }
    }
    /* the episodes' own numbers: the same rollouts within the limit */
    ck_assert_double_eq(r.mean_return, total / EPISODES);

    const TrainerWork *w = &t->work;
    /* cut error of the K-step continuation: γ^K · max r / (1 − γ) */
    const double cut = pow(GAMMA, prefrl_q_true_steps(GAMMA)) * 2 / (1 - GAMMA) + 1e-4;
    for (int i = 0; i < EPISODES * L; i++) {
        ck_assert_msg(fabs(w->ep_g[i] - g_trunc[i]) < 1e-5 * g_trunc[i], "G[%d] %g, want %g", i,
                      w->ep_g[i], g_trunc[i]);
        ck_assert_msg(fabs(w->ep_gt[i] - g_true[i]) < cut + 1e-5 * g_true[i],
                      "true G[%d] %g, want %g", i, w->ep_gt[i], g_true[i]);
        /* where the limit cuts (the last steps) the targets differ by the
         * tail's weight γ^(L−t) · (≥ 1 per step) */
        int step = i % L;
        double tail_min = pow(GAMMA, L - step) * (cut_at ? cut_at - L : 10);
        if (step >= L - 10)
            ck_assert_msg(w->ep_gt[i] - w->ep_g[i] > 0.5 * tail_min,
                          "step %d: true %g vs truncated %g", step, w->ep_gt[i], w->ep_g[i]);
    }
    /* the reported errors are those of the two targets */
    double want = mse(w->ep_q, g_trunc, EPISODES * L);
    double want_true = mse(w->ep_q, g_true, EPISODES * L);
    ck_assert_double_eq_tol(r.q_mse, want, 1e-4 * want);
    ck_assert_double_eq_tol(r.q_mse_true, want_true, 1e-3 * want_true + 1e-3);
    ck_assert(fabs(r.q_mse - r.q_mse_true) > 0.01 * fabs(r.q_mse));
    ck_assert(isfinite(r.q_nmse_true));
    prefrl_instance_free(twin);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(steps);
}

START_TEST(test_targets_untrained)
{
    check_targets(400, "env.terminal_at=0", 0);
}
END_TEST

START_TEST(test_targets_trained)
{
    check_targets(1200, "env.terminal_at=0", 0);
}
END_TEST

/* a true termination 5 steps past the limit ends the sum there */
START_TEST(test_targets_terminal)
{
    check_targets(400, "env.terminal_at=25", 25);
}
END_TEST

/* eval.csv: the old columns and the two new ones, from the first row on */
START_TEST(test_eval_columns)
{
    const char *const extra[] = {"agent.discount=0.9", NULL};
    char *dir = pbrl_test_run_dir("qtrue-columns");
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, extra);
    pbrl_test_train(root, dir);
    prefrl_node_free(root);
    char *csv = test_slurp(dir, "eval.csv");
    char **rows = g_strsplit(csv, "\n", -1);
    ck_assert_str_eq(rows[0], "episode,episode_reward,q_mse,q_mse_true,q_nmse,q_nmse_true,step,"
                              "true_episode_reward");
    ck_assert_int_eq(g_strv_length(rows), 4); /* two evaluations and the final newline */
    for (int i = 1; i <= 2; i++) {
        double v[8];
        ck_assert_int_eq(sscanf(rows[i], "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", v, v + 1, v + 2,
                                v + 3, v + 4, v + 5, v + 6, v + 7),
                         8);
        for (int k = 0; k < 8; k++)
            ck_assert(isfinite(v[k]));
        ck_assert(v[2] != v[3]); /* the two targets give two errors */
    }
    char *log = test_slurp(dir, "log.txt");
    ck_assert_ptr_nonnull(strstr(log, "(against the true value: "));
    g_free(log);
    g_strfreev(rows);
    g_free(csv);
    g_free(dir);
}
END_TEST

static Suite *qtrue_suite(void)
{
    Suite *s = suite_create("qtrue");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_steps);
    tcase_add_test(tc, test_targets_untrained);
    tcase_add_test(tc, test_targets_trained);
    tcase_add_test(tc, test_targets_terminal);
    tcase_add_test(tc, test_eval_columns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(qtrue_suite());
    return failed ? 1 : 0;
}
