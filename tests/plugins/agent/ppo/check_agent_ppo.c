/* Tests of agent/ppo (plugins/agent/ppo/ppo.c) and the on-policy trainer
 * loop (core/pbrl/trainer_onpolicy.c).
 *
 * The agent is created through the registry; the plugin's private header
 * ppo.h gives the layout of its state and its internal steps, which this
 * program calls from its own copy of ppo.c.  The PPO loss gradient is
 * checked against central finite differences of an independent
 * double-precision evaluation of the loss (clipped surrogate with the gSDE
 * log-probability, value loss, entropy); GAE against a hand-computed
 * example; gSDE noise for its resampling schedule.  End to end on
 * fixture_reach: PPO with the true reward and PrefPPO with oracle labels
 * beat the random policy, the true reward never reaches the agent, an
 * interrupted run writes a checkpoint, an interrupted PrefPPO run resumes
 * into the uninterrupted run's outputs, and save → load reproduces actions. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>
#include <glib/gstdio.h>

#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/trainer.h"
#include "pbrl/trainer_private.h"
#include "ckpt_test.h"
#include "pbrl_test.h"

#include "ppo.h"
#include "check_run.h"

/* ------------------------------------------------------------------------ */
/* helpers */

static PrefrlInstance *new_agent(int D, int A, uint64_t seed, const char *const *extra)
{
    static const char *const base[] = {"hidden_dim=8", "hidden_depth=2", "batch_size=6",
                                       "n_envs=2", "n_steps=5", NULL};
    return pbrl_test_agent("ppo", D, A, seed, base, extra);
}

static Ppo *ppo_of(PrefrlInstance *inst)
{
    return inst->self;
}

static const PrefrlAgentOps *ops_of(PrefrlInstance *inst)
{
    return inst->component->ops;
}

/* one full rollout of random observations and rewards, then the update */
static void run_rollout(PrefrlInstance *inst, PrefrlRng *data, float *actions_out)
{
    Ppo *p = ppo_of(inst);
    const PrefrlAgentOps *ops = ops_of(inst);
    const int n = p->n_envs, D = p->D, A = p->A;
    float *obs = g_new(float, (size_t)n * D), *act = g_new(float, (size_t)n * A);
    float *rew = g_new(float, n), *done = g_new(float, n);
    for (int t = 0; t < p->n_steps; t++) {
        for (int i = 0; i < n * D; i++)
            obs[i] = (float)prefrl_rng_range(data, -2, 2);
        ops->rollout_act(p, t, obs, act);
        if (actions_out)
            memcpy(actions_out + (size_t)t * n * A, act, sizeof(float) * n * A);
        for (int i = 0; i < n; i++) {
            rew[i] = (float)prefrl_rng_normal(data);
            done[i] = prefrl_rng_uniform(data) < 0.2;
        }
        ops->rollout_reward(p, t, rew, done);
    }
    for (int i = 0; i < n * D; i++)
        obs[i] = (float)prefrl_rng_range(data, -2, 2);
    GError *err = NULL;
    ck_assert_msg(ops->rollout_update(p, obs, 1, 0.25, FALSE, NULL, &err), "%s",
                  err ? err->message : "");
    g_free(obs);
    g_free(act);
    g_free(rew);
    g_free(done);
}

/* ------------------------------------------------------------------------ */
/* double-precision reference of the PPO loss */

static void ref_mlp(const PrefrlMlp *m, const double *prm, const double *x, double *y)
{
    int n = prefrl_mlp_n_layers(m);
    double a[64], b[64];
    memcpy(a, x, sizeof(double) * prefrl_mlp_in_dim(m));
    size_t off = 0;
    for (int l = 0; l < n; l++) {
        int in = prefrl_mlp_dim(m, l), out = prefrl_mlp_dim(m, l + 1);
        const double *W = prm + off, *bias = prm + off + (size_t)in * out;
        PrefrlActivation act = l == n - 1 ? prefrl_mlp_output_act(m) : prefrl_mlp_hidden_act(m);
        for (int o = 0; o < out; o++) {
            double z = bias[o];
            for (int i = 0; i < in; i++)
                z += W[(size_t)o * in + i] * a[i];
            b[o] = act == PREFRL_ACT_TANH ? tanh(z) : z;
        }
        off += (size_t)in * out + out;
        memcpy(a, b, sizeof(double) * out);
    }
    memcpy(y, a, sizeof(double) * prefrl_mlp_out_dim(m));
}

typedef struct RefParams {
    double *pi, *mu, *vf, *ls;
    double *pi_fixed;  /* the trunk the variance sees: gSDE detaches the latent there */
    size_t n[4];
} RefParams;

static double *to_double(const float *x, size_t n)
{
    double *d = g_new(double, n);
    for (size_t i = 0; i < n; i++)
        d[i] = x[i];
    return d;
}

static void ref_params_init(RefParams *r, Ppo *p)
{
    r->n[0] = prefrl_mlp_n_params(p->nets.pi);
    r->n[1] = prefrl_mlp_n_params(p->nets.mu);
    r->n[2] = prefrl_mlp_n_params(p->nets.vf);
    r->n[3] = (size_t)p->H * p->S;
    r->pi = to_double(prefrl_mlp_params(p->nets.pi), r->n[0]);
    r->pi_fixed = to_double(prefrl_mlp_params(p->nets.pi), r->n[0]);
    r->mu = to_double(prefrl_mlp_params(p->nets.mu), r->n[1]);
    r->vf = to_double(prefrl_mlp_params(p->nets.vf), r->n[2]);
    r->ls = to_double(p->nets.log_std, r->n[3]);
}

static void ref_params_clear(RefParams *r)
{
    g_free(r->pi);
    g_free(r->pi_fixed);
    g_free(r->mu);
    g_free(r->vf);
    g_free(r->ls);
}

/* log π(a|s) of row b under the reference parameters */
static double ref_log_prob(Ppo *p, const RefParams *r, const float *obs, const float *act,
                           double *entropy)
{
    double x[64], h[64], hv[64], mu[64];
    for (int i = 0; i < p->D; i++)
        x[i] = obs[i];
    ref_mlp(p->nets.pi, r->pi, x, h);
    ref_mlp(p->nets.pi, r->pi_fixed, x, hv);
    ref_mlp(p->nets.mu, r->mu, h, mu);
    double lp = 0, ent = 0;
    for (int j = 0; j < p->A; j++) {
        double var = 1e-6;
        for (int k = 0; k < p->H; k++) {
            double sig = exp(r->ls[(size_t)k * p->S + (p->S == 1 ? 0 : j)]);
            var += hv[k] * hv[k] * sig * sig;
        }
        double d = act[j] - mu[j];
        lp += -d * d / (2 * var) - 0.5 * log(2 * M_PI * var);
        ent += 0.5 + 0.5 * log(2 * M_PI * var);
    }
    if (entropy)
        *entropy = ent;
    return lp;
}

static double ref_loss(Ppo *p, const RefParams *r, const float *obs, const float *act,
                       const float *old_logp, const float *adv, const float *ret, int n,
                       double clip)
{
    double am = 0, sd = 0;
    for (int b = 0; b < n; b++)
        am += adv[b];
    am /= n;
    for (int b = 0; b < n; b++)
        sd += (adv[b] - am) * (adv[b] - am);
    sd = sqrt(sd / (n - 1));
    double pg = 0, vl = 0, ent = 0;
    for (int b = 0; b < n; b++) {
        double e;
        double lp = ref_log_prob(p, r, obs + (size_t)b * p->D, act + (size_t)b * p->A, &e);
        double ratio = exp(lp - old_logp[b]), ah = (adv[b] - am) / (sd + 1e-8);
        double rc = fmin(1 + clip, fmax(1 - clip, ratio));
        pg += -fmin(ah * ratio, ah * rc);
        ent += e;
        double x[64], v;
        for (int i = 0; i < p->D; i++)
            x[i] = obs[(size_t)b * p->D + i];
        ref_mlp(p->nets.vf, r->vf, x, &v);
        vl += (ret[b] - v) * (ret[b] - v);
    }
    return pg / n + p->ent_coef * (-ent / n) + p->vf_coef * vl / n;
}

/* ------------------------------------------------------------------------ */
/* unit tests of the agent */

START_TEST(test_loss_gradient)
{
    /* both gSDE sigma layouts; an entropy bonus so its gradient is checked too */
    for (int full = 0; full < 2; full++) {
        const char *extra[] = {full ? "full_std=true" : "full_std=false", "ent_coef=0.05",
                               "log_std_init=-0.5", NULL};
        PrefrlInstance *inst = new_agent(3, 2, 11 + full, extra);
        Ppo *p = ppo_of(inst);
        PrefrlRng data;
        prefrl_rng_init(&data, 5, "data");
        /* random, non-zero biases so no gradient is trivially zero */
        for (int k = 0; k < 3; k++) {
            PrefrlMlp *m = k == 0 ? p->nets.pi : k == 1 ? p->nets.mu : p->nets.vf;
            for (int l = 0; l < prefrl_mlp_n_layers(m); l++) {
                float *b = prefrl_mlp_bias(m, l);
                for (int i = 0; i < prefrl_mlp_dim(m, l + 1); i++)
                    b[i] = (float)prefrl_rng_range(&data, -0.3, 0.3);
            }
        }
        float *mw = prefrl_mlp_weight(p->nets.mu, 0);
        for (int i = 0; i < p->A * p->H; i++)
            mw[i] = (float)prefrl_rng_range(&data, -0.5, 0.5);
        for (int i = 0; i < p->H * p->S; i++)
            p->nets.log_std[i] = (float)prefrl_rng_range(&data, -1.0, 0.0);

        enum { N = 6 };
        float obs[N * 3], act[N * 2], old[N], adv[N], ret[N];
        for (int i = 0; i < N * 3; i++)
            obs[i] = (float)prefrl_rng_range(&data, -1.5, 1.5);
        for (int i = 0; i < N * 2; i++)
            act[i] = (float)prefrl_rng_range(&data, -1, 1);
        for (int b = 0; b < N; b++) {
            adv[b] = (float)prefrl_rng_normal(&data);
            ret[b] = (float)prefrl_rng_normal(&data);
        }
        /* ratios 0.61, 0.74 (below 1 - 0.2), 0.90, 1.05, 1.11 (inside),
         * 1.49 (above 1 + 0.2): both clipped and unclipped terms, away from
         * the kinks */
        const double shift[N] = {-0.5, -0.3, -0.1, 0.05, 0.1, 0.4};
        RefParams r;
        ref_params_init(&r, p);
        for (int b = 0; b < N; b++)
            old[b] = (float)(ref_log_prob(p, &r, obs + b * 3, act + b * 2, NULL) - shift[b]);

        const float clip = 0.2f;
        PpoTerms terms;
        double loss = ppo_loss_grad(p, obs, act, old, adv, ret, N, clip, &terms);
        double ref = ref_loss(p, &r, obs, act, old, adv, ret, N, clip);
        ck_assert_msg(fabs(loss - ref) < 1e-4 * fmax(1, fabs(ref)), "loss %g, reference %g",
                      loss, ref);
        ck_assert_msg(fabs(terms.clip_fraction - 3.0 / N) < 1e-9, "clip fraction %g",
                      terms.clip_fraction);

        /* every parameter of every block against central differences */
        double *blocks[4] = {r.pi, r.mu, r.vf, r.ls};
        const float *grads[4] = {prefrl_mlp_grads(p->nets.pi), prefrl_mlp_grads(p->nets.mu),
                                 prefrl_mlp_grads(p->nets.vf), p->nets.log_std_grad};
        const char *names[4] = {"pi", "mu", "vf", "log_std"};
        double max_err = 0;
        int nonzero = 0;
        for (int k = 0; k < 4; k++) {
            for (size_t i = 0; i < r.n[k]; i++) {
                const double h = 1e-6, keep = blocks[k][i];
                blocks[k][i] = keep + h;
                double up = ref_loss(p, &r, obs, act, old, adv, ret, N, clip);
                blocks[k][i] = keep - h;
                double down = ref_loss(p, &r, obs, act, old, adv, ret, N, clip);
                blocks[k][i] = keep;
                double fd = (up - down) / (2 * h), g = grads[k][i];
                double err = fabs(g - fd) / fmax(1e-2, fabs(fd));
                max_err = fmax(max_err, err);
                nonzero += fabs(fd) > 1e-4;
                ck_assert_msg(fabs(g - fd) < 1e-4 + 2e-3 * fabs(fd),
                              "full_std %d, %s[%zu]: analytic %.7g, finite difference %.7g", full,
                              names[k], i, g, fd);
            }
        }
        ck_assert_int_gt(nonzero, 50);
        ref_params_clear(&r);
        prefrl_instance_free(inst);
    }
}
END_TEST

START_TEST(test_gae)
{
    /* two envs, three steps; env 0's episode ends at step 1, env 1's at step 2
     * (rows t*2 + i).  γ 0.9, λ 0.8:
     *   env 0: t=2 δ = 3 + 0.9·2 − 1.5 = 3.3, A = 3.3
     *          t=1 (ends) δ = 2 − 1 = 1, A = 1
     *          t=0 δ = 1 + 0.9·1 − 0.5 = 1.4, A = 1.4 + 0.72·1 = 2.12
     *   env 1: t=2 (ends) A = 1; t=1 A = 0 + 0.72·1 = 0.72; t=0 A = 0.72² = 0.5184 */
    const float rew[6] = {1, 0, 2, 0, 3, 1};
    const float val[6] = {0.5f, 0, 1.0f, 0, 1.5f, 0};
    const float done[6] = {0, 0, 1, 0, 0, 1};
    const float last[2] = {2.0f, 5.0f};
    float adv[6], ret[6];
    ppo_gae(rew, val, done, last, 3, 2, 0.9f, 0.8f, adv, ret);
    const double want_adv[6] = {2.12, 0.5184, 1.0, 0.72, 3.3, 1.0};
    for (int i = 0; i < 6; i++) {
        ck_assert_msg(fabs(adv[i] - want_adv[i]) < 1e-5, "adv[%d] %g, want %g", i, adv[i],
                      want_adv[i]);
        ck_assert_msg(fabs(ret[i] - (want_adv[i] + val[i])) < 1e-5, "ret[%d] %g", i, ret[i]);
    }
}
END_TEST

START_TEST(test_sde_noise)
{
    /* raw observations (no normaliser) so a repeated observation gives the
     * same mean; the action then only moves with the exploration matrix */
    const char *extra[] = {"normalize_obs=false", "sde_freq=4", "n_steps=10", NULL};
    PrefrlInstance *inst = new_agent(3, 2, 3, extra);
    Ppo *p = ppo_of(inst);
    const PrefrlAgentOps *ops = ops_of(inst);
    float obs[6] = {0.3f, -0.2f, 0.5f, 0.3f, -0.2f, 0.5f}; /* both envs see the same */
    float act[10][4], zero[2] = {0, 0};
    for (int t = 0; t < 10; t++) {
        ops->rollout_act(p, t, obs, act[t]);
        ops->rollout_reward(p, t, zero, zero);
    }
    /* unclipped actions recorded as sampled, and a − μ = h·E_i */
    for (int t = 0; t < 10; t++) {
        gboolean same = memcmp(p->r_act + t * 4, p->r_act + (t - t % 4) * 4, sizeof(float) * 4) == 0;
        ck_assert_msg(same, "the noise changed within the sde_freq window at step %d", t);
        if (t % 4 == 0 && t > 0)
            ck_assert_msg(memcmp(p->r_act + t * 4, p->r_act + (t - 1) * 4, sizeof(float) * 4) != 0,
                          "no new exploration matrix at step %d", t);
    }
    /* one matrix per environment */
    ck_assert(memcmp(p->r_act, p->r_act + 2, sizeof(float) * 2) != 0);
    /* the recorded log-probability is the density of the recorded action */
    RefParams r;
    ref_params_init(&r, p);
    for (int t = 0; t < 10; t++)
        for (int i = 0; i < 2; i++) {
            double lp = ref_log_prob(p, &r, obs, p->r_act + (t * 2 + i) * 2, NULL);
            ck_assert_msg(fabs(lp - p->r_logp[t * 2 + i]) < 1e-4, "log prob %g vs %g", lp,
                          p->r_logp[t * 2 + i]);
        }
    ref_params_clear(&r);
    /* E_i ~ N(0, σ²): the sample std over many draws is σ = exp(log_std_init) = 1 */
    double s2 = 0;
    int cnt = 0;
    for (int k = 0; k < 400; k++) {
        ppo_resample_noise(p);
        for (int q = 0; q < 2 * p->H * p->A; q++, cnt++)
            s2 += (double)p->noise[q] * p->noise[q];
    }
    ck_assert_msg(fabs(sqrt(s2 / cnt) - 1.0) < 0.03, "noise std %g", sqrt(s2 / cnt));
    prefrl_instance_free(inst);

    /* sde_freq <= 0: one matrix for the whole rollout, a new one next rollout */
    const char *once[] = {"normalize_obs=false", "sde_freq=-1", "n_steps=10", NULL};
    inst = new_agent(3, 2, 3, once);
    p = ppo_of(inst);
    for (int t = 0; t < 10; t++) {
        ops->rollout_act(p, t, obs, act[t]);
        ops->rollout_reward(p, t, zero, zero);
        ck_assert(memcmp(p->r_act + t * 4, p->r_act, sizeof(float) * 4) == 0);
    }
    float first[4];
    memcpy(first, p->r_act, sizeof first);
    GError *err = NULL;
    ck_assert(ops->rollout_update(p, obs, 10, 0.5, FALSE, NULL, &err));
    ops->rollout_act(p, 0, obs, act[0]);
    ck_assert(memcmp(p->r_act, first, sizeof first) != 0);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_normaliser)
{
    /* VecNormalize's running statistics: every batch counted once, the
     * observation after a rollout included and not counted again when it
     * starts the next rollout; act() leaves them alone */
    PrefrlInstance *inst = new_agent(3, 2, 4, NULL);
    Ppo *p = ppo_of(inst);
    PrefrlRng data;
    prefrl_rng_init(&data, 2, "data");
    run_rollout(inst, &data, NULL);
    ck_assert(fabs(p->obs_count - (1e-4 + 2 * 6)) < 1e-9); /* 5 steps + the last, 2 envs */
    double mean0 = p->obs_mean[0];
    float act[4], zero[2] = {0, 0};
    ops_of(inst)->act(p, p->last_raw, TRUE, act);
    float keep[6];
    memcpy(keep, p->last_raw, sizeof keep);
    ops_of(inst)->rollout_act(p, 0, keep, act);
    ops_of(inst)->rollout_reward(p, 0, zero, zero);
    ck_assert(fabs(p->obs_count - (1e-4 + 12)) < 1e-9);
    ck_assert(p->obs_mean[0] == mean0);
    /* the statistics are those of all 12 observations: mean within the data range */
    ck_assert(fabs(mean0) < 2.0 && p->obs_var[0] > 0.5 && p->obs_var[0] < 2.5);
    prefrl_instance_free(inst);
}
END_TEST

START_TEST(test_save_load)
{
    PrefrlInstance *a = new_agent(3, 2, 20, NULL), *b = new_agent(3, 2, 21, NULL);
    const PrefrlComponent *c = a->component;
    PrefrlRng data;
    prefrl_rng_init(&data, 9, "data");
    run_rollout(a, &data, NULL);
    run_rollout(a, &data, NULL);
    char *dir = ckpt_test_tmpdir();
    char *path = g_build_filename(dir, "agent.bin", NULL);
    char *bad = g_build_filename(dir, "bad.bin", NULL);
    GError *err = NULL;
    ck_assert_msg(ckpt_test_save(c, a->self, path, &err), "save: %s", err ? err->message : "?");
    ck_assert_msg(ckpt_test_load(c, b->self, path, &err), "load: %s", err ? err->message : "?");

    /* identical actions, deterministic and sampled */
    float obs[3] = {0.1f, -0.7f, 1.3f}, xa[2], xb[2];
    for (int det = 0; det < 2; det++) {
        ops_of(a)->act(a->self, obs, det, xa);
        ops_of(b)->act(b->self, obs, det, xb);
        ck_assert_int_eq(memcmp(xa, xb, sizeof xa), 0);
    }
    /* and identical next rollouts and updates (streams, normaliser, Adam restored) */
    PrefrlRng d2 = data;
    float ra[5 * 2 * 2], rb[5 * 2 * 2];
    run_rollout(a, &data, ra);
    run_rollout(b, &d2, rb);
    ck_assert_int_eq(memcmp(ra, rb, sizeof ra), 0);
    run_rollout(a, &data, ra);
    run_rollout(b, &d2, rb);
    ck_assert_int_eq(memcmp(ra, rb, sizeof ra), 0);
    Ppo *pa = ppo_of(a), *pb = ppo_of(b);
    ck_assert_int_eq(memcmp(prefrl_mlp_params(pa->nets.vf), prefrl_mlp_params(pb->nets.vf),
                            sizeof(float) * prefrl_mlp_n_params(pa->nets.vf)), 0);

    /* truncated or damaged checkpoints, or another agent's, are refused
     * naming the file, and leave the agent as it was */
    gsize size;
    char *bytes = ckpt_test_read(path, &size);
    size_t n_vf = prefrl_mlp_n_params(pb->nets.vf);
    float *vf = g_memdup2(prefrl_mlp_params(pb->nets.vf), sizeof(float) * n_vf);
    PrefrlRng rng_b = pb->rng;
    for (int damage = 0; damage < 3; damage++) {
        if (damage == 0) {
            ckpt_test_write(bad, bytes, size - 20);
        } else if (damage == 1) {
            bytes[size - 30] ^= 0x10;
            ckpt_test_write(bad, bytes, size);
            bytes[size - 30] ^= 0x10;
        } else {
            PrefrlCkpt *k = prefrl_ckpt_open_write(bad, NULL);
            prefrl_ckpt_put_tag(k, "agent/sac", 2);
            ck_assert(prefrl_ckpt_close(k, NULL));
        }
        ck_assert(!ckpt_test_load(c, b->self, bad, &err));
        ckpt_test_refused(&err, bad, damage == 2 ? "holds agent/sac" : NULL);
        ck_assert_int_eq(memcmp(vf, prefrl_mlp_params(pb->nets.vf), sizeof(float) * n_vf), 0);
        ck_assert_int_eq(memcmp(&rng_b, &pb->rng, sizeof rng_b), 0);
    }
    /* another shape is refused with both shapes named */
    const char *wide[] = {"hidden_dim=24", NULL};
    PrefrlInstance *w = new_agent(3, 2, 23, wide);
    ck_assert(!ckpt_test_load(c, w->self, path, &err));
    ck_assert_msg(err && strstr(err->message, "hidden 24 x"), "%s", err ? err->message : "");
    ckpt_test_refused(&err, path, "agent/ppo: checkpoint is for obs 3");
    prefrl_instance_free(w);
    g_free(vf);
    g_free(bad);
    g_free(path);
    ckpt_test_rmdir(dir);
    g_free(bytes);
    prefrl_instance_free(a);
    prefrl_instance_free(b);
}
END_TEST

START_TEST(test_reset_critic)
{
    /* only the value head changes */
    PrefrlInstance *inst = new_agent(3, 2, 6, NULL);
    Ppo *p = ppo_of(inst);
    size_t nv = prefrl_mlp_n_params(p->nets.vf), head = prefrl_mlp_weight_offset(p->nets.vf, 2);
    float *before = g_memdup2(prefrl_mlp_params(p->nets.vf), sizeof(float) * nv);
    float *pi = g_memdup2(prefrl_mlp_params(p->nets.pi), sizeof(float) * prefrl_mlp_n_params(p->nets.pi));
    ops_of(inst)->reset_critic(p);
    const float *after = prefrl_mlp_params(p->nets.vf);
    ck_assert_int_eq(memcmp(before, after, sizeof(float) * head), 0);
    ck_assert(memcmp(before + head, after + head, sizeof(float) * p->H) != 0);
    ck_assert_int_eq(memcmp(pi, prefrl_mlp_params(p->nets.pi),
                            sizeof(float) * prefrl_mlp_n_params(p->nets.pi)), 0);
    /* orthogonal with gain 1: a 1 x H row of unit norm */
    double norm = prefrl_slab_l2_norm(after + head, p->H);
    ck_assert_msg(fabs(norm - 1.0) < 1e-5, "value head norm %g", norm);
    g_free(before);
    g_free(pi);
    prefrl_instance_free(inst);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* the on-policy trainer on fixture_reach (50-step episodes) */

static const char *const PPO_AGENT[] = {"agent.name=ppo", "agent.hidden_dim=64",
                                        "agent.hidden_depth=2", "agent.lr=0.001",
                                        "agent.n_envs=4", "agent.n_steps=100",
                                        "agent.batch_size=100", "agent.n_epochs=10",
                                        "agent.unsup_n_epochs=10", "agent.gae_lambda=0.95",
                                        "agent.clip_init=0.2", "agent.log_std_init=-0.5",
                                        NULL};

/* the shared small problem with the PPO agent, `reward` and `extra` overrides */
static PrefrlNode *ppo_recipe(const char *const *reward, const char *const *extra)
{
    PrefrlNode *root = pbrl_test_recipe(reward, extra);
    prefrl_node_remove(root, "agent");
    GError *err = NULL;
    for (const char *const *o = PPO_AGENT; *o; o++)
        ck_assert_msg(prefrl_recipe_override(root, *o, &err), "%s", err ? err->message : "");
    pbrl_test_resolve(root);
    return root;
}

static const char *const TRUE_REWARD[] = {"reward.name=true", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=32",
                                     "reward.reward_update=50", NULL};
static const char *const LEARN[] = {"trainer.num_train_steps=24000",
                                    "trainer.eval_frequency=24000",
                                    "trainer.num_seed_steps=0", "trainer.num_unsup_steps=800",
                                    "trainer.num_interact=400", NULL};

/* train to the end (or an error); returns the last evaluation */
static double train(PrefrlNode *root, const char *dir, PrefrlTrainer **keep, GError **error)
{
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, error);
    ck_assert_msg(t != NULL, "%s", *error ? (*error)->message : "");
    gboolean ok = prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, error);
    double last = ok ? prefrl_trainer_last_eval(t) : NAN;
    if (keep)
        *keep = t;
    else
        prefrl_trainer_free(t);
    prefrl_node_free(root);
    return last;
}

/* the mean of a train.csv column over its rows; its last value into *last */
static double column_mean(const char *csv, const char *name, int *rows, double *last)
{
    gchar **lines = g_strsplit(csv, "\n", -1);
    gchar **head = g_strsplit(lines[0], ",", -1);
    int col = -1;
    for (int i = 0; head[i]; i++)
        if (!strcmp(head[i], name))
            col = i;
    ck_assert_msg(col >= 0, "no column %s in %s", name, lines[0]);
    double sum = 0;
    int n = 0;
    for (int l = 1; lines[l] && lines[l][0]; l++, n++) {
        gchar **f = g_strsplit(lines[l], ",", -1);
        double v = g_ascii_strtod(f[col], NULL);
        sum += v;
        if (last)
            *last = v;
        g_strfreev(f);
    }
    g_strfreev(head);
    g_strfreev(lines);
    *rows = n;
    return n ? sum / n : NAN;
}

START_TEST(test_learning_ppo_true_reward)
{
    double rnd = pbrl_test_random_return(3);
    GError *err = NULL;
    double learned = train(ppo_recipe(TRUE_REWARD, LEARN), NULL, NULL, &err);
    ck_assert_msg(err == NULL, "%s", err ? err->message : "");
    fprintf(stderr, "PPO true reward: random %.2f, learned %.2f\n", rnd, learned);
    ck_assert_msg(learned > rnd + 10.0, "random %.2f, learned %.2f", rnd, learned);
}
END_TEST

START_TEST(test_learning_prefppo)
{
    double rnd = pbrl_test_random_return(3);
    char *dir = pbrl_test_run_dir("prefppo");
    PrefrlTrainer *t = NULL;
    GError *err = NULL;
    double learned = train(ppo_recipe(PEBBLE, LEARN), dir, &t, &err);
    ck_assert_msg(err == NULL, "%s", err ? err->message : "");
    fprintf(stderr, "PrefPPO 100 labels: random %.2f, learned %.2f\n", rnd, learned);
    ck_assert_int_eq(prefrl_trainer_labeled_feedback(t), 100);
    prefrl_trainer_free(t);
    ck_assert_msg(learned > rnd + 10.0, "random %.2f, learned %.2f", rnd, learned);

    /* outputs: one train row per rollout of 400 steps with SB3's PPO keys
     * and B-Pref's episode columns; the first query at the end of
     * pre-training (800), later ones at episode ends 400 steps apart */
    char *train_csv = test_slurp(dir, "train.csv");
    ck_assert_msg(g_str_has_prefix(train_csv,
                                   "approx_kl,batch_reward,clip_fraction,clip_range,"
                                   "critic_entropy,critic_entropy_max,critic_entropy_min,"
                                   "critic_norm_entropy,critic_norm_entropy_max,"
                                   "critic_norm_entropy_min,duration,entropy_loss,episode,"
                                   "episode_reward,explained_variance,labeled_feedback,loss,"
                                   "policy_gradient_loss,std,step,total_feedback,"
                                   "true_episode_reward,value_loss\n"),
                  "%.500s", train_csv);
    int rows;
    column_mean(train_csv, "loss", &rows, NULL);
    ck_assert_int_eq(rows, 24000 / 400);
    char *labels = test_slurp(dir, "labels.csv");
    gchar **lines = g_strsplit(labels, "\n", -1);
    ck_assert(g_str_has_prefix(lines[1], "1,800,0,"));
    ck_assert(g_str_has_prefix(lines[11], "2,1200,0,"));
    ck_assert(g_str_has_prefix(lines[21], "3,1600,0,"));
    g_strfreev(lines);
    char *eval_csv = test_slurp(dir, "eval.csv");
    ck_assert(g_str_has_prefix(eval_csv, "episode,episode_reward,step,true_episode_reward\n"));
    g_free(eval_csv);
    g_free(labels);
    g_free(train_csv);
    g_free(dir);
}
END_TEST

START_TEST(test_true_reward_hidden)
{
    /* the env's reward is shifted by 1000: with a learned reward the agent's
     * mean reward (batch_reward, logged by the agent from what it was given)
     * stays small; with reward/true it is the shifted task reward */
    const char *const offset[] = {"env.reward_offset=1000", "trainer.num_train_steps=3200",
                                  "trainer.eval_frequency=3200", "trainer.num_unsup_steps=800",
                                  "trainer.num_seed_steps=0", "trainer.num_interact=800",
                                  "trainer.max_feedback=40", NULL};
    const char *names[2] = {"hidden-pebble", "hidden-true"};
    for (int pass = 0; pass < 2; pass++) {
        char *dir = pbrl_test_run_dir(names[pass]);
        PrefrlTrainer *t = NULL;
        GError *err = NULL;
        train(ppo_recipe(pass ? TRUE_REWARD : PEBBLE, offset), dir, &t, &err);
        ck_assert_msg(err == NULL, "%s", err ? err->message : "");
        if (pass == 0)
            ck_assert_int_eq(prefrl_trainer_labeled_feedback(t), 40);
        prefrl_trainer_free(t);
        char *csv = test_slurp(dir, "train.csv");
        int rows;
        double last, mean = column_mean(csv, "batch_reward", &rows, &last);
        ck_assert_int_eq(rows, 8);
        if (pass == 0)
            ck_assert_msg(fabs(mean) < 10 && fabs(last) < 10,
                          "the agent saw rewards of mean %g (last rollout %g)", mean, last);
        else
            ck_assert_msg(last > 1000, "reward/true gave the agent %g", last);
        g_free(csv);
        g_free(dir);
    }
}
END_TEST

START_TEST(test_interrupt)
{
    char *dir = pbrl_test_run_dir("ppo-interrupt");
    char *ckpt = g_build_filename(dir, "checkpoint", "agent.bin", NULL);
    const char *const longer[] = {"trainer.num_train_steps=100000000", "trainer.eval_frequency=400",
                                  "trainer.num_unsup_steps=400", NULL};
    pbrl_test_interrupt(ppo_recipe(PEBBLE, longer), dir, "train.csv");
    ck_assert(g_file_test(ckpt, G_FILE_TEST_IS_REGULAR));

    /* the agent's checkpoint loads into a fresh agent of the recipe */
    GError *err = NULL;
    PrefrlNode *root = ppo_recipe(PEBBLE, longer);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err);
    ck_assert(t != NULL);
    PrefrlInstance *agent = t->agent;
    ck_assert_msg(ckpt_test_load(agent->component, agent->self, ckpt, &err), "%s",
                  err ? err->message : "");
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(ckpt);
    g_free(dir);
}
END_TEST

static void on_sigint(int sig)
{
    (void)sig;
    pbrl_test_stop = 1;
}

/* PrefPPO run uninterrupted, and again interrupted by the fixture's Ctrl-C
 * at rollout environment step `interrupt_at` (global step 4 x that: 4
 * environments) then resumed: the stop waits for the end of the rollout
 * (`stopped_at`), and the resumed run writes the same outputs.  Episodes
 * of 60 steps against rollouts of 100 leave episodes in progress at every
 * rollout boundary; periodic checkpoints every 1000 steps. */
static void check_resume_matches(const char *name, int interrupt_at, int64_t stopped_at)
{
    char *na = g_strdup_printf("ppo-resume-%s-a", name), *nb = g_strdup_printf("ppo-resume-%s-b", name);
    char *a = pbrl_test_run_dir(na), *b = pbrl_test_run_dir(nb);
    char *stop = g_strdup_printf("env.interrupt_at=%d", interrupt_at);
    const char *const run[] = {"env.episode_length=60", "trainer.num_train_steps=4000",
                               "trainer.eval_frequency=1200", "trainer.num_eval_episodes=5",
                               "trainer.num_seed_steps=0", "trainer.num_unsup_steps=1200",
                               "trainer.num_interact=400", "trainer.checkpoint_frequency=1000",
                               NULL, NULL};
    const char *const stopped[] = {run[0], run[1], run[2], run[3], run[4],
                                   run[5], run[6], run[7], stop, NULL};
    GError *err = NULL;
    train(ppo_recipe(PEBBLE, run), a, NULL, &err);
    ck_assert_msg(err == NULL, "%s", err ? err->message : "");

    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    pbrl_test_stop = 0;
    PrefrlNode *root = ppo_recipe(PEBBLE, stopped);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    ck_assert_msg(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED), "%s",
                  err->message);
    char *msg = g_strdup_printf("interrupted at step %lld", (long long)stopped_at);
    ck_assert_str_eq(err->message, msg);
    g_free(msg);
    g_clear_error(&err);
    prefrl_trainer_free(t);
    /* the rollout environments have their own files */
    for (int i = 1; i <= 4; i++) {
        char *part = g_strdup_printf("env-%d", i);
        char *path = prefrl_rundir_checkpoint_file(b, part);
        ck_assert_msg(g_file_test(path, G_FILE_TEST_IS_REGULAR), "no %s", path);
        g_free(path);
        g_free(part);
    }

    t = prefrl_trainer_resume(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert_msg(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err), "%s",
                  err ? err->message : "");
    prefrl_trainer_free(t);

    pbrl_test_assert_same_outputs(a, b, name);

    /* resuming the finished run changes no output */
    char *before = test_slurp(b, "train.csv");
    t = prefrl_trainer_resume(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    prefrl_trainer_free(t);
    char *after = test_slurp(b, "train.csv");
    ck_assert_str_eq(before, after);
    /* the evaluation environment, also restored, reaches interrupt_at in
     * the resumed runs: the handler stays until here */
    sigaction(SIGINT, &old, NULL);
    g_free(before);
    g_free(after);
    prefrl_node_free(root);
    g_free(stop);
    g_free(a);
    g_free(b);
    g_free(na);
    g_free(nb);
}

/* stopped after the first query round: learned reward, labels, episode
 * store and preference buffer restored */
START_TEST(test_resume_learning)
{
    check_resume_matches("learning", 650, 2800);
}
END_TEST

/* stopped in unsupervised pre-training (step 600 → the end of the rollout
 * at 800): the state-entropy observations restored for the last
 * pre-training rollout, and the first query round (1200) and value-head
 * reset happen after resuming */
START_TEST(test_resume_pretraining)
{
    check_resume_matches("pretraining", 150, 800);
}
END_TEST

/* a checkpoint that does not fit the recipe's rollout, or lacks a rollout
 * environment's file, is refused naming the file */
START_TEST(test_resume_errors)
{
    char *dir = pbrl_test_run_dir("ppo-resume-errors");
    const char *const stopped[] = {"trainer.num_train_steps=4000", "trainer.num_unsup_steps=400",
                                   "env.interrupt_at=50", NULL};
    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    pbrl_test_stop = 0;
    GError *err = NULL;
    PrefrlNode *root = ppo_recipe(PEBBLE, stopped);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "?");
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    sigaction(SIGINT, &old, NULL);
    ck_assert_str_eq(err->message, "interrupted at step 400");
    g_clear_error(&err);
    prefrl_trainer_free(t);

    /* other rollout shapes */
    PrefrlNode *two = ppo_recipe(PEBBLE, stopped);
    ck_assert(prefrl_recipe_override(two, "agent.n_envs=2", &err));
    ck_assert_ptr_null(prefrl_trainer_resume(two, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, "trainer.bin") &&
                      strstr(err->message, "written for 4 environments and rollouts of 100 "
                                           "steps, but this recipe's agent/ppo has 2 and 100"),
                  "%s", err->message);
    g_clear_error(&err);
    prefrl_node_free(two);

    /* a rollout environment's file missing */
    char *env2 = prefrl_rundir_checkpoint_file(dir, "env-2");
    ck_assert(g_unlink(env2) == 0);
    ck_assert_ptr_null(prefrl_trainer_resume(root, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, env2) != NULL, "%s", err->message);
    g_clear_error(&err);
    g_free(env2);
    prefrl_node_free(root);
    g_free(dir);
}
END_TEST

START_TEST(test_errors)
{
    /* an incomplete rollout is refused with the counts */
    PrefrlInstance *inst = new_agent(3, 2, 1, NULL);
    float obs[6] = {0}, act[4], zero[2] = {0, 0};
    const PrefrlAgentOps *ops = ops_of(inst);
    ops->rollout_act(inst->self, 0, obs, act);
    ops->rollout_reward(inst->self, 0, zero, zero);
    GError *err = NULL;
    ck_assert(!ops->rollout_update(inst->self, obs, 2, 0.0, FALSE, NULL, &err));
    ck_assert_msg(strstr(err->message, "after 1 of 5 rollout steps") != NULL, "%s",
                  err->message);
    g_clear_error(&err);
    /* a non-finite reward stops the update before any parameter changes */
    Ppo *p = ppo_of(inst);
    float *before = g_memdup2(prefrl_mlp_params(p->nets.pi),
                              sizeof(float) * prefrl_mlp_n_params(p->nets.pi));
    float bad[2] = {NAN, 0};
    for (int t = 0; t < 5; t++) {
        ops->rollout_act(inst->self, t, obs, act);
        ops->rollout_reward(inst->self, t, bad, zero);
    }
    ck_assert(!ops->rollout_update(inst->self, obs, 10, 0.0, FALSE, NULL, &err));
    ck_assert(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_NUMERIC));
    g_clear_error(&err);
    ck_assert_int_eq(memcmp(before, prefrl_mlp_params(p->nets.pi),
                            sizeof(float) * prefrl_mlp_n_params(p->nets.pi)), 0);
    g_free(before);
    prefrl_instance_free(inst);
}
END_TEST

static Suite *ppo_suite(void)
{
    Suite *s = suite_create("agent/ppo");
    TCase *tc = tcase_create("unit");
    tcase_add_test(tc, test_loss_gradient);
    tcase_add_test(tc, test_gae);
    tcase_add_test(tc, test_sde_noise);
    tcase_add_test(tc, test_normaliser);
    tcase_add_test(tc, test_save_load);
    tcase_add_test(tc, test_reset_critic);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("trainer");
    tcase_set_timeout(tr, 600);
    tcase_add_test(tr, test_true_reward_hidden);
    tcase_add_test(tr, test_interrupt);
    tcase_add_test(tr, test_resume_learning);
    tcase_add_test(tr, test_resume_pretraining);
    tcase_add_test(tr, test_resume_errors);
    tcase_add_test(tr, test_learning_ppo_true_reward);
    tcase_add_test(tr, test_learning_prefppo);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    int failed = check_run(ppo_suite());
    return failed ? 1 : 0;
}
