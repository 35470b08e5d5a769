/* `prefrl report` (core-internal): read run directories, group them by
 * every recipe setting with seeds pooled, and write the paper's artefacts —
 * learning curves (mean ± std or a bootstrap CI across seeds), a summary
 * table of final performance and area under the curve, the Q-accuracy table
 * (the paper's Table 1), label-budget curves (Figure 4) and, on request,
 * strips of frames of each group's final agent.
 *
 * Groups: runs are seeds of one experiment when every key of their
 * config.yaml is equal except the per-run ones (seed, name, out_dir, thread
 * counts, checkpoint_frequency, max_memory, progress output, evaluation
 * videos, a teacher's port, host, bind and allow_remote); for a reward that
 * takes no labels
 * the sampler, teacher, max_feedback, reward_batch and reward_schedule are
 * left out too.  A group is labelled by its method (reward.name, with the
 * agent, sampler or teacher when those vary) followed by key=value for each
 * key that differs among the groups of the same task, budget and method
 * ("rune beta_init=0.5"), so runs of different lengths or settings are
 * never pooled.
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

/** What the learning curves' band shows. */
typedef enum {
    PREFRL_REPORT_BAND_STD = 0, /* mean ± one sample standard deviation across seeds */
    PREFRL_REPORT_BAND_CI       /* a 95 % percentile bootstrap interval of the mean */
} PrefrlReportBand;

/** How the figures are drawn (all zero: the defaults). */
typedef struct {
    gboolean x_labels;     /* learning curves against the labels given, not steps */
    PrefrlReportBand band;
} PrefrlReportOptions;

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

/** Set the figure options (copied). */
void prefrl_report_set_options(PrefrlReport *r, const PrefrlReportOptions *opt);

/** Groups, in the tables' order. */
guint prefrl_report_n_groups(const PrefrlReport *r);

/** The run directory of group i's lowest seed (transfer none). */
const char *prefrl_report_group_first_run(const PrefrlReport *r, guint i);

/** Give group i a strip of `n` RGB frames of width x height (copied), each
 *  with a caption (may be NULL); prefrl_report_write draws it into
 *  frames-NN-<label>.png and shows it in report.md. */
void prefrl_report_set_frames(PrefrlReport *r, guint i, const guint8 *const *frames,
                              const char *const *captions, int n, int width, int height);

/** Say why group i has no frames; the note goes into report.md's notes and
 *  prefrl_report_warnings. */
void prefrl_report_set_frames_note(PrefrlReport *r, guint i, const char *why);

/** Write into `out_dir` (created): report.md (everything, with the figures
 *  linked), summary.md, summary.csv, curves.png, curves.svg; budget.png and
 *  budget.svg when a task has more than one label budget; q_accuracy.md and
 *  q_accuracy.csv when any run logged `q_mse`; frames-NN-<group>.png for
 *  each group given frames (prefrl_report_set_frames).  The names written are
 *  appended to `written` (char*, owned by the array) when it is not NULL. */
gboolean prefrl_report_write(const PrefrlReport *r, const char *out_dir, GPtrArray *written,
                             GError **error);

/** The summary table as Markdown (newly allocated). */
char *prefrl_report_summary_markdown(const PrefrlReport *r);

void prefrl_report_free(PrefrlReport *r);

#endif
