/* `prefrl sweep --slurm` on a real one-node Slurm cluster (started by
 * scripts/slurm-cluster.sh in the build directory, stopped at the end):
 * array tasks give the same eval.csv as local cells; a cancelled task is
 * resumed from its checkpoint by the next submission with outputs equal to
 * an uninterrupted run; --status names each state; a second submission
 * while tasks are queued submits nothing, and a local sweep leaves them
 * alone.  Exits 77 (skip) only when slurm-wlm and munge cannot be installed. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cli_test.h"
#include "files_test.h"
#include "check_run.h"

#define GRIDS TEST_SRCDIR "/core/lab/slurm-grids"
#define WORK TEST_BUILDDIR "/slurm-work"
#define CLUSTER TEST_BUILDDIR "/slurm-cluster"
#define SCRIPT TEST_SRCDIR "/../scripts/slurm-cluster.sh"
#define PRG CLI_TEST_PRG
#define WAIT_S 120 /* longest wait for a submission's tasks */

/* the text of dir/cell/name */
static char *slurp(const char *dir, const char *cell, const char *name)
{
    char *cell_dir = g_build_filename(dir, cell, NULL);
    char *text = test_slurp(cell_dir, name);
    g_free(cell_dir);
    return text;
}

static guint count_lines(const char *text, const char *prefix)
{
    guint n = 0;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        n += g_str_has_prefix(*l, prefix);
    g_strfreev(lines);
    return n;
}

/* the word --status gives `cell` ("done", "running", ...); asserts one line */
static char *state_of(const char *status_out, const char *cell)
{
    char *word = NULL;
    char **lines = g_strsplit(status_out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **f = g_strsplit_set(*l, " ", -1);
        guint k = 1;
        while (f[0] && f[k] && !f[k][0])
            k++;
        if (f[0] && f[k] && !strcmp(f[k], cell)) {
            ck_assert_msg(!word, "two lines for %s:\n%s", cell, status_out);
            word = g_strdup(f[0]);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    ck_assert_msg(word, "no line for %s in:\n%s", cell, status_out);
    return word;
}

/* --status until no cell is pending or running; its last output */
static char *wait_settled(const char *dir)
{
    gint64 end = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
    for (;;) {
        CliTestResult r = cli_test_run_in(WORK, PRG, "sweep", "--status", dir, NULL);
        ck_assert_msg(r.status == 0, "--status: %s", r.err);
        if (strstr(r.out, " 0 running, 0 pending,")) {
            g_free(r.err);
            return r.out;
        }
        if (g_get_monotonic_time() > end)
            ck_abort_msg("the tasks of %s did not finish in %d s:\n%s", dir, WAIT_S, r.out);
        cli_test_result_clear(&r);
        g_usleep(300000);
    }
}

/* the job id of the last submission recorded in dir/_slurm/jobs.tsv */
static char *last_job(const char *dir)
{
    char *text = slurp(dir, "_slurm", "jobs.tsv");
    char *job = NULL;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l && **l != '#') {
            g_free(job);
            job = g_strndup(*l, strcspn(*l, "\t"));
        }
    g_strfreev(lines);
    g_free(text);
    ck_assert_msg(job, "no job recorded in %s", dir);
    return job;
}

static void assert_same_file(const char *a, const char *b, const char *cell, const char *name)
{
    char *x = slurp(a, cell, name), *y = slurp(b, cell, name);
    ck_assert_msg(!strcmp(x, y), "%s/%s differs between %s and %s", cell, name, a, b);
    g_free(x);
    g_free(y);
}

static gboolean exists(const char *dir, const char *cell, const char *name)
{
    char *p = g_build_filename(dir, cell, name, NULL);
    gboolean e = g_file_test(p, G_FILE_TEST_EXISTS);
    g_free(p);
    return e;
}

/* ---- tests --------------------------------------------------------------------------- */

/* the grid through Slurm and locally: the same bytes */
START_TEST(test_same_as_local)
{
    char *sl = test_fresh_path(WORK, "grid-slurm"), *loc = test_fresh_path(WORK, "grid-local");
    CliTestResult r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/grid.yaml", "--slurm", "--dir",
                                      sl, "--max-parallel", "2", NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "submitted 4 of 4 cells"), "%d\n%s%s",
                  r.status, r.out, r.err);
    cli_test_result_clear(&r);
    char *script = slurp(sl, "_slurm", "array-1.sh");
    ck_assert_msg(strstr(script, "#SBATCH --array=0-3%2\n"), "%s", script);
    g_free(script);
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/grid.yaml", "--dir", loc, "-j", "2", NULL);
    ck_assert_msg(r.status == 0, "local sweep: %s", r.err);
    cli_test_result_clear(&r);
    char *st = wait_settled(sl);
    ck_assert_msg(strstr(st, "4 cells: 4 done, 0 running, 0 pending, 0 failed, 0 interrupted"),
                  "%s", st);
    g_free(st);
    static const char *const cells[] = {"pebble-seed1", "pebble-seed2", "true-seed1",
                                        "true-seed2"};
    for (guint i = 0; i < G_N_ELEMENTS(cells); i++) {
        assert_same_file(sl, loc, cells[i], "eval.csv");
        if (g_str_has_prefix(cells[i], "pebble")) {
            assert_same_file(sl, loc, cells[i], "labels.csv");
            assert_same_file(sl, loc, cells[i], "reward.csv");
            assert_same_file(sl, loc, cells[i], "prefs.bin");
        }
    }
    /* all done: nothing more to submit, nothing recorded twice */
    char *before = slurp(sl, "_slurm", "jobs.tsv");
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/grid.yaml", "--slurm", "--dir", sl, NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "4 done, 0 queued or running; nothing to "
                                                 "submit"), "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    char *after = slurp(sl, "_slurm", "jobs.tsv");
    ck_assert_str_eq(before, after);
    guint n_lines = 0;
    for (const char *c = after; *c; c++)
        n_lines += *c == '\n';
    ck_assert_uint_eq(n_lines, 5); /* header + 4 tasks */
    g_free(before);
    g_free(after);
    g_free(sl);
    g_free(loc);
}
END_TEST

/* held tasks: pending in --status, never submitted twice, never started by a
 * local sweep; once released, one cell done and one failed */
START_TEST(test_queued_and_states)
{
    char *sl = test_fresh_path(WORK, "fail-slurm");
    CliTestResult r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/fail.yaml", "--slurm", "--dir",
                                      sl, "--cpus-per-task", "2", "--sbatch-arg=--hold", NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "submitted 2 of 2 cells"), "%s%s", r.out,
                  r.err);
    cli_test_result_clear(&r);
    char *job = last_job(sl);
    r = cli_test_run_in(WORK, PRG, "sweep", "--status", sl, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    char *w0 = state_of(r.out, "reward_offset0"), *w1 = state_of(r.out, "reward_offset1000");
    ck_assert_str_eq(w0, "pending");
    ck_assert_str_eq(w1, "pending");
    g_free(w0);
    g_free(w1);
    cli_test_result_clear(&r);

    char *before = slurp(sl, "_slurm", "jobs.tsv");
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/fail.yaml", "--slurm", "--dir", sl, NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "0 done, 2 queued or running; nothing to "
                                                 "submit"), "%s%s", r.out, r.err);
    ck_assert_msg(count_lines(r.out, "prefrl sweep: cell ") == 2, "%s", r.out);
    cli_test_result_clear(&r);
    char *after = slurp(sl, "_slurm", "jobs.tsv");
    ck_assert_str_eq(before, after);
    g_free(before);
    g_free(after);
    char *second = g_build_filename(sl, "_slurm", "array-2.sh", NULL);
    ck_assert_msg(!g_file_test(second, G_FILE_TEST_EXISTS), "a second script was written");
    g_free(second);

    /* a local sweep leaves queued cells to Slurm */
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/fail.yaml", "--dir", sl, "-j", "2", NULL);
    ck_assert_msg(r.status == 1 && count_lines(r.err, "prefrl sweep: cell ") == 2 &&
                      strstr(r.err, "is left to Slurm (Slurm task"),
                  "%d\n%s", r.status, r.err);
    cli_test_result_clear(&r);
    char *d0 = g_build_filename(sl, "reward_offset0", NULL);
    ck_assert_msg(!g_file_test(d0, G_FILE_TEST_EXISTS), "a local sweep started a queued cell");
    g_free(d0);

    r = cli_test_run_in(WORK, "scontrol", "release", job, NULL);
    ck_assert_msg(r.status == 0, "scontrol release: %s", r.err);
    cli_test_result_clear(&r);
    char *st = wait_settled(sl);
    w0 = state_of(st, "reward_offset0");
    w1 = state_of(st, "reward_offset1000");
    ck_assert_msg(!strcmp(w0, "done") && !strcmp(w1, "failed"), "%s", st);
    ck_assert_msg(strstr(st, "2 cells: 1 done, 0 running, 0 pending, 1 failed, 0 interrupted"),
                  "%s", st);
    g_free(w0);
    g_free(w1);
    g_free(st);
    /* threads from the allocation (the recipe sets none) */
    char *cfg = slurp(sl, "reward_offset0", "config.yaml");
    ck_assert_msg(strstr(cfg, "\nthreads: 2\n"), "%s", cfg);
    g_free(cfg);
    g_free(job);
    g_free(sl);
}
END_TEST

/* scancel while running: SIGTERM checkpoints; the next submission resumes;
 * the outputs equal an uninterrupted run's */
START_TEST(test_cancel_resume)
{
    char *sl = test_fresh_path(WORK, "slow-slurm"), *loc = test_fresh_path(WORK, "slow-local");
    const char *cell = "seed3";
    CliTestResult r =
        cli_test_run_in(WORK, PRG, "sweep", GRIDS "/slow.yaml", "--slurm", "--dir", sl, NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "submitted 1 of 1 cells"), "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    char *job = last_job(sl);
    /* running, with an evaluation written: cancel it */
    gint64 end = g_get_monotonic_time() + WAIT_S * G_USEC_PER_SEC;
    char *eval = g_build_filename(sl, cell, "eval.csv", NULL);
    for (;;) {
        char *text = NULL;
        if (g_file_get_contents(eval, &text, NULL, NULL) && count_lines(text, "") >= 3) {
            g_free(text);
            break;
        }
        g_free(text);
        ck_assert_msg(g_get_monotonic_time() < end, "the cell did not start in %d s", WAIT_S);
        g_usleep(100000);
    }
    r = cli_test_run_in(WORK, PRG, "sweep", "--status", sl, NULL);
    char *w = state_of(r.out, cell);
    ck_assert_msg(!strcmp(w, "running"), "%s", r.out);
    g_free(w);
    cli_test_result_clear(&r);
    char *task = g_strdup_printf("%s_0", job);
    r = cli_test_run_in(WORK, "scancel", task, NULL);
    ck_assert_msg(r.status == 0, "scancel: %s", r.err);
    cli_test_result_clear(&r);
    char *st = wait_settled(sl);
    w = state_of(st, cell);
    ck_assert_msg(!strcmp(w, "interrupted") && strstr(st, "resumable from its checkpoint"),
                  "the cancelled cell (did it finish before scancel?):\n%s", st);
    g_free(w);
    g_free(st);
    char *part = slurp(sl, cell, "eval.csv");
    guint rows_at_cancel = count_lines(part, "");
    g_free(part);
    ck_assert_msg(exists(sl, cell, "checkpoint"), "no checkpoint after SIGTERM");

    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/slow.yaml", "--slurm", "--dir", sl, NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "submitted 1 of 1 cells"), "%s%s", r.out,
                  r.err);
    cli_test_result_clear(&r);
    char *job2 = last_job(sl);
    ck_assert_str_ne(job, job2);
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/slow.yaml", "--dir", loc, "-j", "1", NULL);
    ck_assert_msg(r.status == 0, "local: %s", r.err);
    cli_test_result_clear(&r);
    st = wait_settled(sl);
    w = state_of(st, cell);
    ck_assert_msg(!strcmp(w, "done"), "%s", st);
    g_free(w);
    g_free(st);
    /* the second task resumed (not restarted) */
    char *log_name = g_strdup_printf("%s_0.out", job2);
    char *log = slurp(sl, "_slurm/logs", log_name);
    ck_assert_msg(strstr(log, " resume "), "the second task did not resume:\n%s", log);
    g_free(log);
    g_free(log_name);
    char *full = slurp(sl, cell, "eval.csv");
    ck_assert_msg(rows_at_cancel < count_lines(full, ""), "cancelled at the end: %u rows",
                  rows_at_cancel);
    g_free(full);
    assert_same_file(sl, loc, cell, "eval.csv");
    g_free(task);
    g_free(eval);
    g_free(job);
    g_free(job2);
    g_free(sl);
    g_free(loc);
}
END_TEST

START_TEST(test_usage_errors)
{
    CliTestResult r =
        cli_test_run_in(WORK, PRG, "sweep", GRIDS "/grid.yaml", "--partition", "x", NULL);
    ck_assert_msg(r.status == 2 && strstr(r.err, "--partition goes with --slurm"), "%s", r.err);
    cli_test_result_clear(&r);
    char *sl = test_fresh_path(WORK, "bad-opts");
    r = cli_test_run_in(WORK, PRG, "sweep", GRIDS "/grid.yaml", "--slurm", "--dir", sl, "--time",
                        "1 day", NULL);
    ck_assert_msg(r.status == 1 && strstr(r.err, "--time '1 day'"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_run_in(WORK, PRG, "sweep", "--status", WORK "/no-such-sweep", NULL);
    ck_assert_msg(r.status == 1 && strstr(r.err, "no such directory"), "%s", r.err);
    cli_test_result_clear(&r);
    g_free(sl);
}
END_TEST

/* every option becomes its #SBATCH line; --dry-run submits nothing */
START_TEST(test_script_options)
{
    char *sl = test_fresh_path(WORK, "script");
    CliTestResult r = cli_test_run_in(
        WORK, PRG, "sweep", GRIDS "/grid.yaml", "--slurm", "--dry-run", "--dir", sl, "--partition",
        "debug", "--time", "0:10:00", "--mem", "1G", "--account", "lab", "--signal", "B:TERM@60",
        "--requeue", "--cpus-per-task", "2", "--max-parallel", "3", "--sbatch-arg=--qos=long",
        "--sbatch-arg", "--comment=prefrl", "trainer.num_train_steps=300", NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "4 cells to submit") &&
                      strstr(r.out, "not submitted"), "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    char *script = slurp(sl, "_slurm", "array-1.sh");
    static const char *const lines[] = {
        "#SBATCH --array=0-3%3\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --partition=debug\n",
        "#SBATCH --time=0:10:00\n", "#SBATCH --mem=1G\n", "#SBATCH --account=lab\n",
        "#SBATCH --signal=B:TERM@60\n", "#SBATCH --requeue\n", "#SBATCH --qos=long\n",
        "#SBATCH --comment=prefrl\n", "#SBATCH --open-mode=append\n",
        /* the task loads the grid with the same overrides */
        "/grid.yaml' 'trainer.num_train_steps=300' --dir ", " --cell \"$cell\"\n"};
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++)
        ck_assert_msg(strstr(script, lines[i]), "no '%s' in:\n%s", lines[i], script);
    g_free(script);
    char *cells = slurp(sl, "_slurm", "array-1.cells");
    ck_assert_str_eq(cells, "pebble-seed1\npebble-seed2\ntrue-seed1\ntrue-seed2\n");
    g_free(cells);
    ck_assert_msg(!exists(sl, "_slurm", "jobs.tsv"), "a dry run recorded a job");
    r = cli_test_run_in(WORK, PRG, "sweep", "--status", sl, NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "4 cells: 0 done, 0 running, 4 pending") &&
                      strstr(r.out, "(not started)"), "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    /* array task 0's command (the script's exec line above, run here without
     * Slurm, as the build tree's program needs its wrapper's environment):
     * its cell's run has the override */
    const char *const task[] = {"sweep", GRIDS "/grid.yaml", "trainer.num_train_steps=300",
                                "--dir", sl, "--cell", "pebble-seed1", NULL};
    r = cli_test_prefrlv(WORK, NULL, task);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    char *cfg = slurp(sl, "pebble-seed1", "config.yaml"), *st = slurp(sl, "pebble-seed1", "status");
    ck_assert_msg(strstr(cfg, "  num_train_steps: 300\n"), "%s", cfg);
    ck_assert_str_eq(st, "done\n");
    g_free(cfg);
    g_free(st);
    g_free(sl);
}
END_TEST

static Suite *slurm_suite(void)
{
    Suite *s = suite_create("slurm");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 2 * WAIT_S);
    tcase_add_test(tc, test_usage_errors);
    tcase_add_test(tc, test_script_options);
    tcase_add_test(tc, test_same_as_local);
    tcase_add_test(tc, test_queued_and_states);
    tcase_add_test(tc, test_cancel_resume);
    suite_add_tcase(s, tc);
    return s;
}

/* scripts/slurm-cluster.sh start|stop: its exit status (77: cannot install) */
static int cluster(const char *what)
{
    char *argv[] = {SCRIPT, (char *)what, CLUSTER, NULL};
    int wstatus = 0;
    GError *err = NULL;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                      &wstatus, &err)) {
        fprintf(stderr, "check_slurm: cannot run %s: %s\n", SCRIPT, err->message);
        g_error_free(err);
        return 1;
    }
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
}

int main(void)
{
    cli_test_fixture_plugins_first();
    g_setenv("SLURM_CONF", CLUSTER "/slurm.conf", TRUE);
    int rc = cluster("start");
    if (rc == 77) {
        fprintf(stderr, "check_slurm: SKIP: no Slurm cluster (see the reason above)\n");
        return 77;
    }
    if (rc != 0) {
        fprintf(stderr, "check_slurm: the one-node Slurm cluster did not start (logs in %s)\n",
                CLUSTER);
        return EXIT_FAILURE;
    }
    int failed = check_run(slurm_suite());
    if (cluster("stop") != 0)
        fprintf(stderr, "check_slurm: warning: stopping the cluster in %s failed\n", CLUSTER);
    if (!failed) {
        prefrl_remove_tree(WORK);
        prefrl_remove_tree(CLUSTER);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
