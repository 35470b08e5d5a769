/* my_reward: a complete reward-learner plugin on prefrl's public SDK, built
 * outside the source tree (docs/writing-a-reward-learner.md shows how; the
 * test suite compiles and trains it against an installed prefix).
 *
 * The learner is PEBBLE's ensemble Bradley-Terry reward without the early
 * stop: after each query round it makes `epochs` passes over the labelled
 * pairs.  It uses only <prefrl/...> headers and libprefrl:
 *
 *     cc -shared -fPIC -fvisibility=hidden my_reward.c \
 *        -o prefrl-reward-my_reward.so $(pkg-config --cflags --libs prefrl)
 *     PREFRL_PLUGIN_PATH=$PWD prefrl run recipe.yaml     # reward: {name: my_reward}
 */
#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>

/* the instance: the SDK's model and one setting of our own */
typedef struct {
    PrefrlRewardModel *model;
    int epochs;
} MyReward;

/* the model's parameters (ensemble_size, hidden_dim, lr, ...) plus ours */
static const PrefrlParamSpec my_params[] = {
    PREFRL_REWARD_MODEL_PARAMS,
    {"epochs", PREFRL_PARAM_INT, "20", 1, 100000, NULL,
     "passes over the labelled pairs after each query round"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void *my_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    /* workspaces sized for the recipe's segment length */
    int H = prefrl_reward_model_segment(params, ctx);
    PrefrlRewardModel *m = prefrl_reward_model_new(params, ctx, H, error);
    if (!m)
        return NULL;
    MyReward *p = g_new0(MyReward, 1);
    p->model = m;
    p->epochs = (int)prefrl_param_int(params, "epochs");
    return p;
}

static void my_destroy(void *self)
{
    MyReward *p = self;
    prefrl_reward_model_free(p->model);
    g_free(p);
}

/* r̂ for the replay and the agent: the ensemble mean */
static void my_predict(void *self, int64_t step, const float *obs_act, int B, float *r)
{
    prefrl_reward_model_predict(((MyReward *)self)->model, obs_act, B, r);
}

static int my_members(void *self)
{
    return prefrl_reward_model_n_members(((MyReward *)self)->model);
}

/* what disagreement / entropy samplers rank candidate pairs by */
static void my_probs(void *self, int64_t step, const float *seg1, const float *seg2, int n,
                     int H, float *probs)
{
    prefrl_reward_model_member_probs(((MyReward *)self)->model, seg1, seg2, n, H, probs);
}

/* after each query round: `epochs` passes over every labelled pair; the
 * logged values become columns of reward.csv */
static gboolean my_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                         GError **error)
{
    MyReward *p = self;
    double accuracy = 0, loss = 0;
    for (int e = 0; e < p->epochs; e++)
        accuracy = prefrl_reward_model_epoch(p->model, data->prefs, &loss);
    prefrl_log_scalar(log, "accuracy", accuracy);
    prefrl_log_scalar(log, "loss", loss);
    return TRUE;
}

/* checkpoints for `prefrl resume`: the model is the whole state */
static gboolean my_save(void *self, PrefrlCkpt *out, GError **error)
{
    prefrl_reward_model_save(((MyReward *)self)->model, out);
    return TRUE;
}

static gboolean my_load(void *self, PrefrlCkpt *in, GError **error)
{
    prefrl_reward_model_load(((MyReward *)self)->model, in);
    return TRUE;
}

static const PrefrlRewardOps my_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = my_predict,
    .n_members = my_members,
    .member_probs = my_probs,
    .train = my_train,
};

static const PrefrlComponent reward_my_reward = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "my_reward",
    .summary = "an example: PEBBLE's ensemble reward, a fixed number of epochs per round",
    .params = my_params,
    .create = my_create,
    .destroy = my_destroy,
    .save = my_save,
    .load = my_load,
    .ops = &my_ops,
};

PREFRL_PLUGIN_DEFINE("my_reward", "1.0", &reward_my_reward)
