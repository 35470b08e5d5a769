# The preference-based RL runtime: the trainer (off- and on-policy loops),
# replay, episode store and preference buffer, the metrics log, the recipe
# keys of a run; and the reward-learner SDK (the ensemble reward model and
# MRN's meta-gradient).  Uses the NN library and the host layer.
pkginclude_HEADERS += include/prefrl/pbrl.h include/prefrl/reward_model.h \
	include/prefrl/reward_meta.h
libprefrl_la_SOURCES += \
	core/pbrl/log.c core/pbrl/log.h \
	core/pbrl/replay.c core/pbrl/replay.h \
	core/pbrl/run_params.c core/pbrl/run_params.h \
	core/pbrl/reward_model.c core/pbrl/reward_meta.c \
	core/pbrl/trainer.c core/pbrl/trainer.h core/pbrl/trainer_private.h \
	core/pbrl/trainer_onpolicy.c
