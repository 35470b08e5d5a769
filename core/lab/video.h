/* Video files of rendered frames (core-internal, lab layer): RGB24 frames in,
 * a file a browser plays out, through FFmpeg's libavformat, libavcodec and
 * libswscale (only libprefrl-lab links them; libprefrl does not).
 *
 * The file's extension picks the format: .mp4 is H.264 (libx264, yuv420p,
 * the index at the front: "faststart"), .webm is VP9 (libvpx-vp9, yuv420p).
 * yuv420p needs even sizes: an odd width or height is scaled up to the next
 * even one.  The file is written under a temporary name beside `path` and
 * renamed into place by prefrl_video_close, so a failed or abandoned video
 * leaves nothing at `path`. */
#ifndef PREFRL_CORE_VIDEO_H
#define PREFRL_CORE_VIDEO_H

#include <glib.h>

typedef struct PrefrlVideo PrefrlVideo;

/** Start a video of `width` x `height` frames (each 2..16384) at `fps` frames
 *  per second (1..240) at `path` (.mp4 or .webm, any case).  NULL and
 *  *error (PREFRL_ERROR_CONFIG: unknown extension, bad size or fps, the
 *  codec missing from this FFmpeg; PREFRL_ERROR_IO: the file cannot be
 *  written), each naming `path`. */
PrefrlVideo *prefrl_video_open(const char *path, int width, int height, int fps,
                               GError **error);

/** Append one frame: `rgb` holds height rows of width RGB24 pixels (3 bytes
 *  each, no padding), the top row first.  On failure the video is broken:
 *  only prefrl_video_free is left to call. */
gboolean prefrl_video_add_frame(PrefrlVideo *video, const guint8 *rgb, GError **error);

/** Flush the encoder, finish the file and rename it to its path; frees the
 *  video whatever the outcome (on failure nothing is left at the path). */
gboolean prefrl_video_close(PrefrlVideo *video, GError **error);

/** Abandon a video (removes its temporary file); NULL is a no-op. */
void prefrl_video_free(PrefrlVideo *video);

/** Frames added so far. */
gint64 prefrl_video_n_frames(const PrefrlVideo *video);

/** The encoder's name ("libx264", "libvpx-vp9"). */
const char *prefrl_video_codec_name(const PrefrlVideo *video);

struct PrefrlVideoSink; /* pbrl/trainer.h */

/** This writer as a trainer's video sink (prefrl_trainer_set_video_sink):
 *  query clips and evaluation videos (transfer none, static). */
const struct PrefrlVideoSink *prefrl_video_sink(void);

#endif
