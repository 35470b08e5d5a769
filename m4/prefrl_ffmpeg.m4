# PREFRL_CHECK_FFMPEG
# -------------------
# FFmpeg's libavformat, libavcodec, libswscale and libavutil, for the lab
# layer's video writer (core/lab/video.c; libprefrl does not link them).
# Sets and substitutes FFMPEG_CFLAGS and FFMPEG_LIBS; missing libraries stop
# configure with the Debian packages to install.  The encoders (libx264 for
# .mp4, libvpx-vp9 for .webm) are looked up when a video is opened.
AC_DEFUN([PREFRL_CHECK_FFMPEG], [
PKG_CHECK_MODULES([FFMPEG], [libavformat >= 59 libavcodec >= 59 libswscale >= 6 libavutil >= 57], [],
  [AC_MSG_ERROR([FFmpeg libraries (for videos) not found: apt-get install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev])])
])
