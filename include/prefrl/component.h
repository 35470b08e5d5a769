/* Components outside a run: create any installed component by its kind and
 * name, drive it through its ops table, save and load its state.
 *
 * For tests, tools and language bindings that need one environment, agent,
 * reward learner, sampler or teacher without a recipe or a trainer.  The
 * component is looked up in the default registry (the plugins on the search
 * path, $PREFRL_PLUGIN_PATH included), its parameters are its schema's
 * defaults plus the caller's values, validated as a recipe section is, and
 * it draws from the random stream a run would give it for the same seed.
 *
 *     PrefrlInstance *s = prefrl_instance_create(PREFRL_KIND_SAMPLER, "disagreement",
 *                                                (const char *[]){"large_batch=5", NULL},
 *                                                1, NULL, &error);
 *     const PrefrlSamplerOps *ops = prefrl_instance_ops(s);
 *     ops->select(prefrl_instance_self(s), &candidates, mb, chosen, &error);
 *     prefrl_instance_free(s);
 */
#ifndef PREFRL_COMPONENT_H
#define PREFRL_COMPONENT_H

#include <stdint.h>
#include <glib.h>

#include <prefrl/export.h>
#include <prefrl/plugin.h>
#include <prefrl/recipe.h>

G_BEGIN_DECLS

/** A live component and what it was made from (opaque). */
typedef struct PrefrlInstance PrefrlInstance;

/** Create component `name` of `kind` with its schema's defaults plus
 *  `overrides`, "key=value" strings (NULL-terminated; NULL for none).
 *  The component's random stream is the one a run of master seed `seed`
 *  gives its kind.  `env` gives the environment's sizes to the components
 *  that need them (agents, reward learners, samplers, teachers); it is
 *  copied, and may be NULL (always for an environment).
 *
 *  Returns NULL with PREFRL_ERROR_PLUGIN for an unknown name (the message
 *  lists the installed ones), PREFRL_ERROR_CONFIG for an unknown key or a
 *  bad value (as for a recipe), or the component's own error.  Free the
 *  result with prefrl_instance_free (transfer full). */
PREFRL_API PrefrlInstance *prefrl_instance_create(PrefrlKind kind, const char *name,
                                                  const char *const *overrides, uint64_t seed,
                                                  const PrefrlEnvInfo *env, GError **error);

/** Like prefrl_instance_create, with the parameters in a map from key to
 *  value text (both char *; NULL for none), e.g. "gamma" → "0.99".
 *  Keys are checked in sorted order, so an error names the same key on
 *  every call (transfer full). */
PREFRL_API PrefrlInstance *prefrl_instance_create_from_map(PrefrlKind kind, const char *name,
                                                           GHashTable *params, uint64_t seed,
                                                           const PrefrlEnvInfo *env,
                                                           GError **error);

/** The component's own object, the `self` its ops table and hooks take
 *  (transfer none; owned by the instance). */
PREFRL_API void *prefrl_instance_self(const PrefrlInstance *inst);

/** The component's descriptor: kind, name, schema, flags (transfer none).
 *  As the core sees it: fields an older plugin did not know read as NULL. */
PREFRL_API const PrefrlComponent *prefrl_instance_component(const PrefrlInstance *inst);

/** The component's ops table, to be cast to the table of its kind
 *  (PrefrlEnvOps for an environment, PrefrlAgentOps for an agent, ... in
 *  pbrl.h); optional functions an older plugin lacks read as NULL
 *  (transfer none). */
PREFRL_API const void *prefrl_instance_ops(const PrefrlInstance *inst);

/** The validated parameter section the component was created from: every
 *  key of its schema, defaults written out, read with the prefrl_param_*
 *  getters (transfer none). */
PREFRL_API const PrefrlNode *prefrl_instance_params(const PrefrlInstance *inst);

/** Write the component's state to `path` (created or replaced) through its
 *  save hook, as a checkpoint stream (ckpt.h) with its checksum.
 *  FALSE with PREFRL_ERROR_PLUGIN when the component has no save hook, or
 *  the stream's or the hook's error. */
PREFRL_API gboolean prefrl_instance_save(PrefrlInstance *inst, const char *path,
                                         GError **error);

/** Restore the state written by prefrl_instance_save into an instance of
 *  the same component created with the same sizes.  A damaged or truncated
 *  file, or one another component wrote, is refused with an error naming
 *  the file (the instance may then be partly overwritten: free it).
 *  FALSE with PREFRL_ERROR_PLUGIN when the component has no load hook. */
PREFRL_API gboolean prefrl_instance_load(PrefrlInstance *inst, const char *path,
                                         GError **error);

/** Destroy the component and free the instance (NULL is ignored). */
PREFRL_API void prefrl_instance_free(PrefrlInstance *inst);

G_END_DECLS

#endif
