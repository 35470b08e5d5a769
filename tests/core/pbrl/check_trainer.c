/* The PbRL trainer end to end on small problems: the true reward never
 * reaches the agent, the query schedule and budget, same seed → same
 * outputs, resuming, the run directory, and learning: SAC with the true
 * reward and PEBBLE with a small label budget beat a random policy by a
 * clear margin. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <check.h>
#include <glib/gstdio.h>

#include <prefrl/nn.h>
#include "pbrl/log.h"
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "check_run.h"


static const char *const SAC[] = {"agent.name=sac", "agent.hidden_dim=64", "agent.hidden_depth=2",
                                  "agent.batch_size=64", "agent.actor_lr=0.001",
                                  "agent.critic_lr=0.001", "agent.alpha_lr=0.001", NULL};
static const char *const PROBE[] = {"agent.name=fixture_probe", NULL};
static const char *const PEBBLE[] = {"reward.name=pebble", "reward.hidden_dim=32",
                                     "reward.reward_update=50", NULL};
static const char *const TRUE_REWARD[] = {"reward.name=true", NULL};

/* train to the end; returns the last evaluation, or NAN with *error set */
static double train(PrefrlNode *root, const char *dir, PrefrlTrainer **keep, GError **error)
{
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, error);
    ck_assert_msg(t != NULL, "%s", *error ? (*error)->message : "");
    gboolean ok = prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, error);
    double last = ok ? prefrl_trainer_last_eval(t) : NAN;
    if (keep)
        *keep = t;
    else
        prefrl_trainer_free(t);
    prefrl_node_free(root);
    return last;
}

/* train and require success */
static double train_ok(PrefrlNode *root, const char *dir, PrefrlTrainer **keep)
{
    GError *err = NULL;
    double last = train(root, dir, keep, &err);
    ck_assert_msg(err == NULL, "%s", err ? err->message : "");
    return last;
}

START_TEST(test_true_reward_hidden)
{
    /* the env's reward is shifted by 1000; the probe agent rejects any batch
     * reward above 100, so a leak of the true reward fails the run */
    const char *const offset[] = {"env.reward_offset=1000", NULL};
    PrefrlTrainer *t = NULL;
    train_ok(pbrl_test_short_recipe(PROBE, PEBBLE, offset), NULL, &t);
    /* the run asked the whole budget and the teacher labelled it */
    ck_assert_int_eq(prefrl_trainer_total_feedback(t), 40);
    ck_assert_int_eq(prefrl_trainer_labeled_feedback(t), 40);
    prefrl_trainer_free(t);

    /* positive control: with reward/true the probe does see the 1000s */
    GError *err = NULL;
    train(pbrl_test_short_recipe(PROBE, TRUE_REWARD, offset), NULL, NULL, &err);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->message, "exceeds 100") != NULL, "%s", err->message);
    g_error_free(err);
}
END_TEST

START_TEST(test_outputs_and_schedule)
{
    char *dir = pbrl_test_run_dir("schedule");
    train_ok(pbrl_test_short_recipe(SAC, PEBBLE, NULL), dir, NULL);
    /* B-Pref's columns, sorted */
    char *train_csv = test_slurp(dir, "train.csv");
    ck_assert_msg(g_str_has_prefix(train_csv, "actor_entropy,actor_loss,actor_target_entropy,"
                                              "alpha_loss,alpha_value,batch_reward,critic_entropy,"
                                              "critic_entropy_max,critic_entropy_min,critic_loss,"
                                              "critic_norm_entropy,critic_norm_entropy_max,"
                                              "critic_norm_entropy_min,duration,episode,"
                                              "episode_reward,labeled_feedback,step,"
                                              "total_feedback,true_episode_reward\n"),
                  "%.400s", train_csv);
    char *eval_csv = test_slurp(dir, "eval.csv");
    ck_assert_str_eq(strtok(eval_csv, "\n"),
                     "episode,episode_reward,q_mse,q_mse_true,q_nmse,q_nmse_true,step,"
                     "true_episode_reward");
    /* queries: the first (uncapped) at the end of pre-training, then every 200 steps
     * while the budget lasts: 10 at 200, 400, 600, 800 → 40 */
    char *labels = test_slurp(dir, "labels.csv");
    gchar **lines = g_strsplit(labels, "\n", -1);
    ck_assert_str_eq(lines[0], "round,step,pair,label,true_return1,true_return2");
    ck_assert_uint_eq(g_strv_length(lines), 1 + 40 + 1);
    ck_assert(g_str_has_prefix(lines[1], "1,200,0,"));
    ck_assert(g_str_has_prefix(lines[11], "2,400,0,"));
    ck_assert(g_str_has_prefix(lines[31], "4,800,0,"));
    /* the oracle prefers the higher return */
    for (int i = 1; i <= 40; i++) {
        int round, step, pair, label;
        double r1, r2;
        ck_assert_int_eq(sscanf(lines[i], "%d,%d,%d,%d,%lf,%lf", &round, &step, &pair, &label,
                                &r1, &r2), 6);
        ck_assert_int_eq(label, r1 < r2 ? 1 : 0);
    }
    /* the labelled pairs, re-usable: header + 40 × (label + two 10×6 segments) */
    char *prefs_path = g_build_filename(dir, "prefs.bin", NULL);
    GStatBuf st;
    ck_assert_int_eq(g_stat(prefs_path, &st), 0);
    ck_assert_int_eq(st.st_size, 32 + 40 * (4 + 2 * 10 * 6 * 4));
    g_free(prefs_path);
    char *ckpt = g_build_filename(dir, "checkpoint", "agent.bin", NULL);
    ck_assert(g_file_test(ckpt, G_FILE_TEST_IS_REGULAR));
    g_free(ckpt);
    char *reward_csv = test_slurp(dir, "reward.csv");
    ck_assert(g_str_has_prefix(reward_csv, "accuracy,epochs,labeled_feedback,loss,round,step,"
                                           "total_feedback\n"));
    g_strfreev(lines);
    g_free(labels);
    g_free(reward_csv);
    g_free(train_csv);
    g_free(eval_csv);
    g_free(dir);
}
END_TEST

START_TEST(test_determinism)
{
    char *a = pbrl_test_run_dir("det-a"), *b = pbrl_test_run_dir("det-b"), *c = pbrl_test_run_dir("det-c");
    train_ok(pbrl_test_short_recipe(SAC, PEBBLE, NULL), a, NULL);
    train_ok(pbrl_test_short_recipe(SAC, PEBBLE, NULL), b, NULL);
    const char *files[] = {"eval.csv", "labels.csv", "reward.csv"};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        char *x = test_slurp(a, files[i]), *y = test_slurp(b, files[i]);
        ck_assert_msg(!strcmp(x, y), "%s differs between two runs of one seed", files[i]);
        g_free(x);
        g_free(y);
    }
    /* another seed gives other labels */
    const char *const seed4[] = {"seed=4", NULL};
    train_ok(pbrl_test_short_recipe(SAC, PEBBLE, seed4), c, NULL);
    char *x = test_slurp(a, "labels.csv"), *y = test_slurp(c, "labels.csv");
    ck_assert(strcmp(x, y) != 0);
    g_free(x);
    g_free(y);
    g_free(a);
    g_free(b);
    g_free(c);
}
END_TEST

START_TEST(test_success_rate)
{
    /* a task that reports success: eval.csv gains B-Pref's success columns */
    char *dir = pbrl_test_run_dir("success");
    const char *const mw[] = {"env.task=door-open", "env.episode_length=100",
                              "trainer.num_train_steps=400", "trainer.eval_frequency=200",
                              "trainer.num_eval_episodes=2", "trainer.num_interact=100", NULL};
    train_ok(pbrl_test_short_recipe(SAC, PEBBLE, mw), dir, NULL);
    char *eval_csv = test_slurp(dir, "eval.csv");
    ck_assert_msg(g_str_has_prefix(eval_csv, "episode,episode_reward,q_mse,q_mse_true,q_nmse,"
                                             "q_nmse_true,step,success_rate,true_episode_reward,"
                                             "true_episode_success\n"),
                  "%s", eval_csv);
    /* two evaluations, success rates in [0, 100] */
    gchar **lines = g_strsplit(eval_csv, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 4);
    for (int i = 1; i <= 2; i++) {
        gchar **f = g_strsplit(lines[i], ",", -1);
        double rate = g_ascii_strtod(f[5], NULL);
        ck_assert(rate >= 0 && rate <= 100);
        g_strfreev(f);
    }
    g_strfreev(lines);
    char *train_csv = test_slurp(dir, "train.csv");
    ck_assert_ptr_nonnull(strstr(train_csv, "episode_success"));
    g_free(train_csv);
    g_free(eval_csv);
    g_free(dir);
}
END_TEST

START_TEST(test_interrupt)
{
    /* a stop request ends the run at the next step with everything flushed */
    char *dir = pbrl_test_run_dir("interrupt");
    const char *const longer[] = {"trainer.num_train_steps=1000000", "trainer.eval_frequency=100",
                                  NULL};
    /* every row written is complete, and the checkpoint is there */
    pbrl_test_interrupt(pbrl_test_short_recipe(SAC, PEBBLE, longer), dir, "eval.csv");
    g_free(dir);
}
END_TEST

static void on_sigint(int sig)
{
    (void)sig;
    pbrl_test_stop = 1;
}

/* run `reward` uninterrupted, and again interrupted (Ctrl-C raised by the env
 * mid-episode, after periodic checkpoints) then resumed: the outputs match */
static void check_resume_matches(const char *name, const char *const *reward)
{
    char *na = g_strdup_printf("resume-%s-a", name), *nb = g_strdup_printf("resume-%s-b", name);
    char *a = pbrl_test_run_dir(na), *b = pbrl_test_run_dir(nb);
    const char *const periodic[] = {"trainer.checkpoint_frequency=300", NULL};
    const char *const stopped[] = {"trainer.checkpoint_frequency=300", "env.interrupt_at=923",
                                   NULL};
    train_ok(pbrl_test_short_recipe(SAC, reward, periodic), a, NULL);

    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    pbrl_test_stop = 0;
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_short_recipe(SAC, reward, stopped);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), b, &err);
    ck_assert(t != NULL);
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    sigaction(SIGINT, &old, NULL);
    ck_assert_msg(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED), "%s",
                  err->message);
    /* env step 923 = training step 722 (+ 200 evaluation steps): stopped mid-episode */
    ck_assert_str_eq(err->message, "interrupted at step 723");
    g_clear_error(&err);
    prefrl_trainer_free(t);

    /* a crash between the checkpoint swap's two renames left only
     * checkpoint.old/: the resumed run starts from it */
    char *ck = prefrl_rundir_path(b, PREFRL_RUN_CHECKPOINT);
    char *ck_old = prefrl_rundir_path(b, PREFRL_RUN_CHECKPOINT_OLD);
    ck_assert(rename(ck, ck_old) == 0);
    char *log_before = test_slurp(b, "log.txt");
    t = prefrl_trainer_resume(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    prefrl_trainer_free(t);
    /* log.txt is kept whole, the line written after the checkpoint
     * ("checkpoint written") included, and says where the run resumed */
    char *log_after = test_slurp(b, "log.txt");
    ck_assert_msg(g_str_has_prefix(log_after, log_before), "%s", log_after);
    ck_assert_msg(strstr(log_before, "step 723: checkpoint written to ") &&
                      strstr(log_before, "step 723: interrupted\n"),
                  "%s", log_before);
    const char *resumed = strstr(log_after + strlen(log_before), " step 723: resumed from the "
                                                                 "checkpoint at step 723 (");
    ck_assert_msg(resumed && strstr(resumed, "finished after"), "%s", log_after);
    g_free(log_before);
    g_free(log_after);
    ck_assert(g_file_test(ck, G_FILE_TEST_IS_DIR) && !g_file_test(ck_old, G_FILE_TEST_EXISTS));
    g_free(ck);
    g_free(ck_old);

    pbrl_test_assert_same_outputs(a, b, name);

    /* resuming a finished run does nothing and changes no output */
    char *before = test_slurp(b, "eval.csv");
    t = prefrl_trainer_resume(root, pbrl_test_registry(), b, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    prefrl_trainer_free(t);
    char *after = test_slurp(b, "eval.csv");
    ck_assert_str_eq(before, after);
    g_free(before);
    g_free(after);
    prefrl_node_free(root);
    g_free(a);
    g_free(b);
    g_free(na);
    g_free(nb);
}

START_TEST(test_resume_pebble)
{
    check_resume_matches("pebble", PEBBLE);
}
END_TEST

START_TEST(test_resume_surf)
{
    const char *const surf[] = {"reward.name=surf", "reward.hidden_dim=32",
                                "reward.reward_update=20", "reward.inv_label_ratio=3", NULL};
    check_resume_matches("surf", surf);
}
END_TEST

START_TEST(test_resume_mrn)
{
    const char *const mrn[] = {"reward.name=mrn", "reward.hidden_dim=32",
                               "reward.reward_update=50", "reward.num_meta_steps=100", NULL};
    check_resume_matches("mrn", mrn);
}
END_TEST

START_TEST(test_resume_errors)
{
    char *dir = pbrl_test_run_dir("resume-errors");
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, NULL);
    GError *err = NULL;
    /* no checkpoint */
    ck_assert_ptr_null(prefrl_trainer_resume(root, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, "has no checkpoint to resume from"), "%s", err->message);
    g_clear_error(&err);

    /* a damaged trainer state is refused and leaves the outputs alone */
    const char *const shorter[] = {"trainer.num_train_steps=400", "trainer.eval_frequency=200",
                                   NULL};
    PrefrlNode *small = pbrl_test_short_recipe(SAC, PEBBLE, shorter);
    PrefrlTrainer *t = prefrl_trainer_new(small, pbrl_test_registry(), dir, &err);
    ck_assert(t != NULL);
    pbrl_test_stop = 1;   /* stop at once: a checkpoint at step 0 */
    ck_assert(!prefrl_trainer_run(t, &pbrl_test_stop, PREFRL_PROGRESS_NONE, &err));
    g_clear_error(&err);
    prefrl_trainer_free(t);
    char *state = g_build_filename(dir, "checkpoint", "trainer.bin", NULL), *bytes;
    gsize n;
    ck_assert(g_file_get_contents(state, &bytes, &n, NULL));
    bytes[n / 2] ^= 0x10;
    ck_assert(g_file_set_contents(state, bytes, (gssize)n, NULL));
    ck_assert_ptr_null(prefrl_trainer_resume(small, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, "checksum mismatch"), "%s", err->message);
    g_clear_error(&err);
    /* truncated */
    ck_assert(g_file_set_contents(state, bytes, (gssize)(n / 3), NULL));
    ck_assert_ptr_null(prefrl_trainer_resume(small, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, "truncated"), "%s", err->message);
    g_clear_error(&err);
    /* another recipe: a different replay size does not fit */
    bytes[n / 2] ^= 0x10;
    ck_assert(g_file_set_contents(state, bytes, (gssize)n, NULL));
    const char *const other_env[] = {"trainer.num_train_steps=400", "env.task=door-open", NULL};
    PrefrlNode *mw = pbrl_test_short_recipe(SAC, PEBBLE, other_env);
    ck_assert_ptr_null(prefrl_trainer_resume(mw, pbrl_test_registry(), dir, &err));
    ck_assert_msg(strstr(err->message, "this recipe's environment has"), "%s", err->message);
    g_clear_error(&err);
    prefrl_node_free(mw);
    /* an output cut since the checkpoint is refused and never padded, with
     * outputs.bin and without it (a checkpoint of an older prefrl) */
    char *log = g_build_filename(dir, "log.txt", NULL), *log_text;
    gsize log_n;
    struct stat st;
    ck_assert(g_file_get_contents(log, &log_text, &log_n, NULL) && log_n > 5);
    ck_assert(g_file_set_contents(log, log_text, 5, NULL));
    char *record = g_build_filename(dir, "checkpoint", "outputs.bin", NULL);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            ck_assert(g_unlink(record) == 0);
        ck_assert_ptr_null(prefrl_trainer_resume(small, pbrl_test_registry(), dir, &err));
        ck_assert_msg(strstr(err->message, "log.txt has 5 bytes, fewer than"), "%s",
                      err->message);
        g_clear_error(&err);
        ck_assert(stat(log, &st) == 0 && st.st_size == 5);
    }
    ck_assert(g_file_set_contents(log, log_text, (gssize)log_n, NULL));
    g_free(record);
    g_free(log_text);
    g_free(log);
    /* the untouched checkpoint resumes and finishes */
    t = prefrl_trainer_resume(small, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    prefrl_trainer_free(t);
    g_free(bytes);
    g_free(state);
    prefrl_node_free(small);
    prefrl_node_free(root);
    g_free(dir);
}
END_TEST

/* mean return of the random policy on fixture_reach, from the probe agent */
static double random_return(void)
{
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_short_recipe(PROBE, PEBBLE, NULL);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err);
    ck_assert(t != NULL);
    double ret;
    ck_assert(prefrl_trainer_evaluate(t, 50, &ret, NULL, NULL, NULL, &err));
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    return ret;
}

static const char *const LONG_RUN[] = {"trainer.num_train_steps=8000",
                                       "trainer.eval_frequency=8000",
                                       "trainer.num_eval_episodes=20",
                                       "trainer.max_feedback=100", NULL};

START_TEST(test_learning_sac_true_reward)
{
    double rnd = random_return();
    double learned = train_ok(pbrl_test_short_recipe(SAC, TRUE_REWARD, LONG_RUN), NULL, NULL);
    fprintf(stderr, "SAC true reward: random %.2f, learned %.2f\n", rnd, learned);
    ck_assert_msg(learned > rnd + 10.0, "random %.2f, learned %.2f", rnd, learned);
}
END_TEST

START_TEST(test_learning_pebble)
{
    double rnd = random_return();
    double learned = train_ok(pbrl_test_short_recipe(SAC, PEBBLE, LONG_RUN), NULL, NULL);
    fprintf(stderr, "PEBBLE 100 labels: random %.2f, learned %.2f\n", rnd, learned);
    ck_assert_msg(learned > rnd + 10.0, "random %.2f, learned %.2f", rnd, learned);
}
END_TEST

START_TEST(test_q_errors)
{
    const float q[] = {1, 2, 3, 4}, up[] = {12, 14, 16, 18}, down[] = {4, 3, 2, 1},
                flat[] = {5, 5, 5, 5}, g[] = {1, 3, 2, 4};
    double mse, nmse;
    /* an affine image of the return is a perfect Q up to scale: nmse 0 */
    prefrl_q_errors(q, up, 4, &mse, &nmse);
    ck_assert(fabs(mse - (121 + 144 + 169 + 196) / 4.0) < 1e-9);
    ck_assert(fabs(nmse) < 1e-9);
    /* reversed order: r = −1, nmse 4 */
    prefrl_q_errors(q, down, 4, &mse, &nmse);
    ck_assert(fabs(mse - 5.0) < 1e-9 && fabs(nmse - 4.0) < 1e-9);
    /* r = 0.8: nmse 0.4 */
    prefrl_q_errors(q, g, 4, &mse, &nmse);
    ck_assert(fabs(mse - 0.5) < 1e-9 && fabs(nmse - 0.4) < 1e-9);
    /* a constant critic has no correlation to speak of */
    prefrl_q_errors(flat, g, 4, &mse, &nmse);
    ck_assert(isnan(nmse) && fabs(mse - (16 + 4 + 9 + 1) / 4.0) < 1e-9);
    prefrl_q_errors(q, g, 0, &mse, &nmse);
    ck_assert(isnan(mse) && isnan(nmse));
}
END_TEST

START_TEST(test_log_columns)
{
    char *c = prefrl_log_column("train_critic/loss");
    ck_assert_str_eq(c, "critic_loss");
    g_free(c);
    c = prefrl_log_column("train/episode_reward");
    ck_assert_str_eq(c, "episode_reward");
    g_free(c);
    c = prefrl_log_column("eval/success_rate");
    ck_assert_str_eq(c, "success_rate");
    g_free(c);
    c = prefrl_log_column("train_critic/norm_entropy_max");
    ck_assert_str_eq(c, "critic_norm_entropy_max");
    g_free(c);
}
END_TEST

START_TEST(test_recipe_errors)
{
    /* a reward learned from labels needs a teacher */
    GError *err = NULL;
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, NULL);
    prefrl_node_remove(root, "teacher");
    ck_assert_ptr_null(prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err));
    ck_assert_msg(g_str_has_prefix(err->message, "test.yaml: a reward learned from preferences "
                                                 "needs a 'teacher:' section with name: one of "),
                  "%s", err->message);
    g_clear_error(&err);
    prefrl_node_free(root);
}
END_TEST

/* the run directory: names, status protocol, config.yaml, checkpoint swap */
START_TEST(test_rundir_status)
{
    char *dir = pbrl_test_run_dir("rundir-status");
    char *text = NULL;
    ck_assert_int_eq(prefrl_rundir_status(dir, &text), PREFRL_STATUS_NONE);
    ck_assert_ptr_null(text);
    const PrefrlRunStatus all[] = {PREFRL_STATUS_RUNNING, PREFRL_STATUS_DONE,
                                   PREFRL_STATUS_INTERRUPTED, PREFRL_STATUS_FAILED};
    /* `running` is what it says only while a writer holds the lock */
    int lock = prefrl_rundir_lock(dir, NULL);
    ck_assert_int_ge(lock, 0);
    ck_assert_int_eq(prefrl_rundir_lock_holder(dir), (long)getpid());
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++) {
        ck_assert(prefrl_rundir_set_status(dir, all[i], NULL));
        ck_assert_int_eq(prefrl_rundir_status(dir, &text), all[i]);
        ck_assert_str_eq(text, prefrl_run_status_name(all[i]));
        g_free(text);
    }
    /* a second writer is refused, naming the holder */
    GError *err = NULL;
    ck_assert_int_lt(prefrl_rundir_lock(dir, &err), 0);
    char *pid = g_strdup_printf("in use by prefrl process %ld", (long)getpid());
    ck_assert_msg(strstr(err->message, pid), "%s", err->message);
    g_free(pid);
    g_clear_error(&err);
    /* a writer killed without a word left `running` behind: read as interrupted */
    ck_assert(prefrl_rundir_set_status(dir, PREFRL_STATUS_RUNNING, NULL));
    close(lock);
    ck_assert_int_eq(prefrl_rundir_lock_holder(dir), 0);
    ck_assert_int_eq(prefrl_rundir_status(dir, &text), PREFRL_STATUS_INTERRUPTED);
    ck_assert_str_eq(text, "interrupted");
    g_free(text);
    ck_assert(prefrl_rundir_set_status(dir, PREFRL_STATUS_FAILED, NULL));
    /* one word and a newline, as scripts and sweeps read it */
    char *file = test_slurp(dir, "status");
    ck_assert_str_eq(file, "failed\n");
    g_free(file);
    char *path = prefrl_rundir_path(dir, PREFRL_RUN_STATUS);
    ck_assert_str_eq(path + strlen(dir), "/status");
    ck_assert(g_file_set_contents(path, "  paused \n", -1, NULL));
    ck_assert_int_eq(prefrl_rundir_status(dir, &text), PREFRL_STATUS_UNKNOWN);
    ck_assert_str_eq(text, "paused");
    g_free(text);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_rundir_config)
{
    char *dir = pbrl_test_run_dir("rundir-config");
    GError *err = NULL;
    ck_assert(!prefrl_rundir_is_run(dir));
    ck_assert_ptr_null(prefrl_rundir_read_config(dir, &err));
    ck_assert_msg(g_str_has_suffix(err->message, "is not a run directory (no config.yaml)"), "%s",
                  err->message);
    g_clear_error(&err);
    PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, NULL);
    ck_assert(prefrl_rundir_write_config(dir, root, pbrl_test_registry(), &err));
    ck_assert(prefrl_rundir_is_run(dir));
    char *text = test_slurp(dir, "config.yaml");
    ck_assert(g_str_has_prefix(text, "# resolved by prefrl "));
    ck_assert_ptr_nonnull(strstr(text, "# reward/pebble from "));
    g_free(text);
    /* it reads back as the recipe it was written from */
    PrefrlNode *back = prefrl_rundir_read_config(dir, &err);
    ck_assert_msg(back != NULL, "%s", err ? err->message : "");
    char *a = prefrl_recipe_to_yaml(root), *b = prefrl_recipe_to_yaml(back);
    ck_assert_str_eq(a, b);
    g_free(a);
    g_free(b);
    prefrl_node_free(back);
    prefrl_node_free(root);
    g_free(dir);
}
END_TEST

START_TEST(test_rundir_checkpoint_swap)
{
    char *dir = pbrl_test_run_dir("rundir-swap");
    GError *err = NULL;
    ck_assert(!prefrl_rundir_has_checkpoint(dir));
    for (int round = 1; round <= 2; round++) {
        char *fresh = prefrl_rundir_checkpoint_begin(dir, &err);
        ck_assert_msg(fresh != NULL, "%s", err ? err->message : "");
        ck_assert(g_str_has_suffix(fresh, "/checkpoint.new"));
        char *state = prefrl_rundir_checkpoint_part(fresh, PREFRL_RUN_TRAINER_STATE);
        ck_assert(g_str_has_suffix(state, "/checkpoint.new/trainer.bin"));
        char *bytes = g_strdup_printf("%d", round);
        ck_assert(g_file_set_contents(state, bytes, -1, NULL));
        ck_assert(prefrl_rundir_checkpoint_commit(dir, &err));
        g_free(bytes);
        g_free(state);
        g_free(fresh);
    }
    /* only checkpoint/ remains, holding the second */
    char *ck = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT);
    char *fresh = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_NEW);
    char *old = prefrl_rundir_path(dir, PREFRL_RUN_CHECKPOINT_OLD);
    ck_assert(!g_file_test(fresh, G_FILE_TEST_EXISTS) && !g_file_test(old, G_FILE_TEST_EXISTS));
    char *state = prefrl_rundir_checkpoint_file(dir, PREFRL_RUN_TRAINER_STATE), *bytes;
    ck_assert(g_file_get_contents(state, &bytes, NULL, NULL));
    ck_assert_str_eq(bytes, "2");
    g_free(bytes);
    ck_assert(prefrl_rundir_has_checkpoint(dir));
    /* an unfinished checkpoint.new/ is discarded */
    g_free(prefrl_rundir_checkpoint_begin(dir, NULL));
    prefrl_rundir_checkpoint_discard(dir);
    ck_assert(!g_file_test(fresh, G_FILE_TEST_EXISTS));
    /* after a crash between the two renames, checkpoint.old/ is found and
     * renamed back */
    ck_assert(rename(ck, old) == 0);
    ck_assert(prefrl_rundir_has_checkpoint(dir));
    char *latest = prefrl_rundir_checkpoint_latest(dir);
    ck_assert_str_eq(latest, ck);
    ck_assert(g_file_test(state, G_FILE_TEST_EXISTS));
    g_free(latest);
    g_free(state);
    g_free(old);
    g_free(fresh);
    g_free(ck);
    g_free(dir);
}
END_TEST

/* the trainer applies the recipe's `threads` itself (default 1), whatever
 * the process had before: a program that is not the CLI gets them too */
START_TEST(test_threads)
{
    GError *err = NULL;
    const char *const two[] = {"threads=2", NULL};
    for (int pass = 0; pass < 2; pass++) {
        prefrl_nn_set_threads(3);
        PrefrlNode *root = pbrl_test_short_recipe(SAC, PEBBLE, pass ? two : NULL);
        PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), NULL, &err);
        ck_assert_msg(t != NULL, "%s", err ? err->message : "");
        ck_assert_int_eq(prefrl_nn_get_threads(), (pass ? 2 : 1));
        prefrl_trainer_free(t);
        prefrl_node_free(root);
    }
    prefrl_nn_set_threads(1);
}
END_TEST

static Suite *trainer_suite(void)
{
    Suite *s = suite_create("trainer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_log_columns);
    tcase_add_test(tc, test_rundir_status);
    tcase_add_test(tc, test_rundir_config);
    tcase_add_test(tc, test_rundir_checkpoint_swap);
    tcase_add_test(tc, test_q_errors);
    tcase_add_test(tc, test_recipe_errors);
    tcase_add_test(tc, test_true_reward_hidden);
    tcase_add_test(tc, test_outputs_and_schedule);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_interrupt);
    tcase_add_test(tc, test_success_rate);
    tcase_add_test(tc, test_resume_pebble);
    tcase_add_test(tc, test_resume_surf);
    tcase_add_test(tc, test_resume_mrn);
    tcase_add_test(tc, test_resume_errors);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    TCase *learn = tcase_create("learning");
    tcase_set_timeout(learn, 900);
    tcase_add_test(learn, test_learning_sac_true_reward);
    tcase_add_test(learn, test_learning_pebble);
    suite_add_tcase(s, learn);
    return s;
}

int main(void)
{
    int failed = check_run(trainer_suite());
    return failed ? 1 : 0;
}
