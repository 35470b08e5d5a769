/* Sweeps (core-internal): a grid file names a base recipe and axes of
 * values; every combination of axis values is one cell, run as its own
 * `prefrl run` process in its own run directory under the sweep directory.
 *
 * Grid file (YAML; `defaults:`/`include:` compose grids like recipes):
 *
 *   recipe: ../{task}/{method}.yaml  # base recipe, relative to the file that
 *                                    # writes it; {x} is the value of axis x
 *   sweep_dir: runs/fig3             # optional; default runs/<grid file stem>
 *   set:                             # overrides applied to every cell (the
 *                                    # command line's key=value come after)
 *     trainer.num_train_steps: 100000
 *   axes:                            # key path (or {template} name): values
 *     task: [walker_walk, cheetah_run]
 *     method: [pebble, mrn]
 *     seed: [1..5]                   # integer range, inclusive
 *     trainer.max_feedback,trainer.reward_batch: [[100, 10], [400, 40]]
 *                                    # zipped: keys set together, value by value
 *
 * A cell's directory name joins its axis values in axis order, numbers
 * prefixed with the key's last part: walker_walk-mrn-seed3.
 *
 * The sweep directory also holds .cells (the grid's cell names, one a line,
 * rewritten atomically by every sweep and submission, for `--status`) and,
 * once the sweep was submitted to Slurm, _slurm/: jobs.tsv (job id, array
 * index and cell of every array task submitted; rewritten atomically), the
 * sbatch scripts with their cell lists (array-K.sh, array-K.cells) and the
 * tasks' logs (logs/JOBID_INDEX.out). */
#ifndef PREFRL_CORE_SWEEP_H
#define PREFRL_CORE_SWEEP_H

#include <signal.h>
#include <stdio.h>
#include "host/recipe.h"
#include "host/registry.h"

typedef struct PrefrlGrid PrefrlGrid;

/** One cell of a grid. */
typedef struct {
    char *name;           /* run directory name under the sweep directory */
    char *recipe;         /* base recipe path, as `prefrl run` takes it */
    GPtrArray *overrides; /* char*: "key.path=value" in order; out_dir= and name= last */
    PrefrlNode *resolved; /* the cell's validated recipe, every default written out */
    gboolean threads_set; /* the base recipe or the grid sets `threads` (else an array
                           * task takes them from SLURM_CPUS_PER_TASK, and a run's
                           * `threads` is not compared with the grid's) */
} PrefrlGridCell;

/** Load a grid and validate every cell by resolving its recipe against the
 *  components in `reg`, before anything runs: grid mistakes (unknown key
 *  path, bad value, missing base recipe, bad range) fail here with the
 *  grid's FILE:LINE:COL and the cell's name.  Each distinct recipe (seeds
 *  aside) is also instantiated once without a run directory, so errors
 *  only a component detects at creation fail here too.  `sweep_dir` (may be NULL)
 *  replaces the grid's sweep_dir.  `overrides` (NULL-terminated, may be NULL):
 *  the command line's section.key=value, applied to every cell after set: and
 *  the axes as `prefrl run` applies them (and added to each cell's command
 *  line); one of the wrong form, naming name or out_dir, or a key an axis
 *  varies is an error, and one a cell's recipe does not know fails that cell's
 *  validation as it would fail `prefrl run`.  Free with prefrl_grid_free. */
PrefrlGrid *prefrl_grid_load(const char *path, const char *sweep_dir,
                             const char *const *overrides, PrefrlRegistry *reg, GError **error);

/** The directory that holds the cells' run directories (transfer none). */
const char *prefrl_grid_sweep_dir(const PrefrlGrid *g);

/** Number of cells (the product of the axes' lengths). */
guint prefrl_grid_n_cells(const PrefrlGrid *g);

/** Cell i, 0 <= i < n_cells, in axis order (first axis slowest); transfer none. */
const PrefrlGridCell *prefrl_grid_cell(const PrefrlGrid *g, guint i);

/** The command line that runs cell i (shell-quoted; newly allocated), with
 *  `exe` as the program name. */
char *prefrl_grid_cell_command(const PrefrlGrid *g, guint i, const char *exe);

void prefrl_grid_free(PrefrlGrid *g);

typedef enum {
    PREFRL_CELL_NEW = 1,   /* no run directory yet */
    PREFRL_CELL_DONE,      /* status `done` and config.yaml matches the grid */
    PREFRL_CELL_STALE,     /* status `done` but config.yaml differs from the grid's recipe */
    PREFRL_CELL_UNFINISHED, /* any other status (running, interrupted, failed, none): restart */
    PREFRL_CELL_RESUMABLE, /* interrupted (or killed while running) under the grid's recipe,
                              with a checkpoint: `prefrl resume` continues it */
    PREFRL_CELL_RUNNING    /* a process holds the run directory's lock (e.g. a cell of a
                              sweep that was killed): left alone */
} PrefrlCellState;

/** What is on disk for cell i.  With `detail` != NULL it receives (newly
 *  allocated) the status word for UNFINISHED and RESUMABLE, or for STALE the first
 *  difference ("trainer.num_train_steps: 1000 in config.yaml, 2000 in the
 *  grid"); NULL otherwise.  out_dir and name are not compared. */
PrefrlCellState prefrl_grid_cell_state(const PrefrlGrid *g, guint i, char **detail);

/** How to run a sweep. */
typedef struct {
    int jobs;                    /* cells at once (>= 1) */
    const char *exe;             /* the prefrl program that runs a cell */
    FILE *out;                   /* progress line and reports */
    gboolean tty;                /* rewrite the progress line in place */
    volatile sig_atomic_t *stop; /* count of stop requests (may be NULL): 1 stops
                                  * launching and interrupts running cells
                                  * (SIGINT), 2 or more kills them */
} PrefrlSweepOptions;

/** Counts after a sweep. */
typedef struct {
    guint total;       /* cells in the grid */
    guint skipped;     /* already done (including stale) when the sweep began */
    guint stale;       /* of those, done under a recipe that differs from the grid */
    guint done;        /* finished successfully by this sweep */
    guint failed;      /* failed (reported, stderr.txt kept in the cell) */
    guint interrupted; /* stopped by a stop request; restartable */
    guint not_started; /* left unlaunched after a stop request */
    guint running;     /* still running in another process (their lock held), or queued or
                        * running as a Slurm array task: left alone */
} PrefrlSweepResult;

/** Run every cell that is not done, `jobs` at a time, each as
 *  `exe run RECIPE OVERRIDES... [--force]` with stdin and stdout on
 *  /dev/null and stderr captured; unfinished cells are restarted with
 *  --force.  A failing cell is reported on `out` with its exit status and
 *  the end of its stderr, which is kept in the cell directory as stderr.txt;
 *  the others go on.  Holds an exclusive lock on the sweep directory (a
 *  second sweep on it fails).  Returns FALSE only when the sweep itself
 *  cannot proceed (lock, directories); cell failures are counted in `res`. */
gboolean prefrl_sweep_run(const PrefrlGrid *g, const PrefrlSweepOptions *opt,
                          PrefrlSweepResult *res, GError **error);

/* ---- Slurm ------------------------------------------------------------------------------ */

/** How to submit a sweep to Slurm (NULL strings: not passed to sbatch). */
typedef struct {
    const char *exe;          /* the prefrl program the array tasks run (absolute) */
    const char *grid_path;    /* the grid file, as given (tasks run in the current directory) */
    const char *partition, *time, *mem, *account;
    const char *signal;       /* sbatch --signal, e.g. B:TERM@120 (the grace period) */
    int cpus_per_task;        /* >= 1; also each cell's threads unless the recipe sets them */
    int max_parallel;         /* the array's %N; 0: no limit */
    gboolean requeue;         /* sbatch --requeue: a preempted task runs again (and resumes) */
    char **sbatch_args;       /* NULL-terminated extra #SBATCH options (may be NULL) */
    gboolean dry;             /* write the script, do not submit it */
    FILE *out;                /* what was submitted, and why cells were left out */
} PrefrlSlurmOptions;

/** Submit every cell that is neither done nor queued/running (per `squeue`,
 *  for the tasks recorded in _slurm/jobs.tsv) nor locked by a process, as one
 *  sbatch job array: writes _slurm/array-K.sh and .cells, runs `sbatch
 *  --parsable`, records the job id of each task in _slurm/jobs.tsv.  An array
 *  task runs `prefrl sweep GRID --dir DIR --cell NAME` (prefrl_sweep_run_cell).
 *  Holds the sweep directory's lock meanwhile (a local sweep on it refuses).
 *  `*submitted` receives the number of tasks submitted (0: nothing to do). */
gboolean prefrl_sweep_submit(const PrefrlGrid *g, const PrefrlSlurmOptions *opt,
                             guint *submitted, GError **error);

/** What an array task runs for the cell called `name`: `exe resume DIR` when
 *  it has a checkpoint under the grid's recipe, else `exe run ...` (with
 *  --force over an unfinished run), with threads=SLURM_CPUS_PER_TASK unless
 *  the recipe sets them, by execv (so Slurm's SIGTERM reaches the run, which
 *  checkpoints and stops).  A done cell returns 0 at once.  Returns only
 *  without exec: 0 (nothing to do) or 1 with `error` set. */
int prefrl_sweep_run_cell(const PrefrlGrid *g, const char *name, const char *exe,
                          GError **error);

/** Print every cell of the sweep in `dir` (from its .cells, else its run
 *  directories) as done / running / pending / failed / interrupted, with the
 *  Slurm task and its state from `squeue` (and `sacct` where accounting is
 *  on) when the sweep was submitted, then the counts. */
gboolean prefrl_sweep_status(const char *dir, FILE *out, GError **error);

#endif
