/* The video writer (core/lab/video.c): a moving square encoded to .mp4
 * (H.264) and .webm (VP9), decoded back through libavformat/libavcodec:
 * the frame count, the size and the pixels (mean absolute error) match;
 * the MP4 has its index first (faststart); an odd size, an unwritable path
 * and an unknown extension fail with one line and leave no file; `prefrl env
 * --video` writes every state of its episodes. */
#include "config.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/common.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include <prefrl/error.h>
#include "cli_test.h"
#include "host/recipe.h"
#include "lab/video.h"
#include "check_run.h"

#define WORK TEST_BUILDDIR "/video-work"
#define N_FRAMES 30

/* Frame i of a W x H clip: a soft gradient background with a red 16x16
 * square moving right and down. */
static guint8 *make_frame(int w, int h, int i)
{
    guint8 *rgb = g_malloc((size_t)w * h * 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            guint8 *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (guint8)(40 + 100 * x / w);
            p[1] = (guint8)(60 + 100 * y / h);
            p[2] = 120;
        }
    int sx = (i * 3) % (w - 16), sy = (i * 2) % (h - 16);
    for (int y = sy; y < sy + 16; y++)
        for (int x = sx; x < sx + 16; x++) {
            guint8 *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = 230, p[1] = 30, p[2] = 30;
        }
    return rgb;
}

static void write_clip(const char *path, int w, int h, const char *codec)
{
    GError *err = NULL;
    PrefrlVideo *v = prefrl_video_open(path, w, h, 25, &err);
    ck_assert_msg(v, "%s", err ? err->message : "?");
    ck_assert_str_eq(prefrl_video_codec_name(v), codec);
    for (int i = 0; i < N_FRAMES; i++) {
        guint8 *rgb = make_frame(w, h, i);
        ck_assert_msg(prefrl_video_add_frame(v, rgb, &err), "%s", err ? err->message : "?");
        g_free(rgb);
    }
    ck_assert_int_eq(prefrl_video_n_frames(v), N_FRAMES);
    ck_assert_msg(prefrl_video_close(v, &err), "%s", err ? err->message : "?");
    char *part = g_strconcat(path, ".part", NULL);
    ck_assert(!g_file_test(part, G_FILE_TEST_EXISTS));
    g_free(part);
}

/* Decode `path`; checks the codec and the size, returns the frame count and
 * the mean absolute error against make_frame (over all frames and bytes). */
static int decode_clip(const char *path, enum AVCodecID codec_id, int w, int h, double *mae)
{
    AVFormatContext *fmt = NULL;
    ck_assert_int_eq(avformat_open_input(&fmt, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(fmt, NULL), 0);
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    ck_assert_int_ge(si, 0);
    AVCodecParameters *par = fmt->streams[si]->codecpar;
    ck_assert_int_eq(par->codec_id, codec_id);
    ck_assert_int_eq(par->width, w);
    ck_assert_int_eq(par->height, h);
    ck_assert_int_eq(par->format, AV_PIX_FMT_YUV420P);
    const AVCodec *dec = avcodec_find_decoder(par->codec_id);
    ck_assert(dec);
    AVCodecContext *ctx = avcodec_alloc_context3(dec);
    ck_assert_int_ge(avcodec_parameters_to_context(ctx, par), 0);
    ck_assert_int_eq(avcodec_open2(ctx, dec, NULL), 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    struct SwsContext *sws = sws_getContext(w, h, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_RGB24,
                                            SWS_BICUBIC, NULL, NULL, NULL);
    ck_assert(pkt && frame && sws);
    int stride = FFALIGN(3 * w, 64); /* swscale writes past row ends */
    guint8 *rgb = av_mallocz((size_t)stride * h + 64);
    int n = 0;
    double sum = 0;
    gboolean flushing = FALSE;
    for (;;) {
        int ret;
        if (!flushing) {
            ret = av_read_frame(fmt, pkt);
            if (ret == AVERROR_EOF) {
                flushing = TRUE;
                ck_assert_int_eq(avcodec_send_packet(ctx, NULL), 0);
            } else {
                ck_assert_int_eq(ret, 0);
                if (pkt->stream_index == si)
                    ck_assert_int_eq(avcodec_send_packet(ctx, pkt), 0);
                av_packet_unref(pkt);
            }
        }
        while ((ret = avcodec_receive_frame(ctx, frame)) == 0) {
            uint8_t *dst[1] = {rgb};
            int dst_stride[1] = {stride};
            sws_scale(sws, (const uint8_t *const *)frame->data, frame->linesize, 0, h, dst,
                      dst_stride);
            guint8 *want = make_frame(w, h, n);
            for (int y = 0; y < h; y++)
                for (int k = 0; k < 3 * w; k++)
                    sum += abs((int)rgb[(size_t)y * stride + k] - (int)want[(size_t)y * 3 * w + k]);
            g_free(want);
            n++;
            av_frame_unref(frame);
        }
        if (ret == AVERROR_EOF)
            break;
        ck_assert_int_eq(ret, AVERROR(EAGAIN));
    }
    *mae = n ? sum / ((double)n * w * h * 3) : 1e9;
    av_free(rgb);
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    avformat_close_input(&fmt);
    return n;
}

/* The offset of the first top-level MP4 box of `type`, or -1. */
static long mp4_box(const char *path, const char *type)
{
    gsize len;
    char *data;
    ck_assert(g_file_get_contents(path, &data, &len, NULL));
    long found = -1;
    for (gsize off = 0; off + 8 <= len;) {
        const guint8 *b = (const guint8 *)data + off;
        guint64 size = (guint64)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        if (memcmp(b + 4, type, 4) == 0) {
            found = (long)off;
            break;
        }
        if (size == 1 && off + 16 <= len) {
            size = 0;
            for (int k = 0; k < 8; k++)
                size = size << 8 | b[8 + k];
        }
        if (size < 8)
            break;
        off += size;
    }
    g_free(data);
    return found;
}

START_TEST(test_mp4)
{
    const char *path = WORK "/square.mp4";
    write_clip(path, 96, 64, "libx264");
    double mae;
    ck_assert_int_eq(decode_clip(path, AV_CODEC_ID_H264, 96, 64, &mae), N_FRAMES);
    printf("mp4: %d frames, mean abs error %.2f\n", N_FRAMES, mae);
    ck_assert_msg(mae < 4.0, "mean abs error %.2f", mae);
    long moov = mp4_box(path, "moov"), mdat = mp4_box(path, "mdat");
    ck_assert(moov >= 0 && mdat >= 0);
    ck_assert_msg(moov < mdat, "moov at %ld after mdat at %ld: not faststart", moov, mdat);
}
END_TEST

START_TEST(test_webm)
{
    const char *path = WORK "/square.webm";
    write_clip(path, 96, 64, "libvpx-vp9");
    double mae;
    ck_assert_int_eq(decode_clip(path, AV_CODEC_ID_VP9, 96, 64, &mae), N_FRAMES);
    printf("webm: %d frames, mean abs error %.2f\n", N_FRAMES, mae);
    ck_assert_msg(mae < 6.0, "mean abs error %.2f", mae);
}
END_TEST

/* An odd size is encoded at the next even one. */
START_TEST(test_odd_size)
{
    const char *path = WORK "/odd.MP4";
    GError *err = NULL;
    PrefrlVideo *v = prefrl_video_open(path, 33, 21, 10, &err);
    ck_assert_msg(v, "%s", err ? err->message : "?");
    guint8 *rgb = g_malloc0(33 * 21 * 3);
    ck_assert(prefrl_video_add_frame(v, rgb, NULL));
    ck_assert(prefrl_video_add_frame(v, rgb, NULL));
    g_free(rgb);
    ck_assert(prefrl_video_close(v, NULL));
    AVFormatContext *fmt = NULL;
    ck_assert_int_eq(avformat_open_input(&fmt, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(fmt, NULL), 0);
    ck_assert_int_eq(fmt->streams[0]->codecpar->width, 34);
    ck_assert_int_eq(fmt->streams[0]->codecpar->height, 22);
    avformat_close_input(&fmt);
}
END_TEST

static void assert_one_line(GError *err, const char *path, const char *part)
{
    ck_assert(err);
    ck_assert_int_eq(err->domain, PREFRL_ERROR);
    ck_assert_msg(strchr(err->message, '\n') == NULL, "%s", err->message);
    ck_assert_msg(strstr(err->message, path), "%s", err->message);
    ck_assert_msg(strstr(err->message, part), "%s", err->message);
}

START_TEST(test_errors)
{
    GError *err = NULL;
    const char *path = WORK "/clip.avi";
    ck_assert(!prefrl_video_open(path, 64, 48, 25, &err));
    assert_one_line(err, path, "unknown video extension");
    ck_assert_int_eq(err->code, PREFRL_ERROR_CONFIG);
    g_clear_error(&err);

    path = WORK "/no-such-dir/clip.mp4";
    ck_assert(!prefrl_video_open(path, 64, 48, 25, &err));
    assert_one_line(err, path, "cannot write");
    ck_assert_int_eq(err->code, PREFRL_ERROR_IO);
    g_clear_error(&err);
    ck_assert(!g_file_test(WORK "/no-such-dir", G_FILE_TEST_EXISTS));

    if (getuid() != 0) { /* root writes anywhere */
        ck_assert_int_eq(g_mkdir(WORK "/ro", 0555), 0);
        path = WORK "/ro/clip.webm";
        ck_assert(!prefrl_video_open(path, 64, 48, 25, &err));
        assert_one_line(err, path, "cannot write");
        g_clear_error(&err);
        g_rmdir(WORK "/ro");
    }

    path = WORK "/bad.webm";
    ck_assert(!prefrl_video_open(path, 1, 48, 25, &err));
    assert_one_line(err, path, "size");
    g_clear_error(&err);
    ck_assert(!prefrl_video_open(path, 64, 48, 0, &err));
    assert_one_line(err, path, "fps");
    g_clear_error(&err);

    /* an abandoned video leaves nothing behind */
    path = WORK "/abandoned.mp4";
    PrefrlVideo *v = prefrl_video_open(path, 64, 48, 25, &err);
    ck_assert(v);
    prefrl_video_free(v);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(WORK "/abandoned.mp4.part", G_FILE_TEST_EXISTS));
}
END_TEST

/* `prefrl env TASK --video`: every state of each episode, reset included,
 * at the default 320x240; a camera it does not have is a one-line error. */
START_TEST(test_cli)
{
    const char *path = WORK "/cartpole.mp4";
    CliTestResult r = cli_test_prefrl("env", "cartpole_swingup", "--video", path, "--episodes",
                                      "2", "--fps", "50", "episode_length=15", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "2 episodes, 32 frames, 320x240, 50 fps"), "%s", r.out);
    cli_test_result_clear(&r);
    AVFormatContext *fmt = NULL;
    ck_assert_int_eq(avformat_open_input(&fmt, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(fmt, NULL), 0);
    AVStream *st = fmt->streams[0];
    ck_assert_int_eq(st->codecpar->codec_id, AV_CODEC_ID_H264);
    ck_assert_int_eq(st->codecpar->width, 320);
    ck_assert_int_eq(st->codecpar->height, 240);
    ck_assert_int_eq(st->avg_frame_rate.num, 50);
    ck_assert_int_eq(st->avg_frame_rate.den, 1);
    int packets = 0;
    AVPacket *pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) == 0) {
        packets++;
        av_packet_unref(pkt);
    }
    ck_assert_int_eq(packets, 32);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);

    r = cli_test_prefrl("env", "cartpole_swingup", "--video", WORK "/bad.mp4", "--camera", "nope",
                        "episode_length=5", NULL);
    ck_assert(r.status != 0);
    ck_assert_msg(strstr(r.err, "unknown camera 'nope'") &&
                      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "%s", r.err);
    ck_assert(!g_file_test(WORK "/bad.mp4", G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(WORK "/bad.mp4.part", G_FILE_TEST_EXISTS));
    cli_test_result_clear(&r);
}
END_TEST

/* `prefrl render RUN_DIR`: a tiny cart-pole SAC run (13-step episodes),
 * then two of its saved agent's episodes as a WebM: 2 x (13 + 1) frames at
 * the asked size; a missing run directory is a one-line error */
static int decoded_packets(const char *path, int *width, int *height)
{
    AVFormatContext *fmt = NULL;
    ck_assert_int_eq(avformat_open_input(&fmt, path, NULL, NULL), 0);
    ck_assert_int_ge(avformat_find_stream_info(fmt, NULL), 0);
    *width = fmt->streams[0]->codecpar->width;
    *height = fmt->streams[0]->codecpar->height;
    int packets = 0;
    AVPacket *pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) == 0) {
        packets++;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    return packets;
}

START_TEST(test_render_run)
{
    CliTestResult r = cli_test_prefrl(
        "run", TEST_SRCDIR "/../configs/cartpole_swingup/sac.yaml", "out_dir=" WORK,
        "name=render-run", "--force", "trainer.num_train_steps=300", "trainer.num_seed_steps=100",
        "trainer.eval_frequency=300", "trainer.num_eval_episodes=1", "env.episode_length=50",
        "agent.hidden_dim=16", "agent.batch_size=16", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    const char *path = WORK "/render-run.webm";
    r = cli_test_prefrl("render", WORK "/render-run", "--episodes", "2", "--size", "64x48", "-o",
                        path, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "2 episodes, 28 frames, 64x48"), "%s", r.out);
    cli_test_result_clear(&r);
    int w, h;
    ck_assert_int_eq(decoded_packets(path, &w, &h), 28);
    ck_assert_int_eq(w, 64);
    ck_assert_int_eq(h, 48);

    r = cli_test_prefrl("render", WORK "/no-such-run", NULL);
    ck_assert(r.status != 0);
    ck_assert_msg(strstr(r.err, "is not a run directory") &&
                      strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "%s", r.err);
    cli_test_result_clear(&r);
}
END_TEST

static Suite *video_suite(void)
{
    Suite *s = suite_create("video");
    TCase *tc = tcase_create("video");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_mp4);
    tcase_add_test(tc, test_webm);
    tcase_add_test(tc, test_odd_size);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_cli);
    tcase_add_test(tc, test_render_run);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    prefrl_remove_tree(WORK); /* what an earlier run left, run directories included */
    g_mkdir_with_parents(WORK, 0755);
    int failed = check_run(video_suite());
    if (!failed)
        prefrl_remove_tree(WORK); /* kept after a failure, for a look */
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
