/* The preference-based RL contract between the trainer (core) and the agent,
 * reward, sampler and teacher components: the data they exchange and their
 * function tables.
 *
 * Information flow, enforced by what each table receives:
 *  - the true (task) reward reaches only the teacher (PrefrlTeacherQuery) and
 *    the evaluator; agents see a PrefrlBatch whose `reward` is what the
 *    trainer put there (learned r̂, or the intrinsic reward during
 *    pre-training), reward learners and samplers see segments of
 *    observations and actions only. */
#ifndef PREFRL_PBRL_H
#define PREFRL_PBRL_H

#include <signal.h>
#include <stdint.h>
#include <glib.h>

#include <prefrl/error.h>
#include <prefrl/log.h>
#include <prefrl/nn.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* agents */

/** A batch of transitions for one agent update (all arrays owned by the
 *  trainer, valid during the call). */
typedef struct PrefrlBatch {
    int size;                     /* B */
    int obs_dim, act_dim;
    const float *obs;             /* (B, obs_dim) */
    const float *action;          /* (B, act_dim) */
    const float *reward;          /* (B) the reward to learn from (never the true reward) */
    const float *next_obs;        /* (B, obs_dim) */
    const float *not_done;        /* (B) 0 where the episode ended (also time limits) */
    const float *not_done_no_max; /* (B) 0 only at true terminations: the bootstrap mask */
    /** (B) or NULL: the bootstrapped value V̄(s') already drawn for this batch
     *  through the critic view (MRN's meta step and the update after it share
     *  one V̄, see docs/reward-learners.md); an agent with a critic view uses it
     *  instead of drawing a' again. */
    const float *next_value;
} PrefrlBatch;

/** What SAC-like agents expose for MRN's bi-level step: the critic heads,
 *  their learning rate, and the bootstrapped target value. */
typedef struct PrefrlCriticView {
    uint32_t struct_size;
    int n_heads;                  /* number of Q networks (SAC: 2) */
    PrefrlMlp *const *heads;      /* Q_h(obs‖act) → 1, (transfer none) */
    float lr;                     /* the critic's learning rate (MRN's inner step) */
    float discount;               /* γ */
    /** V̄(s') = min_h Q̄_h(s', a') − α log π(a'|s') with a' ~ π(·|s') from the
     *  agent's own stream and its target networks; next_obs (B, obs_dim) →
     *  v (B).  No parameter is changed. */
    void (*target_value)(void *agent, const float *next_obs, int B, float *v);
    void *agent;
} PrefrlCriticView;

/** Function table of an agent component (PREFRL_KIND_AGENT). */
typedef struct PrefrlAgentOps {
    uint32_t struct_size;
    /** Action for one observation (obs_dim) into action (act_dim, in [-1, 1]);
     *  deterministic = the policy mode (evaluation), else a sample from the
     *  agent's own stream. */
    void (*act)(void *self, const float *obs, gboolean deterministic, float *action);
    /** Transitions per update batch (e.g. SAC's batch_size). */
    int (*batch_size)(void *self);
    /** One gradient update from `batch`; `step` is the trainer's step counter
     *  for update frequencies.  Logs its losses to `log`. */
    gboolean (*update)(void *self, const PrefrlBatch *batch, int64_t step, PrefrlLog *log,
                       GError **error);
    /** Re-initialise the critic (and its target and optimiser) as PEBBLE does
     *  when pre-training ends; optional. */
    void (*reset_critic)(void *self);
    /** The critic view, or NULL (optional; required by PREFRL_FLAG_CRITIC_VIEW). */
    const PrefrlCriticView *(*critic_view)(void *self);

    /* ---- on-policy agents (PREFRL_FLAG_ON_POLICY, PPO) ----------------------
     * Instead of update(), the trainer steps n_envs environments in lockstep
     * for rollout_length steps, calling rollout_act then rollout_reward at
     * each step t, then rollout_update.  The agent keeps the rollout itself
     * (observations, raw actions, values, log-probabilities); the trainer
     * supplies the rewards to learn from (learned r̂, or the intrinsic reward
     * during unsupervised pre-training), never the true reward.  reset_critic
     * re-initialises the value head when pre-training ends.  batch_size and
     * update are unused (may be NULL). */
    /** Environments stepped in lockstep (PPO's n_envs). */
    int (*n_envs)(void *self);
    /** Steps per environment in one rollout (PPO's n_steps). */
    int (*rollout_length)(void *self);
    /** Rollout step t: obs (n_envs, obs_dim) → action (n_envs, act_dim) in
     *  [-1, 1], sampled from the agent's own stream and recorded. */
    void (*rollout_act)(void *self, int t, const float *obs, float *action);
    /** Rollout step t's outcome: reward (n_envs) to learn from, and done
     *  (n_envs) 1 where the step ended an episode (the next observation is a
     *  reset's). */
    void (*rollout_reward)(void *self, int t, const float *reward, const float *done);
    /** The rollout is complete: last_obs (n_envs, obs_dim) follows its last
     *  step.  Advantages, then the epochs of minibatch updates.  `progress`
     *  is the fraction of training done (0..1, for schedules); `pretraining`
     *  selects the unsupervised phase's settings. */
    gboolean (*rollout_update)(void *self, const float *last_obs, int64_t step, double progress,
                               gboolean pretraining, PrefrlLog *log, GError **error);
} PrefrlAgentOps;

/* ------------------------------------------------------------------------ */
/* preference data */

/** Label values. */
enum {
    PREFRL_LABEL_FIRST = 0,   /* the first segment is preferred */
    PREFRL_LABEL_SECOND = 1,  /* the second segment is preferred */
    PREFRL_LABEL_EQUAL = -1,  /* equally preferable (soft target 0.5/0.5) */
    PREFRL_LABEL_SKIP = -2    /* the teacher declined: the pair is dropped */
};

/** The labelled pairs (a ring buffer kept by the trainer; read-only for
 *  components).  Row i of seg1/seg2 is (H, obs_dim + act_dim). */
typedef struct PrefrlPrefs {
    int count;                    /* valid rows: min(pairs added, capacity) */
    int capacity;
    int next;                     /* ring index where the next pair goes */
    int64_t total;                /* pairs ever added */
    int H, obs_dim, act_dim;
    const float *seg1, *seg2;     /* (capacity, H, obs_dim + act_dim) */
    const int *labels;            /* (capacity) PREFRL_LABEL_FIRST/SECOND/EQUAL */
} PrefrlPrefs;

/** What a reward learner's train() receives. */
typedef struct PrefrlRewardData {
    uint32_t struct_size;
    int64_t step;                 /* the trainer's step counter */
    const PrefrlPrefs *prefs;
    int n_new;                    /* pairs added by the query round just finished */
    int queries;                  /* pairs asked in that round (mb) */
    /** Draw n unlabelled pairs of segments uniformly from the stored episodes
     *  (SURF's pool): seg1, seg2 (n, H, obs_dim + act_dim).  FALSE when no
     *  complete episode is stored yet. */
    gboolean (*draw_pairs)(void *ctx, int n, float *seg1, float *seg2);
    void *draw_ctx;
} PrefrlRewardData;

/** What a reward learner's meta step receives (MRN). */
typedef struct PrefrlMetaData {
    uint32_t struct_size;
    const PrefrlCriticView *critic;
    const PrefrlBatch *batch;     /* the agent's batch for this step (reward unused) */
    const PrefrlPrefs *prefs;
    int reward_batch;             /* the trainer's reward_batch (newest pairs) */
    int64_t step;
    /** (B) V̄(s') of the batch from critic->target_value, drawn once by the
     *  trainer and shared with the agent's update that follows (or NULL: the
     *  reward learner draws it). */
    const float *next_value;
} PrefrlMetaData;

/** Function table of a reward component (PREFRL_KIND_REWARD). */
typedef struct PrefrlRewardOps {
    uint32_t struct_size;
    /** r̂ for B rows of obs‖act (B, obs_dim + act_dim) into r (B): the
     *  ensemble mean.  B may be anything; implementations chunk internally.
     *  `step` is the trainer's step counter (every reward op receives it;
     *  the run's total is PrefrlContext.total_steps). */
    void (*predict)(void *self, int64_t step, const float *obs_act, int B, float *r);
    /** Ensemble size K (0 for a reward without members). */
    int (*n_members)(void *self);
    /** Per-member P_k(seg2 ≻ seg1) for n pairs of H-step segments (n, H,
     *  obs_dim + act_dim) into probs (K, n). */
    void (*member_probs)(void *self, int64_t step, const float *seg1, const float *seg2, int n,
                         int H, float *probs);
    /** Segment length the learner wants queried (SURF: H + 2·window), given
     *  the trainer's H. */
    int (*query_length)(void *self, int H);
    /** Learn from the preference buffer after a query round. */
    gboolean (*train)(void *self, const PrefrlRewardData *data, PrefrlLog *log, GError **error);
    /** Steps between meta steps (0 = none); optional. */
    int64_t (*meta_period)(void *self);
    /** The bi-level step (MRN); optional, required when meta_period > 0. */
    gboolean (*meta_step)(void *self, const PrefrlMetaData *data, PrefrlLog *log,
                          GError **error);
    /** Optional: transform the rewards of an agent's batch at update time,
     *  just before the agent learns from it.  reward (B) holds what the
     *  replay stored for the batch's transitions (r̂ at insertion or at the
     *  last relabelling) and is rewritten in place; RUNE adds its
     *  exploration bonus here with the coefficient of the current step.
     *  The batch's own reward pointer is that same array. */
    gboolean (*batch_reward)(void *self, int64_t step, const PrefrlBatch *batch, float *reward,
                             PrefrlLog *log, GError **error);
} PrefrlRewardOps;

/** Component flag of reward/true: the trainer stores the environment's own
 *  reward in the replay and asks no queries (the SAC upper bound). */
#define PREFRL_FLAG_TRUE_REWARD (1u << 2)

/* ------------------------------------------------------------------------ */
/* query samplers */

/** Candidate pairs for one query round.  Segments are (n, H, obs_dim + act_dim). */
typedef struct PrefrlCandidates {
    int n, H, obs_dim, act_dim;
    const float *seg1, *seg2;
    int K;                        /* ensemble members (0: no probabilities) */
    const float *probs;           /* (K, n) P_k(seg2 ≻ seg1) */
    const PrefrlPrefs *labelled;  /* pairs labelled so far (k-center's centres) */
} PrefrlCandidates;

/** Function table of a sampler component (PREFRL_KIND_SAMPLER). */
typedef struct PrefrlSamplerOps {
    uint32_t struct_size;
    /** Candidate pairs to draw uniformly for mb queries (uniform: mb;
     *  others: mb · large_batch). */
    int (*n_candidates)(void *self, int mb);
    /** Choose mb distinct candidates: indices into c (mb ints). */
    gboolean (*select)(void *self, const PrefrlCandidates *c, int mb, int *chosen,
                       GError **error);
} PrefrlSamplerOps;

/* ------------------------------------------------------------------------ */
/* teachers */

/** One batch of queries for a teacher. */
typedef struct PrefrlTeacherQuery {
    uint32_t struct_size;
    int n, H;                     /* pairs, steps per segment */
    const float *r1, *r2;         /* (n, H) true rewards of each segment */
    int lo, hi;                   /* the steps [lo, hi) the teacher judges (SURF: the centre) */
    double margin;                /* mean true return of an (hi-lo)-step segment, last 10 episodes */
    gboolean first;               /* the first query round (thresholds set afresh) */
    int obs_dim, act_dim;
    const float *seg1, *seg2;     /* (n, H, obs_dim + act_dim), for teachers that look */
    /* Appended later: read them only when struct_size covers them. */
    int64_t round;                /* this query round, 1-based */
    int64_t step;                 /* the trainer's step counter */
    int64_t budget_left;          /* labels the run may still ask after this round */
    /** Non-zero once the run is asked to stop (Ctrl-C, SIGTERM).  A teacher
     *  that waits for a person polls it and then returns FALSE with
     *  PREFRL_ERROR_INTERRUPTED; the run keeps the checkpoint written before
     *  the round (PREFRL_FLAG_INTERACTIVE), so `prefrl resume` asks this
     *  round again.  May be NULL. */
    const volatile sig_atomic_t *stop;
    /** Write the judged steps [lo, hi) of pair i's segment `which` (0: seg1,
     *  1: seg2) as a video file at `path` (.webm or .mp4) of width x height
     *  frames seen from `camera` (NULL: the task's default view) at `fps`
     *  frames per second, rendered from the physics states the episode store
     *  kept.  NULL when this run cannot make clips (the environment does not
     *  render, or the program has no video encoder). */
    gboolean (*write_clip)(void *clip_ctx, int i, int which, const char *path,
                           const char *camera, int width, int height, int fps, GError **error);
    void *clip_ctx;
    /** Print one line (no newline) to the terminal and the run's log.txt,
     *  e.g. where the labelling page is; never NULL in a run. */
    void (*say)(void *say_ctx, const char *line);
    void *say_ctx;
} PrefrlTeacherQuery;

/** Component flag of a teacher that waits for a person (human, file): the
 *  trainer writes a checkpoint before each query round, and a round the
 *  teacher abandons with PREFRL_ERROR_INTERRUPTED resumes from it. */
#define PREFRL_FLAG_INTERACTIVE (1u << 3)

/** Function table of a teacher component (PREFRL_KIND_TEACHER). */
typedef struct PrefrlTeacherOps {
    uint32_t struct_size;
    /** Label each pair: labels (n) of PREFRL_LABEL_FIRST/SECOND/EQUAL/SKIP. */
    gboolean (*label)(void *self, const PrefrlTeacherQuery *q, int *labels, GError **error);
} PrefrlTeacherOps;

G_END_DECLS

#endif
