# DeepMind Control Suite tasks (issue 4): prefrl-env-dmc.so and its MJCF models.

# MuJoCo helpers shared by every MuJoCo env plugin (DMC, Meta-world)
pkginclude_HEADERS += include/prefrl/mjenv.h
libprefrl_la_SOURCES += core/mjenv.c
