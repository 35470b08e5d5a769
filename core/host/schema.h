/* Validation of recipe sections against parameter schemas, and the "did you
 * mean" hints (core-internal).  Knows nothing of plugins: the registry
 * passes it each component's schema. */
#ifndef PREFRL_CORE_SCHEMA_H
#define PREFRL_CORE_SCHEMA_H

#include <prefrl/plugin.h>
#include "host/recipe.h"

/** Schema of the top-level scalar keys (seed, name, out_dir, threads). */
extern const PrefrlParamSpec prefrl_run_params[];
/** Schema of the `trainer:` section. */
extern const PrefrlParamSpec prefrl_trainer_params[];

/** Check `section` against `specs`: every key known (or equal to `selector`,
 *  which may be NULL), every value of the right type and in range; then write
 *  out the defaults of absent keys and normalise values (integers in decimal,
 *  booleans true/false).  `label` names the section in messages ("agent/sac"). */
gboolean prefrl_schema_apply(const PrefrlParamSpec *specs, const char *label,
                             PrefrlNode *section, const char *selector, GError **error);

/** A section holding just the defaults of `specs`. */
PrefrlNode *prefrl_schema_defaults(const PrefrlParamSpec *specs);

/** The edit distance used for "did you mean" hints. */
guint prefrl_edit_distance(const char *a, const char *b);

/** The closest of `candidates` to `word`, or NULL if none is close enough. */
const char *prefrl_nearest(const char *word, const char *const *candidates, guint n);

/** Type name for messages and `prefrl describe` ("int", "float", ...). */
const char *prefrl_param_type_name(PrefrlParamType type);

#endif
