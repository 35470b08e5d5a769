/* The reward-learner SDK, bi-level part: the exact gradient of a preference
 * loss on the agent's critic after one pseudo-update of that critic whose
 * Bellman targets come from the reward model — Meta-Reward-Net's meta step
 * (Liu et al. 2022, §4, eq. 9-11), for any agent exposing a critic view
 * (PrefrlCriticView, pbrl.h).
 *
 * The gradient is closed-form: the pseudo-updated parameters θ̂ depend on the
 * rewards r̂ᵢ only through the targets yᵢ, so ∂θ̂_h/∂r̂ᵢ = (2α/B) ∇θ Q_h(sᵢ,aᵢ)
 * and ∂L/∂r̂ᵢ = (2α/B) Σ_h ⟨∇θ̂_h L, ∇θ Q_h(sᵢ,aᵢ)⟩: one forward-mode JVP of
 * each critic head, no Hessian; then back through the ensemble mean into
 * the reward model's gradient slab. */
#ifndef PREFRL_REWARD_META_H
#define PREFRL_REWARD_META_H

#include <glib.h>

#include <prefrl/export.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>

G_BEGIN_DECLS

/** Which labelled pairs the meta loss covers. */
typedef enum {
    PREFRL_META_PAIRS_RECENT = 0, /* the newest reward_batch pairs (MRN's reference code) */
    PREFRL_META_PAIRS_ALL         /* every labelled pair (the paper's eq. 7: E over D) */
} PrefrlMetaPairs;

/** Which mask multiplies γ·V̄ in the pseudo-update's targets. */
typedef enum {
    PREFRL_META_MASK_NOT_DONE = 0, /* not_done: time limits end the bootstrap (reference code) */
    PREFRL_META_MASK_NO_MAX,       /* not_done_no_max: only true terminations do (SAC's update) */
    PREFRL_META_MASK_NONE          /* always bootstrap (the paper's eq. 9) */
} PrefrlMetaMask;

/** Workspaces of the meta-gradient (opaque): per critic head a working copy
 *  of θ_h and a pseudo-updated copy θ̂_h, plus batch buffers.  Sized at the
 *  first call for the critic view's heads and the batch size, re-sized only
 *  if those change. */
typedef struct PrefrlRewardMeta PrefrlRewardMeta;

/** Empty workspaces.  (transfer full: free with prefrl_reward_meta_free) */
PREFRL_API PrefrlRewardMeta *prefrl_reward_meta_new(void);

/** Free the workspaces (NULL is ignored). */
PREFRL_API void prefrl_reward_meta_free(PrefrlRewardMeta *mm);

/** Indices of the labelled pairs the meta loss covers, into idx (room for
 *  prefs->capacity ints); returns how many.  RECENT: the newest
 *  min(reward_batch, count) pairs in ring order; ALL: every stored pair. */
PREFRL_API int prefrl_reward_meta_pairs(const PrefrlPrefs *prefs, PrefrlMetaPairs pairs,
                                        int reward_batch, int *idx);

/** The meta-gradient of one bi-level step, without any parameter update:
 *
 *   r̂ᵢ = ensemble mean of m on (sᵢ, aᵢ) of data->batch (B rows),
 *   yᵢ = r̂ᵢ + maskᵢ · γ · V̄(s'ᵢ)   (V̄: data->next_value, or drawn from
 *        data->critic->target_value when that is NULL),
 *   θ̂_h = θ_h − α (2/B) Σᵢ (Q_h(sᵢ,aᵢ) − yᵢ) ∇θ Q_h(sᵢ,aᵢ)  for every head h
 *         (one plain SGD step of the MSE Bellman loss, α = data->critic->lr),
 *   L = outer_weight · Σ_h mean over the chosen pairs of the Bradley-Terry
 *       cross-entropy of (Q̂_h(s₀¹,a₀¹), Q̂_h(s₀²,a₀²)) against the label
 *       (first state-action of each segment; PREFRL_LABEL_EQUAL = the
 *       0.5/0.5 target),
 *
 * then ∂L/∂ψ into the reward model's gradient slab (zeroed first).  The
 * critic heads are only read.  *loss gets L at θ̂(ψ), *n_pairs the pairs
 * used (0: no labelled pair, nothing computed, the slab untouched, loss 0).
 * dr, when not NULL, receives ∂L/∂r̂ (B floats).  FALSE with
 * PREFRL_ERROR_CONFIG when the critic view or the batch does not fit the
 * model (head input ≠ obs + act, output ≠ 1, other widths). */
PREFRL_API gboolean prefrl_reward_meta_gradient(PrefrlRewardMeta *mm, PrefrlRewardModel *m,
                                                const PrefrlMetaData *data, PrefrlMetaPairs pairs,
                                                PrefrlMetaMask mask, float outer_weight,
                                                double *loss, int *n_pairs, float *dr,
                                                GError **error);

G_END_DECLS

#endif
