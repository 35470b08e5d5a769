/* `prefrl report DIR... [-o OUT] [--all]`: figures and tables from run
 * directories (see core/report.h). */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lab/plot.h"
#include "lab/report.h"

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "prefrl: error: %s\n", msg);
    fprintf(stderr, "usage: prefrl report DIR... [-o OUT] [--all]\n"
                    "  DIR       a sweep directory, a run directory, or any directory above "
                    "runs\n"
                    "  -o OUT    where to write (default: DIR/report for one DIR, else "
                    "./report)\n"
                    "  --all     include runs whose status is not 'done'\n");
    return 2;
}

int prefrl_cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    gboolean all = FALSE;
    GPtrArray *dirs = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--all")) {
            all = TRUE;
        } else if (argv[i][0] == '-') {
            g_ptr_array_unref(dirs);
            return usage("unknown option for report");
        } else {
            g_ptr_array_add(dirs, argv[i]);
        }
    }
    if (!dirs->len) {
        g_ptr_array_unref(dirs);
        return usage(NULL);
    }
    char *out_dir = out ? g_strdup(out)
                        : dirs->len == 1 ? g_build_filename(dirs->pdata[0], "report", NULL)
                                         : g_strdup("report");
    GError *err = NULL;
    int rc = 0;
    PrefrlReport *r = prefrl_report_load((const char *const *)dirs->pdata, (int)dirs->len, all,
                                         &err);
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
    g_ptr_array_unref(dirs);
    return rc;
}
