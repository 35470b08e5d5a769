/* The off-policy loop's agent updates, each on a batch from the replay:
 *   trainer_update        the learned reward as stored (relabelled after every
 *                         reward update), through the reward learner's
 *                         optional batch transform (e.g. RUNE's bonus)
 *   trainer_update_unsup  PEBBLE's unsupervised pre-training: the
 *                         state-entropy intrinsic reward
 *   trainer_update_meta   MRN's bi-level step: the reward learner's meta
 *                         step, then the agent on the same batch */
#include "config.h"
#include <math.h>
#include <string.h>

#include "pbrl/trainer_private.h"

/* an agent batch from the replay; batch_reward logs the stored (learned)
 * reward, also during pre-training when the agent is given another one */
static void sample_batch(PrefrlTrainer *t, PrefrlBatch *b)
{
    prefrl_replay_sample(t->state.replay, &t->state.rng, t->aops->batch_size(t->agent->self), b);
    double sum = 0;
    for (int i = 0; i < b->size; i++)
        sum += b->reward[i];
    prefrl_log_scalar(t->state.log, "train/batch_reward", sum / b->size);
}

gboolean trainer_update(PrefrlTrainer *t, int64_t step, GError **error)
{
    TrainerWork *w = &t->work;
    PrefrlBatch b;
    sample_batch(t, &b);
    /* the reward learner's update-time transform, on a copy; it gets the
     * trainer's step even in the reset updates, whose `step` is the update
     * index for the agent's update frequencies */
    if (t->rops && t->rops->batch_reward) {
        memcpy(w->batch_reward, b.reward, (gsize)b.size * sizeof *w->batch_reward);
        b.reward = w->batch_reward;
        if (!t->rops->batch_reward(t->reward->self, t->state.step, &b, w->batch_reward,
                                   t->state.log, error) ||
            !trainer_check_divergence(t, t->reward, error))
            return FALSE;
    }
    return t->aops->update(t->agent->self, &b, step, t->state.log, error) &&
           trainer_check_divergence(t, t->agent, error);
}

gboolean trainer_update_unsup(PrefrlTrainer *t, GError **error)
{
    TrainerState *s = &t->state;
    TrainerWork *w = &t->work;
    PrefrlBatch b;
    sample_batch(t, &b);
    prefrl_state_entropy_compute(s->entropy, s->replay, b.obs, b.size, w->intrinsic_raw,
                                 w->intrinsic);
    float mn = INFINITY, mx = -INFINITY, nmn = INFINITY, nmx = -INFINITY;
    double m = 0, nm = 0;
    for (int i = 0; i < b.size; i++) {
        m += w->intrinsic_raw[i];
        nm += w->intrinsic[i];
        mn = fminf(mn, w->intrinsic_raw[i]);
        mx = fmaxf(mx, w->intrinsic_raw[i]);
        nmn = fminf(nmn, w->intrinsic[i]);
        nmx = fmaxf(nmx, w->intrinsic[i]);
    }
    prefrl_log_scalar(s->log, "train_critic/entropy", m / b.size);
    prefrl_log_scalar(s->log, "train_critic/entropy_max", mx);
    prefrl_log_scalar(s->log, "train_critic/entropy_min", mn);
    prefrl_log_scalar(s->log, "train_critic/norm_entropy", nm / b.size);
    prefrl_log_scalar(s->log, "train_critic/norm_entropy_max", nmx);
    prefrl_log_scalar(s->log, "train_critic/norm_entropy_min", nmn);
    b.reward = w->intrinsic;
    return t->aops->update(t->agent->self, &b, s->step, s->log, error) &&
           trainer_check_divergence(t, t->agent, error);
}

/* the agent's update runs on the same batch with the updated reward and
 * time-outs treated as terminal, as MRN's reference does */
gboolean trainer_update_meta(PrefrlTrainer *t, GError **error)
{
    TrainerState *s = &t->state;
    TrainerWork *w = &t->work;
    PrefrlBatch b;
    sample_batch(t, &b);
    /* one V̄(s') for the meta step and the critic update after it */
    const PrefrlCriticView *cv = t->aops->critic_view(t->agent->self);
    cv->target_value(cv->agent, b.next_obs, b.size, w->batch_value);
    PrefrlMetaData md = {.struct_size = sizeof md,
                         .critic = cv,
                         .batch = &b,
                         .prefs = &s->prefs->view,
                         .reward_batch = t->cfg.reward_batch,
                         .step = s->step,
                         .next_value = w->batch_value};
    if (!t->rops->meta_step(t->reward->self, &md, s->log, error) ||
        !trainer_check_divergence(t, t->reward, error))
        return FALSE;
    trainer_relabel(t);
    int ds = b.obs_dim, da = b.act_dim;
    for (int i = 0; i < b.size; i++)
        trainer_concat_sa(b.obs + (gsize)i * ds, b.action + (gsize)i * da, ds, da,
                          w->batch_sa + (gsize)i * (ds + da));
    t->rops->predict(t->reward->self, s->step, w->batch_sa, b.size, w->batch_reward);
    b.reward = w->batch_reward;
    b.not_done_no_max = b.not_done;
    b.next_value = w->batch_value;
    return t->aops->update(t->agent->self, &b, s->step, s->log, error) &&
           trainer_check_divergence(t, t->agent, error);
}
