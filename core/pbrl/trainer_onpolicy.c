/* The on-policy loop: PrefPPO (algorithms.md §9; paper §5) around an agent
 * with PREFRL_FLAG_ON_POLICY.
 *
 *   repeat until num_train_steps environment steps (summed over all envs):
 *     one rollout: n_envs environments stepped in lockstep for
 *     rollout_length steps; each step the agent acts, the environments
 *     step, the agent is given a reward for each env — the state-entropy
 *     intrinsic reward while steps < num_unsup_steps, else the learned r̂ on
 *     (raw obs, clipped action), or the task reward with reward/true — and
 *     finished episodes go to the episode store (true reward: teacher only)
 *     and restart; query rounds at episode ends once num_interact steps
 *     passed since the last one, while the budget lasts;
 *     then the agent's update on the rollout, one train.csv row, and an
 *     evaluation once eval_frequency steps passed since the last one.
 *   The first rollout at or past num_unsup_steps starts with the first
 *   (uniform) query round and, after pre-training, the agent's value head
 *   reset.
 *
 * Intrinsic reward (§9): the distance of each raw observation to its k-th
 * nearest neighbour (k = topK) among the observations of the unsupervised
 * phase so far, divided by a running std (PrefrlStateEntropy, as PEBBLE).
 *
 * t->env is the evaluation environment only (stream "env"); rollout
 * environment i has its own stream "env/<i+1>", so evaluation never
 * disturbs a rollout and draws other initial states.  trainer.num_seed_steps
 * and reset_update are SAC settings and are not used here. */
#include "config.h"
#include <math.h>
#include <string.h>

#include "host/schema.h"
#include "pbrl/trainer_private.h"

gboolean trainer_onpolicy_setup(PrefrlTrainer *t, const PrefrlNode *recipe, PrefrlRegistry *reg,
                                GError **error)
{
    const int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    const int L = t->info.episode_length;
    t->on_policy = TRUE;
    t->n_envs = t->aops->n_envs(t->agent->self);
    t->rollout_length = t->aops->rollout_length(t->agent->self);
    if (t->n_envs < 1 || t->rollout_length < 1 || L < 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "agent/%s asks for %d environments and rollouts of %d steps; both must be "
                    ">= 1 (and the episode length %d too)",
                    t->agent->component->name, t->n_envs, t->rollout_length, L);
        return FALSE;
    }
    const int n = t->n_envs;
    t->envs = g_new0(PrefrlInstance *, n);
    for (int i = 0; i < n; i++) {
        char *stream = g_strdup_printf("env/%d", i + 1);
        t->envs[i] = trainer_make_component_stream(recipe, reg, PREFRL_KIND_ENV, stream, NULL,
                                                   t->run_dir, error);
        g_free(stream);
        if (!t->envs[i])
            return FALSE;
    }
    t->op_obs = g_new0(float, (gsize)n * ds);
    t->op_next = g_new0(float, (gsize)n * ds);
    t->op_act = g_new0(float, (gsize)n * da);
    t->op_sa = g_new0(float, (gsize)n * d);
    t->op_true = g_new0(float, n);
    t->op_rhat = g_new0(float, n);
    t->op_done = g_new0(float, n);
    t->op_int_raw = g_new0(float, n);
    t->op_int = g_new0(float, n);
    t->op_ep_sa = g_try_new(float, (gsize)n * L * d);
    t->op_ep_r = g_try_new(float, (gsize)n * L);
    if (!t->op_ep_sa || !t->op_ep_r) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate the episodes in progress of %d environments", n);
        return FALSE;
    }
    t->op_ep_len = g_new0(int, n);
    t->op_ep_reward = g_new0(double, n);
    t->op_ep_true = g_new0(double, n);
    t->op_ep_success = g_new0(double, n);
    if (t->num_unsup_steps > 0) {
        /* every observation of the unsupervised phase, which runs whole rollouts */
        int64_t per = (int64_t)n * t->rollout_length;
        int64_t seen = (t->num_unsup_steps + per - 1) / per * per;
        if (!(t->op_unsup = prefrl_replay_new(ds, da, seen + 100, 1, error)))
            return FALSE;
    }
    t->entropy = prefrl_state_entropy_new(t->top_k, n);
    return TRUE;
}

void trainer_onpolicy_free(PrefrlTrainer *t)
{
    if (t->envs)
        for (int i = 0; i < t->n_envs; i++)
            prefrl_instance_free(t->envs[i]);
    g_free(t->envs);
    float *bufs[] = {t->op_obs, t->op_next, t->op_act, t->op_sa, t->op_true, t->op_rhat,
                     t->op_done, t->op_int_raw, t->op_int, t->op_ep_sa, t->op_ep_r};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(t->op_ep_len);
    g_free(t->op_ep_reward);
    g_free(t->op_ep_true);
    g_free(t->op_ep_success);
    prefrl_replay_free(t->op_unsup);
}

static const PrefrlEnvOps *env_ops(PrefrlTrainer *t, int i)
{
    return t->envs[i]->component->ops;
}

static gboolean reset_env(PrefrlTrainer *t, int i, GError **error)
{
    t->op_ep_len[i] = 0;
    t->op_ep_reward[i] = t->op_ep_true[i] = t->op_ep_success[i] = 0;
    t->episode++;
    return env_ops(t, i)->reset(t->envs[i]->self, t->op_obs + (gsize)i * t->info.obs_dim, error);
}

/* per-rollout means of the finished episodes' statistics */
typedef struct {
    double reward, true_reward, success;
    int n;
} EpisodeStats;

/* env i's episode has ended: to the episode store and the teacher's margin */
static void finish_episode(PrefrlTrainer *t, int i, EpisodeStats *acc)
{
    const int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    const int L = t->info.episode_length, len = t->op_ep_len[i];
    const float *sa = t->op_ep_sa + (gsize)i * L * d;
    for (int k = 0; k < len; k++)
        prefrl_episodes_add(t->episodes, sa + (gsize)k * d, sa + (gsize)k * d + ds,
                            t->op_ep_r[(gsize)i * L + k], k == len - 1);
    t->recent[t->n_recent++ % RECENT_RETURNS] = t->op_ep_true[i];
    acc->reward += t->op_ep_reward[i];
    acc->true_reward += t->op_ep_true[i];
    acc->success += t->op_ep_success[i];
    acc->n++;
}

/* the state-entropy reward of this step's observations (raw), against every
 * observation of the unsupervised phase including them */
static void intrinsic_reward(PrefrlTrainer *t)
{
    const int n = t->n_envs, ds = t->info.obs_dim;
    for (int i = 0; i < n; i++)
        if (t->op_unsup->size < t->op_unsup->capacity)
            prefrl_replay_add(t->op_unsup, t->op_obs + (gsize)i * ds, t->op_act, 0.0f, 0.0f,
                              t->op_obs + (gsize)i * ds, 0, 0);
    prefrl_state_entropy_compute(t->entropy, t->op_unsup, t->op_obs, n, t->op_int_raw, t->op_int);
    double m = 0, nm = 0;
    float mn = INFINITY, mx = -INFINITY, nmn = INFINITY, nmx = -INFINITY;
    for (int i = 0; i < n; i++) {
        m += t->op_int_raw[i];
        nm += t->op_int[i];
        mn = fminf(mn, t->op_int_raw[i]);
        mx = fmaxf(mx, t->op_int_raw[i]);
        nmn = fminf(nmn, t->op_int[i]);
        nmx = fmaxf(nmx, t->op_int[i]);
    }
    prefrl_log_scalar(t->log, "train_critic/entropy", m / n);
    prefrl_log_scalar(t->log, "train_critic/entropy_max", mx);
    prefrl_log_scalar(t->log, "train_critic/entropy_min", mn);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy", nm / n);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy_max", nmx);
    prefrl_log_scalar(t->log, "train_critic/norm_entropy_min", nmn);
}

/* one lockstep step of every rollout environment; *ended: an episode ended */
static gboolean rollout_step(PrefrlTrainer *t, int k, gboolean pretraining, EpisodeStats *acc,
                             gboolean *ended, GError **error)
{
    const int n = t->n_envs, ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    const int L = t->info.episode_length;
    t->aops->rollout_act(t->agent->self, k, t->op_obs, t->op_act);
    for (int i = 0; i < n; i++) {
        PrefrlEnvStep st = {0};
        if (!env_ops(t, i)->step(t->envs[i]->self, t->op_act + (gsize)i * da,
                                 t->op_next + (gsize)i * ds, &st, error))
            return FALSE;
        if (!isfinite(st.reward)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "env/%s returned a non-finite reward at step %lld",
                        t->envs[i]->component->name, (long long)t->step);
            return FALSE;
        }
        int len = t->op_ep_len[i]++;
        trainer_concat_sa(t->op_obs + (gsize)i * ds, t->op_act + (gsize)i * da, ds, da,
                          t->op_ep_sa + ((gsize)i * L + len) * d);
        t->op_ep_r[(gsize)i * L + len] = st.reward;
        t->op_true[i] = st.reward;
        t->op_done[i] = st.terminal || st.truncated || t->op_ep_len[i] >= L;
        t->op_ep_true[i] += st.reward;
        t->op_ep_success[i] = MAX(t->op_ep_success[i], st.success ? 1.0 : 0.0);
    }
    /* what the agent learns from; the task reward only with reward/true */
    const float *reward = t->op_true;
    if (!t->true_reward) {
        for (int i = 0; i < n; i++)
            trainer_concat_sa(t->op_obs + (gsize)i * ds, t->op_act + (gsize)i * da, ds, da,
                              t->op_sa + (gsize)i * d);
        t->rops->predict(t->reward->self, t->step, t->op_sa, n, t->op_rhat);
        reward = t->op_rhat;
    }
    for (int i = 0; i < n; i++)
        t->op_ep_reward[i] += reward[i];
    if (pretraining) {
        intrinsic_reward(t);
        reward = t->op_int;
    }
    t->aops->rollout_reward(t->agent->self, k, reward, t->op_done);

    t->step += n;
    t->interact_count += n;
    *ended = FALSE;
    for (int i = 0; i < n; i++) {
        if (t->op_done[i]) {
            finish_episode(t, i, acc);
            *ended = TRUE;
            if (!reset_env(t, i, error))
                return FALSE;
        } else {
            memcpy(t->op_obs + (gsize)i * ds, t->op_next + (gsize)i * ds, sizeof(float) * ds);
        }
    }
    return TRUE;
}

/* the episode columns of a train row: means over the episodes finished in
 * this rollout, or the previous row's when none finished */
static void log_episodes(PrefrlTrainer *t, const EpisodeStats *acc, EpisodeStats *last)
{
    if (acc->n > 0) {
        last->reward = acc->reward / acc->n;
        last->true_reward = acc->true_reward / acc->n;
        last->success = acc->success / acc->n;
        last->n = acc->n;
    }
    prefrl_log_scalar(t->log, "train/episode_reward", last->reward);
    prefrl_log_scalar(t->log, "train/true_episode_reward", last->true_reward);
    prefrl_log_scalar(t->log, "train/total_feedback", (double)t->total_feedback);
    prefrl_log_scalar(t->log, "train/labeled_feedback", (double)t->labeled_feedback);
    prefrl_log_scalar(t->log, "train/episode", (double)t->episode);
    if (t->info.has_success) {
        prefrl_log_scalar(t->log, "train/episode_success", last->success);
        prefrl_log_scalar(t->log, "train/true_episode_success", last->success);
    }
}

gboolean trainer_run_on_policy(PrefrlTrainer *t, volatile sig_atomic_t *stop, gboolean progress,
                               GError **error)
{
    const int n = t->n_envs, T = t->rollout_length;
    GTimer *timer = g_timer_new(), *roll_timer = g_timer_new();
    double last_progress = -1;
    gboolean ok = TRUE, learning = FALSE;
    int64_t next_eval = t->eval_frequency;
    EpisodeStats last = {0};
    trainer_say(t, "training (on-policy): env/%s x %d, agent/%s (rollouts of %d steps), "
                   "reward/%s, %lld steps",
                t->env->component->name, n, t->agent->component->name, T,
                t->reward->component->name, (long long)t->num_train_steps);
    if (t->num_seed_steps > 0)
        trainer_say(t, "trainer.num_seed_steps (%lld) is not used by an on-policy agent",
                    (long long)t->num_seed_steps);

    for (int i = 0; ok && i < n; i++)
        ok = reset_env(t, i, error);
    while (ok && t->step < t->num_train_steps) {
        const gboolean pretraining = t->step < t->num_unsup_steps;
        if (!pretraining && !learning) {
            /* the end of pre-training (§9): first labels, then a fresh value head */
            learning = TRUE;
            if (!t->true_reward) {
                t->interact_count = 0;
                ok = trainer_query_round(t, TRUE, error);
            }
            if (ok && t->step > 0 && t->aops->reset_critic)
                t->aops->reset_critic(t->agent->self);
            if (!ok)
                break;
        }
        g_timer_start(roll_timer);
        EpisodeStats acc = {0};
        for (int k = 0; ok && k < T; k++) {
            if (stop && *stop) {
                g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED,
                            "interrupted at step %lld", (long long)t->step);
                trainer_say(t, "interrupted");
                ok = FALSE;
                break;
            }
            gboolean ended;
            if (!(ok = rollout_step(t, k, pretraining, &acc, &ended, error)))
                break;
            if (ended && !pretraining && !t->true_reward &&
                t->total_feedback < t->max_feedback && t->interact_count >= t->num_interact) {
                ok = trainer_query_round(t, FALSE, error);
                t->interact_count = 0;
            }
            if (progress) {
                double now = g_timer_elapsed(timer, NULL);
                if (now - last_progress >= 1.0) {
                    trainer_progress_line(t, now);
                    last_progress = now;
                }
            }
        }
        if (!ok)
            break;
        double done_frac = (double)t->step / (double)t->num_train_steps;
        if (!(ok = t->aops->rollout_update(t->agent->self, t->op_obs, t->step, done_frac,
                                           pretraining, t->log, error)))
            break;
        prefrl_log_scalar(t->log, "train/duration", g_timer_elapsed(roll_timer, NULL));
        log_episodes(t, &acc, &last);
        if (!(ok = prefrl_log_dump_train(t->log, t->step, error)))
            break;
        if (t->step >= next_eval) {
            ok = trainer_evaluate_and_log(t, error);
            while (next_eval <= t->step)
                next_eval += t->eval_frequency;
        }
    }
    ok = trainer_finish(t, ok, progress, timer, error);
    g_timer_destroy(timer);
    g_timer_destroy(roll_timer);
    return ok;
}
