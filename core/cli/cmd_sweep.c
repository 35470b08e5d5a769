/* `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]`: run every cell of
 * a grid as its own `prefrl run` process (see core/lab/sweep.h); with
 * --slurm, submit the cells as a Slurm job array instead; `--status DIR`
 * shows every cell's state; `--cell NAME` is what an array task runs. */
#include "config.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "host/registry.h"
#include "lab/sweep.h"

static volatile sig_atomic_t stop_requests = 0;

static void on_stop(int sig)
{
    (void)sig;
    stop_requests = stop_requests + 1;
}

static const PrefrlCliUsage sweep_usage = {
    "sweep", "GRID.yaml [section.key=value ...]",
    "Run every cell of a grid of recipes (methods x tasks x seeds x budgets), N at a time.",
    "Each cell runs as its own 'prefrl run' process in the sweep directory.  Running the\n"
    "same command again skips finished cells and resumes interrupted ones; Ctrl-C stops\n"
    "the running cells cleanly.\n"
    "\n"
    "Overrides section.key=value after the grid apply to every cell's recipe after the\n"
    "grid's set: and axes, as `prefrl run` applies them (e.g. trainer.num_train_steps=20000\n"
    "env.scene=original); a key an axis varies, name and out_dir are refused, and a key a\n"
    "cell's recipe does not have is an error naming the cell, as in `prefrl run`.  Cells\n"
    "done without them are kept as done under another recipe: give such a sweep its own\n"
    "--dir.\n"
    "\n"
    "On a Slurm cluster, --slurm submits the cells as one job array instead (one task per\n"
    "cell that is neither done nor queued/running; results in the same sweep directory),\n"
    "and records the job in DIR/_slurm/jobs.tsv.  A task that Slurm cancels, times out or\n"
    "preempts gets SIGTERM, checkpoints and stops; the same command again (or --requeue)\n"
    "resumes it.  Each cell's threads come from --cpus-per-task unless its recipe sets them.\n"
    "  prefrl sweep configs/sweeps/fig3.yaml --slurm --time 3-00:00:00 --cpus-per-task 2 \\\n"
    "      --signal B:TERM@300 --max-parallel 50\n"
    "  prefrl sweep --status runs/fig3     (done / running / pending / failed / interrupted)"};

/* what --slurm and its options set */
typedef struct {
    gboolean on, requeue;
    char *partition, *time, *mem, *account, *signal;
    int cpus, max_parallel;
    char **sbatch_args;
} SlurmArgs;

static int sweep(const char *grid_path, const char *const *overrides, const char *dir,
                 gboolean dry, int jobs, const SlurmArgs *sa, const char *cell,
                 gboolean status);

static const char *state_word(PrefrlCellState st)
{
    switch (st) {
    case PREFRL_CELL_NEW: return "run";
    case PREFRL_CELL_DONE: return "done";
    case PREFRL_CELL_STALE: return "stale";
    case PREFRL_CELL_RESUMABLE: return "resume";
    case PREFRL_CELL_RUNNING: return "running";
    default: return "restart";
    }
}

static int dry_run(const PrefrlGrid *g, const char *exe)
{
    guint counts[PREFRL_CELL_RUNNING + 1] = {0};
    for (guint i = 0; i < prefrl_grid_n_cells(g); i++) {
        char *detail = NULL;
        PrefrlCellState st = prefrl_grid_cell_state(g, i, &detail);
        counts[st]++;
        char *cmd = prefrl_grid_cell_command(g, i, exe);
        printf("%-8s %s%s%s%s\n         %s\n", state_word(st), prefrl_grid_cell(g, i)->name,
               detail ? " (" : "", detail ? detail : "", detail ? ")" : "", cmd);
        g_free(cmd);
        g_free(detail);
    }
    printf("sweep %s: %u cells: %u to run, %u to resume, %u to restart, %u done, %u done "
           "under another recipe (kept), %u still running elsewhere\n",
           prefrl_grid_sweep_dir(g), prefrl_grid_n_cells(g), counts[PREFRL_CELL_NEW],
           counts[PREFRL_CELL_RESUMABLE], counts[PREFRL_CELL_UNFINISHED],
           counts[PREFRL_CELL_DONE], counts[PREFRL_CELL_STALE], counts[PREFRL_CELL_RUNNING]);
    return 0;
}

int prefrl_cmd_sweep(int argc, char **argv)
{
    char *dir = NULL, *cell = NULL;
    gboolean dry = FALSE, status = FALSE;
    int jobs = G_MININT; /* not given: the number of cores */
    SlurmArgs sa = {.cpus = G_MININT, .max_parallel = G_MININT};
    const GOptionEntry entries[] = {
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
         "cells run at once, 1 to 1024 (default: the number of cores)", "N"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry,
         "validate the grid and list the cells and their commands", NULL},
        {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
         "sweep directory (default: the grid's sweep_dir, or runs/<grid name>)", "DIR"},
        {"status", 0, 0, G_OPTION_ARG_NONE, &status,
         "show every cell of the sweep directory DIR (or of GRID.yaml's) as done, running, "
         "pending, failed or interrupted, with its Slurm task's state", NULL},
        {"slurm", 0, 0, G_OPTION_ARG_NONE, &sa.on,
         "submit the unfinished cells to Slurm as one sbatch job array instead of running "
         "them here", NULL},
        {"partition", 0, 0, G_OPTION_ARG_STRING, &sa.partition, "(--slurm) sbatch --partition",
         "NAME"},
        {"time", 0, 0, G_OPTION_ARG_STRING, &sa.time,
         "(--slurm) time limit per cell, sbatch --time (e.g. 2-12:00:00)", "LIMIT"},
        {"cpus-per-task", 0, 0, G_OPTION_ARG_INT, &sa.cpus,
         "(--slurm) CPUs per cell, 1 to 1024 (default 1); also its threads unless the recipe "
         "sets them", "N"},
        {"mem", 0, 0, G_OPTION_ARG_STRING, &sa.mem, "(--slurm) memory per cell, sbatch --mem "
         "(e.g. 4G)", "SIZE"},
        {"max-parallel", 0, 0, G_OPTION_ARG_INT, &sa.max_parallel,
         "(--slurm) cells running at once, the array's %N (default: no limit)", "N"},
        {"account", 0, 0, G_OPTION_ARG_STRING, &sa.account, "(--slurm) sbatch --account",
         "NAME"},
        {"signal", 0, 0, G_OPTION_ARG_STRING, &sa.signal,
         "(--slurm) sbatch --signal: SIGTERM this long before the time limit, so the cell "
         "checkpoints (e.g. B:TERM@300)", "SPEC"},
        {"requeue", 0, 0, G_OPTION_ARG_NONE, &sa.requeue,
         "(--slurm) let Slurm requeue preempted tasks (they resume from their checkpoint)",
         NULL},
        {"sbatch-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sa.sbatch_args,
         "(--slurm) one more #SBATCH option, e.g. --sbatch-arg=--qos=long (repeatable)",
         "OPT"},
        {"cell", 0, 0, G_OPTION_ARG_STRING, &cell,
         "run the one cell NAME (what a Slurm array task runs): resume it, restart it, or "
         "do nothing if done", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&sweep_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *slurm_only = sa.partition      ? "--partition"
                             : sa.time         ? "--time"
                             : sa.mem          ? "--mem"
                             : sa.account      ? "--account"
                             : sa.signal       ? "--signal"
                             : sa.requeue      ? "--requeue"
                             : sa.sbatch_args  ? "--sbatch-arg"
                             : sa.cpus != G_MININT ? "--cpus-per-task"
                             : sa.max_parallel != G_MININT ? "--max-parallel"
                                                           : NULL;
    if (jobs != G_MININT && (jobs < 1 || jobs > 1024))
        rc = prefrl_cli_usage_error(&sweep_usage, "-j takes a number of cells from 1 to 1024");
    else if (!args[0])
        rc = prefrl_cli_usage_error(&sweep_usage, status ? "--status needs a sweep DIR"
                                                         : "sweep needs a GRID.yaml");
    else if (args[1] && status)
        rc = prefrl_cli_usage_error(&sweep_usage, "--status takes no overrides");
    else if (slurm_only && !sa.on)
        rc = prefrl_cli_usage_error(&sweep_usage, "%s goes with --slurm", slurm_only);
    else if ((status ? 1 : 0) + (sa.on ? 1 : 0) + (cell ? 1 : 0) > 1)
        rc = prefrl_cli_usage_error(&sweep_usage, "--status, --slurm and --cell exclude each "
                                                  "other");
    else if (sa.cpus != G_MININT && (sa.cpus < 1 || sa.cpus > 1024))
        rc = prefrl_cli_usage_error(&sweep_usage, "--cpus-per-task takes 1 to 1024");
    else if (sa.max_parallel != G_MININT && (sa.max_parallel < 1 || sa.max_parallel > 100000))
        rc = prefrl_cli_usage_error(&sweep_usage, "--max-parallel takes 1 to 100000");
    else if (jobs != G_MININT && (sa.on || cell || status))
        rc = prefrl_cli_usage_error(&sweep_usage, "-j is for local sweeps (with --slurm, "
                                                  "--max-parallel)");
    for (char **a = args + (args[0] ? 1 : 0); rc < 0 && *a; a++)
        if (!strchr(*a, '='))
            rc = prefrl_cli_usage_error(&sweep_usage, "one grid file at a time; after it come "
                                                      "section.key=value overrides, not '%s'",
                                        *a);
    if (rc < 0 && status && !g_file_test(args[0], G_FILE_TEST_IS_REGULAR)) {
        /* a sweep directory: no grid to load */
        GError *err = NULL;
        rc = prefrl_sweep_status(args[0], stdout, &err) ? 0 : prefrl_cli_fail(err);
        g_clear_error(&err);
    } else if (rc < 0) {
        /* with --status, a grid file: its sweep directory's status */
        rc = sweep(args[0], (const char *const *)args + 1, dir, dry,
                   jobs != G_MININT ? jobs : (int)g_get_num_processors(), &sa, cell, status);
    }
    g_strfreev(args);
    g_free(dir);
    g_free(cell);
    g_free(sa.partition);
    g_free(sa.time);
    g_free(sa.mem);
    g_free(sa.account);
    g_free(sa.signal);
    g_strfreev(sa.sbatch_args);
    return rc;
}

/* --slurm: submit */
static int submit(const PrefrlGrid *g, const char *grid_path, const char *exe, gboolean dry,
                  const SlurmArgs *sa)
{
    PrefrlSlurmOptions o = {.exe = exe, .grid_path = grid_path, .partition = sa->partition,
                            .time = sa->time, .mem = sa->mem, .account = sa->account,
                            .signal = sa->signal, .requeue = sa->requeue,
                            .cpus_per_task = sa->cpus != G_MININT ? sa->cpus : 1,
                            .max_parallel = sa->max_parallel != G_MININT ? sa->max_parallel : 0,
                            .sbatch_args = sa->sbatch_args, .dry = dry, .out = stdout};
    GError *err = NULL;
    guint n = 0;
    if (!prefrl_sweep_submit(g, &o, &n, &err)) {
        int rc = prefrl_cli_fail(err);
        g_error_free(err);
        return rc;
    }
    if (n && !dry) {
        char *q = g_shell_quote(prefrl_grid_sweep_dir(g));
        printf("next: prefrl sweep --status %s\n", q);
        g_free(q);
    }
    return 0;
}

/* `cell`: the cell an array task runs (NULL: a sweep); `status`: the grid's
 * sweep directory's status */
static int sweep(const char *grid_path, const char *const *overrides, const char *dir,
                 gboolean dry, int jobs, const SlurmArgs *slurm, const char *cell,
                 gboolean status)
{
    GError *err = NULL;
    PrefrlRegistry *reg = prefrl_registry_default();
    if (isatty(STDERR_FILENO)) /* instantiating large recipes takes seconds */
        fprintf(stderr, "prefrl sweep: checking the recipes of %s ...\n", grid_path);
    PrefrlGrid *g = prefrl_grid_load(grid_path, dir, overrides, reg, &err);
    if (!g) {
        const GPtrArray *f = prefrl_registry_failures(reg);
        for (guint i = 0; i < f->len; i++)
            fprintf(stderr, "prefrl: warning: %s\n", (const char *)f->pdata[i]);
        int rc = prefrl_cli_fail(err);
        g_error_free(err);
        return rc;
    }
    char *exe = g_file_read_link("/proc/self/exe", &err);
    int rc = 0;
    if (!exe) {
        rc = prefrl_cli_fail(err);
        goto out;
    }
    if (status) {
        rc = prefrl_sweep_status(prefrl_grid_sweep_dir(g), stdout, &err) ? 0
                                                                            : prefrl_cli_fail(err);
        goto out;
    }
    if (cell) {
        rc = prefrl_sweep_run_cell(g, cell, exe, &err); /* returns only without exec */
        if (rc)
            rc = prefrl_cli_fail(err);
        goto out;
    }
    if (slurm->on) {
        rc = submit(g, grid_path, exe, dry, slurm);
        goto out;
    }
    if (dry) {
        rc = dry_run(g, exe);
        goto out;
    }

    struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
    sigemptyset(&sa.sa_mask); /* no SA_RESTART: the wait loop wakes up at once */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    PrefrlSweepOptions opt = {.jobs = jobs, .exe = exe, .out = stderr,
                              .tty = isatty(STDERR_FILENO), .stop = &stop_requests};
    PrefrlSweepResult res;
    gboolean ok = prefrl_sweep_run(g, &opt, &res, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (!ok) {
        rc = prefrl_cli_fail(err);
        goto out;
    }
    const char *sd = prefrl_grid_sweep_dir(g);
    if (stop_requests) {
        fprintf(stderr, "prefrl sweep: stopped: %u cells interrupted, %u not started; run the "
                        "same command again to finish them\n",
                res.interrupted, res.not_started);
        rc = 130;
    } else if (res.failed || res.running) {
        if (res.running)
            fprintf(stderr, "prefrl sweep: %u cells are queued or running elsewhere (in Slurm "
                            "or another process; see above); run the same command again once "
                            "they have stopped\n",
                    res.running);
        if (res.failed)
            fprintf(stderr, "prefrl sweep: %u of %u cells failed (see above); the others are in "
                            "%s; run again to retry the failed ones\n",
                    res.failed, res.total, sd);
        rc = 1;
    } else {
        char *q = g_shell_quote(sd);
        printf("sweep %s: all %u cells done (%u by this run); next: prefrl report %s\n", sd,
               res.total, res.done, q);
        g_free(q);
    }
out:
    g_clear_error(&err);
    g_free(exe);
    prefrl_grid_free(g);
    return rc;
}
