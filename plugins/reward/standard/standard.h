/* The reward components of prefrl-reward-standard.so. */
#ifndef PREFRL_REWARD_STANDARD_H
#define PREFRL_REWARD_STANDARD_H

#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>

extern const PrefrlComponent reward_pebble;
extern const PrefrlComponent reward_true;
extern const PrefrlComponent reward_mrn;
extern const PrefrlComponent reward_surf;

#endif
