# PREFRL_CHECK_ONEDNN
# -------------------
# oneDNN (Debian's libdnnl-dev 2.6, OpenMP runtime) for the NN core's optional
# second numerics backend (core/nn/backend_onednn.c: recipe key `numerics`,
# onednn-fp32 and onednn-bf16).  --with-onednn=auto (the default) uses it when
# its header and library are found; --with-onednn=yes stops configure without
# them, naming the package; --with-onednn=no builds without it.  Defines
# HAVE_ONEDNN and substitutes ONEDNN_LIBS (oneDNN and libgomp: the backend
# sets the OpenMP thread count oneDNN runs with).
AC_DEFUN([PREFRL_CHECK_ONEDNN], [
AC_ARG_WITH([onednn],
  [AS_HELP_STRING([--with-onednn@<:@=auto|yes|no@:>@],
    [oneDNN numerics backend (recipe key numerics: onednn-fp32, onednn-bf16); default auto])],
  [], [with_onednn=auto])
ONEDNN_LIBS=""
have_onednn=no
AS_IF([test "x$with_onednn" != xno], [
  prefrl_save_LIBS=$LIBS
  AC_CHECK_HEADERS([oneapi/dnnl/dnnl.h omp.h], [have_onednn=yes], [have_onednn=no; break])
  AS_IF([test "x$have_onednn" = xyes],
    [AC_CHECK_LIB([dnnl], [dnnl_get_effective_cpu_isa], [], [have_onednn=no])])
  AS_IF([test "x$have_onednn" = xyes],
    [AC_CHECK_LIB([gomp], [omp_set_num_threads], [], [have_onednn=no])])
  LIBS=$prefrl_save_LIBS
  AS_IF([test "x$have_onednn" = xyes],
    [ONEDNN_LIBS="-ldnnl -lgomp"
     AC_DEFINE([HAVE_ONEDNN], [1], [Define to 1 to build the oneDNN numerics backend.])],
    [test "x$with_onednn" = xyes],
    [AC_MSG_ERROR([oneDNN (for --with-onednn) not found: apt-get install libdnnl-dev])],
    [AC_MSG_NOTICE([oneDNN not found: building without the onednn numerics (apt-get install libdnnl-dev)])])
])
AC_SUBST([ONEDNN_LIBS])
AM_CONDITIONAL([HAVE_ONEDNN], [test "x$have_onednn" = xyes])
])
