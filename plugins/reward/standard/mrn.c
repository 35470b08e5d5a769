/* reward/mrn: Meta-Reward-Net (Liu et al. 2022, §4; algorithms.md §7).
 *
 * PEBBLE's supervised reward learning after every query round (eq. 2, the
 * "auxiliary loss"), plus every num_meta_steps agent steps a bi-level step:
 * pseudo-update a copy of each critic head by one SGD step of the Bellman
 * loss whose rewards come from r̂_ψ (eq. 9-10), measure the Bradley-Terry
 * cross-entropy of the pseudo-updated Q on labelled pairs (eq. 6-7) and step
 * ψ along its gradient (eq. 11-12).  The gradient is exact and closed-form:
 * θ̂ depends on r̂ᵢ only through the target yᵢ, so ∂θ̂_h/∂r̂ᵢ =
 * (2α/B)∇θ Q_h(sᵢ,aᵢ) and ∂L/∂r̂ᵢ = (2α/B) Σ_h ⟨∇θ̂_h L, ∇θ Q_h(sᵢ,aᵢ)⟩ —
 * one forward-mode JVP of each head along ∇θ̂_h L, no Hessian.
 *
 * The trainer runs the step (meta_step) and then the agent's own update on
 * the same batch with r̂ recomputed by the updated ψ (steps 9-10 of §7). */
#include <math.h>
#include <string.h>
#include "mrn.h"
#include "standard.h"

struct MrnMeta {
    int n_heads, B, d, pair_rows;
    PrefrlMlp **work;    /* (n_heads) W_h: θ_h, its Bellman gradient, the JVP */
    PrefrlMlp **pseudo;  /* (n_heads) P_h: θ̂_h and ∇θ̂_h L */
    gboolean *owned;     /* heads of one shape share W and P */
    float *xa, *r, *v, *y, *dq, *dr;  /* (B) or (B, d) */
    float *pair_x, *dout;             /* (pair_rows, d), (pair_rows) */
    float *z1, *z2, *dz1, *dz2;       /* (pair_rows / 2) */
    int *labels;                      /* (pair_rows / 2) */
    int *idx, idx_cap;                /* chosen pairs */
};

MrnMeta *mrn_meta_new(void)
{
    return g_new0(MrnMeta, 1);
}

static void meta_clear(MrnMeta *mm)
{
    for (int h = 0; h < mm->n_heads; h++)
        if (mm->owned[h]) {
            prefrl_mlp_free(mm->work[h]);
            prefrl_mlp_free(mm->pseudo[h]);
        }
    g_free(mm->work);
    g_free(mm->pseudo);
    g_free(mm->owned);
    float *bufs[] = {mm->xa, mm->r, mm->v, mm->y, mm->dq, mm->dr, mm->pair_x, mm->dout,
                     mm->z1, mm->z2, mm->dz1, mm->dz2};
    for (gsize i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(mm->labels);
    g_free(mm->idx);
    memset(mm, 0, sizeof *mm);
}

void mrn_meta_free(MrnMeta *mm)
{
    if (!mm)
        return;
    meta_clear(mm);
    g_free(mm);
}

/* an empty MLP of the head's shape for batches up to max_batch */
static PrefrlMlp *mlp_like(PrefrlMlp *head, int max_batch, GError **error)
{
    int L = prefrl_mlp_n_layers(head);
    int *dims = g_new(int, L + 1);
    for (int i = 0; i <= L; i++)
        dims[i] = prefrl_mlp_dim(head, i);
    PrefrlMlp *m = prefrl_mlp_new(L, dims, prefrl_mlp_hidden_act(head),
                                  prefrl_mlp_output_act(head), prefrl_mlp_leaky_slope(head),
                                  max_batch, error);
    g_free(dims);
    return m;
}

static gboolean meta_fits(const MrnMeta *mm, const PrefrlCriticView *cv, int B, int d)
{
    if (mm->n_heads != cv->n_heads || B > mm->B || d != mm->d)
        return FALSE;
    for (int h = 0; h < cv->n_heads; h++)
        if (!prefrl_mlp_same_shape(mm->work[h], cv->heads[h]))
            return FALSE;
    return TRUE;
}

/* (re)build the workspaces for the view's heads and batch size B; runs at
 * the first meta step and again only if the heads or B change */
static gboolean meta_ensure(MrnMeta *mm, const PrefrlCriticView *cv, int B, int d,
                            GError **error)
{
    for (int h = 0; h < cv->n_heads; h++) {
        PrefrlMlp *q = cv->heads[h];
        if (!q || prefrl_mlp_in_dim(q) != d || prefrl_mlp_out_dim(q) != 1) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "reward/mrn: critic head %d maps %d inputs to %d outputs; MRN needs "
                        "Q(obs‖act) with %d inputs and 1 output",
                        h, q ? prefrl_mlp_in_dim(q) : 0, q ? prefrl_mlp_out_dim(q) : 0, d);
            return FALSE;
        }
    }
    if (mm->n_heads && meta_fits(mm, cv, B, d))
        return TRUE;
    meta_clear(mm);
    mm->n_heads = cv->n_heads;
    mm->B = B;
    mm->d = d;
    mm->pair_rows = MAX(B, 2) & ~1; /* an even number: two rows per pair */
    mm->work = g_new0(PrefrlMlp *, cv->n_heads);
    mm->pseudo = g_new0(PrefrlMlp *, cv->n_heads);
    mm->owned = g_new0(gboolean, cv->n_heads);
    for (int h = 0; h < cv->n_heads; h++) {
        for (int g = 0; g < h && !mm->work[h]; g++)
            if (prefrl_mlp_same_shape(cv->heads[g], cv->heads[h])) {
                mm->work[h] = mm->work[g];
                mm->pseudo[h] = mm->pseudo[g];
            }
        if (mm->work[h])
            continue;
        mm->owned[h] = TRUE;
        if (!(mm->work[h] = mlp_like(cv->heads[h], B, error)) ||
            !(mm->pseudo[h] = mlp_like(cv->heads[h], mm->pair_rows, error))) {
            meta_clear(mm);
            return FALSE;
        }
    }
    mm->xa = g_new(float, (gsize)B * d);
    mm->r = g_new(float, B);
    mm->v = g_new(float, B);
    mm->y = g_new(float, B);
    mm->dq = g_new(float, B);
    mm->dr = g_new(float, B);
    mm->pair_x = g_new(float, (gsize)mm->pair_rows * d);
    mm->dout = g_new(float, mm->pair_rows);
    int pc = mm->pair_rows / 2;
    mm->z1 = g_new(float, pc);
    mm->z2 = g_new(float, pc);
    mm->dz1 = g_new(float, pc);
    mm->dz2 = g_new(float, pc);
    mm->labels = g_new(int, pc);
    return TRUE;
}

int mrn_meta_pairs(const PrefrlPrefs *prefs, MrnPairs pairs, int reward_batch, int *idx)
{
    if (pairs == MRN_PAIRS_ALL) {
        for (int i = 0; i < prefs->count; i++)
            idx[i] = i;
        return prefs->count;
    }
    /* the newest pairs sit just before the ring's write index */
    int n = MIN(reward_batch, prefs->count);
    for (int j = 0; j < n; j++)
        idx[j] = ((prefs->next - n + j) % prefs->capacity + prefs->capacity) % prefs->capacity;
    return n;
}

/* L_meta of one head at θ̂ (held by P) over the chosen pairs, its gradient
 * ∇θ̂ L added to P's (zeroed) gradient slab; pairs go through P in chunks */
static double head_meta_loss(MrnMeta *mm, PrefrlMlp *P, const PrefrlPrefs *prefs, int n,
                             float weight)
{
    const int d = mm->d, pc = mm->pair_rows / 2;
    const gsize seg = (gsize)prefs->H * d;
    double loss = 0;
    prefrl_mlp_zero_grad(P);
    for (int p0 = 0; p0 < n; p0 += pc) {
        int c = MIN(pc, n - p0);
        /* rows: the first state-action of every seg1, then of every seg2 */
        for (int i = 0; i < c; i++) {
            int j = mm->idx[p0 + i];
            memcpy(mm->pair_x + (gsize)i * d, prefs->seg1 + j * seg, sizeof(float) * d);
            memcpy(mm->pair_x + (gsize)(c + i) * d, prefs->seg2 + j * seg, sizeof(float) * d);
            mm->labels[i] = prefs->labels[j];
        }
        const float *q = prefrl_mlp_forward(P, mm->pair_x, 2 * c);
        /* the chunk's mean CE → its share of the mean over all n pairs */
        double l = prefrl_loss_bt(q, q + c, mm->labels, c, 0.0f, mm->dz1, mm->dz2);
        float share = (float)c / (float)n;
        loss += l * share;
        for (int i = 0; i < c; i++) {
            mm->dout[i] = mm->dz1[i] * share * weight;
            mm->dout[c + i] = mm->dz2[i] * share * weight;
        }
        prefrl_mlp_backward(P, mm->dout, NULL, TRUE);
    }
    return weight * loss;
}

gboolean mrn_meta_gradient(MrnMeta *mm, RewardModel *m, const PrefrlMetaData *data,
                           MrnPairs pairs, MrnMask mask, float outer_weight, double *loss,
                           int *n_pairs, float *dr, GError **error)
{
    const PrefrlCriticView *cv = data->critic;
    const PrefrlBatch *b = data->batch;
    const PrefrlPrefs *prefs = data->prefs;
    const int B = b->size, ds = b->obs_dim, da = b->act_dim, d = ds + da;
    *loss = 0;
    *n_pairs = 0;
    if (!prefs || prefs->count == 0)
        return TRUE;
    if (ds != m->ds || da != m->da || prefs->obs_dim != ds || prefs->act_dim != da) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward/mrn: batch (obs %d, act %d) or labelled pairs (obs %d, act %d) do "
                    "not match the reward model (obs %d, act %d)",
                    ds, da, prefs->obs_dim, prefs->act_dim, m->ds, m->da);
        return FALSE;
    }
    if (!meta_ensure(mm, cv, B, d, error))
        return FALSE;
    if (mm->idx_cap < prefs->capacity) {
        mm->idx_cap = prefs->capacity;
        mm->idx = g_renew(int, mm->idx, mm->idx_cap);
    }
    int n = mrn_meta_pairs(prefs, pairs, data->reward_batch, mm->idx);
    if (n == 0)
        return TRUE;

    /* the pseudo-update's target y = r̂_ψ + mask·γ·V̄ (V̄ held fixed) */
    for (int i = 0; i < B; i++) {
        memcpy(mm->xa + (gsize)i * d, b->obs + (gsize)i * ds, sizeof(float) * ds);
        memcpy(mm->xa + (gsize)i * d + ds, b->action + (gsize)i * da, sizeof(float) * da);
    }
    reward_model_predict(m, mm->xa, B, mm->r);
    if (data->next_value)
        memcpy(mm->v, data->next_value, sizeof(float) * B); /* shared with the critic update */
    else
        cv->target_value(cv->agent, b->next_obs, B, mm->v);
    for (int i = 0; i < B; i++) {
        float bootstrap = mask == MRN_MASK_NOT_DONE ? b->not_done[i]
                          : mask == MRN_MASK_NO_MAX ? b->not_done_no_max[i]
                                                    : 1.0f;
        mm->y[i] = mm->r[i] + bootstrap * cv->discount * mm->v[i];
    }

    const float alpha = cv->lr, scale = 2.0f * alpha / (float)B;
    memset(mm->dr, 0, sizeof(float) * B);
    double total = 0;
    for (int h = 0; h < cv->n_heads; h++) {
        PrefrlMlp *W = mm->work[h], *P = mm->pseudo[h];
        /* g_h = ∇θ J_Q at θ_h (MSE: dJ/dQᵢ = 2(Qᵢ − yᵢ)/B) */
        prefrl_mlp_copy_params(W, cv->heads[h]);
        const float *q = prefrl_mlp_forward(W, mm->xa, B);
        prefrl_loss_mse(q, mm->y, B, mm->dq);
        prefrl_mlp_zero_grad(W);
        prefrl_mlp_backward(W, mm->dq, NULL, TRUE);
        /* θ̂_h = θ_h − α g_h: one plain SGD step on the copy */
        size_t np = prefrl_mlp_n_params(W);
        prefrl_slab_copy(prefrl_mlp_params(P), prefrl_mlp_params(W), np);
        prefrl_slab_sgd(prefrl_mlp_params(P), prefrl_mlp_grads(W), np, alpha);
        /* v_h = ∇θ̂ L_meta, then ⟨v_h, ∇θ Q_h(sᵢ,aᵢ)⟩ for the whole batch */
        total += head_meta_loss(mm, P, prefs, n, outer_weight);
        const float *t = prefrl_mlp_jvp(W, mm->xa, B, prefrl_mlp_grads(P));
        for (int i = 0; i < B; i++)
            mm->dr[i] += scale * t[i];
    }
    prefrl_ensemble_zero_grad(m->ens);
    reward_model_backward_mean(m, mm->xa, B, mm->dr);
    if (dr)
        memcpy(dr, mm->dr, sizeof(float) * B);
    *loss = total;
    *n_pairs = n;
    return TRUE;
}

/* ---- the component ---------------------------------------------------------- */

static const PrefrlParamSpec mrn_params[] = {
    REWARD_MODEL_PARAMS,
    {"reward_update", PREFRL_PARAM_INT, "200", 1, 1000000, NULL,
     "most supervised passes over the labelled pairs per query round (as reward/pebble)"},
    {"stop_accuracy", PREFRL_PARAM_FLOAT, "0.97", 0, 1.01, NULL,
     "stop a round's supervised training once mean ensemble accuracy exceeds this"},
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
    reward_model_free(p->model);
    mrn_meta_free(p->meta);
    g_free(p);
}

static void *mrn_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    RewardModel *m = reward_model_new(params, ctx, reward_model_segment(params, ctx), error);
    if (!m)
        return NULL;
    Mrn *p = g_new0(Mrn, 1);
    p->model = m;
    p->meta = mrn_meta_new();
    p->reward_update = (int)prefrl_param_int(params, "reward_update");
    p->stop_accuracy = prefrl_param_float(params, "stop_accuracy");
    p->num_meta_steps = prefrl_param_int(params, "num_meta_steps");
    p->outer_weight = (float)prefrl_param_float(params, "outer_weight");
    p->pairs = !strcmp(prefrl_param_string(params, "meta_pairs"), "all") ? MRN_PAIRS_ALL
                                                                          : MRN_PAIRS_RECENT;
    const char *mask = prefrl_param_string(params, "meta_mask");
    p->mask = !strcmp(mask, "none")               ? MRN_MASK_NONE
              : !strcmp(mask, "not_done_no_max") ? MRN_MASK_NO_MAX
                                                  : MRN_MASK_NOT_DONE;
    p->outer_sgd = !strcmp(prefrl_param_string(params, "outer_optimizer"), "sgd");
    p->outer_lr = (float)prefrl_param_float(params, "outer_lr");
    return p;
}

static gboolean mrn_train(void *self, const PrefrlRewardData *data, PrefrlLog *log,
                          GError **error)
{
    Mrn *p = self;
    reward_model_learn(p->model, data->prefs, p->reward_update, p->stop_accuracy, log);
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
    RewardModel *m = p->model;
    double loss;
    int n_pairs;
    if (!mrn_meta_gradient(p->meta, m, data, p->pairs, p->mask, p->outer_weight, &loss,
                           &n_pairs, NULL, error))
        return FALSE;
    if (n_pairs == 0)
        return TRUE; /* no labelled pair yet: nothing to learn from */
    float *params = prefrl_ensemble_params(m->ens);
    const float *grads = prefrl_ensemble_grads(m->ens);
    size_t n = prefrl_ensemble_n_params(m->ens);
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
        prefrl_adam_step(m->adam, params, grads);
    prefrl_log_scalar(log, "train_meta/loss", loss);
    p->meta_loss_sum += loss;
    p->meta_count++;
    return TRUE;
}

static void mrn_predict(void *self, const float *x, int B, float *r)
{
    reward_model_predict(((Mrn *)self)->model, x, B, r);
}

static int mrn_members(void *self)
{
    return ((Mrn *)self)->model->K;
}

static void mrn_probs(void *self, const float *s1, const float *s2, int n, int H, float *p)
{
    reward_model_member_probs(((Mrn *)self)->model, s1, s2, n, H, p);
}

/* the model and the meta-loss summary of the round in progress */
static gboolean mrn_save(void *self, FILE *out, GError **error)
{
    Mrn *p = self;
    if (!reward_model_save(p->model, out, error))
        return FALSE;
    double sum = p->meta_loss_sum;
    int64_t count = p->meta_count;
    if (fwrite(&sum, sizeof sum, 1, out) != 1 || fwrite(&count, sizeof count, 1, out) != 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO, "reward/mrn: cannot write its state");
        return FALSE;
    }
    return TRUE;
}

static gboolean mrn_load(void *self, FILE *in, GError **error)
{
    Mrn *p = self;
    double sum;
    int64_t count;
    if (!reward_model_load(p->model, in, error))
        return FALSE;
    if (fread(&sum, sizeof sum, 1, in) != 1 || fread(&count, sizeof count, 1, in) != 1 ||
        count < 0) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_FORMAT,
                    "reward/mrn: truncated meta-step summary in the checkpoint");
        return FALSE;
    }
    p->meta_loss_sum = sum;
    p->meta_count = count;
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

const PrefrlComponent reward_mrn = {
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
};
