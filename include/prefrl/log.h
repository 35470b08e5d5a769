/* The metrics log components write to (implemented in core/pbrl/log.c).
 *
 * The trainer hands a PrefrlLog to every agent update and reward-learner
 * call; what a component records there lands in the run's train.csv or
 * eval.csv, averaged over the steps between two rows. */
#ifndef PREFRL_LOG_H
#define PREFRL_LOG_H

#include <glib.h>

#include <prefrl/export.h>

G_BEGIN_DECLS

/** A metrics sink (opaque).  Values logged between two dumps are averaged,
 *  as B-Pref's logger does; keys follow B-Pref ("train_critic/loss",
 *  "train_actor/entropy", "train/batch_reward", ...), and the CSV column is
 *  the key with its "train/" or "train_" prefix dropped and "/" → "_". */
typedef struct PrefrlLog PrefrlLog;

/** Record one value of `key` (NULL log is ignored).  Values whose column
 *  ends in "loss", and "alpha_value", are watched by the trainer's
 *  divergence guard: a non-finite one, or one above
 *  trainer.divergence_threshold in magnitude, stops the run after the hook
 *  that logged it, naming the component (docs/training-loop.md). */
PREFRL_API void prefrl_log_scalar(PrefrlLog *log, const char *key, double value);

G_END_DECLS

#endif
