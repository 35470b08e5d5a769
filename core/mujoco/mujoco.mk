# MuJoCo helpers for environment plugins (include/prefrl/mjenv.h): model
# lookup, the error guard, name resolution, physics-state checkpoints,
# offscreen rendering (OSMesa).  A
# small installed library of its own, so libprefrl does not depend on MuJoCo
# and third-party env plugins can link it (pkg-config prefrl-mujoco).
lib_LTLIBRARIES += libprefrl-mujoco.la
pkginclude_HEADERS += include/prefrl/mjenv.h
libprefrl_mujoco_la_SOURCES = core/mujoco/mjenv.c core/mujoco/mjrender.c
libprefrl_mujoco_la_CFLAGS = $(AM_CFLAGS) $(MUJOCO_CFLAGS) $(OSMESA_CFLAGS)
libprefrl_mujoco_la_LIBADD = libprefrl.la $(GLIB_LIBS) $(MUJOCO_LIBS) $(OSMESA_LIBS) -lm
libprefrl_mujoco_la_LDFLAGS = -no-undefined -version-info 0:0:0 $(AM_LDFLAGS)
