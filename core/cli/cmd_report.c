/* `prefrl report DIR... [-o OUT] [--all] [--x steps|labels] [--band std|ci]
 * [--frames [--frame-count N] [--frame-size WxH] [--camera C]]`: figures and
 * tables from run directories (see core/lab/report.h).  With --frames, each
 * group's first seed's saved agent plays one evaluation episode through the
 * player of `prefrl render` (cmd_render.c, cmd_env.c) and N evenly spaced
 * states of it become the group's strip of frames in the report. */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include <prefrl/pbrl.h>

#include "cli.h"
#include "host/recipe.h"
#include "lab/plot.h"
#include "lab/report.h"

static const PrefrlCliUsage report_usage = {
    "report", "DIR...",
    "Learning curves (PNG, SVG) and tables (Markdown, CSV) from run or sweep directories.",
    "DIR is a sweep directory, a run directory, or any directory above runs.  Runs whose\n"
    "status is not 'done' are left out unless --all.  Runs are seeds of one group only\n"
    "when every recipe setting is equal (seed, name, out_dir, threads and other per-run\n"
    "keys aside); a group's label names the keys that set it apart (docs/comparisons.md).\n"
    "--frames adds a strip of frames per group: the final agent of its lowest seed played\n"
    "deterministically as 'prefrl render' does (a run whose env cannot render gets a note)."};

/* The strip's frames: the states planned[0..n-1] of the first episode (evenly
 * spaced over its time limit); an episode that ends sooner shows its last
 * state in the remaining slots. */
typedef struct {
    int n, taken, width, height;
    gint64 *planned;
    guint8 **frames;
    char **captions;
    gint64 index;   /* the state being rendered */
    gboolean last;  /* it ends the episode */
} Strip;

static gboolean strip_want(void *ctx, gint64 episode, gint64 index, gboolean last)
{
    Strip *s = ctx;
    s->index = index;
    s->last = last;
    return episode == 0 && s->taken < s->n && (index == s->planned[s->taken] || last);
}

static gboolean strip_frame(void *ctx, const guint8 *rgb, GError **error)
{
    (void)error;
    Strip *s = ctx;
    gsize size = (gsize)s->width * (gsize)s->height * 3;
    /* several planned states can fall on one (a short episode): each slot gets it */
    do {
        s->frames[s->taken] = g_memdup2(rgb, size);
        s->captions[s->taken] = g_strdup_printf("step %" G_GINT64_FORMAT, s->index);
        s->taken++;
    } while (s->taken < s->n && (s->last || s->planned[s->taken] == s->index));
    return TRUE;
}

/* group i's strip, or a note saying why it has none */
static void group_frames(PrefrlReport *rep, guint i, int n, int width, int height,
                         const char *camera)
{
    const char *dir = prefrl_report_group_first_run(rep, i);
    PrefrlNode *root = NULL;
    PrefrlInstance *env = NULL, *agent = NULL;
    GError *err = NULL;
    if (!prefrl_cli_open_run_agent(dir, &root, &env, &agent, &err)) {
        prefrl_report_set_frames_note(rep, i, err->message);
        g_error_free(err);
        return;
    }
    PrefrlEnvInfo info = {.struct_size = sizeof info};
    ((const PrefrlEnvOps *)prefrl_instance_ops(env))->info(prefrl_instance_self(env), &info);
    Strip s = {.n = n, .width = width, .height = height};
    s.planned = g_new(gint64, n);
    s.frames = g_new0(guint8 *, n);
    s.captions = g_new0(char *, n + 1);
    for (int k = 0; k < n; k++)
        s.planned[k] = n == 1 ? info.episode_length
                              : (gint64)((double)k * info.episode_length / (n - 1) + 0.5);
    const PrefrlCliFrameSink sink = {strip_want, strip_frame, &s};
    if (prefrl_cli_play(env, prefrl_cli_agent_policy, agent, 1, camera, width, height, &sink,
                        &err))
        prefrl_report_set_frames(rep, i, (const guint8 *const *)s.frames,
                                 (const char *const *)s.captions, s.taken, width, height);
    else
        prefrl_report_set_frames_note(rep, i, err->message);
    g_clear_error(&err);
    for (int k = 0; k < n; k++)
        g_free(s.frames[k]);
    g_free(s.frames);
    g_strfreev(s.captions);
    g_free(s.planned);
    prefrl_instance_free(agent);
    prefrl_instance_free(env);
    prefrl_node_free(root);
}

int prefrl_cmd_report(int argc, char **argv)
{
    char *out = NULL, *x = NULL, *band = NULL, *size = NULL, *camera = NULL;
    gboolean all = FALSE, frames = FALSE;
    gint64 n_frames = G_MININT64; /* unset: 6 */
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "where to write (default: DIR/report for one DIR, else ./report)", "OUT"},
        {"all", 0, 0, G_OPTION_ARG_NONE, &all, "include runs whose status is not 'done'", NULL},
        {"x", 0, 0, G_OPTION_ARG_STRING, &x,
         "x axis of the learning curves: steps (default) or labels (the labels given)",
         "steps|labels"},
        {"band", 0, 0, G_OPTION_ARG_STRING, &band,
         "the curves' band: std (± 1 std across seeds, default) or ci (95 % bootstrap CI of "
         "the mean)",
         "std|ci"},
        {"frames", 0, 0, G_OPTION_ARG_NONE, &frames,
         "add a strip of frames of each group's final agent (its lowest seed)", NULL},
        {"frame-count", 0, 0, G_OPTION_ARG_INT64, &n_frames,
         "frames per strip, 1 to 64 (default 6)", "N"},
        {"frame-size", 0, 0, G_OPTION_ARG_STRING, &size, "frame size (default 160x120)",
         "WxH"},
        {"camera", 0, 0, G_OPTION_ARG_STRING, &camera, "camera of the frames (default: the "
         "task's)", "C"},
        G_OPTION_ENTRY_NULL,
    };
    char **dirs;
    int rc = prefrl_cli_parse(&report_usage, entries, argc, argv, &dirs);
    if (rc >= 0)
        return rc;
    char *out_dir = NULL;
    GError *err = NULL;
    PrefrlReport *r = NULL;
    PrefrlReportOptions opt = {0};
    int width = 160, height = 120;
    guint n_dirs = g_strv_length(dirs);
    if (!n_dirs) {
        rc = prefrl_cli_usage_error(&report_usage, "report needs at least one DIR");
        goto out;
    }
    if (x && strcmp(x, "steps") && strcmp(x, "labels")) {
        rc = prefrl_cli_usage_error(&report_usage, "--x takes steps or labels, not '%s'", x);
        goto out;
    }
    if (band && strcmp(band, "std") && strcmp(band, "ci")) {
        rc = prefrl_cli_usage_error(&report_usage, "--band takes std or ci, not '%s'", band);
        goto out;
    }
    if (!frames && (n_frames != G_MININT64 || size || camera)) {
        rc = prefrl_cli_usage_error(&report_usage,
                                    "--frame-count, --frame-size and --camera need --frames");
        goto out;
    }
    if (n_frames == G_MININT64)
        n_frames = 6;
    if (n_frames < 1 || n_frames > 64) {
        rc = prefrl_cli_usage_error(&report_usage, "--frame-count takes 1 to 64");
        goto out;
    }
    if (size && (!prefrl_cli_parse_size(size, &width, &height) || width > 4096 ||
                 height > 4096)) {
        rc = prefrl_cli_usage_error(&report_usage,
                                    "--frame-size takes WxH up to 4096x4096, e.g. 160x120");
        goto out;
    }
    opt.x_labels = x && !strcmp(x, "labels");
    opt.band = band && !strcmp(band, "ci") ? PREFRL_REPORT_BAND_CI : PREFRL_REPORT_BAND_STD;
    out_dir = out ? g_strdup(out)
                  : n_dirs == 1 ? g_build_filename(dirs[0], "report", NULL)
                                : g_strdup("report");
    rc = 0;
    r = prefrl_report_load((const char *const *)dirs, (int)n_dirs, all, &err);
    if (!r) {
        rc = prefrl_cli_fail(err);
        goto out;
    }
    prefrl_report_set_options(r, &opt);
    if (frames)
        for (guint i = 0; i < prefrl_report_n_groups(r); i++)
            group_frames(r, i, (int)n_frames, width, height, camera);
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
    prefrl_plot_release_caches();
out:
    prefrl_report_free(r);
    g_clear_error(&err);
    g_free(out_dir);
    g_free(out);
    g_free(x);
    g_free(band);
    g_free(size);
    g_free(camera);
    g_strfreev(dirs);
    return rc;
}
