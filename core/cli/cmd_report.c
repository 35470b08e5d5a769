/* `prefrl report DIR... [-o OUT] [--all]`: figures and tables from run
 * directories (see core/lab/report.h). */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lab/plot.h"
#include "lab/report.h"

static const PrefrlCliUsage report_usage = {
    "report", "DIR...",
    "Learning curves (PNG, SVG) and tables (Markdown, CSV) from run or sweep directories.",
    "DIR is a sweep directory, a run directory, or any directory above runs.  Runs whose\n"
    "status is not 'done' are left out unless --all."};

int prefrl_cmd_report(int argc, char **argv)
{
    char *out = NULL;
    gboolean all = FALSE;
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "where to write (default: DIR/report for one DIR, else ./report)", "OUT"},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "include runs whose status is not 'done'", NULL},
        G_OPTION_ENTRY_NULL,
    };
    char **dirs;
    int rc = prefrl_cli_parse(&report_usage, entries, argc, argv, &dirs);
    if (rc >= 0)
        return rc;
    guint n_dirs = g_strv_length(dirs);
    if (!n_dirs) {
        g_strfreev(dirs);
        g_free(out);
        return prefrl_cli_usage_error(&report_usage, "report needs at least one DIR");
    }
    char *out_dir = out ? g_strdup(out)
                        : n_dirs == 1 ? g_build_filename(dirs[0], "report", NULL)
                                      : g_strdup("report");
    GError *err = NULL;
    rc = 0;
    PrefrlReport *r = prefrl_report_load((const char *const *)dirs, (int)n_dirs, all, &err);
    if (!r) {
        rc = prefrl_cli_fail(err);
        goto out;
    }
    const GPtrArray *w = prefrl_report_warnings(r);
    for (guint i = 0; i < w->len; i++)
        fprintf(stderr, "prefrl report: note: %s\n", (const char *)w->pdata[i]);
    GPtrArray *written = g_ptr_array_new_with_free_func(g_free);
    if (!prefrl_report_write(r, out_dir, written, &err)) {
        rc = prefrl_cli_fail(err);
    } else {
        char *md = prefrl_report_summary_markdown(r);
        printf("%u runs\n\n%s\nwrote in %s:", prefrl_report_n_runs(r), md, out_dir);
        for (guint i = 0; i < written->len; i++)
            printf(" %s", (const char *)written->pdata[i]);
        printf("\n");
        g_free(md);
    }
    g_ptr_array_unref(written);
    prefrl_report_free(r);
    prefrl_plot_release_caches();
out:
    g_clear_error(&err);
    g_free(out_dir);
    g_free(out);
    g_strfreev(dirs);
    return rc;
}
