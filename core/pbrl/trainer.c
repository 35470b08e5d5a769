/* The PbRL trainer: its public entry points and PEBBLE's off-policy loop
 * (Lee et al., "PEBBLE", ICML 2021, Algorithm 1).
 *
 *   seed steps (uniform random actions)
 *   → unsupervised pre-training: agent updates on the state-entropy reward
 *   → end of pre-training: first query round (uniform), reward learning,
 *     replay relabelled, critic reset, `reset_update` agent updates
 *   → every num_interact steps while the budget lasts: query round (sampler,
 *     teacher), reward learning, relabel; every step one agent update (or the
 *     reward learner's meta step every meta_period steps, MRN)
 *   evaluation every eval_frequency steps with the true reward.
 *
 * The true reward is stored in the replay's hidden column and in the episode
 * store; it reaches the teacher (query rounds) and the evaluator only.
 * An agent with PREFRL_FLAG_ON_POLICY runs the loop of trainer_onpolicy.c
 * instead; both share the pieces declared in trainer_private.h. */
#include "config.h"
#include <math.h>
#include <string.h>

#include "host/schema.h"
#include "pbrl/trainer_private.h"

guint prefrl_trainer_required_kinds(void)
{
    return (1u << PREFRL_KIND_ENV) | (1u << PREFRL_KIND_AGENT) | (1u << PREFRL_KIND_REWARD);
}

/* ---- life cycle ---------------------------------------------------------------- */

static PrefrlTrainer *trainer_create(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                     const char *run_dir, gboolean resume, GError **error)
{
    PrefrlTrainer *t = trainer_setup(recipe, reg, run_dir, resume, error);
    if (t && t->cfg.on_policy && !trainer_onpolicy_setup(t, recipe, reg, error)) {
        prefrl_trainer_free(t);
        return NULL;
    }
    return t;
}

PrefrlTrainer *prefrl_trainer_new(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                  const char *run_dir, GError **error)
{
    return trainer_create(recipe, reg, run_dir, FALSE, error);
}

PrefrlTrainer *prefrl_trainer_resume(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                     const char *run_dir, GError **error)
{
    g_return_val_if_fail(run_dir != NULL, NULL);
    if (!prefrl_rundir_has_checkpoint(run_dir)) {
        char *state = prefrl_rundir_checkpoint_file(run_dir, PREFRL_RUN_TRAINER_STATE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "%s has no checkpoint to resume from (%s is missing)", run_dir, state);
        g_free(state);
        return NULL;
    }
    /* before anything is opened (appending would create a missing output) */
    int64_t len[PREFRL_RUN_N_OUTPUTS];
    gboolean have_len;
    if (!trainer_verify_outputs(run_dir, len, &have_len, error))
        return NULL;
    PrefrlTrainer *t = trainer_create(recipe, reg, run_dir, TRUE, error);
    if (t && have_len) {
        memcpy(t->verified_len, len, sizeof len);
        t->have_verified_len = TRUE;
    }
    if (t && !trainer_load_checkpoint(t, error)) {
        prefrl_trainer_free(t);
        return NULL;
    }
    return t;
}

void prefrl_trainer_free(PrefrlTrainer *t)
{
    if (!t)
        return;
    trainer_onpolicy_free(t);
    trainer_teardown(t);
}

double prefrl_trainer_last_eval(const PrefrlTrainer *t)
{
    return t->state.last_eval;
}

int64_t prefrl_trainer_total_feedback(const PrefrlTrainer *t)
{
    return t->state.total_feedback;
}

int64_t prefrl_trainer_labeled_feedback(const PrefrlTrainer *t)
{
    return t->state.labeled_feedback;
}

/* ---- the off-policy loop ------------------------------------------------------------ */

/* the episode that just ended into the log (its statistics land in the
 * next train row: B-Pref's lag), and a new one */
static gboolean next_episode(PrefrlTrainer *t, GTimer *ep_timer, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    if (s->step > 0) {
        prefrl_log_scalar(s->log, "train/duration", g_timer_elapsed(ep_timer, NULL));
        if (s->step > c->num_seed_steps) {
            if (!prefrl_log_dump_train(s->log, s->step, error))
                return FALSE;
        } else {
            prefrl_log_discard_train(s->log);
        }
        if (s->step % c->eval_frequency == 0 && !trainer_evaluate_and_log(t, error))
            return FALSE;
        prefrl_log_scalar(s->log, "train/episode_reward", s->ep_reward);
        prefrl_log_scalar(s->log, "train/true_episode_reward", s->ep_true);
        prefrl_log_scalar(s->log, "train/total_feedback", (double)s->total_feedback);
        prefrl_log_scalar(s->log, "train/labeled_feedback", (double)s->labeled_feedback);
        if (t->info.has_success) {
            prefrl_log_scalar(s->log, "train/episode_success", s->ep_success);
            prefrl_log_scalar(s->log, "train/true_episode_success", s->ep_success);
        }
        s->recent[s->n_recent++ % RECENT_RETURNS] = s->ep_true;
    }
    prefrl_log_scalar(s->log, "train/episode", (double)s->episode + 1);
    if (!t->eops->reset(t->env->self, s->obs, error))
        return FALSE;
    s->done = FALSE;
    s->ep_reward = s->ep_true = s->ep_success = 0;
    s->ep_step = 0;
    s->episode++;
    g_timer_start(ep_timer);
    return TRUE;
}

/* learn() asks a query round at this step (decided before the step's
 * action: an interactive teacher's round is checkpointed before anything of
 * the step changes, so a resumed run asks the same round) */
static gboolean round_due(const PrefrlTrainer *t)
{
    const TrainerConfig *c = &t->cfg;
    const TrainerState *s = &t->state;
    const int64_t pretrain_end = c->num_seed_steps + c->num_unsup_steps;
    if (c->true_reward)
        return FALSE;
    return s->step == pretrain_end ||
           (s->step > pretrain_end && s->total_feedback < c->max_feedback &&
            s->interact_count == c->num_interact);
}

/* this step's learning: the end of pre-training, query rounds and agent
 * updates, or a pre-training update */
static gboolean learn(PrefrlTrainer *t, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    const int64_t pretrain_end = c->num_seed_steps + c->num_unsup_steps;
    gboolean ok = TRUE;
    if (s->step == pretrain_end) {
        if (!c->true_reward) {
            s->interact_count = 0;
            ok = trainer_query_round(t, TRUE, error);
        }
        if (ok && t->aops->reset_critic)
            t->aops->reset_critic(t->agent->self);
        for (int i = 0; ok && i < c->reset_update; i++)
            ok = trainer_update(t, i, error);
    } else if (s->step > pretrain_end) {
        if (round_due(t)) {
            ok = trainer_query_round(t, FALSE, error);
            s->interact_count = 0;
        }
        if (ok) {
            if (c->meta_period > 0 && s->step % c->meta_period == 0 &&
                s->total_feedback < c->max_feedback && s->prefs->view.count > 0)
                ok = trainer_update_meta(t, error);
            else
                ok = trainer_update(t, s->step, error);
        }
    } else if (s->step > c->num_seed_steps) {
        ok = trainer_update_unsup(t, error);
    }
    return ok;
}

/* step the environment with w->act and store the transition */
static gboolean env_step(PrefrlTrainer *t, GError **error)
{
    int ds = t->info.obs_dim, da = t->info.act_dim;
    TrainerState *s = &t->state;
    TrainerWork *w = &t->work;
    PrefrlEnvStep st = {0};
    /* the physics state s->obs was observed in, for the episode store's clips */
    gboolean have_state = w->state && trainer_snapshot(t, t->eops, t->env->self, w->state);
    if (!t->eops->step(t->env->self, w->act, w->next_obs, &st, error))
        return FALSE;
    if (!isfinite(st.reward)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                    "env/%s returned a non-finite reward at step %lld", t->env->component->name,
                    (long long)s->step);
        return FALSE;
    }
    float r_hat;
    if (t->cfg.true_reward) {
        r_hat = st.reward;
    } else {
        trainer_concat_sa(s->obs, w->act, ds, da, w->sa);
        t->rops->predict(t->reward->self, s->step, w->sa, 1, &r_hat);
    }
    s->ep_step++;
    s->done = st.terminal || st.truncated || s->ep_step >= t->info.episode_length;
    prefrl_replay_add(s->replay, s->obs, w->act, r_hat, st.reward, w->next_obs, s->done,
                      st.terminal);
    prefrl_episodes_add(s->episodes, s->obs, w->act, st.reward, have_state ? w->state : NULL,
                        s->done);
    s->ep_reward += r_hat;
    s->ep_true += st.reward;
    s->ep_success = MAX(s->ep_success, st.success ? 1.0 : 0.0);
    memcpy(s->obs, w->next_obs, sizeof(float) * ds);
    s->interact_count++;
    return TRUE;
}

static gboolean run_off_policy(PrefrlTrainer *t, volatile sig_atomic_t *stop,
                               PrefrlProgress progress, GError **error)
{
    const TrainerConfig *c = &t->cfg;
    TrainerState *s = &t->state;
    TrainerWork *w = &t->work;
    GTimer *timer = g_timer_new(), *ep_timer = g_timer_new();
    gboolean ok = TRUE;
    trainer_say(t, "training: env/%s agent/%s reward/%s, %lld steps", t->env->component->name,
                t->agent->component->name, t->reward->component->name,
                (long long)c->num_train_steps);

    for (; ok && s->step < c->num_train_steps; s->step++) {
        gboolean periodic = c->checkpoint_frequency > 0 && s->step > 0 &&
                            s->step % c->checkpoint_frequency == 0;
        if ((periodic || (t->interactive && round_due(t))) && s->step != t->resumed_at &&
            !(ok = trainer_save_checkpoint(t, error)))
            break;
        if (stop && *stop) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED, "interrupted at step %lld",
                        (long long)s->step);
            trainer_say(t, "interrupted");
            ok = FALSE;
            break;
        }
        if (s->done && !(ok = next_episode(t, ep_timer, error)))
            break;

        /* act */
        if (s->step < c->num_seed_steps) {
            for (int j = 0; j < t->info.act_dim; j++)
                w->act[j] = (float)prefrl_rng_range(&s->rng, -1.0, 1.0);
        } else {
            t->aops->act(t->agent->self, s->obs, FALSE, w->act);
        }
        if (!(ok = learn(t, error)) || !(ok = env_step(t, error)) ||
            !(ok = trainer_outputs_ok(t, error)))
            break;

        if (progress)
            trainer_progress_tick(t, g_timer_elapsed(timer, NULL));
    }
    /* the final evaluation (the loop only evaluates at episode starts) */
    if (ok && s->step % c->eval_frequency == 0 && s->done && s->step != t->resumed_at)
        ok = trainer_evaluate_and_log(t, error);
    ok = trainer_finish(t, ok, timer, error);
    ok = trainer_end_outputs(t, ok, error);
    g_timer_destroy(timer);
    g_timer_destroy(ep_timer);
    return ok;
}

gboolean prefrl_trainer_run(PrefrlTrainer *t, volatile sig_atomic_t *stop,
                            PrefrlProgress progress, GError **error)
{
    trainer_progress_start(t, progress);
    /* what the run cannot do is refused before it starts; a seeded run's
     * reward learns its seed pairs first */
    if (!trainer_check_video(t, error) || !trainer_learn_seed_prefs(t, error))
        return FALSE;
    t->stop = stop; /* teachers that wait for a person poll it (PrefrlTeacherQuery.stop) */
    gboolean ok = t->cfg.on_policy ? trainer_run_on_policy(t, stop, progress, error)
                                   : run_off_policy(t, stop, progress, error);
    t->stop = NULL;
    return ok;
}

void prefrl_trainer_set_video_sink(PrefrlTrainer *t, const PrefrlVideoSink *sink)
{
    t->video = sink;
}
