/* agent/ppo's private interface: the layout of the agent's state and the
 * internal steps its tests check (ppo.c).
 *
 * Not part of the plugin SDK and not installed.  The plugin exports only its
 * entry symbol (everything is built with hidden visibility); the tests
 * compile ppo.c into their program to call these functions on an agent
 * created through the registry. */
#ifndef PREFRL_AGENT_PPO_H
#define PREFRL_AGENT_PPO_H

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

/** The learnable state: policy, mean and value networks, log σ, their Adams. */
typedef struct PpoNets {
    PrefrlMlp *pi;             /* obs (D) → latent (H), tanh after every layer */
    PrefrlMlp *mu;             /* latent (H) → mean (A) */
    PrefrlMlp *vf;             /* obs (D) → value (1) */
    float *log_std;            /* (H, S) */
    float *log_std_grad;
    PrefrlAdam *pi_opt, *mu_opt, *vf_opt, *std_opt;
} PpoNets;

/** What one minibatch loss reports (ppo_loss_grad). */
typedef struct PpoTerms {
    double loss, pg, value, entropy_loss, clip_fraction, approx_kl;
} PpoTerms;

/** One agent/ppo instance: the component's `self` (ppo_create), its
 * configuration, networks, normalisation statistics, rollout and workspaces. */
typedef struct Ppo {
    /* configuration */
    int D, A, H, depth, S;     /* S = A with full_std, else 1 */
    int n_envs, n_steps, batch_size, n_epochs, unsup_n_epochs, sde_freq;
    float lr, gamma, gae_lambda, clip_init, vf_coef, ent_coef, max_grad_norm, log_std_init;
    float clip_obs;
    gboolean full_std, normalize_obs;

    /* state */
    PpoNets nets;
    PrefrlRng rng;             /* init, exploration matrices, minibatch order */
    double *obs_mean, *obs_var, obs_count;
    float *noise;              /* (n_envs, H, A) exploration matrices */

    /* the rollout, row t * n_envs + i */
    float *r_obs;              /* (N, D) normalised observations */
    float *r_act;              /* (N, A) actions as sampled (unclipped) */
    float *r_val, *r_logp, *r_rew, *r_done, *r_adv, *r_ret;
    int recorded;              /* steps recorded in this rollout */
    float *last_raw, *last_norm; /* the observation after the last rollout, as given and normalised */
    gboolean have_last;

    /* workspaces sized for M = max(batch_size, n_envs) rows */
    int M;
    float *block;
    float *w_obs, *w_act, *w_oldlogp, *w_adv, *w_ret;  /* gathered minibatch */
    float *w_h;                /* (M, H) latent */
    float *w_sig2;             /* (H, A) σ² */
    float *w_s, *w_d;          /* (M, A) std and a − μ */
    float *w_dmu, *w_dh, *w_dv; /* gradients w.r.t. μ, h, V */
    float *w_val;              /* (n_envs) bootstrap values */
    double *w_norm;            /* (D) batch moments */
    size_t *perm;              /* (N) */
} Ppo;

/** New gSDE exploration matrices E_i ~ N(0, σ²), one per environment, from
 * the agent's stream. */
void ppo_resample_noise(Ppo *p);

/** GAE(λ) over T steps of n environments (row t*n + i) into adv and ret:
 * done[t] = 1 where step t ended an episode, last_val (n) the values of the
 * observations after step T−1. */
void ppo_gae(const float *rew, const float *val, const float *done, const float *last_val,
             int T, int n, float gamma, float lambda, float *adv, float *ret);

/** The PPO loss of one minibatch of n rows at clip range `clip`, writing
 * (not accumulating) every parameter's gradient and the terms; returns the
 * total loss. */
double ppo_loss_grad(Ppo *p, const float *obs, const float *act, const float *old_logp,
                     const float *adv_raw, const float *ret, int n, float clip, PpoTerms *terms);

#endif
