/* The run directory (core-internal): every file name a run writes or reads,
 * the `status` protocol, `config.yaml`, and the checkpoint directory's
 * write-then-swap protocol.  The CLI, the trainer, sweeps and reports reach
 * a run's files only through this module, so a name changes in one place.
 *
 *   RUN/.prefrl-run       the marker: prefrl created this directory as a run
 *                         (`run --force` removes nothing without it)
 *   RUN/.prefrl-lock      the writer's lock (flock) and its pid
 *   RUN/config.yaml       the resolved recipe (what the run was made from)
 *   RUN/status            running, done, interrupted or failed (one word;
 *                         after failed, the reason on a second line);
 *                         `running` without a lock holder reads as interrupted
 *   RUN/train.csv ...     the trainer's outputs (PREFRL_RUN_TRAIN_CSV ...)
 *   RUN/stderr.txt        a sweep cell's standard error
 *   RUN/checkpoint/       the latest checkpoint: <kind>.bin per component,
 *                         trainer.bin for the trainer
 *   RUN/checkpoint.new/   a checkpoint being written
 *   RUN/checkpoint.old/   the previous one while the new one is swapped in */
#ifndef PREFRL_CORE_RUNDIR_H
#define PREFRL_CORE_RUNDIR_H

#include <stdio.h>
#include <glib.h>

#include "host/recipe.h"
#include "host/registry.h"

/** The files and folders of a run directory.  The trainer's outputs come
 *  first, in the order its checkpoint records their lengths. */
typedef enum {
    PREFRL_RUN_TRAIN_CSV,       /* train.csv: a row per episode (off-policy) or rollout */
    PREFRL_RUN_EVAL_CSV,        /* eval.csv: a row per evaluation */
    PREFRL_RUN_REWARD_CSV,      /* reward.csv: a row per reward-learning round */
    PREFRL_RUN_LABELS_CSV,      /* labels.csv: every query and its label */
    PREFRL_RUN_LOG_TXT,         /* log.txt: the trainer's time-stamped log */
    PREFRL_RUN_PREFS_BIN,       /* prefs.bin: the labelled segment pairs */
    PREFRL_RUN_N_OUTPUTS,       /* (count of the trainer's outputs) */
    PREFRL_RUN_CONFIG = PREFRL_RUN_N_OUTPUTS, /* config.yaml */
    PREFRL_RUN_STATUS,          /* status */
    PREFRL_RUN_STDERR,          /* stderr.txt */
    PREFRL_RUN_CHECKPOINT,      /* checkpoint/ */
    PREFRL_RUN_CHECKPOINT_NEW,  /* checkpoint.new/ */
    PREFRL_RUN_CHECKPOINT_OLD,  /* checkpoint.old/ */
    PREFRL_RUN_MARKER,          /* .prefrl-run: written when prefrl creates the run */
    PREFRL_RUN_LOCK,            /* .prefrl-lock: the writer's flock, holding its pid */
    PREFRL_RUN_N_FILES
} PrefrlRunFile;

/** What `status` says about a run. */
typedef enum {
    PREFRL_STATUS_NONE,         /* no status file (never started, or not a run) */
    PREFRL_STATUS_RUNNING,      /* training, or killed without a chance to say so */
    PREFRL_STATUS_DONE,         /* trained to the end */
    PREFRL_STATUS_INTERRUPTED,  /* stopped by a signal; resumable from its checkpoint */
    PREFRL_STATUS_FAILED,       /* stopped by an error */
    PREFRL_STATUS_UNKNOWN       /* a status file with another word */
} PrefrlRunStatus;

/** The name of the trainer's own state in a checkpoint folder (beside one
 *  file per component kind). */
#define PREFRL_RUN_TRAINER_STATE "trainer"

/** The name of the outputs' record in a checkpoint folder (outputs.bin): the
 *  length of every output at the checkpoint and the CRC-32 of those bytes,
 *  which `resume` checks before it cuts anything. */
#define PREFRL_RUN_OUTPUTS_STATE "outputs"

/** The file name of `f` inside a run directory ("eval.csv"). */
const char *prefrl_rundir_name(PrefrlRunFile f);

/** dir/name of `f`.  (transfer full) */
char *prefrl_rundir_path(const char *dir, PrefrlRunFile f);

/** Open an output of the run in `dir`: created empty, or with `append`
 *  opened for appending (a resumed run, which cuts it back first).
 *  NULL and PREFRL_ERROR_IO naming the path when it cannot be opened. */
FILE *prefrl_rundir_open(const char *dir, PrefrlRunFile f, gboolean append, GError **error);

/* ---- one writer per run directory ---- */

/** TRUE when `name` may name a run directory: one path component of
 *  [A-Za-z0-9._+=,-], 1 to 255 bytes, not starting with '.'. */
gboolean prefrl_rundir_name_ok(const char *name);

/** Take the writer's lock of the run in `dir` (an flock on dir/.prefrl-lock,
 *  which then holds this process's pid), without waiting.  Returns the lock's
 *  file descriptor (keep it open while writing; close it, or exit, to
 *  release), or -1 and PREFRL_ERROR_IO: "DIR is in use by prefrl process
 *  PID" when another process holds it. */
int prefrl_rundir_lock(const char *dir, GError **error);

/** The pid of the process holding the lock of the run in `dir`: 0 when no
 *  process holds it, -1 when one does but its pid is unknown. */
long prefrl_rundir_lock_holder(const char *dir);

/** Mark `dir` as a run directory prefrl created (dir/.prefrl-run). */
gboolean prefrl_rundir_mark(const char *dir, GError **error);

/** TRUE when `dir` carries the marker of a run directory prefrl created. */
gboolean prefrl_rundir_is_marked(const char *dir);

/** Empty the run directory `dir` for a fresh run (`run --force`), keeping
 *  only its lock file (the caller holds the lock).  Refused, with nothing
 *  removed, unless `dir` carries the marker. */
gboolean prefrl_rundir_clear(const char *dir, GError **error);

/* ---- config.yaml ---- */

/** TRUE when `dir` is a run directory (it holds config.yaml). */
gboolean prefrl_rundir_is_run(const char *dir);

/** The text config.yaml holds for a resolved recipe: a comment naming the
 *  prefrl version and the plugin file of each component, then the recipe
 *  with every default written out.  (transfer full) */
char *prefrl_rundir_config_text(const PrefrlNode *root, PrefrlRegistry *reg);

/** Write config.yaml of `root` into `dir` (atomically). */
gboolean prefrl_rundir_write_config(const char *dir, const PrefrlNode *root, PrefrlRegistry *reg,
                                    GError **error);

/** The recipe in dir/config.yaml, parsed but not resolved.  NULL with
 *  "DIR is not a run directory (no config.yaml)" when it is missing, or the
 *  parser's error.  (transfer full) */
PrefrlNode *prefrl_rundir_read_config(const char *dir, GError **error);

/* ---- status ---- */

/** The word written for `s` ("done"); "" for NONE and UNKNOWN. */
const char *prefrl_run_status_name(PrefrlRunStatus s);

/** Replace dir/status with the word for `s` (atomically; a reader sees the
 *  old or the new status, never a part). */
gboolean prefrl_rundir_set_status(const char *dir, PrefrlRunStatus s, GError **error);

/** Replace dir/status with "failed" and, on a second line, `reason` (the
 *  run's error message, newlines turned into spaces), atomically.  Readers
 *  of the status take its first line. */
gboolean prefrl_rundir_set_failed(const char *dir, const char *reason, GError **error);

/** The status of the run in `dir`.  With `text`, also the file's word
 *  without surrounding white space, or NULL without a status file
 *  (transfer full), for messages that show an unknown word as it is.
 *  `running` is reported only while a process holds the run's lock: a
 *  `running` left by a killed process reads as INTERRUPTED (and `text` as
 *  "interrupted"). */
PrefrlRunStatus prefrl_rundir_status(const char *dir, char **text);

/* ---- checkpoints ----
 * A checkpoint is written into checkpoint.new/ and swapped in by two renames
 * (checkpoint → checkpoint.old, checkpoint.new → checkpoint), so a crash at
 * any moment leaves a complete checkpoint/, or a complete checkpoint.old/. */

/** ckdir/<part>.bin: the state of component kind `part` ("agent"), or of
 *  the trainer (PREFRL_RUN_TRAINER_STATE), in a checkpoint folder.
 *  (transfer full) */
char *prefrl_rundir_checkpoint_part(const char *ckdir, const char *part);

/** dir/checkpoint/<part>.bin: a part of the run's latest checkpoint (e.g.
 *  the agent's, to evaluate a finished run again).  (transfer full) */
char *prefrl_rundir_checkpoint_file(const char *dir, const char *part);

/** Start a checkpoint of the run in `dir`: an empty checkpoint.new/ (what an
 *  earlier attempt left there is removed).  Returns its path (transfer
 *  full), or NULL and PREFRL_ERROR_IO. */
char *prefrl_rundir_checkpoint_begin(const char *dir, GError **error);

/** Make checkpoint.new/ the run's checkpoint/ (the swap above); on failure
 *  checkpoint.new/ is removed and the previous checkpoint stays. */
gboolean prefrl_rundir_checkpoint_commit(const char *dir, GError **error);

/** Remove an unfinished checkpoint.new/. */
void prefrl_rundir_checkpoint_discard(const char *dir);

/** The folder of the run's latest checkpoint, checkpoint/ (it may not
 *  exist); a crash between the swap's two renames left only
 *  checkpoint.old/, which is renamed back first.  (transfer full) */
char *prefrl_rundir_checkpoint_latest(const char *dir);

/** TRUE when the run has a checkpoint of the trainer's state to resume
 *  from, in checkpoint/ or (after such a crash) checkpoint.old/. */
gboolean prefrl_rundir_has_checkpoint(const char *dir);

#endif
