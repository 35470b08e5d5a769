/* `prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]`: run every cell of
 * a grid as its own `prefrl run` process (see core/sweep.h). */
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

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "prefrl: error: %s\n", msg);
    fprintf(stderr, "usage: prefrl sweep GRID.yaml [-j N] [--dry-run] [--dir DIR]\n"
                    "  -j N        cells run at once (default: the number of cores)\n"
                    "  --dry-run   validate the grid and list the cells and their commands\n"
                    "  --dir DIR   sweep directory (default: the grid's sweep_dir, or "
                    "runs/<grid name>)\n");
    return 2;
}

static const char *state_word(PrefrlCellState st)
{
    switch (st) {
    case PREFRL_CELL_NEW: return "run";
    case PREFRL_CELL_DONE: return "done";
    case PREFRL_CELL_STALE: return "stale";
    case PREFRL_CELL_RESUMABLE: return "resume";
    default: return "restart";
    }
}

static int dry_run(const PrefrlGrid *g, const char *exe)
{
    guint counts[PREFRL_CELL_RESUMABLE + 1] = {0};
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
           "under another recipe (kept)\n",
           prefrl_grid_sweep_dir(g), prefrl_grid_n_cells(g), counts[PREFRL_CELL_NEW],
           counts[PREFRL_CELL_RESUMABLE], counts[PREFRL_CELL_UNFINISHED],
           counts[PREFRL_CELL_DONE], counts[PREFRL_CELL_STALE]);
    return 0;
}

int prefrl_cmd_sweep(int argc, char **argv)
{
    const char *grid_path = NULL, *dir = NULL;
    gboolean dry = FALSE;
    int jobs = (int)g_get_num_processors();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *num = NULL;
        if (!strcmp(a, "--dry-run") || !strcmp(a, "-n"))
            dry = TRUE;
        else if (!strcmp(a, "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(a, "-j") && i + 1 < argc)
            num = argv[++i];
        else if (!strncmp(a, "-j", 2) && a[2])
            num = a + 2;
        else if (!strncmp(a, "--jobs=", 7))
            num = a + 7;
        else if (a[0] == '-')
            return usage("unknown option for sweep");
        else if (!grid_path)
            grid_path = a;
        else
            return usage("one grid file at a time");
        if (num) {
            char *end = NULL;
            long v = strtol(num, &end, 10);
            if (end == num || *end || v < 1 || v > 1024)
                return usage("-j takes a number of cells from 1 to 1024");
            jobs = (int)v;
        }
    }
    if (!grid_path)
        return usage(NULL);

    GError *err = NULL;
    PrefrlRegistry *reg = prefrl_registry_default();
    if (isatty(STDERR_FILENO)) /* instantiating large recipes takes seconds */
        fprintf(stderr, "prefrl sweep: checking the recipes of %s ...\n", grid_path);
    PrefrlGrid *g = prefrl_grid_load(grid_path, dir, reg, &err);
    if (!g) {
        const GPtrArray *f = prefrl_registry_failures(reg);
        for (guint i = 0; i < f->len; i++)
            fprintf(stderr, "prefrl: warning: %s\n", (const char *)f->pdata[i]);
        return prefrl_cli_fail(err);
    }
    char *exe = g_file_read_link("/proc/self/exe", &err);
    if (!exe) {
        prefrl_grid_free(g);
        return prefrl_cli_fail(err);
    }
    int rc = 0;
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
    } else if (res.failed) {
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
