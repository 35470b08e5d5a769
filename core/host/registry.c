/* The plugin registry: scans the plugin search path for prefrl-*.so files,
 * opens each with GModule (local binding), checks the descriptor its
 * `prefrl_plugin_entry` returns (ABI version, struct sizes, required
 * functions, reserved fields, duplicate names) and indexes the components.
 *
 * The ABI lets structs grow at the end (plugin.h): each component and its
 * ops table are copied into zeroed tables of the core's full size, so the
 * fields an older plugin does not know read as NULL, and the rest of the
 * core only ever sees those copies.  Modules are made resident: the copies
 * point into them, and a component's code is never unloaded mid-run. */
#include "config.h"
#include <gmodule.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefrl/pbrl.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"

/* A component as the core sees it: copies at the core's full struct sizes,
 * whatever size the plugin was built with. */
typedef struct {
    PrefrlComponent component; /* ops points at `ops` below */
    void *ops;                 /* the kind's ops table (owned) */
    char *path;                /* the plugin file */
} Entry;

struct PrefrlRegistry {
    GPtrArray *entries;   /* Entry* */
    GPtrArray *failures;  /* char* messages */
    GHashTable *loaded;   /* canonical paths already loaded */
};

static void entry_free(Entry *e)
{
    g_free(e->ops);
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

/* the entries of PREFRL_PLUGIN_PATH, then the install directory; relative
 * entries go to `relative` when it is not NULL, to the result never */
static char **search_path(GPtrArray *relative)
{
    /* only the install directory is compiled in; the build tree's programs
     * reach the build tree's plugins through PREFRL_PLUGIN_PATH, which their
     * wrapper sets */
    GPtrArray *dirs = g_ptr_array_new();
    const char *env = g_getenv("PREFRL_PLUGIN_PATH");
    if (env && *env) {
        char **parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
        for (char **p = parts; *p; p++) {
            if (!**p)
                continue;
            /* a relative entry would depend on the current directory */
            if (g_path_is_absolute(*p))
                g_ptr_array_add(dirs, g_strdup(*p));
            else if (relative)
                g_ptr_array_add(relative, g_strdup(*p));
        }
        g_strfreev(parts);
    }
    g_ptr_array_add(dirs, g_strdup(PREFRL_PLUGINDIR));
    g_ptr_array_add(dirs, NULL);
    return (char **)g_ptr_array_free(dirs, FALSE);
}

char **prefrl_registry_search_path(void)
{
    return search_path(NULL);
}

/* ---- checking and normalising a descriptor ------------------------------- */

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

/* Copy a plugin's table of `size` bytes into `dst`, a zeroed table of the
 * core's `full` size, so the fields an older plugin does not know read as
 * NULL.  A table larger than the core's comes from a newer prefrl: reading
 * only its head would silently drop functions it relies on, so it is
 * refused.  `what` names the table in messages. */
static gboolean copy_table(void *dst, size_t full, const void *src, uint32_t size, size_t min,
                           const char *what, const char *path, GError **error)
{
    if (size > full)
        return fail(error, PREFRL_ERROR_ABI, path,
                    "%s is %u bytes, larger than the %zu bytes this prefrl knows: the plugin "
                    "was built against a newer prefrl; rebuild it against this one",
                    what, size, full);
    if (size < min || size % sizeof(void *))
        return fail(error, PREFRL_ERROR_ABI, path, "%s is %u bytes, too small or not whole fields "
                    "(at least %zu)", what, size, min);
    memset(dst, 0, full);
    memcpy(dst, src, size);
    return TRUE;
}

/* the first parameter the schema cannot hold, or a default that does not validate */
static gboolean check_params(const PrefrlComponent *c, const char *path, GError **error)
{
    for (const PrefrlParamSpec *s = c->params; s && s->key; s++) {
        if (s->type < PREFRL_PARAM_INT || s->type > PREFRL_PARAM_CHOICE)
            return fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: parameter '%s' has no valid type",
                        prefrl_kind_name(c->kind), c->name, s->key);
        if (s->type == PREFRL_PARAM_CHOICE && (!s->choices || !*s->choices))
            return fail(error, PREFRL_ERROR_PLUGIN, path,
                        "%s/%s: choice parameter '%s' lists no choices", prefrl_kind_name(c->kind),
                        c->name, s->key);
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

/* the core's size of each kind's ops table */
static size_t ops_size(PrefrlKind kind)
{
    switch (kind) {
    case PREFRL_KIND_ENV: return sizeof(PrefrlEnvOps);
    case PREFRL_KIND_AGENT: return sizeof(PrefrlAgentOps);
    case PREFRL_KIND_REWARD: return sizeof(PrefrlRewardOps);
    case PREFRL_KIND_SAMPLER: return sizeof(PrefrlSamplerOps);
    case PREFRL_KIND_TEACHER: return sizeof(PrefrlTeacherOps);
    }
    return 0;
}

#define NEED(op) if (!o->op) return "lacks the required function '" #op "'"

/* What is wrong with a normalised ops table, or NULL: the functions the
 * trainer calls without checking must be there (a table too short to hold
 * one reads it as NULL). */
static const char *ops_problem(const PrefrlComponent *c)
{
    switch (c->kind) {
    case PREFRL_KIND_ENV: {
        const PrefrlEnvOps *o = c->ops;
        NEED(info);
        NEED(reset);
        NEED(step);
        if ((o->render == NULL) != (o->cameras == NULL))
            return "has one of 'render' and 'cameras' without the other";
        return NULL;
    }
    case PREFRL_KIND_AGENT: {
        const PrefrlAgentOps *o = c->ops;
        NEED(act);
        if (c->flags & PREFRL_FLAG_ON_POLICY) {
            NEED(n_envs);
            NEED(rollout_length);
            NEED(rollout_act);
            NEED(rollout_reward);
            NEED(rollout_update);
            if (c->flags & PREFRL_FLAG_CRITIC_VIEW)
                return "declares a critic view, which an on-policy agent cannot give";
            return NULL;
        }
        NEED(batch_size);
        NEED(update);
        if (c->flags & PREFRL_FLAG_CRITIC_VIEW)
            NEED(critic_view);
        return NULL;
    }
    case PREFRL_KIND_REWARD: {
        const PrefrlRewardOps *o = c->ops;
        if (c->flags & PREFRL_FLAG_TRUE_REWARD)
            return NULL; /* the trainer calls none of them */
        NEED(predict);
        NEED(train);
        if (o->n_members)
            NEED(member_probs);
        if (o->meta_period)
            NEED(meta_step);
        return NULL;
    }
    case PREFRL_KIND_SAMPLER: {
        const PrefrlSamplerOps *o = c->ops;
        NEED(n_candidates);
        NEED(select);
        return NULL;
    }
    case PREFRL_KIND_TEACHER: {
        const PrefrlTeacherOps *o = c->ops;
        NEED(label);
        return NULL;
    }
    }
    return "is of no known kind";
}

#undef NEED

/* A registry entry from a plugin's component: the descriptor and its ops
 * table copied at the core's full sizes, then checked on the copies (NULL
 * and an error naming the file when anything is wrong).  Only the first
 * field of the plugin's own descriptor, its struct_size, is read before
 * its size is known. */
static Entry *entry_new(const PrefrlComponent *raw, const char *path, GError **error)
{
    Entry *e = g_new0(Entry, 1);
    PrefrlComponent *c = &e->component;
    /* the component must reach its ops pointer; save, load and reserved may be absent */
    if (!copy_table(c, sizeof *c, raw, raw->struct_size,
                    offsetof(PrefrlComponent, ops) + sizeof(void *), "its component descriptor",
                    path, error))
        goto fail;
    c->struct_size = sizeof *c;
    if (c->kind < 1 || c->kind > PREFRL_N_KINDS) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "component of unknown kind %d", (int)c->kind);
        goto fail;
    }
    if (!c->name || !*c->name || !c->summary) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "component without a name or summary");
        goto fail;
    }
    const char *kind = prefrl_kind_name(c->kind);
    if (!c->create || !c->destroy || !c->ops) {
        fail(error, PREFRL_ERROR_PLUGIN, path,
             "%s/%s lacks a required function (create, destroy or ops)", kind, c->name);
        goto fail;
    }
    for (int i = 0; i < 4; i++) {
        if (c->reserved[i]) {
            fail(error, PREFRL_ERROR_ABI, path, "%s/%s: reserved fields must be NULL", kind,
                 c->name);
            goto fail;
        }
    }
    /* the ops table: the same, at its kind's size */
    size_t full = ops_size(c->kind);
    uint32_t size;
    memcpy(&size, c->ops, sizeof size);
    char *what = g_strdup_printf("the ops table of %s/%s", kind, c->name);
    e->ops = g_malloc0(full);
    gboolean ok = copy_table(e->ops, full, c->ops, size, sizeof(void *), what, path, error);
    g_free(what);
    if (!ok)
        goto fail;
    *(uint32_t *)e->ops = (uint32_t)full; /* every ops table starts with its struct_size */
    c->ops = e->ops;
    const char *problem = ops_problem(c);
    if (problem) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s: its ops table %s", kind, c->name, problem);
        goto fail;
    }
    e->path = g_strdup(path);
    return e;
fail:
    entry_free(e);
    return NULL;
}

/* an entry of the same kind and name among `entries`, or NULL */
static Entry *find_entry(GPtrArray *entries, PrefrlKind kind, const char *name)
{
    for (guint i = 0; i < entries->len; i++) {
        Entry *e = g_ptr_array_index(entries, i);
        if (e->component.kind == kind && !strcmp(e->component.name, name))
            return e;
    }
    return NULL;
}

/* the normalised entries of every component of plugin `pl` (transfer full),
 * or NULL and an error: nothing of a plugin is registered unless all of it
 * checks */
static GPtrArray *plugin_entries(PrefrlRegistry *reg, const PrefrlPlugin *pl, const char *path,
                                 GError **error)
{
    if (!pl) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "its entry returned no descriptor");
        return NULL;
    }
    if (pl->abi_version != PREFRL_ABI_VERSION) {
        fail(error, PREFRL_ERROR_ABI, path,
             "built for plugin ABI version %u, but this prefrl has ABI version %u; "
             "rebuild the plugin against this prefrl",
             pl->abi_version, PREFRL_ABI_VERSION);
        return NULL;
    }
    PrefrlPlugin desc;
    if (!copy_table(&desc, sizeof desc, pl, pl->struct_size,
                    offsetof(PrefrlPlugin, components) + sizeof(void *), "its plugin descriptor",
                    path, error))
        return NULL;
    gboolean reserved = FALSE;
    for (int i = 0; i < 4; i++)
        reserved = reserved || desc.reserved[i];
    if (!desc.name || !desc.components || reserved) {
        fail(error, PREFRL_ERROR_PLUGIN, path, "malformed plugin descriptor");
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)entry_free);
    for (guint n = 0; desc.components[n]; n++) {
        Entry *e = entry_new(desc.components[n], path, error);
        if (!e)
            goto fail;
        const PrefrlComponent *c = &e->component;
        const Entry *twin = find_entry(out, c->kind, c->name);
        const Entry *other = find_entry(reg->entries, c->kind, c->name);
        if (twin || other) {
            if (twin)
                fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s is listed twice",
                     prefrl_kind_name(c->kind), c->name);
            else
                fail(error, PREFRL_ERROR_PLUGIN, path, "%s/%s is already provided by %s",
                     prefrl_kind_name(c->kind), c->name, other->path);
            entry_free(e);
            goto fail;
        }
        g_ptr_array_add(out, e);
        if (!check_params(c, path, error))
            goto fail;
    }
    return out;
fail:
    g_ptr_array_unref(out);
    return NULL;
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
    GPtrArray *entries = plugin_entries(reg, ((PrefrlPluginEntryFunc)sym)(), path, error);
    if (!entries) {
        g_module_close(mod);
        g_free(canon);
        return FALSE;
    }
    /* the copies keep pointers into the module (names, schema, functions) */
    g_module_make_resident(mod);
    gsize n = 0;
    Entry **taken = (Entry **)g_ptr_array_steal(entries, &n);
    for (gsize i = 0; i < n; i++)
        g_ptr_array_add(reg->entries, taken[i]);
    g_free(taken);
    g_ptr_array_unref(entries);
    g_hash_table_add(reg->loaded, canon);
    return TRUE;
}

/* TRUE when group `gid` is the private group of user `uid` (the user's
 * primary group, of the user's own name, with no other listed member): a
 * umask of 002, the default for such groups, leaves files group-writable
 * without letting anyone else write them.  OpenSSH as Debian ships it makes
 * the same exception. */
static gboolean private_group(gid_t gid, uid_t uid)
{
    struct passwd *pw = getpwuid(uid);
    if (!pw || pw->pw_gid != gid)
        return FALSE;
    char *user = g_strdup(pw->pw_name); /* getgrgid may reuse the buffers */
    struct group *gr = getgrgid(gid);
    gboolean ok = gr && !strcmp(gr->gr_name, user);
    for (char **m = gr ? gr->gr_mem : NULL; ok && m && *m; m++)
        ok = !strcmp(*m, user);
    g_free(user);
    return ok;
}

/* Why `path` (a plugin file or a directory on the way to one) must not be
 * trusted, or NULL: like ssh with a key file, a file that another user
 * could have written or replaced is refused. */
static char *insecure(const char *path, const GStatBuf *st)
{
    const char *what = S_ISDIR(st->st_mode) ? "plugin directory" : "plugin file";
    if (st->st_uid != getuid() && st->st_uid != 0)
        return g_strdup_printf("%s %s is owned by uid %u, neither you nor root: refused", what,
                               path, (unsigned)st->st_uid);
    gboolean group = (st->st_mode & S_IWGRP) && !private_group(st->st_gid, st->st_uid);
    if ((st->st_mode & S_IWOTH) || group)
        return g_strdup_printf("%s %s is writable by %s (mode %04o): refused; "
                               "chmod go-w it",
                               what, path, st->st_mode & S_IWOTH ? "other users" : "its group",
                               (unsigned)(st->st_mode & 07777));
    return NULL;
}

/* g_ptr_array_sort hands the comparison pointers to the elements */
static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the sorted names in dir (NULL when it cannot be read) */
static GPtrArray *sorted_names(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    /* sorted, so the load order (and shadowing) does not depend on the file system */
    g_ptr_array_sort(names, compare_names);
    return names;
}

/* TRUE when `dir` is a directory that may be searched; an untrusted one is
 * recorded in `refused` */
static gboolean usable_dir(const char *dir, GPtrArray *refused)
{
    GStatBuf st;
    if (g_stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return FALSE;
    char *why = insecure(dir, &st);
    if (why)
        g_ptr_array_add(refused, why);
    return why == NULL;
}

/* the prefrl-*.so files directly in dir; untrusted ones are recorded in `refused` */
static void plugins_in(const char *dir, GPtrArray *out, GPtrArray *refused)
{
    if (!usable_dir(dir, refused))
        return;
    GPtrArray *names = sorted_names(dir);
    for (guint i = 0; names && i < names->len; i++) {
        const char *nm = names->pdata[i];
        if (!g_str_has_prefix(nm, "prefrl-") || !g_str_has_suffix(nm, ".so"))
            continue;
        char *p = g_build_filename(dir, nm, NULL);
        GStatBuf st;
        char *why = NULL;
        if (g_stat(p, &st) == 0 && S_ISREG(st.st_mode) && !(why = insecure(p, &st))) {
            g_ptr_array_add(out, p);
            continue;
        }
        if (why)
            g_ptr_array_add(refused, why);
        g_free(p);
    }
    if (names)
        g_ptr_array_unref(names);
}

/* Collect the plugin files of search directory `dir` in its fixed, shallow
 * layout: DIR/prefrl-*.so (an install directory, or any folder of plugins),
 * then DIR/KIND/NAME/prefrl-*.so and DIR/KIND/NAME/.libs/prefrl-*.so for
 * KIND an env, agent, reward, sampler or teacher (the build tree's plugins/
 * folder).  Nothing deeper is looked at. */
static void find_plugins(const char *dir, GPtrArray *out, GPtrArray *refused)
{
    if (!usable_dir(dir, refused))
        return;
    plugins_in(dir, out, refused);
    for (int k = 0; k < PREFRL_N_KINDS; k++) {
        /* in the order of the kinds: fixed, whatever the file system */
        char *kdir = g_build_filename(dir, prefrl_kind_name((PrefrlKind)(k + 1)), NULL);
        GPtrArray *names = usable_dir(kdir, refused) ? sorted_names(kdir) : NULL;
        for (guint i = 0; names && i < names->len; i++) {
            char *ndir = g_build_filename(kdir, (char *)names->pdata[i], NULL);
            if (usable_dir(ndir, refused)) {
                plugins_in(ndir, out, refused);
                char *libs = g_build_filename(ndir, ".libs", NULL);
                plugins_in(libs, out, refused);
                g_free(libs);
            }
            g_free(ndir);
        }
        if (names)
            g_ptr_array_unref(names);
        g_free(kdir);
    }
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
    GPtrArray *relative = g_ptr_array_new_with_free_func(g_free);
    char **dirs = search_path(relative);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < relative->len; i++) {
        char *shown = prefrl_text_escape(relative->pdata[i]);
        char *msg = g_strdup_printf("PREFRL_PLUGIN_PATH entry '%s' is not an absolute path: "
                                    "ignored; name plugin directories by absolute paths",
                                    shown);
        g_free(shown);
        if (strict) {
            g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, msg);
            ok = FALSE;
        } else {
            g_ptr_array_add(reg->failures, g_strdup(msg));
        }
        g_free(msg);
    }
    g_ptr_array_unref(relative);
    for (char **d = dirs; ok && *d; d++) {
        GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *refused = g_ptr_array_new_with_free_func(g_free);
        find_plugins(*d, files, refused);
        for (guint i = 0; ok && i < refused->len; i++) {
            if (strict) {
                g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, refused->pdata[i]);
                ok = FALSE;
            } else {
                g_ptr_array_add(reg->failures, g_strdup(refused->pdata[i]));
            }
        }
        g_ptr_array_unref(refused);
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
        if (e->component.kind == kind)
            g_ptr_array_add(out, (gpointer)&e->component);
    }
    g_ptr_array_sort(out, compare_by_name);
    return out;
}

const PrefrlComponent *prefrl_registry_find(PrefrlRegistry *reg, PrefrlKind kind,
                                            const char *name, GError **error)
{
    const Entry *e = find_entry(reg->entries, kind, name);
    if (e)
        return &e->component;
    GPtrArray *all = prefrl_registry_list(reg, kind);
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < all->len; i++)
        g_ptr_array_add(names, (gpointer)((const PrefrlComponent *)all->pdata[i])->name);
    const char *near = prefrl_nearest(name, (const char *const *)names->pdata, names->len);
    char *shown = prefrl_text_escape(name); /* a recipe's value: keep the message on one line */
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
                    prefrl_kind_name(kind), shown, near, valid->str, why);
    else
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_PLUGIN, "unknown %s '%s' (available: %s)%s",
                    prefrl_kind_name(kind), shown, names->len ? valid->str : "none installed",
                    why);
    g_free(why);
    g_free(shown);
    g_string_free(valid, TRUE);
    g_ptr_array_unref(names);
    g_ptr_array_unref(all);
    return NULL;
}

const char *prefrl_registry_component_path(PrefrlRegistry *reg, const PrefrlComponent *c)
{
    for (guint i = 0; i < reg->entries->len; i++) {
        Entry *e = g_ptr_array_index(reg->entries, i);
        if (&e->component == c)
            return e->path;
    }
    return NULL;
}

const GPtrArray *prefrl_registry_failures(PrefrlRegistry *reg)
{
    return reg->failures;
}
