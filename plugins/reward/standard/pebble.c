/* reward/pebble: PEBBLE's reward learner (B-Pref learn_reward): after each
 * query round, up to reward_update passes over all labelled pairs, stopping
 * early once the ensemble's training accuracy exceeds stop_accuracy. */
#include "reward_model.h"
#include "standard.h"

typedef struct {
    RewardModel *model;
    int reward_update;
    double stop_accuracy;
} Pebble;

static const PrefrlParamSpec pebble_params[] = {
    REWARD_MODEL_PARAMS,
    {"reward_update", PREFRL_PARAM_INT, "200", 1, 1000000, NULL,
     "most training passes over the labelled pairs per query round"},
    {"stop_accuracy", PREFRL_PARAM_FLOAT, "0.97", 0, 1.01, NULL,
     "stop a round's training once mean ensemble accuracy exceeds this"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void *pebble_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    RewardModel *m = reward_model_new(params, ctx, reward_model_segment(params, ctx), error);
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
    reward_model_free(p->model);
    g_free(p);
}

static gboolean pebble_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                             GError **error)
{
    Pebble *p = self;
    reward_model_learn(p->model, data->prefs, p->reward_update, p->stop_accuracy, log);
    return TRUE;
}

static void pebble_predict(void *self, const float *x, int B, float *r)
{
    reward_model_predict(((Pebble *)self)->model, x, B, r);
}

static int pebble_members(void *self)
{
    return ((Pebble *)self)->model->K;
}

static void pebble_probs(void *self, const float *s1, const float *s2, int n, int H, float *p)
{
    reward_model_member_probs(((Pebble *)self)->model, s1, s2, n, H, p);
}

static gboolean pebble_save(void *self, FILE *out, GError **error)
{
    return reward_model_save(((Pebble *)self)->model, out, error);
}

static gboolean pebble_load(void *self, FILE *in, GError **error)
{
    return reward_model_load(((Pebble *)self)->model, in, error);
}

static const PrefrlRewardOps pebble_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = pebble_predict,
    .n_members = pebble_members,
    .member_probs = pebble_probs,
    .train = pebble_train,
};

const PrefrlComponent reward_pebble = {
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
};
