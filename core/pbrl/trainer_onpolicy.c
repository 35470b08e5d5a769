/* The on-policy loop: PrefPPO (Lee et al., "B-Pref", NeurIPS 2021 Datasets
 * and Benchmarks) around an agent with PREFRL_FLAG_ON_POLICY.
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
 * Checkpoints and stop requests (Ctrl-C) are taken between rollouts only,
 * where the agent's rollout buffer is empty: a stop request lets the
 * current rollout, its update, row and evaluation finish first.  The
 * checkpoint then holds the rollout environments (env-<i>.bin, their save
 * hooks), the episodes in progress and the unsupervised phase's
 * observations (trainer.bin's on-policy section, trainer_checkpoint.c),
 * and everything else the loop keeps follows from the step, so a resumed
 * run writes the uninterrupted one's outputs.  After a failure inside a
 * rollout no checkpoint is written (the last one stays).
 *
 * Intrinsic reward: the distance of each raw observation to its k-th
 * nearest neighbour (k = topK) among the observations of the unsupervised
 * phase so far, divided by a running std (PrefrlStateEntropy, as PEBBLE).
 *
 * It uses the shared pieces of trainer_private.h (set-up, query rounds,
 * evaluation, the end of a loop) and keeps its own parts in TrainerOnPolicy.
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
    TrainerOnPolicy *op = t->op = g_new0(TrainerOnPolicy, 1);
    op->n_envs = t->aops->n_envs(t->agent->self);
    op->rollout_length = t->aops->rollout_length(t->agent->self);
    if (op->n_envs < 1 || op->rollout_length < 1 || L < 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "agent/%s asks for %d environments and rollouts of %d steps; both must be "
                    ">= 1 (and the episode length %d too)",
                    t->agent->component->name, op->n_envs, op->rollout_length, L);
        op->n_envs = 0;
        return FALSE;
    }
    const int n = op->n_envs;
    op->envs = g_new0(PrefrlInstance *, n);
    for (int i = 0; i < n; i++) {
        char *stream = g_strdup_printf("env/%d", i + 1);
        op->envs[i] = trainer_make_component(recipe, reg, PREFRL_KIND_ENV, stream, NULL,
                                             t->run_dir, error);
        g_free(stream);
        if (!op->envs[i])
            return FALSE;
    }
    op->obs = g_new0(float, (gsize)n * ds);
    op->next = g_new0(float, (gsize)n * ds);
    op->act = g_new0(float, (gsize)n * da);
    op->sa = g_new0(float, (gsize)n * d);
    op->true_r = g_new0(float, n);
    op->rhat = g_new0(float, n);
    op->done = g_new0(float, n);
    op->int_raw = g_new0(float, n);
    op->intr = g_new0(float, n);
    op->ep_sa = g_try_new(float, (gsize)n * L * d);
    op->ep_r = g_try_new(float, (gsize)n * L);
    if (!op->ep_sa || !op->ep_r) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate the episodes in progress of %d environments", n);
        return FALSE;
    }
    op->ep_len = g_new0(int, n);
    op->ep_has_state = g_new0(gboolean, n);
    if (PREFRL_EPISODES_KEEP_STATES(t->state.episodes) &&
        !(op->ep_state = g_try_new(double, (gsize)n * L *
                                               PREFRL_EPISODES_STATE_LEN(t->state.episodes)))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "cannot allocate the physics states of %d environments' episodes", n);
        return FALSE;
    }
    op->ep_reward = g_new0(double, n);
    op->ep_true = g_new0(double, n);
    op->ep_success = g_new0(double, n);
    if (t->cfg.num_unsup_steps > 0) {
        /* every observation of the unsupervised phase, which runs whole rollouts */
        int64_t per = (int64_t)n * op->rollout_length;
        int64_t seen = (t->cfg.num_unsup_steps + per - 1) / per * per;
        if (!(op->unsup = prefrl_replay_new(ds, da, seen + 100, 1, error)))
            return FALSE;
    }
    t->state.entropy = prefrl_state_entropy_new(t->cfg.top_k, n);
    return TRUE;
}

void trainer_onpolicy_free(PrefrlTrainer *t)
{
    TrainerOnPolicy *op = t->op;
    if (!op)
        return;
    if (op->envs)
        for (int i = 0; i < op->n_envs; i++)
            prefrl_instance_free(op->envs[i]);
    g_free(op->envs);
    float *bufs[] = {op->obs,     op->next, op->act,     op->sa,   op->true_r, op->rhat,
                     op->done,    op->int_raw, op->intr, op->ep_sa, op->ep_r};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(op->ep_len);
    g_free(op->ep_state);
    g_free(op->ep_has_state);
    g_free(op->ep_reward);
    g_free(op->ep_true);
    g_free(op->ep_success);
    prefrl_replay_free(op->unsup);
    g_free(op);
    t->op = NULL;
}

static const PrefrlEnvOps *env_ops(PrefrlTrainer *t, int i)
{
    return t->op->envs[i]->component->ops;
}

static gboolean reset_env(PrefrlTrainer *t, int i, GError **error)
{
    TrainerOnPolicy *op = t->op;
    op->ep_len[i] = 0;
    op->ep_has_state[i] = op->ep_state != NULL;
    op->ep_reward[i] = op->ep_true[i] = op->ep_success[i] = 0;
    t->state.episode++;
    return env_ops(t, i)->reset(op->envs[i]->self, op->obs + (gsize)i * t->info.obs_dim, error);
}

typedef TrainerEpisodeStats EpisodeStats;

/* env i's episode has ended: to the episode store and the teacher's margin */
static void finish_episode(PrefrlTrainer *t, int i, EpisodeStats *acc)
{
    TrainerOnPolicy *op = t->op;
    TrainerState *s = &t->state;
    const int ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    const int L = t->info.episode_length, len = op->ep_len[i];
    const float *sa = op->ep_sa + (gsize)i * L * d;
    const int P = PREFRL_EPISODES_STATE_LEN(s->episodes);
    for (int k = 0; k < len; k++)
        prefrl_episodes_add(s->episodes, sa + (gsize)k * d, sa + (gsize)k * d + ds,
                            op->ep_r[(gsize)i * L + k],
                            op->ep_has_state[i] ? op->ep_state + ((gsize)i * L + k) * P : NULL,
                            k == len - 1);
    s->recent[s->n_recent++ % RECENT_RETURNS] = op->ep_true[i];
    acc->reward += op->ep_reward[i];
    acc->true_reward += op->ep_true[i];
    acc->success += op->ep_success[i];
    acc->n++;
}

/* the state-entropy reward of this step's observations (raw), against every
 * observation of the unsupervised phase including them */
static void intrinsic_reward(PrefrlTrainer *t)
{
    TrainerOnPolicy *op = t->op;
    PrefrlLog *log = t->state.log;
    const int n = op->n_envs, ds = t->info.obs_dim;
    for (int i = 0; i < n; i++)
        if (op->unsup->size < op->unsup->capacity)
            prefrl_replay_add(op->unsup, op->obs + (gsize)i * ds, op->act, 0.0f, 0.0f,
                              op->obs + (gsize)i * ds, 0, 0);
    prefrl_state_entropy_compute(t->state.entropy, op->unsup, op->obs, n, op->int_raw, op->intr);
    double m = 0, nm = 0;
    float mn = INFINITY, mx = -INFINITY, nmn = INFINITY, nmx = -INFINITY;
    for (int i = 0; i < n; i++) {
        m += op->int_raw[i];
        nm += op->intr[i];
        mn = fminf(mn, op->int_raw[i]);
        mx = fmaxf(mx, op->int_raw[i]);
        nmn = fminf(nmn, op->intr[i]);
        nmx = fmaxf(nmx, op->intr[i]);
    }
    prefrl_log_scalar(log, "train_critic/entropy", m / n);
    prefrl_log_scalar(log, "train_critic/entropy_max", mx);
    prefrl_log_scalar(log, "train_critic/entropy_min", mn);
    prefrl_log_scalar(log, "train_critic/norm_entropy", nm / n);
    prefrl_log_scalar(log, "train_critic/norm_entropy_max", nmx);
    prefrl_log_scalar(log, "train_critic/norm_entropy_min", nmn);
}

/* one lockstep step of every rollout environment; *ended: an episode ended */
static gboolean rollout_step(PrefrlTrainer *t, int k, gboolean pretraining, EpisodeStats *acc,
                             gboolean *ended, GError **error)
{
    TrainerOnPolicy *op = t->op;
    TrainerState *s = &t->state;
    const int n = op->n_envs, ds = t->info.obs_dim, da = t->info.act_dim, d = ds + da;
    const int L = t->info.episode_length;
    t->aops->rollout_act(t->agent->self, k, op->obs, op->act);
    const int P = PREFRL_EPISODES_STATE_LEN(s->episodes);
    for (int i = 0; i < n; i++) {
        PrefrlEnvStep st = {0};
        /* the physics state op->obs[i] was observed in (the store's clips) */
        if (op->ep_has_state[i] &&
            !trainer_snapshot(t, env_ops(t, i), op->envs[i]->self,
                              op->ep_state + ((gsize)i * L + op->ep_len[i]) * P))
            op->ep_has_state[i] = FALSE;
        if (!env_ops(t, i)->step(op->envs[i]->self, op->act + (gsize)i * da,
                                 op->next + (gsize)i * ds, &st, error))
            return FALSE;
        if (!isfinite(st.reward)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                        "env/%s returned a non-finite reward at step %lld",
                        op->envs[i]->component->name, (long long)s->step);
            return FALSE;
        }
        int len = op->ep_len[i]++;
        trainer_concat_sa(op->obs + (gsize)i * ds, op->act + (gsize)i * da, ds, da,
                          op->ep_sa + ((gsize)i * L + len) * d);
        op->ep_r[(gsize)i * L + len] = st.reward;
        op->true_r[i] = st.reward;
        op->done[i] = st.terminal || st.truncated || op->ep_len[i] >= L;
        op->ep_true[i] += st.reward;
        op->ep_success[i] = MAX(op->ep_success[i], st.success ? 1.0 : 0.0);
    }
    /* what the agent learns from; the task reward only with reward/true */
    const float *reward = op->true_r;
    if (!t->cfg.true_reward) {
        for (int i = 0; i < n; i++)
            trainer_concat_sa(op->obs + (gsize)i * ds, op->act + (gsize)i * da, ds, da,
                              op->sa + (gsize)i * d);
        t->rops->predict(t->reward->self, s->step, op->sa, n, op->rhat);
        reward = op->rhat;
    }
    for (int i = 0; i < n; i++)
        op->ep_reward[i] += reward[i];
    /* the learner's update-time transform (RUNE's bonus): on-policy, the
     * rollout's rewards are what the coming update learns from */
    if (!t->cfg.true_reward && !pretraining && t->rops->batch_reward) {
        PrefrlBatch b = {.size = n,
                         .obs_dim = ds,
                         .act_dim = da,
                         .obs = op->obs,
                         .action = op->act,
                         .reward = op->rhat,
                         .next_obs = op->next};
        if (!t->rops->batch_reward(t->reward->self, s->step, &b, op->rhat, s->log, error))
            return FALSE;
    }
    if (pretraining) {
        intrinsic_reward(t);
        reward = op->intr;
    }
    t->aops->rollout_reward(t->agent->self, k, reward, op->done);

    s->step += n;
    s->interact_count += n;
    *ended = FALSE;
    for (int i = 0; i < n; i++) {
        if (op->done[i]) {
            finish_episode(t, i, acc);
            *ended = TRUE;
            if (!reset_env(t, i, error))
                return FALSE;
        } else {
            memcpy(op->obs + (gsize)i * ds, op->next + (gsize)i * ds, sizeof(float) * ds);
        }
    }
    return TRUE;
}

/* the episode columns of a train row: means over the episodes finished in
 * this rollout, or the previous row's when none finished */
static void log_episodes(PrefrlTrainer *t, const EpisodeStats *acc)
{
    EpisodeStats *last = &t->op->last;
    const TrainerState *s = &t->state;
    if (acc->n > 0) {
        last->reward = acc->reward / acc->n;
        last->true_reward = acc->true_reward / acc->n;
        last->success = acc->success / acc->n;
        last->n = acc->n;
    }
    prefrl_log_scalar(s->log, "train/episode_reward", last->reward);
    prefrl_log_scalar(s->log, "train/true_episode_reward", last->true_reward);
    prefrl_log_scalar(s->log, "train/total_feedback", (double)s->total_feedback);
    prefrl_log_scalar(s->log, "train/labeled_feedback", (double)s->labeled_feedback);
    prefrl_log_scalar(s->log, "train/episode", (double)s->episode);
    if (t->info.has_success) {
        prefrl_log_scalar(s->log, "train/episode_success", last->success);
        prefrl_log_scalar(s->log, "train/true_episode_success", last->success);
    }
}

gboolean trainer_run_on_policy(PrefrlTrainer *t, volatile sig_atomic_t *stop,
                               PrefrlProgress progress, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    const int n = t->op->n_envs, T = t->op->rollout_length;
    GTimer *timer = g_timer_new(), *roll_timer = g_timer_new();
    gboolean ok = TRUE, stop_seen = FALSE;
    /* all of the loop's state that is not in t->state and t->op follows
     * from the step, a multiple of the rollout's n x T steps: a resumed run
     * continues as the uninterrupted one would */
    const int64_t per = (int64_t)n * T;
    gboolean learning = s->step >= per && s->step - per >= c->num_unsup_steps;
    int64_t next_eval = (s->step / c->eval_frequency + 1) * c->eval_frequency;
    trainer_say(t, "training (on-policy): env/%s x %d, agent/%s (rollouts of %d steps), "
                   "reward/%s, %lld steps",
                t->env->component->name, n, t->agent->component->name, T,
                t->reward->component->name, (long long)c->num_train_steps);
    if (c->num_seed_steps > 0)
        trainer_say(t, "trainer.num_seed_steps (%lld) is not used by an on-policy agent",
                    (long long)c->num_seed_steps);

    if (t->resumed_at < 0)
        for (int i = 0; ok && i < n; i++)
            ok = reset_env(t, i, error);
    t->op->at_boundary = ok;
    while (ok && s->step < c->num_train_steps) {
        /* between rollouts: a stop request (trainer_finish writes the
         * checkpoint), else the periodic checkpoint when a multiple of
         * checkpoint_frequency passed in the last rollout */
        if (stop && *stop) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED,
                        "interrupted at step %lld", (long long)s->step);
            trainer_say(t, "interrupted");
            ok = FALSE;
            break;
        }
        const int64_t f = c->checkpoint_frequency;
        if (f > 0 && s->step > 0 && s->step / f > (s->step - per) / f &&
            s->step != t->resumed_at && !(ok = trainer_save_checkpoint(t, error)))
            break;
        t->op->at_boundary = FALSE;
        const gboolean pretraining = s->step < c->num_unsup_steps;
        if (!pretraining && !learning) {
            /* the end of pre-training: first labels, then a fresh value head */
            learning = TRUE;
            if (!c->true_reward) {
                s->interact_count = 0;
                ok = trainer_query_round(t, TRUE, error);
            }
            if (ok && s->step > 0 && t->aops->reset_critic)
                t->aops->reset_critic(t->agent->self);
            if (!ok)
                break;
        }
        g_timer_start(roll_timer);
        EpisodeStats acc = {0};
        for (int k = 0; ok && k < T; k++) {
            if (stop && *stop && !stop_seen) {
                /* honoured at the end of the rollout; say why it goes on */
                stop_seen = TRUE;
                trainer_say(t, "stop requested: finishing the rollout (%lld steps to go)",
                            (long long)(per - (int64_t)k * n));
                if (progress)
                    fprintf(stderr, "%sstop requested: finishing the rollout and its update "
                                    "first\n",
                            progress == PREFRL_PROGRESS_TERMINAL ? "\n" : "");
            }
            gboolean ended;
            if (!(ok = rollout_step(t, k, pretraining, &acc, &ended, error)))
                break;
            if (ended && !pretraining && !c->true_reward &&
                s->total_feedback < c->max_feedback && s->interact_count >= c->num_interact) {
                ok = trainer_query_round(t, FALSE, error);
                s->interact_count = 0;
            }
            if (progress)
                trainer_progress_tick(t, g_timer_elapsed(timer, NULL));
        }
        if (!ok)
            break;
        double done_frac = (double)s->step / (double)c->num_train_steps;
        if (!(ok = t->aops->rollout_update(t->agent->self, t->op->obs, s->step, done_frac,
                                           pretraining, s->log, error)) ||
            !(ok = trainer_check_divergence(t, t->agent, error)) ||
            !(ok = trainer_outputs_ok(t, error)))
            break;
        prefrl_log_scalar(s->log, "train/duration", g_timer_elapsed(roll_timer, NULL));
        log_episodes(t, &acc);
        if (!(ok = prefrl_log_dump_train(s->log, s->step, error)))
            break;
        if (s->step >= next_eval) {
            ok = trainer_evaluate_and_log(t, error);
            while (next_eval <= s->step)
                next_eval += c->eval_frequency;
        }
        t->op->at_boundary = ok;
    }
    ok = trainer_finish(t, ok, timer, error);
    ok = trainer_end_outputs(t, ok, error);
    g_timer_destroy(timer);
    g_timer_destroy(roll_timer);
    return ok;
}
