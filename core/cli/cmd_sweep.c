/* `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]`: run every cell of
 * a grid as its own `prefrl run` process (see core/lab/sweep.h). */
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
    "sweep", "GRID.yaml",
    "Run every cell of a grid of recipes (methods x tasks x seeds x budgets), N at a time.",
    "Each cell runs as its own 'prefrl run' process in the sweep directory.  Running the\n"
    "same command again skips finished cells and resumes interrupted ones; Ctrl-C stops\n"
    "the running cells cleanly."};

static int sweep(const char *grid_path, const char *dir, gboolean dry, int jobs);

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
    char *dir = NULL;
    gboolean dry = FALSE;
    int jobs = G_MININT; /* not given: the number of cores */
    const GOptionEntry entries[] = {
        {"jobs", 'j', 0, G_OPTION_ARG_INT, &jobs,
         "cells run at once, 1 to 1024 (default: the number of cores)", "N"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry,
         "validate the grid and list the cells and their commands", NULL},
        {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
         "sweep directory (default: the grid's sweep_dir, or runs/<grid name>)", "DIR"},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&sweep_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (jobs != G_MININT && (jobs < 1 || jobs > 1024))
        rc = prefrl_cli_usage_error(&sweep_usage, "-j takes a number of cells from 1 to 1024");
    else if (!args[0])
        rc = prefrl_cli_usage_error(&sweep_usage, "sweep needs a GRID.yaml");
    else if (args[1])
        rc = prefrl_cli_usage_error(&sweep_usage, "one grid file at a time");
    if (rc >= 0) {
        g_strfreev(args);
        g_free(dir);
        return rc;
    }
    rc = sweep(args[0], dir, dry, jobs != G_MININT ? jobs : (int)g_get_num_processors());
    g_strfreev(args);
    g_free(dir);
    return rc;
}

static int sweep(const char *grid_path, const char *dir, gboolean dry, int jobs)
{
    GError *err = NULL;
    PrefrlRegistry *reg = prefrl_registry_default();
    if (isatty(STDERR_FILENO)) /* instantiating large recipes takes seconds */
        fprintf(stderr, "prefrl sweep: checking the recipes of %s ...\n", grid_path);
    PrefrlGrid *g = prefrl_grid_load(grid_path, dir, reg, &err);
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
            fprintf(stderr, "prefrl sweep: %u cells are still running in other processes (see "
                            "above); run the same command again once they have stopped\n",
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
