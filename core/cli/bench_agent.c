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

#define MAX_NUM 3

static gboolean bench_recipe(const char *recipe, const char *const *overrides,
                             const PrefrlBenchOptions *o, void *ctx, GError **error)
{
    PrefrlBenchTable *table = ctx;
    PrefrlNode *root = prefrl_bench_recipe_load(
        recipe, overrides, (1u << PREFRL_KIND_ENV) | (1u << PREFRL_KIND_AGENT), error);
    if (!root)
        return FALSE;
    const int nn = o->n_numerics;
    PrefrlEnvInfo env;
    /* one agent per backend: its networks take the backend when created */
    PrefrlInstance *agent[MAX_NUM] = {NULL};
    gboolean ok = prefrl_bench_env_info(root, &env, error);
    for (int k = 0; ok && k < nn; k++) {
        prefrl_nn_set_numerics(o->numerics[k]);
        ok = (agent[k] = prefrl_bench_component(root, PREFRL_KIND_AGENT, &env, error)) != NULL;
        prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    }
    const PrefrlAgentOps *ops = agent[0] ? agent[0]->component->ops : NULL;
    if (ok && (!ops->update || !ops->batch_size ||
               (agent[0]->component->flags & PREFRL_FLAG_ON_POLICY))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: agent/%s does not learn through update() on replay batches", recipe,
                    agent[0]->component->name);
        ok = FALSE;
    }
    if (!ok) {
        for (int k = 0; k < nn; k++)
            prefrl_instance_free(agent[k]);
        prefrl_node_free(root);
        return FALSE;
    }

    /* one fixed batch of plausible transitions */
    const int B = ops->batch_size(agent[0]->self);
    PrefrlRng rng;
    prefrl_rng_init(&rng, 7, "bench");
    PrefrlBenchBatch batch;
    prefrl_bench_batch_init(&batch, B, env.obs_dim, env.act_dim, &rng);

    /* warm-up (pages, caches, BLAS threads, primitives), which also sizes
     * the repetitions from the first backend's FLOPs */
    int64_t step = 1;
    double warm_flops = 0;
    for (int k = 0; ok && k < nn; k++) {
        uint64_t f0 = prefrl_nn_flops();
        for (int i = 0; ok && i < 3; i++)
            ok = ops->update(agent[k]->self, &batch.batch, step++, NULL, error);
        if (k == 0)
            warm_flops = (double)(prefrl_nn_flops() - f0) / 3;
    }
    int n = o->count;
    if (n == 0) /* about 2 s per repetition at ~30 GFLOP/s */
        n = (int)MAX(3, MIN(1e6, 6e10 / MAX(warm_flops, 1.0)));

    int hidden = 0, depth = 0;
    gboolean have_sgemm = critic_shape(agent[0], &hidden, &depth);
    PrefrlBenchSgemm gemm[MAX_NUM] = {{0}};
    for (int k = 0; ok && have_sgemm && k < nn; k++)
        ok = prefrl_bench_sgemm_init_numerics(&gemm[k], o->numerics[k], B, hidden, 0.5, error);
    double *ups[MAX_NUM], *peak[MAX_NUM], *frac[MAX_NUM];
    uint64_t flops[MAX_NUM] = {0};
    for (int k = 0; k < nn; k++) {
        ups[k] = g_new0(double, o->reps);
        peak[k] = g_new0(double, o->reps);
        frac[k] = g_new0(double, o->reps);
    }
    /* the backends alternate within each repetition, so load hits them alike */
    for (int r = 0; ok && r < o->reps; r++) {
        for (int k = 0; ok && k < nn; k++) {
            peak[k][r] = have_sgemm ? prefrl_bench_sgemm_rate(&gemm[k]) : 0.0;
            uint64_t c0 = prefrl_nn_flops();
            double t0 = prefrl_bench_seconds();
            for (int i = 0; ok && i < n; i++)
                ok = ops->update(agent[k]->self, &batch.batch, step++, NULL, error);
            double sec = prefrl_bench_seconds() - t0;
            uint64_t done = prefrl_nn_flops() - c0;
            flops[k] += done;
            ups[k][r] = n / sec;
            frac[k][r] = peak[k][r] > 0 ? prefrl_bench_gflops((double)done, sec) / peak[k][r] : 0.0;
        }
    }
    double base = 0;
    for (int k = 0; ok && k < nn; k++) {
        double per_update = (double)flops[k] / ((double)n * o->reps);
        PrefrlBenchStats s = prefrl_bench_stats(ups[k], o->reps);
        if (k == 0)
            base = s.median;
        char *name = g_path_get_basename(recipe);
        if (g_str_has_suffix(name, ".yaml"))
            name[strlen(name) - 5] = '\0';
        prefrl_bench_cell(table, "%s", name);
        prefrl_bench_cell(table, "%s", agent[k]->component->name);
        prefrl_bench_cell(table, "%s", prefrl_numerics_name(o->numerics[k]));
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
            prefrl_bench_cell(table, "%.1f", prefrl_bench_median(peak[k], o->reps));
            prefrl_bench_cell(table, "%.0f%%", 100 * prefrl_bench_median(frac[k], o->reps));
        } else {
            prefrl_bench_cell(table, "-");
            prefrl_bench_cell(table, "-");
        }
        prefrl_bench_cell(table, "%.2fx", s.median / base);
        prefrl_bench_row_end(table);
        g_free(name);
    }
    for (int k = 0; k < nn; k++) {
        prefrl_bench_sgemm_clear(&gemm[k]);
        g_free(ups[k]);
        g_free(peak[k]);
        g_free(frac[k]);
        prefrl_instance_free(agent[k]);
    }
    prefrl_bench_batch_clear(&batch);
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
    "GFLOP/s / sgemm GFLOP/s.  --numerics A,B runs the backends alternately (one agent\n"
    "each); each one's sgemm is its own bare matmul (bf16 inputs for onednn-bf16) and\n"
    "speed-up is its updates/s over the first backend's."};

static void begin(const PrefrlBenchOptions *o, void *ctx)
{
    printf("# prefrl bench agent: %d thread(s), medians of %d repetitions; FLOPs count "
           "the matrix products;\n# sgemm = a bare (batch, hidden) x (hidden, hidden) product "
           "of the row's numerics timed before each repetition; ratio = update GFLOP/s / sgemm "
           "GFLOP/s;\n# speed-up = updates/s over the first numerics'\n",
           prefrl_nn_get_threads(), o->reps);
    prefrl_bench_print_numerics("# ", o->numerics, o->n_numerics);
    static const PrefrlBenchColumn cols[] = {
        {"recipe", -16}, {"agent", -6},    {"numerics", -11}, {"obs", 3},       {"act", 3},
        {"critic", 10},  {"batch", 5},     {"upd/s", 8},     {"min", 8},
        {"max", 8},      {"ms/upd", 8},    {"GFLOP/upd", 9}, {"GFLOP/s", 7},
        {"sgemm", 7},    {"ratio", 5},     {"speed-up", 8}, {NULL, 0},
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
