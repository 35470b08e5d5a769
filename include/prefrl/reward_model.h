/* The reward-learner SDK: the ensemble Bradley-Terry reward model that
 * PEBBLE trains (Lee et al. 2021, eq. 1-2; B-Pref's reward_model.py), as a
 * library object any reward plugin can build on.
 *
 * K members, each obs‖act → [Linear → LeakyReLU] × hidden_depth → Linear →
 * output activation (tanh by default), share one Adam optimiser over all
 * their parameters; r̂ is the member mean.  A member's logit for a segment is
 * its r̂ summed over the segment's steps, and P(seg2 ≻ seg1) =
 * σ(z2 − z1).
 *
 * A learner creates the model from its parameter section (whose schema
 * includes PREFRL_REWARD_MODEL_PARAMS), answers the trainer's predict /
 * member_probs with it, trains it in its train op (prefrl_reward_model_learn
 * is PEBBLE's whole round) and writes it in its save / load hooks.  The
 * lower-level pieces (segment logits and their backward passes, window
 * logits for temporal crops, the gradient through the ensemble mean) let a
 * learner write its own loss: SURF's pseudo-labels and crops and MRN's
 * meta-gradient (prefrl/reward_meta.h) are built from them.
 *
 * Arrays are float32, row-major, batch-major: a row is one step's obs‖act
 * (obs_dim + act_dim floats); a segment of H steps is H consecutive rows.
 * Every function borrows its arrays for the call only.  The model owns
 * workspaces for max_rows rows (2 · train_batch · segment length), so
 * functions that take "any B" chunk internally; those documented with a row
 * limit do not.  Not thread-safe: one model, one thread. */
#ifndef PREFRL_REWARD_MODEL_H
#define PREFRL_REWARD_MODEL_H

#include <stdint.h>
#include <glib.h>

#include <prefrl/ckpt.h>
#include <prefrl/export.h>
#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>
#include <prefrl/recipe.h>
#include <prefrl/rng.h>

G_BEGIN_DECLS

/** The schema entries of the model's parameters, for a learner's own
 *  schema (PrefrlParamSpec initialisers, no terminator):
 *
 *      static const PrefrlParamSpec my_params[] = {
 *          PREFRL_REWARD_MODEL_PARAMS,
 *          {"my_key", PREFRL_PARAM_INT, "10", 1, 100, NULL, "..."},
 *          {NULL, 0, NULL, 0, 0, NULL, NULL},
 *      };
 *
 *  ensemble_size, hidden_dim, hidden_depth, activation, leaky_slope, lr,
 *  train_batch, label_margin and max_segment; defaults are B-Pref's. */
#define PREFRL_REWARD_MODEL_PARAMS                                                             \
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

/** The schema entries of PEBBLE's learning round (prefrl_reward_model_learn)
 *  for a learner that uses it: reward_update (its max_epochs) and
 *  stop_accuracy, at B-Pref's defaults. */
#define PREFRL_REWARD_LEARN_PARAMS                                                             \
    {"reward_update", PREFRL_PARAM_INT, "200", 1, 1000000, NULL,                               \
     "most training passes over the labelled pairs per query round"},                          \
    {"stop_accuracy", PREFRL_PARAM_FLOAT, "0.97", 0, 1.01, NULL,                               \
     "stop a round's training once mean ensemble accuracy exceeds this"}

/** An ensemble Bradley-Terry reward model (opaque). */
typedef struct PrefrlRewardModel PrefrlRewardModel;

/* ------------------------------------------------------------------------ */
/* life cycle */

/** The segment length a learner sizes its model for: the section's
 *  max_segment when set, else the recipe's trainer.segment (50 outside a
 *  recipe).  `params` is a section validated against a schema holding
 *  PREFRL_REWARD_MODEL_PARAMS. */
PREFRL_API int prefrl_reward_model_segment(const PrefrlNode *params, const PrefrlContext *ctx);

/** Bytes a model created from `params` for segments of
 *  prefrl_reward_model_segment() steps allocates (members with gradients
 *  and Adam moments, activations of a training batch, workspaces): an
 *  upper estimate, G_MAXUINT64 when it cannot be counted.  A learner's
 *  `memory` hook (PrefrlComponent) can return it.  ctx->env must be set. */
PREFRL_API guint64 prefrl_reward_model_memory(const PrefrlNode *params, const PrefrlContext *ctx);

/** Create a model from a validated section (schema with
 *  PREFRL_REWARD_MODEL_PARAMS), the component's context (its env gives the
 *  input width obs_dim + act_dim; its stream is copied, drawn for the
 *  initial weights and then for the training permutations) and the segment
 *  length H the workspaces hold (max_rows = 2 · train_batch · H).  NULL with
 *  PREFRL_ERROR_CONFIG when the context has no environment or a size is
 *  out of range.  (transfer full: free with prefrl_reward_model_free) */
PREFRL_API PrefrlRewardModel *prefrl_reward_model_new(const PrefrlNode *params,
                                                      const PrefrlContext *ctx, int H,
                                                      GError **error);

/** Free the model and everything it owns (NULL is ignored). */
PREFRL_API void prefrl_reward_model_free(PrefrlRewardModel *m);

/* ------------------------------------------------------------------------ */
/* accessors */

/** Ensemble size K. */
PREFRL_API int prefrl_reward_model_n_members(const PrefrlRewardModel *m);
/** Observation / action widths and the row width d = obs_dim + act_dim. */
PREFRL_API int prefrl_reward_model_obs_dim(const PrefrlRewardModel *m);
PREFRL_API int prefrl_reward_model_act_dim(const PrefrlRewardModel *m);
PREFRL_API int prefrl_reward_model_input_dim(const PrefrlRewardModel *m);
/** Rows one forward pass of the workspaces holds (2 · train_batch · H). */
PREFRL_API int prefrl_reward_model_max_rows(const PrefrlRewardModel *m);
/** Labelled pairs per gradient step (the section's train_batch). */
PREFRL_API int prefrl_reward_model_train_batch(const PrefrlRewardModel *m);
/** The soft-label margin (the section's label_margin). */
PREFRL_API float prefrl_reward_model_label_margin(const PrefrlRewardModel *m);
/** The members and their parameter / gradient slabs (member k's parameters
 *  are the k-th of K equal blocks).  (transfer none) */
PREFRL_API PrefrlEnsemble *prefrl_reward_model_ensemble(PrefrlRewardModel *m);
/** The optimiser over the ensemble's slab, shared by every loss a learner
 *  adds (MRN's meta step uses it).  (transfer none) */
PREFRL_API PrefrlAdam *prefrl_reward_model_adam(PrefrlRewardModel *m);
/** The model's own stream (training permutations).  (transfer none) */
PREFRL_API PrefrlRng *prefrl_reward_model_rng(PrefrlRewardModel *m);

/* ------------------------------------------------------------------------ */
/* prediction */

/** r̂ = member mean for B rows x (B, d) into r (B); any B. */
PREFRL_API void prefrl_reward_model_predict(PrefrlRewardModel *m, const float *x, int B, float *r);

/** Every member's r̂ for B rows x (B, d) into r (K, B): r[k·B + i] is
 *  member k on row i; any B.  The spread over k is the ensemble's
 *  disagreement (RUNE's exploration bonus is its standard deviation). */
PREFRL_API void prefrl_reward_model_predict_members(PrefrlRewardModel *m, const float *x, int B,
                                                    float *r);

/** Per-member P_k(seg2 ≻ seg1) for n pairs of H-step segments seg1, seg2
 *  (n, H, d) into probs (K, n); any n (H ≤ max_rows / 2). */
PREFRL_API void prefrl_reward_model_member_probs(PrefrlRewardModel *m, const float *seg1,
                                                 const float *seg2, int n, int H, float *probs);

/* ------------------------------------------------------------------------ */
/* training */

/** Segment logits of member k for n labelled pairs given by index idx (n)
 *  into prefs: forward the member on both segments of each pair and sum
 *  over time into z1, z2 (n).  Requires 2 · n · prefs->H ≤ max_rows.  The
 *  member's cache then allows prefrl_reward_model_backward_pairs(). */
PREFRL_API void prefrl_reward_model_pair_logits(PrefrlRewardModel *m, int k,
                                                const PrefrlPrefs *prefs, const int *idx, int n,
                                                float *z1, float *z2);

/** Back-propagate dL/dz1, dL/dz2 (n) of the last pair_logits of member k
 *  (segments of H steps) into the ensemble's gradient slab (added). */
PREFRL_API void prefrl_reward_model_backward_pairs(PrefrlRewardModel *m, int k, int n, int H,
                                                   const float *dz1, const float *dz2);

/** One pass over the labelled pairs (B-Pref's train_reward): each member
 *  its own permutation from the model's stream, minibatches of
 *  train_batch, the Bradley-Terry cross-entropy (with the label margin)
 *  summed over members, one Adam step per minibatch.  Returns the mean
 *  training accuracy over members; *loss gets the mean loss.  No pair: 0
 *  and nothing changes. */
PREFRL_API double prefrl_reward_model_epoch(PrefrlRewardModel *m, const PrefrlPrefs *prefs,
                                            double *loss);

/** PEBBLE's reward learning after a query round (B-Pref learn_reward): up
 *  to max_epochs passes of prefrl_reward_model_epoch(), stopping after the
 *  first pass whose mean accuracy exceeds stop_accuracy (the reference's
 *  0.97).  Logs "accuracy", "loss" and "epochs" of the round to `log`
 *  (may be NULL). */
PREFRL_API void prefrl_reward_model_learn(PrefrlRewardModel *m, const PrefrlPrefs *prefs,
                                          int max_epochs, double stop_accuracy, PrefrlLog *log);

/** Add to the ensemble's gradient slab dL/dψ of a loss whose derivative
 *  with respect to the ensemble-mean r̂ of B rows x (B, d) is dr (B): every
 *  member's output gets dr / K.  Runs its own forward passes, any B.  Zero
 *  the slab first (prefrl_ensemble_zero_grad) for a fresh gradient. */
PREFRL_API void prefrl_reward_model_backward_mean(PrefrlRewardModel *m, const float *x, int B,
                                                  const float *dr);

/* ------------------------------------------------------------------------ */
/* windows of segments (temporal crops, SURF) */

/** Draw n crops of segments stored Lseg steps long: len[i] uniform in
 *  {H − c, …, H + c}, start1[i] and start2[i] independently uniform in
 *  {0, …, Lseg − len[i]}, so both segments of a pair are cut to the same
 *  length at their own offsets (needs H + c ≤ Lseg, c < H).  Draws 3n
 *  numbers from rng. */
PREFRL_API void prefrl_reward_model_draw_crops(PrefrlRng *rng, int n, int Lseg, int H, int c,
                                               int *start1, int *start2, int *len);

/** Window logits of member k for n pairs: pair i reads segment idx[i] of
 *  seg1 and of seg2 (both (*, Lseg, d)) and sums the member's r̂ over rows
 *  [start1[i], start1[i] + len[i]) of the first and [start2[i], start2[i] +
 *  len[i]) of the second into z1[i], z2[i].  Requires 2 · Σ len ≤ max_rows.
 *  The member's cache then allows prefrl_reward_model_backward_windows()
 *  with the same len. */
PREFRL_API void prefrl_reward_model_window_logits(PrefrlRewardModel *m, int k, const float *seg1,
                                                  const float *seg2, int Lseg, const int *idx,
                                                  int n, const int *start1, const int *start2,
                                                  const int *len, float *z1, float *z2);

/** Back-propagate dL/dz1, dL/dz2 (n) of the last window_logits of member k
 *  (same n and len) into the ensemble's gradient slab (added). */
PREFRL_API void prefrl_reward_model_backward_windows(PrefrlRewardModel *m, int k, int n,
                                                     const int *len, const float *dz1,
                                                     const float *dz2);

/** The Bradley-Terry cross-entropy of member k on n windowed pairs (as
 *  window_logits: idx, start1, start2, len) against labels (n), with label
 *  margin `margin`: adds scale · ∇ Σᵢ CEᵢ to the ensemble's gradient slab
 *  and returns Σᵢ CEᵢ; *correct (may be NULL) gets the number of pairs whose
 *  windowed logits order agrees with the label.  Pairs go through the member
 *  `chunk` at a time (chunk ≥ 1, 2 · chunk · max len ≤ max_rows); the chunk
 *  changes the result only through float summation order. */
PREFRL_API double prefrl_reward_model_window_loss(PrefrlRewardModel *m, int k, const float *seg1,
                                                  const float *seg2, int Lseg, const int *idx,
                                                  const int *labels, int n, const int *start1,
                                                  const int *start2, const int *len, int chunk,
                                                  float margin, float scale, double *correct);

/** Pseudo-labels of member k for n pairs idx of (seg1, seg2), stored Lseg
 *  long, from the window [start, start + H) of both segments (no gradient):
 *  labels[i] = PREFRL_LABEL_SECOND when z2 > z1 else PREFRL_LABEL_FIRST,
 *  keep[i] = 1 iff the larger of the two softmax probabilities, σ(|z1 −
 *  z2|), is at least tau.  Pairs go `chunk` at a time (2 · chunk · H ≤
 *  max_rows).  Returns the number kept. */
PREFRL_API int prefrl_reward_model_pseudo_labels(PrefrlRewardModel *m, int k, const float *seg1,
                                                 const float *seg2, int Lseg, const int *idx,
                                                 int n, int start, int H, int chunk, double tau,
                                                 int *labels, int *keep);

/* ------------------------------------------------------------------------ */
/* checkpoints */

/** Append the members, the optimiser and the model's stream to a
 *  checkpoint (a save hook's stream; errors stick in the stream). */
PREFRL_API void prefrl_reward_model_save(const PrefrlRewardModel *m, PrefrlCkpt *out);

/** Read what prefrl_reward_model_save wrote into a model created with the
 *  same parameters; a different shape is the stream's format error. */
PREFRL_API void prefrl_reward_model_load(PrefrlRewardModel *m, PrefrlCkpt *in);

G_END_DECLS

#endif
