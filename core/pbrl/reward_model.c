/* The ensemble Bradley-Terry reward model of the reward-learner SDK
 * (prefrl/reward_model.h): B-Pref's reward_model.py (PEBBLE, Lee et al.
 * 2021, eq. 1-2) on the NN library, plus the windowed losses SURF builds on.
 * K members obs‖act → [Linear → LeakyReLU] × depth → Linear → tanh; one Adam
 * over all members; r̂ = member mean. */
#include "config.h"
#include <math.h>
#include <string.h>

#include <prefrl/reward_model.h>

struct PrefrlRewardModel {
    int ds, da, d, K, H;          /* H: segment length the workspaces hold */
    int train_batch, max_rows;
    float margin;
    PrefrlEnsemble *ens;
    PrefrlAdam *adam;
    PrefrlRng rng;
    /* workspaces */
    float *x;                     /* (max_rows, d) */
    float *dout;                  /* (max_rows) */
    float *z1, *z2, *dz1, *dz2;   /* (train_batch) */
    int *labels, *idx;            /* (train_batch) */
    size_t *perm;                 /* (K, perm_cap) */
    int perm_cap;
    /* windowed losses: per-chunk logits and windows, grown on demand */
    int w_cap;
    float *wz1, *wz2, *wdz1, *wdz2;
    int *wstart1, *wstart2, *wlen;
};

int prefrl_reward_model_segment(const PrefrlNode *params, const PrefrlContext *ctx)
{
    int H = (int)prefrl_param_int(params, "max_segment");
    if (H > 0)
        return H;
    const PrefrlNode *trainer = ctx->recipe ? prefrl_node_get(ctx->recipe, "trainer") : NULL;
    return trainer ? (int)prefrl_param_int(trainer, "segment") : 50;
}

guint64 prefrl_reward_model_memory(const PrefrlNode *params, const PrefrlContext *ctx)
{
    double d = ctx->env ? ctx->env->obs_dim + ctx->env->act_dim : 0;
    double H = prefrl_reward_model_segment(params, ctx);
    double K = (double)prefrl_param_int(params, "ensemble_size");
    double h = (double)prefrl_param_int(params, "hidden_dim");
    double depth = (double)prefrl_param_int(params, "hidden_depth");
    double batch = (double)prefrl_param_int(params, "train_batch");
    double rows = 2 * batch * H;
    double P = d * h + h + (depth - 1) * (h * h + h) + h + 1; /* one member */
    /* parameters, gradients, Adam m and v; each member's activations of every
     * layer and two scratch rows of the widest (nn_mlp.c); inputs, workspaces */
    double floats = 4 * K * P + K * rows * ((depth + 2) * h + d + 2) + rows * (d + 1) +
                    8 * batch;
    double bytes = floats * sizeof(float);
    return bytes >= 1.8e19 ? G_MAXUINT64 : (guint64)bytes;
}

PrefrlRewardModel *prefrl_reward_model_new(const PrefrlNode *params, const PrefrlContext *ctx,
                                           int H, GError **error)
{
    if (!ctx->env) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "needs the environment's dimensions");
        return NULL;
    }
    int K = (int)prefrl_param_int(params, "ensemble_size");
    int train_batch = (int)prefrl_param_int(params, "train_batch");
    if (H < 1 || K < 1 || train_batch < 1 || (int64_t)2 * train_batch * H > G_MAXINT / 2) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "reward model: %d members, train_batch %d and segments of %d steps do not "
                    "fit its workspaces",
                    K, train_batch, H);
        return NULL;
    }
    PrefrlRewardModel *m = g_new0(PrefrlRewardModel, 1);
    m->ds = ctx->env->obs_dim;
    m->da = ctx->env->act_dim;
    m->d = m->ds + m->da;
    m->K = K;
    m->H = H;
    m->train_batch = train_batch;
    m->margin = (float)prefrl_param_float(params, "label_margin");
    m->rng = ctx->rng;
    m->max_rows = 2 * m->train_batch * H;
    int depth = (int)prefrl_param_int(params, "hidden_depth");
    int hidden = (int)prefrl_param_int(params, "hidden_dim");
    int *dims = g_new(int, depth + 2);
    dims[0] = m->d;
    for (int i = 1; i <= depth; i++)
        dims[i] = hidden;
    dims[depth + 1] = 1;
    const char *act = prefrl_param_string(params, "activation");
    PrefrlActivation out = !strcmp(act, "tanh") ? PREFRL_ACT_TANH
                           : !strcmp(act, "sig") ? PREFRL_ACT_SIGMOID
                                                 : PREFRL_ACT_RELU;
    m->ens = prefrl_ensemble_new(m->K, depth + 1, dims, PREFRL_ACT_LEAKY_RELU, out,
                                 (float)prefrl_param_float(params, "leaky_slope"), m->max_rows,
                                 error);
    g_free(dims);
    if (!m->ens) {
        g_free(m);
        return NULL;
    }
    prefrl_ensemble_init_default(m->ens, &m->rng);
    m->adam = prefrl_adam_new(prefrl_ensemble_n_params(m->ens),
                              (float)prefrl_param_float(params, "lr"), 0.9f, 0.999f, 1e-8f);
    m->x = g_new(float, (gsize)m->max_rows * m->d);
    m->dout = g_new(float, m->max_rows);
    m->z1 = g_new(float, m->train_batch);
    m->z2 = g_new(float, m->train_batch);
    m->dz1 = g_new(float, m->train_batch);
    m->dz2 = g_new(float, m->train_batch);
    m->labels = g_new(int, m->train_batch);
    m->idx = g_new(int, m->train_batch);
    return m;
}

void prefrl_reward_model_free(PrefrlRewardModel *m)
{
    if (!m)
        return;
    prefrl_ensemble_free(m->ens);
    prefrl_adam_free(m->adam);
    float *fbufs[] = {m->x, m->dout, m->z1, m->z2, m->dz1, m->dz2,
                      m->wz1, m->wz2, m->wdz1, m->wdz2};
    for (gsize i = 0; i < G_N_ELEMENTS(fbufs); i++)
        g_free(fbufs[i]);
    int *ibufs[] = {m->labels, m->idx, m->wstart1, m->wstart2, m->wlen};
    for (gsize i = 0; i < G_N_ELEMENTS(ibufs); i++)
        g_free(ibufs[i]);
    g_free(m->perm);
    g_free(m);
}

/* ---- accessors ---- */

int prefrl_reward_model_n_members(const PrefrlRewardModel *m)
{
    return m->K;
}

int prefrl_reward_model_obs_dim(const PrefrlRewardModel *m)
{
    return m->ds;
}

int prefrl_reward_model_act_dim(const PrefrlRewardModel *m)
{
    return m->da;
}

int prefrl_reward_model_input_dim(const PrefrlRewardModel *m)
{
    return m->d;
}

int prefrl_reward_model_max_rows(const PrefrlRewardModel *m)
{
    return m->max_rows;
}

int prefrl_reward_model_train_batch(const PrefrlRewardModel *m)
{
    return m->train_batch;
}

float prefrl_reward_model_label_margin(const PrefrlRewardModel *m)
{
    return m->margin;
}

PrefrlEnsemble *prefrl_reward_model_ensemble(PrefrlRewardModel *m)
{
    return m->ens;
}

PrefrlAdam *prefrl_reward_model_adam(PrefrlRewardModel *m)
{
    return m->adam;
}

PrefrlRng *prefrl_reward_model_rng(PrefrlRewardModel *m)
{
    return &m->rng;
}

/* ---- prediction ---- */

void prefrl_reward_model_predict(PrefrlRewardModel *m, const float *x, int B, float *r)
{
    for (int i0 = 0; i0 < B; i0 += m->max_rows) {
        int n = MIN(m->max_rows, B - i0);
        prefrl_ensemble_forward_mean(m->ens, x + (gsize)i0 * m->d, n, r + i0);
    }
}

void prefrl_reward_model_predict_members(PrefrlRewardModel *m, const float *x, int B, float *r)
{
    for (int i0 = 0; i0 < B; i0 += m->max_rows) {
        int n = MIN(m->max_rows, B - i0);
        /* the ensemble's output is (K, n): member k's rows are contiguous */
        const float *out = prefrl_ensemble_forward(m->ens, x + (gsize)i0 * m->d, n);
        for (int k = 0; k < m->K; k++)
            memcpy(r + (gsize)k * B + i0, out + (gsize)k * n, sizeof(float) * n);
    }
}

void prefrl_reward_model_member_probs(PrefrlRewardModel *m, const float *seg1, const float *seg2,
                                      int n, int H, float *probs)
{
    gsize row = (gsize)H * m->d;
    int per = MAX(1, m->max_rows / (2 * H)); /* pairs per forward */
    for (int p0 = 0; p0 < n; p0 += per) {
        int c = MIN(per, n - p0);
        memcpy(m->x, seg1 + p0 * row, sizeof(float) * c * row);
        memcpy(m->x + c * row, seg2 + p0 * row, sizeof(float) * c * row);
        const float *out = prefrl_ensemble_forward(m->ens, m->x, 2 * c * H);
        for (int k = 0; k < m->K; k++) {
            const float *o = out + (gsize)k * 2 * c * H;
            for (int i = 0; i < c; i++) {
                double z1 = 0, z2 = 0;
                for (int h = 0; h < H; h++) {
                    z1 += o[i * H + h];
                    z2 += o[(c + i) * H + h];
                }
                probs[(gsize)k * n + p0 + i] = (float)(1.0 / (1.0 + exp(z1 - z2)));
            }
        }
    }
}

/* ---- training ---- */

void prefrl_reward_model_pair_logits(PrefrlRewardModel *m, int k, const PrefrlPrefs *prefs,
                                     const int *idx, int n, float *z1, float *z2)
{
    int H = prefs->H;
    gsize row = (gsize)H * m->d;
    g_return_if_fail(2 * n * H <= m->max_rows);
    for (int i = 0; i < n; i++) {
        memcpy(m->x + i * row, prefs->seg1 + (gsize)idx[i] * row, sizeof(float) * row);
        memcpy(m->x + (n + i) * row, prefs->seg2 + (gsize)idx[i] * row, sizeof(float) * row);
    }
    const float *o = prefrl_mlp_forward(prefrl_ensemble_member(m->ens, k), m->x, 2 * n * H);
    for (int i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (int h = 0; h < H; h++) {
            a += o[i * H + h];
            b += o[(n + i) * H + h];
        }
        z1[i] = (float)a;
        z2[i] = (float)b;
    }
}

void prefrl_reward_model_backward_pairs(PrefrlRewardModel *m, int k, int n, int H,
                                        const float *dz1, const float *dz2)
{
    /* z sums r̂ over the segment: every step's output gets dL/dz */
    for (int i = 0; i < n; i++)
        for (int h = 0; h < H; h++) {
            m->dout[i * H + h] = dz1[i];
            m->dout[(n + i) * H + h] = dz2[i];
        }
    prefrl_mlp_backward(prefrl_ensemble_member(m->ens, k), m->dout, NULL, TRUE);
}

double prefrl_reward_model_epoch(PrefrlRewardModel *m, const PrefrlPrefs *prefs, double *loss)
{
    int N = prefs->count;
    if (N == 0) {
        *loss = 0;
        return 0;
    }
    if (N > m->perm_cap) {
        m->perm_cap = prefs->capacity;
        m->perm = g_renew(size_t, m->perm, (gsize)m->K * m->perm_cap);
    }
    for (int k = 0; k < m->K; k++)
        prefrl_rng_permutation(&m->rng, m->perm + (gsize)k * m->perm_cap, N);
    int n_batches = (N + m->train_batch - 1) / m->train_batch;
    double correct = 0, loss_sum = 0;
    int *idx = m->idx;
    for (int b = 0; b < n_batches; b++) {
        int lo = b * m->train_batch, n = MIN(m->train_batch, N - lo);
        prefrl_ensemble_zero_grad(m->ens);
        for (int k = 0; k < m->K; k++) {
            const size_t *perm = m->perm + (gsize)k * m->perm_cap;
            for (int i = 0; i < n; i++) {
                idx[i] = (int)perm[lo + i];
                m->labels[i] = prefs->labels[idx[i]];
            }
            prefrl_reward_model_pair_logits(m, k, prefs, idx, n, m->z1, m->z2);
            loss_sum += prefrl_loss_bt(m->z1, m->z2, m->labels, n, m->margin, m->dz1, m->dz2);
            correct += prefrl_bt_accuracy(m->z1, m->z2, m->labels, n) * n;
            prefrl_reward_model_backward_pairs(m, k, n, prefs->H, m->dz1, m->dz2);
        }
        prefrl_adam_step(m->adam, prefrl_ensemble_params(m->ens), prefrl_ensemble_grads(m->ens));
    }
    *loss = loss_sum / ((double)n_batches * m->K);
    return correct / ((double)N * m->K);
}

void prefrl_reward_model_learn(PrefrlRewardModel *m, const PrefrlPrefs *prefs, int max_epochs,
                               double stop_accuracy, PrefrlLog *log)
{
    double acc = 0, loss = 0;
    int epochs = 0;
    while (epochs < max_epochs) {
        acc = prefrl_reward_model_epoch(m, prefs, &loss);
        epochs++;
        if (acc > stop_accuracy)
            break;
    }
    prefrl_log_scalar(log, "accuracy", acc);
    prefrl_log_scalar(log, "loss", loss);
    prefrl_log_scalar(log, "epochs", epochs);
}

void prefrl_reward_model_backward_mean(PrefrlRewardModel *m, const float *x, int B,
                                       const float *dr)
{
    const float inv_k = 1.0f / (float)m->K;
    for (int i0 = 0; i0 < B; i0 += m->max_rows) {
        int n = MIN(m->max_rows, B - i0);
        /* r̂ = (1/K) Σ_k r_k, so every member's output gets dr/K */
        for (int i = 0; i < n; i++)
            m->dout[i] = dr[i0 + i] * inv_k;
        for (int k = 0; k < m->K; k++) {
            PrefrlMlp *member = prefrl_ensemble_member(m->ens, k);
            prefrl_mlp_forward(member, x + (gsize)i0 * m->d, n);
            prefrl_mlp_backward(member, m->dout, NULL, TRUE);
        }
    }
}

/* ---- windows ---- */

void prefrl_reward_model_draw_crops(PrefrlRng *rng, int n, int Lseg, int H, int c, int *start1,
                                    int *start2, int *len)
{
    for (int i = 0; i < n; i++) {
        len[i] = H - c + (int)prefrl_rng_below(rng, (uint64_t)(2 * c + 1));
        start1[i] = (int)prefrl_rng_below(rng, (uint64_t)(Lseg - len[i] + 1));
        start2[i] = (int)prefrl_rng_below(rng, (uint64_t)(Lseg - len[i] + 1));
    }
}

void prefrl_reward_model_window_logits(PrefrlRewardModel *m, int k, const float *seg1,
                                       const float *seg2, int Lseg, const int *idx, int n,
                                       const int *start1, const int *start2, const int *len,
                                       float *z1, float *z2)
{
    /* rows: every first window in pair order, then every second window */
    gsize seg = (gsize)Lseg * m->d;
    int rows = 0;
    for (int i = 0; i < n; i++)
        rows += len[i];
    g_return_if_fail(2 * rows <= m->max_rows);
    float *x1 = m->x, *x2 = m->x + (gsize)rows * m->d;
    for (int i = 0; i < n; i++) {
        gsize w = (gsize)len[i] * m->d;
        memcpy(x1, seg1 + idx[i] * seg + (gsize)start1[i] * m->d, sizeof(float) * w);
        memcpy(x2, seg2 + idx[i] * seg + (gsize)start2[i] * m->d, sizeof(float) * w);
        x1 += w;
        x2 += w;
    }
    const float *o = prefrl_mlp_forward(prefrl_ensemble_member(m->ens, k), m->x, 2 * rows);
    const float *o2 = o + rows;
    for (int i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (int h = 0; h < len[i]; h++) {
            a += o[h];
            b += o2[h];
        }
        z1[i] = (float)a;
        z2[i] = (float)b;
        o += len[i];
        o2 += len[i];
    }
}

void prefrl_reward_model_backward_windows(PrefrlRewardModel *m, int k, int n, const int *len,
                                          const float *dz1, const float *dz2)
{
    int rows = 0;
    for (int i = 0; i < n; i++)
        rows += len[i];
    float *d1 = m->dout, *d2 = m->dout + rows;
    for (int i = 0; i < n; i++) {
        for (int h = 0; h < len[i]; h++) {
            d1[h] = dz1[i];
            d2[h] = dz2[i];
        }
        d1 += len[i];
        d2 += len[i];
    }
    prefrl_mlp_backward(prefrl_ensemble_member(m->ens, k), m->dout, NULL, TRUE);
}

/* per-chunk logits and windows for `chunk` pairs */
static void window_reserve(PrefrlRewardModel *m, int chunk)
{
    if (chunk <= m->w_cap)
        return;
    m->w_cap = chunk;
    float **fbufs[] = {&m->wz1, &m->wz2, &m->wdz1, &m->wdz2};
    for (gsize i = 0; i < G_N_ELEMENTS(fbufs); i++)
        *fbufs[i] = g_renew(float, *fbufs[i], chunk);
    int **ibufs[] = {&m->wstart1, &m->wstart2, &m->wlen};
    for (gsize i = 0; i < G_N_ELEMENTS(ibufs); i++)
        *ibufs[i] = g_renew(int, *ibufs[i], chunk);
}

double prefrl_reward_model_window_loss(PrefrlRewardModel *m, int k, const float *seg1,
                                       const float *seg2, int Lseg, const int *idx,
                                       const int *labels, int n, const int *start1,
                                       const int *start2, const int *len, int chunk, float margin,
                                       float scale, double *correct)
{
    g_return_val_if_fail(chunk >= 1, 0.0);
    window_reserve(m, chunk);
    double sum = 0, right = 0;
    for (int p0 = 0; p0 < n; p0 += chunk) {
        int c = MIN(chunk, n - p0);
        prefrl_reward_model_window_logits(m, k, seg1, seg2, Lseg, idx + p0, c, start1 + p0,
                                          start2 + p0, len + p0, m->wz1, m->wz2);
        double mean = prefrl_loss_bt(m->wz1, m->wz2, labels + p0, c, margin, m->wdz1, m->wdz2);
        right += prefrl_bt_accuracy(m->wz1, m->wz2, labels + p0, c) * c;
        /* prefrl_loss_bt gives d(mean)/dz; the sum's is c times that */
        for (int i = 0; i < c; i++) {
            m->wdz1[i] *= (float)c * scale;
            m->wdz2[i] *= (float)c * scale;
        }
        prefrl_reward_model_backward_windows(m, k, c, len + p0, m->wdz1, m->wdz2);
        sum += mean * c;
    }
    if (correct)
        *correct = right;
    return sum;
}

int prefrl_reward_model_pseudo_labels(PrefrlRewardModel *m, int k, const float *seg1,
                                      const float *seg2, int Lseg, const int *idx, int n,
                                      int start, int H, int chunk, double tau, int *labels,
                                      int *keep)
{
    g_return_val_if_fail(chunk >= 1, 0);
    window_reserve(m, chunk);
    for (int i = 0; i < chunk; i++) {
        m->wstart1[i] = m->wstart2[i] = start;
        m->wlen[i] = H;
    }
    int kept = 0;
    for (int p0 = 0; p0 < n; p0 += chunk) {
        int c = MIN(chunk, n - p0);
        prefrl_reward_model_window_logits(m, k, seg1, seg2, Lseg, idx + p0, c, m->wstart1,
                                          m->wstart2, m->wlen, m->wz1, m->wz2);
        for (int i = 0; i < c; i++) {
            /* max softmax probability = σ(|z1 − z2|) */
            double conf = 1.0 / (1.0 + exp(-fabs((double)m->wz1[i] - m->wz2[i])));
            labels[p0 + i] = m->wz2[i] > m->wz1[i] ? PREFRL_LABEL_SECOND : PREFRL_LABEL_FIRST;
            keep[p0 + i] = conf >= tau;
            kept += keep[p0 + i];
        }
    }
    return kept;
}

/* ---- checkpoints ---- */

void prefrl_reward_model_save(const PrefrlRewardModel *m, PrefrlCkpt *out)
{
    prefrl_ckpt_put_tag(out, "reward_model", 1);
    prefrl_ensemble_save(m->ens, out);
    prefrl_adam_save(m->adam, out);
    prefrl_rng_save(&m->rng, "reward_model", out);
}

void prefrl_reward_model_load(PrefrlRewardModel *m, PrefrlCkpt *in)
{
    prefrl_ckpt_expect_tag(in, "reward_model", 1);
    prefrl_ensemble_load(m->ens, in);
    prefrl_adam_load(m->adam, in);
    prefrl_rng_load(&m->rng, "reward_model", in);
}
