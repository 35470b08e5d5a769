/* reward/pebble: PEBBLE's reward learner (Lee et al. 2021; B-Pref's
 * learn_reward) on the SDK's ensemble reward model: after each query round,
 * up to reward_update passes over all labelled pairs, stopping early once
 * the ensemble's training accuracy exceeds stop_accuracy. */
#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>

typedef struct {
    PrefrlRewardModel *model;
    int reward_update;
    double stop_accuracy;
} Pebble;

static const PrefrlParamSpec pebble_params[] = {
    PREFRL_REWARD_MODEL_PARAMS,
    PREFRL_REWARD_LEARN_PARAMS,
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void *pebble_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    PrefrlRewardModel *m =
        prefrl_reward_model_new(params, ctx, prefrl_reward_model_segment(params, ctx), error);
    if (!m)
        return NULL;
    Pebble *p = g_new0(Pebble, 1);
    p->model = m;
    p->reward_update = (int)prefrl_param_int(params, "reward_update");
    p->stop_accuracy = prefrl_param_float(params, "stop_accuracy");
    return p;
}

static void pebble_destroy(void *self)
{
    Pebble *p = self;
    prefrl_reward_model_free(p->model);
    g_free(p);
}

static gboolean pebble_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                             GError **error)
{
    Pebble *p = self;
    prefrl_reward_model_learn(p->model, data->prefs, p->reward_update, p->stop_accuracy, log);
    return TRUE;
}

static void pebble_predict(void *self, int64_t step, const float *x, int B, float *r)
{
    prefrl_reward_model_predict(((Pebble *)self)->model, x, B, r);
}

static int pebble_members(void *self)
{
    return prefrl_reward_model_n_members(((Pebble *)self)->model);
}

static void pebble_probs(void *self, int64_t step, const float *s1, const float *s2, int n,
                         int H, float *p)
{
    prefrl_reward_model_member_probs(((Pebble *)self)->model, s1, s2, n, H, p);
}

static gboolean pebble_save(void *self, PrefrlCkpt *out, GError **error)
{
    prefrl_reward_model_save(((Pebble *)self)->model, out);
    return TRUE;
}

static gboolean pebble_load(void *self, PrefrlCkpt *in, GError **error)
{
    prefrl_reward_model_load(((Pebble *)self)->model, in);
    return TRUE;
}

static const PrefrlRewardOps pebble_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = pebble_predict,
    .n_members = pebble_members,
    .member_probs = pebble_probs,
    .train = pebble_train,
};

static const PrefrlComponent reward_pebble = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "pebble",
    .summary = "PEBBLE: ensemble Bradley-Terry reward learned from the labelled pairs",
    .params = pebble_params,
    .create = pebble_create,
    .destroy = pebble_destroy,
    .save = pebble_save,
    .load = pebble_load,
    .ops = &pebble_ops,
    .memory = prefrl_reward_model_memory,
};

PREFRL_PLUGIN_DEFINE("pebble", PREFRL_VERSION, &reward_pebble)
