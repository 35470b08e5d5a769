/* `prefrl bench agent`: gradient updates per second of the agent a recipe
 * names, on a fixed batch at the recipe's sizes (the env's observation and
 * action lengths, the agent's networks and batch), beside a bare sgemm of
 * the critic's hidden-layer shape timed before each repetition, so both
 * see the same machine load.
 *
 * The default recipes (configs/bench/agent-*.yaml) are SAC at B-Pref's two
 * network sizes: DMC walker (obs 24, act 6, 1024 x 2, batch 1024) and
 * Meta-world (obs 39, act 4, 256 x 3, batch 512).  Any agent that learns
 * through update() works; the sgemm reference needs its critic view.
 *
 * FLOPs are those of the matrix products the NN core issues during the
 * timed updates (prefrl_nn_flops: 2 per multiply-add), divided by the
 * updates: for SAC one critic step, one actor/temperature step and, every
 * second update, a Polyak step of the targets, as in training. */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include <prefrl/nn.h>

#include "bench.h"
#include "host/recipe.h"
#include "host/schema.h"

/* the critic's hidden width and depth from its view, or FALSE */
static gboolean critic_shape(PrefrlInstance *agent, int *hidden, int *depth)
{
    const PrefrlAgentOps *ops = agent->component->ops;
    const PrefrlCriticView *v = ops->critic_view ? ops->critic_view(agent->self) : NULL;
    if (!v || v->n_heads < 1 || prefrl_mlp_n_layers(v->heads[0]) < 2)
        return FALSE;
    *hidden = prefrl_mlp_dim(v->heads[0], 1);
    *depth = prefrl_mlp_n_layers(v->heads[0]) - 1;
    return TRUE;
}

static gboolean bench_recipe(const char *recipe, const char *const *overrides,
                             const PrefrlBenchOptions *o, void *ctx, GError **error)
{
    PrefrlBenchTable *table = ctx;
    PrefrlNode *root = prefrl_bench_recipe_load(
        recipe, overrides, (1u << PREFRL_KIND_ENV) | (1u << PREFRL_KIND_AGENT), error);
    if (!root)
        return FALSE;
    PrefrlEnvInfo env;
    PrefrlInstance *agent = NULL;
    gboolean ok = prefrl_bench_env_info(root, &env, error) &&
                  (agent = prefrl_bench_component(root, PREFRL_KIND_AGENT, &env, error));
    const PrefrlAgentOps *ops = agent ? agent->component->ops : NULL;
    if (ok && (!ops->update || !ops->batch_size ||
               (agent->component->flags & PREFRL_FLAG_ON_POLICY))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: agent/%s does not learn through update() on replay batches", recipe,
                    agent->component->name);
        ok = FALSE;
    }
    if (!ok) {
        prefrl_instance_free(agent);
        prefrl_node_free(root);
        return FALSE;
    }

    /* one fixed batch of plausible transitions */
    const int B = ops->batch_size(agent->self);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 7, "bench");
    PrefrlBenchBatch batch;
    prefrl_bench_batch_init(&batch, B, env.obs_dim, env.act_dim, &rng);

    /* warm-up (pages, caches, BLAS threads), which also sizes the repetitions */
    int64_t step = 1;
    uint64_t f0 = prefrl_nn_flops();
    for (int i = 0; ok && i < 3; i++)
        ok = ops->update(agent->self, &batch.batch, step++, NULL, error);
    double warm_flops = (double)(prefrl_nn_flops() - f0) / 3;
    int n = o->count;
    if (n == 0) /* about 2 s per repetition at ~30 GFLOP/s */
        n = (int)MAX(3, MIN(1e6, 6e10 / MAX(warm_flops, 1.0)));

    int hidden = 0, depth = 0;
    gboolean have_sgemm = critic_shape(agent, &hidden, &depth);
    PrefrlBenchSgemm gemm = {0};
    if (have_sgemm)
        prefrl_bench_sgemm_init(&gemm, B, hidden, 0.5);
    double *ups = g_new(double, o->reps), *peak = g_new(double, o->reps);
    double *frac = g_new(double, o->reps);
    uint64_t flops = 0;
    for (int r = 0; ok && r < o->reps; r++) {
        peak[r] = have_sgemm ? prefrl_bench_sgemm_rate(&gemm) : 0.0;
        uint64_t c0 = prefrl_nn_flops();
        double t0 = prefrl_bench_seconds();
        for (int i = 0; ok && i < n; i++)
            ok = ops->update(agent->self, &batch.batch, step++, NULL, error);
        double sec = prefrl_bench_seconds() - t0;
        uint64_t done = prefrl_nn_flops() - c0;
        flops += done;
        ups[r] = n / sec;
        frac[r] = peak[r] > 0 ? prefrl_bench_gflops((double)done, sec) / peak[r] : 0.0;
    }
    if (ok) {
        double per_update = (double)flops / ((double)n * o->reps);
        PrefrlBenchStats s = prefrl_bench_stats(ups, o->reps);
        char *name = g_path_get_basename(recipe);
        if (g_str_has_suffix(name, ".yaml"))
            name[strlen(name) - 5] = '\0';
        prefrl_bench_cell(table, "%s", name);
        prefrl_bench_cell(table, "%s", agent->component->name);
        prefrl_bench_cell(table, "%d", env.obs_dim);
        prefrl_bench_cell(table, "%d", env.act_dim);
        if (have_sgemm)
            prefrl_bench_cell(table, "%d x %d", hidden, depth);
        else
            prefrl_bench_cell(table, "-");
        prefrl_bench_cell(table, "%d", B);
        prefrl_bench_cell(table, "%.2f", s.median);
        prefrl_bench_cell(table, "%.2f", s.min);
        prefrl_bench_cell(table, "%.2f", s.max);
        prefrl_bench_cell(table, "%.1f", 1e3 / s.median);
        prefrl_bench_cell(table, "%.2f", per_update / 1e9);
        prefrl_bench_cell(table, "%.1f", s.median * per_update / 1e9);
        if (have_sgemm) {
            prefrl_bench_cell(table, "%.1f", prefrl_bench_median(peak, o->reps));
            prefrl_bench_cell(table, "%.0f%%", 100 * prefrl_bench_median(frac, o->reps));
        }
        prefrl_bench_row_end(table);
        g_free(name);
    }
    prefrl_bench_sgemm_clear(&gemm);
    g_free(ups);
    g_free(peak);
    g_free(frac);
    prefrl_bench_batch_clear(&batch);
    prefrl_instance_free(agent);
    prefrl_node_free(root);
    return ok;
}

static const PrefrlCliUsage usage = {
    "bench agent", "[RECIPE ...] [section.key=value ...]",
    "Agent updates per second and GFLOP/s on a fixed batch, beside a bare sgemm.",
    "RECIPE is a recipe file, or the name of one in configs/bench (default: every\n"
    "configs/bench/agent-*.yaml: SAC at B-Pref's DMC and Meta-world sizes).  It names the\n"
    "env (for the observation and action sizes) and the agent; overrides apply to every\n"
    "recipe.  Columns: updates/s (median, min, max of the repetitions), ms per update,\n"
    "GFLOP per update (the NN core's matrix products), GFLOP/s; sgemm = a bare (batch,\n"
    "hidden) x (hidden, hidden) product timed before each repetition; ratio = update\n"
    "GFLOP/s / sgemm GFLOP/s."};

static void begin(const PrefrlBenchOptions *o, void *ctx)
{
    printf("# prefrl bench agent: %d OpenBLAS thread(s), medians of %d repetitions; FLOPs count "
           "the matrix products;\n# sgemm = a bare (batch, hidden) x (hidden, hidden) product "
           "timed before each repetition; ratio = update GFLOP/s / sgemm GFLOP/s\n",
           prefrl_nn_get_threads(), o->reps);
    static const PrefrlBenchColumn cols[] = {
        {"recipe", -16}, {"agent", -6},    {"obs", 3},       {"act", 3},
        {"critic", 10},  {"batch", 5},     {"upd/s", 8},     {"min", 8},
        {"max", 8},      {"ms/upd", 8},    {"GFLOP/upd", 9}, {"GFLOP/s", 7},
        {"sgemm", 7},    {"ratio", 5},     {NULL, 0},
    };
    prefrl_bench_table_begin(ctx, cols);
}

static void end(void *ctx)
{
    prefrl_bench_table_end(ctx);
}

int prefrl_cmd_bench_agent(int argc, char **argv)
{
    static const PrefrlBenchTarget target = {
        .usage = &usage,
        .prefix = "agent",
        .count_name = "updates",
        .count_help = "updates per repetition (default: about 2 s worth)",
        .count_default = 0,
        .count_min = 0,
        .begin = begin,
        .recipe = bench_recipe,
        .end = end,
    };
    PrefrlBenchTable table;
    return prefrl_bench_run_target(&target, argc, argv, &table);
}
