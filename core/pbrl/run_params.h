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

/** Both, as the core keys of a run's recipe. */
extern const PrefrlRecipeKeys prefrl_run_keys;

#endif
