/* reward/true: the environment's own reward — the SAC upper bound.  The
 * trainer sees PREFRL_FLAG_TRUE_REWARD, stores the task reward in the replay
 * and asks no queries, so this component has nothing to compute. */
#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>

static const PrefrlParamSpec true_params[] = {
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void *true_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    return g_new0(int, 1);
}

static const PrefrlRewardOps true_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
};

static const PrefrlComponent reward_true = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "true",
    .summary = "the task's true reward (SAC upper bound; no preference queries)",
    .params = true_params,
    .flags = PREFRL_FLAG_TRUE_REWARD,
    .create = true_create,
    .destroy = g_free,
    .ops = &true_ops,
};

PREFRL_PLUGIN_DEFINE("true", PREFRL_VERSION, &reward_true)
