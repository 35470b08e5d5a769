/* The plugin registry: scans the plugin search path for prefrl-*.so files,
 * opens each with GModule (local binding), checks the descriptor its
 * `prefrl_plugin_entry` returns (ABI version, struct sizes, required
 * functions, reserved fields, duplicate names) and indexes the components.
 * Modules are made resident: a component's code is never unloaded mid-run. */
#include "config.h"
#include <gmodule.h>
#include <string.h>

#include <prefrl/pbrl.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"

typedef struct {
    const PrefrlComponent *component;
    const PrefrlPlugin *plugin;
    char *path;
} Entry;

struct PrefrlRegistry {
    GPtrArray *entries;   /* Entry* */
    GPtrArray *failures;  /* char* messages */
    GHashTable *loaded;   /* canonical paths already loaded */
};

static const char *const kind_names[] = {NULL, "env", "agent", "reward", "sampler", "teacher"};

const char *prefrl_kind_name(PrefrlKind kind)
{
    return kind >= 1 && kind <= PREFRL_N_KINDS ? kind_names[kind] : "?";
}

const char *prefrl_kind_selector(PrefrlKind kind)
{
    return kind == PREFRL_KIND_ENV ? "task" : "name";
}

PrefrlKind prefrl_kind_from_name(const char *name)
{
    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        if (!g_strcmp0(name, kind_names[k]))
            return k;
    return 0;
}

static void entry_free(Entry *e)
{
    g_free(e->path);
    g_free(e);
}

PrefrlRegistry *prefrl_registry_new(void)
{
    PrefrlRegistry *reg = g_new0(PrefrlRegistry, 1);
    reg->entries = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
    reg->failures = g_ptr_array_new_with_free_func(g_free);
    reg->loaded = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return reg;
}

void prefrl_registry_free(PrefrlRegistry *reg)
{
    if (!reg)
        return;
    g_ptr_array_unref(reg->entries);
    g_ptr_array_unref(reg->failures);
    g_hash_table_unref(reg->loaded);
    g_free(reg);
}

char **prefrl_registry_search_path(void)
{
    /* only the install directory is compiled in; the build tree's programs
     * reach the build tree's plugins through PREFRL_PLUGIN_PATH, which their
     * wrapper sets */
    GPtrArray *dirs = g_ptr_array_new();
    const char *env = g_getenv("PREFRL_PLUGIN_PATH");
    if (env && *env) {
        char **parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
        for (char **p = parts; *p; p++)
            if (**p)
                g_ptr_array_add(dirs, g_strdup(*p));
        g_strfreev(parts);
    }
    g_ptr_array_add(dirs, g_strdup(PREFRL_PLUGINDIR));
    g_ptr_array_add(dirs, NULL);
    return (char **)g_ptr_array_free(dirs, FALSE);
}

/* ---- checking a descriptor ---------------------------------------------- */

static gboolean fail(GError **error, int code, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static gboolean fail(GError **error, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, PREFRL_ERROR, code, "plugin %s: %s", path, msg);
    g_free(msg);
    return FALSE;
}

static gboolean check_params(const PrefrlComponent *c, const char *path, GError **error)
{
    for (const PrefrlParamSpec *s = c->params; s && s->key; s++) {
        if (s->type < PREFRL_PARAM_INT || s->type > PREFRL_PARAM_CHOICE)
            return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: parameter '%s' has no valid type",
                        prefrl_kind_name(c->kind), c->name, s->key);
        if (s->type == PREFRL_PARAM_CHOICE && (!s->choices || !*s->choices))
            return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: choice parameter '%s' lists no choices",
                        prefrl_kind_name(c->kind), c->name, s->key);
        if (!s->doc)
            return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: parameter '%s' has no doc line",
                        prefrl_kind_name(c->kind), c->name, s->key);
        if (!strcmp(s->key, prefrl_kind_selector(c->kind)))
            return fail(error, PREFRL_ERROR_PLUGIN, path,
                        "%s/%s: parameter '%s' is reserved (it selects the component)",
                        prefrl_kind_name(c->kind), c->name, s->key);
    }
    /* every default must itself validate */
    PrefrlNode *sec = prefrl_schema_defaults(c->params);
    GError *err = NULL;
    char *label = g_strdup_printf("%s/%s", prefrl_kind_name(c->kind), c->name);
    gboolean ok = prefrl_schema_apply(c->params, label, sec, NULL, &err);
    g_free(label);
    prefrl_node_free(sec);
    if (!ok) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "bad default: %s", err->message);
        g_error_free(err);
    }
    return ok;
}

/* the functions the trainer calls without checking, per kind */
static gboolean check_ops(const PrefrlComponent *c)
{
    switch (c->kind) {
    case PREFRL_KIND_ENV: {
        const PrefrlEnvOps *o = c->ops;
        return o->struct_size >= offsetof(PrefrlEnvOps, snapshot) && o->info && o->reset &&
               o->step;
    }
    case PREFRL_KIND_AGENT: {
        const PrefrlAgentOps *o = c->ops;
        if (c->flags & PREFRL_FLAG_ON_POLICY)
            return o->struct_size >= sizeof(PrefrlAgentOps) && o->act && o->n_envs &&
                   o->rollout_length && o->rollout_act && o->rollout_reward &&
                   o->rollout_update && !(c->flags & PREFRL_FLAG_CRITIC_VIEW);
        return o->struct_size >= offsetof(PrefrlAgentOps, reset_critic) && o->act &&
               o->batch_size && o->update &&
               (!(c->flags & PREFRL_FLAG_CRITIC_VIEW) || o->critic_view);
    }
    case PREFRL_KIND_REWARD: {
        const PrefrlRewardOps *o = c->ops;
        if (c->flags & PREFRL_FLAG_TRUE_REWARD)
            return o->struct_size >= offsetof(PrefrlRewardOps, predict);
        return o->struct_size >= offsetof(PrefrlRewardOps, query_length) && o->predict &&
               o->train && (!o->n_members || o->member_probs);
    }
    case PREFRL_KIND_SAMPLER: {
        const PrefrlSamplerOps *o = c->ops;
        return o->struct_size >= sizeof(PrefrlSamplerOps) && o->n_candidates && o->select;
    }
    case PREFRL_KIND_TEACHER: {
        const PrefrlTeacherOps *o = c->ops;
        return o->struct_size >= sizeof(PrefrlTeacherOps) && o->label;
    }
    }
    return FALSE;
}

static gboolean check_component(PrefrlRegistry *reg, const PrefrlComponent *c, const char *path,
                                GError **error)
{
    if (c->struct_size < offsetof(PrefrlComponent, reserved))
        return fail(error, PREFRL_ERROR_ABI, path, "component descriptor too small (%u bytes)",
                    c->struct_size);
    if (c->kind < 1 || c->kind > PREFRL_N_KINDS)
        return fail(error, PREFRL_ERROR_PLUGIN, path, "component of unknown kind %d", (int)c->kind);
    if (!c->name || !*c->name || !c->summary)
        return fail(error, PREFRL_ERROR_PLUGIN, path, "component without a name or summary");
    if (!c->create || !c->destroy || !c->ops)
        return fail(error, PREFRL_ERROR_PLUGIN, path,
                    "%s/%s lacks a required function (create, destroy or ops)",
                    prefrl_kind_name(c->kind), c->name);
    for (int i = 0; i < 4; i++)
        if (c->reserved[i])
            return fail(error, PREFRL_ERROR_ABI, path, "%s/%s: reserved fields must be NULL",
                        prefrl_kind_name(c->kind), c->name);
    if (!check_ops(c)) {
        return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: its ops table lacks a required function",
                    prefrl_kind_name(c->kind), c->name);
    }
    for (guint i = 0; i < reg->entries->len; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        if (e->component->kind == c->kind && !strcmp(e->component->name, c->name))
            return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s is already provided by %s",
                        prefrl_kind_name(c->kind), c->name, e->path);
    }
    return check_params(c, path, error);
}

gboolean prefrl_registry_load_file(PrefrlRegistry *reg, const char *path, GError **error)
{
    char *canon = g_canonicalize_filename(path, NULL);
    if (g_hash_table_contains(reg->loaded, canon)) {
        g_free(canon);
        return TRUE;
    }
    GError *err = NULL;
    GModule *mod = g_module_open_full(path, G_MODULE_BIND_LOCAL, &err);
    if (!mod) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "cannot be loaded: %s", err->message);
        g_error_free(err);
        g_free(canon);
        return FALSE;
    }
    gpointer sym = NULL;
    if (!g_module_symbol(mod, PREFRL_PLUGIN_ENTRY_SYMBOL, &sym) || !sym) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "no '%s' symbol: not a prefrl plugin",
             PREFRL_PLUGIN_ENTRY_SYMBOL);
        g_module_close(mod);
        g_free(canon);
        return FALSE;
    }
    const PrefrlPlugin *pl = ((PrefrlPluginEntryFunc)sym)();
    gboolean ok = TRUE;
    if (!pl) {
        ok = fail(error, PREFRL_ERROR_PLUGIN, path, "its entry returned no descriptor");
    } else if (pl->abi_version != PREFRL_ABI_VERSION) {
        ok = fail(error, PREFRL_ERROR_ABI, path,
                  "built for plugin ABI version %u, but this prefrl has ABI version %u; "
                  "rebuild the plugin against this prefrl",
                  pl->abi_version, PREFRL_ABI_VERSION);
    } else if (pl->struct_size < offsetof(PrefrlPlugin, reserved) || !pl->name ||
               !pl->components) {
        ok = fail(error, PREFRL_ERROR_PLUGIN, path, "malformed plugin descriptor");
    }
    /* check every component before registering any */
    guint n = 0;
    for (; ok && pl->components[n]; n++) {
        const PrefrlComponent *c = pl->components[n];
        ok = check_component(reg, c, path, error);
        for (guint j = 0; ok && j < n; j++)
            if (pl->components[j]->kind == c->kind && !strcmp(pl->components[j]->name, c->name))
                ok = fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s is listed twice",
                          prefrl_kind_name(c->kind), c->name);
    }
    if (!ok) {
        g_module_close(mod);
        g_free(canon);
        return FALSE;
    }
    g_module_make_resident(mod);
    for (guint i = 0; i < n; i++) {
        Entry *e = g_new0(Entry, 1);
        e->component = pl->components[i];
        e->plugin = pl;
        e->path = g_strdup(path);
        g_ptr_array_add(reg->entries, e);
    }
    g_hash_table_add(reg->loaded, canon);
    return TRUE;
}

/* recursively collect prefrl-*.so under dir (bounded depth) */
static void find_plugins(const char *dir, int depth, GPtrArray *out)
{
    if (depth > 5)
        return;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    /* sorted, so the load order (and shadowing) does not depend on the file system */
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        const char *nm = names->pdata[i];
        char *p = g_build_filename(dir, nm, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK)) {
            find_plugins(p, depth + 1, out);
            g_free(p);
        } else if (g_str_has_prefix(nm, "prefrl-") && g_str_has_suffix(nm, ".so")) {
            g_ptr_array_add(out, p);
        } else {
            g_free(p);
        }
    }
    g_ptr_array_unref(names);
}

static gboolean already_provided(PrefrlRegistry *reg, const char *path)
{
    /* a plugin of the same file name found earlier in the path shadows this one */
    char *base = g_path_get_basename(path);
    gboolean found = FALSE;
    for (guint i = 0; i < reg->entries->len && !found; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        char *b = g_path_get_basename(e->path);
        found = !strcmp(b, base);
        g_free(b);
    }
    g_free(base);
    return found;
}

gboolean prefrl_registry_scan(PrefrlRegistry *reg, gboolean strict, GError **error)
{
    char **dirs = prefrl_registry_search_path();
    gboolean ok = TRUE;
    for (char **d = dirs; ok && *d; d++) {
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        find_plugins(*d, 0, files);
        for (guint i = 0; ok && i < files->len; i++) {
            const char *f = g_ptr_array_index(files, i);
            if (already_provided(reg, f))
                continue;
            GError *err = NULL;
            if (!prefrl_registry_load_file(reg, f, &err)) {
                if (strict) {
                    g_propagate_error(error, err);
                    ok = FALSE;
                } else {
                    g_ptr_array_add(reg->failures, g_strdup(err->message));
                    g_error_free(err);
                }
            }
        }
        g_ptr_array_unref(files);
    }
    g_strfreev(dirs);
    return ok;
}

PrefrlRegistry *prefrl_registry_default(void)
{
    static gsize once = 0;
    static PrefrlRegistry *reg = NULL;
    if (g_once_init_enter(&once)) {
        PrefrlRegistry *r = prefrl_registry_new();
        prefrl_registry_scan(r, FALSE, NULL);
        reg = r;
        g_once_init_leave(&once, 1);
    }
    return reg;
}

static gint compare_by_name(gconstpointer a, gconstpointer b)
{
    const PrefrlComponent *x = *(const PrefrlComponent *const *)a;
    const PrefrlComponent *y = *(const PrefrlComponent *const *)b;
    return strcmp(x->name, y->name);
}

GPtrArray *prefrl_registry_list(PrefrlRegistry *reg, PrefrlKind kind)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < reg->entries->len; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        if (e->component->kind == kind)
            g_ptr_array_add(out, (gpointer)e->component);
    }
    g_ptr_array_sort(out, compare_by_name);
    return out;
}

const PrefrlComponent *prefrl_registry_find(PrefrlRegistry *reg, PrefrlKind kind,
                                            const char *name, GError **error)
{
    for (guint i = 0; i < reg->entries->len; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        if (e->component->kind == kind && !strcmp(e->component->name, name))
            return e->component;
    }
    GPtrArray *all = prefrl_registry_list(reg, kind);
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(names, (gpointer)((const PrefrlComponent *)all->pdata[i])->name);
    const char *near = prefrl_nearest(name, (const char *const *)names->pdata, names->len);
    GString *valid = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(valid, "%s%s", i ? ", " : "", (char *)names->pdata[i]);
    /* a plugin that failed to load may be why the name is missing */
    char *why = reg->failures->len
                    ? g_strdup_printf("; %u plugin file(s) failed to load, the first: %s",
                                      reg->failures->len, (char *)reg->failures->pdata[0])
                    : g_strdup("");
    if (near)
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN,
                    "unknown %s '%s'; did you mean '%s'? (available: %s)%s",
                    prefrl_kind_name(kind), name, near, valid->str, why);
    else
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "unknown %s '%s' (available: %s)%s",
                    prefrl_kind_name(kind), name, names->len ? valid->str : "none installed",
                    why);
    g_free(why);
    g_string_free(valid, TRUE);
    g_ptr_array_unref(names);
    g_ptr_array_unref(all);
    return NULL;
}

const char *prefrl_registry_component_path(PrefrlRegistry *reg, const PrefrlComponent *c)
{
    for (guint i = 0; i < reg->entries->len; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        if (e->component == c)
            return e->path;
    }
    return NULL;
}

const GPtrArray *prefrl_registry_failures(PrefrlRegistry *reg)
{
    return reg->failures;
}

/* ---- instances ---------------------------------------------------------- */

PrefrlInstance *prefrl_instance_new_from_params(const PrefrlComponent *c, PrefrlNode *params,
                                                const PrefrlContext *ctx, GError **error)
{
    void *self = c->create(params, ctx, error);
    if (!self) {
        prefrl_node_free(params);
        return NULL;
    }
    PrefrlInstance *inst = g_new0(PrefrlInstance, 1);
    inst->component = c;
    inst->params = params;
    inst->self = self;
    return inst;
}

PrefrlInstance *prefrl_instance_new(PrefrlRegistry *reg, PrefrlKind kind, const char *name,
                                    const char *const *overrides, uint64_t seed,
                                    const PrefrlEnvInfo *env, GError **error)
{
    const PrefrlComponent *c = prefrl_registry_find(reg, kind, name, error);
    if (!c)
        return NULL;
    PrefrlNode *params = prefrl_node_new_map("<command line>", 0, 0);
    for (const char *const *o = overrides; o && *o; o++) {
        if (!prefrl_recipe_override(params, *o, error)) {
            prefrl_node_free(params);
            return NULL;
        }
    }
    prefrl_node_set(params, prefrl_kind_selector(kind),
                    prefrl_node_new_scalar(c->name, "<command line>", 0, 0));
    char *label = g_strdup_printf("%s/%s", prefrl_kind_name(kind), c->name);
    gboolean ok = prefrl_schema_apply(c->params, label, params, prefrl_kind_selector(kind), error);
    g_free(label);
    if (!ok) {
        prefrl_node_free(params);
        return NULL;
    }
    PrefrlContext ctx = {.struct_size = sizeof ctx, .seed = seed, .env = env};
    prefrl_rng_init(&ctx.rng, seed, prefrl_kind_name(kind));
    return prefrl_instance_new_from_params(c, params, &ctx, error);
}

void prefrl_instance_free(PrefrlInstance *inst)
{
    if (!inst)
        return;
    inst->component->destroy(inst->self);
    prefrl_node_free(inst->params);
    g_free(inst);
}
