/* The prefrl program's side of issue 14's trainer features, through the
 * real binary (the build tree's ./prefrl wrapper) on env/dmc:
 *  - `prefrl run` installs the video writer: trainer.save_video writes one
 *    WebM per evaluation under the run's videos/;
 *  - trainer.seed_prefs given relative to the current directory is stored
 *    absolute in config.yaml, so the run sets up again from elsewhere;
 *  - `prefrl describe recipe` documents the new trainer keys. */
#include "config.h"
#include <string.h>
#include <check.h>
#include <glib/gstdio.h>

#include "cli_test.h"
#include "dmc_test.h"
#include "files_test.h"
#include "check_run.h"

#define WORK TEST_BUILDDIR "/cli-media" /* setup_work's */

/* a fresh WORK with the recipe in it: its path (transfer full) */
static char *setup_work(void)
{
    g_free(test_fresh_dir(TEST_BUILDDIR, "cli-media"));
    test_put(WORK, "clips.yaml", dmc_test_recipe);
    return g_build_filename(WORK, "clips.yaml", NULL);
}

/* the file starts as a WebM (Matroska EBML) and is more than a header */
static void assert_webm(const char *path)
{
    char *bytes;
    gsize n;
    ck_assert_msg(g_file_get_contents(path, &bytes, &n, NULL), "%s is missing", path);
    ck_assert_msg(n > 1000 && memcmp(bytes, "\x1a\x45\xdf\xa3", 4) == 0, "%s is not a WebM",
                  path);
    g_free(bytes);
}

START_TEST(test_run_videos_and_seed)
{
    char *recipe = setup_work();
    const char *const run[] = {"run", recipe, "out_dir=" WORK, "name=video",
                               "trainer.save_video=true", "trainer.video_width=40",
                               "trainer.video_height=30", NULL};
    CliTestResult r = cli_test_prefrlv(NULL, NULL, run);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    assert_webm(WORK "/video/videos/eval-200.webm");
    assert_webm(WORK "/video/videos/eval-400.webm");

    /* seeded from the first run's labels, named relative to the current directory */
    const char *const seeded[] = {"run", recipe, "out_dir=.", "name=seeded",
                                  "trainer.seed_prefs=video/prefs.bin", NULL};
    r = cli_test_prefrlv(WORK, NULL, seeded);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *config = test_slurp(WORK "/seeded", "config.yaml");
    char *abs = g_canonicalize_filename(WORK "/video/prefs.bin", NULL);
    char *line = g_strdup_printf("seed_prefs: %s\n", abs);
    ck_assert_msg(strstr(config, line), "%s", config);
    g_free(line);
    g_free(abs);
    g_free(config);
    char *log = test_slurp(WORK "/seeded", "log.txt");
    ck_assert_msg(strstr(log, "trained on 8 preference pairs of /"), "%s", log);
    g_free(log);
    /* the run set up again from elsewhere (its trainer reads the seed file) */
    const char *const again[] = {"evaluate", "--episodes", "1", WORK "/seeded", NULL};
    r = cli_test_prefrlv("/", NULL, again);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    /* a missing seed file: one line naming it */
    const char *const missing[] = {"run", recipe, "out_dir=.", "name=missing",
                                   "trainer.seed_prefs=nowhere.bin", NULL};
    r = cli_test_prefrlv(WORK, NULL, missing);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(g_str_has_prefix(r.err, "prefrl: error: trainer.seed_prefs: ") &&
                      strstr(r.err, "/nowhere.bin") &&
                      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "%s", r.err);
    char *run_missing = g_strdup(r.err);
    cli_test_result_clear(&r);

    /* prefrl check reads the seed file as the run does, relative to the
     * current directory: a good one passes, a missing or truncated one is
     * the run's one-line error and status 1 */
    const char *const check_good[] = {"check", recipe, "trainer.seed_prefs=video/prefs.bin",
                                      NULL};
    r = cli_test_prefrlv(WORK, NULL, check_good);
    ck_assert_msg(r.status == 0 && strstr(r.out, ": ok\n"), "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    const char *const check_missing[] = {"check", recipe, "trainer.seed_prefs=nowhere.bin", NULL};
    r = cli_test_prefrlv(WORK, NULL, check_missing);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, run_missing);
    ck_assert_str_eq(r.out, "");
    cli_test_result_clear(&r);
    char *bytes;
    gsize n;
    ck_assert(g_file_get_contents(WORK "/video/prefs.bin", &bytes, &n, NULL) && n > 100);
    ck_assert(g_file_set_contents(WORK "/cut.bin", bytes, (gssize)n - 7, NULL));
    g_free(bytes);
    const char *const check_cut[] = {"check", recipe, "trainer.seed_prefs=cut.bin", NULL};
    r = cli_test_prefrlv(WORK, NULL, check_cut);
    ck_assert_int_eq(r.status, 1);
    char *cut_abs = g_canonicalize_filename(WORK "/cut.bin", NULL);
    ck_assert_msg(g_str_has_prefix(r.err, "prefrl: error: ") && strstr(r.err, cut_abs) &&
                      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "%s", r.err);
    char *check_cut_err = g_strdup(r.err);
    cli_test_result_clear(&r);
    const char *const run_cut[] = {"run", recipe, "out_dir=.", "name=cut",
                                   "trainer.seed_prefs=cut.bin", NULL};
    r = cli_test_prefrlv(WORK, NULL, run_cut);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, check_cut_err);
    cli_test_result_clear(&r);
    g_free(check_cut_err);
    g_free(cut_abs);
    g_free(run_missing);
    g_free(recipe);
}
END_TEST

START_TEST(test_describe_keys)
{
    const char *const a[] = {"describe", "recipe", NULL};
    CliTestResult r = cli_test_prefrlv(NULL, NULL, a);
    ck_assert_int_eq(r.status, 0);
    const char *const keys[] = {"save_video", "video_format", "video_camera", "video_width",
                                "video_height", "video_fps", "seed_prefs"};
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        ck_assert_msg(strstr(r.out, keys[i]), "%s missing from:\n%s", keys[i], r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "docs/preference-data.md"));
    cli_test_result_clear(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli-media");
    TCase *tc = tcase_create("cli-media");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_describe_keys);
    tcase_add_test(tc, test_run_videos_and_seed);
    suite_add_tcase(s, tc);
    int failed = check_run(s);
    return failed ? 1 : 0;
}
