/* The trainer's state and the pieces its loops share (core-internal): the
 * off-policy loop (trainer.c, PEBBLE/SURF/MRN with SAC) and the on-policy
 * loop (trainer_onpolicy.c, PrefPPO) run on the same components, buffers,
 * query rounds, evaluation and outputs. */
#ifndef PREFRL_CORE_TRAINER_PRIVATE_H
#define PREFRL_CORE_TRAINER_PRIVATE_H

#include <stdio.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

#include "pbrl/log.h"
#include "pbrl/replay.h"
#include "pbrl/trainer.h"

#define RELABEL_CHUNK 1024
#define EPISODE_STORE 100   /* episodes kept for queries (reference max_size) */
#define RECENT_RETURNS 10   /* training episodes behind the teacher's margin */
#define Q_EPISODES 10       /* evaluation episodes of the Q-accuracy diagnostic (Table 1) */

struct PrefrlTrainer {
    char *run_dir;
    PrefrlInstance *env, *agent, *reward, *sampler, *teacher;
    const PrefrlEnvOps *eops;
    const PrefrlAgentOps *aops;
    const PrefrlRewardOps *rops;
    const PrefrlSamplerOps *sops;
    const PrefrlTeacherOps *tops;
    PrefrlEnvInfo info;
    gboolean true_reward;        /* reward/true: no queries, r = task reward */

    /* trainer parameters */
    int64_t num_train_steps, num_seed_steps, num_unsup_steps, eval_frequency;
    int num_eval_episodes, reward_batch, num_interact, top_k, reset_update, H, Lq, lo;
    int64_t max_feedback;
    const char *schedule;
    int64_t meta_period;

    PrefrlReplay *replay;
    PrefrlEpisodes *episodes;
    PrefrlPrefBuffer *prefs;
    PrefrlStateEntropy *entropy;
    PrefrlRng rng;               /* random actions, replay batches */
    PrefrlRng query_rng;         /* segment draws */

    PrefrlLog *log, *reward_log;
    FILE *train_csv, *eval_csv, *reward_csv, *labels_csv, *log_txt, *prefs_bin;

    /* counters */
    int64_t step, total_feedback, labeled_feedback, interact_count, episode, rounds;
    double recent[RECENT_RETURNS];
    int n_recent;
    double last_eval;

    /* the episode in progress and the checkpoint schedule (all checkpointed,
     * so a resumed run continues mid-episode exactly where it stopped) */
    gboolean done;               /* the next step starts an episode */
    double ep_reward, ep_true, ep_success;
    int ep_step;
    int64_t checkpoint_frequency;
    int64_t resumed_at;          /* the step a resumed run started at, else -1 */

    /* workspaces (allocated once) */
    float *obs, *next_obs, *act, *sa, *chunk_sa, *chunk_r;
    float *intrinsic_raw, *intrinsic, *batch_reward, *batch_value, *batch_sa;
    int max_query;               /* candidate pairs the buffers hold */
    float *q_seg1, *q_seg2, *q_r1, *q_r2, *q_probs, *t_seg1, *t_seg2, *t_r1, *t_r2;
    int *q_chosen, *q_labels;
    float *ep_sa, *ep_r;         /* one evaluation episode for the Q diagnostic */
    float *ep_q, *ep_g;          /* Q and G over its Q_EPISODES episodes */

    /* on-policy (trainer_onpolicy.c, PrefPPO): n_envs rollout environments
     * stepped in lockstep (t->env only evaluates); the replay is not used */
    gboolean on_policy;
    int n_envs, rollout_length;
    PrefrlInstance **envs;       /* (n_envs), streams "env/1", "env/2", ... */
    float *op_obs, *op_next;     /* (n_envs, obs_dim) */
    float *op_act, *op_sa;       /* (n_envs, act_dim), (n_envs, obs_dim + act_dim) */
    float *op_true;              /* (n_envs) task reward of the step: teacher/true reward only */
    float *op_rhat, *op_done, *op_int_raw, *op_int; /* (n_envs) */
    float *op_ep_sa, *op_ep_r;   /* episodes in progress: (n_envs, episode_length, ...) */
    int *op_ep_len;
    double *op_ep_reward, *op_ep_true, *op_ep_success;
    PrefrlReplay *op_unsup;      /* observations of the unsupervised phase (k-NN) */
};

/* a line to log.txt (and stderr when verbose) */
void trainer_say(PrefrlTrainer *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* a component of `kind` from the recipe's section, its stream named after the kind */
PrefrlInstance *trainer_make_component(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                       PrefrlKind kind, const PrefrlEnvInfo *env,
                                       const char *run_dir, GError **error);

/* the same with the stream named `stream` (several instances of a kind) */
PrefrlInstance *trainer_make_component_stream(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                              PrefrlKind kind, const char *stream,
                                              const PrefrlEnvInfo *env, const char *run_dir,
                                              GError **error);

/* (obs ‖ act) into sa */
void trainer_concat_sa(const float *obs, const float *act, int ds, int da, float *sa);

/* one query round (candidates, sampler, teacher, preference buffer, reward
 * learning, relabel); `first`: the uniform round that ends pre-training */
gboolean trainer_query_round(PrefrlTrainer *t, gboolean first, GError **error);

/* evaluate num_eval_episodes and write a row of eval.csv */
gboolean trainer_evaluate_and_log(PrefrlTrainer *t, GError **error);

/* every component's state to checkpoint/<kind>.bin */
gboolean trainer_save_checkpoint(PrefrlTrainer *t, GError **error);

/* the one-line progress display on stderr */
void trainer_progress_line(PrefrlTrainer *t, double elapsed);

/* the end of either loop, `ok` its outcome so far: "finished" in the log,
 * the checkpoint (also after an interruption or failure, whose error stays
 * the one reported), the last progress line; returns the final outcome */
gboolean trainer_finish(PrefrlTrainer *t, gboolean ok, gboolean progress, GTimer *timer,
                        GError **error);

/* on-policy (trainer_onpolicy.c): rollout environments and buffers for an
 * agent with PREFRL_FLAG_ON_POLICY (also sets t->entropy); their release;
 * the loop prefrl_trainer_run dispatches to */
gboolean trainer_onpolicy_setup(PrefrlTrainer *t, const PrefrlNode *recipe, PrefrlRegistry *reg,
                                GError **error);
void trainer_onpolicy_free(PrefrlTrainer *t);
gboolean trainer_run_on_policy(PrefrlTrainer *t, volatile sig_atomic_t *stop, gboolean progress,
                               GError **error);

#endif
