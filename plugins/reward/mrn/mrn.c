/* reward/mrn: Meta-Reward-Net (Liu et al. 2022, §4).
 *
 * PEBBLE's supervised reward learning after every query round (eq. 2, the
 * "auxiliary loss"), plus every num_meta_steps agent steps a bi-level step:
 * pseudo-update a copy of each critic head by one SGD step of the Bellman
 * loss whose rewards come from r̂_ψ (eq. 9-10), measure the Bradley-Terry
 * cross-entropy of the pseudo-updated Q on labelled pairs (eq. 6-7) and step
 * ψ along its gradient (eq. 11-12).  The gradient is the SDK's exact,
 * closed-form one (prefrl/reward_meta.h).
 *
 * The trainer runs the step (meta_step) and then the agent's own update on
 * the same batch with r̂ recomputed by the updated ψ, sharing one V̄(s'). */
#include <math.h>
#include <string.h>

#include <prefrl/plugin.h>
#include <prefrl/pbrl.h>
#include <prefrl/reward_meta.h>
#include <prefrl/reward_model.h>

typedef struct {
    PrefrlRewardModel *model;
    PrefrlRewardMeta *meta;
    int reward_update;          /* PEBBLE's supervised passes per query round */
    double stop_accuracy;
    int64_t num_meta_steps;     /* N */
    float outer_weight;
    PrefrlMetaPairs pairs;
    PrefrlMetaMask mask;
    gboolean outer_sgd;         /* plain ψ ← ψ − β g (paper eq. 12) instead of the shared Adam */
    float outer_lr;             /* β of the plain step */
    double meta_loss_sum;       /* meta losses since the last query round (for reward.csv) */
    int meta_count;
} Mrn;

static const PrefrlParamSpec mrn_params[] = {
    PREFRL_REWARD_MODEL_PARAMS,
    PREFRL_REWARD_LEARN_PARAMS,
    {"num_meta_steps", PREFRL_PARAM_INT, "5000", 1, 1000000000, NULL,
     "N: agent steps between bi-level steps (paper: 1000 Walker ... 10000 Door Open)"},
    {"outer_weight", PREFRL_PARAM_FLOAT, "0.1", 0, 1e6, NULL,
     "weight of the meta loss (reference 0.1; the paper's eq. 7 has none: 1)"},
    {"meta_pairs", PREFRL_PARAM_CHOICE, "recent", 0, 0, "recent|all",
     "pairs of the meta loss: the newest reward_batch (reference) or all labelled (paper)"},
    {"outer_optimizer", PREFRL_PARAM_CHOICE, "adam", 0, 0, "adam|sgd",
     "meta update: the reward's own Adam, shared with the supervised loss (reference), or "
     "a plain step ψ ← ψ − outer_lr·g (paper eq. 12)"},
    {"outer_lr", PREFRL_PARAM_FLOAT, "0.0003", 0, 1e3, NULL,
     "β of the plain outer step (outer_optimizer: sgd only)"},
    {"meta_mask", PREFRL_PARAM_CHOICE, "not_done", 0, 0, "not_done|not_done_no_max|none",
     "bootstrap mask of the pseudo-update target: not_done (reference: time limits end it), "
     "not_done_no_max (as SAC's own update), none (paper eq. 9)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

static void mrn_destroy(void *self)
{
    Mrn *p = self;
    if (!p)
        return;
    prefrl_reward_model_free(p->model);
    prefrl_reward_meta_free(p->meta);
    g_free(p);
}

static void *mrn_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    PrefrlRewardModel *m =
        prefrl_reward_model_new(params, ctx, prefrl_reward_model_segment(params, ctx), error);
    if (!m)
        return NULL;
    Mrn *p = g_new0(Mrn, 1);
    p->model = m;
    p->meta = prefrl_reward_meta_new();
    p->reward_update = (int)prefrl_param_int(params, "reward_update");
    p->stop_accuracy = prefrl_param_float(params, "stop_accuracy");
    p->num_meta_steps = prefrl_param_int(params, "num_meta_steps");
    p->outer_weight = (float)prefrl_param_float(params, "outer_weight");
    p->pairs = !strcmp(prefrl_param_string(params, "meta_pairs"), "all")
                   ? PREFRL_META_PAIRS_ALL
                   : PREFRL_META_PAIRS_RECENT;
    const char *mask = prefrl_param_string(params, "meta_mask");
    p->mask = !strcmp(mask, "none")              ? PREFRL_META_MASK_NONE
              : !strcmp(mask, "not_done_no_max") ? PREFRL_META_MASK_NO_MAX
                                                 : PREFRL_META_MASK_NOT_DONE;
    p->outer_sgd = !strcmp(prefrl_param_string(params, "outer_optimizer"), "sgd");
    p->outer_lr = (float)prefrl_param_float(params, "outer_lr");
    return p;
}

static gboolean mrn_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                          GError **error)
{
    Mrn *p = self;
    prefrl_reward_model_learn(p->model, data->prefs, p->reward_update, p->stop_accuracy, log);
    /* reward.csv's columns are fixed by its first row, so the meta-step
     * summary is logged every round, 0 before any meta step */
    prefrl_log_scalar(log, "meta_loss", p->meta_count ? p->meta_loss_sum / p->meta_count : 0.0);
    prefrl_log_scalar(log, "meta_steps", p->meta_count);
    p->meta_loss_sum = 0;
    p->meta_count = 0;
    return TRUE;
}

static int64_t mrn_meta_period(void *self)
{
    return ((Mrn *)self)->num_meta_steps;
}

static gboolean mrn_meta_step(void *self, const PrefrlMetaData *data, PrefrlLog *log,
                              GError **error)
{
    Mrn *p = self;
    PrefrlEnsemble *ens = prefrl_reward_model_ensemble(p->model);
    double loss;
    int n_pairs;
    if (!prefrl_reward_meta_gradient(p->meta, p->model, data, p->pairs, p->mask, p->outer_weight,
                                     &loss, &n_pairs, NULL, error)) {
        g_prefix_error(error, "reward/mrn: ");
        return FALSE;
    }
    if (n_pairs == 0)
        return TRUE; /* no labelled pair yet: nothing to learn from */
    float *params = prefrl_ensemble_params(ens);
    const float *grads = prefrl_ensemble_grads(ens);
    size_t n = prefrl_ensemble_n_params(ens);
    if (!isfinite(loss) || !isfinite(prefrl_slab_l2_norm(grads, n))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                    "reward/mrn: the meta loss (%g) or its gradient is not finite at step %lld; "
                    "the reward was not changed",
                    loss, (long long)data->step);
        return FALSE;
    }
    if (p->outer_sgd)
        prefrl_slab_sgd(params, grads, n, p->outer_lr);
    else
        prefrl_adam_step(prefrl_reward_model_adam(p->model), params, grads);
    prefrl_log_scalar(log, "train_meta/loss", loss);
    p->meta_loss_sum += loss;
    p->meta_count++;
    return TRUE;
}

static void mrn_predict(void *self, int64_t step, const float *x, int B, float *r)
{
    prefrl_reward_model_predict(((Mrn *)self)->model, x, B, r);
}

static int mrn_members(void *self)
{
    return prefrl_reward_model_n_members(((Mrn *)self)->model);
}

static void mrn_probs(void *self, int64_t step, const float *s1, const float *s2, int n, int H,
                      float *p)
{
    prefrl_reward_model_member_probs(((Mrn *)self)->model, s1, s2, n, H, p);
}

/* the model, then the meta-loss summary of the round in progress */
static gboolean mrn_save(void *self, PrefrlCkpt *out, GError **error)
{
    Mrn *p = self;
    prefrl_reward_model_save(p->model, out);
    prefrl_ckpt_put_tag(out, "mrn", 1);
    prefrl_ckpt_put_f64(out, p->meta_loss_sum);
    prefrl_ckpt_put_i64(out, p->meta_count);
    return TRUE;
}

static gboolean mrn_load(void *self, PrefrlCkpt *in, GError **error)
{
    Mrn *p = self;
    prefrl_reward_model_load(p->model, in);
    prefrl_ckpt_expect_tag(in, "mrn", 1);
    p->meta_loss_sum = prefrl_ckpt_get_f64(in);
    p->meta_count = (int)prefrl_ckpt_get_count(in, 0, G_MAXINT, "reward/mrn's meta-step count");
    return TRUE;
}

static const PrefrlRewardOps mrn_ops = {
    .struct_size = sizeof(PrefrlRewardOps),
    .predict = mrn_predict,
    .n_members = mrn_members,
    .member_probs = mrn_probs,
    .train = mrn_train,
    .meta_period = mrn_meta_period,
    .meta_step = mrn_meta_step,
};

static const PrefrlComponent reward_mrn = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_REWARD,
    .name = "mrn",
    .summary = "Meta-Reward-Net: PEBBLE's reward plus a bi-level step through the critic",
    .params = mrn_params,
    .flags = PREFRL_FLAG_NEEDS_CRITIC_VIEW,
    .create = mrn_create,
    .destroy = mrn_destroy,
    .save = mrn_save,
    .load = mrn_load,
    .ops = &mrn_ops,
    .memory = prefrl_reward_model_memory,
};

PREFRL_PLUGIN_DEFINE("mrn", PREFRL_VERSION, &reward_mrn)
