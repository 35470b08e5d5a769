# PREFRL_DEFINE_DIR(SYMBOL, DIR, DESCRIPTION)
# -------------------------------------------
# Define SYMBOL in config.h as the string DIR, an installation directory
# written with configure's variables (e.g. [${libdir}/prefrl/plugins]),
# expanded to its final absolute value.  The directories prefrl searches at
# run time are compiled in from config.h rather than from -D flags, so that
# configuring with another prefix recompiles the files that use them (make
# does not track flags, but it tracks config.h).
AC_DEFUN([PREFRL_DEFINE_DIR], [
prefrl_save_prefix=$prefix
prefrl_save_exec_prefix=$exec_prefix
test "x$prefix" = xNONE && prefix=$ac_default_prefix
test "x$exec_prefix" = xNONE && exec_prefix=$prefix
prefrl_dir="$2"
while :; do
  case $prefrl_dir in
  *[\$]*) eval prefrl_dir=\"$prefrl_dir\" ;;
  *) break ;;
  esac
done
prefix=$prefrl_save_prefix
exec_prefix=$prefrl_save_exec_prefix
AC_DEFINE_UNQUOTED([$1], ["$prefrl_dir"], [$3])
])
