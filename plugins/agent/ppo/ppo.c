/* agent/ppo: PPO-clip with generalised state-dependent exploration, as
 * B-Pref's PrefPPO runs Stable-Baselines3 (docs/agents.md, PrefPPO;
 * Schulman et al. 2017, Raffin et al. 2021).  An on-policy agent
 * (PREFRL_FLAG_ON_POLICY): the trainer steps n_envs environments for n_steps
 * through rollout_act / rollout_reward and then calls rollout_update.
 *
 * Networks (SB3 MlpPolicy with net_arch [dict(pi=[h]*d, vf=[h]*d)]):
 *   pi  obs → latent h (d tanh layers), mu  h → mean (one linear layer),
 *   vf  obs → value (d tanh layers, linear output), and the gSDE parameter
 *   log σ (h, A) (full_std) or (h, 1).  Orthogonal init: gain √2 for the
 *   hidden layers, 0.01 for the mean head, 1 for the value head; log σ starts
 *   at log_std_init.  Adam (eps 1e-5, constant lr) over all of them, with
 *   the global gradient norm clipped to max_grad_norm.
 *
 * gSDE (SB3 StateDependentNoiseDistribution, learn_features=False, no
 * squashing, use_expln=False): exploration matrices E_i ~ N(0, σ²) (h × A),
 * one per environment, drawn at the start of a rollout and every sde_freq
 * steps; action a = μ(s) + h(s)·E_i; the policy density is the diagonal
 * Gaussian N(μ, var) with var_j = Σ_k h_k² σ_kj² + 1e-6 where h enters the
 * variance detached (σ gets gradients, the trunk only through μ).
 *
 * Update (SB3 1.x PPO.train): GAE(λ) over the rollout with the value of the
 * observation after its last step as bootstrap (episode ends do not
 * bootstrap; time limits are treated as ends, as the reference's vendored
 * SB3 without TimeLimit handling); then n_epochs (unsup_n_epochs while
 * pre-training) passes over a fresh permutation in minibatches of
 * batch_size (the last one may be smaller), each minimising
 *   L = −mean(min(Â r, Â clip(r, 1−c, 1+c))) + ent_coef·(−mean H) + vf_coef·mean((R − V)²)
 * with r = exp(log π − log π_old), Â the minibatch-normalised advantage
 * ((A − mean) / (std + 1e-8), unbiased std), c = clip_init·(1 − progress),
 * no value clipping.  Logged as SB3 does: means over all minibatches of
 * the policy-gradient, value and entropy losses and the clip fraction,
 * approx_kl = mean over the last epoch of (r − 1) − log r (SB3 ≥ 1.1), the
 * last minibatch's loss, explained variance of the rollout values, mean σ.
 *
 * Observation normalisation (SB3 VecNormalize, norm_obs only): a running
 * mean/var (count starts at 1e-4) updated with every batch of observations
 * as it arrives — each rollout step's, and the one after the rollout's last
 * step, which then starts the next rollout without a second update —
 * clip((obs − mean)/sqrt(var + 1e-8), ±clip_obs).  act() uses the frozen
 * statistics (evaluation).  The rollout keeps normalised observations, as
 * SB3's buffer does. */
#include <math.h>
#include <string.h>

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

#include "ppo.h"

/* the checkpoint's tag and format version */
#define PPO_TAG "agent/ppo"
#define PPO_FORMAT 2
#define PPO_BETA1 0.9
#define PPO_BETA2 0.999
#define PPO_ADAM_EPS 1e-5   /* SB3 PPO's optimizer_kwargs eps */
#define SDE_EPS 1e-6        /* SB3 gSDE variance epsilon */
#define NORM_EPS 1e-8       /* VecNormalize epsilon */
#define NORM_COUNT0 1e-4    /* RunningMeanStd initial count */
#define ADV_EPS 1e-8
#define LOG_SQRT_2PI 0.91893853320467274178

static const PrefrlParamSpec ppo_params[] = {
    {"hidden_dim", PREFRL_PARAM_INT, "256", 1, 65536, NULL,
     "units per hidden tanh layer of the policy and value networks (B-Pref scripts 256)"},
    {"hidden_depth", PREFRL_PARAM_INT, "3", 1, 32, NULL,
     "hidden layers of the policy and value networks (B-Pref scripts 3)"},
    {"lr", PREFRL_PARAM_FLOAT, "3e-4", 0, 10, NULL,
     "Adam learning rate, constant (walker/quadruped 5e-5, Meta-world 3e-4)"},
    {"n_envs", PREFRL_PARAM_INT, "16", 1, 4096, NULL,
     "environments stepped in lockstep (walker 32, quadruped 16, Meta-world 16-64)"},
    {"n_steps", PREFRL_PARAM_INT, "500", 1, 1000000, NULL,
     "steps per environment in one rollout (DMC 500, Meta-world 250)"},
    {"batch_size", PREFRL_PARAM_INT, "64", 1, 1000000, NULL,
     "minibatch size of the PPO epochs (walker 64, quadruped/Meta-world 128-256)"},
    {"n_epochs", PREFRL_PARAM_INT, "20", 1, 10000, NULL, "passes over each rollout"},
    {"unsup_n_epochs", PREFRL_PARAM_INT, "50", 1, 10000, NULL,
     "passes over each rollout during unsupervised pre-training"},
    {"gamma", PREFRL_PARAM_FLOAT, "0.99", 0, 1, NULL, "discount factor"},
    {"gae_lambda", PREFRL_PARAM_FLOAT, "0.92", 0, 1, NULL,
     "GAE lambda (walker 0.92, quadruped 0.90, Meta-world 0.92)"},
    {"clip_init", PREFRL_PARAM_FLOAT, "0.4", 0, 10, NULL,
     "PPO clip range at the start; decays linearly to 0 over training"},
    {"vf_coef", PREFRL_PARAM_FLOAT, "0.5", 0, 1e6, NULL, "weight of the value loss"},
    {"ent_coef", PREFRL_PARAM_FLOAT, "0", 0, 1e6, NULL, "weight of the entropy bonus"},
    {"max_grad_norm", PREFRL_PARAM_FLOAT, "0.5", 0, 1e12, NULL,
     "global gradient norm clip (0 = no clipping)"},
    {"sde_freq", PREFRL_PARAM_INT, "4", -1, 1000000, NULL,
     "steps between new gSDE exploration matrices (<= 0: once per rollout)"},
    {"log_std_init", PREFRL_PARAM_FLOAT, "0", -20, 20, NULL, "initial gSDE log sigma"},
    {"full_std", PREFRL_PARAM_BOOL, "true", 0, 0, NULL,
     "gSDE sigma per (latent feature, action) (else one per latent feature)"},
    {"normalize_obs", PREFRL_PARAM_BOOL, "true", 0, 0, NULL,
     "normalise observations by running mean/std (SB3 VecNormalize)"},
    {"clip_obs", PREFRL_PARAM_FLOAT, "10", 0, 1e12, NULL, "bound of normalised observations"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* ---- networks ----------------------------------------------------------- */

static void ppo_nets_clear(PpoNets *n)
{
    prefrl_mlp_free(n->pi);
    prefrl_mlp_free(n->mu);
    prefrl_mlp_free(n->vf);
    g_free(n->log_std);
    g_free(n->log_std_grad);
    prefrl_adam_free(n->pi_opt);
    prefrl_adam_free(n->mu_opt);
    prefrl_adam_free(n->vf_opt);
    prefrl_adam_free(n->std_opt);
    memset(n, 0, sizeof *n);
}

/* zero-initialised networks and fresh optimisers for p's shapes */
static gboolean ppo_nets_init(PpoNets *n, const Ppo *p, GError **error)
{
    int dims[34];
    memset(n, 0, sizeof *n);
    dims[0] = p->D;
    for (int l = 1; l <= p->depth; l++)
        dims[l] = p->H;
    n->pi = prefrl_mlp_new(p->depth, dims, PREFRL_ACT_TANH, PREFRL_ACT_TANH, 0.0f, p->M, error);
    dims[p->depth + 1] = 1;
    if (n->pi)
        n->vf = prefrl_mlp_new(p->depth + 1, dims, PREFRL_ACT_TANH, PREFRL_ACT_IDENTITY, 0.0f,
                               p->M, error);
    int head[2] = {p->H, p->A};
    if (n->vf)
        n->mu = prefrl_mlp_new(1, head, PREFRL_ACT_IDENTITY, PREFRL_ACT_IDENTITY, 0.0f, p->M,
                               error);
    if (!n->mu) {
        ppo_nets_clear(n);
        return FALSE;
    }
    size_t ns = (size_t)p->H * p->S;
    n->log_std = g_new0(float, ns);
    n->log_std_grad = g_new0(float, ns);
    n->pi_opt = prefrl_adam_new(prefrl_mlp_n_params(n->pi), p->lr, PPO_BETA1, PPO_BETA2,
                                PPO_ADAM_EPS);
    n->mu_opt = prefrl_adam_new(prefrl_mlp_n_params(n->mu), p->lr, PPO_BETA1, PPO_BETA2,
                                PPO_ADAM_EPS);
    n->vf_opt = prefrl_adam_new(prefrl_mlp_n_params(n->vf), p->lr, PPO_BETA1, PPO_BETA2,
                                PPO_ADAM_EPS);
    n->std_opt = prefrl_adam_new(ns, p->lr, PPO_BETA1, PPO_BETA2, PPO_ADAM_EPS);
    return TRUE;
}

/* σ² (H, A) from log σ */
static void ppo_sigma2(Ppo *p)
{
    for (int k = 0; k < p->H; k++)
        for (int j = 0; j < p->A; j++) {
            float ls = p->nets.log_std[(size_t)k * p->S + (p->S == 1 ? 0 : j)];
            p->w_sig2[(size_t)k * p->A + j] = expf(2.0f * ls);
        }
}

/* new exploration matrices E_i ~ N(0, σ²), one per environment */
void ppo_resample_noise(Ppo *p)
{
    ppo_sigma2(p);
    size_t HA = (size_t)p->H * p->A;
    prefrl_rng_normal_fill(&p->rng, p->noise, HA * p->n_envs);
    for (int i = 0; i < p->n_envs; i++)
        for (size_t q = 0; q < HA; q++)
            p->noise[i * HA + q] *= sqrtf(p->w_sig2[q]);
}

/* ---- observation normalisation -------------------------------------------- */

/* RunningMeanStd.update with a batch of B raw observations */
static void ppo_norm_update(Ppo *p, const float *obs, int B)
{
    const int D = p->D;
    double *bm = p->w_norm;
    for (int j = 0; j < D; j++) {
        double m = 0;
        for (int b = 0; b < B; b++)
            m += obs[(size_t)b * D + j];
        bm[j] = m / B;
    }
    double tot = p->obs_count + B;
    for (int j = 0; j < D; j++) {
        double v = 0;
        for (int b = 0; b < B; b++) {
            double e = obs[(size_t)b * D + j] - bm[j];
            v += e * e;
        }
        v /= B; /* numpy var: population */
        double delta = bm[j] - p->obs_mean[j];
        double m2 = p->obs_var[j] * p->obs_count + v * B +
                    delta * delta * p->obs_count * B / tot;
        p->obs_mean[j] += delta * B / tot;
        p->obs_var[j] = m2 / tot;
    }
    p->obs_count = tot;
}

static void ppo_norm_apply(const Ppo *p, const float *obs, int B, float *out)
{
    const int D = p->D;
    if (!p->normalize_obs) {
        memcpy(out, obs, sizeof(float) * (size_t)B * D);
        return;
    }
    for (int b = 0; b < B; b++)
        for (int j = 0; j < D; j++) {
            double z = (obs[(size_t)b * D + j] - p->obs_mean[j]) / sqrt(p->obs_var[j] + NORM_EPS);
            out[(size_t)b * D + j] = (float)fmin(p->clip_obs, fmax(-p->clip_obs, z));
        }
}

/* normalise a batch that has just arrived (statistics updated first) */
static void ppo_norm_incoming(Ppo *p, const float *obs, int B, float *out)
{
    if (p->normalize_obs)
        ppo_norm_update(p, obs, B);
    ppo_norm_apply(p, obs, B, out);
}

/* ---- the policy ------------------------------------------------------------ */

/* forward of normalised obs (B rows): latent into w_h; returns μ (owned by mu) */
static const float *ppo_policy_forward(Ppo *p, const float *obs, int B)
{
    const float *h = prefrl_mlp_forward(p->nets.pi, obs, B);
    memcpy(p->w_h, h, sizeof(float) * (size_t)B * p->H);
    return prefrl_mlp_forward(p->nets.mu, p->w_h, B);
}

/* a = μ + h·E for row b of w_h with matrix E (H, A) into a (A) */
static void ppo_noisy_action(const Ppo *p, int b, const float *mu, const float *E, float *a)
{
    const float *h = p->w_h + (size_t)b * p->H;
    for (int j = 0; j < p->A; j++) {
        double s = 0;
        for (int k = 0; k < p->H; k++)
            s += (double)h[k] * E[(size_t)k * p->A + j];
        a[j] = mu[(size_t)b * p->A + j] + (float)s;
    }
}

/* log N(a; μ, var(h)) for row b (σ² in w_sig2) */
static double ppo_log_prob(const Ppo *p, int b, const float *mu, const float *a)
{
    const float *h = p->w_h + (size_t)b * p->H;
    double lp = 0;
    for (int j = 0; j < p->A; j++) {
        double var = 0;
        for (int k = 0; k < p->H; k++)
            var += (double)h[k] * h[k] * p->w_sig2[(size_t)k * p->A + j];
        double d = (double)a[j] - mu[(size_t)b * p->A + j];
        var += SDE_EPS;
        lp += -d * d / (2 * var) - 0.5 * log(var) - LOG_SQRT_2PI;
    }
    return lp;
}

static void ppo_act(void *self, const float *obs, gboolean deterministic, float *action)
{
    Ppo *p = self;
    ppo_norm_apply(p, obs, 1, p->w_obs);
    const float *mu = ppo_policy_forward(p, p->w_obs, 1);
    if (deterministic)
        memcpy(action, mu, sizeof(float) * p->A);
    else
        ppo_noisy_action(p, 0, mu, p->noise, action); /* the first environment's matrix */
    for (int j = 0; j < p->A; j++)
        action[j] = fminf(1.0f, fmaxf(-1.0f, action[j]));
}

static int ppo_n_envs(void *self)
{
    return ((Ppo *)self)->n_envs;
}

static int ppo_rollout_length(void *self)
{
    return ((Ppo *)self)->n_steps;
}

static void ppo_rollout_act(void *self, int t, const float *obs, float *action)
{
    Ppo *p = self;
    const int n = p->n_envs, A = p->A, D = p->D;
    g_return_if_fail(t >= 0 && t < p->n_steps);
    if (t == 0)
        p->recorded = 0;
    if (t == 0 || (p->sde_freq > 0 && t % p->sde_freq == 0))
        ppo_resample_noise(p);
    float *o = p->r_obs + (size_t)t * n * D;
    if (t == 0 && p->have_last && memcmp(obs, p->last_raw, sizeof(float) * n * D) == 0)
        memcpy(o, p->last_norm, sizeof(float) * n * D); /* counted when it arrived */
    else
        ppo_norm_incoming(p, obs, n, o);
    p->have_last = FALSE;
    const float *mu = ppo_policy_forward(p, o, n);
    const float *v = prefrl_mlp_forward(p->nets.vf, o, n);
    ppo_sigma2(p);
    for (int i = 0; i < n; i++) {
        size_t r = (size_t)t * n + i;
        float *a = p->r_act + r * A;
        ppo_noisy_action(p, i, mu, p->noise + (size_t)i * p->H * A, a);
        p->r_logp[r] = (float)ppo_log_prob(p, i, mu, a);
        p->r_val[r] = v[i];
        for (int j = 0; j < A; j++)
            action[(size_t)i * A + j] = fminf(1.0f, fmaxf(-1.0f, a[j]));
    }
}

static void ppo_rollout_reward(void *self, int t, const float *reward, const float *done)
{
    Ppo *p = self;
    g_return_if_fail(t >= 0 && t < p->n_steps);
    const int n = p->n_envs;
    memcpy(p->r_rew + (size_t)t * n, reward, sizeof(float) * n);
    memcpy(p->r_done + (size_t)t * n, done, sizeof(float) * n);
    p->recorded = t + 1;
}

/* ---- update ----------------------------------------------------------------- */

/* GAE(λ) over T steps of n environments (row t*n + i): done[t] = 1 where step
 * t ended an episode (no bootstrap through it); last_val (n) is the value
 * of the observation after step T−1.  SB3 RolloutBuffer.compute_returns_and_advantage. */
void ppo_gae(const float *rew, const float *val, const float *done, const float *last_val,
             int T, int n, float gamma, float lambda, float *adv, float *ret)
{
    for (int i = 0; i < n; i++) {
        double last = 0;
        for (int t = T - 1; t >= 0; t--) {
            size_t r = (size_t)t * n + i;
            double nnt = 1.0 - done[r];
            double next_v = t == T - 1 ? last_val[i] : val[r + n];
            double delta = rew[r] + gamma * next_v * nnt - val[r];
            last = delta + (double)gamma * lambda * nnt * last;
            adv[r] = (float)last;
            ret[r] = (float)(last + val[r]);
        }
    }
}

static void ppo_zero_grad(Ppo *p)
{
    prefrl_mlp_zero_grad(p->nets.pi);
    prefrl_mlp_zero_grad(p->nets.mu);
    prefrl_mlp_zero_grad(p->nets.vf);
    memset(p->nets.log_std_grad, 0, sizeof(float) * (size_t)p->H * p->S);
}

/* The loss of one minibatch of n rows (normalised obs, sampled actions, old
 * log-probabilities, raw advantages, returns) at clip range `clip`; the
 * gradients of every parameter are written (not accumulated) into the
 * gradient slabs.  Returns the total loss. */
double ppo_loss_grad(Ppo *p, const float *obs, const float *act, const float *old_logp,
                     const float *adv_raw, const float *ret, int n, float clip, PpoTerms *terms)
{
    const int A = p->A, H = p->H, S = p->S;
    double am = 0, asd = 0;
    for (int b = 0; b < n; b++)
        am += adv_raw[b];
    am /= n;
    for (int b = 0; b < n; b++)
        asd += (adv_raw[b] - am) * (adv_raw[b] - am);
    /* torch's unbiased std; a single row is left as it is (SB3 ≥ 1.6) */
    asd = n > 1 ? sqrt(asd / (n - 1)) : 0.0;

    ppo_zero_grad(p);
    const float *mu = ppo_policy_forward(p, obs, n);
    const float *v = prefrl_mlp_forward(p->nets.vf, obs, n);
    ppo_sigma2(p);
    double pg = 0, vl = 0, ent = 0, clipped = 0, kl = 0;
    const double inv_n = 1.0 / n;
    for (int b = 0; b < n; b++) {
        const float *h = p->w_h + (size_t)b * H;
        double lp = 0, eb = 0;
        for (int j = 0; j < A; j++) {
            double var = SDE_EPS;
            for (int k = 0; k < H; k++)
                var += (double)h[k] * h[k] * p->w_sig2[(size_t)k * A + j];
            double s = sqrt(var), d = (double)act[(size_t)b * A + j] - mu[(size_t)b * A + j];
            lp += -d * d / (2 * var) - log(s) - LOG_SQRT_2PI;
            eb += 0.5 + LOG_SQRT_2PI + log(s);
            p->w_s[(size_t)b * A + j] = (float)s;
            p->w_d[(size_t)b * A + j] = (float)d;
        }
        double a_hat = n > 1 ? (adv_raw[b] - am) / (asd + ADV_EPS) : adv_raw[b];
        double log_ratio = lp - old_logp[b], r = exp(log_ratio);
        double rc = fmin(1.0 + clip, fmax(1.0 - clip, r));
        double l1 = a_hat * r, l2 = a_hat * rc;
        pg -= fmin(l1, l2);
        clipped += fabs(r - 1.0) > clip;
        kl += (r - 1.0) - log_ratio;
        ent += eb;
        /* dL/dlog π: through the unclipped term unless the clipped one is
         * smaller and r is outside the range (then it is constant) */
        gboolean active = l1 <= l2 || (r >= 1.0 - clip && r <= 1.0 + clip);
        double g_lp = active ? -a_hat * r * inv_n : 0.0;
        for (int j = 0; j < A; j++) {
            double s = p->w_s[(size_t)b * A + j], d = p->w_d[(size_t)b * A + j];
            p->w_dmu[(size_t)b * A + j] = (float)(g_lp * d / (s * s));
            double ds = g_lp * (d * d / (s * s * s) - 1.0 / s) - p->ent_coef * inv_n / s;
            double dvar = ds / (2.0 * s);
            for (int k = 0; k < H; k++) {
                size_t q = (size_t)k * A + j;
                p->nets.log_std_grad[(size_t)k * S + (S == 1 ? 0 : j)] +=
                    (float)(dvar * 2.0 * h[k] * h[k] * p->w_sig2[q]);
            }
        }
        double e = (double)v[b] - ret[b];
        vl += e * e;
        p->w_dv[b] = (float)(p->vf_coef * 2.0 * e * inv_n);
    }
    prefrl_mlp_backward(p->nets.mu, p->w_dmu, p->w_dh, TRUE);
    prefrl_mlp_backward(p->nets.pi, p->w_dh, NULL, TRUE);
    prefrl_mlp_backward(p->nets.vf, p->w_dv, NULL, TRUE);
    PpoTerms t = {.pg = pg * inv_n, .value = vl * inv_n, .entropy_loss = -ent * inv_n,
                  .clip_fraction = clipped * inv_n, .approx_kl = kl * inv_n};
    t.loss = t.pg + p->ent_coef * t.entropy_loss + p->vf_coef * t.value;
    if (terms)
        *terms = t;
    return t.loss;
}

/* torch.nn.utils.clip_grad_norm_ over every parameter; returns the norm */
static double ppo_clip_grads(Ppo *p)
{
    PpoNets *n = &p->nets;
    float *g[4] = {prefrl_mlp_grads(n->pi), prefrl_mlp_grads(n->mu), prefrl_mlp_grads(n->vf),
                   n->log_std_grad};
    size_t len[4] = {prefrl_mlp_n_params(n->pi), prefrl_mlp_n_params(n->mu),
                     prefrl_mlp_n_params(n->vf), (size_t)p->H * p->S};
    double sq = 0;
    for (int i = 0; i < 4; i++) {
        double x = prefrl_slab_l2_norm(g[i], len[i]);
        sq += x * x;
    }
    double norm = sqrt(sq);
    if (p->max_grad_norm > 0 && norm + 1e-6 > p->max_grad_norm) {
        float scale = (float)(p->max_grad_norm / (norm + 1e-6));
        for (int i = 0; i < 4; i++)
            prefrl_slab_scale(g[i], len[i], scale);
    }
    return norm;
}

static void ppo_adam_steps(Ppo *p)
{
    PpoNets *n = &p->nets;
    prefrl_adam_step(n->pi_opt, prefrl_mlp_params(n->pi), prefrl_mlp_grads(n->pi));
    prefrl_adam_step(n->mu_opt, prefrl_mlp_params(n->mu), prefrl_mlp_grads(n->mu));
    prefrl_adam_step(n->vf_opt, prefrl_mlp_params(n->vf), prefrl_mlp_grads(n->vf));
    prefrl_adam_step(n->std_opt, n->log_std, n->log_std_grad);
}

/* 1 − Var(returns − values) / Var(returns) (NAN when the returns are constant) */
static double ppo_explained_variance(const float *val, const float *ret, size_t N)
{
    double my = 0, md = 0;
    for (size_t i = 0; i < N; i++) {
        my += ret[i];
        md += ret[i] - val[i];
    }
    my /= N;
    md /= N;
    double vy = 0, vd = 0;
    for (size_t i = 0; i < N; i++) {
        vy += (ret[i] - my) * (ret[i] - my);
        double d = ret[i] - val[i] - md;
        vd += d * d;
    }
    return vy == 0 ? NAN : 1.0 - vd / vy;
}

static gboolean ppo_rollout_update(void *self, const float *last_obs, int64_t step,
                                   double progress, gboolean pretraining, PrefrlLog *log,
                                   GError **error)
{
    Ppo *p = self;
    const int n = p->n_envs, D = p->D, A = p->A;
    const size_t N = (size_t)p->n_steps * n;
    if (p->recorded != p->n_steps) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "agent/ppo: rollout_update after %d of %d rollout steps", p->recorded,
                    p->n_steps);
        return FALSE;
    }
    p->recorded = 0;

    /* the observation after the last step arrives: count it, bootstrap from it */
    ppo_norm_incoming(p, last_obs, n, p->last_norm);
    memcpy(p->last_raw, last_obs, sizeof(float) * n * D);
    p->have_last = TRUE;
    const float *lv = prefrl_mlp_forward(p->nets.vf, p->last_norm, n);
    memcpy(p->w_val, lv, sizeof(float) * n);
    ppo_gae(p->r_rew, p->r_val, p->r_done, p->w_val, p->n_steps, n, p->gamma, p->gae_lambda,
            p->r_adv, p->r_ret);

    double rsum = 0;
    for (size_t i = 0; i < N; i++)
        rsum += p->r_rew[i];

    progress = fmin(1.0, fmax(0.0, progress));
    const float clip = (float)(p->clip_init * (1.0 - progress));
    const int epochs = pretraining ? p->unsup_n_epochs : p->n_epochs;
    double s_pg = 0, s_v = 0, s_ent = 0, s_clip = 0, kl_epoch = 0, last_loss = 0;
    long n_mb = 0;
    for (int e = 0; e < epochs; e++) {
        prefrl_rng_permutation(&p->rng, p->perm, N);
        double kl_sum = 0;
        long kl_n = 0;
        for (size_t s0 = 0; s0 < N; s0 += (size_t)p->batch_size) {
            int m = (int)MIN((size_t)p->batch_size, N - s0);
            for (int b = 0; b < m; b++) {
                size_t r = p->perm[s0 + b];
                memcpy(p->w_obs + (size_t)b * D, p->r_obs + r * D, sizeof(float) * D);
                memcpy(p->w_act + (size_t)b * A, p->r_act + r * A, sizeof(float) * A);
                p->w_oldlogp[b] = p->r_logp[r];
                p->w_adv[b] = p->r_adv[r];
                p->w_ret[b] = p->r_ret[r];
            }
            PpoTerms t;
            double loss = ppo_loss_grad(p, p->w_obs, p->w_act, p->w_oldlogp, p->w_adv, p->w_ret,
                                        m, clip, &t);
            double norm = ppo_clip_grads(p);
            if (!isfinite(loss) || !isfinite(norm)) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                            "agent/ppo: the loss is %g (gradient norm %g) at step %" G_GINT64_FORMAT
                            ", epoch %d; this minibatch was not applied (check the rewards given "
                            "to the agent, or lower lr)",
                            loss, norm, step, e + 1);
                return FALSE;
            }
            ppo_adam_steps(p);
            s_pg += t.pg;
            s_v += t.value;
            s_ent += t.entropy_loss;
            s_clip += t.clip_fraction;
            kl_sum += t.approx_kl;
            kl_n++;
            n_mb++;
            last_loss = loss;
        }
        kl_epoch = kl_sum / MAX(kl_n, 1);
    }
    double std_mean = 0;
    size_t ns = (size_t)p->H * p->S;
    for (size_t i = 0; i < ns; i++)
        std_mean += expf(p->nets.log_std[i]);
    std_mean /= ns;
    prefrl_log_scalar(log, "train/entropy_loss", s_ent / n_mb);
    prefrl_log_scalar(log, "train/policy_gradient_loss", s_pg / n_mb);
    prefrl_log_scalar(log, "train/value_loss", s_v / n_mb);
    prefrl_log_scalar(log, "train/approx_kl", kl_epoch);
    prefrl_log_scalar(log, "train/clip_fraction", s_clip / n_mb);
    prefrl_log_scalar(log, "train/loss", last_loss);
    prefrl_log_scalar(log, "train/explained_variance",
                      ppo_explained_variance(p->r_val, p->r_ret, N));
    prefrl_log_scalar(log, "train/std", std_mean);
    prefrl_log_scalar(log, "train/clip_range", clip);
    /* the mean reward the agent was given (never the true one, unless reward/true) */
    prefrl_log_scalar(log, "train/batch_reward", rsum / N);
    return TRUE;
}

/* re-initialise the value output layer (PrefPPO at the end of pre-training);
 * the value trunk, the policy and the optimiser state are kept, as an
 * in-place re-init under torch's Adam keeps its moments */
static void ppo_reset_critic(void *self)
{
    Ppo *p = self;
    prefrl_mlp_init_layer_orthogonal(p->nets.vf, p->depth, &p->rng, 1.0f);
}

/* ---- create / destroy ---------------------------------------------------- */

static void ppo_destroy(void *self)
{
    Ppo *p = self;
    if (!p)
        return;
    ppo_nets_clear(&p->nets);
    g_free(p->obs_mean);
    g_free(p->obs_var);
    g_free(p->noise);
    g_free(p->r_obs);
    g_free(p->r_act);
    g_free(p->r_val);
    g_free(p->r_logp);
    g_free(p->r_rew);
    g_free(p->r_done);
    g_free(p->r_adv);
    g_free(p->r_ret);
    g_free(p->last_raw);
    g_free(p->last_norm);
    g_free(p->block);
    g_free(p->w_norm);
    g_free(p->perm);
    g_free(p);
}

static void ppo_init_params(Ppo *p)
{
    const float root2 = (float)G_SQRT2;
    prefrl_mlp_init_orthogonal(p->nets.pi, &p->rng, root2, root2);
    prefrl_mlp_init_orthogonal(p->nets.vf, &p->rng, root2, 1.0f);
    prefrl_mlp_init_orthogonal(p->nets.mu, &p->rng, 0.01f, 0.01f);
    for (size_t i = 0; i < (size_t)p->H * p->S; i++)
        p->nets.log_std[i] = p->log_std_init;
}

static void *ppo_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    if (!ctx->env || ctx->env->obs_dim < 1 || ctx->env->act_dim < 1) {
        g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                            "agent/ppo needs an environment with obs_dim >= 1 and act_dim >= 1");
        return NULL;
    }
    Ppo *p = g_new0(Ppo, 1);
    p->D = ctx->env->obs_dim;
    p->A = ctx->env->act_dim;
    p->H = (int)prefrl_param_int(params, "hidden_dim");
    p->depth = (int)prefrl_param_int(params, "hidden_depth");
    p->lr = (float)prefrl_param_float(params, "lr");
    p->n_envs = (int)prefrl_param_int(params, "n_envs");
    p->n_steps = (int)prefrl_param_int(params, "n_steps");
    p->batch_size = (int)prefrl_param_int(params, "batch_size");
    p->n_epochs = (int)prefrl_param_int(params, "n_epochs");
    p->unsup_n_epochs = (int)prefrl_param_int(params, "unsup_n_epochs");
    p->gamma = (float)prefrl_param_float(params, "gamma");
    p->gae_lambda = (float)prefrl_param_float(params, "gae_lambda");
    p->clip_init = (float)prefrl_param_float(params, "clip_init");
    p->vf_coef = (float)prefrl_param_float(params, "vf_coef");
    p->ent_coef = (float)prefrl_param_float(params, "ent_coef");
    p->max_grad_norm = (float)prefrl_param_float(params, "max_grad_norm");
    p->sde_freq = (int)prefrl_param_int(params, "sde_freq");
    p->log_std_init = (float)prefrl_param_float(params, "log_std_init");
    p->full_std = prefrl_param_bool(params, "full_std");
    p->normalize_obs = prefrl_param_bool(params, "normalize_obs");
    p->clip_obs = (float)prefrl_param_float(params, "clip_obs");
    p->S = p->full_std ? p->A : 1;
    p->rng = ctx->rng;

    const size_t N = (size_t)p->n_steps * p->n_envs;
    if (N > (size_t)1 << 28) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "a rollout of n_envs %d x n_steps %d is too large", p->n_envs,
                    p->n_steps);
        g_free(p);
        return NULL;
    }
    p->M = MAX(p->batch_size, p->n_envs);
    if (!ppo_nets_init(&p->nets, p, error)) {
        ppo_destroy(p);
        return NULL;
    }
    const int D = p->D, A = p->A, H = p->H, n = p->n_envs;
    p->obs_mean = g_new0(double, D);
    p->obs_var = g_new(double, D);
    for (int j = 0; j < D; j++)
        p->obs_var[j] = 1.0;
    p->obs_count = NORM_COUNT0;
    p->noise = g_new0(float, (size_t)n * H * A);
    p->r_obs = g_try_new(float, N * D);
    p->r_act = g_try_new(float, N * A);
    p->r_val = g_try_new(float, N);
    p->r_logp = g_try_new(float, N);
    p->r_rew = g_try_new(float, N);
    p->r_done = g_try_new(float, N);
    p->r_adv = g_try_new(float, N);
    p->r_ret = g_try_new(float, N);
    p->perm = g_try_new(size_t, N);
    if (!p->r_obs || !p->r_act || !p->r_val || !p->r_logp || !p->r_rew || !p->r_done ||
        !p->r_adv || !p->r_ret || !p->perm) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate a rollout of %zu steps", N);
        ppo_destroy(p);
        return NULL;
    }
    p->last_raw = g_new0(float, (size_t)n * D);
    p->last_norm = g_new0(float, (size_t)n * D);
    p->w_norm = g_new0(double, D);

    const size_t M = (size_t)p->M;
    p->block = g_new0(float, M * D + M * A + 3 * M + M * H + (size_t)H * A + 3 * M * A + M * H +
                                 M + (size_t)n);
    float *q = p->block;
    p->w_obs = q, q += M * D;
    p->w_act = q, q += M * A;
    p->w_oldlogp = q, q += M;
    p->w_adv = q, q += M;
    p->w_ret = q, q += M;
    p->w_h = q, q += M * H;
    p->w_sig2 = q, q += (size_t)H * A;
    p->w_s = q, q += M * A;
    p->w_d = q, q += M * A;
    p->w_dmu = q, q += M * A;
    p->w_dh = q, q += M * H;
    p->w_dv = q, q += M;
    p->w_val = q;

    ppo_init_params(p);
    ppo_resample_noise(p);
    return p;
}

/* ---- save / load ----------------------------------------------------------
 * The tag, the shapes, the normaliser count and the rng state; nn records
 * pi, mu, vf and the four Adam states; then log σ, the normaliser's mean and
 * var, the exploration matrices and the observation after the last rollout
 * (raw and normalised: the next rollout starts from it).  Loading reads into
 * fresh objects and swaps them in only when the stream is still ok (it
 * verified the file's checksum when it was opened).  A half-collected
 * rollout is not saved: the trainer checkpoints on-policy runs between
 * rollouts only (core/pbrl/trainer_onpolicy.c). */

#define PPO_N_SHAPE 6

static void ppo_shape(const Ppo *p, int64_t *shape)
{
    const int64_t s[PPO_N_SHAPE] = {p->D, p->A, p->H, p->depth, p->S, p->n_envs};
    memcpy(shape, s, sizeof s);
}

static gboolean ppo_save(void *self, PrefrlCkpt *out, GError **error)
{
    Ppo *p = self;
    const PpoNets *n = &p->nets;
    int64_t shape[PPO_N_SHAPE];
    ppo_shape(p, shape);
    prefrl_ckpt_put_tag(out, PPO_TAG, PPO_FORMAT);
    for (int i = 0; i < PPO_N_SHAPE; i++)
        prefrl_ckpt_put_i64(out, shape[i]);
    prefrl_ckpt_put_i64(out, p->have_last);
    prefrl_ckpt_put_f64(out, p->obs_count);
    prefrl_rng_save(&p->rng, PPO_TAG " rng", out);
    prefrl_mlp_save(n->pi, out);
    prefrl_mlp_save(n->mu, out);
    prefrl_mlp_save(n->vf, out);
    prefrl_adam_save(n->pi_opt, out);
    prefrl_adam_save(n->mu_opt, out);
    prefrl_adam_save(n->vf_opt, out);
    prefrl_adam_save(n->std_opt, out);
    size_t ns = (size_t)p->H * p->S, nn = (size_t)p->n_envs * p->H * p->A;
    size_t nl = (size_t)p->n_envs * p->D;
    prefrl_ckpt_put_floats(out, n->log_std, ns);
    prefrl_ckpt_put_doubles(out, p->obs_mean, p->D);
    prefrl_ckpt_put_doubles(out, p->obs_var, p->D);
    prefrl_ckpt_put_floats(out, p->noise, nn);
    prefrl_ckpt_put_floats(out, p->last_raw, nl);
    prefrl_ckpt_put_floats(out, p->last_norm, nl);
    return prefrl_ckpt_check(out, error);
}

static gboolean ppo_load(void *self, PrefrlCkpt *in, GError **error)
{
    Ppo *p = self;
    int64_t want[PPO_N_SHAPE], got[PPO_N_SHAPE];
    ppo_shape(p, want);
    prefrl_ckpt_expect_tag(in, PPO_TAG, PPO_FORMAT);
    for (int i = 0; i < PPO_N_SHAPE; i++)
        got[i] = prefrl_ckpt_get_i64(in);
    if (prefrl_ckpt_ok(in) && memcmp(got, want, sizeof got) != 0)
        prefrl_ckpt_fail(in, "agent/ppo: checkpoint is for obs %" G_GINT64_FORMAT
                             ", act %" G_GINT64_FORMAT ", hidden %" G_GINT64_FORMAT
                             " x %" G_GINT64_FORMAT ", sigma columns %" G_GINT64_FORMAT
                             ", %" G_GINT64_FORMAT " envs; this agent has obs %d, act %d, "
                             "hidden %d x %d, sigma columns %d, %d envs",
                         got[0], got[1], got[2], got[3], got[4], got[5], p->D, p->A, p->H,
                         p->depth, p->S, p->n_envs);
    gboolean have_last = prefrl_ckpt_get_count(in, 0, 1, "agent/ppo: the last-observation flag");
    double obs_count = prefrl_ckpt_get_f64(in);
    PrefrlRng rng = p->rng;
    prefrl_rng_load(&rng, PPO_TAG " rng", in);
    /* fresh networks only for a checkpoint that fits */
    PpoNets n;
    if (!prefrl_ckpt_check(in, error))
        return FALSE;
    if (!ppo_nets_init(&n, p, error)) {
        g_prefix_error(error, "agent/ppo: ");
        return FALSE;
    }
    prefrl_mlp_load(n.pi, in);
    prefrl_mlp_load(n.mu, in);
    prefrl_mlp_load(n.vf, in);
    prefrl_adam_load(n.pi_opt, in);
    prefrl_adam_load(n.mu_opt, in);
    prefrl_adam_load(n.vf_opt, in);
    prefrl_adam_load(n.std_opt, in);
    size_t ns = (size_t)p->H * p->S, nn = (size_t)p->n_envs * p->H * p->A;
    size_t nl = (size_t)p->n_envs * p->D;
    double *mean = g_new(double, p->D), *var = g_new(double, p->D);
    float *noise = g_new(float, nn), *lraw = g_new(float, nl), *lnorm = g_new(float, nl);
    prefrl_ckpt_get_floats(in, n.log_std, ns, "agent/ppo: the log sigma matrix");
    prefrl_ckpt_get_doubles(in, mean, p->D, "agent/ppo: the normaliser mean");
    prefrl_ckpt_get_doubles(in, var, p->D, "agent/ppo: the normaliser variance");
    prefrl_ckpt_get_floats(in, noise, nn, "agent/ppo: the exploration matrices");
    prefrl_ckpt_get_floats(in, lraw, nl, "agent/ppo: the last observations");
    prefrl_ckpt_get_floats(in, lnorm, nl, "agent/ppo: the last normalised observations");
    gboolean ok = prefrl_ckpt_check(in, error);
    if (ok) {
        ppo_nets_clear(&p->nets);
        p->nets = n;
        memcpy(p->obs_mean, mean, sizeof(double) * p->D);
        memcpy(p->obs_var, var, sizeof(double) * p->D);
        memcpy(p->noise, noise, sizeof(float) * nn);
        memcpy(p->last_raw, lraw, sizeof(float) * nl);
        memcpy(p->last_norm, lnorm, sizeof(float) * nl);
        p->obs_count = obs_count;
        p->rng = rng;
        p->have_last = have_last;
        p->recorded = 0;
    } else {
        ppo_nets_clear(&n);
    }
    g_free(mean);
    g_free(var);
    g_free(noise);
    g_free(lraw);
    g_free(lnorm);
    return ok;
}

/* ---- plugin ---------------------------------------------------------------- */

static const PrefrlAgentOps ppo_ops = {
    .struct_size = sizeof(PrefrlAgentOps),
    .act = ppo_act,
    .reset_critic = ppo_reset_critic,
    .n_envs = ppo_n_envs,
    .rollout_length = ppo_rollout_length,
    .rollout_act = ppo_rollout_act,
    .rollout_reward = ppo_rollout_reward,
    .rollout_update = ppo_rollout_update,
};

/* bytes create() allocates, an upper estimate: the policy and value MLPs
 * with gradients and Adam moments and activations of a minibatch, the
 * rollout, the exploration matrices and the workspaces (the trainer prefixes
 * create()'s messages with "agent/ppo: ") */
static guint64 ppo_memory(const PrefrlNode *params, const PrefrlContext *ctx)
{
    double D = ctx->env->obs_dim, A = ctx->env->act_dim;
    double H = (double)prefrl_param_int(params, "hidden_dim");
    double depth = (double)prefrl_param_int(params, "hidden_depth");
    double n = (double)prefrl_param_int(params, "n_envs");
    double N = n * (double)prefrl_param_int(params, "n_steps");
    double M = MAX((double)prefrl_param_int(params, "batch_size"), n);
    double net = D * H + H + (depth - 1) * (H * H + H); /* the trunk of one network */
    double floats = 4 * (2 * net + H * (2 * A + 1) + A * A + A + 1) +
                    2 * M * ((depth + 2) * H + D + A + 1) + N * (D + A + 10) + n * H * A +
                    M * (D + 5 * A + 2 * H + 5) + 2 * n * D + H * A;
    double bytes = floats * sizeof(float);
    return bytes >= 1.8e19 ? G_MAXUINT64 : (guint64)bytes;
}

static const PrefrlComponent ppo_component = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_AGENT,
    .name = "ppo",
    .summary = "PPO-clip with gSDE exploration and observation normalisation (Stable-Baselines3 "
               "as B-Pref's PrefPPO); on-policy",
    .params = ppo_params,
    .flags = PREFRL_FLAG_ON_POLICY,
    .create = ppo_create,
    .destroy = ppo_destroy,
    .save = ppo_save,
    .load = ppo_load,
    .ops = &ppo_ops,
    .memory = ppo_memory,
};

PREFRL_PLUGIN_DEFINE("ppo", PREFRL_VERSION, &ppo_component);
