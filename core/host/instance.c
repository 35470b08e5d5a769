/* Component instances: a component's object with the validated parameter
 * section it was created from.  The trainer creates its five from a resolved
 * recipe (prefrl_instance_new_from_params); tools, tests and programs linked
 * against libprefrl create one by kind and name with parameter overrides
 * (prefrl/component.h), validated by the component's schema exactly as a
 * recipe section is, and seeded with the stream a run gives that kind.
 * Saving and loading go through the checkpoint stream and the component's
 * hooks, so a file is the same as the trainer's checkpoint of that
 * component. */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include <prefrl/ckpt.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"

/* where values given as overrides say they come from */
#define FROM_COMMAND_LINE "<command line>"
#define FROM_CALLER "<parameters>"

static PrefrlInstance *instance_create(PrefrlInstance *inst, const PrefrlContext *ctx,
                                       GError **error)
{
    inst->self = inst->component->create(inst->params, ctx, error);
    if (!inst->self) {
        prefrl_node_free(inst->params);
        g_free(inst);
        return NULL;
    }
    return inst;
}

PrefrlInstance *prefrl_instance_new_from_params(const PrefrlComponent *c, PrefrlNode *params,
                                                const PrefrlContext *ctx, GError **error)
{
    PrefrlInstance *inst = g_new0(PrefrlInstance, 1);
    inst->component = c;
    inst->params = params;
    if (ctx->env)
        inst->env = *ctx->env;
    return instance_create(inst, ctx, error);
}

/* A section of `c`'s parameters: `values` (taken) completed with the
 * selector and the schema's defaults, validated; NULL and an error naming
 * the bad key otherwise. */
static PrefrlNode *complete_section(const PrefrlComponent *c, PrefrlNode *values,
                                    const char *source, GError **error)
{
    const char *sel = prefrl_kind_selector(c->kind);
    prefrl_node_set(values, sel, prefrl_node_new_scalar(c->name, source, 0, 0));
    char *label = g_strdup_printf("%s/%s", prefrl_kind_name(c->kind), c->name);
    gboolean ok = prefrl_schema_apply(c->params, label, values, sel, error);
    g_free(label);
    if (!ok) {
        prefrl_node_free(values);
        return NULL;
    }
    return values;
}

/* create `c` from a completed section (taken) outside a run: the context a
 * run would give it, without run directory, recipe or step total; the
 * instance keeps its own copy of the env's sizes for create() to point at */
static PrefrlInstance *instance_new_alone(const PrefrlComponent *c, PrefrlNode *params,
                                          uint64_t seed, const PrefrlEnvInfo *env, GError **error)
{
    PrefrlInstance *inst = g_new0(PrefrlInstance, 1);
    inst->component = c;
    inst->params = params;
    if (env) {
        /* a caller built against an older header passes a shorter struct */
        size_t n = env->struct_size ? MIN(env->struct_size, sizeof inst->env) : sizeof inst->env;
        memcpy(&inst->env, env, n);
        inst->env.struct_size = sizeof inst->env;
    }
    PrefrlContext ctx = {.struct_size = sizeof ctx, .seed = seed, .env = env ? &inst->env : NULL};
    prefrl_rng_init(&ctx.rng, seed, prefrl_kind_name(c->kind));
    return instance_create(inst, &ctx, error);
}

/* create `c` from the caller's `values` (taken): completed, validated, created */
static PrefrlInstance *create_from_values(const PrefrlComponent *c, PrefrlNode *values,
                                          const char *source, uint64_t seed,
                                          const PrefrlEnvInfo *env, GError **error)
{
    PrefrlNode *params = complete_section(c, values, source, error);
    return params ? instance_new_alone(c, params, seed, env, error) : NULL;
}

PrefrlInstance *prefrl_instance_new(PrefrlRegistry *reg, PrefrlKind kind, const char *name,
                                    const char *const *overrides, uint64_t seed,
                                    const PrefrlEnvInfo *env, GError **error)
{
    const PrefrlComponent *c = prefrl_registry_find(reg, kind, name, error);
    if (!c)
        return NULL;
    PrefrlNode *values = prefrl_node_new_map(FROM_COMMAND_LINE, 0, 0);
    for (const char *const *o = overrides; o && *o; o++) {
        if (!prefrl_recipe_override(values, *o, error)) {
            prefrl_node_free(values);
            return NULL;
        }
    }
    return create_from_values(c, values, FROM_COMMAND_LINE, seed, env, error);
}

/* ---- the public face (prefrl/component.h) ---------------------------------- */

PrefrlInstance *prefrl_instance_create(PrefrlKind kind, const char *name,
                                       const char *const *overrides, uint64_t seed,
                                       const PrefrlEnvInfo *env, GError **error)
{
    g_return_val_if_fail(name != NULL, NULL);
    const PrefrlComponent *c = prefrl_registry_find(prefrl_registry_default(), kind, name, error);
    if (!c)
        return NULL;
    /* a component's section is flat: "key=value", the value as recipe text */
    PrefrlNode *values = prefrl_node_new_map(FROM_CALLER, 0, 0);
    for (const char *const *o = overrides; o && *o; o++) {
        const char *eq = strchr(*o, '=');
        if (!eq || eq == *o) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        FROM_CALLER ": '%s' is not of the form key=value", *o);
            prefrl_node_free(values);
            return NULL;
        }
        char *key = g_strndup(*o, (gsize)(eq - *o));
        prefrl_node_set(values, key, prefrl_node_new_scalar(eq + 1, FROM_CALLER, 0, 0));
        g_free(key);
    }
    return create_from_values(c, values, FROM_CALLER, seed, env, error);
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

PrefrlInstance *prefrl_instance_create_from_map(PrefrlKind kind, const char *name,
                                                GHashTable *params, uint64_t seed,
                                                const PrefrlEnvInfo *env, GError **error)
{
    g_return_val_if_fail(name != NULL, NULL);
    const PrefrlComponent *c = prefrl_registry_find(prefrl_registry_default(), kind, name, error);
    if (!c)
        return NULL;
    PrefrlNode *values = prefrl_node_new_map(FROM_CALLER, 0, 0);
    if (params) {
        /* sorted: the first bad key reported does not depend on hashing */
        guint n = 0;
        const char **keys = (const char **)g_hash_table_get_keys_as_array(params, &n);
        qsort(keys, n, sizeof *keys, compare_keys);
        for (guint i = 0; i < n; i++) {
            const char *text = g_hash_table_lookup(params, keys[i]);
            prefrl_node_set(values, keys[i],
                            prefrl_node_new_scalar(text ? text : "", FROM_CALLER, 0, 0));
        }
        g_free(keys);
    }
    return create_from_values(c, values, FROM_CALLER, seed, env, error);
}

void *prefrl_instance_self(const PrefrlInstance *inst)
{
    g_return_val_if_fail(inst != NULL, NULL);
    return inst->self;
}

const PrefrlComponent *prefrl_instance_component(const PrefrlInstance *inst)
{
    g_return_val_if_fail(inst != NULL, NULL);
    return inst->component;
}

const void *prefrl_instance_ops(const PrefrlInstance *inst)
{
    g_return_val_if_fail(inst != NULL, NULL);
    return inst->component->ops;
}

const PrefrlNode *prefrl_instance_params(const PrefrlInstance *inst)
{
    g_return_val_if_fail(inst != NULL, NULL);
    return inst->params;
}

static gboolean no_hook(const PrefrlInstance *inst, const char *hook, GError **error)
{
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "%s/%s has no %s hook: it keeps no state",
                prefrl_kind_name(inst->component->kind), inst->component->name, hook);
    return FALSE;
}

/* a hook's error names the file, as the stream's own errors do */
static void name_file(GError **error, GError *err, const PrefrlInstance *inst, const char *path)
{
    if (!err) /* a hook that failed without saying why */
        err = g_error_new(PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "%s/%s failed without an error",
                          prefrl_kind_name(inst->component->kind), inst->component->name);
    if (!g_str_has_prefix(err->message, path))
        g_prefix_error(&err, "%s: ", path);
    g_propagate_error(error, err);
}

gboolean prefrl_instance_save(PrefrlInstance *inst, const char *path, GError **error)
{
    g_return_val_if_fail(inst != NULL && path != NULL, FALSE);
    if (!inst->component->save)
        return no_hook(inst, "save", error);
    PrefrlCkpt *out = prefrl_ckpt_open_write(path, error);
    if (!out)
        return FALSE;
    GError *err = NULL;
    if (inst->component->save(inst->self, out, &err) && prefrl_ckpt_check(out, &err))
        return prefrl_ckpt_close(out, error);
    /* no half-written file is left for a later load to trip on */
    prefrl_ckpt_abort(out);
    g_unlink(path);
    name_file(error, err, inst, path);
    return FALSE;
}

gboolean prefrl_instance_load(PrefrlInstance *inst, const char *path, GError **error)
{
    g_return_val_if_fail(inst != NULL && path != NULL, FALSE);
    if (!inst->component->load)
        return no_hook(inst, "load", error);
    PrefrlCkpt *in = prefrl_ckpt_open_read(path, error);
    if (!in)
        return FALSE;
    GError *err = NULL;
    if (inst->component->load(inst->self, in, &err) && prefrl_ckpt_check(in, &err))
        return prefrl_ckpt_close(in, error);
    prefrl_ckpt_abort(in);
    name_file(error, err, inst, path);
    return FALSE;
}

void prefrl_instance_free(PrefrlInstance *inst)
{
    if (!inst)
        return;
    inst->component->destroy(inst->self);
    prefrl_node_free(inst->params);
    g_free(inst);
}
