/* The size of a query round (trainer.reward_schedule), as BPref's
 * train_PEBBLE.py computes it: int(reward_batch · frac) with frac 1
 * (constant), (T − t)/T (decay) or T/(T − t + 1) (increase) at the round's
 * step t of T, not capped at reward_batch; and the largest round a run can
 * ask, which the preference buffer and the query workspaces are sized for.
 * Used by the set-up (sizes) and the query rounds; calls nothing. */
#include "config.h"

#include "pbrl/trainer_private.h"

int trainer_schedule_size(const TrainerConfig *c, int64_t step)
{
    double T = (double)c->num_train_steps, s = (double)step, frac = 1.0;
    if (c->schedule == TRAINER_SCHEDULE_DECAY) {
        frac = (T - s) / T;
        if (frac == 0)
            frac = 0.01;
    } else if (c->schedule == TRAINER_SCHEDULE_INCREASE) {
        frac = T / (T - s + 1);
    }
    /* int(reward_batch · frac) as the reference; the increasing schedule
     * grows up to T/2-fold (at the last step) */
    double n = c->reward_batch * frac;
    return n >= G_MAXINT ? G_MAXINT : (int)n;
}

int trainer_largest_round(const TrainerConfig *c, int64_t first_step)
{
    if (first_step >= c->num_train_steps)
        return c->reward_batch; /* no round at all: the sizes of a constant schedule */
    /* the first round is neither capped by the budget (as the reference);
     * the later ones run after it, each within what is left of the budget;
     * both schedules are monotone, so a later round is largest at one end */
    int first = trainer_schedule_size(c, first_step);
    int later = 0;
    if (first_step + 1 < c->num_train_steps)
        later = MAX(trainer_schedule_size(c, first_step + 1),
                    trainer_schedule_size(c, c->num_train_steps - 1));
    later = (int)MIN((int64_t)later, c->max_feedback);
    return MAX(MAX(first, later), 1);
}
