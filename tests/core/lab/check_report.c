/* `prefrl report` on ablations and its figures: runs that differ in a reward
 * key form one group per value, labelled with the key, whose numbers are the
 * mean and sample std of the runs' own CSVs; runs of different lengths are
 * never pooled; a reward without labels stays one group over label budgets;
 * a repeated seed is a note in report.md itself; panel titles give the
 * budget and the labels given; the plot's y range stays inside the
 * metric's bounds (padding included); --x labels and --band ci are accepted
 * and bad values refused; --frames writes a strip of the expected size per
 * group whose env renders, and a note for one whose env cannot. */
#include "config.h"
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cairo.h>
#include <glib/gstdio.h>

#include "cli_test.h"
#include "files_test.h"
#include "report_test.h"
#include "lab/plot.h"
#include "check_run.h"

#define WORK TEST_BUILDDIR "/report-work"
#define PRG CLI_TEST_PRG
#define CONFIGS TEST_SRCDIR "/../configs"
#define SWEEPS TEST_SRCDIR "/core/lab/sweeps"

/* ---- helpers ------------------------------------------------------------------------- */

/* A finished run of rune on task t as a sweep cell writes it: config.yaml
 * with every key, status, eval.csv with `rows` evaluations every 100 steps
 * (returns from `base`, varied per seed), labels.csv and reward.csv (three
 * rounds of 10 labels: 30 given out of a budget of 100). */
static void fake_run(const char *dir, const char *name, int seed, const char *beta,
                     int steps, double base)
{
    char *run = g_build_filename(dir, name, NULL);
    g_mkdir_with_parents(run, 0755);
    char *cfg = g_strdup_printf(
        "trainer:\n  num_train_steps: %d\n  max_feedback: 100\n  reward_batch: 10\n"
        "  checkpoint_frequency: %d\n  progress_interval: %d\n  save_video: %s\n"
        "agent:\n  name: sac\n  hidden_dim: 32\n"
        "env:\n  task: t\nreward:\n  name: rune\n  hidden_dim: 16\n  beta_init: %s\n"
        "sampler:\n  name: disagreement\nteacher:\n  name: scripted\n"
        "seed: %d\nname: %s\nout_dir: %s\nthreads: %d\n",
        steps, 1000 * seed, 10 * seed, seed == 1 ? "true" : "false", beta, seed, name, dir,
        seed);
    test_put(run, "config.yaml", cfg);
    g_free(cfg);
    test_put(run, "status", "done\n");
    GString *eval = g_string_new("episode,episode_reward,step,true_episode_reward\n");
    for (int s = 100, i = 0; s <= steps; s += 100, i++)
        g_string_append_printf(eval, "%d,0,%d,%.6f\n", i, s,
                               base + 37.0 * seed * seed + 11.0 * i * (seed + 1) - (i == 2) * 50);
    test_put(run, "eval.csv", eval->str);
    g_string_free(eval, TRUE);
    test_put(run, "labels.csv", "round,step,pair,label,true_return1,true_return2\n");
    test_put(run, "reward.csv",
        "accuracy,epochs,labeled_feedback,loss,round,step,total_feedback\n"
        "1,5,10,0.1,1,100,10\n1,5,20,0.1,2,200,20\n1,5,30,0.1,3,300,30\n");
    g_free(run);
}

/* final value and AUC of run `run` in dir (report_test.h) */
static void eval_stats(const char *dir, const char *run, double *final, double *auc)
{
    char *rd = g_build_filename(dir, run, NULL);
    report_test_eval_stats(rd, "true_episode_reward", final, auc);
    g_free(rd);
}

static int csv_rows(const char *csv)
{
    int n = -1; /* the header */
    for (const char *c = csv; *c; c++)
        n += *c == '\n';
    return n;
}

/* ---- groups -------------------------------------------------------------------------- */

/* 2 values of reward.beta_init x 2 seeds, and a repeat of one cell */
START_TEST(test_ablation_groups)
{
    char *dir = test_fresh_dir(WORK, "ablation");
    const char *cells[4] = {"beta0.01-seed1", "beta0.01-seed2", "beta0.5-seed1", "beta0.5-seed2"};
    for (int k = 0; k < 4; k++)
        fake_run(dir, cells[k], 1 + k % 2, k < 2 ? "0.01" : "0.5", 600, k < 2 ? 100.0 : 300.0);
    char *again = g_build_filename(dir, "zz-again", NULL);
    fake_run(again, "beta0.5-seed1", 1, "0.5", 600, 900.0); /* same settings, same seed */
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "| t | 100 | rune beta_init=0.01 | 2 |") &&
                      strstr(r.out, "| t | 100 | rune beta_init=0.5 | 2 |"),
                  "%s", r.out);
    cli_test_result_clear(&r);

    char *csv = test_slurp(out, "summary.csv");
    ck_assert_int_eq(csv_rows(csv), 2); /* one group per value */
    const char *labels[2] = {"rune beta_init=0.01", "rune beta_init=0.5"};
    for (int g = 0; g < 2; g++) {
        double fin[2], auc[2];
        for (int s = 0; s < 2; s++)
            eval_stats(dir, cells[2 * g + s], &fin[s], &auc[s]);
        char **row = report_test_row(csv, labels[g]);
        ck_assert_str_eq(row[2], "rune");
        ck_assert_str_eq(row[6], "100");
        ck_assert_str_eq(row[8], "2");
        ck_assert_str_eq(row[9], "1 2");
        report_test_assert_two_seeds(row, 10, fin[0], fin[1], "final");
        report_test_assert_two_seeds(row, 12, auc[0], auc[1], "auc");
        ck_assert_str_eq(row[18], g ? "beta_init=0.5" : "beta_init=0.01");
        ck_assert_str_eq(row[19], "30"); /* labels given, not the budget */
        ck_assert_str_eq(row[20], "30");
        g_strfreev(row);
    }
    g_free(csv);
    char *md = test_slurp(out, "report.md");
    /* the repeat is a note in the report itself, with both directories */
    ck_assert_msg(strstr(md, "## Notes") &&
                      strstr(md, "zz-again/beta0.5-seed1 repeats seed 1 of t / "
                                 "rune with the same settings"),
                  "%s", md);
    ck_assert_msg(strstr(md, "(here: `reward.beta_init`)"), "%s", md);
    ck_assert_msg(strstr(md, "| t | 100 | rune beta_init=0.5 | 1 2 |"), "%s", md);
    ck_assert_msg(strstr(md, "± one sample standard deviation"), "%s", md);
    /* the panel's title: the budget and the labels actually given */
    ck_assert_msg(strstr(md, "Panels: *t · budget 100 · 30 given*."), "%s", md);
    g_free(md);
    char *smd = test_slurp(out, "summary.md");
    ck_assert_msg(strstr(smd, " given |") && strstr(smd, "| 30 |\n"), "%s", smd);
    g_free(smd);

    /* the CI band and the labels axis draw the same groups */
    r = cli_test_prefrl("report", dir, "-o", out, "--band", "ci", "--x", "labels", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    md = test_slurp(out, "report.md");
    ck_assert_msg(strstr(md, "95 % percentile bootstrap") && strstr(md, "x: the preference labels"),
                  "%s", md);
    g_free(md);
    r = cli_test_prefrl("report", dir, "--band", "sem", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--band takes std or ci, not 'sem'"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("report", dir, "--x", "time", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--x takes steps or labels, not 'time'"), "%s", r.err);
    cli_test_result_clear(&r);
    g_free(out);
    g_free(again);
    g_free(dir);
}
END_TEST

/* the same settings at three run lengths: three groups, never one of five seeds */
START_TEST(test_lengths_not_pooled)
{
    char *dir = test_fresh_dir(WORK, "lengths");
    fake_run(dir, "short-seed1", 1, "0.5", 400, 100.0);
    fake_run(dir, "short-seed2", 2, "0.5", 400, 100.0);
    fake_run(dir, "long-seed1", 1, "0.5", 800, 100.0);
    fake_run(dir, "long-seed2", 2, "0.5", 800, 100.0);
    fake_run(dir, "longer-seed1", 1, "0.5", 1200, 100.0);
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *csv = test_slurp(out, "summary.csv");
    ck_assert_int_eq(csv_rows(csv), 3);
    /* in the order of the values, not of their text */
    const char *p400 = strstr(csv, "rune num_train_steps=400,"),
               *p800 = strstr(csv, "rune num_train_steps=800,"),
               *p1200 = strstr(csv, "rune num_train_steps=1200,");
    ck_assert_msg(p400 && p800 && p1200 && p400 < p800 && p800 < p1200, "%s", csv);
    double fin[2], auc[2];
    eval_stats(dir, "long-seed1", &fin[0], &auc[0]);
    eval_stats(dir, "long-seed2", &fin[1], &auc[1]);
    char **row = report_test_row(csv, "rune num_train_steps=800");
    ck_assert_str_eq(row[8], "2");
    report_test_assert_close(g_ascii_strtod(row[10], NULL), (fin[0] + fin[1]) / 2, "final mean");
    g_strfreev(row);
    row = report_test_row(csv, "rune num_train_steps=400");
    ck_assert_str_eq(row[8], "2");
    g_strfreev(row);
    g_free(csv);
    /* the per-run keys (seed, name, out_dir, threads, checkpoint_frequency,
     * progress_interval, save_video) differ between seeds and split nothing */
    char *md = test_slurp(out, "report.md");
    ck_assert_msg(strstr(md, "(here: `trainer.num_train_steps`)"), "%s", md);
    ck_assert_msg(!strstr(md, "## Notes"), "%s", md);
    g_free(md);
    g_free(out);
    g_free(dir);
}
END_TEST

/* SAC on the true reward (no labels.csv) in a grid over budgets: the label
 * settings act on nothing, so the runs stay one group and the same seed at
 * another budget is a repeat, with a note */
START_TEST(test_label_free_one_group)
{
    char *dir = test_fresh_dir(WORK, "labelfree");
    const int budgets[3] = {100, 400, 100};
    const int seeds[3] = {1, 1, 2};
    for (int k = 0; k < 3; k++) {
        char *name = g_strdup_printf("b%d-seed%d", budgets[k], seeds[k]);
        char *run = g_build_filename(dir, name, NULL);
        g_mkdir_with_parents(run, 0755);
        char *cfg = g_strdup_printf("trainer:\n  num_train_steps: 300\n  max_feedback: %d\n"
                                    "  reward_batch: %d\nagent:\n  name: sac\nenv:\n  task: t\n"
                                    "reward:\n  name: true\nsampler:\n  name: uniform\n"
                                    "seed: %d\nname: %s\n",
                                    budgets[k], budgets[k] / 10, seeds[k], name);
        test_put(run, "config.yaml", cfg);
        test_put(run, "status", "done\n");
        test_put(run, "eval.csv", "step,true_episode_reward\n100,5\n200,7\n300,9\n");
        g_free(cfg);
        g_free(run);
        g_free(name);
    }
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "| t | – | true (agent sac) | 2 |"), "%s", r.out);
    ck_assert_msg(strstr(r.err, "b400-seed1 repeats seed 1 of t / true (agent sac)"), "%s",
                  r.err);
    cli_test_result_clear(&r);
    char *csv = test_slurp(out, "summary.csv");
    ck_assert_int_eq(csv_rows(csv), 1);
    g_free(csv);
    g_free(out);
    g_free(dir);
}
END_TEST

/* ---- the plot's y range -------------------------------------------------------------- */

START_TEST(test_y_range)
{
    const double x[3] = {0, 100, 200}, mean[3] = {10, 40, 20}, std[3] = {30, 30, 5};
    double lo, hi;
    /* without bounds the band's −20 takes the axis below 0 */
    PrefrlFigure *fig = prefrl_figure_new(NULL, 1);
    PrefrlPanel *p = prefrl_figure_add_panel(fig, NULL, NULL, NULL);
    prefrl_panel_add_series(p, "a", PREFRL_SERIES_BAND, 3, x, mean, std);
    prefrl_panel_y_range(p, &lo, &hi);
    ck_assert_msg(lo < 0 && hi >= 70, "%g %g", lo, hi);
    /* a return that cannot be negative: the axis starts at 0, not below */
    prefrl_panel_set_y_limits(p, 0.0, INFINITY);
    prefrl_panel_y_range(p, &lo, &hi);
    ck_assert_msg(lo == 0 && hi >= 70 && hi <= 100, "%g %g", lo, hi);
    /* a success rate of 0 everywhere: padding stays inside 0-100 */
    PrefrlPanel *q = prefrl_figure_add_panel(fig, NULL, NULL, NULL);
    const double zero[3] = {0, 0, 0};
    prefrl_panel_add_series(q, "b", PREFRL_SERIES_BAND, 3, x, zero, zero);
    prefrl_panel_set_y_limits(q, 0.0, 100.0);
    prefrl_panel_y_range(q, &lo, &hi);
    ck_assert_msg(lo == 0 && hi > 0 && hi <= 100, "%g %g", lo, hi);
    /* a band near 100 % is cut at 100 */
    PrefrlPanel *u = prefrl_figure_add_panel(fig, NULL, NULL, NULL);
    const double high[3] = {90, 95, 99}, wide[3] = {20, 20, 20};
    prefrl_panel_add_series(u, "c", PREFRL_SERIES_BAND, 3, x, high, wide);
    prefrl_panel_set_y_limits(u, 0.0, 100.0);
    prefrl_panel_y_range(u, &lo, &hi);
    ck_assert_msg(hi == 100 && lo >= 0 && lo <= 70, "%g %g", lo, hi);
    /* an asymmetric band (a bootstrap interval) counts by its edges */
    PrefrlPanel *v = prefrl_figure_add_panel(fig, NULL, NULL, NULL);
    const double blo[3] = {5, 30, 15}, bhi[3] = {300, 50, 25};
    prefrl_panel_add_series_band(v, "d", PREFRL_SERIES_BAND, 3, x, mean, blo, bhi);
    prefrl_panel_y_range(v, &lo, &hi);
    ck_assert_msg(lo <= 5 && lo >= 0 && hi >= 300, "%g %g", lo, hi);
    prefrl_figure_free(fig);
}
END_TEST

START_TEST(test_strip_size)
{
    int w, h;
    prefrl_strip_size(3, 64, 48, &w, &h);
    ck_assert_int_eq(w, 3 * 64 + 4 * 4);
    ck_assert_int_eq(h, 48 + 22);
}
END_TEST

/* ---- frames -------------------------------------------------------------------------- */

/* run argv, which must succeed */
static void run_ok(const char *const *argv)
{
    CliTestResult r = cli_test_spawn(NULL, argv, NULL, FALSE);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
}

/* the pixel (x, y) of an RGB24 cairo surface as 0xRRGGBB */
static guint32 pixel(cairo_surface_t *s, int x, int y)
{
    const unsigned char *px = cairo_image_surface_get_data(s);
    return ((const guint32 *)(px + (size_t)y * cairo_image_surface_get_stride(s)))[x] &
           0xffffff;
}

/* a tiny cart-pole SAC run (13-step episodes) and a fixture run whose env
 * cannot render: a 3-frame strip for the first, a note for the second */
START_TEST(test_frames)
{
    char *dir = test_fresh_dir(WORK, "frames");
    const char *cart[] = {PRG, "run", CONFIGS "/cartpole_swingup/sac.yaml", "out_dir=" WORK
                          "/frames", "name=cart", "--force", "trainer.num_train_steps=260",
                          "trainer.num_seed_steps=100", "trainer.eval_frequency=130",
                          "trainer.num_eval_episodes=1", "env.episode_length=50",
                          "agent.hidden_dim=16", "agent.batch_size=16", NULL};
    run_ok(cart);
    const char *fixture[] = {PRG, "run", SWEEPS "/true.yaml", "out_dir=" WORK "/frames",
                             "name=reach", "--force", NULL};
    run_ok(fixture);
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, "--frames", "--frame-count", "3",
                                      "--frame-size", "64x48", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.err, "no frames for fixture_reach / true (agent sac): env "
                                "fixture_reach cannot render"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.out, "frames-01-cartpole_swingup-true__agent_sac_.png"), "%s", r.out);
    cli_test_result_clear(&r);
    char *png = g_build_filename(out, "frames-01-cartpole_swingup-true__agent_sac_.png", NULL);
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    ck_assert_msg(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s", png);
    int w, h;
    prefrl_strip_size(3, 64, 48, &w, &h);
    ck_assert_int_eq(cairo_image_surface_get_width(s), w);
    ck_assert_int_eq(cairo_image_surface_get_height(s), h);
    cairo_surface_flush(s);
    /* each frame is a rendered scene (not the white page), and the
     * pole moves: the first and the last frame differ */
    int differ = 0;
    for (int k = 0; k < 3; k++) {
        int x0 = 4 + k * (64 + 4);
        gboolean ink = FALSE;
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++) {
                ink |= pixel(s, x0 + x, 4 + y) != 0xffffff;
                if (k == 2)
                    differ += pixel(s, x0 + x, 4 + y) != pixel(s, 4 + x, 4 + y);
            }
        ck_assert_msg(ink, "frame %d is blank", k);
    }
    ck_assert_int_gt(differ, 20);
    cairo_surface_destroy(s);
    g_free(png);
    char *md = test_slurp(out, "report.md");
    ck_assert_msg(strstr(md, "## What the agents do") &&
                      strstr(md, "](frames-01-cartpole_swingup-true__agent_sac_.png)") &&
                      strstr(md, "No frames: env fixture_reach cannot render") &&
                      strstr(md, "## Notes"),
                  "%s", md);
    g_free(md);
    r = cli_test_prefrl("report", dir, "--frames", "--frame-count", "0", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--frame-count takes 1 to 64"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("report", dir, "--frame-size", "64x48", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "need --frames"), "%s", r.err);
    cli_test_result_clear(&r);
    g_free(out);
    g_free(dir);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ablation_groups);
    tcase_add_test(tc, test_lengths_not_pooled);
    tcase_add_test(tc, test_label_free_one_group);
    tcase_add_test(tc, test_y_range);
    tcase_add_test(tc, test_strip_size);
    tcase_add_test(tc, test_frames);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    cli_test_fixture_plugins_first();
    int failed = check_run(report_suite());
    prefrl_plot_release_caches();
    if (!failed)
        prefrl_remove_tree(WORK); /* kept after a failure, for a look */
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
