# PREFRL_CHECK_MUJOCO
# -------------------
# Find MuJoCo's header and library.  Debian's libmujoco-dev ships no
# pkg-config file (only CMake files), so this tries the compiler's default
# paths, or the prefix given with --with-mujoco=DIR.  Sets and substitutes
# MUJOCO_CFLAGS and MUJOCO_LIBS; a missing MuJoCo stops configure with the
# Debian package to install.
AC_DEFUN([PREFRL_CHECK_MUJOCO], [
AC_ARG_WITH([mujoco], [AS_HELP_STRING([--with-mujoco=DIR], [MuJoCo install prefix])],
  [MUJOCO_CFLAGS="-I$withval/include"; MUJOCO_LDFLAGS="-L$withval/lib"])
prefrl_save_CPPFLAGS=$CPPFLAGS; prefrl_save_LDFLAGS=$LDFLAGS; prefrl_save_LIBS=$LIBS
CPPFLAGS="$CPPFLAGS $MUJOCO_CFLAGS"; LDFLAGS="$LDFLAGS $MUJOCO_LDFLAGS"; LIBS=
AC_CHECK_HEADERS([mujoco/mujoco.h], [],
  [AC_MSG_ERROR([MuJoCo header mujoco/mujoco.h not found: apt-get install libmujoco-dev (or --with-mujoco=DIR)])])
AC_SEARCH_LIBS([mj_makeData], [mujoco], [],
  [AC_MSG_ERROR([MuJoCo library not found: apt-get install libmujoco-dev (or --with-mujoco=DIR)])])
MUJOCO_LIBS="$MUJOCO_LDFLAGS $LIBS"
CPPFLAGS=$prefrl_save_CPPFLAGS; LDFLAGS=$prefrl_save_LDFLAGS; LIBS=$prefrl_save_LIBS
AC_SUBST([MUJOCO_CFLAGS])
AC_SUBST([MUJOCO_LIBS])
])
