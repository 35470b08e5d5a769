/* reward/mrn internals, shared with its tests (plugin-local): the
 * meta-gradient of MRN's bi-level step (paper eq. 9-11, DESIGN.md "MRN's
 * bi-level step, in closed form", algorithms.md §7). */
#ifndef PREFRL_REWARD_MRN_H
#define PREFRL_REWARD_MRN_H

#include "reward_model.h"

/** Which labelled pairs the meta loss covers. */
typedef enum {
    MRN_PAIRS_RECENT = 0, /* the newest reward_batch pairs (reference code) */
    MRN_PAIRS_ALL         /* every labelled pair (paper eq. 7: E over D) */
} MrnPairs;

/** Which mask multiplies γ·V̄ in the pseudo-update's target. */
typedef enum {
    MRN_MASK_NOT_DONE = 0, /* not_done: time limits end the bootstrap (reference code) */
    MRN_MASK_NO_MAX,       /* not_done_no_max: only true terminations do (SAC's own update) */
    MRN_MASK_NONE          /* always bootstrap (paper eq. 9) */
} MrnMask;

/** Workspaces of the meta-gradient: per critic head a working copy W_h of
 *  θ_h and a pseudo-updated copy P_h holding θ̂_h, plus batch buffers.
 *  Sized at the first call for the critic view's heads and the batch size,
 *  re-sized only if those change. (opaque) */
typedef struct MrnMeta MrnMeta;

MrnMeta *mrn_meta_new(void);
void mrn_meta_free(MrnMeta *mm);

/** The meta-gradient of one bi-level step, without any parameter update:
 *
 *   r̂ᵢ = ensemble mean of m on (sᵢ, aᵢ) of data->batch (B rows),
 *   yᵢ = r̂ᵢ + maskᵢ · γ · V̄(s'ᵢ)   (V̄ from data->critic->target_value),
 *   θ̂_h = θ_h − α (2/B) Σᵢ (Q_h(sᵢ,aᵢ) − yᵢ) ∇θ Q_h(sᵢ,aᵢ)  for every head h
 *         (one plain SGD step of the MSE Bellman loss, α = data->critic->lr),
 *   L = outer_weight · Σ_h mean over the chosen pairs of the Bradley-Terry
 *       cross-entropy of (Q̂_h(s₀¹,a₀¹), Q̂_h(s₀²,a₀²)) against the label
 *       (first state-action of each segment, paper eq. 6-7; label −1 = the
 *       0.5/0.5 target),
 *   ∂L/∂r̂ᵢ = (2α/B) Σ_h ⟨∇θ̂_h L, ∇θ Q_h(sᵢ,aᵢ)⟩  (one JVP of each head),
 *
 * then back-propagated through the ensemble mean: the ensemble's gradient
 * slab is zeroed and receives dL/dψ.  The critic heads are only read.
 * *loss gets L (the loss at θ̂(ψ)), *n_pairs the pairs used (0: no labelled
 * pair, nothing computed, gradients left untouched, loss 0).  dr, when not
 * NULL, receives ∂L/∂r̂ (B floats).  FALSE with PREFRL_ERROR_CONFIG when the
 * critic view does not fit the reward model (head input ≠ obs + act or
 * output ≠ 1). */
gboolean mrn_meta_gradient(MrnMeta *mm, RewardModel *m, const PrefrlMetaData *data,
                           MrnPairs pairs, MrnMask mask, float outer_weight, double *loss,
                           int *n_pairs, float *dr, GError **error);

/** Indices of the labelled pairs the meta loss covers, into idx (capacity of
 *  prefs->capacity ints); returns how many.  RECENT: the newest
 *  min(reward_batch, count) pairs in ring order; ALL: every stored pair. */
int mrn_meta_pairs(const PrefrlPrefs *prefs, MrnPairs pairs, int reward_batch, int *idx);

/** A reward/mrn instance (the component's handle). */
typedef struct Mrn {
    RewardModel *model;
    MrnMeta *meta;
    int reward_update;          /* PEBBLE's supervised passes per query round */
    double stop_accuracy;
    int64_t num_meta_steps;     /* N */
    float outer_weight;
    MrnPairs pairs;
    MrnMask mask;
    gboolean outer_sgd;         /* plain ψ ← ψ − β g (paper eq. 12) instead of the shared Adam */
    float outer_lr;             /* β of the plain step */
    double meta_loss_sum;       /* meta losses since the last query round (for reward.csv) */
    int meta_count;
} Mrn;

#endif
