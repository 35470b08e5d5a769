/* Sweeps and reports: grid expansion and its errors (with locations), the
 * `prefrl sweep` program end to end on the fixture task (no repeated work,
 * restarts, a failing cell, Ctrl-C), and `prefrl report`'s numbers and
 * figures checked against the runs' own CSV files. */
#include "config.h"
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cairo.h>
#include <glib/gstdio.h>

#include "cli_test.h"
#include "files_test.h"
#include "report_test.h"
#include "host/registry.h"
#include "lab/sweep.h"
#include "pbrl/rundir.h"
#include "check_run.h"

#define SWEEPS TEST_SRCDIR "/core/lab/sweeps"
#define WORK TEST_BUILDDIR "/sweep-work"
#define PRG CLI_TEST_PRG

/* ---- helpers ------------------------------------------------------------------------- */

static char *status_of(const char *sweep, const char *cell)
{
    char *dir = g_build_filename(sweep, cell, NULL);
    char *path = g_build_filename(dir, "status", NULL), *s = NULL;
    if (!g_file_get_contents(path, &s, NULL, NULL))
        s = g_strdup("(none)");
    g_free(path);
    g_free(dir);
    char *nl = strchr(s, '\n');
    if (nl && nl[1])
        nl[1] = '\0'; /* the state; a failed run's reason is on the next line */
    return g_strstrip(s);
}

/* modification time of cell/file in ns (0 when absent) */
static gint64 mtime_ns(const char *sweep, const char *cell, const char *file)
{
    char *path = g_build_filename(sweep, cell, file, NULL);
    struct stat st;
    gint64 t = stat(path, &st) == 0 ? (gint64)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec
                                    : 0;
    g_free(path);
    return t;
}

static PrefrlRegistry *registry(void)
{
    return prefrl_registry_default(); /* PREFRL_PLUGIN_PATH: the fixture plugin first */
}

/* ---- grids --------------------------------------------------------------------------- */

START_TEST(test_grid_cells)
{
    GError *err = NULL;
    PrefrlGrid *g = prefrl_grid_load(SWEEPS "/grid.yaml", NULL, NULL, registry(), &err);
    ck_assert_msg(g != NULL, "%s", err ? err->message : "");
    ck_assert_str_eq(prefrl_grid_sweep_dir(g), "runs/grid"); /* from the file name */
    ck_assert_uint_eq(prefrl_grid_n_cells(g), 4);
    const char *names[] = {"pebble-seed1", "pebble-seed2", "true-seed1", "true-seed2"};
    const char *recipes[] = {"pebble.yaml", "pebble.yaml", "true.yaml", "true.yaml"};
    for (guint i = 0; i < 4; i++) {
        const PrefrlGridCell *c = prefrl_grid_cell(g, i);
        ck_assert_str_eq(c->name, names[i]);
        ck_assert_msg(g_str_has_suffix(c->recipe, recipes[i]), "%s", c->recipe);
        /* the template axis picks the recipe and is no override */
        ck_assert_uint_eq(c->overrides->len, 3);
        char *seed = g_strdup_printf("seed=%u", i % 2 + 1);
        ck_assert_str_eq(c->overrides->pdata[0], seed);
        g_free(seed);
        ck_assert_str_eq(c->overrides->pdata[1], "out_dir=runs/grid");
        char *name = g_strdup_printf("name=%s", names[i]);
        ck_assert_str_eq(c->overrides->pdata[2], name);
        g_free(name);
        ck_assert_int_eq(prefrl_param_int(c->resolved, "seed"), i % 2 + 1);
        const char *reward = prefrl_node_text(
            prefrl_node_get(prefrl_node_get(c->resolved, "reward"), "name"));
        ck_assert_str_eq(reward, i < 2 ? "pebble" : "true");
        /* resolved: defaults written out */
        ck_assert(prefrl_node_get(prefrl_node_get(c->resolved, "trainer"), "topK") != NULL);
    }
    char *cmd = prefrl_grid_cell_command(g, 0, "prefrl");
    ck_assert_msg(g_str_has_prefix(cmd, "prefrl run ") &&
                      g_str_has_suffix(cmd, "/pebble.yaml seed=1 out_dir=runs/grid "
                                            "name=pebble-seed1"),
                  "%s", cmd);
    g_free(cmd);
    prefrl_grid_free(g);

    /* --dir replaces the grid's directory */
    g = prefrl_grid_load(SWEEPS "/grid.yaml", "/tmp/elsewhere", NULL, registry(), &err);
    ck_assert(g != NULL);
    ck_assert_str_eq(prefrl_grid_sweep_dir(g), "/tmp/elsewhere");
    ck_assert_str_eq(prefrl_grid_cell(g, 3)->overrides->pdata[1], "out_dir=/tmp/elsewhere");
    prefrl_grid_free(g);
}
END_TEST

/* write `text` as WORK/<file> and load it as a grid */
static PrefrlGrid *grid_text(const char *file, const char *text, GError **err)
{
    g_mkdir_with_parents(WORK, 0755);
    char *path = g_build_filename(WORK, file, NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
    PrefrlGrid *g = prefrl_grid_load(path, WORK "/unused", NULL, registry(), err);
    g_free(path);
    return g;
}

START_TEST(test_grid_values)
{
    GError *err = NULL;
    PrefrlGrid *g = grid_text("values.yaml",
                              "recipe: " SWEEPS "/pebble.yaml\n"
                              "sweep_dir: somewhere\n"
                              "set:\n"
                              "  trainer:\n"
                              "    num_train_steps: 300\n"
                              "  reward.lr: 0.001\n"
                              "axes:\n"
                              "  seed: [3..5, 9]\n"
                              "  env.reward_offset: 0.5\n"
                              "  sampler.name: [uniform]\n",
                              &err);
    ck_assert_msg(g != NULL, "%s", err ? err->message : "");
    ck_assert_uint_eq(prefrl_grid_n_cells(g), 4);
    const gint64 seeds[] = {3, 4, 5, 9};
    for (guint i = 0; i < 4; i++) {
        const PrefrlGridCell *c = prefrl_grid_cell(g, i);
        char *name = g_strdup_printf("seed%" G_GINT64_FORMAT "-reward_offset0.5-uniform",
                                     seeds[i]);
        ck_assert_str_eq(c->name, name);
        g_free(name);
        ck_assert_int_eq(prefrl_param_int(c->resolved, "seed"), seeds[i]);
        ck_assert_int_eq(prefrl_param_int(prefrl_node_get(c->resolved, "trainer"),
                                          "num_train_steps"), 300);
        ck_assert_double_eq_tol(prefrl_param_float(prefrl_node_get(c->resolved, "reward"),
                                                   "lr"), 0.001, 1e-12);
        ck_assert_str_eq(c->overrides->pdata[0], "trainer.num_train_steps=300");
        ck_assert_str_eq(c->overrides->pdata[1], "reward.lr=0.001");
    }
    ck_assert_str_eq(prefrl_grid_sweep_dir(g), WORK "/unused");
    prefrl_grid_free(g);

    /* zipped axes set keys together; a template variable may be one of them */
    g = grid_text("zipped.yaml",
                  "recipe: '" SWEEPS "/{method}.yaml'\n"
                  "axes:\n"
                  "  method, trainer.max_feedback: [[pebble, 20], [\"true\", 40]]\n"
                  "  trainer.reward_batch,trainer.segment: [[5, 10], [10, 5]]\n",
                  &err);
    ck_assert_msg(g != NULL, "%s", err ? err->message : "");
    ck_assert_uint_eq(prefrl_grid_n_cells(g), 4);
    const PrefrlGridCell *z = prefrl_grid_cell(g, 1);
    ck_assert_str_eq(z->name, "pebble-max_feedback20-reward_batch10-segment5");
    ck_assert(g_str_has_suffix(z->recipe, "/pebble.yaml"));
    ck_assert_str_eq(z->overrides->pdata[0], "trainer.max_feedback=20");
    ck_assert_str_eq(z->overrides->pdata[1], "trainer.reward_batch=10");
    ck_assert_str_eq(z->overrides->pdata[2], "trainer.segment=5");
    ck_assert_int_eq(prefrl_param_int(prefrl_node_get(z->resolved, "trainer"), "segment"), 5);
    ck_assert(g_str_has_suffix(prefrl_grid_cell(g, 2)->recipe, "/true.yaml"));
    prefrl_grid_free(g);

    /* names collide when joined values coincide: every part then gets its key */
    const char *files[] = {"p-q-r.yaml", "p-r.yaml", "p-q-q-r.yaml"};
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        char *path = g_build_filename(WORK, files[i], NULL);
        ck_assert(g_file_set_contents(path, "defaults: " SWEEPS "/pebble.yaml\n", -1, NULL));
        g_free(path);
    }
    g = grid_text("collide.yaml",
                  "recipe: '{a}-{b}.yaml'\n"
                  "axes:\n"
                  "  a: [p, p-q]\n"
                  "  b: [q-r, r]\n",
                  &err);
    ck_assert_msg(g != NULL, "%s", err ? err->message : "");
    const char *names[] = {"a_p-b_q-r", "a_p-b_r", "a_p-q-b_q-r", "a_p-q-b_r"};
    for (guint i = 0; i < 4; i++)
        ck_assert_str_eq(prefrl_grid_cell(g, i)->name, names[i]);
    ck_assert(g_str_has_suffix(prefrl_grid_cell(g, 3)->recipe, "/p-q-r.yaml"));
    prefrl_grid_free(g);
}
END_TEST

typedef struct {
    const char *text, *expect;
} BadGrid;

START_TEST(test_grid_errors)
{
    static const BadGrid bad[] = {
        /* unknown key path: the axis key's location and the component's keys */
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  reward.hidden_dm: [32]\n",
         "cell hidden_dm32: " WORK "/bad.yaml:3:3: unknown key 'hidden_dm' in reward/pebble; "
         "did you mean 'hidden_dim'?"},
        /* bad value: the value's own location */
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: [1]\n  trainer.max_feedback: [10, -5]\n",
         WORK "/bad.yaml:4:30: trainer.max_feedback: "},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  sampler.name: [uniform, bogus]\n",
         WORK "/bad.yaml:3:27: unknown sampler 'bogus'"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: [5..1]\n",
         WORK "/bad.yaml:3:10: empty range '5..1'"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: [x1..3]\n",
         WORK "/bad.yaml:3:10: 'x1..3' is not an integer range"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: [1, 1]\n",
         WORK "/bad.yaml:3:13: axis 'seed' lists '1' twice"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: []\n",
         WORK "/bad.yaml:3:3: axis 'seed' has no values"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed: [[1, 2]]\n",
         WORK "/bad.yaml:3:10: axis values must be single values"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed,trainer.segment: [[1, 5], [2]]\n",
         WORK "/bad.yaml:3:34: axis 'seed,trainer.segment' sets 2 keys together: each value is "
         "a list of 2 values"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  seed,: [[1, 5]]\n",
         WORK "/bad.yaml:3:3: empty key in axis 'seed,'"},
        {"recipe: " SWEEPS "/pebble.yaml\naxis:\n  seed: [1]\n",
         WORK "/bad.yaml:2:1: unknown grid key 'axis'; did you mean 'axes'?"},
        {"axes:\n  seed: [1]\n", WORK "/bad.yaml:1:1: a grid needs 'recipe: BASE.yaml'"},
        {"recipe: nowhere.yaml\naxes:\n  seed: [1]\n",
         WORK "/bad.yaml:1:9: base recipe 'nowhere.yaml' not found"},
        {"recipe: '" SWEEPS "/{methd}.yaml'\naxes:\n  method: [pebble]\n",
         "uses {methd} but no axis is named 'methd'; did you mean 'method'?"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  name: [x]\n",
         WORK "/bad.yaml:3:3: a sweep sets 'name' of each cell itself"},
        {"recipe: " SWEEPS "/pebble.yaml\nset:\n  out_dir: x\n",
         WORK "/bad.yaml:3:3: a sweep sets 'out_dir' of each cell itself"},
        {"recipe: " SWEEPS "/pebble.yaml\nset:\n  seed: 3\naxes:\n  seed: [1]\n",
         WORK "/bad.yaml:5:3: 'seed' is both an axis and in set:"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  env.task.x: [a]\n",
         "'env.task.x': 'task' is a value in the base recipe (" SWEEPS "/common.yaml:15:3), "
         "not a section"},
        {"recipe: " SWEEPS "/pebble.yaml\naxes:\n  reward..name: [a]\n",
         WORK "/bad.yaml:3:3: empty part in key path 'reward..name'"},
        /* only the trainer knows that a learned reward needs a sampler */
        {"recipe: " SWEEPS "/true.yaml\naxes:\n  reward.name: [pebble]\n",
         "cell pebble: " SWEEPS "/true.yaml: a reward learned from preferences needs a "
         "'sampler:' section"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        PrefrlGrid *g = grid_text("bad.yaml", bad[i].text, &err);
        ck_assert_msg(g == NULL, "grid %u loaded:\n%s", i, bad[i].text);
        ck_assert_msg(strstr(err->message, bad[i].expect) != NULL,
                      "grid %u:\n%s\nexpected '%s' in:\n%s", i, bad[i].text, bad[i].expect,
                      err->message);
        g_error_free(err);
    }
    /* the program prints it and runs nothing */
    char *dir = test_fresh_path(WORK, "bad-run");
    CliTestResult r = cli_test_prefrl("sweep", WORK "/bad.yaml", "--dir", dir, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "prefrl: error: cell pebble: ") != NULL, "%s", r.err);
    ck_assert(!g_file_test(dir, G_FILE_TEST_EXISTS));
    cli_test_result_clear(&r);
    g_free(dir);
}
END_TEST

/* ---- sweeps end to end ---------------------------------------------------------------- */

static const char *const CELLS[] = {"pebble-seed1", "pebble-seed2", "true-seed1", "true-seed2"};

/* the row of summary.csv for `method`, after checking the header */
static char **summary_row(const char *csv, const char *method)
{
    ck_assert_msg(g_str_has_prefix(csv, "task,method,reward,agent,sampler,teacher,max_feedback,"
                                        "metric,n,seeds,final_mean,final_std,auc_mean,auc_std,"
                                        "q_metric,q_mean,q_std,q_n,settings,labels_given_min,"
                                        "labels_given_max\n"),
                  "%s", csv);
    return report_test_row(csv, method);
}

static void check_png(const char *path)
{
    char *data = NULL;
    gsize len = 0;
    ck_assert_msg(g_file_get_contents(path, &data, &len, NULL), "missing %s", path);
    ck_assert_msg(len > 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8), "%s: no PNG signature", path);
    g_free(data);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    ck_assert_msg(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS, "%s: %s", path,
                  cairo_status_to_string(cairo_surface_status(s)));
    ck_assert_int_gt(cairo_image_surface_get_width(s), 300);
    ck_assert_int_gt(cairo_image_surface_get_height(s), 200);
    /* something was drawn: not every pixel is the background */
    cairo_surface_flush(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s), h = cairo_image_surface_get_height(s);
    gboolean ink = FALSE;
    for (int i = 0; i < stride * h && !ink; i++)
        ink = px[i] != px[0];
    ck_assert_msg(ink, "%s is blank", path);
    cairo_surface_destroy(s);
}

typedef struct {
    char *root;
    int elements;
} SvgSeen;

static void svg_start(GMarkupParseContext *ctx, const char *name, const char **an,
                      const char **av, gpointer data, GError **error)
{
    SvgSeen *s = data;
    if (!s->root)
        s->root = g_strdup(name);
    s->elements++;
}

static void check_svg(const char *path)
{
    char *text = NULL;
    gsize len = 0;
    ck_assert_msg(g_file_get_contents(path, &text, &len, NULL), "missing %s", path);
    ck_assert(g_str_has_prefix(text, "<?xml"));
    GMarkupParser parser = {.start_element = svg_start};
    SvgSeen seen = {0};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &seen, NULL);
    GError *err = NULL;
    gboolean ok = g_markup_parse_context_parse(ctx, text, (gssize)len, &err) &&
                  g_markup_parse_context_end_parse(ctx, &err);
    ck_assert_msg(ok, "%s is not well-formed XML: %s", path, err ? err->message : "");
    ck_assert_str_eq(seen.root, "svg");
    ck_assert_int_gt(seen.elements, 20);
    g_markup_parse_context_free(ctx);
    g_free(seen.root);
    g_free(text);
}

START_TEST(test_sweep_and_report)
{
    char *dir = test_fresh_path(WORK, "e2e");
    CliTestResult r = cli_test_prefrl("sweep", SWEEPS "/grid.yaml", "--dir", dir, "-j", "2", NULL);
    ck_assert_msg(r.status == 0, "status %d\n%s\n%s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "4 cells, 0 already done, 4 to run, 2 at a time"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "4/4 done, 0 running, 0 failed, 0 remaining"), "%s", r.err);
    ck_assert_msg(strstr(r.out, "all 4 cells done (4 by this run)"), "%s", r.out);
    cli_test_result_clear(&r);
    gint64 t[4];
    for (int i = 0; i < 4; i++) {
        char *st = status_of(dir, CELLS[i]);
        ck_assert_str_eq(st, "done");
        g_free(st);
        t[i] = mtime_ns(dir, CELLS[i], "eval.csv");
        ck_assert(t[i] > 0);
    }
    /* the program named out_dir and name per cell */
    char *cell0 = g_build_filename(dir, CELLS[0], NULL);
    char *cfg = test_slurp(cell0, "config.yaml");
    ck_assert_msg(strstr(cfg, "\nname: pebble-seed1\n") && strstr(cfg, "\nseed: 1\n"), "%s", cfg);
    g_free(cfg);
    g_free(cell0);

    /* a second run does no work */
    r = cli_test_prefrl("sweep", SWEEPS "/grid.yaml", "--dir", dir, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.err, "4 cells, 4 already done, 0 to run"), "%s", r.err);
    ck_assert_msg(strstr(r.out, "(0 by this run)"), "%s", r.out);
    cli_test_result_clear(&r);
    for (int i = 0; i < 4; i++)
        ck_assert(mtime_ns(dir, CELLS[i], "eval.csv") == t[i]);

    /* the report's numbers are the runs' own */
    char *out = g_build_filename(dir, "report", NULL);
    r = cli_test_prefrl("report", dir, NULL); /* default -o: DIR/report */
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "| fixture_reach | 40 | pebble | 2 |"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "| fixture_reach | – | true (agent sac) | 2 |"), "%s", r.out);
    cli_test_result_clear(&r);
    char *csv = test_slurp(out, "summary.csv");
    const char *methods[] = {"pebble", "true (agent sac)"};
    for (int m = 0; m < 2; m++) {
        double fin[2], auc[2], q[2], q_area_unused;
        for (int s = 0; s < 2; s++) {
            char *run = g_build_filename(dir, CELLS[2 * m + s], NULL);
            report_test_eval_stats(run, "true_episode_reward", &fin[s], &auc[s]);
            report_test_eval_stats(run, "q_nmse", &q[s], &q_area_unused);
            g_free(run);
        }
        char **row = summary_row(csv, methods[m]);
        ck_assert_str_eq(row[0], "fixture_reach");
        ck_assert_str_eq(row[2], m == 0 ? "pebble" : "true");
        ck_assert_str_eq(row[3], "sac");
        ck_assert_str_eq(row[4], m == 0 ? "disagreement" : ""); /* no labels, no sampler */
        ck_assert_str_eq(row[6], m == 0 ? "40" : "");
        ck_assert_str_eq(row[7], "true_episode_reward");
        ck_assert_str_eq(row[8], "2");
        ck_assert_str_eq(row[9], "1 2");
        /* mean and sample standard deviation of two values */
        report_test_assert_two_seeds(row, 10, fin[0], fin[1], "final");
        report_test_assert_two_seeds(row, 12, auc[0], auc[1], "auc");
        /* the scale-free Q diagnostic: these runs logged it */
        ck_assert_str_eq(row[14], "q_nmse");
        report_test_assert_two_seeds(row, 15, q[0], q[1], "q_nmse");
        g_strfreev(row);
    }
    g_free(csv);
    char *qmd = test_slurp(out, "q_accuracy.md");
    ck_assert_msg(g_str_has_prefix(qmd, "| task | labels | pebble | true (agent sac) |\n"), "%s",
                  qmd);
    g_free(qmd);
    char *md = test_slurp(out, "report.md");
    ck_assert(strstr(md, "![learning curves](curves.png)") != NULL);
    ck_assert(strstr(md, "Q-function accuracy") != NULL);
    ck_assert(strstr(md, "budget.png") == NULL); /* one budget: no budget figure */
    g_free(md);
    char *png = g_build_filename(out, "curves.png", NULL),
         *svg = g_build_filename(out, "curves.svg", NULL);
    check_png(png);
    check_svg(svg);
    g_free(png);
    g_free(svg);
    char *budget = g_build_filename(out, "budget.png", NULL);
    ck_assert(!g_file_test(budget, G_FILE_TEST_EXISTS));
    g_free(budget);

    /* an unfinished cell: the report leaves it out (note), the sweep reruns only it */
    char *c3 = g_build_filename(dir, CELLS[3], "status", NULL);
    ck_assert(g_file_set_contents(c3, "interrupted\n", -1, NULL));
    r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.err, "true-seed2: status 'interrupted'"), "%s", r.err);
    ck_assert_msg(strstr(r.out, "| fixture_reach | – | true (agent sac) | 1 |"), "%s", r.out);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("report", dir, "-o", out, "--all", NULL);
    ck_assert_msg(strstr(r.out, "| fixture_reach | – | true (agent sac) | 2 |"), "%s", r.out);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("sweep", SWEEPS "/grid.yaml", "--dir", dir, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.err, "4 cells, 3 already done, 1 to run"), "%s", r.err);
    cli_test_result_clear(&r);
    char *st = status_of(dir, CELLS[3]);
    ck_assert_str_eq(st, "done");
    g_free(st);
    for (int i = 0; i < 3; i++)
        ck_assert(mtime_ns(dir, CELLS[i], "eval.csv") == t[i]);
    /* it was resumed (its outputs were complete: none is cut or rewritten) */
    char *c3dir = g_build_filename(dir, CELLS[3], NULL);
    char *c3log = test_slurp(c3dir, "log.txt");
    ck_assert_msg(strstr(c3log, "resumed from") != NULL, "%s", c3log);
    ck_assert(mtime_ns(dir, CELLS[3], "eval.csv") == t[3]);
    g_free(c3log);
    g_free(c3dir);
    g_free(c3);
    g_free(out);
    g_free(dir);
}
END_TEST

START_TEST(test_failing_cell)
{
    char *dir = test_fresh_path(WORK, "fail");
    CliTestResult r = cli_test_prefrl("sweep", SWEEPS "/fail.yaml", "--dir", dir, "-j", "2", NULL);
    ck_assert_msg(r.status == 1, "status %d\n%s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "cell reward_offset1000 failed (exit status 1); its stderr ends:\n"
                                "    prefrl: error: probe: batch reward 1000 exceeds 100"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, "1 of 2 cells failed"), "%s", r.err);
    cli_test_result_clear(&r);
    char *ok = status_of(dir, "reward_offset0"), *bad = status_of(dir, "reward_offset1000");
    ck_assert_str_eq(ok, "done");
    ck_assert_str_eq(bad, "failed");
    char *cell = g_build_filename(dir, "reward_offset1000", NULL);
    char *why = test_slurp(cell, "status");
    ck_assert_str_eq(why, "failed\nprobe: batch reward 1000 exceeds 100 at step 0\n");
    g_free(why);
    char *err = test_slurp(cell, "stderr.txt");
    ck_assert_msg(strstr(err, "exceeds 100") != NULL, "%s", err);
    /* run again: only the failed cell is retried (and fails again) */
    r = cli_test_prefrl("sweep", SWEEPS "/fail.yaml", "--dir", dir, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "2 cells, 1 already done, 1 to run"), "%s", r.err);
    cli_test_result_clear(&r);
    g_free(err);
    g_free(cell);
    g_free(ok);
    g_free(bad);
    g_free(dir);
}
END_TEST

START_TEST(test_budget_report)
{
    char *dir = test_fresh_path(WORK, "budgets");
    CliTestResult r = cli_test_prefrl("sweep", SWEEPS "/budgets.yaml", "--dir", dir, "-j2", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *out = g_build_filename(dir, "out", NULL);
    r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "| fixture_reach | 20 | pebble | 2 |") &&
                      strstr(r.out, "| fixture_reach | 40 | pebble | 2 |"),
                  "%s", r.out);
    cli_test_result_clear(&r);
    char *png = g_build_filename(out, "budget.png", NULL),
         *svg = g_build_filename(out, "budget.svg", NULL);
    check_png(png);
    check_svg(svg);
    char *md = test_slurp(out, "report.md");
    ck_assert(strstr(md, "![final performance against label budget](budget.png)") != NULL);
    g_free(md);
    g_free(png);
    g_free(svg);
    g_free(out);
    g_free(dir);
}
END_TEST

START_TEST(test_report_errors)
{
    char *dir = test_fresh_path(WORK, "empty");
    g_mkdir_with_parents(dir, 0755);
    CliTestResult r = cli_test_prefrl("report", dir, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "no run directories"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("report", WORK "/does-not-exist", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "does-not-exist: not a directory"), "%s", r.err);
    cli_test_result_clear(&r);
    /* a run with a damaged eval.csv is left out with a note naming the line */
    char *run = g_build_filename(dir, "broken", NULL);
    g_mkdir_with_parents(run, 0755);
    char *p = g_build_filename(run, "config.yaml", NULL);
    ck_assert(g_file_set_contents(p, "seed: 1\nenv:\n  task: t\nreward:\n  name: pebble\n", -1,
                                  NULL));
    g_free(p);
    p = g_build_filename(run, "status", NULL);
    ck_assert(g_file_set_contents(p, "done\n", -1, NULL));
    g_free(p);
    p = g_build_filename(run, "eval.csv", NULL);
    ck_assert(g_file_set_contents(p, "step,true_episode_reward\n100,1.5\n200,oops\n", -1, NULL));
    g_free(p);
    r = cli_test_prefrl("report", dir, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "eval.csv:3: column 'true_episode_reward': 'oops' is not a "
                                "number"),
                  "%s", r.err);
    cli_test_result_clear(&r);
    g_free(run);
    g_free(dir);
}
END_TEST

/* a fake finished run: config, status and eval.csv */
static void fake_run(const char *dir, const char *name, int seed, const char *eval)
{
    char *run = g_build_filename(dir, name, NULL);
    g_mkdir_with_parents(run, 0755);
    char *cfg = g_strdup_printf("seed: %d\nenv:\n  task: t\nreward:\n  name: pebble\n", seed);
    const char *files[][2] = {{"config.yaml", cfg}, {"status", "done\n"}, {"eval.csv", eval}};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        char *p = g_build_filename(run, files[i][0], NULL);
        ck_assert(g_file_set_contents(p, files[i][1], -1, NULL));
        g_free(p);
    }
    g_free(cfg);
    g_free(run);
}

/* Table 1 uses the scale-free q_nmse when every run logged it, else q_mse */
START_TEST(test_report_q_metric)
{
    char *dir = test_fresh_path(WORK, "qmetric");
    fake_run(dir, "a", 1, "step,true_episode_reward,q_mse,q_nmse\n100,1,10,0.5\n200,2,20,0.4\n");
    fake_run(dir, "b", 2, "step,true_episode_reward,q_mse\n100,1,30\n200,3,40\n");
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *csv = test_slurp(out, "summary.csv");
    char **row = summary_row(csv, "pebble (agent none)");
    ck_assert_str_eq(row[14], "q_mse");
    report_test_assert_close(g_ascii_strtod(row[15], NULL), 30.0, "q_mse mean");
    report_test_assert_close(g_ascii_strtod(row[16], NULL), sqrt(200.0), "q_mse std");
    g_strfreev(row);
    g_free(csv);
    char *md = test_slurp(out, "report.md");
    ck_assert(strstr(md, "predate the scale-free q_nmse") != NULL);
    g_free(md);

    fake_run(dir, "b", 2, "step,true_episode_reward,q_mse,q_nmse\n100,1,30,1\n200,3,40,0.6\n");
    r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    csv = test_slurp(out, "summary.csv");
    row = summary_row(csv, "pebble (agent none)");
    ck_assert_str_eq(row[14], "q_nmse");
    report_test_assert_close(g_ascii_strtod(row[15], NULL), 0.5, "q_nmse mean");
    g_strfreev(row);
    g_free(csv);
    char *q = test_slurp(out, "q_accuracy.csv");
    ck_assert_msg(g_str_has_prefix(q, "task,max_feedback,method,n,q_nmse_mean,q_nmse_std,n_true,"
                                      "q_nmse_true_mean,q_nmse_true_std\n"),
                  "%s", q);
    /* no run logged the true-value target: its columns are empty, no second table */
    ck_assert_msg(strstr(q, ",2,0.5,") && g_str_has_suffix(q, ",0,,\n"), "%s", q);
    g_free(q);
    char *qmd = test_slurp(out, "q_accuracy.md");
    ck_assert(strstr(qmd, "Against the true value") == NULL);
    g_free(qmd);

    /* runs that logged it: a second table, its mean and std from the runs' last rows */
    fake_run(dir, "a", 1, "step,true_episode_reward,q_mse,q_nmse,q_mse_true,q_nmse_true\n"
                          "100,1,10,0.5,9,0.3\n200,2,20,0.4,19,0.2\n");
    fake_run(dir, "b", 2, "step,true_episode_reward,q_mse,q_nmse,q_mse_true,q_nmse_true\n"
                          "100,1,30,1,29,0.8\n200,3,40,0.6,39,0.4\n");
    r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    q = test_slurp(out, "q_accuracy.csv");
    char **lines = g_strsplit(q, "\n", -1);
    char **f = g_strsplit(lines[1], ",", -1);
    ck_assert_int_eq(g_strv_length(f), 9);
    report_test_assert_close(g_ascii_strtod(f[4], NULL), 0.5, "q_nmse mean");
    ck_assert_str_eq(f[6], "2");
    report_test_assert_close(g_ascii_strtod(f[7], NULL), 0.3, "q_nmse_true mean");
    report_test_assert_close(g_ascii_strtod(f[8], NULL), sqrt(0.02), "q_nmse_true std");
    g_strfreev(f);
    g_strfreev(lines);
    g_free(q);
    qmd = test_slurp(out, "q_accuracy.md");
    ck_assert_msg(strstr(qmd, "Against the true value") && strstr(qmd, "0.3 ± 0.14"), "%s", qmd);
    g_free(qmd);
    md = test_slurp(out, "report.md");
    ck_assert(strstr(md, "Against the true value") != NULL);
    g_free(md);
    g_free(out);
    g_free(dir);
}
END_TEST

/* a task run on another scene than the default (Meta-world's env.scene:
 * original) is its own row, named with the scene; the default scene's keeps
 * the task's name */
START_TEST(test_report_scene)
{
    char *dir = test_fresh_path(WORK, "scene");
    fake_run(dir, "a", 1, "step,true_episode_reward\n100,1\n200,2\n");
    fake_run(dir, "b", 1, "step,true_episode_reward\n100,5\n200,6\n");
    char *cfg = g_build_filename(dir, "b", "config.yaml", NULL);
    ck_assert(g_file_set_contents(cfg, "seed: 1\nenv:\n  task: t\n  scene: original\n"
                                       "reward:\n  name: pebble\n", -1, NULL));
    char *out = g_build_filename(dir, "out", NULL);
    CliTestResult r = cli_test_prefrl("report", dir, "-o", out, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *md = test_slurp(out, "summary.md");
    ck_assert_msg(strstr(md, "| t (original scene) | – | pebble (agent none) | 1 | 6") != NULL &&
                  strstr(md, "| t | – | pebble (agent none) | 1 | 2") != NULL, "%s", md);
    g_free(md);
    g_free(out);
    g_free(cfg);
    g_free(dir);
}
END_TEST

/* prefrl evaluate: a run's saved agent over fresh episodes, as CSV */
START_TEST(test_evaluate)
{
    char *dir = test_fresh_path(WORK, "evaluate");
    char *out_dir = g_strdup_printf("out_dir=%s", dir);
    CliTestResult r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=one", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *run = g_build_filename(dir, "one", NULL);
    r = cli_test_prefrl("evaluate", run, "--episodes", "4", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    gchar **lines = g_strsplit(r.out, "\n", -1);
    ck_assert_str_eq(lines[0],
                     "run,episodes,return,success_rate,q_mse,q_nmse,q_mse_true,q_nmse_true");
    gchar **f = g_strsplit(lines[1], ",", -1);
    ck_assert_str_eq(f[0], run);
    ck_assert_str_eq(f[1], "4");
    double ret = g_ascii_strtod(f[2], NULL), mse = g_ascii_strtod(f[4], NULL),
           nmse = g_ascii_strtod(f[5], NULL);
    /* fixture_reach: reward in [0, 1] per step over 50 steps */
    ck_assert(ret >= 0 && ret <= 50);
    ck_assert(mse >= 0 && nmse >= 0 && nmse <= 4);
    /* the true-value target: the fixture follows episodes past their limit */
    double mse_true = g_ascii_strtod(f[6], NULL), nmse_true = g_ascii_strtod(f[7], NULL);
    ck_assert(mse_true >= 0 && nmse_true >= 0 && nmse_true <= 4 && mse_true != mse);
    g_strfreev(f);
    g_strfreev(lines);
    cli_test_result_clear(&r);
    /* no checkpoint, no run directory */
    char *ckpt = g_build_filename(run, "checkpoint", NULL);
    ck_assert(prefrl_remove_tree(ckpt));
    r = cli_test_prefrl("evaluate", run, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "checkpoint/agent.bin"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("evaluate", dir, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "is not a run directory (no config.yaml)"), "%s", r.err);
    cli_test_result_clear(&r);
    g_free(ckpt);
    g_free(run);
    g_free(out_dir);
    g_free(dir);
}
END_TEST

/* `prefrl sweep long.yaml -j 2` in the background, returned once its first
 * two cells (seed1, seed2) are inside their training loop */
static GPid start_long_sweep(const char *dir)
{
    char *argv[] = {PRG, "sweep", SWEEPS "/long.yaml", "--dir", (char *)dir, "-j", "2", NULL};
    GPid pid;
    GError *err = NULL;
    ck_assert_msg(g_spawn_async(NULL, argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &err),
                  "%s", err ? err->message : "");
    static const char *const first[] = {"seed1", "seed2"};
    for (int tries = 0; tries < 600; tries++) {
        gboolean both = TRUE;
        for (int i = 0; i < 2; i++) {
            char *path = g_build_filename(dir, first[i], "train.csv", NULL);
            struct stat st;
            both &= stat(path, &st) == 0 && st.st_size > 0;
            g_free(path);
        }
        if (both)
            break;
        g_usleep(100000);
    }
    return pid;
}

/* Ctrl-C: no new cells, running ones stop cleanly and stay restartable */
START_TEST(test_interrupt)
{
    char *dir = test_fresh_path(WORK, "interrupt");
    GPid pid = start_long_sweep(dir);
    const char *first[] = {"seed1", "seed2"};
    kill(pid, SIGINT);
    int wstatus;
    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    ck_assert(WIFEXITED(wstatus));
    ck_assert_int_eq(WEXITSTATUS(wstatus), 130);
    for (int i = 0; i < 2; i++) {
        char *st = status_of(dir, first[i]);
        ck_assert_str_eq(st, "interrupted");
        g_free(st);
    }
    char *later = g_build_filename(dir, "seed3", NULL);
    ck_assert(!g_file_test(later, G_FILE_TEST_EXISTS));
    g_free(later);
    CliTestResult r =
        cli_test_prefrl("sweep", SWEEPS "/long.yaml", "--dir", dir, "--dry-run", NULL);
    ck_assert_int_eq(r.status, 0);
    /* they stopped with checkpoints: the next sweep continues them */
    char *resume = g_strdup_printf("resume %s/seed1\n", dir);
    ck_assert_msg(strstr(r.out, "resume   seed1 (interrupted)") && strstr(r.out, resume) &&
                      strstr(r.out, "4 cells: 2 to run, 2 to resume, 0 to restart, 0 done"),
                  "%s", r.out);
    g_free(resume);
    cli_test_result_clear(&r);
    g_free(dir);
}
END_TEST

/* a cell stopped mid-run (here by its own env) is resumed, not restarted */
START_TEST(test_resume_cells)
{
    char *dir = test_fresh_path(WORK, "resume");
    CliTestResult r = cli_test_prefrl("sweep", SWEEPS "/resume.yaml", "--dir", dir, "-j2", NULL);
    ck_assert_int_ne(r.status, 0);
    cli_test_result_clear(&r);
    for (int i = 1; i <= 2; i++) {
        char *cell = g_strdup_printf("seed%d", i), *st = status_of(dir, cell);
        ck_assert_str_eq(st, "interrupted");
        g_free(st);
        g_free(cell);
    }
    r = cli_test_prefrl("sweep", SWEEPS "/resume.yaml", "--dir", dir, "-j2", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    for (int i = 1; i <= 2; i++) {
        char *cell = g_strdup_printf("seed%d", i), *st = status_of(dir, cell);
        ck_assert_str_eq(st, "done");
        char *run = g_build_filename(dir, cell, NULL);
        char *log = test_slurp(run, "log.txt"), *eval = test_slurp(run, "eval.csv");
        ck_assert_msg(strstr(log, "resumed from") != NULL, "%s", log);
        /* every evaluation once: header + steps 100, 200, 300, 400 */
        gchar **lines = g_strsplit(eval, "\n", -1);
        ck_assert_uint_eq(g_strv_length(lines), 6);
        for (int k = 1; k <= 4; k++) {
            char *want = g_strdup_printf(",%d,", 100 * k);
            ck_assert_msg(strstr(lines[k], want) != NULL, "%s", eval);
            g_free(want);
        }
        g_strfreev(lines);
        g_free(log);
        g_free(eval);
        g_free(run);
        g_free(st);
        g_free(cell);
    }
    g_free(dir);
}
END_TEST

/* ---- run directories: one writer, names, what --force and resume may touch ------------ */

static gboolean exists_in(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    gboolean e = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    return e;
}

/* names are one path component (name=.. --force once deleted what was beside
 * out_dir); --force removes only runs */
START_TEST(test_run_names)
{
    char *dir = test_fresh_path(WORK, "names");
    const char *bad[] = {"name=..", "name=.", "name=../../x", "name=/abs/x", "name=a/b",
                         "name=.hidden"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        CliTestResult r = cli_test_prefrl("check", SWEEPS "/true.yaml", bad[i], NULL);
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(strstr(r.err, "<command line>: name: '") &&
                          strstr(r.err, "' is not a run name; it must be one path component") &&
                          !strchr(strchr(r.err, '\n') + 1, '\n'),
                      "%s: %s", bad[i], r.err);
        cli_test_result_clear(&r);
    }
    CliTestResult r = cli_test_prefrl("check", SWEEPS "/true.yaml", "out_dir=", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "out_dir: must not be empty"), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("check", SWEEPS "/true.yaml", "name=run-1_a.b+c=d,e", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);

    /* the reproducer: name=.. --force deleted the canary beside out_dir */
    char *a = g_build_filename(dir, "a", NULL), *runs = g_build_filename(a, "runs", NULL);
    ck_assert(g_mkdir_with_parents(runs, 0755) == 0);
    test_put(a, "canary", "x\n");
    char *out_dir = g_strdup_printf("out_dir=%s", runs);
    r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=..", "--force", NULL);
    ck_assert_int_eq(r.status, 1);
    cli_test_result_clear(&r);
    ck_assert(exists_in(a, "canary") && exists_in(a, "runs"));
    /* a directory prefrl did not create as a run is never removed */
    char *mine = g_build_filename(runs, "mine", NULL);
    ck_assert(g_mkdir_with_parents(mine, 0755) == 0);
    test_put(mine, "notes.txt", "keep\n");
    test_put(mine, "config.yaml", "seed: 1\n");
    r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=mine", "--force", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "was not created by prefrl as a run directory (no .prefrl-run "
                                "marker)"),
                  "%s", r.err);
    cli_test_result_clear(&r);
    ck_assert(exists_in(mine, "notes.txt"));
    /* a run prefrl made is replaced */
    r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=made", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *made = g_build_filename(runs, "made", NULL);
    ck_assert(exists_in(made, ".prefrl-run"));
    test_put(made, "extra.txt", "old\n");
    r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=made", "--force", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    ck_assert(!exists_in(made, "extra.txt") && exists_in(made, ".prefrl-run"));
    char *st = status_of(runs, "made");
    ck_assert_str_eq(st, "done");
    g_free(st);
    g_free(made);
    g_free(mine);
    g_free(out_dir);
    g_free(runs);
    g_free(a);
    g_free(dir);
}
END_TEST

/* a second writer (run --force, resume) is refused naming the holder, and nothing is removed */
START_TEST(test_run_one_writer)
{
    char *dir = test_fresh_path(WORK, "writer");
    char *out_dir = g_strdup_printf("out_dir=%s", dir);
    CliTestResult r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=r", NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *run = g_build_filename(dir, "r", NULL);
    char *eval = test_slurp(run, "eval.csv");
    ck_assert(prefrl_rundir_set_status(run, PREFRL_STATUS_INTERRUPTED, NULL));
    /* this process plays the writer */
    int lock = prefrl_rundir_lock(run, NULL);
    ck_assert_int_ge(lock, 0);
    char *held = g_strdup_printf("%s is in use by prefrl process %ld", run, (long)getpid());
    r = cli_test_prefrl("run", SWEEPS "/true.yaml", out_dir, "name=r", "--force", NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, held), "%s", r.err);
    cli_test_result_clear(&r);
    r = cli_test_prefrl("resume", run, NULL);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, held), "%s", r.err);
    cli_test_result_clear(&r);
    char *again = test_slurp(run, "eval.csv");
    ck_assert_str_eq(again, eval);
    g_free(again);
    /* `running` only while the lock is held */
    ck_assert(prefrl_rundir_set_status(run, PREFRL_STATUS_RUNNING, NULL));
    ck_assert_int_eq(prefrl_rundir_status(run, NULL), PREFRL_STATUS_RUNNING);
    close(lock);
    ck_assert_int_eq(prefrl_rundir_status(run, NULL), PREFRL_STATUS_INTERRUPTED);
    g_free(held);
    g_free(eval);
    g_free(run);
    g_free(out_dir);
    g_free(dir);
}
END_TEST

/* resume refuses outputs that were cut, removed or
 * changed since the checkpoint, naming the file; it pads nothing and leaves
 * `status` as it was */
START_TEST(test_resume_damaged_outputs)
{
    char *dir = test_fresh_path(WORK, "damaged");
    char *out_dir = g_strdup_printf("out_dir=%s", dir);
    /* PEBBLE, stopped by its env near step 350, after two query rounds
     * (env steps count the evaluations' too); checkpoints every 100 steps */
    CliTestResult r =
        cli_test_prefrl("run", SWEEPS "/pebble.yaml", out_dir, "name=r", "env.interrupt_at=650",
                        "trainer.checkpoint_frequency=100", NULL);
    ck_assert_msg(r.status == 130, "%d %s", r.status, r.err);
    cli_test_result_clear(&r);
    char *run = g_build_filename(dir, "r", NULL);
    const char *names[] = {"eval.csv", "labels.csv", "prefs.bin"};
    char *keep[3];
    gsize len[3];
    for (int i = 0; i < 3; i++) {
        char *path = g_build_filename(run, names[i], NULL);
        ck_assert(g_file_get_contents(path, &keep[i], &len[i], NULL) && len[i] > 20);
        g_free(path);
    }
    struct {
        int file;
        const char *damage, *message;
    } cases[] = {
        {0, "cut", "has 10 bytes, fewer than the"},
        {1, "delete", "is missing"},
        {2, "empty", "has 0 bytes, fewer than the"},
        {0, "flip", "differ from those at the checkpoint"},
    };
    for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
        int f = cases[c].file;
        char *path = g_build_filename(run, names[f], NULL);
        const char *d = cases[c].damage;
        gsize n = !strcmp(d, "cut") ? 10 : !strcmp(d, "empty") ? 0 : len[f];
        if (!strcmp(d, "delete")) {
            ck_assert(g_unlink(path) == 0);
        } else {
            char *bytes = g_memdup2(keep[f], len[f]);
            if (!strcmp(d, "flip"))
                bytes[5] ^= 1;
            ck_assert(g_file_set_contents(path, bytes, (gssize)n, NULL));
            g_free(bytes);
        }
        r = cli_test_prefrl("resume", run, NULL);
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(strstr(r.err, path) && strstr(r.err, cases[c].message) &&
                          !strchr(strchr(r.err, '\n') + 1, '\n'),
                      "%s: %s", d, r.err);
        cli_test_result_clear(&r);
        /* nothing padded or recreated; the status still says resumable */
        struct stat st;
        if (!strcmp(d, "delete"))
            ck_assert(stat(path, &st) != 0);
        else
            ck_assert_int_eq(stat(path, &st) == 0 ? st.st_size : -1, (gint64)n);
        char *s = status_of(dir, "r");
        ck_assert_str_eq(s, "interrupted");
        g_free(s);
        ck_assert(g_file_set_contents(path, keep[f], (gssize)len[f], NULL));
        g_free(path);
    }
    /* restored, it resumes and finishes */
    r = cli_test_prefrl("resume", run, NULL);
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_test_result_clear(&r);
    char *s = status_of(dir, "r");
    ck_assert_str_eq(s, "done");
    g_free(s);
    for (int i = 0; i < 3; i++)
        g_free(keep[i]);
    g_free(run);
    g_free(out_dir);
    g_free(dir);
}
END_TEST

/* a sweep killed with SIGKILL takes its cells with it (they stop
 * cleanly, resumable), and a cell another process still writes is reported,
 * not resumed */
START_TEST(test_sweep_killed)
{
    char *dir = test_fresh_path(WORK, "killed");
    GPid pid = start_long_sweep(dir);
    const char *first[] = {"seed1", "seed2"};
    char *cells[2];
    for (int i = 0; i < 2; i++)
        cells[i] = g_build_filename(dir, first[i], NULL);
    kill(pid, SIGKILL);
    int wstatus;
    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    /* the cells stop on their own (SIGTERM from the kernel): their locks go */
    for (int i = 0; i < 2; i++) {
        int tries = 0;
        while (prefrl_rundir_lock_holder(cells[i]) != 0 && tries++ < 600)
            g_usleep(50000);
        ck_assert_int_eq(prefrl_rundir_lock_holder(cells[i]), 0);
        char *st = status_of(dir, first[i]);
        ck_assert_str_eq(st, "interrupted");
        g_free(st);
    }
    /* a cell still held by another writer is left alone */
    int lock = prefrl_rundir_lock(cells[0], NULL);
    ck_assert_int_ge(lock, 0);
    CliTestResult r =
        cli_test_prefrl("sweep", SWEEPS "/long.yaml", "--dir", dir, "--dry-run", NULL);
    ck_assert_int_eq(r.status, 0);
    char *running = g_strdup_printf("running  seed1 (running in prefrl process %ld)",
                                    (long)getpid());
    ck_assert_msg(strstr(r.out, running) && strstr(r.out, "resume   seed2 (interrupted)") &&
                      strstr(r.out, "1 still running elsewhere"),
                  "%s", r.out);
    g_free(running);
    cli_test_result_clear(&r);
    close(lock);
    for (int i = 0; i < 2; i++)
        g_free(cells[i]);
    g_free(dir);
}
END_TEST

/* the step column of eval.csv's last row in sweep/cell */
static gint64 last_eval_step(const char *sweep, const char *cell)
{
    char *dir = g_build_filename(sweep, cell, NULL);
    char *text = test_slurp(dir, "eval.csv");
    g_strchomp(text);
    char **lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    ck_assert_uint_ge(n, 2);
    char **head = g_strsplit(lines[0], ",", -1), **last = g_strsplit(lines[n - 1], ",", -1);
    gint64 step = -1;
    for (guint i = 0; head[i] && last[i]; i++)
        if (!strcmp(head[i], "step"))
            step = g_ascii_strtoll(last[i], NULL, 10);
    g_strfreev(head);
    g_strfreev(last);
    g_strfreev(lines);
    g_free(text);
    g_free(dir);
    return step;
}

/* `prefrl sweep GRID key=value`: the override reaches every cell's recipe
 * (config.yaml, the cell's command, the run itself); cells done under it are
 * not done for the grid without it; bad overrides are one line and run
 * nothing */
START_TEST(test_overrides)
{
    g_mkdir_with_parents(WORK, 0755);
    test_put(WORK, "over.yaml", "recipe: " SWEEPS "/true.yaml\naxes:\n  seed: [1..2]\n");
    char *dir = test_fresh_path(WORK, "over");
    CliTestResult r = cli_test_prefrl("sweep", WORK "/over.yaml", "trainer.num_train_steps=200",
                                      "--dir", dir, "-j", "2", NULL);
    ck_assert_msg(r.status == 0, "status %d\n%s\n%s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "all 2 cells done (2 by this run)"), "%s", r.out);
    cli_test_result_clear(&r);
    static const char *const cells[] = {"seed1", "seed2"};
    for (guint i = 0; i < G_N_ELEMENTS(cells); i++) {
        char *cell = g_build_filename(dir, cells[i], NULL);
        char *cfg = test_slurp(cell, "config.yaml");
        ck_assert_msg(strstr(cfg, "  num_train_steps: 200\n"), "%s", cfg);
        g_free(cfg);
        g_free(cell);
        ck_assert_int_eq(last_eval_step(dir, cells[i]), 200); /* the recipe's 400 without it */
    }
    /* the dry run shows it in each cell's command, and the same sweep is done */
    r = cli_test_prefrl("sweep", WORK "/over.yaml", "trainer.num_train_steps=200", "--dir", dir,
                        "--dry-run", NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "done     seed1\n") &&
                      strstr(r.out, " trainer.num_train_steps=200 out_dir="),
                  "%s%s", r.out, r.err);
    cli_test_result_clear(&r);
    /* without the override the cells are not done: another recipe, kept */
    r = cli_test_prefrl("sweep", WORK "/over.yaml", "--dir", dir, "--dry-run", NULL);
    ck_assert_msg(r.status == 0 && strstr(r.out, "stale    seed1 (trainer.num_train_steps: 200 "
                                                 "in config.yaml, 400 in the grid)"),
                  "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "0 done, 2 done under another recipe"), "%s", r.out);
    cli_test_result_clear(&r);

    /* bad overrides: one line (status 1, 2 for a usage error), nothing run */
    static const struct {
        const char *arg, *expect;
        int status;
    } bad[] = {
        {"trainer.num_train_stepz=5",
         "prefrl: error: cell seed1: <command line>: unknown key 'num_train_stepz' in trainer; "
         "did you mean 'num_train_steps'?\n", 1},
        {"trainer.num_train_steps=-5", "prefrl: error: cell seed1: ", 1},
        {"seed=3", "prefrl: error: <command line>: override 'seed=3': 'seed' is an axis of the "
                   "grid (" WORK "/over.yaml:3:3); an override sets one value for every cell\n", 1},
        {"name=x", "prefrl: error: <command line>: override 'name=x': a sweep sets 'name' of each "
                   "cell itself (--dir chooses the sweep directory)\n", 1},
        {"=5", "prefrl: error: <command line>: override '=5' is not of the form "
               "section.key=value\n", 1},
        {"trainer..segment=5", "prefrl: error: <command line>: empty key in override "
                               "'trainer..segment=5'\n", 1},
        {"other.yaml", "prefrl: error: one grid file at a time; after it come "
                       "section.key=value overrides, not 'other.yaml' (usage: prefrl sweep ", 2},
    };
    char *none = test_fresh_path(WORK, "over-bad");
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        r = cli_test_prefrl("sweep", WORK "/over.yaml", bad[i].arg, "--dir", none, NULL);
        ck_assert_msg(r.status == bad[i].status, "%s: status %d\n%s", bad[i].arg, r.status,
                      r.err);
        /* (warnings about the test tree's broken fixture plugins may come first) */
        const char *e = strstr(r.err, "prefrl: error: ");
        ck_assert_msg(e && g_str_has_prefix(e, bad[i].expect), "%s: expected '%s' in:\n%s",
                      bad[i].arg, bad[i].expect, r.err);
        ck_assert_msg(strchr(e, '\n') == r.err + strlen(r.err) - 1, "%s: not one line:\n%s",
                      bad[i].arg, r.err);
        ck_assert(!g_file_test(none, G_FILE_TEST_EXISTS));
        cli_test_result_clear(&r);
    }
    g_free(none);
    g_free(dir);
}
END_TEST

static Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("grid");
    tcase_add_test(tc, test_grid_cells);
    tcase_add_test(tc, test_grid_values);
    tcase_add_test(tc, test_grid_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("run");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sweep_and_report);
    tcase_add_test(tc, test_failing_cell);
    tcase_add_test(tc, test_budget_report);
    tcase_add_test(tc, test_overrides);
    tcase_add_test(tc, test_report_errors);
    tcase_add_test(tc, test_report_q_metric);
    tcase_add_test(tc, test_report_scene);
    tcase_add_test(tc, test_evaluate);
    tcase_add_test(tc, test_interrupt);
    tcase_add_test(tc, test_resume_cells);
    tcase_add_test(tc, test_run_names);
    tcase_add_test(tc, test_run_one_writer);
    tcase_add_test(tc, test_resume_damaged_outputs);
    tcase_add_test(tc, test_sweep_killed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    cli_test_fixture_plugins_first();
    int failed = check_run(sweep_suite());
    if (!failed)
        prefrl_remove_tree(WORK); /* kept after a failure, for a look */
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
