# The preference-based RL core (issue 5): trainer, replay, episode store,
# preference buffer, logger, and the reward plugins pebble and true.
pkginclude_HEADERS += include/prefrl/pbrl.h
