/* Sweeps (core-internal): a grid file names a base recipe and axes of
 * values; every combination of axis values is one cell, run as its own
 * `prefrl run` process in its own run directory under the sweep directory.
 *
 * Grid file (YAML; `defaults:`/`include:` compose grids like recipes):
 *
 *   recipe: ../{task}/{method}.yaml  # base recipe, relative to the file that
 *                                    # writes it; {x} is the value of axis x
 *   sweep_dir: runs/fig3             # optional; default runs/<grid file stem>
 *   set:                             # overrides applied to every cell
 *     trainer.num_train_steps: 100000
 *   axes:                            # key path (or {template} name): values
 *     task: [walker_walk, cheetah_run]
 *     method: [pebble, mrn]
 *     seed: [1..5]                   # integer range, inclusive
 *     trainer.max_feedback,trainer.reward_batch: [[100, 10], [400, 40]]
 *                                    # zipped: keys set together, value by value
 *
 * A cell's directory name joins its axis values in axis order, numbers
 * prefixed with the key's last part: walker_walk-mrn-seed3. */
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
} PrefrlGridCell;

/** Load a grid and validate every cell by resolving its recipe against the
 *  components in `reg`, before anything runs: grid mistakes (unknown key
 *  path, bad value, missing base recipe, bad range) fail here with the
 *  grid's FILE:LINE:COL and the cell's name.  Each distinct recipe (seeds
 *  aside) is also instantiated once without a run directory, so errors
 *  only a component detects at creation fail here too.  `sweep_dir` (may be NULL)
 *  replaces the grid's sweep_dir.  Free with prefrl_grid_free. */
PrefrlGrid *prefrl_grid_load(const char *path, const char *sweep_dir, PrefrlRegistry *reg,
                             GError **error);

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
    guint running;     /* still running in another process (their lock held): left alone */
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

#endif
