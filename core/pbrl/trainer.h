/* The PbRL trainer (core-internal): PEBBLE's loop (or PrefPPO's, for an
 * on-policy agent) around the components a resolved recipe names, writing
 * its outputs into a run directory (pbrl/rundir.h). */
#ifndef PREFRL_CORE_TRAINER_H
#define PREFRL_CORE_TRAINER_H

#include <signal.h>
#include "host/recipe.h"
#include "host/registry.h"

typedef struct PrefrlTrainer PrefrlTrainer;

/** Kinds a recipe must name for `prefrl run` (as a (1 << kind) mask); sampler
 *  and teacher are checked once the reward is known (reward/true needs none). */
guint prefrl_trainer_required_kinds(void);

/** Create the components of a resolved recipe and the trainer's buffers.
 *  With run_dir, outputs (train.csv, eval.csv, reward.csv, labels.csv,
 *  log.txt, checkpoint/) go there; with NULL nothing is written. */
PrefrlTrainer *prefrl_trainer_new(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                  const char *run_dir, GError **error);

/** Re-create the trainer of an earlier run in run_dir from its latest
 *  checkpoint (written every trainer.checkpoint_frequency steps and when a
 *  run stops): components, streams, buffers, the episode in progress and
 *  the output files as they were at that step, so that running it on
 *  writes what the uninterrupted run would have written.  `recipe` must be
 *  the run's own (run_dir/config.yaml).  Errors: no checkpoint, or a
 *  damaged or mismatched one.  A checkpoint at the last step (the run
 *  finished, e.g. killed before its status was written) resumes to a run
 *  that has nothing left to do. */
PrefrlTrainer *prefrl_trainer_resume(const PrefrlNode *recipe, PrefrlRegistry *reg,
                                     const char *run_dir, GError **error);

/** Load an agent checkpoint (a run's checkpoint/agent.bin) into the
 *  trainer's agent, e.g. to evaluate a finished run again. */
gboolean prefrl_trainer_load_agent(PrefrlTrainer *t, const char *path, GError **error);

/** A video encoder as the trainer uses it (the lab layer's FFmpeg writer,
 *  installed by the program: libprefrl links no encoder).  open() returns
 *  the video or NULL with *error; close() finishes the file and frees the
 *  video whatever the outcome; abandon() frees it and leaves no file. */
typedef struct PrefrlVideoSink {
    void *(*open)(const char *path, int width, int height, int fps, GError **error);
    gboolean (*add_frame)(void *video, const guint8 *rgb, GError **error);
    gboolean (*close)(void *video, GError **error);
    void (*abandon)(void *video);
} PrefrlVideoSink;

/** Let the trainer write videos (query clips for teachers, evaluation
 *  videos) through `sink` (transfer none: it must outlive the trainer).
 *  Without one, PrefrlTeacherQuery.write_clip is NULL and a recipe asking
 *  for evaluation videos is refused when the run starts. */
void prefrl_trainer_set_video_sink(PrefrlTrainer *t, const PrefrlVideoSink *sink);

/** How a run shows its progress (step, steps/s, ETA, last evaluation,
 *  labels given of the budget). */
typedef enum {
    PREFRL_PROGRESS_NONE = 0,     /* nothing (tests, benchmarks) */
    PREFRL_PROGRESS_TERMINAL = 1, /* stderr is a terminal: one line rewritten every second,
                                   * and a line to log.txt every trainer.progress_interval s */
    PREFRL_PROGRESS_LINES = 2     /* stderr is a file or a pipe (a batch job's output): a
                                   * line to stderr and log.txt every progress_interval s */
} PrefrlProgress;

/** Train to trainer.num_train_steps (from where a resumed trainer
 *  stopped).  Stops early, with outputs flushed, a checkpoint written and
 *  PREFRL_ERROR_INTERRUPTED, when *stop becomes non-zero (may be NULL).
 *  `progress`: how the progress is shown; it never changes an output
 *  other than log.txt. */
gboolean prefrl_trainer_run(PrefrlTrainer *t, volatile sig_atomic_t *stop,
                            PrefrlProgress progress, GError **error);

/** Mean true return of the last evaluation (NAN before any). */
double prefrl_trainer_last_eval(const PrefrlTrainer *t);

/** Evaluate now over n deterministic episodes: mean true return, success
 *  rate in % (episodes with success at any step), and for agents with a
 *  critic view the Q-accuracy diagnostic of the paper's Table 1 over the
 *  steps of the first 10 episodes: q_mse, the mean of (min_h Q_h(s,a) − G)²,
 *  G the discounted true return to the episode's end; q_nmse, the same with
 *  Q and G standardised over those steps (= 2(1 − Pearson r); blind to the
 *  scale and offset of a learned reward).  NAN without a critic view (q_nmse
 *  also when Q or G is constant).  Any output pointer may be NULL. */
gboolean prefrl_trainer_evaluate(PrefrlTrainer *t, int n, double *mean_return,
                                 double *success_rate, double *q_mse, double *q_nmse,
                                 GError **error);

/** What an evaluation measures (prefrl_trainer_evaluate_all). */
typedef struct {
    double mean_return;   /* mean true return of the episodes */
    double success_rate;  /* % of episodes with success at any step */
    /* the Q diagnostic (agents with a critic view, else NAN): Q against G,
     * the discounted true return truncated at the episode's time limit ... */
    double q_mse, q_nmse;
    /* ... and against the true discounted return, the episode followed
     * past its time limit for prefrl_q_true_steps(γ) steps (NAN when the
     * env cannot go past it or γ = 1) */
    double q_mse_true, q_nmse_true;
} PrefrlEvalResult;

/** Evaluate now over n deterministic episodes, as prefrl_trainer_evaluate,
 *  with the Q diagnostic against both targets into *res. */
gboolean prefrl_trainer_evaluate_all(PrefrlTrainer *t, int n, PrefrlEvalResult *res,
                                     GError **error);

/** Steps K the Q diagnostic follows an episode past its time limit for the
 *  true value: the least K with γ^K < 1e-4 (917 for γ = 0.99); 0 for
 *  γ = 0, -1 for γ >= 1 (no finite horizon). */
int prefrl_q_true_steps(double discount);

/** The two Q diagnostics of n steps: mean of (q − g)², and the same after
 *  standardising q and g over the n steps (= 2(1 − Pearson r), blind to the
 *  scale and offset of a learned reward, which preferences do not pin
 *  down); NAN when n = 0 (nmse also when q or g is constant). */
void prefrl_q_errors(const float *q, const float *g, int64_t n, double *mse, double *nmse);

/** Labels asked / stored so far. */
int64_t prefrl_trainer_total_feedback(const PrefrlTrainer *t);
int64_t prefrl_trainer_labeled_feedback(const PrefrlTrainer *t);

/** Free the trainer, its components and buffers; close its outputs. */
void prefrl_trainer_free(PrefrlTrainer *t);

#endif
