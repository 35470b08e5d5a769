/* The progress display of both loops: without a terminal a run writes a
 * progress line (step, steps/s, ETA, last evaluation, labels given of the
 * budget) to stderr and log.txt every trainer.progress_interval seconds;
 * on a terminal one rewritten line.  "--" stands for what cannot be
 * estimated yet (the ETA of the first frame, the evaluation before the
 * first one), never a nan or an absurd ETA, and the display changes no
 * output file but log.txt. */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include <glib/gstdio.h>

#include "host/recipe.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "check_run.h"

/* small networks; a short discount keeps the Q diagnostic's continuation short */
static const char *const SAC[] = {"agent.name=sac", "agent.hidden_dim=32", "agent.hidden_depth=2",
                                  "agent.batch_size=32", "agent.discount=0.9", NULL};
static const char *const PPO[] = {"agent.name=ppo", "agent.hidden_dim=32", "agent.hidden_depth=2",
                                  "agent.n_envs=2", "agent.n_steps=100", "agent.batch_size=100",
                                  "agent.n_epochs=2", "agent.unsup_n_epochs=2", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=16",
                                     "reward.reward_update=5", NULL};

/* one progress line: step, rate, ETA (h:mm:ss or Nd hh:mm:ss), evaluation, labels */
#define LINE_RE                                                                                    \
    "^step ([0-9]+)/1200  (--|[0-9]+(\\.[0-9])?) steps/s  ETA (--|[0-9]+:[0-9]{2}:[0-9]{2}|"       \
    "[0-9]+d [0-9]{2}:[0-9]{2}:[0-9]{2})  eval (--|-?[0-9]+\\.[0-9])  labels ([0-9]+)/40$"

/* train `root` (taken) in `dir` with the given display, stderr into a file;
 * returns what the run wrote to stderr */
static char *run_capturing(PrefrlNode *root, const char *dir, PrefrlProgress mode)
{
    char *path = g_build_filename(dir, "stderr.txt", NULL);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *cap = fopen(path, "w");
    ck_assert_ptr_nonnull(cap);
    ck_assert_int_ge(dup2(fileno(cap), STDERR_FILENO), 0);
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    gboolean ok = t && prefrl_trainer_run(t, NULL, mode, &err);
    prefrl_trainer_free(t);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(cap);
    ck_assert_msg(ok, "%s", err ? err->message : "");
    prefrl_node_free(root);
    char *text = NULL;
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    g_remove(path); /* the run directory keeps only the run's files */
    g_free(path);
    return text;
}

/* check every line of `lines` (NULL-terminated) against LINE_RE: evaluation
 * "--" before the first evaluation (step 600) and a number after it, labels
 * never above the budget, an ETA of at most 5 minutes (the run takes a few
 * seconds); returns how many lines had an ETA */
static int check_lines(char **lines, int *n_lines)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, LINE_RE, REG_EXTENDED), 0);
    int n = 0, with_eta = 0;
    for (char **l = lines; *l; l++) {
        if (!**l)
            continue;
        regmatch_t m[8];
        ck_assert_msg(regexec(&re, *l, 8, m, 0) == 0, "not a progress line: '%s'", *l);
        long step = strtol(*l + m[1].rm_so, NULL, 10);
        gboolean no_eval = !strncmp(*l + m[5].rm_so, "--", 2);
        ck_assert_msg(step == 600 || no_eval == (step < 600),
                      "evaluation shown wrongly at step %ld: '%s'", step, *l);
        ck_assert_int_le(strtol(*l + m[6].rm_so, NULL, 10), 40);
        if (strncmp(*l + m[4].rm_so, "--", 2) != 0) {
            int h = -1, mi = -1, se = -1;
            ck_assert_msg(sscanf(*l + m[4].rm_so, "%d:%d:%d", &h, &mi, &se) == 3 && h == 0 &&
                              mi < 5,
                          "ETA out of bounds: '%s'", *l);
            with_eta++;
        }
        n++;
    }
    regfree(&re);
    *n_lines = n;
    return with_eta;
}

/* the progress lines log.txt holds, after its "progress: " marker */
static char **log_progress(const char *dir)
{
    char *log = test_slurp(dir, "log.txt");
    char **all = g_strsplit(log, "\n", -1);
    GPtrArray *out = g_ptr_array_new();
    for (char **l = all; *l; l++) {
        const char *p = strstr(*l, "progress: ");
        if (p)
            g_ptr_array_add(out, g_strdup(p + strlen("progress: ")));
    }
    g_ptr_array_add(out, NULL);
    g_strfreev(all);
    g_free(log);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* the same run without a terminal, every `interval` s, and with no display:
 * lines on stderr and in log.txt alike, the CSVs byte-identical */
static void lines_case(const char *const *agent, const char *name)
{
    /* 1 ms per env step: a run of a few seconds for little CPU */
    const char *const extra[] = {"trainer.progress_interval=0.1", "env.step_delay=1000", NULL};
    char *a = g_strdup_printf("%s-lines", name), *b = g_strdup_printf("%s-none", name);
    char *da = pbrl_test_run_dir(a), *db = pbrl_test_run_dir(b);
    gint64 t0 = g_get_monotonic_time();
    char *err_text =
        run_capturing(pbrl_test_short_recipe(agent, PEBBLE, extra), da, PREFRL_PROGRESS_LINES);
    double took = (g_get_monotonic_time() - t0) / 1e6;
    char *quiet =
        run_capturing(pbrl_test_short_recipe(agent, PEBBLE, extra), db, PREFRL_PROGRESS_NONE);
    ck_assert_str_eq(quiet, "");
    pbrl_test_assert_same_outputs(da, db, name);

    char **lines = g_strsplit(err_text, "\n", -1);
    int n = 0, with_eta = check_lines(lines, &n);
    /* a line every 0.1 s (of steps) and the last one */
    ck_assert_msg(took > 1.5 && n >= 10, "%d lines in %.1f s", n, took);
    /* the last line: the end of the run, the whole loop's rate */
    ck_assert_msg(g_str_has_prefix(lines[n - 1], "step 1200/1200  ") &&
                      strstr(lines[n - 1], "ETA 0:00:00") && !strstr(lines[n - 1], "-- steps/s"),
                  "last line '%s'", lines[n - 1]);
    /* the first line, within the first second: nothing to estimate from;
     * the lines after it have measured a rate */
    ck_assert_msg(strstr(lines[0], "-- steps/s  ETA --"), "first line '%s'", lines[0]);
    ck_assert_msg(with_eta >= n / 3, "%d of %d lines with an ETA", with_eta, n);
    char **logged = log_progress(da);
    ck_assert_int_eq(g_strv_length(logged), g_strv_length(lines) - 1); /* the split's tail "" */
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(logged[i], lines[i]);
    g_strfreev(logged);
    char **none = log_progress(db);
    ck_assert_int_eq(g_strv_length(none), 0); /* no display: nothing in log.txt either */
    g_strfreev(none);
    g_strfreev(lines);
    g_free(err_text);
    g_free(quiet);
    g_free(da);
    g_free(db);
    g_free(a);
    g_free(b);
}

START_TEST(test_lines_off_policy)
{
    lines_case(SAC, "progress-sac");
}
END_TEST

START_TEST(test_lines_on_policy)
{
    lines_case(PPO, "progress-ppo");
}
END_TEST

/* on a terminal: frames rewritten in place, the first one says "--" for the
 * rate and the ETA (a run that has not measured a second yet), the last one
 * ends the line; with progress_interval 0 log.txt has no progress lines */
START_TEST(test_terminal_frames)
{
    const char *const extra[] = {"trainer.progress_interval=0", "env.step_delay=1000", NULL};
    char *dir = pbrl_test_run_dir("progress-tty");
    char *text =
        run_capturing(pbrl_test_short_recipe(SAC, PEBBLE, extra), dir, PREFRL_PROGRESS_TERMINAL);
    ck_assert_msg(text[0] == '\r' && g_str_has_suffix(text, "\n"), "'%s'", text);
    ck_assert_ptr_null(strstr(text, "nan"));
    char **frames = g_strsplit_set(text + 1, "\r\n", -1);
    /* frames end in two spaces that clear a longer previous one */
    for (char **f = frames; *f; f++)
        if (**f) {
            ck_assert(g_str_has_suffix(*f, "  "));
            (*f)[strlen(*f) - 2] = '\0';
        }
    ck_assert_msg(g_str_has_prefix(frames[0], "step 0/1200  -- steps/s  ETA --  eval --  "
                                              "labels 0/40"),
                  "first frame '%s'", frames[0]);
    int n = 0, with_eta = check_lines(frames, &n);
    ck_assert_int_ge(n, 2);
    ck_assert_int_ge(with_eta, 1); /* a frame a second, the first one without */
    char **logged = log_progress(dir);
    ck_assert_int_eq(g_strv_length(logged), 0);
    g_strfreev(logged);
    g_strfreev(frames);
    g_free(text);
    g_free(dir);
}
END_TEST

/* the key: documented, a float of at least 0 */
START_TEST(test_interval_key)
{
    const PrefrlParamSpec *spec = NULL;
    for (const PrefrlParamSpec *p = prefrl_trainer_params; p->key; p++)
        if (!strcmp(p->key, "progress_interval"))
            spec = p;
    ck_assert_ptr_nonnull(spec);
    ck_assert_str_eq(spec->dflt, "60");
    ck_assert(strstr(spec->doc, "log.txt") && strstr(spec->doc, "stderr"));
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_recipe(PEBBLE, NULL);
    ck_assert(prefrl_recipe_override(root, "trainer.progress_interval=-1", &err));
    ck_assert(!prefrl_recipe_resolve(root, pbrl_test_registry(), &prefrl_run_keys,
                                     prefrl_trainer_required_kinds(), &err));
    ck_assert_msg(strstr(err->message, "progress_interval"), "%s", err->message);
    g_error_free(err);
    prefrl_node_free(root);
}
END_TEST

static Suite *progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_lines_off_policy);
    tcase_add_test(tc, test_lines_on_policy);
    tcase_add_test(tc, test_terminal_frames);
    tcase_add_test(tc, test_interval_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(progress_suite());
    return failed ? 1 : 0;
}
