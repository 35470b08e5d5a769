/* The recipe keys the PbRL runtime reads itself (core-internal): the run's
 * top-level scalars and the `trainer:` section.  The host validates recipes
 * against them without knowing them: pass prefrl_run_keys to
 * prefrl_recipe_resolve. */
#ifndef PREFRL_CORE_RUN_PARAMS_H
#define PREFRL_CORE_RUN_PARAMS_H

#include "host/schema.h"

/** Schema of the top-level scalar keys (seed, name, out_dir, threads). */
extern const PrefrlParamSpec prefrl_run_params[];

/** Schema of the `trainer:` section (the training loop's settings). */
extern const PrefrlParamSpec prefrl_trainer_params[];

/** The checks of a run's recipe between the trainer's keys and its
 *  components, run last by prefrl_recipe_resolve (so `prefrl check` runs
 *  them): the segment fits in the env's episodes, and the memory the run will
 *  allocate (the trainer's buffers plus each component's `memory` estimate)
 *  fits in the machine's physical memory or trainer.max_memory.  Creates the
 *  env (and the sampler) to learn their sizes.  Accepts a recipe without an
 *  env, agent or reward section (not a run's). */
gboolean prefrl_run_validate(const PrefrlNode *root, PrefrlRegistry *reg, GError **error);

/** Both as the core keys of a run's recipe; resolving with them also runs
 *  prefrl_run_params_check and prefrl_run_validate. */
extern const PrefrlRecipeKeys prefrl_run_keys;

/** The checks of the run keys beyond their types, on a resolved recipe:
 *  `name` is empty or one path component (prefrl_rundir_name_ok) and
 *  `out_dir` is not empty.  FALSE with PREFRL_ERROR_CONFIG naming the key's
 *  FILE:LINE:COL. */
gboolean prefrl_run_params_check(const PrefrlNode *root, GError **error);

#endif
