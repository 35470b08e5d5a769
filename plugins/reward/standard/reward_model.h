/* The ensemble Bradley-Terry reward model of B-Pref (reward_model.py),
 * shared by reward/pebble, reward/surf and reward/mrn (plugin-local). */
#ifndef PREFRL_REWARD_MODEL_H
#define PREFRL_REWARD_MODEL_H

#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>

/** Schema entries every ensemble reward shares (NULL-key terminated). */
#define REWARD_MODEL_PARAMS                                                                    \
    {"ensemble_size", PREFRL_PARAM_INT, "3", 1, 64, NULL, "reward networks in the ensemble"},  \
    {"hidden_dim", PREFRL_PARAM_INT, "256", 1, 65536, NULL, "width of each hidden layer"},     \
    {"hidden_depth", PREFRL_PARAM_INT, "3", 1, 16, NULL, "hidden layers per member"},          \
    {"activation", PREFRL_PARAM_CHOICE, "tanh", 0, 0, "tanh|sig|relu",                         \
     "output activation of each member: tanh, sigmoid or relu (reference 'activation')"},     \
    {"leaky_slope", PREFRL_PARAM_FLOAT, "0.01", 0, 1, NULL, "LeakyReLU slope of hidden layers"}, \
    {"lr", PREFRL_PARAM_FLOAT, "0.0003", 1e-8, 1, NULL,                                        \
     "Adam learning rate of the ensemble (reference reward_lr)"},                              \
    {"train_batch", PREFRL_PARAM_INT, "128", 1, 65536, NULL,                                   \
     "labelled pairs per gradient step"},                                                      \
    {"label_margin", PREFRL_PARAM_FLOAT, "0", 0, 0.5, NULL,                                    \
     "soft-label margin m: targets are one-hot·(1−2m)+m"},                                     \
    {"max_segment", PREFRL_PARAM_INT, "0", 0, 100000, NULL,                                    \
     "longest segment the workspaces hold; 0 = the trainer's query length"}

typedef struct {
    int ds, da, d, K, H;          /* H: query length the workspaces hold */
    int train_batch, max_rows;
    float margin;
    PrefrlEnsemble *ens;
    PrefrlAdam *adam;
    PrefrlRng rng;
    /* workspaces */
    float *x;                     /* (max_rows, d) */
    float *dout;                  /* (max_rows) */
    float *z1, *z2, *dz1, *dz2;   /* (train_batch) */
    int *labels, *idx;            /* (train_batch) */
    size_t *perm;                 /* (K, perm_cap) */
    int perm_cap;
} RewardModel;

/** Create from a validated section; H = the trainer's segment length. */
RewardModel *reward_model_new(const PrefrlNode *params, const PrefrlContext *ctx, int H,
                              GError **error);

/** Segment length a reward component sizes its workspaces for: max_segment
 *  when set, else the recipe's trainer.segment (50 outside a recipe). */
int reward_model_segment(const PrefrlNode *params, const PrefrlContext *ctx);
void reward_model_free(RewardModel *m);

/** Ensemble-mean r̂ of B rows obs‖act (any B; chunked). */
void reward_model_predict(RewardModel *m, const float *x, int B, float *r);

/** Per-member P(seg2 ≻ seg1) for n pairs of H-step segments into probs (K, n). */
void reward_model_member_probs(RewardModel *m, const float *seg1, const float *seg2, int n,
                               int H, float *probs);

/** Segment logits of member k for `n` pairs given by index into prefs:
 *  forward the member on both segments and sum over time into z1, z2 (n).
 *  The member's cache then allows reward_model_backward_pairs(). */
void reward_model_pair_logits(RewardModel *m, int k, const PrefrlPrefs *prefs, const int *idx,
                              int n, float *z1, float *z2);

/** Back-propagate dL/dz1, dL/dz2 (n) of the last pair_logits of member k
 *  into its parameter gradients (accumulated). */
void reward_model_backward_pairs(RewardModel *m, int k, int n, int H, const float *dz1,
                                 const float *dz2);

/** One pass over the labelled pairs (B-Pref train_reward): each member its own
 *  permutation, minibatches of train_batch, loss summed over members, one
 *  Adam step per minibatch.  Returns the mean accuracy; *loss the mean loss. */
double reward_model_epoch(RewardModel *m, const PrefrlPrefs *prefs, double *loss);

/** PEBBLE's learn_reward (B-Pref): up to reward_update passes of
 *  reward_model_epoch() over the labelled pairs, stopping after the first
 *  pass whose mean accuracy exceeds stop_accuracy; logs accuracy, loss and
 *  epochs to `log`.  Shared by reward/mrn (its auxiliary loss, eq. 2). */
void reward_model_learn(RewardModel *m, const PrefrlPrefs *prefs, int reward_update,
                        double stop_accuracy, PrefrlLog *log);

/** Accumulate into the ensemble's gradient slab dL/dψ of a loss whose
 *  derivative with respect to the ensemble-mean r̂ of the B rows x
 *  (B, obs_dim + act_dim) is dr (B): each member's output gets dr/K.  Runs its
 *  own forward passes (chunked by max_rows), so any B works.  Gradients are
 *  added, not overwritten: zero them first. */
void reward_model_backward_mean(RewardModel *m, const float *x, int B, const float *dr);

/** Window logits of member k for n pairs (SURF's temporal crops): pair i
 *  reads segments idx[i] of seg1 and seg2, each stored as Lseg rows of
 *  obs‖act ((*, Lseg, obs_dim + act_dim) arrays), and sums the member's r̂
 *  over rows [start1[i], start1[i] + len[i]) of the first and
 *  [start2[i], start2[i] + len[i]) of the second into z1[i], z2[i].  Both
 *  windows of a pair have the same length.  Requires 2·Σ len ≤ max_rows
 *  (callers chunk).  The member's cache then allows
 *  reward_model_backward_windows() with the same len. */
void reward_model_window_logits(RewardModel *m, int k, const float *seg1, const float *seg2,
                                int Lseg, const int *idx, int n, const int *start1,
                                const int *start2, const int *len, float *z1, float *z2);

/** Back-propagate dL/dz1, dL/dz2 (n) of the last window_logits of member k
 *  (same n and len) into its parameter gradients (accumulated). */
void reward_model_backward_windows(RewardModel *m, int k, int n, const int *len,
                                   const float *dz1, const float *dz2);

/** Checkpoint the ensemble, its optimiser and the model's stream. */
gboolean reward_model_save(const RewardModel *m, FILE *out, GError **error);
gboolean reward_model_load(RewardModel *m, FILE *in, GError **error);

#endif
