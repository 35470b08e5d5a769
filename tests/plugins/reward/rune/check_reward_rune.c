/* reward/rune: the exploration bonus added at update time is β_t times the
 * population standard deviation of the members' r̂, with β_t = β₀ (1 − ρ)^t
 * at the trainer's step t (and β₀ under the constant schedule); predictions
 * are PEBBLE's ensemble mean; save/load round trip; a resumed run writes
 * what an uninterrupted one does; and learning on the small trainer
 * problem. */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>
#include <prefrl/component.h>
#include "pbrl/log.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "plugins/reward/reward_test.h"
#include "check_run.h"

enum { DS = 3, DA = 2, D = DS + DA, B = 32, SEG = 4 };

static const char *const small[] = {"hidden_dim=8", "hidden_depth=2", "max_segment=4",
                                    "beta_init=0.05", "beta_decay=0.001", NULL};

typedef struct {
    float obs[B * DS], act[B * DA], x[B * D];
    PrefrlBatch batch;
} Batch;

static void batch_init(Batch *b, uint64_t seed)
{
    PrefrlRng rng;
    prefrl_rng_init(&rng, seed, "batch");
    prefrl_rng_normal_fill(&rng, b->obs, B * DS);
    for (int i = 0; i < B * DA; i++)
        b->act[i] = (float)prefrl_rng_range(&rng, -1, 1);
    for (int i = 0; i < B; i++) {
        memcpy(b->x + i * D, b->obs + i * DS, sizeof(float) * DS);
        memcpy(b->x + i * D + DS, b->act + i * DA, sizeof(float) * DA);
    }
    b->batch = (PrefrlBatch){.size = B, .obs_dim = DS, .act_dim = DA, .obs = b->obs,
                             .action = b->act};
}

/* the population std over members of r̂ on each row, from each member's own
 * forward pass, in double */
static void member_std(PrefrlRewardModel *m, const float *x, double *sd)
{
    const int K = prefrl_reward_model_n_members(m);
    PrefrlEnsemble *e = prefrl_reward_model_ensemble(m);
    double r[16][B];
    for (int k = 0; k < K; k++) {
        const float *o = prefrl_mlp_forward(prefrl_ensemble_member(e, k), x, B);
        for (int i = 0; i < B; i++)
            r[k][i] = o[i];
    }
    for (int i = 0; i < B; i++) {
        double mean = 0, var = 0;
        for (int k = 0; k < K; k++)
            mean += r[k][i] / K;
        for (int k = 0; k < K; k++)
            var += (r[k][i] - mean) * (r[k][i] - mean) / K;
        sd[i] = sqrt(var);
    }
}

/* the bonus at step t added to a batch whose stored rewards are `base` */
static void bonus_at(PrefrlInstance *inst, Batch *b, int64_t step, const float *base,
                     float *out, PrefrlLog *log)
{
    memcpy(out, base, sizeof(float) * B);
    const PrefrlRewardOps *ops = prefrl_instance_ops(inst);
    GError *err = NULL;
    ck_assert_msg(ops->batch_reward(prefrl_instance_self(inst), step, &b->batch, out, log, &err),
                  "%s", err ? err->message : "");
}

START_TEST(test_bonus_is_beta_times_member_std)
{
    PrefrlInstance *inst = reward_test_new_ok("rune", DS, DA, 7, small, NULL);
    PrefrlRewardModel *m = reward_test_twin(inst, DS, DA, 7, SEG);
    Batch b;
    batch_init(&b, 3);
    double sd[B];
    member_std(m, b.x, sd);
    float base[B], got[B];
    for (int i = 0; i < B; i++)
        base[i] = (float)(0.1 * i - 1.0); /* what the replay stored */
    PrefrlLog *log = prefrl_log_new(NULL, NULL);
    bonus_at(inst, &b, 0, base, got, log);
    double mean_sd = 0;
    for (int i = 0; i < B; i++) {
        /* fresh members disagree: a bonus worth checking */
        ck_assert_msg(sd[i] > 1e-4, "row %d: std %g", i, sd[i]);
        double expect = base[i] + 0.05 * sd[i];
        ck_assert_msg(fabs(got[i] - expect) < 1e-6 * (1 + fabs(expect)),
                      "row %d: %.9g, expected %.9g", i, got[i], expect);
        mean_sd += sd[i] / B;
    }
    /* the reference's train/explore_reward: the mean std before β */
    ck_assert_double_eq_tol(prefrl_log_peek(log, "train/explore_reward"), mean_sd,
                            1e-6 * mean_sd);
    prefrl_log_free(log);

    /* r̂ itself is the ensemble mean, as PEBBLE's */
    float r[B], twin[B];
    const PrefrlRewardOps *ops = prefrl_instance_ops(inst);
    ops->predict(prefrl_instance_self(inst), 0, b.x, B, r);
    prefrl_reward_model_predict(m, b.x, B, twin);
    ck_assert(memcmp(r, twin, sizeof r) == 0);
    ck_assert_int_eq(ops->n_members(prefrl_instance_self(inst)), 3);
    prefrl_reward_model_free(m);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_bonus_decays)
{
    PrefrlInstance *inst = reward_test_new_ok("rune", DS, DA, 7, small, NULL);
    Batch b;
    batch_init(&b, 4);
    float zero[B] = {0}, b0[B], bt[B];
    bonus_at(inst, &b, 0, zero, b0, NULL);
    /* β_t / β₀ = (1 − ρ)^t with ρ = 0.001, t in the trainer's steps */
    const int64_t steps[] = {1, 100, 1000, 5000};
    for (gsize s = 0; s < G_N_ELEMENTS(steps); s++) {
        bonus_at(inst, &b, steps[s], zero, bt, NULL);
        double expect = pow(1.0 - 0.001, (double)steps[s]);
        for (int i = 0; i < B; i++)
            ck_assert_msg(fabs(bt[i] / b0[i] - expect) < 1e-5 * expect,
                          "step %lld row %d: ratio %.9g, expected %.9g", (long long)steps[s], i,
                          bt[i] / b0[i], expect);
    }
    /* the bonus shrinks monotonically and the model is untouched by it */
    float again[B];
    bonus_at(inst, &b, 0, zero, again, NULL);
    ck_assert(memcmp(b0, again, sizeof again) == 0);

    /* reward.csv records β at each round's step */
    PrefrlPrefs none = {.capacity = 1, .H = SEG, .obs_dim = DS, .act_dim = DA};
    PrefrlRewardData data = {.struct_size = sizeof data, .step = 2000, .prefs = &none};
    PrefrlLog *log = prefrl_log_new(NULL, NULL);
    const PrefrlRewardOps *ops = prefrl_instance_ops(inst);
    ck_assert(ops->train(prefrl_instance_self(inst), &data, log, NULL));
    ck_assert_double_eq_tol(prefrl_log_peek(log, "beta"), 0.05 * pow(0.999, 2000), 1e-12);
    prefrl_log_free(log);
    prefrl_instance_free(inst);

    /* the constant schedule keeps β₀ */
    const char *const constant[] = {"beta_schedule=constant", NULL};
    inst = reward_test_new_ok("rune", DS, DA, 7, small, constant);
    bonus_at(inst, &b, 100000, zero, bt, NULL);
    ck_assert(memcmp(b0, bt, sizeof bt) == 0);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_save_load)
{
    PrefrlInstance *a = reward_test_new_ok("rune", DS, DA, 7, small, NULL);
    PrefrlInstance *c = reward_test_new_ok("rune", DS, DA, 8, small, NULL);
    Batch b;
    batch_init(&b, 5);
    float zero[B] = {0}, ra[B], rc[B];
    bonus_at(a, &b, 10, zero, ra, NULL);
    bonus_at(c, &b, 10, zero, rc, NULL);
    ck_assert(memcmp(ra, rc, sizeof ra) != 0);
    char *dir = g_dir_make_tmp("prefrl-rune-XXXXXX", NULL);
    char *path = g_build_filename(dir, "rune.bin", NULL);
    GError *err = NULL;
    ck_assert_msg(prefrl_instance_save(a, path, &err) && prefrl_instance_load(c, path, &err), "%s",
                  err ? err->message : "");
    bonus_at(c, &b, 10, zero, rc, NULL);
    ck_assert(memcmp(ra, rc, sizeof ra) == 0);
    g_remove(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    prefrl_instance_free(a);
    prefrl_instance_free(c);
}
END_TEST

/* ---- resuming ------------------------------------------------------------------------ */

static void on_sigint(int sig)
{
    (void)sig;
    pbrl_test_stop = 1;
}

static const char *const RUNE_SHORT[] = {"reward.name=rune", "reward.hidden_dim=32",
                                         "reward.reward_update=50", "reward.beta_decay=0.001",
                                         NULL};

/* the bonus depends on the step: a run interrupted mid-episode (the fixture
 * raises Ctrl-C at env step 923) and resumed from its checkpoint writes the
 * same outputs as one that ran through */
START_TEST(test_resume_matches)
{
    char *a = pbrl_test_run_dir("rune-resume-a"), *b = pbrl_test_run_dir("rune-resume-b");
    const char *const periodic[] = {"trainer.num_train_steps=2000", "trainer.eval_frequency=1000",
                                    "trainer.checkpoint_frequency=300", NULL};
    const char *const stopped[] = {"trainer.num_train_steps=2000", "trainer.eval_frequency=1000",
                                   "trainer.checkpoint_frequency=300", "env.interrupt_at=923",
                                   NULL};
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_recipe(RUNE_SHORT, periodic);
    pbrl_test_resolve(root);
    pbrl_test_train(root, a);
    prefrl_node_free(root);

    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    pbrl_test_stop = 0;
    root = pbrl_test_recipe(RUNE_SHORT, stopped);
    pbrl_test_resolve(root);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    sigaction(SIGINT, &old, NULL);
    ck_assert_msg(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED), "%s",
                  err->message);
    g_clear_error(&err);
    prefrl_trainer_free(t);
    t = prefrl_trainer_resume(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t && prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s",
                  err ? err->message : "");
    prefrl_trainer_free(t);
    prefrl_node_free(root);

    pbrl_test_assert_same_outputs(a, b, "rune");
    /* the bonus was applied: reward.csv has β per round */
    char *rounds = test_slurp(a, "reward.csv");
    ck_assert_ptr_nonnull(strstr(rounds, "beta"));
    g_free(rounds);
    g_free(a);
    g_free(b);
}
END_TEST

/* ---- on-policy ------------------------------------------------------------------------ */

/* PrefPPO + RUNE: the bonus reaches an on-policy agent at each rollout step.
 * With β₀ = 0 RUNE is PEBBLE's learner exactly, so a run writes what
 * reward/pebble writes; with β₀ = 5 the agent learns from other rewards and
 * its evaluations differ. */
static char *ppo_eval(const char *name, const char *reward, const char *beta)
{
    char *dir = pbrl_test_run_dir(name);
    const char *const rw[] = {reward, "reward.hidden_dim=32", "reward.reward_update=20", beta,
                              NULL};
    const char *const extra[] = {"trainer.num_train_steps=1600", "trainer.num_unsup_steps=400",
                                 "trainer.eval_frequency=400", NULL};
    const char *const ppo[] = {"agent.name=ppo",    "agent.hidden_dim=32", "agent.hidden_depth=2",
                               "agent.n_envs=2",    "agent.n_steps=100",   "agent.batch_size=100",
                               "agent.n_epochs=2",  "agent.unsup_n_epochs=2", NULL};
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_recipe(rw, extra);
    prefrl_node_remove(root, "agent"); /* the shared recipe's SAC section */
    for (const char *const *o = ppo; *o; o++)
        ck_assert_msg(prefrl_recipe_override(root, *o, &err), "%s", err ? err->message : "");
    pbrl_test_resolve(root);
    pbrl_test_train(root, dir);
    prefrl_node_free(root);
    char *eval = test_slurp(dir, "eval.csv");
    g_free(dir);
    return eval;
}

START_TEST(test_on_policy_bonus)
{
    char *pebble = ppo_eval("rune-ppo-pebble", "reward.name=pebble", NULL);
    char *zero = ppo_eval("rune-ppo-zero", "reward.name=rune", "reward.beta_init=0");
    char *big = ppo_eval("rune-ppo-big", "reward.name=rune", "reward.beta_init=5");
    ck_assert_msg(!strcmp(pebble, zero), "RUNE with beta_init 0 differs from PEBBLE under PPO");
    ck_assert_msg(strcmp(pebble, big) != 0, "RUNE's bonus did not reach the PPO agent");
    g_free(pebble);
    g_free(zero);
    g_free(big);
}
END_TEST

/* ---- learning ------------------------------------------------------------------------- */

static const char *const RUNE[] = {"reward.name=rune", "reward.hidden_dim=32",
                                   "reward.reward_update=50", NULL};

/* Measured on the shared small problem (fixture_reach, SAC 64×2, 100 oracle
 * labels over 8000 steps) with `prefrl run`, seeds 1-7, last evaluation:
 * RUNE 9.7, 32.6, 15.6, 19.0, 23.9, 25.9, 23.5 (mean 21.5); PEBBLE 12.9,
 * 28.4, 27.0, 20.8, 25.9, 21.7, 29.2 (23.7); the random policy 9.6 (SURF test).  On
 * this tiny task the bonus buys nothing; the test asks what the MRN test
 * asks: the mean of seeds 3 and 4 (this harness: 19.2) beats the random
 * policy's mean on the same seeds (9.1) by 8. */
START_TEST(test_learning_rune)
{
    static const char *const seeds[2][2] = {{"seed=3", NULL}, {"seed=4", NULL}};
    double rnd = 0, learned = 0;
    for (int i = 0; i < 2; i++) {
        rnd += pbrl_test_random_return(3 + i) / 2;
        learned += pbrl_test_learned_return(pbrl_test_recipe(RUNE, seeds[i])) / 2;
    }
    fprintf(stderr, "RUNE 100 labels, seeds 3 and 4: random %.2f, learned %.2f\n", rnd, learned);
    ck_assert_msg(learned > rnd + 8.0, "random %.2f, learned %.2f", rnd, learned);
}
END_TEST

static Suite *rune_suite(void)
{
    Suite *s = suite_create("reward_rune");
    TCase *tc = tcase_create("bonus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bonus_is_beta_times_member_std);
    tcase_add_test(tc, test_bonus_decays);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_resume_matches);
    tcase_add_test(tc, test_on_policy_bonus);
    suite_add_tcase(s, tc);
    TCase *learn = tcase_create("learning");
    tcase_set_timeout(learn, 600);
    tcase_add_test(learn, test_learning_rune);
    suite_add_tcase(s, learn);
    return s;
}

int main(void)
{
    int failed = check_run(rune_suite());
    return failed ? 1 : 0;
}
