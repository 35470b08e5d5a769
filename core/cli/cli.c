/* What every `prefrl` command shares: its arguments parsed by one GLib
 * GOptionContext (options anywhere, positional arguments in order, `--`
 * ends the options, -h/--help prints the usage and exits 0), usage errors
 * as one line with exit status 2, other errors as "prefrl: error: ...";
 * and recipes loaded, overridden and validated the same way everywhere. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"

int prefrl_cli_fail(const GError *error)
{
    fprintf(stderr, "prefrl: error: %s\n", error ? error->message : "unknown error");
    return 1;
}

int prefrl_cli_usage_error(const PrefrlCliUsage *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* GLib's own messages start with a capital ("Unknown option --x") */
    if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
        msg[0] = (char)(msg[0] - 'A' + 'a');
    fprintf(stderr,
            "prefrl: error: %s (usage: prefrl %s [OPTION...]%s%s; see 'prefrl %s --help')\n", msg,
            usage->name, usage->parameters ? " " : "", usage->parameters ? usage->parameters : "",
            usage->name);
    g_free(msg);
    return 2;
}

/* the entry of a short option that takes a value, or NULL */
static const GOptionEntry *short_with_value(const GOptionEntry *entries, char c)
{
    for (const GOptionEntry *e = entries; e && e->long_name; e++)
        if (e->short_name == c && e->arg != G_OPTION_ARG_NONE)
            return e;
    return NULL;
}

int prefrl_cli_parse(const PrefrlCliUsage *usage, const GOptionEntry *entries, int argc,
                     char **argv, char ***args)
{
    gboolean help = FALSE;
    char **rest = NULL;
    const GOptionEntry own[] = {
        {"help", 'h', 0, G_OPTION_ARG_NONE, &help, "show this help and exit", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, NULL},
        G_OPTION_ENTRY_NULL,
    };
    *args = NULL;

    /* GOptionContext takes the value of "-j" from the next argument only;
     * "-j4" is split into "-j" "4" (before any "--") */
    GPtrArray *av = g_ptr_array_new_with_free_func(g_free);
    gboolean options_ended = FALSE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        options_ended = options_ended || !strcmp(a, "--");
        if (!options_ended && i > 0 && a[0] == '-' && a[1] && a[1] != '-' && a[2] &&
            short_with_value(entries, a[1])) {
            g_ptr_array_add(av, g_strndup(a, 2));
            g_ptr_array_add(av, g_strdup(a + 2));
        } else {
            g_ptr_array_add(av, g_strdup(a));
        }
    }
    /* the parser removes what it consumes from the array: keep our own list
     * of the strings to free them */
    int n = (int)av->len;
    char **view = g_new0(char *, n + 1);
    memcpy(view, av->pdata, sizeof(char *) * n);

    char *prgname = g_strconcat("prefrl ", usage->name, NULL);
    g_set_prgname(prgname); /* the "Usage:" line of the help */
    g_free(prgname);
    GOptionContext *ctx = g_option_context_new(usage->parameters);
    g_option_context_set_help_enabled(ctx, FALSE); /* ours returns instead of exit() */
    g_option_context_set_summary(ctx, usage->summary);
    if (usage->description)
        g_option_context_set_description(ctx, usage->description);
    if (entries)
        g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, own, NULL);

    GError *err = NULL;
    int status = -1;
    if (!g_option_context_parse(ctx, &n, &view, &err)) {
        status = prefrl_cli_usage_error(usage, "%s", err->message);
        g_error_free(err);
    } else if (help) {
        char *text = g_option_context_get_help(ctx, TRUE, NULL);
        fputs(text, stdout);
        g_free(text);
        status = 0;
    } else {
        *args = rest ? rest : g_new0(char *, 1);
        rest = NULL;
    }
    g_strfreev(rest);
    g_option_context_free(ctx);
    g_free(view);
    g_ptr_array_unref(av);
    return status;
}

void prefrl_cli_print_failures(void)
{
    const GPtrArray *f = prefrl_registry_failures(prefrl_registry_default());
    for (guint i = 0; i < f->len; i++)
        fprintf(stderr, "prefrl: warning: %s\n", (const char *)f->pdata[i]);
}

/* trainer.seed_prefs taken from the current directory, written absolute so
 * that config.yaml names the file wherever the run is resumed from */
static void absolute_seed_prefs(PrefrlNode *root)
{
    PrefrlNode *trainer = prefrl_node_lookup(root, "trainer");
    const PrefrlNode *seed = trainer ? prefrl_node_get(trainer, "seed_prefs") : NULL;
    const char *text = seed ? prefrl_node_text(seed) : NULL;
    if (!text || !*text || g_path_is_absolute(text))
        return;
    const char *file;
    int line, col;
    prefrl_node_location(seed, &file, &line, &col);
    char *abs = g_canonicalize_filename(text, NULL);
    prefrl_node_set(trainer, "seed_prefs", prefrl_node_new_scalar(abs, file, line, col));
    g_free(abs);
}

PrefrlNode *prefrl_cli_load_recipe(const char *path, const char *const *overrides,
                                   guint required, GError **error)
{
    PrefrlNode *root = prefrl_recipe_load(path, error);
    if (!root)
        return NULL;
    for (const char *const *o = overrides; o && *o; o++) {
        if (!prefrl_recipe_override(root, *o, error)) {
            prefrl_node_free(root);
            return NULL;
        }
    }
    PrefrlRegistry *reg = prefrl_registry_default();
    if (!prefrl_recipe_resolve(root, reg, &prefrl_run_keys, required, error)) {
        /* a component the recipe names but the registry lacks may be a
         * plugin that failed to load: say why */
        for (int k = 1; k <= PREFRL_N_KINDS; k++)
            if (prefrl_node_get(root, prefrl_kind_name(k)) &&
                !prefrl_recipe_component(root, reg, k)) {
                prefrl_cli_print_failures();
                break;
            }
        prefrl_node_free(root);
        return NULL;
    }
    absolute_seed_prefs(root);
    return root;
}
