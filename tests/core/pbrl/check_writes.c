/* Checked writes and the divergence guard.
 *
 * A full disk is reproduced without root: the run trains in a forked child
 * with RLIMIT_FSIZE set and SIGXFSZ ignored, so the first write past the
 * limit fails with EFBIG, always in the same file at the same step.  The
 * run must stop at that write with an error naming the file, say so in
 * log.txt, and leave no checkpoint of the state after it.  The divergence
 * guard is driven by a threshold below the first loss. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <check.h>
#include <glib/gstdio.h>

#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/log.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "check_run.h"

static const char *const SAC[] = {"agent.name=sac", "agent.hidden_dim=64", "agent.hidden_depth=2",
                                  "agent.batch_size=64", NULL};

static const char *const PROBE[] = {"agent.name=fixture_probe", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=32",
                                     "reward.reward_update=50", NULL};

/* check_trainer's short problem with PEBBLE; `agent` replaces the probe
 * agent when given, `extra` overrides more */
static PrefrlNode *recipe(const char *const *agent, const char *const *extra)
{
    return pbrl_test_short_recipe(agent ? agent : PROBE, PEBBLE, extra);
}

static gint64 file_size(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    GStatBuf st;
    gint64 n = g_stat(path, &st) == 0 ? (gint64)st.st_size : -1;
    g_free(path);
    return n;
}

/* train `root` (taken) in `dir` in a child whose files may not grow past
 * `limit` bytes (0: no limit); the run's error message, "" on success */
static char *train_limited(PrefrlNode *root, const char *dir, rlim_t limit)
{
    int fds[2];
    ck_assert(pipe(fds) == 0);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN); /* write() fails with EFBIG instead of killing */
        if (limit) {
            struct rlimit rl = {limit, limit};
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(3);
        }
        GError *err = NULL;
        PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
        gboolean ok = t && prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err);
        prefrl_trainer_free(t);
        if (!ok && write(fds[1], err->message, strlen(err->message)) < 0)
            _exit(4);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    prefrl_node_free(root);
    GString *msg = g_string_new(NULL);
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        g_string_append_len(msg, buf, n);
    close(fds[0]);
    int st = 0;
    ck_assert(waitpid(pid, &st, 0) == pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) <= 1, "child status %d", st);
    ck_assert_int_eq(WEXITSTATUS(st) == 0, msg->len == 0);
    return g_string_free(msg, FALSE);
}

/* on a full disk prefs.bin stopped half-way while the run
 * went on, logged "finished" and then blamed env.bin */
START_TEST(test_full_disk_stops_at_first_failed_write)
{
    /* the reference: the same run without a limit */
    char *ref = pbrl_test_run_dir("writes-ref");
    char *msg = train_limited(recipe(NULL, NULL), ref, 0);
    ck_assert_str_eq(msg, "");
    g_free(msg);
    gint64 prefs = file_size(ref, "prefs.bin");
    ck_assert_int_gt(prefs, 8192);

    /* prefs.bin is the first file to reach 8 KiB: the run stops there */
    char *dir = pbrl_test_run_dir("writes-full");
    msg = train_limited(recipe(NULL, NULL), dir, 8192);
    char *path = g_build_filename(dir, "prefs.bin", NULL);
    char *want = g_strdup_printf("cannot write %s: %s", path, g_strerror(EFBIG));
    ck_assert_str_eq(msg, want);
    /* log.txt says why, never "finished" */
    char *log = test_slurp(dir, "log.txt");
    char *failed = g_strdup_printf("failed: %s\n", want);
    ck_assert_msg(g_str_has_suffix(log, failed), "%s", log);
    ck_assert_ptr_null(strstr(log, "finished"));
    /* no checkpoint of the state after the failed write (there was none
     * before it: checkpoint_frequency is past the run's end) */
    ck_assert(!prefrl_rundir_has_checkpoint(dir));
    ck_assert_int_le(file_size(dir, "prefs.bin"), 8192);
    g_free(failed);
    g_free(log);
    g_free(want);
    g_free(path);
    g_free(msg);
    g_free(dir);
    g_free(ref);
}
END_TEST

/* the same through `prefrl run`, whose file-size limit is not ignored by
 * the test: prefrl ignores SIGXFSZ itself, so the run ends with exit status
 * 1, the error naming the file, and `status` failed with that reason */
static void limit_8k(gpointer data)
{
    (void)data;
    struct rlimit rl = {8192, 8192};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        _exit(3);
}

START_TEST(test_full_disk_cli_status)
{
    char *top = pbrl_test_run_dir("writes-cli");
    char *file = g_build_filename(top, "recipe.yaml", NULL);
    PrefrlNode *short_root = recipe(NULL, NULL);
    char *text = prefrl_recipe_to_yaml(short_root);
    ck_assert(g_file_set_contents(file, text, -1, NULL));
    g_free(text);
    prefrl_node_free(short_root);
    char *out_dir = g_strconcat("out_dir=", top, NULL);
    char *argv[] = {TEST_BUILDDIR "/../prefrl", "run", file, out_dir, "name=cli", NULL};
    char *out = NULL, *err = NULL;
    int wstatus = 0;
    GError *e = NULL;
    /* the fixture plugin, then the build tree's plugins (the test environment) */
    char **env = g_get_environ();
    char *path = g_strjoin(G_SEARCHPATH_SEPARATOR_S, TEST_BUILDDIR "/common/fixtures/.libs",
                           g_environ_getenv(env, "PREFRL_PLUGIN_PATH"), NULL);
    env = g_environ_setenv(env, "PREFRL_PLUGIN_PATH", path, TRUE);
    g_free(path);
    ck_assert_msg(g_spawn_sync(NULL, argv, env, G_SPAWN_DEFAULT, limit_8k, NULL, &out, &err,
                               &wstatus, &e),
                  "%s", e ? e->message : "");
    ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1, "status %d: %s", wstatus, err);
    char *run = g_build_filename(top, "cli", NULL);
    char *prefs = g_build_filename(run, "prefs.bin", NULL);
    char *want = g_strdup_printf("prefrl: error: cannot write %s: %s\n", prefs, g_strerror(EFBIG));
    ck_assert_msg(g_str_has_suffix(err, want), "%s", err);
    char *status = test_slurp(run, "status");
    char *want_status = g_strdup_printf("failed\ncannot write %s: %s\n", prefs, g_strerror(EFBIG));
    ck_assert_str_eq(status, want_status);
    ck_assert_int_eq(prefrl_rundir_status(run, NULL), PREFRL_STATUS_FAILED);
    g_free(want_status);
    g_free(status);
    g_free(want);
    g_free(prefs);
    g_free(run);
    g_free(out);
    g_free(err);
    g_strfreev(env);
    g_free(out_dir);
    g_free(file);
    g_free(top);
}
END_TEST

/* log.txt itself cannot be written: stderr says so and the run stops */
START_TEST(test_log_txt_unwritable)
{
    if (access("/dev/full", W_OK) != 0)
        return; /* no /dev/full here */
    char *dir = pbrl_test_run_dir("writes-log");
    char *log = g_build_filename(dir, "log.txt", NULL);
    ck_assert(symlink("/dev/full", log) == 0);
    char *msg = train_limited(recipe(NULL, NULL), dir, 0);
    char *want = g_strdup_printf("cannot write %s: %s", log, g_strerror(ENOSPC));
    ck_assert_str_eq(msg, want);
    ck_assert(!prefrl_rundir_has_checkpoint(dir));
    g_free(want);
    g_free(msg);
    g_free(log);
    g_free(dir);
}
END_TEST

/* a failed run's status: the word, then the reason on one line */
START_TEST(test_status_failed_reason)
{
    char *dir = pbrl_test_run_dir("writes-status");
    char *text = NULL;
    ck_assert(prefrl_rundir_set_failed(dir, "cannot write x/prefs.bin:\nFile too large", NULL));
    char *file = test_slurp(dir, "status");
    ck_assert_str_eq(file, "failed\ncannot write x/prefs.bin: File too large\n");
    ck_assert_int_eq(prefrl_rundir_status(dir, &text), PREFRL_STATUS_FAILED);
    ck_assert_str_eq(text, "failed");
    g_free(text);
    g_free(file);
    g_free(dir);
}
END_TEST

/* the guard watches losses and alpha only, every non-finite one and those
 * past the threshold, and remembers the first */
START_TEST(test_log_divergence_guard)
{
    PrefrlLog *log = prefrl_log_new(NULL, NULL);
    const char *col = NULL;
    double v = 0;
    prefrl_log_scalar(log, "train_critic/loss", 1e11);
    prefrl_log_scalar(log, "train/episode_reward", 1e30);
    prefrl_log_scalar(log, "train/explained_variance", NAN);
    prefrl_log_scalar(log, "eval/q_nmse", INFINITY);
    ck_assert(!prefrl_log_diverged(log, &col, &v));
    prefrl_log_scalar(log, "train_alpha/value", -2e12);
    prefrl_log_scalar(log, "train_actor/loss", NAN);
    ck_assert(prefrl_log_diverged(log, &col, &v));
    ck_assert_str_eq(col, "alpha_value");
    ck_assert(v == -2e12);
    prefrl_log_free(log);

    /* inf: non-finite values only */
    log = prefrl_log_new(NULL, NULL);
    prefrl_log_set_divergence(log, INFINITY);
    prefrl_log_scalar(log, "loss", 1e300);
    ck_assert(!prefrl_log_diverged(log, NULL, NULL));
    prefrl_log_scalar(log, "train_meta/loss", -INFINITY);
    ck_assert(prefrl_log_diverged(log, &col, NULL));
    ck_assert_str_eq(col, "meta_loss");
    prefrl_log_free(log);
    ck_assert(!prefrl_log_diverged(NULL, NULL, NULL));
}
END_TEST

/* with the largest learning rates a critic loss of 3.4e44 and α 2.9e16 ended "done".
 * The run stops at the first update past the threshold, names the value,
 * the component and the step, and keeps the checkpoint before it. */
START_TEST(test_divergence_stops_run)
{
    char *dir = pbrl_test_run_dir("writes-diverge");
    const char *const extra[] = {"trainer.divergence_threshold=1e-6",
                                 "trainer.checkpoint_frequency=50", NULL};
    char *msg = train_limited(recipe(SAC, extra), dir, 0);
    /* the first agent update is at step 101, after the 100 seed steps */
    ck_assert_msg(g_str_has_prefix(msg, "agent/sac diverged at step 101: "), "%s", msg);
    ck_assert_msg(g_str_has_suffix(msg, "(trainer.divergence_threshold 1e-06); the last "
                                        "checkpoint before it is kept"),
                  "%s", msg);
    char *log = test_slurp(dir, "log.txt");
    char *failed = g_strdup_printf("failed: %s\n", msg);
    ck_assert_msg(g_str_has_suffix(log, failed), "%s", log);
    /* the last good checkpoint (step 100) is kept: resuming starts there */
    const char *const tame[] = {"trainer.divergence_threshold=inf",
                                "trainer.checkpoint_frequency=50", NULL};
    PrefrlNode *root = recipe(SAC, tame);
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_resume(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(log);
    /* log.txt kept whole: the failure, then where the run resumed */
    log = test_slurp(dir, "log.txt");
    const char *fail_at = strstr(log, failed);
    ck_assert_msg(fail_at && strstr(fail_at, " step 100: resumed from the checkpoint at step 100 ("),
                  "%s", log);
    g_free(log);
    g_free(failed);
    g_free(msg);
    g_free(dir);
}
END_TEST

static Suite *writes_suite(void)
{
    Suite *s = suite_create("writes");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_status_failed_reason);
    tcase_add_test(tc, test_log_divergence_guard);
    tcase_add_test(tc, test_full_disk_stops_at_first_failed_write);
    tcase_add_test(tc, test_full_disk_cli_status);
    tcase_add_test(tc, test_log_txt_unwritable);
    tcase_add_test(tc, test_divergence_stops_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(writes_suite());
    return failed ? 1 : 0;
}
