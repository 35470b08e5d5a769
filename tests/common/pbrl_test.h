/* The small trainer problem the learning tests share (MRN, SURF): env
 * fixture_reach, SAC 64×2, 100 oracle labels over 8000 steps. */
#ifndef PREFRL_PBRL_TEST_H
#define PREFRL_PBRL_TEST_H

#include <signal.h>
#include "files_test.h"
#include "host/recipe.h"
#include "host/registry.h"

#define FIXTURE_PBRL TEST_BUILDDIR "/common/fixtures/.libs/prefrl-fixture-pbrl.so"

/** The default registry with the fixture plugin loaded. */
PrefrlRegistry *pbrl_test_registry(void);

/** The shared recipe (no reward section) plus the `reward` and `extra`
 *  overrides (NULL-terminated lists, either may be NULL), not yet resolved. */
PrefrlNode *pbrl_test_recipe(const char *const *reward, const char *const *extra);

/** The short problem of the trainer tests (fixture_reach, 1200 steps, 40
 *  labels in rounds of 10 from step 200, evaluations at 600 and 1200) with
 *  the `agent`, `reward` and `extra` overrides applied in that order (each
 *  NULL-terminated or NULL; the recipe has no agent or reward section of its
 *  own), resolved. */
PrefrlNode *pbrl_test_short_recipe(const char *const *agent, const char *const *reward,
                                   const char *const *extra);

/** Resolve a recipe for the trainer, failing the test with the message. */
void pbrl_test_resolve(PrefrlNode *root);

/** Mean return of the random fixture_probe agent over 50 evaluation
 *  episodes at `seed` (the learners' baseline). */
double pbrl_test_random_return(int seed);

/** Train the recipe (taken) to the end; assert all 100 labels were given and
 *  return the last evaluation. */
double pbrl_test_learned_return(PrefrlNode *root);

/** agent/`name` for an env with D observations, A actions and 100-step
 *  episodes, with the overrides `base` then `extra` (NULL-terminated, either
 *  may be NULL); fails the test when it cannot be created. */
PrefrlInstance *pbrl_test_agent(const char *name, int D, int A, uint64_t seed,
                                const char *const *base, const char *const *extra);

/** Train the resolved recipe to the end in `dir` (no progress display),
 *  failing the test with the trainer's message when it cannot. */
void pbrl_test_train(PrefrlNode *root, const char *dir);

/** An empty directory TEST_BUILDDIR/trainer-runs/<name> (what an earlier
 *  test run left there is removed).  (transfer full) */
char *pbrl_test_run_dir(const char *name);

/** The stop flag the tests hand to prefrl_trainer_run. */
extern volatile sig_atomic_t pbrl_test_stop;

/** Clear pbrl_test_stop and start a thread that sets it after 0.3 s: a
 *  Ctrl-C from outside the run.  Join the thread when the run returned. */
GThread *pbrl_test_press_ctrl_c(void);

/** Train `root` (taken) in `dir` and stop it from outside after 0.3 s:
 *  asserts the run reports the interruption, `csv` (a file of dir) ends in a
 *  complete row, and log.txt records the interruption and the checkpoint. */
void pbrl_test_interrupt(PrefrlNode *root, const char *dir, const char *csv);

/** Assert that run directories a and b hold the same run outputs: eval.csv,
 *  labels.csv, reward.csv, prefs.bin and train.csv byte for byte, train.csv
 *  without its wall-clock `duration` column, none of them empty.  `what`
 *  names the case in failure messages. */
void pbrl_test_assert_same_outputs(const char *a, const char *b, const char *what);

#endif
