/* Video files through FFmpeg (video.h).  One PrefrlVideo owns its muxer
 * context (with its AVIOContext), its encoder context, one YUV frame, one
 * packet and the RGB->YUV scaler; prefrl_video_free releases all of them on
 * every path. */
#include "config.h"
#include "lab/video.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/common.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include <prefrl/error.h>

#include "pbrl/trainer.h"

struct PrefrlVideo {
    char *path;     /* where the finished file goes */
    char *tmp_path; /* where it is written until then */
    int width, height;
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *stream; /* owned by fmt */
    AVFrame *frame;   /* yuv420p, enc's size */
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *rgb;    /* a padded copy of the frame: swscale reads past row ends */
    int rgb_stride;
    gint64 n_frames;
    gboolean file_open; /* fmt->pb is open (tmp_path exists) */
    gboolean header_written;
};

static void set_av_error(GError **error, int code, const char *path, const char *what, int ret)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = "";
    av_strerror(ret, buf, sizeof buf);
    g_set_error(error, PREFRL_ERROR, code, "%s: %s: %s", path, what, buf);
}

static gboolean has_suffix_ci(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n > m && g_ascii_strcasecmp(path + n - m, suffix) == 0;
}

void prefrl_video_free(PrefrlVideo *v)
{
    if (!v)
        return;
    sws_freeContext(v->sws);
    av_free(v->rgb);
    av_packet_free(&v->pkt);
    av_frame_free(&v->frame);
    avcodec_free_context(&v->enc);
    if (v->fmt) {
        if (v->file_open)
            avio_closep(&v->fmt->pb);
        avformat_free_context(v->fmt);
    }
    if (v->file_open)
        g_unlink(v->tmp_path);
    g_free(v->tmp_path);
    g_free(v->path);
    g_free(v);
}

PrefrlVideo *prefrl_video_open(const char *path, int width, int height, int fps, GError **error)
{
    const char *format, *codec_name;
    if (has_suffix_ci(path, ".mp4")) {
        format = "mp4";
        codec_name = "libx264";
    } else if (has_suffix_ci(path, ".webm")) {
        format = "webm";
        codec_name = "libvpx-vp9";
    } else {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: unknown video extension (use .mp4 for H.264 or .webm for VP9)", path);
        return NULL;
    }
    if (width < 2 || width > 16384 || height < 2 || height > 16384) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: video size %dx%d out of range (2..16384)", path, width, height);
        return NULL;
    }
    if (fps < 1 || fps > 240) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: video fps %d out of range (1..240)", path, fps);
        return NULL;
    }
    const AVCodec *codec = avcodec_find_encoder_by_name(codec_name);
    if (!codec) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: this FFmpeg has no %s encoder (%s)", path, codec_name,
                    format[0] == 'm' ? "try .webm" : "try .mp4");
        return NULL;
    }
    /* the encoders' progress and statistics lines are not ours to print */
    if (av_log_get_level() > AV_LOG_ERROR)
        av_log_set_level(AV_LOG_ERROR);

    PrefrlVideo *v = g_new0(PrefrlVideo, 1);
    v->path = g_strdup(path);
    v->tmp_path = g_strconcat(path, ".part", NULL);
    v->width = width;
    v->height = height;
    int ret = avformat_alloc_output_context2(&v->fmt, NULL, format, v->tmp_path);
    if (ret < 0 || !v->fmt) {
        set_av_error(error, PREFRL_ERROR_CONFIG, path, "no muxer", ret < 0 ? ret : AVERROR(ENOMEM));
        goto fail;
    }
    v->enc = avcodec_alloc_context3(codec);
    v->frame = av_frame_alloc();
    v->pkt = av_packet_alloc();
    if (!v->enc || !v->frame || !v->pkt) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot set up the encoder", AVERROR(ENOMEM));
        goto fail;
    }
    v->enc->width = (width + 1) & ~1;
    v->enc->height = (height + 1) & ~1;
    v->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    v->enc->time_base = (AVRational){1, fps};
    v->enc->framerate = (AVRational){fps, 1};
    v->enc->sample_aspect_ratio = (AVRational){1, 1};
    v->enc->gop_size = 2 * fps; /* a keyframe every 2 s: seeking in a browser */
    v->enc->thread_count = 1;   /* the same file for the same frames; cores are shared */
    if (v->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        v->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary *opts = NULL;
    if (format[0] == 'm') {
        av_dict_set(&opts, "preset", "veryfast", 0);
        av_dict_set(&opts, "crf", "20", 0);
    } else {
        /* constant quality (bit rate 0 + crf); cpu-used 4: a fast "good" */
        v->enc->bit_rate = 0;
        av_dict_set(&opts, "crf", "32", 0);
        av_dict_set(&opts, "deadline", "good", 0);
        av_dict_set(&opts, "cpu-used", "4", 0);
    }
    ret = avcodec_open2(v->enc, codec, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_CONFIG, path, "cannot open the encoder", ret);
        goto fail;
    }
    v->stream = avformat_new_stream(v->fmt, NULL);
    if (!v->stream) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot add a stream", AVERROR(ENOMEM));
        goto fail;
    }
    v->stream->time_base = v->enc->time_base;
    v->stream->avg_frame_rate = v->enc->framerate;
    ret = avcodec_parameters_from_context(v->stream->codecpar, v->enc);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot set the stream parameters", ret);
        goto fail;
    }
    v->frame->format = v->enc->pix_fmt;
    v->frame->width = v->enc->width;
    v->frame->height = v->enc->height;
    ret = av_frame_get_buffer(v->frame, 0);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot allocate a frame", ret);
        goto fail;
    }
    v->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, v->enc->width, v->enc->height,
                            AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
    if (!v->sws) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "%s: cannot set up RGB to YUV conversion",
                    path);
        goto fail;
    }
    v->rgb_stride = FFALIGN(3 * width, 64);
    v->rgb = av_mallocz((size_t)v->rgb_stride * height + 64);
    if (!v->rgb) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot allocate a frame", AVERROR(ENOMEM));
        goto fail;
    }
    ret = avio_open(&v->fmt->pb, v->tmp_path, AVIO_FLAG_WRITE);
    if (ret < 0) {
        char buf[AV_ERROR_MAX_STRING_SIZE] = "";
        av_strerror(ret, buf, sizeof buf);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", path, buf);
        goto fail;
    }
    v->file_open = TRUE;
    if (format[0] == 'm')
        av_dict_set(&opts, "movflags", "+faststart", 0);
    ret = avformat_write_header(v->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_IO, path, "cannot write the header", ret);
        goto fail;
    }
    v->header_written = TRUE;
    return v;
fail:
    prefrl_video_free(v);
    return NULL;
}

/* Send `frame` (NULL: flush) and write every packet the encoder has ready. */
static gboolean encode(PrefrlVideo *v, AVFrame *frame, GError **error)
{
    int ret = avcodec_send_frame(v->enc, frame);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot encode a frame", ret);
        return FALSE;
    }
    for (;;) {
        ret = avcodec_receive_packet(v->enc, v->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return TRUE;
        if (ret < 0) {
            set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot encode a frame", ret);
            return FALSE;
        }
        av_packet_rescale_ts(v->pkt, v->enc->time_base, v->stream->time_base);
        v->pkt->stream_index = v->stream->index;
        ret = av_interleaved_write_frame(v->fmt, v->pkt); /* takes the packet's data */
        if (ret < 0) {
            av_packet_unref(v->pkt);
            set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot write", ret);
            return FALSE;
        }
    }
}

gboolean prefrl_video_add_frame(PrefrlVideo *v, const guint8 *rgb, GError **error)
{
    int ret = av_frame_make_writable(v->frame);
    if (ret < 0) {
        set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot allocate a frame", ret);
        return FALSE;
    }
    for (int y = 0; y < v->height; y++)
        memcpy(v->rgb + (size_t)y * v->rgb_stride, rgb + (size_t)y * 3 * v->width,
               (size_t)3 * v->width);
    const uint8_t *src[1] = {v->rgb};
    const int stride[1] = {v->rgb_stride};
    sws_scale(v->sws, src, stride, 0, v->height, v->frame->data, v->frame->linesize);
    v->frame->pts = v->n_frames;
    if (!encode(v, v->frame, error))
        return FALSE;
    v->n_frames++;
    return TRUE;
}

gboolean prefrl_video_close(PrefrlVideo *v, GError **error)
{
    gboolean ok = encode(v, NULL, error);
    if (ok) {
        int ret = av_write_trailer(v->fmt);
        if (ret < 0) {
            set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot finish the file", ret);
            ok = FALSE;
        }
    }
    if (ok) {
        /* avio_closep flushes: its error is a failed write */
        int ret = avio_closep(&v->fmt->pb);
        if (ret < 0) {
            set_av_error(error, PREFRL_ERROR_IO, v->path, "cannot write", ret);
            ok = FALSE;
            g_unlink(v->tmp_path);
            v->file_open = FALSE;
        } else if (g_rename(v->tmp_path, v->path) != 0) {
            int e = errno;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "cannot write %s: %s", v->path,
                        g_strerror(e));
            g_unlink(v->tmp_path);
            v->file_open = FALSE;
            ok = FALSE;
        } else {
            v->file_open = FALSE;
        }
    }
    prefrl_video_free(v);
    return ok;
}

gint64 prefrl_video_n_frames(const PrefrlVideo *v)
{
    return v->n_frames;
}

const char *prefrl_video_codec_name(const PrefrlVideo *v)
{
    return v->enc->codec->name;
}

/* the sink's operations, over an opaque PrefrlVideo */
static void *sink_open(const char *path, int width, int height, int fps, GError **error)
{
    return prefrl_video_open(path, width, height, fps, error);
}

static gboolean sink_add_frame(void *video, const guint8 *rgb, GError **error)
{
    return prefrl_video_add_frame(video, rgb, error);
}

static gboolean sink_close(void *video, GError **error)
{
    return prefrl_video_close(video, error);
}

static void sink_abandon(void *video)
{
    prefrl_video_free(video);
}

const PrefrlVideoSink *prefrl_video_sink(void)
{
    static const PrefrlVideoSink sink = {sink_open, sink_add_frame, sink_close, sink_abandon};
    return &sink;
}
