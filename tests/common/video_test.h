/* The lab layer's FFmpeg writer as the trainer's video sink, the way the
 * prefrl program installs it, for the trainer tests that record clips or
 * evaluation videos (check_clips, check_teacher_human).  Header-only: the
 * programs that include it link the lab library. */
#ifndef PREFRL_VIDEO_TEST_H
#define PREFRL_VIDEO_TEST_H

#include "lab/video.h"
#include "pbrl/trainer.h"

/** The sink for prefrl_trainer_set_video_sink (&video_test_sink): the lab's
 *  own, prefrl_video_sink. */
#define video_test_sink (*prefrl_video_sink())

#endif
