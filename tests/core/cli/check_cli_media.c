/* The prefrl program's side of issue 14's trainer features, through the
 * real binary (the build tree's ./prefrl wrapper) on env/dmc:
 *  - `prefrl run` installs the video writer: trainer.save_video writes one
 *    WebM per evaluation under the run's videos/;
 *  - trainer.seed_prefs given relative to the current directory is stored
 *    absolute in config.yaml, so the run sets up again from elsewhere;
 *  - `prefrl describe recipe` documents the new trainer keys. */
#include "config.h"
#include <string.h>
#include <sys/wait.h>
#include <check.h>
#include <glib/gstdio.h>

#define PREFRL TEST_BUILDDIR "/../prefrl"
#define WORK TEST_BUILDDIR "/cli-media"

static const char recipe_text[] =
    "seed: 5\n"
    "trainer:\n"
    "  num_train_steps: 400\n"
    "  num_seed_steps: 100\n"
    "  num_unsup_steps: 50\n"
    "  eval_frequency: 200\n"
    "  num_eval_episodes: 1\n"
    "  max_feedback: 8\n"
    "  reward_batch: 4\n"
    "  num_interact: 100\n"
    "  segment: 10\n"
    "  reset_update: 5\n"
    "env:\n"
    "  task: cartpole_swingup\n"
    "  episode_length: 50\n"
    "agent:\n"
    "  name: sac\n"
    "  hidden_dim: 16\n"
    "  hidden_depth: 1\n"
    "  batch_size: 16\n"
    "reward:\n"
    "  name: pebble\n"
    "  ensemble_size: 1\n"
    "  hidden_dim: 16\n"
    "  hidden_depth: 1\n"
    "  train_batch: 4\n"
    "sampler:\n"
    "  name: uniform\n"
    "teacher:\n"
    "  name: scripted\n";

/* run prefrl with args in cwd (NULL: this one); stdout/stderr owned by the
 * caller; the exit status */
static int prefrl(const char *cwd, const char *const *args, char **out, char **err)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)PREFRL);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(cwd, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                               err, &status, &error),
                  "%s", error ? error->message : "");
    g_ptr_array_unref(argv);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* a fresh WORK with the recipe in it: its path (transfer full) */
static char *setup_work(void)
{
    char *rm[] = {"rm", "-rf", WORK, NULL};
    ck_assert(g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                           NULL));
    ck_assert(g_mkdir_with_parents(WORK, 0755) == 0);
    char *path = g_build_filename(WORK, "clips.yaml", NULL);
    ck_assert(g_file_set_contents(path, recipe_text, -1, NULL));
    return path;
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
    char *recipe = setup_work(), *out, *err;
    const char *const run[] = {"run", recipe, "out_dir=" WORK, "name=video",
                               "trainer.save_video=true", "trainer.video_width=40",
                               "trainer.video_height=30", NULL};
    ck_assert_msg(prefrl(NULL, run, &out, &err) == 0, "%s", err);
    g_free(out);
    g_free(err);
    assert_webm(WORK "/video/videos/eval-200.webm");
    assert_webm(WORK "/video/videos/eval-400.webm");

    /* seeded from the first run's labels, named relative to the current directory */
    const char *const seeded[] = {"run", recipe, "out_dir=.", "name=seeded",
                                  "trainer.seed_prefs=video/prefs.bin", NULL};
    ck_assert_msg(prefrl(WORK, seeded, &out, &err) == 0, "%s", err);
    g_free(out);
    g_free(err);
    char *config;
    ck_assert(g_file_get_contents(WORK "/seeded/config.yaml", &config, NULL, NULL));
    char *abs = g_canonicalize_filename(WORK "/video/prefs.bin", NULL);
    char *line = g_strdup_printf("seed_prefs: %s\n", abs);
    ck_assert_msg(strstr(config, line), "%s", config);
    g_free(line);
    g_free(abs);
    g_free(config);
    char *log;
    ck_assert(g_file_get_contents(WORK "/seeded/log.txt", &log, NULL, NULL));
    ck_assert_msg(strstr(log, "trained on 8 preference pairs of /"), "%s", log);
    g_free(log);
    /* the run set up again from elsewhere (its trainer reads the seed file) */
    const char *const again[] = {"evaluate", "--episodes", "1", WORK "/seeded", NULL};
    ck_assert_msg(prefrl("/", again, &out, &err) == 0, "%s", err);
    g_free(out);
    g_free(err);
    /* a missing seed file: one line naming it */
    const char *const missing[] = {"run", recipe, "out_dir=.", "name=missing",
                                   "trainer.seed_prefs=nowhere.bin", NULL};
    ck_assert_int_eq(prefrl(WORK, missing, &out, &err), 1);
    ck_assert_msg(g_str_has_prefix(err, "prefrl: error: trainer.seed_prefs: ") &&
                      strstr(err, "/nowhere.bin") && strchr(err, '\n') == err + strlen(err) - 1,
                  "%s", err);
    g_free(out);
    g_free(err);
    g_free(recipe);
}
END_TEST

START_TEST(test_describe_keys)
{
    char *out, *err;
    const char *const a[] = {"describe", "recipe", NULL};
    ck_assert_int_eq(prefrl(NULL, a, &out, &err), 0);
    const char *const keys[] = {"save_video", "video_format", "video_camera", "video_width",
                                "video_height", "video_fps", "seed_prefs"};
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        ck_assert_msg(strstr(out, keys[i]), "%s missing from:\n%s", keys[i], out);
    ck_assert_ptr_nonnull(strstr(out, "docs/preference-data.md"));
    g_free(out);
    g_free(err);
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
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
