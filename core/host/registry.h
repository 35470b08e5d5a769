/* The plugin registry: finds plugin shared objects, checks their ABI and
 * descriptors, and looks components up by kind and name (registry.c);
 * resolves a recipe's sections to the components they name (resolve.c);
 * creates components (instance.c).  Core-internal; it validates through
 * host/schema.h, which knows nothing of plugins. */
#ifndef PREFRL_CORE_REGISTRY_H
#define PREFRL_CORE_REGISTRY_H

#include <prefrl/component.h>
#include <prefrl/plugin.h>
#include "host/recipe.h"
#include "host/schema.h"

typedef struct PrefrlRegistry PrefrlRegistry;

/** An empty registry. */
PrefrlRegistry *prefrl_registry_new(void);
void prefrl_registry_free(PrefrlRegistry *reg);

/** The plugin directories searched, in order: each entry of
 *  $PREFRL_PLUGIN_PATH (':'-separated), then the install directory.
 *  (transfer full; free with g_strfreev) */
char **prefrl_registry_search_path(void);

/** Load every prefrl-*.so found under the search path.  A plugin that fails
 *  to load is an error only if strict; otherwise it is remembered and listed
 *  by prefrl_registry_failures(). */
gboolean prefrl_registry_scan(PrefrlRegistry *reg, gboolean strict, GError **error);

/** Load one plugin file; errors name the file. */
gboolean prefrl_registry_load_file(PrefrlRegistry *reg, const char *path, GError **error);

/** The process-wide registry, scanned on first use (non-strict). */
PrefrlRegistry *prefrl_registry_default(void);

/** Component `name` of `kind`, or NULL with an error listing the valid names
 *  (and the nearest one).  Every descriptor the registry hands out is its
 *  own full-size copy, with the ops table copied likewise: fields the plugin
 *  was built without read as NULL (transfer none). */
const PrefrlComponent *prefrl_registry_find(PrefrlRegistry *reg, PrefrlKind kind,
                                            const char *name, GError **error);

/** Components of a kind, sorted by name (transfer container: g_ptr_array_unref). */
GPtrArray *prefrl_registry_list(PrefrlRegistry *reg, PrefrlKind kind);

/** File the component was loaded from (transfer none). */
const char *prefrl_registry_component_path(PrefrlRegistry *reg, const PrefrlComponent *c);

/** Messages of plugin files that failed to load during a non-strict scan. */
const GPtrArray *prefrl_registry_failures(PrefrlRegistry *reg);

/* ---- recipe resolution (resolve.c) ---------------------------------------- */

/** Validate and complete a whole recipe in place: the core's keys against
 *  `core` (the layer that runs recipes supplies them), each component
 *  section against the schema of the component it names.  `required` is a
 *  bit mask of (1 << kind) for the component sections that must be
 *  present. */
gboolean prefrl_recipe_resolve(PrefrlNode *root, PrefrlRegistry *reg, const PrefrlRecipeKeys *core,
                               guint required, GError **error);

/** The component a resolved recipe names for `kind`, or NULL if the section
 *  is absent. */
const PrefrlComponent *prefrl_recipe_component(const PrefrlNode *root, PrefrlRegistry *reg,
                                               PrefrlKind kind);

/* ---- instances (instance.c; public face: prefrl/component.h) --------------- */

/** A live component: its descriptor, validated parameters and handle.  The
 *  core reads the fields; programs outside it use the accessors. */
struct PrefrlInstance {
    const PrefrlComponent *component;
    PrefrlNode *params;   /* owned */
    void *self;           /* owned via component->destroy */
    PrefrlEnvInfo env;    /* the sizes create() was given (struct_size 0: none) */
};

/** Create component `name` of `kind` from `reg` with its defaults plus
 *  "key=value" overrides (NULL-terminated, may be NULL), seeded from `seed`
 *  with the stream named after the kind; errors name the values as given on
 *  the command line.  For tools and tests that need one component outside
 *  a recipe (`prefrl env`, benchmarks). */
PrefrlInstance *prefrl_instance_new(PrefrlRegistry *reg, PrefrlKind kind, const char *name,
                                    const char *const *overrides, uint64_t seed,
                                    const PrefrlEnvInfo *env, GError **error);

/** Create an instance from an already validated parameter section (taken,
 *  also on failure). */
PrefrlInstance *prefrl_instance_new_from_params(const PrefrlComponent *c, PrefrlNode *params,
                                                const PrefrlContext *ctx, GError **error);

#endif
