/* The plugin registry: finds plugin shared objects, checks their ABI and
 * descriptors, and looks components up by kind and name.  Core-internal. */
#ifndef PREFRL_CORE_REGISTRY_H
#define PREFRL_CORE_REGISTRY_H

#include <prefrl/plugin.h>

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
 *  (and the nearest one). */
const PrefrlComponent *prefrl_registry_find(PrefrlRegistry *reg, PrefrlKind kind,
                                            const char *name, GError **error);

/** Components of a kind, sorted by name (transfer container: g_ptr_array_unref). */
GPtrArray *prefrl_registry_list(PrefrlRegistry *reg, PrefrlKind kind);

/** File the component was loaded from (transfer none). */
const char *prefrl_registry_component_path(PrefrlRegistry *reg, const PrefrlComponent *c);

/** Messages of plugin files that failed to load during a non-strict scan. */
const GPtrArray *prefrl_registry_failures(PrefrlRegistry *reg);

/** Kind from its recipe name ("env", "agent", ...); 0 if unknown. */
PrefrlKind prefrl_kind_from_name(const char *name);

/** A live component: its descriptor, validated parameters and handle. */
typedef struct PrefrlInstance {
    const PrefrlComponent *component;
    PrefrlNode *params;   /* owned */
    void *self;           /* owned via component->destroy */
} PrefrlInstance;

/** Create component `name` of `kind` with its defaults plus "key=value"
 *  overrides (NULL-terminated, may be NULL), seeded from `seed` with stream
 *  named after the kind.  For tools and tests that need one component
 *  outside a recipe (`prefrl env`, benchmarks). */
PrefrlInstance *prefrl_instance_new(PrefrlRegistry *reg, PrefrlKind kind, const char *name,
                                    const char *const *overrides, uint64_t seed,
                                    const PrefrlEnvInfo *env, GError **error);

/** Create an instance from an already validated parameter section (taken). */
PrefrlInstance *prefrl_instance_new_from_params(const PrefrlComponent *c, PrefrlNode *params,
                                                const PrefrlContext *ctx, GError **error);
void prefrl_instance_free(PrefrlInstance *inst);

#endif
