# The preference-based RL runtime: the trainer (off- and on-policy loops),
# replay, episode store and preference buffer, the metrics log and the recipe
# keys of a run.  Uses the NN library and the host
# layer.
pkginclude_HEADERS += include/prefrl/pbrl.h
libprefrl_la_SOURCES += \
	core/pbrl/log.c core/pbrl/log.h \
	core/pbrl/replay.c core/pbrl/replay.h \
	core/pbrl/run_params.c core/pbrl/run_params.h \
	core/pbrl/trainer.c core/pbrl/trainer.h core/pbrl/trainer_private.h \
	core/pbrl/trainer_onpolicy.c
