/* The trainer's side of clips and interactive rounds, on a real rendering
 * environment (env/dmc cartpole_swingup, 50-step episodes) and the real
 * teacher/file:
 *  - the episode store keeps each step's physics state, equal to a replay of
 *    the environment from the same seed with the stored actions;
 *  - a query clip written through PrefrlTeacherQuery.write_clip decodes
 *    (FFmpeg) to one frame per judged step at the asked size;
 *  - a round interrupted after some answers resumes (`prefrl resume`'s path)
 *    with the same queries, asks only the rest, and the run's outputs equal
 *    those of a run answered without interruption;
 *  - an episode section of an older checkpoint (no states) still loads, its
 *    episodes without clips;
 *  - evaluation videos (trainer.save_video): one per evaluation, its frame
 *    count, refused without a sink; eval.csv unchanged by them;
 *  - preference datasets (trainer.seed_prefs). */
#include "config.h"
#include <math.h>
#include <string.h>
#include <check.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "dmc_test.h"
#include "pbrl_test.h"
#include "video_test.h"
#include "host/checkpoint.h"
#include "lab/video.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"
#include "pbrl/trainer_private.h"
#include "check_run.h"

/* ---- the problem ------------------------------------------------------------ */

#define SEGMENT 10
#define CLIP_W 32
#define CLIP_H 24

/* teacher/file with small clips, polling answers.txt often */
static const char *const file_teacher[] = {"teacher.name=file", "teacher.width=32",
                                           "teacher.height=24", "teacher.fps=10",
                                           "teacher.poll_interval=0.02", "teacher.timeout=120",
                                           NULL};

/* the shared problem without checkpoints, with `extra` overrides
 * (NULL-terminated, may be NULL), resolved */
static PrefrlNode *recipe(const char *const *extra)
{
    GError *err = NULL;
    PrefrlNode *root = prefrl_recipe_parse_string(dmc_test_recipe, strlen(dmc_test_recipe),
                                                  "clips.yaml", &err);
    ck_assert_msg(root != NULL, "%s", err ? err->message : "");
    ck_assert(prefrl_recipe_override(root, "trainer.checkpoint_frequency=0", &err));
    for (const char *const *o = extra; o && *o; o++)
        ck_assert_msg(prefrl_recipe_override(root, *o, &err), "%s", err ? err->message : "");
    pbrl_test_resolve(root);
    return root;
}

/* frames of the video at path, decoded; its size in *w, *h */
static int decoded_frames(const char *path, int *w, int *h)
{
    AVFormatContext *fmt = NULL;
    ck_assert_msg(avformat_open_input(&fmt, path, NULL, NULL) == 0, "cannot open %s", path);
    ck_assert(avformat_find_stream_info(fmt, NULL) >= 0);
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    ck_assert_int_ge(si, 0);
    const AVCodecParameters *par = fmt->streams[si]->codecpar;
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    ck_assert_ptr_nonnull(dec);
    AVCodecContext *cc = avcodec_alloc_context3(dec);
    ck_assert(avcodec_parameters_to_context(cc, par) >= 0);
    ck_assert(avcodec_open2(cc, dec, NULL) == 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int n = 0;
    *w = par->width;
    *h = par->height;
    for (gboolean flushing = FALSE;;) {
        if (!flushing) {
            if (av_read_frame(fmt, pkt) < 0) {
                flushing = TRUE;
                avcodec_send_packet(cc, NULL);
            } else {
                if (pkt->stream_index == si)
                    ck_assert(avcodec_send_packet(cc, pkt) == 0);
                av_packet_unref(pkt);
            }
        }
        int rc;
        while ((rc = avcodec_receive_frame(cc, frame)) == 0)
            n++;
        if (flushing && rc == AVERROR_EOF)
            break;
    }
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    avformat_close_input(&fmt);
    return n;
}

/* ---- the annotator: a person answering answers.txt --------------------------- */

/* what a person answers to query i (all three kinds of label) */
static const char *answer_word(int i)
{
    static const char *const words[] = {"left", "right", "equal"};
    return words[i % 3];
}

/* answers rounds first..last: round `first` from query first_from on (once
 * log.txt holds wait_for, when set), round `last` up to query last_to, the
 * others in full; then sets *stop (when set) */
typedef struct {
    const char *run_dir;
    int first, last, first_from, last_to;
    const char *wait_for;
    volatile sig_atomic_t *stop;
} Annotator;

/* the text of file, or NULL */
static char *try_slurp(const char *dir, const char *a, const char *b)
{
    char *path = g_build_filename(dir, a, b, NULL), *text = NULL;
    g_file_get_contents(path, &text, NULL, NULL);
    g_free(path);
    return text;
}

static void append_answers(const char *run_dir, int round, int from, int to)
{
    char *rdir = g_strdup_printf("queries/round-%04d", round);
    char *path = g_build_filename(run_dir, rdir, "answers.txt", NULL);
    FILE *f = fopen(path, "a");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    for (int i = from; i < to; i++)
        fprintf(f, "%d %s\n", i, answer_word(i));
    ck_assert(fclose(f) == 0);
    g_free(path);
    g_free(rdir);
}

/* poll (10 ms) until round `round`'s round.json exists and, when `text`,
 * log.txt holds it; fails after 120 s */
static void wait_round(const char *run_dir, int round, const char *text)
{
    char *rdir = g_strdup_printf("queries/round-%04d", round);
    for (int tries = 0;; tries++) {
        char *json = try_slurp(run_dir, rdir, "round.json");
        char *log = text ? try_slurp(run_dir, "log.txt", NULL) : NULL;
        gboolean ready = json && (!text || (log && strstr(log, text)));
        g_free(json);
        g_free(log);
        if (ready)
            break;
        ck_assert_msg(tries < 12000, "round %d never came (%s)", round, text ? text : "");
        g_usleep(10000);
    }
    g_free(rdir);
}

static gpointer annotate(gpointer data)
{
    Annotator *a = data;
    for (int r = a->first; r <= a->last; r++) {
        wait_round(a->run_dir, r, r == a->first ? a->wait_for : NULL);
        append_answers(a->run_dir, r, r == a->first ? a->first_from : 0,
                       r == a->last ? a->last_to : 4);
    }
    if (a->stop)
        *a->stop = 1;
    return NULL;
}

/* ---- tests --------------------------------------------------------------------- */

/* the episode store's states against a replay of a fresh environment of
 * the same seed and `stream` with the stored actions: `count` episodes of
 * 50 steps at store indices first, first + stride, ... (the environment's
 * first episodes, before any evaluation reset it) */
static void assert_states_replay(PrefrlTrainer *t, const PrefrlNode *root, const char *stream,
                                 int first, int stride, int count)
{
    const PrefrlEpisodes *e = t->state.episodes;
    ck_assert_int_gt(e->nq, 0);
    ck_assert_int_gt(e->nv, 0);
    int P = PREFRL_EPISODES_STATE_LEN(e), ds = e->obs_dim;
    GError *err = NULL;
    PrefrlInstance *env = trainer_make_component(root, pbrl_test_registry(), PREFRL_KIND_ENV,
                                                 stream, NULL, NULL, &err);
    ck_assert_msg(env != NULL, "%s", err ? err->message : "");
    const PrefrlEnvOps *ops = env->component->ops;
    float *obs = g_new(float, ds);
    double *state = g_new(double, P);
    PrefrlEnvStep st;
    int checked = 0;
    ck_assert_int_ge((int)e->episodes->len, first + stride * (count - 1) + 1);
    for (int k = first; k < first + stride * count; k += stride) {
        ck_assert(ops->reset(env->self, obs, &err));
        for (int h = 0; h < 50; h++) {
            PrefrlSegmentSource src = {.episode = (int)k, .start = 0};
            const double *kept = prefrl_episodes_state(e, src, h);
            ck_assert_ptr_nonnull(kept);
            ops->snapshot(env->self, state, state + e->nq, state + e->nq + e->nv);
            ck_assert_msg(memcmp(kept, state, sizeof(double) * P) == 0,
                          "episode %d step %d: stored state differs from the replay", k, h);
            /* the observation it was stored with, then its action */
            const float *sa = prefrl_episodes_step(e, src, h);
            ck_assert_ptr_nonnull(sa);
            ck_assert(memcmp(sa, obs, sizeof(float) * ds) == 0);
            checked++;
            ck_assert(ops->step(env->self, sa + ds, obs, &st, &err));
        }
    }
    ck_assert_int_eq(checked, count * 50);
    g_free(obs);
    g_free(state);
    prefrl_instance_free(env);
}

/* the run's trainer (sink installed), trained to the end or the stop */
static gboolean train(PrefrlNode *root, const char *dir, gboolean resume, Annotator *who,
                      volatile sig_atomic_t *stop, PrefrlTrainer **keep, GError **error)
{
    PrefrlTrainer *t = resume ? prefrl_trainer_resume(root, pbrl_test_registry(), dir, error)
                              : prefrl_trainer_new(root, pbrl_test_registry(), dir, error);
    ck_assert_msg(t != NULL, "%s", *error ? (*error)->message : "");
    prefrl_trainer_set_video_sink(t, &video_test_sink);
    GThread *th = who ? g_thread_new("annotator", annotate, who) : NULL;
    gboolean ok = prefrl_trainer_run(t, stop, PREFRL_PROGRESS_NONE, error);
    if (th)
        g_thread_join(th);
    if (keep)
        *keep = t;
    else
        prefrl_trainer_free(t);
    return ok;
}

/* the flag the annotator of an interrupted round raises (what Ctrl-C sets) */
static volatile sig_atomic_t round_stop;

/* the run in dir stopped in round 2 after two of its four answers */
static void stop_in_round_2(PrefrlNode *root, const char *dir)
{
    GError *err = NULL;
    round_stop = 0;
    Annotator part = {dir, 1, 2, 0, 2, NULL, &round_stop};
    ck_assert(!train(root, dir, FALSE, &part, &round_stop, NULL, &err));
    ck_assert_msg(g_error_matches(err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED), "%s",
                  err->message);
    g_clear_error(&err);
}

/* the run in dir resumed, round 2 asking and given only its other two
 * answers, trained to the end (its trainer in *keep as train() does) */
static void resume_round_2(PrefrlNode *root, const char *dir, PrefrlTrainer **keep)
{
    GError *err = NULL;
    round_stop = 0;
    Annotator rest = {dir, 2, 2, 2, 4, "round 2: 2 of 4 queries still unanswered", NULL};
    ck_assert_msg(train(root, dir, TRUE, &rest, &round_stop, keep, &err), "%s",
                  err ? err->message : "");
}

START_TEST(test_clips_and_resume)
{
    char *a = pbrl_test_run_dir("clips-a"), *b = pbrl_test_run_dir("clips-b");
    PrefrlNode *root = recipe(file_teacher);
    GError *err = NULL;
    PrefrlTrainer *t = NULL;

    /* a: both rounds answered as they come */
    Annotator all = {a, 1, 2, 0, 4, NULL, NULL};
    ck_assert_msg(train(root, a, FALSE, &all, NULL, &t, &err), "%s", err ? err->message : "");
    /* evaluation at step 200 resets the env: the four episodes before it replay */
    assert_states_replay(t, root, "env", 0, 1, 4);
    prefrl_trainer_free(t);
    int w, h;
    char *clip = g_build_filename(a, "queries", "round-0001", "q0000-left.webm", NULL);
    ck_assert_int_eq(decoded_frames(clip, &w, &h), SEGMENT);
    ck_assert_int_eq(w, CLIP_W);
    ck_assert_int_eq(h, CLIP_H);
    g_free(clip);
    clip = g_build_filename(a, "queries", "round-0002", "q0003-right.webm", NULL);
    ck_assert_int_eq(decoded_frames(clip, &w, &h), SEGMENT);
    g_free(clip);

    /* b: round 2 stopped after two answers, then resumed: the same queries,
     * only the two left asked, the same outputs as a */
    stop_in_round_2(root, b);
    char *log = test_slurp(b, "log.txt");
    ck_assert_msg(strstr(log, "query round 2 interrupted"), "%s", log);
    g_free(log);
    resume_round_2(root, b, NULL);
    /* the teacher's line (PrefrlTeacherQuery.say) reached log.txt, which
     * the resume kept whole (the interruption after the checkpoint too) */
    log = test_slurp(b, "log.txt");
    ck_assert_msg(strstr(log, "query round 2 interrupted") &&
                      strstr(strstr(log, "query round 2 interrupted"), "resumed from the "
                                                                        "checkpoint at step"),
                  "%s", log);
    ck_assert_msg(strstr(log, "teacher/file: round 2: 2 of 4 queries still unanswered in "
                              "queries/round-0002/"),
                  "%s", log);
    g_free(log);
    pbrl_test_assert_same_outputs(a, b, "an interrupted round resumed");

    prefrl_node_free(root);
    g_free(a);
    g_free(b);
}
END_TEST

/* without a video sink the query has no write_clip: teacher/file (clips
 * on) refuses the round, naming the environment */
START_TEST(test_no_sink)
{
    char *dir = pbrl_test_run_dir("clips-no-sink");
    PrefrlNode *root = recipe(file_teacher);
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    ck_assert(!prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    ck_assert_str_eq(err->message, "teacher/file: env/cartpole_swingup cannot render clips "
                                   "(clips: false labels without them)");
    g_error_free(err);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(dir);
}
END_TEST

/* every stored episode has its states */
static void assert_all_states(PrefrlTrainer *t)
{
    const PrefrlEpisodes *e = t->state.episodes;
    ck_assert_int_gt((int)e->episodes->len, 0);
    for (int k = 0; k < (int)e->episodes->len; k++) {
        PrefrlSegmentSource src = {.episode = k, .start = 0};
        ck_assert_msg(prefrl_episodes_state(e, src, 49) != NULL, "episode %d has no states", k);
    }
}

/* PrefPPO (two rollout environments, rollouts of 30 steps: episodes run
 * across rollout boundaries) with teacher/file: the stored states replay,
 * and a round stopped mid-rollout resumes from the last boundary's
 * checkpoint, whose episodes in progress kept their states */
START_TEST(test_onpolicy)
{
    char *a = pbrl_test_run_dir("clips-ppo-a"), *b = pbrl_test_run_dir("clips-ppo-b");
    const char *const ppo[] = {"teacher.name=file", "teacher.width=32", "teacher.height=24",
                               "teacher.fps=10", "teacher.poll_interval=0.02",
                               "teacher.timeout=120", "trainer.num_train_steps=420",
                               "trainer.num_unsup_steps=60", "trainer.checkpoint_frequency=60",
                               "trainer.eval_frequency=420", "agent.name=ppo",
                               "agent.n_envs=2", "agent.n_steps=30", "agent.batch_size=30",
                               "agent.n_epochs=1", "agent.unsup_n_epochs=1", NULL};
    GError *err = NULL;
    PrefrlNode *root = recipe(ppo);
    PrefrlTrainer *t = NULL;
    Annotator all = {a, 1, 2, 0, 4, NULL, NULL};
    ck_assert_msg(train(root, a, FALSE, &all, NULL, &t, &err), "%s", err ? err->message : "");
    /* env/1's episodes come first in each lockstep: store indices 0, 2, 4 */
    assert_states_replay(t, root, "env/1", 0, 2, 3);
    assert_states_replay(t, root, "env/2", 1, 2, 3);
    prefrl_trainer_free(t);

    stop_in_round_2(root, b);
    resume_round_2(root, b, &t);
    assert_all_states(t);
    prefrl_trainer_free(t);
    pbrl_test_assert_same_outputs(a, b, "PrefPPO's interrupted round resumed");
    prefrl_node_free(root);
    g_free(a);
    g_free(b);
}
END_TEST

/* a checkpoint stream at path written by `put` */
static void write_stream(const char *path, void (*put)(PrefrlCkpt *c, void *data), void *data)
{
    GError *err = NULL;
    PrefrlCkpt *c = prefrl_ckpt_open_write(path, &err);
    ck_assert_msg(c != NULL, "%s", err ? err->message : "");
    put(c, data);
    ck_assert_msg(prefrl_ckpt_close(c, &err), "%s", err ? err->message : "");
}

/* one episode of 3 steps (obs 2, act 1) in the untagged format of trainer.bin version 2 */
static void put_version1(PrefrlCkpt *c, void *data)
{
    (void)data;
    const float sa[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, r[3] = {0.5f, 0.25f, 0.125f};
    prefrl_ckpt_put_i64(c, 1);
    prefrl_ckpt_put_i64(c, 3);
    prefrl_ckpt_put(c, sa, sizeof sa);
    prefrl_ckpt_put(c, r, sizeof r);
    prefrl_ckpt_put_i64(c, 0);
}

static void put_store(PrefrlCkpt *c, void *data)
{
    prefrl_episodes_save(data, c);
}

/* load the stream at path into e as `version`; the error or NULL */
static GError *load_stream(const char *path, PrefrlEpisodes *e, int version)
{
    GError *err = NULL;
    PrefrlCkpt *c = prefrl_ckpt_open_read(path, &err);
    ck_assert_msg(c != NULL, "%s", err ? err->message : "");
    prefrl_episodes_load(e, c, version);
    if (prefrl_ckpt_check(c, &err) && prefrl_ckpt_close(c, &err))
        return NULL;
    prefrl_ckpt_abort(c);
    return err;
}

START_TEST(test_episode_section)
{
    char *dir = pbrl_test_run_dir("clips-section");
    char *old = g_build_filename(dir, "v1.bin", NULL), *cur = g_build_filename(dir, "v2.bin", NULL);
    /* an older checkpoint's episodes load, without states */
    write_stream(old, put_version1, NULL);
    PrefrlEpisodes *e = prefrl_episodes_new(2, 1, 2, 2, 5);
    ck_assert_ptr_null(load_stream(old, e, 1));
    ck_assert_int_eq(e->episodes->len, 1);
    PrefrlSegmentSource src = {0, 1};
    ck_assert_ptr_null(prefrl_episodes_state(e, src, 0));
    ck_assert(prefrl_episodes_step(e, src, 1)[2] == 9.0f);

    /* states kept, saved and loaded back bit for bit; a step without a
     * state leaves its episode without any */
    PrefrlEpisodes *f = prefrl_episodes_new(2, 1, 2, 2, 5);
    double st[5];
    float obs[2], act[1];
    for (int k = 0; k < 8; k++) {
        for (int j = 0; j < 5; j++)
            st[j] = k * 10 + j + 0.5;
        obs[0] = obs[1] = act[0] = (float)k;
        /* episode 0: steps 0-3, episode 1: 4-6 (step 5 without a state), open: 7 */
        prefrl_episodes_add(f, obs, act, 1.0f, k == 5 ? NULL : st, k == 3 || k == 6);
    }
    src = (PrefrlSegmentSource){0, 1};
    ck_assert(prefrl_episodes_state(f, src, 2)[4] == 34.5);
    src.episode = 1;
    ck_assert_ptr_null(prefrl_episodes_state(f, src, 0));
    write_stream(cur, put_store, f);
    ck_assert_ptr_null(load_stream(cur, e, PREFRL_EPISODES_CKPT_VERSION));
    ck_assert_int_eq(e->episodes->len, 2);
    ck_assert_ptr_nonnull(e->open);
    src = (PrefrlSegmentSource){0, 0};
    ck_assert(memcmp(prefrl_episodes_state(e, src, 0), prefrl_episodes_state(f, src, 0),
                     sizeof(double) * 5 * 4) == 0);
    src.episode = 1;
    ck_assert_ptr_null(prefrl_episodes_state(e, src, 0));
    /* out of range */
    src = (PrefrlSegmentSource){0, 3};
    ck_assert_ptr_null(prefrl_episodes_state(e, src, 1));
    src = (PrefrlSegmentSource){2, 0};
    ck_assert_ptr_null(prefrl_episodes_state(e, src, 0));

    /* another environment's states are refused by name */
    PrefrlEpisodes *g = prefrl_episodes_new(2, 1, 3, 2, 5);
    GError *err = load_stream(cur, g, PREFRL_EPISODES_CKPT_VERSION);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->message, "physics states of 2 + 2, but this recipe's environment "
                                       "has 3 + 2"),
                  "%s", err->message);
    g_error_free(err);
    prefrl_episodes_free(e);
    prefrl_episodes_free(f);
    prefrl_episodes_free(g);
    g_free(old);
    g_free(cur);
    g_free(dir);
}
END_TEST

/* the run of `extra` in dir with the scripted teacher, sink installed or not */
static gboolean train_scripted(const char *dir, const char *const *extra, gboolean with_sink,
                               GError **error)
{
    PrefrlNode *root = recipe(extra);
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, error);
    ck_assert_msg(t != NULL, "%s", *error ? (*error)->message : "");
    if (with_sink)
        prefrl_trainer_set_video_sink(t, &video_test_sink);
    gboolean ok = prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, error);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    return ok;
}

START_TEST(test_eval_video)
{
    char *a = pbrl_test_run_dir("clips-video"), *b = pbrl_test_run_dir("clips-novideo");
    GError *err = NULL;
    const char *const video[] = {"trainer.save_video=true",
                                 "trainer.video_width=40", "trainer.video_height=30",
                                 "trainer.video_camera=fixed", NULL};
    const char *const plain[] = {NULL};
    ck_assert_msg(train_scripted(a, video, TRUE, &err), "%s", err ? err->message : "");
    ck_assert_msg(train_scripted(b, plain, TRUE, &err), "%s", err ? err->message : "");
    /* one video per evaluation (steps 200 and 400): the reset's frame and one
     * per step of the 50-step episode */
    const char *const names[] = {"eval-200.webm", "eval-400.webm"};
    for (int i = 0; i < 2; i++) {
        char *path = g_build_filename(a, "videos", names[i], NULL);
        int w, h;
        ck_assert_int_eq(decoded_frames(path, &w, &h), 51);
        ck_assert_int_eq(w, 40);
        ck_assert_int_eq(h, 30);
        g_free(path);
    }
    char *none = g_build_filename(b, "videos", NULL);
    ck_assert(!g_file_test(none, G_FILE_TEST_EXISTS));
    g_free(none);
    /* the same evaluations and the same run with videos or without */
    pbrl_test_assert_same_outputs(a, b, "evaluation videos");

    /* refused when the run starts: no sink, an unknown camera, an env that
     * cannot render */
    char *c = pbrl_test_run_dir("clips-video-refused");
    ck_assert(!train_scripted(c, video, FALSE, &err));
    ck_assert_str_eq(err->message, "trainer.save_video: this program has no video encoder "
                                   "(prefrl run has); set trainer.save_video=false");
    g_clear_error(&err);
    const char *const camera[] = {"trainer.save_video=true",
                                  "trainer.video_camera=nowhere", NULL};
    g_free(c);
    c = pbrl_test_run_dir("clips-video-refused");
    ck_assert(!train_scripted(c, camera, TRUE, &err));
    ck_assert_msg(g_str_has_prefix(err->message, "trainer.video_camera: env/cartpole_swingup "
                                                 "has no camera 'nowhere' (cameras: "),
                  "%s", err->message);
    g_clear_error(&err);
    const char *const on[] = {"trainer.save_video=true", NULL};
    const char *const sac[] = {"agent.name=sac", NULL}, *const pebble[] = {"reward.name=pebble",
                                                                         NULL};
    PrefrlNode *root = pbrl_test_short_recipe(sac, pebble, on);
    g_free(c);
    c = pbrl_test_run_dir("clips-video-refused");
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), c, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "");
    prefrl_trainer_set_video_sink(t, &video_test_sink);
    ck_assert(!prefrl_trainer_run(t, NULL, PREFRL_PROGRESS_NONE, &err));
    ck_assert_str_eq(err->message, "trainer.save_video: env/fixture_reach cannot render its "
                                   "states; set trainer.save_video=false");
    g_clear_error(&err);
    prefrl_trainer_free(t);
    prefrl_node_free(root);
    g_free(a);
    g_free(b);
    g_free(c);
}
END_TEST

/* the fields of line `line` (0: the header) of dir/file (transfer full) */
static char **csv_row(const char *dir, const char *file, int line)
{
    char *text = test_slurp(dir, file);
    char **lines = g_strsplit(text, "\n", -1);
    ck_assert_int_gt(g_strv_length(lines), line);
    char **fields = g_strsplit(lines[line], ",", -1);
    g_strfreev(lines);
    g_free(text);
    return fields;
}

static int count_lines(const char *dir, const char *file)
{
    char *text = test_slurp(dir, file);
    int n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    g_free(text);
    return n;
}

/* a trainer for `extra` seeded with path must be refused with `message`
 * (the path prefixed) */
static void assert_seed_refused(const char *path, const char *segment, const char *message)
{
    char *key = g_strdup_printf("trainer.seed_prefs=%s", path);
    const char *const extra[] = {key, segment, NULL};
    PrefrlNode *root = recipe(extra);
    GError *err = NULL;
    char *dir = pbrl_test_run_dir("clips-seed-refused");
    PrefrlTrainer *t = prefrl_trainer_new(root, pbrl_test_registry(), dir, &err);
    ck_assert_msg(t == NULL, "%s was accepted", path);
    char *want = g_strdup_printf("%s: %s", path, message);
    ck_assert_msg(g_str_has_prefix(err->message, want), "%s\nexpected: %s", err->message,
                  want);
    ck_assert(strchr(err->message, '\n') == NULL);
    g_error_free(err);
    g_free(want);
    g_free(dir);
    g_free(key);
    prefrl_node_free(root);
}

/* `bytes` changed by `edit` at offset `at` (value) and cut to `len`, as a file */
static char *damaged(const char *dir, const char *name, const char *bytes, gsize len, gsize at,
                     const void *value, gsize value_len)
{
    char *copy = g_memdup2(bytes, len);
    if (value)
        memcpy(copy + at, value, value_len);
    char *path = g_build_filename(dir, name, NULL);
    ck_assert(g_file_set_contents(path, copy, (gssize)len, NULL));
    g_free(copy);
    return path;
}

START_TEST(test_seed_prefs)
{
    char *a = pbrl_test_run_dir("clips-seed-from"), *b = pbrl_test_run_dir("clips-seeded");
    GError *err = NULL;
    ck_assert_msg(train_scripted(a, NULL, FALSE, &err), "%s", err ? err->message : "");
    char *from = g_build_filename(a, "prefs.bin", NULL);
    char *key = g_strdup_printf("trainer.seed_prefs=%s", from);
    const char *const seeded[] = {key, NULL};
    ck_assert_msg(train_scripted(b, seeded, FALSE, &err), "%s", err ? err->message : "");

    /* the seeded reward trained before the first round: a row at step 0,
     * round 0, no label spent; its first round learns from more pairs */
    char **head = csv_row(b, "reward.csv", 0), **r0 = csv_row(b, "reward.csv", 1);
    int round = -1, step = -1, labeled = -1, loss = -1;
    for (int i = 0; head[i]; i++) {
        round = !strcmp(head[i], "round") ? i : round;
        step = !strcmp(head[i], "step") ? i : step;
        labeled = !strcmp(head[i], "labeled_feedback") ? i : labeled;
        loss = !strcmp(head[i], "loss") ? i : loss;
    }
    ck_assert(round >= 0 && step >= 0 && labeled >= 0 && loss >= 0);
    ck_assert_str_eq(r0[round], "0");
    ck_assert_str_eq(r0[step], "0");
    ck_assert_str_eq(r0[labeled], "0");
    char **a1 = csv_row(a, "reward.csv", 1), **b1 = csv_row(b, "reward.csv", 2);
    ck_assert_str_eq(a1[round], "1");
    ck_assert_str_eq(b1[round], "1");
    ck_assert_str_eq(a1[labeled], b1[labeled]);
    ck_assert_str_ne(a1[loss], b1[loss]);
    /* the same budget spent; prefs.bin holds only the run's own labels */
    ck_assert_int_eq(count_lines(a, "labels.csv"), count_lines(b, "labels.csv"));
    char *pa, *pb;
    gsize la, lb;
    char *pbin = g_build_filename(b, "prefs.bin", NULL);
    ck_assert(g_file_get_contents(from, &pa, &la, NULL));
    ck_assert(g_file_get_contents(pbin, &pb, &lb, NULL));
    ck_assert_uint_eq(la, lb);
    ck_assert_uint_eq(la, 32 + 8 * (4 + 2 * SEGMENT * 6 * 4));
    g_free(pb);
    g_free(pbin);
    char *log = test_slurp(b, "log.txt");
    char *said = g_strdup_printf("reward/pebble trained on 8 preference pairs of %s", from);
    ck_assert_msg(strstr(log, said), "%s", log);
    g_free(said);
    g_free(log);

    /* malformed files: one line naming the file (and the pair) */
    const gsize pair = 4 + 2 * SEGMENT * 6 * 4;
    char *dir = pbrl_test_run_dir("clips-seed-files");
    const char *none = "trainer.segment=10";
    char *p = damaged(dir, "magic.bin", pa, la, 0, "PRFLPREX", 8);
    assert_seed_refused(p, none, "not a preference file (it does not start with PRFLPREF)");
    g_free(p);
    uint32_t two = 2;
    p = damaged(dir, "version.bin", pa, la, 8, &two, 4);
    assert_seed_refused(p, none, "version 2; this prefrl reads version 1");
    g_free(p);
    p = damaged(dir, "header.bin", pa, 20, 0, NULL, 0);
    assert_seed_refused(p, none, "not a preference file (its 32-byte header is truncated)");
    g_free(p);
    assert_seed_refused(from, "trainer.segment=5",
                        "segments of 10 steps of 5 observations and 1 actions, but this run "
                        "queries 5 steps of 5 and 1");
    p = damaged(dir, "cut.bin", pa, la - 3, 0, NULL, 0);
    char *msg = g_strdup_printf("pair 7 is truncated (%" G_GSIZE_FORMAT " of its %" G_GSIZE_FORMAT
                                " bytes)",
                                pair - 3, pair);
    assert_seed_refused(p, none, msg);
    g_free(msg);
    g_free(p);
    int32_t seven = 7;
    p = damaged(dir, "label.bin", pa, la, 32 + 2 * pair, &seven, 4);
    assert_seed_refused(p, none, "pair 2 has label 7 (valid: 0 the first segment preferred, 1 "
                                 "the second, -1 equal)");
    g_free(p);
    float nan_value = NAN;
    p = damaged(dir, "nan.bin", pa, la, 32 + 3 * pair + 4 + 8, &nan_value, 4);
    assert_seed_refused(p, none, "pair 3 holds a non-finite value");
    g_free(p);
    p = damaged(dir, "empty.bin", pa, 0, 0, NULL, 0);
    assert_seed_refused(p, none, "holds no preference pairs (empty file)");
    g_free(p);
    p = damaged(dir, "no-pairs.bin", pa, 32, 0, NULL, 0);
    assert_seed_refused(p, none, "holds no preference pairs");
    g_free(p);

    g_free(pa);
    g_strfreev(head);
    g_strfreev(r0);
    g_strfreev(a1);
    g_strfreev(b1);
    g_free(dir);
    g_free(key);
    g_free(from);
    g_free(a);
    g_free(b);
}
END_TEST

static Suite *clips_suite(void)
{
    Suite *s = suite_create("clips");
    TCase *tc = tcase_create("clips");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_episode_section);
    tcase_add_test(tc, test_clips_and_resume);
    tcase_add_test(tc, test_eval_video);
    tcase_add_test(tc, test_seed_prefs);
    tcase_add_test(tc, test_onpolicy);
    tcase_add_test(tc, test_no_sink);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(clips_suite());
    return failed ? 1 : 0;
}
