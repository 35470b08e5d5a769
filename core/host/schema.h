/* Validation of recipe sections against parameter schemas, and the "did you
 * mean" hints (core-internal).  Knows nothing of plugins: the registry
 * passes it each component's schema. */
#ifndef PREFRL_CORE_SCHEMA_H
#define PREFRL_CORE_SCHEMA_H

#include <prefrl/plugin.h>
#include "host/recipe.h"

/** A section of the recipe that the core reads itself (not a component's),
 *  with its schema. */
typedef struct {
    const char *name;                /* the key, e.g. "trainer"; NULL ends a list */
    const PrefrlParamSpec *specs;
} PrefrlRecipeSection;

/** The keys of a recipe that belong to the core rather than to a plugin
 *  component: the top-level scalars and the core's own sections.  The host
 *  validates them without knowing them; the layer that runs recipes
 *  supplies them (pbrl/run_params.h). */
typedef struct PrefrlRegistry PrefrlRegistry;

typedef struct {
    const PrefrlParamSpec *top;          /* top-level scalar keys */
    const PrefrlRecipeSection *sections; /* ended by a NULL name */
    /** Constraints between the core's keys and the components (e.g. a
     *  segment no longer than the env's episodes, the memory a run needs),
     *  checked last by prefrl_recipe_resolve on the resolved recipe; may be
     *  NULL. */
    gboolean (*validate)(const PrefrlNode *root, PrefrlRegistry *reg, GError **error);
} PrefrlRecipeKeys;

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
