/* reward/rune: RUNE (Liang et al., ICLR 2022, "Reward Uncertainty for
 * Exploration in Preference-based Reinforcement Learning") on the SDK.
 *
 * PEBBLE's reward learner (the SDK's ensemble model and its learning round)
 * plus an exploration bonus: the agent learns from
 *
 *     r̂(s,a) + β_t · std_k r̂_k(s,a),      β_t = β₀ (1 − ρ)^t,
 *
 * where r̂ is the ensemble mean the trainer stored in the replay, std_k the
 * population standard deviation over the K members' r̂_k (no
 * normalisation), and t the trainer's step counter: environment steps since
 * the run began, seed and pre-training steps included.  The bonus is added
 * to each agent batch at update time (the batch_reward op) with the
 * coefficient of that step, as the reference adds β(step) · std to the
 * critic's target.  The reference keeps the std beside r̂ in its replay and
 * relabels both after each reward update; the model changes only then, so
 * the std of the current model computed here is the same number.
 * Defaults are the reference code's: β₀ = 0.05, ρ = 10⁻⁵. */
#include <math.h>
#include <string.h>

#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_model.h>

typedef struct {
    PrefrlRewardModel *model;
    int reward_update;
    double stop_accuracy;
    double beta_init, beta_decay;
    gboolean constant;          /* beta_schedule: constant (β_t = β₀) */
    int K, ds, da, d;
    /* update-time workspaces, grown to the agent's batch size */
    float *x, *members;         /* (cap, d), (K, cap) */
    int cap;
} Rune;

static const PrefrlParamSpec rune_params[] = {
    PREFRL_REWARD_MODEL_PARAMS,
    PREFRL_REWARD_LEARN_PARAMS,
    {"beta_init", PREFRL_PARAM_FLOAT, "0.05", 0, 1e6, NULL,
     "β₀: weight of the ensemble's r̂ standard deviation at step 0 (reference 0.05)"},
    {"beta_decay", PREFRL_PARAM_FLOAT, "0.00001", 0, 1, NULL,
     "ρ: β_t = β₀ (1 − ρ)^t, t in environment steps (reference 1e-5)"},
    {"beta_schedule", PREFRL_PARAM_CHOICE, "linear_decay", 0, 0, "linear_decay|constant",
     "linear_decay: β₀ (1 − ρ)^t (the reference's name for it); constant: β₀"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* β_t of the reference: β₀ (1 − ρ)^t */
static double rune_beta(const Rune *p, int64_t step)
{
    if (p->constant)
        return p->beta_init;
    return p->beta_init * pow(1.0 - p->beta_decay, (double)step);
}

static void *rune_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    PrefrlRewardModel *m =
        prefrl_reward_model_new(params, ctx, prefrl_reward_model_segment(params, ctx), error);
    if (!m)
        return NULL;
    Rune *p = g_new0(Rune, 1);
    p->model = m;
    p->reward_update = (int)prefrl_param_int(params, "reward_update");
    p->stop_accuracy = prefrl_param_float(params, "stop_accuracy");
    p->beta_init = prefrl_param_float(params, "beta_init");
    p->beta_decay = prefrl_param_float(params, "beta_decay");
    p->constant = !strcmp(prefrl_param_string(params, "beta_schedule"), "constant");
    p->K = prefrl_reward_model_n_members(m);
    p->ds = prefrl_reward_model_obs_dim(m);
    p->da = prefrl_reward_model_act_dim(m);
    p->d = prefrl_reward_model_input_dim(m);
    return p;
}

static void rune_destroy(void *self)
{
    Rune *p = self;
    prefrl_reward_model_free(p->model);
    g_free(p->x);
    g_free(p->members);
    g_free(p);
}

static gboolean rune_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                           GError **error)
{
    Rune *p = self;
    prefrl_reward_model_learn(p->model, data->prefs, p->reward_update, p->stop_accuracy, log);
    /* the coefficient at this round, for reward.csv */
    prefrl_log_scalar(log, "beta", rune_beta(p, data->step));
    return TRUE;
}

/* the bonus β_t · std_k r̂_k(s,a) added to each reward of the batch */
static gboolean rune_batch_reward(void *self, int64_t step, const PrefrlBatch *b, float *reward,
                                  PrefrlLog *log, GError **error)
{
    Rune *p = self;
    const int B = b->size;
    if (b->obs_dim != p->ds || b->act_dim != p->da) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/rune: a batch of (obs %d, act %d) for a reward model of (obs %d, "
                    "act %d)",
                    b->obs_dim, b->act_dim, p->ds, p->da);
        return FALSE;
    }
    if (B > p->cap) {
        p->cap = B;
        p->x = g_renew(float, p->x, (gsize)B * p->d);
        p->members = g_renew(float, p->members, (gsize)p->K * B);
    }
    for (int i = 0; i < B; i++) {
        memcpy(p->x + (gsize)i * p->d, b->obs + (gsize)i * p->ds, sizeof(float) * p->ds);
        memcpy(p->x + (gsize)i * p->d + p->ds, b->action + (gsize)i * p->da,
               sizeof(float) * p->da);
    }
    prefrl_reward_model_predict_members(p->model, p->x, B, p->members);
    const double beta = rune_beta(p, step);
    double sum = 0;
    for (int i = 0; i < B; i++) {
        /* population std over members (numpy's np.std, as the reference) */
        double mean = 0, var = 0;
        for (int k = 0; k < p->K; k++)
            mean += p->members[(gsize)k * B + i];
        mean /= p->K;
        for (int k = 0; k < p->K; k++) {
            double e = p->members[(gsize)k * B + i] - mean;
            var += e * e;
        }
        double sd = sqrt(var / p->K);
        reward[i] += (float)(beta * sd);
        sum += sd;
    }
    prefrl_log_scalar(log, "train/explore_reward", B ? sum / B : 0.0);
    return TRUE;
}

static void rune_predict(void *self, int64_t step, const float *x, int B, float *r)
{
    prefrl_reward_model_predict(((Rune *)self)->model, x, B, r);
}

static int rune_members(void *self)
{
    return ((Rune *)self)->K;
}

static void rune_probs(void *self, int64_t step, const float *s1, const float *s2, int n, int H,
                       float *probs)
{
    prefrl_reward_model_member_probs(((Rune *)self)->model, s1, s2, n, H, probs);
}

/* β_t depends on the step alone: the model is the whole state */
static gboolean rune_save(void *self, PrefrlCkpt *out, GError **error)
{
    prefrl_reward_model_save(((Rune *)self)->model, out);
    return TRUE;
}

static gboolean rune_load(void *self, PrefrlCkpt *in, GError **error)
{
    prefrl_reward_model_load(((Rune *)self)->model, in);
    return TRUE;
}

static const PrefrlRewardOps rune_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = rune_predict,
    .n_members = rune_members,
    .member_probs = rune_probs,
    .train = rune_train,
    .batch_reward = rune_batch_reward,
};

static const PrefrlComponent reward_rune = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "rune",
    .summary = "RUNE: PEBBLE's reward plus an exploration bonus β_t · std of the ensemble's r̂",
    .params = rune_params,
    .create = rune_create,
    .destroy = rune_destroy,
    .save = rune_save,
    .load = rune_load,
    .ops = &rune_ops,
    .memory = prefrl_reward_model_memory,
};

PREFRL_PLUGIN_DEFINE("rune", PREFRL_VERSION, &reward_rune)
