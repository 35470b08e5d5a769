/* `prefrl bench sac`: SAC gradient updates per second at B-Pref's two
 * network sizes (algorithms.md §1.1), with the FLOPs of one update and the
 * rate of a bare sgemm of the hidden-layer shape for comparison.
 *
 *   DMC preset        obs 24, act 6, hidden 1024 x 2, batch 1024 (walker)
 *   Meta-world preset obs 39, act 4, hidden 256 x 3, batch 512
 *
 * One update = critic step + actor/alpha step (actor_update_frequency 1)
 * + a target Polyak step every second update, as in training.  FLOPs count
 * the matrix products only (2 per multiply-add): per network with weight
 * count W = sum in*out over layers and batch B,
 *   critic step: actor fwd 2BWa, target fwd 2 x 2BWc, critic fwd 2 x 2BWc,
 *                critic bwd 2 x (2BWc + 2B(Wc - Wc0))      (dW, dx above layer 0)
 *   actor step:  actor fwd 2BWa, critic fwd 2 x 2BWc, critic bwd 2 x 2BWc (dx only),
 *                actor bwd 2BWa + 2B(Wa - Wa0)
 * where W0 is the first layer's weight count. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>

#include "cli.h"
#include "host/registry.h"

typedef struct BenchPreset {
    const char *name;
    int obs_dim, act_dim, hidden, depth, batch;
    const char *lr;
} BenchPreset;

static const BenchPreset presets[] = {
    {"dmc", 24, 6, 1024, 2, 1024, "1e-4"},
    {"metaworld", 39, 4, 256, 3, 512, "3e-4"},
};

/* weight count sum in*out of an MLP in -> hidden^depth -> out, and its first layer */
static void weights(int in, int hidden, int depth, int out, double *w, double *w0)
{
    *w0 = (double)in * hidden;
    *w = *w0 + (double)(depth - 1) * hidden * hidden + (double)hidden * out;
}

static double update_flops(const BenchPreset *p)
{
    double wa, wa0, wc, wc0, B = p->batch;
    weights(p->obs_dim, p->hidden, p->depth, 2 * p->act_dim, &wa, &wa0);
    weights(p->obs_dim + p->act_dim, p->hidden, p->depth, 1, &wc, &wc0);
    /* actor fwd, 2 target fwd, 2 critic fwd, 2 critic bwd (dW, dx above layer 0) */
    double critic = 2 * B * wa + 2 * 2 * B * wc + 2 * 2 * B * wc +
                    2 * (2 * B * wc + 2 * B * (wc - wc0));
    /* actor fwd, 2 critic fwd, 2 critic bwd (dx only), actor bwd (dW, dx above layer 0) */
    double actor = 2 * B * wa + 2 * 2 * B * wc + 2 * 2 * B * wc + 2 * B * wa + 2 * B * (wa - wa0);
    return critic + actor;
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

/* a bare sgemm of the hidden-layer forward shape (B, H) x (H, H)^T, timed
 * between the update repetitions so both see the same machine load */
typedef struct Sgemm {
    int B, H, iters;
    float *a, *w, *c;
} Sgemm;

static void sgemm_init(Sgemm *g, int B, int H, double seconds_hint)
{
    g->B = B;
    g->H = H;
    g->a = g_new0(float, (size_t)B * H);
    g->w = g_new0(float, (size_t)H * H);
    g->c = g_new0(float, (size_t)B * H);
    for (size_t i = 0; i < (size_t)B * H; i++)
        g->a[i] = (float)(i % 7) * 0.01f;
    for (size_t i = 0; i < (size_t)H * H; i++)
        g->w[i] = (float)(i % 5) * 0.01f;
    /* sized for about seconds_hint at ~30 GFLOP/s */
    g->iters = (int)MAX(3, seconds_hint * 3e10 / (2.0 * B * H * H));
}

static double sgemm_rate(Sgemm *g)
{
    gint64 t0 = g_get_monotonic_time();
    for (int i = 0; i < g->iters; i++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->B, g->H, g->H, 1.0f, g->a, g->H,
                    g->w, g->H, 0.0f, g->c, g->H);
    double sec = (g_get_monotonic_time() - t0) / 1e6;
    return 2.0 * g->B * g->H * g->H * g->iters / sec / 1e9;
}

static void sgemm_clear(Sgemm *g)
{
    g_free(g->a);
    g_free(g->w);
    g_free(g->c);
}

static gboolean bench_one(const BenchPreset *p, int reps, int updates, GError **error)
{
    char hidden[32], depth[32], batch[32], alr[32], clr[32];
    g_snprintf(hidden, sizeof hidden, "hidden_dim=%d", p->hidden);
    g_snprintf(depth, sizeof depth, "hidden_depth=%d", p->depth);
    g_snprintf(batch, sizeof batch, "batch_size=%d", p->batch);
    g_snprintf(alr, sizeof alr, "actor_lr=%s", p->lr);
    g_snprintf(clr, sizeof clr, "critic_lr=%s", p->lr);
    const char *ov[] = {hidden, depth, batch, alr, clr, NULL};
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = p->obs_dim, .act_dim = p->act_dim};
    PrefrlInstance *inst = prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_AGENT, "sac",
                                               ov, 1, &env, error);
    if (!inst)
        return FALSE;
    const PrefrlAgentOps *ops = inst->component->ops;

    /* one fixed batch of plausible transitions */
    const int B = p->batch, D = p->obs_dim, A = p->act_dim;
    PrefrlRng rng;
    prefrl_rng_init(&rng, 7, "bench");
    float *obs = g_new(float, (size_t)B * D), *next = g_new(float, (size_t)B * D);
    float *act = g_new(float, (size_t)B * A), *rew = g_new(float, B), *nd = g_new(float, B);
    prefrl_rng_normal_fill(&rng, obs, (size_t)B * D);
    prefrl_rng_normal_fill(&rng, next, (size_t)B * D);
    for (int i = 0; i < B * A; i++)
        act[i] = (float)prefrl_rng_range(&rng, -1, 1);
    for (int i = 0; i < B; i++) {
        rew[i] = (float)prefrl_rng_uniform(&rng);
        nd[i] = 1.0f;
    }
    PrefrlBatch b = {.size = B, .obs_dim = D, .act_dim = A, .obs = obs, .action = act,
                     .reward = rew, .next_obs = next, .not_done = nd, .not_done_no_max = nd};

    gboolean ok = TRUE;
    int64_t step = 1;
    for (int i = 0; ok && i < 3; i++) /* warm-up: pages, caches, BLAS threads */
        ok = ops->update(inst->self, &b, step++, NULL, error);
    const double flops = update_flops(p);
    Sgemm gemm;
    sgemm_init(&gemm, B, p->hidden, 0.5);
    double *ups = g_new(double, reps), *peak = g_new(double, reps), *frac = g_new(double, reps);
    for (int r = 0; ok && r < reps; r++) {
        peak[r] = sgemm_rate(&gemm);
        gint64 t0 = g_get_monotonic_time();
        for (int i = 0; ok && i < updates; i++)
            ok = ops->update(inst->self, &b, step++, NULL, error);
        ups[r] = updates / ((g_get_monotonic_time() - t0) / 1e6);
        frac[r] = ups[r] * flops / 1e9 / peak[r];
    }
    if (ok) {
        double min = ups[0], max = ups[0];
        for (int r = 1; r < reps; r++) {
            min = MIN(min, ups[r]);
            max = MAX(max, ups[r]);
        }
        double med = median(ups, reps);
        printf("%-10s obs %2d act %2d  %4d x %d  batch %4d  %8.2f upd/s (min %.2f, max %.2f)  "
               "%8.1f ms/upd  %6.2f GFLOP/upd  %5.1f GFLOP/s  sgemm %5.1f GFLOP/s  "
               "ratio %3.0f%%\n",
               p->name, D, A, p->hidden, p->depth, B, med, min, max, 1e3 / med, flops / 1e9,
               med * flops / 1e9, median(peak, reps), 100 * median(frac, reps));
        fflush(stdout);
    }
    sgemm_clear(&gemm);
    g_free(peak);
    g_free(frac);
    g_free(ups);
    g_free(obs);
    g_free(next);
    g_free(act);
    g_free(rew);
    g_free(nd);
    prefrl_instance_free(inst);
    return ok;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: prefrl bench sac [--preset dmc|metaworld] [--reps N] [--updates N] "
            "[--threads N]\n"
            "  SAC updates per second at B-Pref's DMC (obs 24, act 6, 1024x2, batch 1024) and\n"
            "  Meta-world (obs 39, act 4, 256x3, batch 512) sizes; median of N repetitions\n"
            "  (default 5) of --updates updates each (default: about 2 s per repetition).\n");
}

int prefrl_cmd_bench_sac(int argc, char **argv)
{
    int reps = 5, updates = 0, threads = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--reps") && val) {
            reps = atoi(val), i++;
        } else if (!strcmp(arg, "--updates") && val) {
            updates = atoi(val), i++;
        } else if (!strcmp(arg, "--threads") && val) {
            threads = atoi(val), i++;
        } else if (!strcmp(arg, "--preset") && val) {
            only = val, i++;
        } else {
            usage();
            return 2;
        }
    }
    if (reps < 1 || updates < 0 || threads < 0 ||
        (only && strcmp(only, "dmc") != 0 && strcmp(only, "metaworld") != 0)) {
        usage();
        return 2;
    }
    if (threads > 0)
        prefrl_nn_set_threads(threads);
    printf("prefrl bench sac: %d OpenBLAS thread(s), medians of %d repetitions.  FLOPs count "
           "the matrix products;\nsgemm = a bare (batch, hidden) x (hidden, hidden) product timed "
           "before each repetition; ratio = update GFLOP/s / sgemm GFLOP/s\n",
           prefrl_nn_get_threads(), reps);
    for (guint k = 0; k < G_N_ELEMENTS(presets); k++) {
        const BenchPreset *p = &presets[k];
        if (only && strcmp(only, p->name) != 0)
            continue;
        int n = updates;
        if (n == 0) /* about 2 s per repetition at ~30 GFLOP/s */
            n = (int)MAX(3, 6e10 / update_flops(p));
        GError *err = NULL;
        if (!bench_one(p, reps, n, &err)) {
            int rc = prefrl_cli_fail(err);
            g_error_free(err);
            return rc;
        }
    }
    return 0;
}
