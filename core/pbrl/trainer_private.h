/* The trainer's data and the pieces its two loops share (core-internal).
 *
 * A trainer is the run's components plus four kinds of data, kept apart so
 * that each has one job (MuJoCo's model / data / arena split):
 *   TrainerConfig   read once from the recipe and the components; const
 *   TrainerState    exactly what checkpoint/trainer.bin holds
 *   TrainerWork     workspaces, sized at set-up, contents meaningless between calls
 *   TrainerOnPolicy the on-policy loop's environments and rollout buffers
 *
 * Files and who calls whom (arrows point one way):
 *   trainer.c            public entry points and the off-policy loop
 *     → trainer_onpolicy.c   the on-policy loop (PrefPPO)
 *       → trainer_setup.c      configuration, components, buffers, outputs
 *         trainer_query.c      a query round, relabelling
 *         trainer_schedule.c   the size of a round (reward_schedule), the largest one
 *         trainer_update.c     agent updates of the off-policy loop
 *         trainer_eval.c       evaluation and the Q diagnostic
 *         trainer_checkpoint.c checkpoint write, resume, the end of a loop
 *         trainer_output.c     the output files, log.txt, the progress line,
 *                              the divergence guard
 * The shared files never call the loops. */
#ifndef PREFRL_CORE_TRAINER_PRIVATE_H
#define PREFRL_CORE_TRAINER_PRIVATE_H

#include <stdio.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

#include "pbrl/log.h"
#include "pbrl/replay.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"

#define RELABEL_CHUNK 1024
#define EPISODE_STORE 100   /* episodes kept for queries (the reference's max_size) */
#define RECENT_RETURNS 10   /* training episodes behind the teacher's margin */
#define Q_EPISODES 10       /* evaluation episodes of the Q diagnostic (PEBBLE paper, Table 1) */

/* queries per round over training (trainer.reward_schedule) */
typedef enum {
    TRAINER_SCHEDULE_CONSTANT,
    TRAINER_SCHEDULE_DECAY,      /* × (T − t) / T */
    TRAINER_SCHEDULE_INCREASE,   /* × T / (T − t + 1) */
} TrainerSchedule;

/* the loop's settings: the recipe's trainer section and what the components
 * report at set-up; never changed afterwards */
typedef struct {
    int64_t num_train_steps, num_seed_steps, num_unsup_steps;
    int64_t eval_frequency, checkpoint_frequency, max_feedback;
    int num_eval_episodes, reward_batch, num_interact, top_k, reset_update;
    TrainerSchedule schedule;
    int H;                       /* segment length the teacher judges */
    int Lq, lo;                  /* queried segment length (>= H) and H's offset in it */
    int max_round;               /* queries of the largest round (trainer_largest_round) */
    int max_query;               /* candidate pairs a query round may draw */
    int batch;                   /* agent batch size B (1 for an on-policy agent) */
    int64_t meta_period;         /* the reward learner's meta-step period (MRN), else 0 */
    double divergence_threshold; /* the divergence guard's bound on losses and alpha */
    double progress_interval;    /* seconds between progress lines in log.txt (0: none) */
    gboolean true_reward;        /* reward/true: no queries, r = task reward */
    gboolean on_policy;          /* the agent keeps its own rollout (trainer_onpolicy.c) */
    /* evaluation videos (trainer.save_video and the video_* keys) */
    gboolean save_video;
    const char *video_ext;       /* "webm" or "mp4" (static) */
    char *video_camera;          /* NULL: the task's default view (owned) */
    int video_width, video_height, video_fps;
    char *seed_prefs;            /* trainer.seed_prefs: a preference file, or NULL (owned) */
} TrainerConfig;

/* everything a resumed run needs besides the components' own files, in the
 * order trainer.bin holds it */
typedef struct {
    /* counters */
    int64_t step, episode, total_feedback, labeled_feedback, interact_count, rounds;
    double recent[RECENT_RETURNS];   /* true returns of recent episodes (a ring) */
    int n_recent;                    /* episodes that went into it */
    double last_eval;                /* mean return of the last evaluation, NAN before */
    /* streams */
    PrefrlRng rng;                   /* random actions, replay batches */
    PrefrlRng query_rng;             /* segment draws */
    /* the episode in progress (off-policy) */
    gboolean done;                   /* the next step starts an episode */
    int ep_step;
    double ep_reward, ep_true, ep_success;
    float *obs;                      /* (obs_dim) what the next step acts on */
    /* buffers (NULL where the run has none) */
    PrefrlReplay *replay;            /* off-policy only */
    PrefrlEpisodes *episodes;
    PrefrlPrefBuffer *prefs;         /* learned rewards only */
    PrefrlStateEntropy *entropy;
    /* metrics logged since the last rows */
    PrefrlLog *log, *reward_log;
    /* the outputs' lengths, measured when the checkpoint is written (-1: absent) */
    int64_t out_len[PREFRL_RUN_N_OUTPUTS];
} TrainerState;

/* workspaces (allocated once at set-up) */
typedef struct {
    float *next_obs, *act, *sa;                   /* one step: (obs_dim), (act_dim), (d) */
    float *chunk_sa;                              /* (RELABEL_CHUNK, d) */
    float *intrinsic_raw, *intrinsic;             /* (B) */
    float *batch_reward, *batch_value, *batch_sa; /* (B), (B), (B, d) */
    /* a query round: candidates (max_query, Lq, d) and (max_query, Lq), member
     * probabilities (K, max_query), the chosen ones (max_round, ...) */
    float *q_seg1, *q_seg2, *q_r1, *q_r2, *q_probs, *t_seg1, *t_seg2, *t_r1, *t_r2;
    int *q_chosen, *q_labels;                     /* (max_query) */
    /* where the candidates (max_query) and the chosen pairs (reward_batch)
     * came from in the episode store: the round's clips are rendered from it */
    PrefrlSegmentSource *q_src1, *q_src2, *t_src1, *t_src2;
    int clip_pairs;                               /* pairs write_clip may render (in a round) */
    /* the physics state of the step being taken (nq + nv + 1), or NULL when
     * the environment has no snapshot */
    double *state;
    /* evaluation: the observation, one recorded episode (episode_length, d)
     * and (episode_length), Q, G and the true value over Q_EPISODES episodes
     * (agents with a critic view only) */
    float *eval_obs;
    float *ep_sa, *ep_r, *ep_q, *ep_g, *ep_gt;
} TrainerWork;

/* means of the training episodes finished in a rollout (a train row's
 * episode columns) */
typedef struct {
    double reward, true_reward, success;
    int n;
} TrainerEpisodeStats;

/* the on-policy loop (PrefPPO): n_envs rollout environments stepped in
 * lockstep; t->env only evaluates and the replay is not used.  Checkpoints
 * are taken between rollouts only (at_boundary), where the agent's rollout
 * is empty: trainer.bin's on-policy section holds the episodes in progress,
 * checkpoint/env-<i>.bin the rollout environments */
typedef struct {
    int n_envs, rollout_length;
    PrefrlInstance **envs;        /* (n_envs), streams "env/1", "env/2", ... */
    float *obs, *next;            /* (n_envs, obs_dim) */
    float *act, *sa;              /* (n_envs, act_dim), (n_envs, d) */
    float *true_r;                /* (n_envs) the step's task reward: teacher and reward/true */
    float *rhat, *done, *int_raw, *intr;          /* (n_envs) */
    float *ep_sa, *ep_r;          /* episodes in progress: (n_envs, episode_length, d | 1) */
    int *ep_len;                  /* (n_envs) */
    /* the episodes' physics states in progress (n_envs, episode_length, nq +
     * nv + 1) when the episode store keeps states, else NULL; ep_has_state
     * (n_envs): FALSE for an episode restored from an older checkpoint */
    double *ep_state;
    gboolean *ep_has_state;
    double *ep_reward, *ep_true, *ep_success;     /* (n_envs) */
    PrefrlReplay *unsup;          /* observations of the unsupervised phase (k-NN) */
    TrainerEpisodeStats last;     /* the last rollout's episode columns that had episodes */
    gboolean at_boundary;         /* between rollouts: the state can be checkpointed */
} TrainerOnPolicy;

/* the progress display of a run (trainer_output.c); not checkpointed */
typedef struct {
    PrefrlProgress mode;
    double last_frame;            /* when the terminal line was last drawn */
    double last_line;             /* when the last periodic line was written */
    double ref_time;              /* the window the rate is measured over starts here, */
    int64_t ref_step;             /* at this step */
    int64_t start_step;           /* the step the loop started at (a resumed run's) */
} TrainerProgress;

struct PrefrlTrainer {
    char *run_dir;                /* NULL: nothing is written */
    /* the components the recipe names (sampler and teacher NULL with reward/true) */
    PrefrlInstance *env, *agent, *reward, *sampler, *teacher;
    const PrefrlEnvOps *eops;
    const PrefrlAgentOps *aops;
    const PrefrlRewardOps *rops;
    const PrefrlSamplerOps *sops;
    const PrefrlTeacherOps *tops;
    PrefrlEnvInfo info;
    const TrainerConfig cfg;      /* written once, by trainer_setup */
    TrainerState state;
    TrainerWork work;
    TrainerOnPolicy *op;          /* on-policy runs only */
    FILE *out[PREFRL_RUN_N_OUTPUTS]; /* open outputs in run_dir (NULL: not written) */
    int64_t resumed_at;           /* the step a resumed run started at, else -1 */
    /* resuming: the outputs' lengths checked against the checkpoint's outputs.bin */
    int64_t verified_len[PREFRL_RUN_N_OUTPUTS];
    gboolean have_verified_len;
    GError *write_error;          /* the first failed write of log.txt (trainer_say) */
    gboolean keep_checkpoint;     /* diverged or an output failed: the final checkpoint
                                   * is not written, the last good one stays */
    /* the run's stop flag while prefrl_trainer_run runs (teachers poll it), else NULL */
    volatile sig_atomic_t *stop;
    const PrefrlVideoSink *video; /* the program's encoder, or NULL: no clips, no videos */
    gboolean interactive;         /* the teacher waits for a person (PREFRL_FLAG_INTERACTIVE) */
    int seed_pairs;               /* pairs of trainer.seed_prefs in the preference buffer */
    TrainerProgress progress;
    gboolean said_no_q_true;      /* log.txt said why the Q diagnostic has no true value */
};

/* ---- trainer_setup.c ---- */

/* the trainer of a resolved recipe, off-policy parts complete (the on-policy
 * ones are the caller's); outputs created in run_dir, or with `resume`
 * opened for appending */
PrefrlTrainer *trainer_setup(const PrefrlNode *recipe, PrefrlRegistry *reg, const char *run_dir,
                             gboolean resume, GError **error);

/* free what trainer_setup made (t->op must be gone) */
void trainer_teardown(PrefrlTrainer *t);

/* a component of `kind` from the recipe's section, its stream named `stream` */
PrefrlInstance *trainer_make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                       PrefrlKind kind, const char *stream,
                                       const PrefrlEnvInfo *env, const char *run_dir,
                                       GError **error);

/* (obs ‖ act) into sa */
void trainer_concat_sa(const float *obs, const float *act, int ds, int da, float *sa);

/* ---- trainer_query.c ---- */

/* render the steps [lo, hi) of the segment from `src` into the video at
 * `path` through the installed sink (camera NULL: the task's view); FALSE
 * with a one-line error (no sink, no render op, no stored states, ...) */
gboolean trainer_write_segment_video(PrefrlTrainer *t, PrefrlSegmentSource src, int lo, int hi,
                                     const char *path, const char *camera, int width, int height,
                                     int fps, GError **error);

/* the physics state of the environment `ops`/`self` now into state
 * (nq + nv + 1 doubles); FALSE (state untouched) when it has no snapshot */
gboolean trainer_snapshot(const PrefrlTrainer *t, const PrefrlEnvOps *ops, void *self,
                          double *state);

/* one query round (candidates, sampler, teacher, preference buffer, reward
 * learning, relabel); `first`: the uniform round that ends pre-training */
gboolean trainer_query_round(PrefrlTrainer *t, gboolean first, GError **error);

/* a fresh run seeded with trainer.seed_prefs: the reward learner trains on
 * those pairs (a reward.csv row at step 0) and the replay is relabelled;
 * nothing for other runs */
gboolean trainer_learn_seed_prefs(PrefrlTrainer *t, GError **error);

/* rewrite the learned reward of every stored transition */
void trainer_relabel(PrefrlTrainer *t);

/* ---- trainer_schedule.c ---- */

/* queries of a round at `step` by trainer.reward_schedule, before the
 * budget: int(reward_batch · frac) */
int trainer_schedule_size(const TrainerConfig *c, int64_t step);

/* the most queries one round of a run can ask when its first round is at
 * `first_step` (the query buffers are sized for it): the first round's
 * schedule size, or a later round's within max_feedback */
int trainer_largest_round(const TrainerConfig *c, int64_t first_step);

/* ---- trainer_update.c ---- */

/* one agent update on a replay batch at `step`, the reward learner's batch
 * transform applied */
gboolean trainer_update(PrefrlTrainer *t, int64_t step, GError **error);

/* one agent update on the state-entropy reward (unsupervised pre-training) */
gboolean trainer_update_unsup(PrefrlTrainer *t, GError **error);

/* the reward learner's meta step, then the agent's update on its batch (MRN) */
gboolean trainer_update_meta(PrefrlTrainer *t, GError **error);

/* ---- trainer_eval.c ---- */

/* evaluate num_eval_episodes and write a row of eval.csv (and, with
 * trainer.save_video, the first episode's video) */
gboolean trainer_evaluate_and_log(PrefrlTrainer *t, GError **error);

/* at the start of a run: FALSE with a one-line error when trainer.save_video
 * is on and the environment cannot render, the camera is not one of its,
 * or no video sink is installed */
gboolean trainer_check_video(PrefrlTrainer *t, GError **error);

/* ---- trainer_checkpoint.c ---- */

/* every component's state and the trainer's to checkpoint/ */
gboolean trainer_save_checkpoint(PrefrlTrainer *t, GError **error);

/* load the checkpoint of t->run_dir into a trainer just set up from the
 * run's recipe: the trainer's state, each component's, the outputs cut back */
gboolean trainer_load_checkpoint(PrefrlTrainer *t, GError **error);

/* the end of either loop, `ok` its outcome so far: "finished" in the log,
 * the checkpoint (also after an interruption or failure, whose error stays
 * the one reported), the last progress line; returns the final outcome */
gboolean trainer_finish(PrefrlTrainer *t, gboolean ok, GTimer *timer, GError **error);

/* ---- trainer_output.c ---- */

/* open the outputs of run_dir (the preference files only with a learned
 * reward); with `resume` for appending */
gboolean trainer_open_outputs(PrefrlTrainer *t, gboolean resume, GError **error);

/* flush and close them */
void trainer_close_outputs(PrefrlTrainer *t);

/* a line to log.txt; a failed write is reported once on stderr and kept in
 * t->write_error, which stops the loop */
void trainer_say(PrefrlTrainer *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* the progress display of a loop that starts now (elapsed time 0) */
void trainer_progress_start(PrefrlTrainer *t, PrefrlProgress mode);

/* called every step with the seconds since the loop started: the terminal
 * line once a second, the periodic line every trainer.progress_interval s */
void trainer_progress_tick(PrefrlTrainer *t, double elapsed);

/* the loop ended: the last terminal frame (and its newline), or a last
 * line unless the run `failed` (its error is then the last line) */
void trainer_progress_end(PrefrlTrainer *t, double elapsed, gboolean failed);

/* flush and fsync the outputs and record their lengths in the state (for a
 * checkpoint); FALSE and an error naming the file when one cannot be written */
gboolean trainer_measure_outputs(PrefrlTrainer *t, GError **error);

/* FALSE with the first failed write of log.txt (set by trainer_say) */
gboolean trainer_outputs_ok(PrefrlTrainer *t, GError **error);

/* fail with an error naming the value, the component `who` and the step when
 * a watched metric in the logs diverged (prefrl_log_set_divergence) */
gboolean trainer_check_divergence(PrefrlTrainer *t, const PrefrlInstance *who, GError **error);

/* the end of a loop before trainer_finish: every output flushed (a failure
 * names the file), and a failure other than an interruption written to
 * log.txt ("failed: ...") */
gboolean trainer_end_outputs(PrefrlTrainer *t, gboolean ok, GError **error);

/* cut the outputs back to their lengths at the checkpoint (a resumed run):
 * verified_len when set, else the state's; an output shorter than that is
 * refused, naming it, before any output is cut.  log.txt is kept whole and
 * appended to (the history of the interrupted process included) */
gboolean trainer_restore_outputs(PrefrlTrainer *t, GError **error);

/* the checkpoint stream of outputs.bin: every output's measured length and
 * the CRC-32 of that prefix of the file (a save hook for write_state) */
gboolean trainer_write_outputs_state(void *self, PrefrlCkpt *out, GError **error);

/* before a resumed trainer opens anything: every output recorded in the
 * latest checkpoint's outputs.bin of `run_dir` exists, is at least as long
 * as recorded and begins with the recorded bytes (CRC-32).  Fills `len`
 * and sets *have; *have FALSE (and TRUE returned) for a checkpoint without
 * outputs.bin (written by an older prefrl: lengths are checked later). */
gboolean trainer_verify_outputs(const char *run_dir, int64_t len[PREFRL_RUN_N_OUTPUTS],
                                gboolean *have, GError **error);

/* ---- trainer_onpolicy.c ---- */

/* rollout environments and buffers for an agent with PREFRL_FLAG_ON_POLICY
 * (also the state-entropy estimator); their release; the loop */
gboolean trainer_onpolicy_setup(PrefrlTrainer *t, const PrefrlNode *recipe, PrefrlRegistry *reg,
                                GError **error);
void trainer_onpolicy_free(PrefrlTrainer *t);
gboolean trainer_run_on_policy(PrefrlTrainer *t, volatile sig_atomic_t *stop,
                               PrefrlProgress progress, GError **error);

#endif
