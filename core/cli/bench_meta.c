/* `prefrl bench meta`: the cost of one bi-level (meta) step of the reward
 * learner a recipe names, beside one update of its agent, both through the
 * plugins as the trainer calls them, on a fixed batch of the agent's size
 * and reward_batch labelled pairs of the recipe's segment length.  The
 * trainer's replay relabel after a meta step is not included (its cost
 * grows with the replay: a reward forward over every stored transition).
 *
 * The default recipe (configs/bench/meta-dmc.yaml) is MRN at the DMC
 * preset of the paper's walker runs: obs 24, act 6, SAC 1024 x 2 with batch
 * 1024, a reward ensemble of 3 members 256 x 3, 10 pairs of 50 steps.  Any
 * reward with a meta step works.  FLOPs are the matrix products the NN core
 * issues during the timed meta steps (prefrl_nn_flops), per step. */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include <prefrl/nn.h>

#include "bench.h"
#include "host/recipe.h"
#include "host/schema.h"

static void print_recipe(const char *recipe, const PrefrlNode *root, const PrefrlEnvInfo *env,
                         PrefrlInstance *agent, PrefrlInstance *reward, int B, int pairs, int H,
                         const PrefrlBenchOptions *o)
{
    const PrefrlAgentOps *aops = agent->component->ops;
    const PrefrlRewardOps *rops = reward->component->ops;
    const PrefrlCriticView *v = aops->critic_view ? aops->critic_view(agent->self) : NULL;
    GString *critic = g_string_new(NULL);
    if (v && v->n_heads > 0 && prefrl_mlp_n_layers(v->heads[0]) >= 2)
        g_string_printf(critic, "critic %dx%d, ", prefrl_mlp_dim(v->heads[0], 1),
                        prefrl_mlp_n_layers(v->heads[0]) - 1);
    const char *task = prefrl_node_text(prefrl_node_get(prefrl_node_get(root, "env"), "task"));
    printf("%s: env %s (obs %d, act %d); agent/%s (%sbatch %d); reward/%s (%d members); "
           "%d pairs of %d steps\n",
           recipe, task ? task : "?", env->obs_dim, env->act_dim, agent->component->name,
           critic->str, B, reward->component->name,
           rops->n_members ? rops->n_members(reward->self) : 0, pairs, H);
    printf("  %d thread(s), medians of %d x %d calls\n", prefrl_nn_get_threads(), o->reps,
           o->count);
    prefrl_bench_print_numerics("  ", o->numerics, o->n_numerics);
    g_string_free(critic, TRUE);
}

#define MAX_NUM 3

/* the critic's hidden width, or 0 */
static int critic_hidden(PrefrlInstance *agent)
{
    const PrefrlAgentOps *ops = agent->component->ops;
    const PrefrlCriticView *v = ops->critic_view ? ops->critic_view(agent->self) : NULL;
    return v && v->n_heads > 0 && prefrl_mlp_n_layers(v->heads[0]) >= 2
               ? prefrl_mlp_dim(v->heads[0], 1)
               : 0;
}

static gboolean bench_recipe(const char *recipe, const char *const *overrides,
                             const PrefrlBenchOptions *o, void *ctx, GError **error)
{
    (void)ctx;
    PrefrlNode *root = prefrl_bench_recipe_load(recipe, overrides,
                                                (1u << PREFRL_KIND_ENV) |
                                                    (1u << PREFRL_KIND_AGENT) |
                                                    (1u << PREFRL_KIND_REWARD),
                                                error);
    if (!root)
        return FALSE;
    const int nn = o->n_numerics;
    PrefrlEnvInfo env;
    /* one agent and reward per backend: networks take it when created */
    PrefrlInstance *agent[MAX_NUM] = {NULL}, *reward[MAX_NUM] = {NULL};
    gboolean ok = prefrl_bench_env_info(root, &env, error);
    for (int k = 0; ok && k < nn; k++) {
        prefrl_nn_set_numerics(o->numerics[k]);
        ok = (agent[k] = prefrl_bench_component(root, PREFRL_KIND_AGENT, &env, error)) &&
             (reward[k] = prefrl_bench_component(root, PREFRL_KIND_REWARD, &env, error));
        prefrl_nn_set_numerics(PREFRL_NUMERICS_OPENBLAS);
    }
    const PrefrlAgentOps *aops = ok ? agent[0]->component->ops : NULL;
    const PrefrlRewardOps *rops = ok ? reward[0]->component->ops : NULL;
    if (ok && !rops->meta_step) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s: reward/%s has no meta step",
                    recipe, reward[0]->component->name);
        ok = FALSE;
    } else if (ok && (!aops->update || !aops->batch_size)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: agent/%s does not learn through update() on replay batches", recipe,
                    agent[0]->component->name);
        ok = FALSE;
    }
    if (!ok) {
        for (int k = 0; k < nn; k++) {
            prefrl_instance_free(reward[k]);
            prefrl_instance_free(agent[k]);
        }
        prefrl_node_free(root);
        return FALSE;
    }

    /* the sizes the trainer would use: the agent's batch, the newest
     * reward_batch pairs, segments of the reward's query length */
    const PrefrlNode *tp = prefrl_node_get(root, "trainer");
    const int B = aops->batch_size(agent[0]->self);
    const int pairs = (int)prefrl_param_int(tp, "reward_batch");
    const int segment = (int)prefrl_param_int(tp, "segment");
    const int H = rops->query_length ? rops->query_length(reward[0]->self, segment) : segment;
    const int D = env.obs_dim + env.act_dim;

    /* one fixed batch and `pairs` labelled pairs of plausible data */
    PrefrlRng rng;
    prefrl_rng_init(&rng, 7, "bench");
    PrefrlBenchBatch batch;
    prefrl_bench_batch_init(&batch, B, env.obs_dim, env.act_dim, &rng);
    float *seg1 = g_new(float, (gsize)pairs * H * D);
    float *seg2 = g_new(float, (gsize)pairs * H * D);
    int *labels = g_new(int, pairs);
    prefrl_rng_normal_fill(&rng, seg1, (gsize)pairs * H * D);
    prefrl_rng_normal_fill(&rng, seg2, (gsize)pairs * H * D);
    for (int i = 0; i < pairs; i++)
        labels[i] = (int)prefrl_rng_below(&rng, 2);
    PrefrlPrefs prefs = {.count = pairs, .capacity = pairs, .next = 0, .total = pairs, .H = H,
                         .obs_dim = env.obs_dim, .act_dim = env.act_dim, .seg1 = seg1,
                         .seg2 = seg2, .labels = labels};
    PrefrlMetaData md[MAX_NUM];
    for (int k = 0; k < nn; k++) {
        const PrefrlAgentOps *ak = agent[k]->component->ops;
        md[k] = (PrefrlMetaData){.struct_size = sizeof md[k],
                                 .critic = ak->critic_view ? ak->critic_view(agent[k]->self) : NULL,
                                 .batch = &batch.batch, .prefs = &prefs, .reward_batch = pairs,
                                 .step = 1};
    }

    int64_t step = 1;
    for (int k = 0; k < nn; k++) /* warm-up: pages, caches, threads, workspaces, primitives */
        for (int i = 0; ok && i < 2; i++)
            ok = rops->meta_step(reward[k]->self, &md[k], NULL, error) &&
                 aops->update(agent[k]->self, &batch.batch, step++, NULL, error);
    const int hidden = critic_hidden(agent[0]);
    PrefrlBenchSgemm gemm[MAX_NUM] = {{0}};
    for (int k = 0; ok && hidden > 0 && k < nn; k++)
        ok = prefrl_bench_sgemm_init_numerics(&gemm[k], o->numerics[k], B, hidden, 0.3, error);
    double *meta_ms[MAX_NUM], *update_ms[MAX_NUM], *roof[MAX_NUM];
    uint64_t flops[MAX_NUM] = {0}, uflops[MAX_NUM] = {0};
    for (int k = 0; k < nn; k++) {
        meta_ms[k] = g_new0(double, o->reps);
        update_ms[k] = g_new0(double, o->reps);
        roof[k] = g_new0(double, o->reps);
    }
    /* the backends alternate within each repetition, so load hits them alike */
    for (int r = 0; ok && r < o->reps; r++) {
        for (int k = 0; ok && k < nn; k++) {
            roof[k][r] = hidden > 0 ? prefrl_bench_sgemm_rate(&gemm[k]) : 0.0;
            uint64_t f0 = prefrl_nn_flops();
            double t0 = prefrl_bench_seconds();
            for (int i = 0; ok && i < o->count; i++)
                ok = rops->meta_step(reward[k]->self, &md[k], NULL, error);
            double t1 = prefrl_bench_seconds();
            uint64_t f1 = prefrl_nn_flops();
            flops[k] += f1 - f0;
            for (int i = 0; ok && i < o->count; i++)
                ok = aops->update(agent[k]->self, &batch.batch, step++, NULL, error);
            double t2 = prefrl_bench_seconds();
            uflops[k] += prefrl_nn_flops() - f1;
            meta_ms[k][r] = (t1 - t0) * 1e3 / o->count;
            update_ms[k][r] = (t2 - t1) * 1e3 / o->count;
        }
    }
    if (ok) {
        char *name = g_path_get_basename(recipe);
        if (g_str_has_suffix(name, ".yaml"))
            name[strlen(name) - 5] = '\0';
        print_recipe(name, root, &env, agent[0], reward[0], B, pairs, H, o);
        g_free(name);
        double base_meta = 0, base_update = 0;
        for (int k = 0; k < nn; k++) {
            PrefrlBenchStats m = prefrl_bench_stats(meta_ms[k], o->reps);
            PrefrlBenchStats u = prefrl_bench_stats(update_ms[k], o->reps);
            double rf = prefrl_bench_median(roof[k], o->reps);
            double gf = (double)flops[k] / ((double)o->count * o->reps) / 1e9;
            double ugf = (double)uflops[k] / ((double)o->count * o->reps) / 1e9;
            if (k == 0) {
                base_meta = m.median;
                base_update = u.median;
            }
            printf("  [%s]  bare matmul (%d x %d x %d) %.1f GFLOP/s\n",
                   prefrl_numerics_name(o->numerics[k]), B, hidden, hidden, rf);
            printf("  meta step     %8.1f ms  (min %.1f, max %.1f)  %5.2f GFLOP  %5.1f GFLOP/s  "
                   "%3.0f%% of matmul  speed-up %.2fx\n",
                   m.median, m.min, m.max, gf, gf / (m.median / 1e3),
                   rf > 0 ? 100 * gf / (m.median / 1e3) / rf : 0.0, base_meta / m.median);
            printf("  agent update  %8.1f ms  (min %.1f, max %.1f)  %5.2f GFLOP  %5.1f GFLOP/s  "
                   "%3.0f%% of matmul  speed-up %.2fx\n",
                   u.median, u.min, u.max, ugf, ugf / (u.median / 1e3),
                   rf > 0 ? 100 * ugf / (u.median / 1e3) / rf : 0.0, base_update / u.median);
            printf("  ratio         %8.2f  (a meta step of the trainer costs meta step + agent "
                   "update + replay relabel)\n",
                   m.median / u.median);
        }
        fflush(stdout);
    }
    for (int k = 0; k < nn; k++) {
        prefrl_bench_sgemm_clear(&gemm[k]);
        g_free(meta_ms[k]);
        g_free(update_ms[k]);
        g_free(roof[k]);
        prefrl_instance_free(reward[k]);
        prefrl_instance_free(agent[k]);
    }
    g_free(seg1);
    g_free(seg2);
    g_free(labels);
    prefrl_bench_batch_clear(&batch);
    prefrl_node_free(root);
    return ok;
}

static const PrefrlCliUsage usage = {
    "bench meta", "[RECIPE ...] [section.key=value ...]",
    "Milliseconds of one meta step of a reward learner beside one update of its agent.",
    "RECIPE is a recipe file, or the name of one in configs/bench (default: every\n"
    "configs/bench/meta-*.yaml: MRN at the DMC preset of the paper's walker runs).  It\n"
    "names the env (sizes), the agent and a reward with a meta step; the trainer section\n"
    "gives reward_batch (pairs) and segment.  Overrides apply to every recipe.\n"
    "--numerics A,B runs the backends alternately (an agent and a reward each), each beside\n"
    "its own bare (batch, hidden) x (hidden, hidden) matmul (bf16 inputs for onednn-bf16):\n"
    "GFLOP/s, % of that roofline and the speed-up over the first backend."};

static void begin(const PrefrlBenchOptions *o, void *ctx)
{
    (void)o;
    (void)ctx;
    printf("# prefrl bench meta: ms per call; FLOPs count the matrix products of the meta step\n");
}

int prefrl_cmd_bench_meta(int argc, char **argv)
{
    static const PrefrlBenchTarget target = {
        .usage = &usage,
        .prefix = "meta",
        .count_name = "steps",
        .count_help = "meta steps and agent updates per repetition (default 10)",
        .count_default = 10,
        .count_min = 1,
        .begin = begin,
        .recipe = bench_recipe,
    };
    return prefrl_bench_run_target(&target, argc, argv, NULL);
}
