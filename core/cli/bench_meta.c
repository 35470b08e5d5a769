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
    printf("  %d OpenBLAS thread(s), medians of %d x %d calls\n", prefrl_nn_get_threads(),
           o->reps, o->count);
    g_string_free(critic, TRUE);
}

static gboolean bench_recipe(const char *recipe, const char *const *overrides,
                             const PrefrlBenchOptions *o, void *ctx, GError **error)
{
    PrefrlNode *root = prefrl_bench_recipe_load(recipe, overrides,
                                                (1u << PREFRL_KIND_ENV) |
                                                    (1u << PREFRL_KIND_AGENT) |
                                                    (1u << PREFRL_KIND_REWARD),
                                                error);
    if (!root)
        return FALSE;
    PrefrlEnvInfo env;
    PrefrlInstance *agent = NULL, *reward = NULL;
    gboolean ok = prefrl_bench_env_info(root, &env, error) &&
                  (agent = prefrl_bench_component(root, PREFRL_KIND_AGENT, &env, error)) &&
                  (reward = prefrl_bench_component(root, PREFRL_KIND_REWARD, &env, error));
    const PrefrlAgentOps *aops = agent ? agent->component->ops : NULL;
    const PrefrlRewardOps *rops = reward ? reward->component->ops : NULL;
    if (ok && !rops->meta_step) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "%s: reward/%s has no meta step",
                    recipe, reward->component->name);
        ok = FALSE;
    } else if (ok && (!aops->update || !aops->batch_size)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "%s: agent/%s does not learn through update() on replay batches", recipe,
                    agent->component->name);
        ok = FALSE;
    }
    if (!ok) {
        prefrl_instance_free(reward);
        prefrl_instance_free(agent);
        prefrl_node_free(root);
        return FALSE;
    }

    /* the sizes the trainer would use: the agent's batch, the newest
     * reward_batch pairs, segments of the reward's query length */
    const PrefrlNode *tp = prefrl_node_get(root, "trainer");
    const int B = aops->batch_size(agent->self);
    const int pairs = (int)prefrl_param_int(tp, "reward_batch");
    const int segment = (int)prefrl_param_int(tp, "segment");
    const int H = rops->query_length ? rops->query_length(reward->self, segment) : segment;
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
    PrefrlMetaData md = {.struct_size = sizeof md,
                         .critic = aops->critic_view ? aops->critic_view(agent->self) : NULL,
                         .batch = &batch.batch, .prefs = &prefs, .reward_batch = pairs,
                         .step = 1};

    int64_t step = 1;
    for (int i = 0; ok && i < 2; i++) /* warm-up: pages, caches, BLAS threads, workspaces */
        ok = rops->meta_step(reward->self, &md, NULL, error) &&
             aops->update(agent->self, &batch.batch, step++, NULL, error);
    double *meta_ms = g_new(double, o->reps), *update_ms = g_new(double, o->reps);
    uint64_t flops = 0;
    for (int r = 0; ok && r < o->reps; r++) {
        uint64_t f0 = prefrl_nn_flops();
        double t0 = prefrl_bench_seconds();
        for (int i = 0; ok && i < o->count; i++)
            ok = rops->meta_step(reward->self, &md, NULL, error);
        double t1 = prefrl_bench_seconds();
        flops += prefrl_nn_flops() - f0;
        for (int i = 0; ok && i < o->count; i++)
            ok = aops->update(agent->self, &batch.batch, step++, NULL, error);
        double t2 = prefrl_bench_seconds();
        meta_ms[r] = (t1 - t0) * 1e3 / o->count;
        update_ms[r] = (t2 - t1) * 1e3 / o->count;
    }
    if (ok) {
        char *name = g_path_get_basename(recipe);
        if (g_str_has_suffix(name, ".yaml"))
            name[strlen(name) - 5] = '\0';
        print_recipe(name, root, &env, agent, reward, B, pairs, H, o);
        g_free(name);
        PrefrlBenchStats m = prefrl_bench_stats(meta_ms, o->reps);
        PrefrlBenchStats u = prefrl_bench_stats(update_ms, o->reps);
        double gf = (double)flops / ((double)o->count * o->reps) / 1e9;
        printf("  meta step     %8.1f ms  (min %.1f, max %.1f)  %5.2f GFLOP  %5.1f GFLOP/s\n",
               m.median, m.min, m.max, gf, gf / (m.median / 1e3));
        printf("  agent update  %8.1f ms  (min %.1f, max %.1f)\n", u.median, u.min, u.max);
        printf("  ratio         %8.2f  (a meta step of the trainer costs meta step + agent "
               "update + replay relabel)\n",
               m.median / u.median);
        fflush(stdout);
    }
    g_free(meta_ms);
    g_free(update_ms);
    g_free(seg1);
    g_free(seg2);
    g_free(labels);
    prefrl_bench_batch_clear(&batch);
    prefrl_instance_free(reward);
    prefrl_instance_free(agent);
    prefrl_node_free(root);
    return ok;
}

static const PrefrlCliUsage usage = {
    "bench meta", "[RECIPE ...] [section.key=value ...]",
    "Milliseconds of one meta step of a reward learner beside one update of its agent.",
    "RECIPE is a recipe file, or the name of one in configs/bench (default: every\n"
    "configs/bench/meta-*.yaml: MRN at the DMC preset of the paper's walker runs).  It\n"
    "names the env (sizes), the agent and a reward with a meta step; the trainer section\n"
    "gives reward_batch (pairs) and segment.  Overrides apply to every recipe."};

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
