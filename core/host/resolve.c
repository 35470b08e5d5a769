/* Recipe resolution: binds each component section of a recipe to the
 * component it names in the registry and validates the whole recipe: the
 * core's keys (top-level scalars, core sections) against the specs the
 * caller supplies, every component section against its component's schema
 * (host/schema.h does the checking; this file decides which schema applies
 * where).  The cross-component requirements (a reward that needs the
 * agent's critic view) are checked here too, so a recipe that resolves can
 * be run. */
#include "config.h"
#include <string.h>

#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"

/* "a, b, c" */
static char *join_words(GPtrArray *words)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)g_ptr_array_index(words, i));
    return g_string_free(s, FALSE);
}

static gboolean check_section_map(PrefrlNode *n, const char *name, GError **error)
{
    if (n->kind == PREFRL_NODE_MAP)
        return TRUE;
    char *where = prefrl_node_where(n, FALSE);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s'%s' must be a map of settings",
                where, name);
    g_free(where);
    return FALSE;
}

static gboolean resolve_component(PrefrlNode *root, PrefrlRegistry *reg, PrefrlKind kind,
                                  gboolean required, GError **error)
{
    const char *kname = prefrl_kind_name(kind), *sel = prefrl_kind_selector(kind);
    PrefrlNode *sec = prefrl_node_lookup(root, kname);
    if (!sec) {
        if (!required)
            return TRUE;
        GPtrArray *all = prefrl_registry_list(reg, kind);
        GPtrArray *names = g_ptr_array_new();
        for (guint i = 0; i < all->len; i++)
            g_ptr_array_add(names, (gpointer)((const PrefrlComponent *)all->pdata[i])->name);
        char *valid = names->len ? join_words(names) : g_strdup("none installed");
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: missing section '%s:' with '%s:' (one of: %s)", root->file, kname, sel,
                    valid);
        g_free(valid);
        g_ptr_array_unref(names);
        g_ptr_array_unref(all);
        return FALSE;
    }
    if (!check_section_map(sec, kname, error))
        return FALSE;
    const PrefrlNode *which = prefrl_node_get(sec, sel);
    if (!which || which->kind != PREFRL_NODE_SCALAR) {
        char *where = prefrl_node_where(which ? which : sec, which != NULL);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%ssection '%s' needs '%s: <name>'; see `prefrl plugins`", where, kname, sel);
        g_free(where);
        return FALSE;
    }
    GError *err = NULL;
    const PrefrlComponent *c = prefrl_registry_find(reg, kind, which->text, &err);
    if (!c) {
        char *where = prefrl_node_where(which, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s%s", where, err->message);
        g_free(where);
        g_error_free(err);
        return FALSE;
    }
    char *label = g_strdup_printf("%s/%s", kname, c->name);
    gboolean ok = prefrl_schema_apply(c->params, label, sec, sel, error);
    g_free(label);
    return ok;
}

/* a component's validate hook on its resolved section; its message gets
 * the section's location and "kind/name: " once */
static gboolean validate_component(const PrefrlNode *root, PrefrlRegistry *reg, PrefrlKind kind,
                                   GError **error)
{
    const PrefrlComponent *c = prefrl_recipe_component(root, reg, kind);
    if (!c || !c->validate)
        return TRUE;
    const PrefrlNode *sec = prefrl_node_get(root, prefrl_kind_name(kind));
    const char *seed = prefrl_node_text(prefrl_node_get(root, "seed"));
    PrefrlContext ctx = {.struct_size = sizeof ctx,
                         .seed = seed ? g_ascii_strtoull(seed, NULL, 10) : 0,
                         .recipe = root};
    prefrl_rng_init(&ctx.rng, ctx.seed, prefrl_kind_name(kind));
    GError *err = NULL;
    if (c->validate(sec, &ctx, &err))
        return TRUE;
    char *where = prefrl_node_where(sec, TRUE);
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s%s/%s: %s", where,
                prefrl_kind_name(kind), c->name,
                err ? err->message : "invalid settings (its validate hook gave no reason)");
    g_free(where);
    g_clear_error(&err);
    return FALSE;
}

const PrefrlComponent *prefrl_recipe_component(const PrefrlNode *root, PrefrlRegistry *reg,
                                               PrefrlKind kind)
{
    const PrefrlNode *sec = prefrl_node_get(root, prefrl_kind_name(kind));
    const char *name = prefrl_node_text(prefrl_node_get(sec, prefrl_kind_selector(kind)));
    return name ? prefrl_registry_find(reg, kind, name, NULL) : NULL;
}

gboolean prefrl_recipe_resolve(PrefrlNode *root, PrefrlRegistry *reg, const PrefrlRecipeKeys *core,
                               guint required, GError **error)
{
    /* top level: run keys, core sections and one section per kind */
    GPtrArray *top = g_ptr_array_new();
    for (const PrefrlParamSpec *s = core->top; s && s->key; s++)
        g_ptr_array_add(top, (gpointer)s->key);
    for (const PrefrlRecipeSection *cs = core->sections; cs && cs->name; cs++)
        g_ptr_array_add(top, (gpointer)cs->name);
    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        g_ptr_array_add(top, (gpointer)prefrl_kind_name(k));
    for (guint i = 0; i < root->items->len; i++) {
        PrefrlNode *n = g_ptr_array_index(root->items, i);
        gboolean known = FALSE;
        for (guint j = 0; j < top->len && !known; j++)
            known = !strcmp(n->key, top->pdata[j]);
        if (known)
            continue;
        const char *near = prefrl_nearest(n->key, (const char *const *)top->pdata, top->len);
        char *where = prefrl_node_where(n, TRUE);
        char *valid = join_words(top);
        if (near)
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%sunknown key '%s' at the top of the recipe; did you mean '%s'?", where,
                        n->key, near);
        else
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "%sunknown key '%s' at the top of the recipe; valid keys: %s", where,
                        n->key, valid);
        g_free(valid);
        g_free(where);
        g_ptr_array_unref(top);
        return FALSE;
    }
    g_ptr_array_unref(top);

    /* the top-level scalars are validated as a section of their own */
    PrefrlNode *run = prefrl_node_new_map(root->file, root->line, root->col);
    for (const PrefrlParamSpec *s = core->top; s && s->key; s++) {
        PrefrlNode *n = prefrl_node_lookup(root, s->key);
        if (n)
            prefrl_node_set(run, s->key, prefrl_node_dup(n));
    }
    gboolean ok = prefrl_schema_apply(core->top, "recipe", run, NULL, error);
    for (guint i = 0; ok && i < run->items->len; i++) {
        PrefrlNode *n = g_ptr_array_index(run->items, i);
        prefrl_node_set(root, n->key, prefrl_node_dup(n));
    }
    prefrl_node_free(run);
    if (!ok)
        return FALSE;

    for (const PrefrlRecipeSection *cs = core->sections; cs && cs->name; cs++) {
        PrefrlNode *sec = prefrl_node_lookup(root, cs->name);
        if (!sec) {
            sec = prefrl_node_new_map(root->file, 0, 0);
            prefrl_node_set(root, cs->name, sec);
        }
        if (!check_section_map(sec, cs->name, error) ||
            !prefrl_schema_apply(cs->specs, cs->name, sec, NULL, error))
            return FALSE;
    }

    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        if (!resolve_component(root, reg, k, (required >> k) & 1u, error))
            return FALSE;

    /* cross-component requirements */
    const PrefrlComponent *reward = prefrl_recipe_component(root, reg, PREFRL_KIND_REWARD);
    const PrefrlComponent *agent = prefrl_recipe_component(root, reg, PREFRL_KIND_AGENT);
    if (reward && (reward->flags & PREFRL_FLAG_NEEDS_CRITIC_VIEW) &&
        !(agent && (agent->flags & PREFRL_FLAG_CRITIC_VIEW))) {
        const PrefrlNode *at = prefrl_node_get(prefrl_node_get(root, "reward"), "name");
        char *where = prefrl_node_where(at, FALSE);
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%sreward/%s differentiates through the agent's critic, but %s%s has no "
                    "critic view; use an agent that has one (e.g. agent: {name: sac})",
                    where, reward->name, agent ? "agent/" : "the recipe names no agent",
                    agent ? agent->name : "");
        g_free(where);
        return FALSE;
    }

    /* constraints between parameters: each component's, then the core's */
    for (int k = 1; k <= PREFRL_N_KINDS; k++)
        if (!validate_component(root, reg, k, error))
            return FALSE;
    return !core->validate || core->validate(root, reg, error);
}
