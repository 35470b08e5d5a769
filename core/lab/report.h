/* `prefrl report` (core-internal): read run directories, group them by
 * method × task × label budget with seeds pooled, and write the paper's
 * artefacts — learning curves (mean ± std across seeds), a summary table of
 * final performance and area under the curve, the Q-accuracy table (the
 * paper's Table 1) and label-budget curves (Figure 4).
 *
 * Definitions (also in the README):
 *  - metric: eval.csv `success_rate` (%) when present (Meta-world), else
 *    `true_episode_reward` (DMC episode return), else `episode_reward`;
 *  - final: the metric at a run's last evaluation row;
 *  - AUC: trapezoidal area under a run's evaluation curve divided by its step
 *    span (the curve's average height, in the metric's units; a single row
 *    gives its value);
 *  - mean ± std over the runs of a group, std the sample standard deviation
 *    (n − 1; undefined, written empty / "–", when n = 1);
 *  - Q-accuracy: eval.csv `q_mse` at the last evaluation row.
 * A run whose recipe has no labels.csv (a reward that takes no preference
 * labels, e.g. reward/true) has no label budget: it forms one group per
 * task whatever its trainer.max_feedback, drawn in every budget panel, and
 * its method is always labelled with its agent ("true (agent sac)").
 * A group takes one run per seed (the first in directory order); a repeat
 * is left out with a note. */
#ifndef PREFRL_CORE_REPORT_H
#define PREFRL_CORE_REPORT_H

#include <glib.h>

typedef struct PrefrlReport PrefrlReport;

/** Read every run directory under `dirs` (a directory holding config.yaml is
 *  a run; other directories are searched recursively, hidden ones skipped).
 *  Runs whose `status` is not `done` are left out unless `include_unfinished`;
 *  runs that cannot be read are left out with a warning.  Fails when no run
 *  is found.  Free with prefrl_report_free. */
PrefrlReport *prefrl_report_load(const char *const *dirs, int n_dirs, gboolean include_unfinished,
                                 GError **error);

/** Runs used. */
guint prefrl_report_n_runs(const PrefrlReport *r);

/** Messages about runs left out or anything odd (transfer none, char*). */
const GPtrArray *prefrl_report_warnings(const PrefrlReport *r);

/** Write into `out_dir` (created): report.md (everything, with the figures
 *  linked), summary.md, summary.csv, curves.png, curves.svg; budget.png and
 *  budget.svg when a task has more than one label budget; q_accuracy.md and
 *  q_accuracy.csv when any run logged `q_mse`.  The names written are
 *  appended to `written` (char*, owned by the array) when it is not NULL. */
gboolean prefrl_report_write(const PrefrlReport *r, const char *out_dir, GPtrArray *written,
                             GError **error);

/** The summary table as Markdown (newly allocated). */
char *prefrl_report_summary_markdown(const PrefrlReport *r);

void prefrl_report_free(PrefrlReport *r);

#endif
