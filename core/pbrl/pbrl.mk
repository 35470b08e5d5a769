# The preference-based RL runtime: the trainer (set-up, query rounds, agent
# updates, evaluation, checkpoints, the off- and on-policy loops), replay,
# episode store and preference buffer, the metrics log, the run directory and
# the recipe keys of a run; and the reward-learner SDK (the ensemble reward
# model and MRN's meta-gradient).  Uses the NN library and the host layer.
pkginclude_HEADERS += include/prefrl/pbrl.h include/prefrl/log.h \
	include/prefrl/reward_model.h \
	include/prefrl/reward_meta.h
libprefrl_la_SOURCES += \
	core/pbrl/log.c core/pbrl/log.h \
	core/pbrl/prefs_file.c core/pbrl/prefs_file.h \
	core/pbrl/replay.c core/pbrl/replay.h \
	core/pbrl/reward_model.c core/pbrl/reward_meta.c \
	core/pbrl/run_params.c core/pbrl/run_params.h \
	core/pbrl/rundir.c core/pbrl/rundir.h \
	core/pbrl/trainer.h core/pbrl/trainer_private.h \
	core/pbrl/trainer.c \
	core/pbrl/trainer_setup.c \
	core/pbrl/trainer_query.c \
	core/pbrl/trainer_schedule.c \
	core/pbrl/trainer_update.c \
	core/pbrl/trainer_eval.c \
	core/pbrl/trainer_checkpoint.c \
	core/pbrl/trainer_output.c \
	core/pbrl/trainer_onpolicy.c
