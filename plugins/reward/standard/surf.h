/* reward/surf internals, shared with its tests (plugin-local): SURF's
 * unlabelled pool, temporal crops and pseudo-labels (algorithms.md §8). */
#ifndef PREFRL_REWARD_SURF_H
#define PREFRL_REWARD_SURF_H

#include "reward_model.h"

/** A reward/surf instance (the component's handle). */
typedef struct Surf {
    RewardModel *model;
    int H;                      /* central segment length the teacher judges */
    int window, crop;           /* w (segments are stored H + 2w long), c */
    int reward_update, mu, inv_label_ratio;
    float tau, lambda;
    int64_t pool_capacity;
    PrefrlRng rng;              /* crops and index permutations */

    /* the unlabelled pool: a ring of pairs of Lseg-step segments, grown on demand */
    float *u1, *u2;             /* (u_alloc, Lseg, d) */
    int u_count, u_next, u_alloc, Lseg;

    /* per-member index streams (permutations walked by a cursor) */
    size_t *perm_l, *perm_u;    /* (K, cap_l), (K, cap_u) */
    int cap_l, cap_u, *cur_l, *cur_u;

    /* minibatch workspaces (sized for max(train_batch, mu · train_batch) pairs) */
    int mb_cap;
    int *idx, *labels, *keep, *start1, *start2, *len, *kidx, *kstart1, *kstart2, *klen,
        *klabels;
    float *z1, *z2, *dz1, *dz2;
} Surf;

/** Draw n crops: len[i] ~ U{H − c, …, H + c}, start1[i] and start2[i]
 *  independently ~ U{0, …, Lseg − len[i]}, so both segments of a pair are
 *  cut to the same length at their own offsets. */
void surf_draw_crops(PrefrlRng *rng, int n, int Lseg, int H, int c, int *start1, int *start2,
                     int *len);

/** Append n unlabelled pairs (n, Lseg, d) to the pool (ring; grows up to
 *  pool_capacity).  Lseg must equal the pool's segment length once set. */
void surf_pool_add(Surf *s, const float *seg1, const float *seg2, int n, int Lseg);

/** Pseudo-labels of member k for n pool pairs idx (no gradient): the
 *  member's logits over the central window [w, w + H) of each segment,
 *  p = softmax(z1, z2), labels[i] = argmax (ties → first), keep[i] = 1 iff
 *  max p ≥ tau.  Returns the number kept. */
int surf_pseudo_labels(Surf *s, int k, const int *idx, int n, int *labels, int *keep);

/** The cropped Bradley-Terry loss of member k on n pairs idx of (seg1,
 *  seg2) stored Lseg long, with the given labels and crops: adds
 *  scale · Σᵢ CEᵢ's gradient to the member's gradient slab and returns
 *  Σᵢ CEᵢ; *correct (may be NULL) gets the count of pairs whose cropped
 *  argmax matches the label.  Chunks the pairs to fit the workspaces. */
double surf_crop_loss(Surf *s, int k, const float *seg1, const float *seg2, int Lseg,
                      const int *idx, const int *labels, int n, const int *start1,
                      const int *start2, const int *len, float margin, float scale,
                      double *correct);

/** Gradient steps of one round: ceil(reward_update · n_labelled / train_batch). */
int surf_num_iters(const Surf *s, int n_labelled);

#endif
