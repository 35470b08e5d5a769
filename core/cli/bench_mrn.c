/* `prefrl bench mrn`: the cost of one MRN bi-level step (reward/mrn's
 * meta_step) beside one SAC update, at the DMC preset of the paper's walker
 * runs: obs 24, act 6, SAC 1024 x 2 with batch 1024, reward ensemble of 3
 * members 256 x 3, meta loss over reward_batch = 10 labelled pairs of 50
 * steps.  Both through the plugins, as the trainer calls them; the
 * trainer's replay relabel after a meta step is not included (its cost
 * grows with the replay, a reward forward over every stored transition).
 *
 * FLOPs of one meta step (matrix products, 2 per multiply-add; W = weights
 * of a network, W0 its first layer, B the batch):
 *   target value  actor fwd 2BWa, two target heads 2 x 2BWc
 *   per head      fwd 2BWc, bwd (dW, dx above layer 0) 2BWc + 2B(Wc - Wc0),
 *                 JVP 2 x 2BWc, meta pairs (20 rows, negligible)
 *   reward        predict 3 x 2BWr, backward pass fwd 3 x 2BWr and
 *                 bwd 3 x (2BWr + 2B(Wr - Wr0)) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>

#include "cli.h"
#include "host/registry.h"

enum { OBS = 24, ACT = 6, HIDDEN = 1024, DEPTH = 2, BATCH = 1024, PAIRS = 10, SEG = 50 };

static double weights(int in, int hidden, int depth, int out, double *w0)
{
    *w0 = (double)in * hidden;
    return *w0 + (double)(depth - 1) * hidden * hidden + (double)hidden * out;
}

static double meta_flops(void)
{
    double wa0, wc0, wr0, B = BATCH;
    double wa = weights(OBS, HIDDEN, DEPTH, 2 * ACT, &wa0);
    double wc = weights(OBS + ACT, HIDDEN, DEPTH, 1, &wc0);
    double wr = weights(OBS + ACT, 256, 3, 1, &wr0);
    double target = 2 * B * wa + 2 * 2 * B * wc;
    double head = 2 * B * wc + (2 * B * wc + 2 * B * (wc - wc0)) + 2 * 2 * B * wc;
    double reward = 3 * 2 * B * wr + 3 * 2 * B * wr + 3 * (2 * B * wr + 2 * B * (wr - wr0));
    return target + 2 * head + reward;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, int n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: prefrl bench mrn [--reps N] [--steps N] [--threads N]\n"
            "  milliseconds of one MRN meta step and one SAC update at the DMC preset (obs 24,\n"
            "  act 6, SAC 1024x2, batch 1024, reward 256x3 x 3, 10 pairs); medians of N\n"
            "  repetitions (default 5) of --steps calls each (default 10).\n");
}

int prefrl_cmd_bench_mrn(int argc, char **argv)
{
    int reps = 5, steps = 10, threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--reps") && val)
            reps = atoi(val), i++;
        else if (!strcmp(argv[i], "--steps") && val)
            steps = atoi(val), i++;
        else if (!strcmp(argv[i], "--threads") && val)
            threads = atoi(val), i++;
        else {
            usage();
            return 2;
        }
    }
    if (reps < 1 || steps < 1 || threads < 0) {
        usage();
        return 2;
    }
    if (threads > 0)
        prefrl_nn_set_threads(threads);

    GError *err = NULL;
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = OBS, .act_dim = ACT,
                         .episode_length = 1000};
    static const char *const sac_ov[] = {"hidden_dim=1024", "hidden_depth=2", "batch_size=1024",
                                         "actor_lr=5e-4", "critic_lr=5e-4", NULL};
    static const char *const mrn_ov[] = {"ensemble_size=3", "hidden_dim=256", "hidden_depth=3",
                                         "max_segment=50", NULL};
    PrefrlRegistry *reg = prefrl_registry_default();
    PrefrlInstance *agent = prefrl_instance_new(reg, PREFRL_KIND_AGENT, "sac", sac_ov, 1, &env,
                                                &err);
    PrefrlInstance *reward =
        agent ? prefrl_instance_new(reg, PREFRL_KIND_REWARD, "mrn", mrn_ov, 1, &env, &err) : NULL;
    if (!reward) {
        prefrl_instance_free(agent);
        int rc = prefrl_cli_fail(err);
        g_error_free(err);
        return rc;
    }
    const PrefrlAgentOps *aops = agent->component->ops;
    const PrefrlRewardOps *rops = reward->component->ops;

    /* one fixed batch and PAIRS labelled pairs of plausible data */
    const int D = OBS + ACT;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 7, "bench");
    float *obs = g_new(float, (gsize)BATCH * OBS), *next = g_new(float, (gsize)BATCH * OBS);
    float *act = g_new(float, (gsize)BATCH * ACT), *rew = g_new(float, BATCH);
    float *nd = g_new(float, BATCH);
    float *seg1 = g_new(float, (gsize)PAIRS * SEG * D);
    float *seg2 = g_new(float, (gsize)PAIRS * SEG * D);
    int labels[PAIRS];
    prefrl_rng_normal_fill(&rng, obs, (gsize)BATCH * OBS);
    prefrl_rng_normal_fill(&rng, next, (gsize)BATCH * OBS);
    prefrl_rng_normal_fill(&rng, seg1, (gsize)PAIRS * SEG * D);
    prefrl_rng_normal_fill(&rng, seg2, (gsize)PAIRS * SEG * D);
    for (int i = 0; i < BATCH * ACT; i++)
        act[i] = (float)prefrl_rng_range(&rng, -1, 1);
    for (int i = 0; i < BATCH; i++) {
        rew[i] = (float)prefrl_rng_uniform(&rng);
        nd[i] = 1.0f;
    }
    for (int i = 0; i < PAIRS; i++)
        labels[i] = (int)prefrl_rng_below(&rng, 2);
    PrefrlBatch b = {.size = BATCH, .obs_dim = OBS, .act_dim = ACT, .obs = obs, .action = act,
                     .reward = rew, .next_obs = next, .not_done = nd, .not_done_no_max = nd};
    PrefrlPrefs prefs = {.count = PAIRS, .capacity = PAIRS, .next = 0, .total = PAIRS, .H = SEG,
                         .obs_dim = OBS, .act_dim = ACT, .seg1 = seg1, .seg2 = seg2,
                         .labels = labels};
    PrefrlMetaData md = {.struct_size = sizeof md, .critic = aops->critic_view(agent->self),
                         .batch = &b, .prefs = &prefs, .reward_batch = PAIRS, .step = 1};

    gboolean ok = TRUE;
    int64_t step = 1;
    for (int i = 0; ok && i < 2; i++) /* warm-up: pages, caches, BLAS threads, workspaces */
        ok = rops->meta_step(reward->self, &md, NULL, &err) &&
             aops->update(agent->self, &b, step++, NULL, &err);
    double *meta_ms = g_new(double, reps), *sac_ms = g_new(double, reps);
    for (int r = 0; ok && r < reps; r++) {
        gint64 t0 = g_get_monotonic_time();
        for (int i = 0; ok && i < steps; i++)
            ok = rops->meta_step(reward->self, &md, NULL, &err);
        gint64 t1 = g_get_monotonic_time();
        for (int i = 0; ok && i < steps; i++)
            ok = aops->update(agent->self, &b, step++, NULL, &err);
        gint64 t2 = g_get_monotonic_time();
        meta_ms[r] = (t1 - t0) / 1e3 / steps;
        sac_ms[r] = (t2 - t1) / 1e3 / steps;
    }
    int rc = 0;
    if (ok) {
        double mm = median(meta_ms, reps), sm = median(sac_ms, reps), gf = meta_flops() / 1e9;
        printf("prefrl bench mrn: DMC preset (obs %d, act %d, SAC %dx%d, batch %d; reward 256x3 "
               "x 3; %d pairs), %d OpenBLAS thread(s), medians of %d x %d calls\n",
               OBS, ACT, HIDDEN, DEPTH, BATCH, PAIRS, prefrl_nn_get_threads(), reps, steps);
        printf("meta step   %8.1f ms  (min %.1f, max %.1f)  %5.2f GFLOP  %5.1f GFLOP/s\n", mm,
               meta_ms[0], meta_ms[reps - 1], gf, gf / (mm / 1e3));
        printf("SAC update  %8.1f ms  (min %.1f, max %.1f)\n", sm, sac_ms[0], sac_ms[reps - 1]);
        printf("ratio       %8.2f  (a meta step of the trainer costs meta step + SAC update "
               "+ replay relabel)\n",
               mm / sm);
    } else {
        rc = prefrl_cli_fail(err);
        g_error_free(err);
    }
    g_free(meta_ms);
    g_free(sac_ms);
    g_free(obs);
    g_free(next);
    g_free(act);
    g_free(rew);
    g_free(nd);
    g_free(seg1);
    g_free(seg2);
    prefrl_instance_free(reward);
    prefrl_instance_free(agent);
    return rc;
}
