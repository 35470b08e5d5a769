/* agent/sac's private interface: the layout of the agent's state (sac.c).
 *
 * Not part of the plugin SDK and not installed: the plugin's tests read the
 * networks, targets, temperature and random stream of an agent created
 * through the registry, so they share this definition with sac.c instead of
 * including the source. */
#ifndef PREFRL_AGENT_SAC_H
#define PREFRL_AGENT_SAC_H

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

/** The learnable state: everything a checkpoint holds except log α and the rng. */
typedef struct SacNets {
    PrefrlMlp *actor;          /* obs (D) → μ‖raw (2A) */
    PrefrlEnsemble *critic;    /* 2 heads, obs‖act (D + A) → 1 */
    PrefrlEnsemble *target;    /* Polyak averages of the critic */
    PrefrlAdam *actor_opt;
    PrefrlAdam *critic_opt;    /* over both heads' slab */
    PrefrlAdam *alpha_opt;     /* over log α (1 float) */
} SacNets;

/** One agent/sac instance: the component's `self` (sac_create), its
 * configuration, networks, temperature, random stream and workspaces. */
typedef struct Sac {
    /* configuration */
    int D, A;                  /* obs_dim, act_dim */
    int hidden_dim, hidden_depth, batch_size;
    float actor_lr, critic_lr, alpha_lr;
    float discount, tau;
    int64_t target_freq, actor_freq;
    float log_std_min, log_std_max;
    gboolean learnable_temperature;
    float target_entropy;      /* −A */

    /* state */
    SacNets nets;
    float log_alpha;
    float log_alpha_grad;
    PrefrlRng rng;             /* init, policy noise: the agent's own stream */
    PrefrlTanhGaussian *dist;  /* sample/backward cache of the policy */
    PrefrlMlp *heads[2];       /* views of the critic members */
    PrefrlCriticView view;

    /* workspaces, one block, sized for batch_size */
    float *block;
    float *xa;                 /* (B, D + A) critic input */
    float *dxa;                /* (B, D + A) dJ/d(critic input) */
    float *eps;                /* (B, A) policy noise */
    float *act;                /* (B, A) sampled actions */
    float *da;                 /* (B, A) dJ_π/da */
    float *dout;               /* (B, 2A) dJ_π/d(actor output) */
    float *logp;               /* (B) */
    float *dlogp;              /* (B) */
    float *v;                  /* (B) V̄(s') */
    float *y;                  /* (B) critic target */
    float *dq;                 /* (2, B) dJ/dQ_h */
} Sac;

#endif
