# PREFRL_CHECK_OSMESA
# -------------------
# Find OSMesa (Mesa's off-screen renderer), which libprefrl-mujoco uses for
# headless rendering: the header GL/osmesa.h and the library -lOSMesa.  Sets
# and substitutes OSMESA_CFLAGS (empty) and OSMESA_LIBS; a missing OSMesa
# stops configure with the Debian package to install.
AC_DEFUN([PREFRL_CHECK_OSMESA], [
prefrl_save_LIBS=$LIBS; LIBS=
AC_CHECK_HEADERS([GL/osmesa.h], [],
  [AC_MSG_ERROR([OSMesa header GL/osmesa.h not found: apt-get install libosmesa6-dev])])
AC_SEARCH_LIBS([OSMesaCreateContextExt], [OSMesa], [],
  [AC_MSG_ERROR([OSMesa library not found: apt-get install libosmesa6-dev])])
OSMESA_CFLAGS=
OSMESA_LIBS=$LIBS
LIBS=$prefrl_save_LIBS
AC_SUBST([OSMESA_CFLAGS])
AC_SUBST([OSMESA_LIBS])
])
