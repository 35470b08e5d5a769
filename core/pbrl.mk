# The preference-based RL core (issue 5): trainer, replay, episode store,
# preference buffer, logger.
pkginclude_HEADERS += include/prefrl/pbrl.h
libprefrl_la_SOURCES += core/log.c core/log.h core/replay.c core/replay.h \
	core/trainer.c core/trainer.h core/trainer_private.h \
	core/checkpoint.c core/checkpoint.h
prefrl_SOURCES += core/cli/bench_trainer.c
# the on-policy loop (PrefPPO)
libprefrl_la_SOURCES += core/trainer_onpolicy.c
