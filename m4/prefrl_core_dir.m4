# PREFRL_CORE_DIR_CLEANUP
# -----------------------
# Autoconf cleans up after every test with `rm -f core conftest...`, a
# leftover from core dumps.  prefrl's sources live in core/, so the build
# tree has a core/ folder and each such rm prints "cannot remove 'core': Is
# a directory".  This shell function, defined before the first test, drops a
# `core` argument that is a directory and runs the real rm on the rest.
AC_DEFUN([PREFRL_CORE_DIR_CLEANUP], [
rm ()
{
  for prefrl_rm_arg
  do
    shift
    if test "x$prefrl_rm_arg" = xcore && test -d core; then :; else
      set fnord "$[@]" "$prefrl_rm_arg"; shift
    fi
  done
  command rm "$[@]"
}
])
