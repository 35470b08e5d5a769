/* agent/sac: Soft Actor-Critic as B-Pref uses it as the PbRL backbone
 * (docs/agents.md; Haarnoja et al. 2018).
 *
 * Networks: two critics Q1, Q2 (obs‖act → 1) kept as one 2-member
 * ensemble, so one slab holds both and one Adam covers them as PyTorch's
 * optimiser over critic.parameters() does; their Polyak-averaged targets;
 * an actor obs → μ‖raw log σ (2A) driving a tanh-squashed Gaussian; the
 * temperature α = exp(log α) with log α trained.  hidden_depth ReLU layers
 * of hidden_dim units, orthogonal init gain 1, biases 0.
 *
 * One update, for a batch (s, a, r, s', not_done_no_max):
 *   critic  a' ~ π(·|s'), V̄ = min(Q̄1, Q̄2)(s', a') − α log π(a'|s'),
 *           y = r + not_done_no_max · γ · V̄ (no gradient),
 *           J_Q = MSE(Q1(s,a), y) + MSE(Q2(s,a), y); Adam step.
 *   actor   (step % actor_update_frequency == 0) a ~ π(·|s) reparameterised,
 *           J_π = mean(α log π(a|s) − min(Q1, Q2)(s, a)) with the critic
 *           just updated, α held fixed; Adam step.
 *   alpha   (same steps, when learnable) J_α = mean(α (−log π − H̄)), log π
 *           held fixed, H̄ = −|A|; Adam step on log α.
 *   target  (step % critic_target_update_frequency == 0)
 *           θ̄ ← τ θ + (1 − τ) θ̄.
 * Every workspace is sized for batch_size at create; act, update and
 * target_value never allocate. */
#include <math.h>
#include <string.h>

#include <prefrl/nn.h>
#include <prefrl/pbrl.h>
#include <prefrl/plugin.h>

#include "sac.h"

/* the checkpoint's tag and format version */
#define SAC_TAG "agent/sac"
#define SAC_FORMAT 2

/* Adam hyper-parameters of B-Pref's actor, critic and alpha optimisers */
#define SAC_BETA1 0.9f
#define SAC_BETA2 0.999f
#define SAC_EPS 1e-8f

static const PrefrlParamSpec sac_params[] = {
    {"hidden_dim", PREFRL_PARAM_INT, "1024", 1, 65536, NULL,
     "units per hidden layer of actor and critics (DMC 1024, Meta-world 256)"},
    {"hidden_depth", PREFRL_PARAM_INT, "2", 1, 32, NULL,
     "hidden ReLU layers of actor and critics (DMC 2, Meta-world 3)"},
    {"batch_size", PREFRL_PARAM_INT, "1024", 1, 65536, NULL,
     "transitions per update (DMC 1024, Meta-world 512)"},
    {"actor_lr", PREFRL_PARAM_FLOAT, "1e-4", 0, 10, NULL,
     "actor Adam learning rate (DMC 1e-4, walker 5e-4, Meta-world 3e-4)"},
    {"critic_lr", PREFRL_PARAM_FLOAT, "1e-4", 0, 10, NULL,
     "critic Adam learning rate, also MRN's inner step (DMC 1e-4, walker 5e-4, Meta-world 3e-4)"},
    {"alpha_lr", PREFRL_PARAM_FLOAT, "1e-4", 0, 10, NULL, "Adam learning rate of log alpha"},
    {"init_temperature", PREFRL_PARAM_FLOAT, "0.1", 1e-12, 1e12, NULL,
     "initial entropy temperature alpha (log alpha is the trained variable)"},
    {"learnable_temperature", PREFRL_PARAM_BOOL, "true", 0, 0, NULL,
     "train alpha towards the target entropy -act_dim (else alpha stays fixed)"},
    {"discount", PREFRL_PARAM_FLOAT, "0.99", 0, 1, NULL, "discount factor gamma"},
    {"critic_tau", PREFRL_PARAM_FLOAT, "0.005", 0, 1, NULL,
     "Polyak rate of the target critics: target <- tau*critic + (1-tau)*target"},
    {"critic_target_update_frequency", PREFRL_PARAM_INT, "2", 1, 1e9, NULL,
     "update the target critics when step % this == 0"},
    {"actor_update_frequency", PREFRL_PARAM_INT, "1", 1, 1e9, NULL,
     "update actor and alpha when step % this == 0"},
    {"log_std_min", PREFRL_PARAM_FLOAT, "-5", -50, 50, NULL,
     "lower bound of the policy's log standard deviation"},
    {"log_std_max", PREFRL_PARAM_FLOAT, "2", -50, 50, NULL,
     "upper bound of the policy's log standard deviation (> log_std_min)"},
    {NULL, 0, NULL, 0, 0, NULL, NULL},
};

/* ---- networks ----------------------------------------------------------- */

static void sac_nets_clear(SacNets *n)
{
    prefrl_mlp_free(n->actor);
    prefrl_ensemble_free(n->critic);
    prefrl_ensemble_free(n->target);
    prefrl_adam_free(n->actor_opt);
    prefrl_adam_free(n->critic_opt);
    prefrl_adam_free(n->alpha_opt);
    memset(n, 0, sizeof *n);
}

/* allocate zero-initialised networks and fresh optimisers for s's shapes */
static gboolean sac_nets_init(SacNets *n, const Sac *s, GError **error)
{
    const int depth = s->hidden_depth;
    int dims[34];
    memset(n, 0, sizeof *n);
    dims[0] = s->D;
    for (int l = 1; l <= depth; l++)
        dims[l] = s->hidden_dim;
    dims[depth + 1] = 2 * s->A;
    n->actor = prefrl_mlp_new(depth + 1, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY, 0.0f,
                              s->batch_size, error);
    if (!n->actor)
        return FALSE;
    dims[0] = s->D + s->A;
    dims[depth + 1] = 1;
    n->critic = prefrl_ensemble_new(2, depth + 1, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY,
                                    0.0f, s->batch_size, error);
    if (!n->critic) {
        sac_nets_clear(n);
        return FALSE;
    }
    n->target = prefrl_ensemble_new(2, depth + 1, dims, PREFRL_ACT_RELU, PREFRL_ACT_IDENTITY,
                                    0.0f, s->batch_size, error);
    if (!n->target) {
        sac_nets_clear(n);
        return FALSE;
    }
    n->actor_opt = prefrl_adam_new(prefrl_mlp_n_params(n->actor), s->actor_lr, SAC_BETA1,
                                   SAC_BETA2, SAC_EPS);
    n->critic_opt = prefrl_adam_new(prefrl_ensemble_n_params(n->critic), s->critic_lr,
                                    SAC_BETA1, SAC_BETA2, SAC_EPS);
    n->alpha_opt = prefrl_adam_new(1, s->alpha_lr, SAC_BETA1, SAC_BETA2, SAC_EPS);
    return TRUE;
}

/* point the critic view at the current critic members */
static void sac_bind_view(Sac *s)
{
    s->heads[0] = prefrl_ensemble_member(s->nets.critic, 0);
    s->heads[1] = prefrl_ensemble_member(s->nets.critic, 1);
}

/* fresh random critics, targets equal to them, fresh critic Adam */
static void sac_init_critic(Sac *s)
{
    prefrl_ensemble_init_orthogonal(s->nets.critic, &s->rng, 1.0f, 1.0f);
    prefrl_slab_copy(prefrl_ensemble_params(s->nets.target),
                     prefrl_ensemble_params(s->nets.critic),
                     prefrl_ensemble_n_params(s->nets.critic));
    prefrl_adam_reset(s->nets.critic_opt);
}

/* ---- the policy and the target value ------------------------------------- */

/* critic input rows obs‖act into s->xa */
static void sac_pack(Sac *s, const float *obs, const float *act, int B)
{
    const int D = s->D, A = s->A, X = D + A;
    for (int b = 0; b < B; b++) {
        memcpy(s->xa + (size_t)b * X, obs + (size_t)b * D, sizeof(float) * D);
        memcpy(s->xa + (size_t)b * X + D, act + (size_t)b * A, sizeof(float) * A);
    }
}

/* a ~ π(·|obs) reparameterised into s->act (B, A), log π into s->logp (B);
 * the actor's and the distribution's caches hold this pass */
static void sac_sample(Sac *s, const float *obs, int B)
{
    const float *out = prefrl_mlp_forward(s->nets.actor, obs, B);
    prefrl_rng_normal_fill(&s->rng, s->eps, (size_t)B * s->A);
    prefrl_tanh_gaussian_sample(s->dist, out, s->eps, B, s->act, s->logp);
}

/* V̄(s') = min_h Q̄_h(s', a') − α log π(a'|s') for B <= batch_size rows */
static void sac_target_chunk(Sac *s, const float *next_obs, int B, float *v)
{
    const float alpha = expf(s->log_alpha);
    sac_sample(s, next_obs, B);
    sac_pack(s, next_obs, s->act, B);
    const float *q = prefrl_ensemble_forward(s->nets.target, s->xa, B); /* (2, B, 1) */
    for (int b = 0; b < B; b++)
        v[b] = fminf(q[b], q[B + b]) - alpha * s->logp[b];
}

/* the critic view's target_value: any B, in chunks of batch_size */
static void sac_view_target_value(void *agent, const float *next_obs, int B, float *v)
{
    Sac *s = agent;
    for (int i = 0; i < B; i += s->batch_size) {
        int n = MIN(s->batch_size, B - i);
        sac_target_chunk(s, next_obs + (size_t)i * s->D, n, v + i);
    }
}

/* ---- agent ops ------------------------------------------------------------ */

static void sac_act(void *self, const float *obs, gboolean deterministic, float *action)
{
    Sac *s = self;
    if (deterministic) {
        const float *out = prefrl_mlp_forward(s->nets.actor, obs, 1);
        prefrl_tanh_gaussian_mode(s->dist, out, 1, action);
    } else {
        sac_sample(s, obs, 1);
        memcpy(action, s->act, sizeof(float) * s->A);
    }
}

static int sac_batch_size(void *self)
{
    return ((Sac *)self)->batch_size;
}

static gboolean sac_check_batch(const Sac *s, const PrefrlBatch *batch, GError **error)
{
    if (batch->size < 1 || batch->size > s->batch_size || batch->obs_dim != s->D ||
        batch->act_dim != s->A) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "agent/sac: batch of %d rows with obs %d, act %d does not fit an agent "
                    "built for at most %d rows with obs %d, act %d",
                    batch->size, batch->obs_dim, batch->act_dim, s->batch_size, s->D, s->A);
        return FALSE;
    }
    return TRUE;
}

/* `applied` says which steps of this update already happened */
static gboolean sac_not_finite(const char *what, double value, int64_t step, const char *applied,
                               GError **error)
{
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_NUMERIC,
                "agent/sac: the %s is %g at step %" G_GINT64_FORMAT "; %s (check the rewards "
                "given to the agent, or lower the learning rates)",
                what, value, step, applied);
    return FALSE;
}

/* J_Q and its Adam step; returns the loss (NaN/Inf: nothing stepped) */
static double sac_update_critic(Sac *s, const PrefrlBatch *batch)
{
    const int B = batch->size;
    if (batch->next_value)
        memcpy(s->v, batch->next_value, sizeof(float) * B); /* drawn for MRN's meta step */
    else
        sac_target_chunk(s, batch->next_obs, B, s->v);
    for (int b = 0; b < B; b++)
        s->y[b] = batch->reward[b] + batch->not_done_no_max[b] * s->discount * s->v[b];

    sac_pack(s, batch->obs, batch->action, B);
    const float *q = prefrl_ensemble_forward(s->nets.critic, s->xa, B); /* (2, B, 1) */
    double loss = prefrl_loss_mse(q, s->y, B, s->dq) + prefrl_loss_mse(q + B, s->y, B, s->dq + B);
    if (!isfinite(loss))
        return loss;
    prefrl_ensemble_zero_grad(s->nets.critic);
    prefrl_mlp_backward(s->heads[0], s->dq, NULL, TRUE);
    prefrl_mlp_backward(s->heads[1], s->dq + B, NULL, TRUE);
    prefrl_adam_step(s->nets.critic_opt, prefrl_ensemble_params(s->nets.critic),
                     prefrl_ensemble_grads(s->nets.critic));
    return loss;
}

/* J_π and J_α with their Adam steps; FALSE (nothing stepped) on a non-finite loss */
static gboolean sac_update_actor_alpha(Sac *s, const PrefrlBatch *batch, int64_t step,
                                       PrefrlLog *log, GError **error)
{
    const int B = batch->size, D = s->D, A = s->A, X = D + A;
    const float alpha = expf(s->log_alpha);
    sac_sample(s, batch->obs, B);
    sac_pack(s, batch->obs, s->act, B);
    const float *q = prefrl_ensemble_forward(s->nets.critic, s->xa, B);

    /* dJ/dQ goes to the smaller head (ties to Q1, as torch.min's backward) */
    double loss = 0.0, sum_logp = 0.0;
    const float inv_b = 1.0f / (float)B;
    for (int b = 0; b < B; b++) {
        gboolean first = q[b] <= q[B + b];
        float qmin = first ? q[b] : q[B + b];
        loss += (double)alpha * s->logp[b] - qmin;
        sum_logp += s->logp[b];
        s->dq[b] = first ? -inv_b : 0.0f;
        s->dq[B + b] = first ? 0.0f : -inv_b;
        s->dlogp[b] = alpha * inv_b;
    }
    loss /= B;
    if (!isfinite(loss))
        return sac_not_finite("actor loss", loss, step,
                              "the critic step was applied, actor and temperature were not",
                              error);

    /* dJ/da through both heads without touching the critic's gradients */
    prefrl_mlp_backward(s->heads[0], s->dq, s->dxa, FALSE);
    for (int b = 0; b < B; b++)
        memcpy(s->da + (size_t)b * A, s->dxa + (size_t)b * X + D, sizeof(float) * A);
    prefrl_mlp_backward(s->heads[1], s->dq + B, s->dxa, FALSE);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < A; i++)
            s->da[(size_t)b * A + i] += s->dxa[(size_t)b * X + D + i];
    prefrl_tanh_gaussian_backward(s->dist, s->da, s->dlogp, s->dout);
    prefrl_mlp_zero_grad(s->nets.actor);
    prefrl_mlp_backward(s->nets.actor, s->dout, NULL, TRUE);
    prefrl_adam_step(s->nets.actor_opt, prefrl_mlp_params(s->nets.actor),
                     prefrl_mlp_grads(s->nets.actor));

    const double entropy = -sum_logp / B;
    prefrl_log_scalar(log, "train_actor/loss", loss);
    prefrl_log_scalar(log, "train_actor/target_entropy", s->target_entropy);
    prefrl_log_scalar(log, "train_actor/entropy", entropy);

    if (s->learnable_temperature) {
        /* J_α = α · mean(−log π − H̄), dJ_α/dlog α = J_α */
        const double alpha_loss = (double)alpha * (entropy - s->target_entropy);
        prefrl_log_scalar(log, "train_alpha/loss", alpha_loss);
        prefrl_log_scalar(log, "train_alpha/value", alpha);
        s->log_alpha_grad = (float)alpha_loss;
        prefrl_adam_step(s->nets.alpha_opt, &s->log_alpha, &s->log_alpha_grad);
    }
    return TRUE;
}

static gboolean sac_update(void *self, const PrefrlBatch *batch, int64_t step, PrefrlLog *log,
                           GError **error)
{
    Sac *s = self;
    if (!sac_check_batch(s, batch, error))
        return FALSE;
    double critic_loss = sac_update_critic(s, batch);
    if (!isfinite(critic_loss))
        return sac_not_finite("critic loss", critic_loss, step, "no parameter was changed",
                              error);
    prefrl_log_scalar(log, "train_critic/loss", critic_loss);

    if (step % s->actor_freq == 0 && !sac_update_actor_alpha(s, batch, step, log, error))
        return FALSE;
    if (step % s->target_freq == 0)
        prefrl_slab_polyak(prefrl_ensemble_params(s->nets.target),
                           prefrl_ensemble_params(s->nets.critic),
                           prefrl_ensemble_n_params(s->nets.critic), s->tau);
    return TRUE;
}

static void sac_reset_critic(void *self)
{
    sac_init_critic(self);
}

static const PrefrlCriticView *sac_critic_view(void *self)
{
    return &((Sac *)self)->view;
}

/* ---- create / destroy ---------------------------------------------------- */

static void sac_destroy(void *self)
{
    Sac *s = self;
    if (!s)
        return;
    sac_nets_clear(&s->nets);
    prefrl_tanh_gaussian_free(s->dist);
    g_free(s->block);
    g_free(s);
}

static void *sac_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    if (!ctx->env || ctx->env->obs_dim < 1 || ctx->env->act_dim < 1) {
        g_set_error_literal(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                            "agent/sac needs an environment with obs_dim >= 1 and act_dim >= 1");
        return NULL;
    }
    Sac *s = g_new0(Sac, 1);
    s->D = ctx->env->obs_dim;
    s->A = ctx->env->act_dim;
    s->hidden_dim = (int)prefrl_param_int(params, "hidden_dim");
    s->hidden_depth = (int)prefrl_param_int(params, "hidden_depth");
    s->batch_size = (int)prefrl_param_int(params, "batch_size");
    s->actor_lr = (float)prefrl_param_float(params, "actor_lr");
    s->critic_lr = (float)prefrl_param_float(params, "critic_lr");
    s->alpha_lr = (float)prefrl_param_float(params, "alpha_lr");
    s->discount = (float)prefrl_param_float(params, "discount");
    s->tau = (float)prefrl_param_float(params, "critic_tau");
    s->target_freq = prefrl_param_int(params, "critic_target_update_frequency");
    s->actor_freq = prefrl_param_int(params, "actor_update_frequency");
    s->log_std_min = (float)prefrl_param_float(params, "log_std_min");
    s->log_std_max = (float)prefrl_param_float(params, "log_std_max");
    s->learnable_temperature = prefrl_param_bool(params, "learnable_temperature");
    s->log_alpha = (float)log(prefrl_param_float(params, "init_temperature"));
    s->target_entropy = -(float)s->A;
    s->rng = ctx->rng;

    if (!(s->log_std_min < s->log_std_max)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "log_std_min (%g) must be below log_std_max (%g)",
                    s->log_std_min, s->log_std_max);
        sac_destroy(s);
        return NULL;
    }
    s->dist = prefrl_tanh_gaussian_new(s->A, s->batch_size, s->log_std_min, s->log_std_max, error);
    if (!s->dist || !sac_nets_init(&s->nets, s, error)) {
        sac_destroy(s);
        return NULL;
    }

    /* workspaces */
    const size_t B = (size_t)s->batch_size, X = (size_t)s->D + s->A, A = (size_t)s->A;
    s->block = g_new0(float, 2 * B * X + 3 * B * A + 2 * B * A + 6 * B);
    float *p = s->block;
    s->xa = p, p += B * X;
    s->dxa = p, p += B * X;
    s->eps = p, p += B * A;
    s->act = p, p += B * A;
    s->da = p, p += B * A;
    s->dout = p, p += 2 * B * A;
    s->logp = p, p += B;
    s->dlogp = p, p += B;
    s->v = p, p += B;
    s->y = p, p += B;
    s->dq = p;

    /* B-Pref builds the critic (and copies it to the target) before the actor */
    sac_init_critic(s);
    prefrl_mlp_init_orthogonal(s->nets.actor, &s->rng, 1.0f, 1.0f);
    sac_bind_view(s);
    s->view = (PrefrlCriticView){
        .struct_size = sizeof(PrefrlCriticView),
        .n_heads = 2,
        .heads = s->heads,
        .lr = s->critic_lr,
        .discount = s->discount,
        .target_value = sac_view_target_value,
        .agent = s,
    };
    return s;
}

/* ---- save / load ----------------------------------------------------------
 * The tag, the shapes, log α and the rng state, then the nn records: actor,
 * critic, target, then the Adam states of actor, critic and log α.  Loading
 * reads everything into fresh objects and swaps them in only when the stream
 * is still ok (it verified the file's checksum when it was opened). */

static gboolean sac_save(void *self, PrefrlCkpt *out, GError **error)
{
    Sac *s = self;
    const SacNets *n = &s->nets;
    prefrl_ckpt_put_tag(out, SAC_TAG, SAC_FORMAT);
    const int64_t shape[4] = {s->D, s->A, s->hidden_dim, s->hidden_depth};
    for (int i = 0; i < 4; i++)
        prefrl_ckpt_put_i64(out, shape[i]);
    prefrl_ckpt_put_f64(out, s->log_alpha);
    prefrl_rng_save(&s->rng, SAC_TAG " rng", out);
    prefrl_mlp_save(n->actor, out);
    prefrl_ensemble_save(n->critic, out);
    prefrl_ensemble_save(n->target, out);
    prefrl_adam_save(n->actor_opt, out);
    prefrl_adam_save(n->critic_opt, out);
    prefrl_adam_save(n->alpha_opt, out);
    return prefrl_ckpt_check(out, error);
}

static gboolean sac_load(void *self, PrefrlCkpt *in, GError **error)
{
    Sac *s = self;
    prefrl_ckpt_expect_tag(in, SAC_TAG, SAC_FORMAT);
    int64_t shape[4];
    for (int i = 0; i < 4; i++)
        shape[i] = prefrl_ckpt_get_i64(in);
    if (prefrl_ckpt_ok(in) && (shape[0] != s->D || shape[1] != s->A ||
                               shape[2] != s->hidden_dim || shape[3] != s->hidden_depth))
        prefrl_ckpt_fail(in, "agent/sac: checkpoint is for obs %" G_GINT64_FORMAT
                             ", act %" G_GINT64_FORMAT ", hidden %" G_GINT64_FORMAT
                             " x %" G_GINT64_FORMAT "; this agent has obs %d, act %d, "
                             "hidden %d x %d",
                         shape[0], shape[1], shape[2], shape[3], s->D, s->A, s->hidden_dim,
                         s->hidden_depth);
    double log_alpha = prefrl_ckpt_get_f64(in);
    if (prefrl_ckpt_ok(in) && !isfinite((float)log_alpha))
        prefrl_ckpt_fail(in, "agent/sac: checkpoint holds a non-finite log alpha");
    PrefrlRng rng = s->rng;
    prefrl_rng_load(&rng, SAC_TAG " rng", in);
    /* fresh networks only for a checkpoint that fits */
    SacNets n;
    if (!prefrl_ckpt_check(in, error) || !sac_nets_init(&n, s, error))
        return FALSE;
    prefrl_mlp_load(n.actor, in);
    prefrl_ensemble_load(n.critic, in);
    prefrl_ensemble_load(n.target, in);
    prefrl_adam_load(n.actor_opt, in);
    prefrl_adam_load(n.critic_opt, in);
    prefrl_adam_load(n.alpha_opt, in);
    if (!prefrl_ckpt_check(in, error)) {
        sac_nets_clear(&n);
        return FALSE;
    }
    sac_nets_clear(&s->nets);
    s->nets = n;
    s->log_alpha = (float)log_alpha;
    s->rng = rng;
    sac_bind_view(s);
    return TRUE;
}

/* ---- plugin ---------------------------------------------------------------- */

static const PrefrlAgentOps sac_ops = {
    .struct_size = sizeof(PrefrlAgentOps),
    .act = sac_act,
    .batch_size = sac_batch_size,
    .update = sac_update,
    .reset_critic = sac_reset_critic,
    .critic_view = sac_critic_view,
};

/* what create() would refuse, for `prefrl check` */
static gboolean sac_validate(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    (void)ctx;
    double lo = prefrl_param_float(params, "log_std_min");
    double hi = prefrl_param_float(params, "log_std_max");
    if (lo < hi)
        return TRUE;
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                "log_std_min (%g) must be below log_std_max (%g)", lo, hi);
    return FALSE;
}

/* floats of an MLP in -> hidden^depth -> out */
static double mlp_floats(double in, double h, double depth, double out)
{
    return in * h + h + (depth - 1) * (h * h + h) + h * out + out;
}

/* bytes create() allocates: the actor and two critics with gradients and two
 * Adam moments, the target critics, activations and workspaces of a batch */
static guint64 sac_memory(const PrefrlNode *params, const PrefrlContext *ctx)
{
    double D = ctx->env->obs_dim, A = ctx->env->act_dim;
    double h = (double)prefrl_param_int(params, "hidden_dim");
    double depth = (double)prefrl_param_int(params, "hidden_depth");
    double B = (double)prefrl_param_int(params, "batch_size");
    double actor = mlp_floats(D, h, depth, 2 * A), critic = mlp_floats(D + A, h, depth, 1);
    double floats = 4 * actor + 2 * 4 * critic + 2 * critic /* targets */ +
                    5 * 2 * B * (h * depth + 2 * A + 1) /* activations and gradients */ +
                    B * (2 * (D + A) + 5 * A + 6);
    double bytes = floats * sizeof(float);
    return bytes >= 1.8e19 ? G_MAXUINT64 : (guint64)bytes;
}

static const PrefrlComponent sac_component = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_AGENT,
    .name = "sac",
    .summary = "Soft Actor-Critic (double Q, tanh-Gaussian actor, learned temperature) as in "
               "B-Pref",
    .params = sac_params,
    .flags = PREFRL_FLAG_CRITIC_VIEW,
    .create = sac_create,
    .destroy = sac_destroy,
    .save = sac_save,
    .load = sac_load,
    .ops = &sac_ops,
    .validate = sac_validate,
    .memory = sac_memory,
};

PREFRL_PLUGIN_DEFINE("sac", PREFRL_VERSION, &sac_component);
