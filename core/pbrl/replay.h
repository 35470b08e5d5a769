/* Trainer-side data (core-internal): the replay buffer, the episode store
 * queries are drawn from, the preference buffer, and PEBBLE's state-entropy
 * intrinsic reward.  The true reward lives in columns only the trainer reads:
 * batches handed to agents carry whatever reward the trainer chose. */
#ifndef PREFRL_CORE_REPLAY_H
#define PREFRL_CORE_REPLAY_H

#include <prefrl/pbrl.h>
#include <prefrl/rng.h>

#include "host/checkpoint.h"

/** Transitions (never wraps: capacity = training steps, as the reference). */
typedef struct {
    int obs_dim, act_dim;
    int64_t capacity, size;
    float *obs, *act, *next_obs;   /* (capacity, dim) */
    float *reward;                 /* (capacity) learned r̂ (relabelled) */
    float *true_reward;            /* (capacity) the task reward: teacher/evaluator only */
    float *not_done, *not_done_no_max;
    /* batch workspace handed to agents */
    int max_batch;
    float *b_obs, *b_act, *b_reward, *b_next, *b_nd, *b_ndnm;
    int64_t *b_idx;
} PrefrlReplay;

PrefrlReplay *prefrl_replay_new(int obs_dim, int act_dim, int64_t capacity, int max_batch,
                                GError **error);
void prefrl_replay_free(PrefrlReplay *r);
void prefrl_replay_add(PrefrlReplay *r, const float *obs, const float *act, float reward,
                       float true_reward, const float *next_obs, int done, int done_no_max);
/** Sample B rows uniformly with replacement into the batch workspace; the
 *  batch's reward is the learned column. */
void prefrl_replay_sample(PrefrlReplay *r, PrefrlRng *rng, int B, PrefrlBatch *batch);

/** Complete episodes kept for queries: obs‖act and true reward per step,
 *  and, when the environment has a physics snapshot (nq + nv > 0), the
 *  physics state each step's observation was made in (qpos, qvel, time), so
 *  a queried segment can be rendered later.  FIFO of at most `max_episodes`. */
typedef struct {
    int obs_dim, act_dim, max_episodes;
    int nq, nv;                    /* physics state sizes; 0 + 0: no states kept */
    GPtrArray *episodes;           /* Episode* (complete) */
    struct Episode *open;          /* the episode being collected */
} PrefrlEpisodes;

/** Where a drawn segment came from: the episode's index in the store (valid
 *  until the next episode completes) and the segment's first step. */
typedef struct {
    int episode, start;
} PrefrlSegmentSource;

/** Doubles of one step's physics state: qpos (nq), qvel (nv), time. */
#define PREFRL_EPISODES_STATE_LEN(e) ((e)->nq + (e)->nv + 1)
/** Whether the store keeps physics states (it has a state size). */
#define PREFRL_EPISODES_KEEP_STATES(e) ((e)->nq + (e)->nv > 0)

PrefrlEpisodes *prefrl_episodes_new(int obs_dim, int act_dim, int nq, int nv, int max_episodes);
void prefrl_episodes_free(PrefrlEpisodes *e);
/** Append a step to the open episode; `state` is its physics state
 *  (PREFRL_EPISODES_STATE_LEN doubles), or NULL when there is none (the
 *  whole episode then has no states); `last` completes the episode. */
void prefrl_episodes_add(PrefrlEpisodes *e, const float *obs, const float *act, float true_r,
                         const double *state, gboolean last);
/** Complete episodes with at least H + 1 steps. */
int prefrl_episodes_usable(const PrefrlEpisodes *e, int H);
/** Draw n pairs of H-step segments: episodes for the second segment, then
 *  for the first, uniformly with replacement; starts uniform in [0, T−H−1].
 *  seg (n, H, obs_dim+act_dim); r (n, H) true rewards (may be NULL); src
 *  (n) where each segment came from (may be NULL).  The draws do not depend
 *  on which outputs are asked for. */
gboolean prefrl_episodes_draw(const PrefrlEpisodes *e, PrefrlRng *rng, int n, int H,
                              float *seg1, float *seg2, float *r1, float *r2,
                              PrefrlSegmentSource *src1, PrefrlSegmentSource *src2);
/** The physics state (PREFRL_EPISODES_STATE_LEN doubles) of step `step` of
 *  the segment from `src` (step 0 = its first), or NULL when that episode
 *  kept none (no snapshot, or restored from an older checkpoint) or the
 *  source is out of range. */
const double *prefrl_episodes_state(const PrefrlEpisodes *e, PrefrlSegmentSource src, int step);
/** The stored obs‖act row of step `step` of the segment from `src`, or NULL
 *  out of range. */
const float *prefrl_episodes_step(const PrefrlEpisodes *e, PrefrlSegmentSource src, int step);

/** The preference ring buffer (PrefrlPrefs is its public read-only view). */
typedef struct {
    PrefrlPrefs view;
    float *seg1, *seg2;
    int *labels;
} PrefrlPrefBuffer;

PrefrlPrefBuffer *prefrl_prefs_new(int capacity, int H, int obs_dim, int act_dim, GError **error);
void prefrl_prefs_free(PrefrlPrefBuffer *p);
void prefrl_prefs_add(PrefrlPrefBuffer *p, const float *seg1, const float *seg2, int label);

/** PEBBLE's state entropy: distance from each batch observation to its k-th
 *  nearest neighbour among all replay observations, normalised by a running
 *  standard deviation updated as the reference does (including its mean-update
 *  slip, see docs/training-loop.md). */
typedef struct {
    int k;
    double mean, var, count;       /* running statistics */
    float *dist;                   /* (B, chunk) scratch */
    float *best;                   /* (B, k+1) smallest distances so far */
    float *sq;                     /* (chunk) squared norms */
    int max_batch, chunk;
} PrefrlStateEntropy;

PrefrlStateEntropy *prefrl_state_entropy_new(int k, int max_batch);
void prefrl_state_entropy_free(PrefrlStateEntropy *s);
/** Intrinsic rewards for the batch observations (B, obs_dim) against the
 *  replay's observations: raw (B) and normalised (B). */
void prefrl_state_entropy_compute(PrefrlStateEntropy *s, const PrefrlReplay *r, const float *obs,
                                  int B, float *raw, float *normalised);

/* Checkpoint the buffers' contents and statistics (workspaces excepted).
 * Loading into buffers created for the same recipe restores them exactly;
 * a size that does not fit is a format error in the stream. */
void prefrl_replay_save(const PrefrlReplay *r, PrefrlCkpt *c);
void prefrl_replay_load(PrefrlReplay *r, PrefrlCkpt *c);
/* The episode store's section is versioned on its own: version 1 (untagged,
 * trainer.bin version 2) has no physics states, version 2 (tagged
 * "episodes") has them per episode.  Loading version 1 leaves every
 * restored episode without states (no clips of them). */
#define PREFRL_EPISODES_CKPT_VERSION 2
void prefrl_episodes_save(const PrefrlEpisodes *e, PrefrlCkpt *c);
void prefrl_episodes_load(PrefrlEpisodes *e, PrefrlCkpt *c, int version);
void prefrl_prefs_save(const PrefrlPrefBuffer *p, PrefrlCkpt *c);
void prefrl_prefs_load(PrefrlPrefBuffer *p, PrefrlCkpt *c);
void prefrl_state_entropy_save(const PrefrlStateEntropy *s, PrefrlCkpt *c);
void prefrl_state_entropy_load(PrefrlStateEntropy *s, PrefrlCkpt *c);

#endif
