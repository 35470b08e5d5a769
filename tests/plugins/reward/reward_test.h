/* Helpers the reward-learner tests share: a reward component created by
 * name through the registry (as any program linked against libprefrl can),
 * the SDK model it starts from, and the model its save hook writes. */
#ifndef PREFRL_REWARD_TEST_H
#define PREFRL_REWARD_TEST_H

#include <prefrl/reward_model.h>
#include "host/registry.h"

/** reward/`name` for an environment of ds observations and da actions
 *  (100-step episodes), seeded with `seed`, with the overrides `base` then
 *  `extra` (NULL-terminated, either may be NULL).  NULL and *error when
 *  creation fails. */
PrefrlInstance *reward_test_new(const char *name, int ds, int da, uint64_t seed,
                                const char *const *base, const char *const *extra,
                                GError **error);

/** As reward_test_new; fails the test when it cannot be created. */
PrefrlInstance *reward_test_new_ok(const char *name, int ds, int da, uint64_t seed,
                                   const char *const *base, const char *const *extra);

/** The SDK model a component built on it starts from: created from the
 *  instance's parameter section with the context reward_test_new gave it
 *  (same seed and stream), its workspaces sized for H-step segments. */
PrefrlRewardModel *reward_test_twin(const PrefrlInstance *inst, int ds, int da, uint64_t seed,
                                    int H);

/** Run the instance's save hook into a scratch file and read the reward
 *  model it writes first into `into` (a model of the same parameters). */
void reward_test_saved_model(const PrefrlInstance *inst, PrefrlRewardModel *into);

#endif
