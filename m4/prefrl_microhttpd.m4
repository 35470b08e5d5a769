# PREFRL_CHECK_MICROHTTPD
# -----------------------
# libmicrohttpd, the HTTP server of teacher/human's labelling page
# (plugins/teacher/human; only that plugin links it).  Sets and substitutes
# MICROHTTPD_CFLAGS and MICROHTTPD_LIBS; a missing library stops configure
# with the Debian package to install.
AC_DEFUN([PREFRL_CHECK_MICROHTTPD], [
PKG_CHECK_MODULES([MICROHTTPD], [libmicrohttpd >= 0.9.75], [],
  [AC_MSG_ERROR([libmicrohttpd >= 0.9.75 (for teacher/human's labelling page) not found: apt-get install libmicrohttpd-dev])])
])
