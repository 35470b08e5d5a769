/* The lab layer's FFmpeg writer as the trainer's video sink, the way the
 * prefrl program installs it, for the trainer tests that record clips or
 * evaluation videos (check_clips, check_teacher_human).  Header-only: the
 * programs that include it link the lab library. */
#ifndef PREFRL_VIDEO_TEST_H
#define PREFRL_VIDEO_TEST_H

#include "lab/video.h"
#include "pbrl/trainer.h"

static void *video_test_open(const char *path, int width, int height, int fps, GError **error)
{
    return prefrl_video_open(path, width, height, fps, error);
}

static gboolean video_test_add(void *video, const guint8 *rgb, GError **error)
{
    return prefrl_video_add_frame(video, rgb, error);
}

static gboolean video_test_close(void *video, GError **error)
{
    return prefrl_video_close(video, error);
}

static void video_test_abandon(void *video)
{
    prefrl_video_free(video);
}

/** The sink for prefrl_trainer_set_video_sink. */
static const PrefrlVideoSink video_test_sink = {video_test_open, video_test_add,
                                                video_test_close, video_test_abandon};

#endif
