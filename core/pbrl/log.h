/* Metrics (core-internal side of PrefrlLog): values averaged between dumps
 * and written as CSV rows with B-Pref's column names. */
#ifndef PREFRL_CORE_LOG_H
#define PREFRL_CORE_LOG_H

#include <stdio.h>
#include <prefrl/pbrl.h>

#include "host/checkpoint.h"

/** A log writing train rows to `train_csv` and eval rows to `eval_csv`
 *  (either may be NULL: rows are then only kept in memory for the caller). */
PrefrlLog *prefrl_log_new(FILE *train_csv, FILE *eval_csv);
void prefrl_log_free(PrefrlLog *log);

/** The file names write errors give for the train and eval CSVs (copied;
 *  NULL: "a CSV file"). */
void prefrl_log_set_paths(PrefrlLog *log, const char *train_path, const char *eval_path);

/** The divergence guard's default threshold (trainer.divergence_threshold). */
#define PREFRL_LOG_DIVERGENCE_DEFAULT 1e12

/** Watch the logged losses (every column ending in "loss") and SAC's
 *  temperature (alpha_value): the first such value that is not finite or
 *  whose magnitude exceeds `threshold` (INFINITY: non-finite values only) is
 *  remembered for prefrl_log_diverged.  Default PREFRL_LOG_DIVERGENCE_DEFAULT. */
void prefrl_log_set_divergence(PrefrlLog *log, double threshold);

/** TRUE once a watched value diverged, with its column ("critic_loss") and
 *  value (the column stays owned by the log).  FALSE for a NULL log. */
gboolean prefrl_log_diverged(const PrefrlLog *log, const char **column, double *value);

/** CSV column of a logged key: "train/x" → "x", "train_critic/loss" →
 *  "critic_loss", "eval/x" → "x" (B-Pref's rule).  (transfer full) */
char *prefrl_log_column(const char *key);

/** Write the averages of the train keys logged since the last dump as one
 *  row at `step` and clear them.  The header is the sorted columns of the
 *  first row; later rows write 0 for absent columns and drop columns the
 *  header lacks.  Returns FALSE on a write error. */
gboolean prefrl_log_dump_train(PrefrlLog *log, int64_t step, GError **error);

/** The same for the eval keys ("eval/..."). */
gboolean prefrl_log_dump_eval(PrefrlLog *log, int64_t step, GError **error);

/** Forget the train keys logged since the last dump (B-Pref discards the
 *  meters of the seed phase). */
void prefrl_log_discard_train(PrefrlLog *log);

/** Average of `key` since the last dump, or NAN if not logged. */
double prefrl_log_peek(PrefrlLog *log, const char *key);

/** Checkpoint the CSV headers and the values logged since the last dumps,
 *  so a resumed run writes the same rows as an uninterrupted one. */
void prefrl_log_save(const PrefrlLog *log, PrefrlCkpt *c);
void prefrl_log_load(PrefrlLog *log, PrefrlCkpt *c);

#endif
