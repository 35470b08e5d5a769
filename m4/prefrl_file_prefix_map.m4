# PREFRL_FILE_PREFIX_MAP
# ----------------------
# Keep the build and source directories out of what is installed: debug
# information records the directory a file was compiled in (and __FILE__ an
# absolute source path when configure was called by one), so a binary built
# in /home/me/prefrl/_build would name that tree.  When the compiler knows
# -ffile-prefix-map (GCC 8, Clang 10), substitute FILE_PREFIX_MAP_CFLAGS
# mapping both to "." (make expands the directories); debuggers then find
# the sources relative to the build directory.
AC_DEFUN([PREFRL_FILE_PREFIX_MAP], [
AC_CACHE_CHECK([whether $CC accepts -ffile-prefix-map], [prefrl_cv_file_prefix_map], [
  prefrl_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -Werror -ffile-prefix-map=/prefrl-src=."
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
    [prefrl_cv_file_prefix_map=yes], [prefrl_cv_file_prefix_map=no])
  CFLAGS=$prefrl_save_CFLAGS])
AS_IF([test "x$prefrl_cv_file_prefix_map" = xyes],
  [FILE_PREFIX_MAP_CFLAGS='-ffile-prefix-map=$(abs_top_srcdir)=. -ffile-prefix-map=$(abs_top_builddir)=.'],
  [FILE_PREFIX_MAP_CFLAGS=])
AC_SUBST([FILE_PREFIX_MAP_CFLAGS])
])
