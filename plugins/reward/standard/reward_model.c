/* The ensemble Bradley-Terry reward model (B-Pref reward_model.py, paper
 * eq. 1-2): K members obs‖act → [Linear → LeakyReLU] × depth → Linear →
 * tanh; one Adam over all members; r̂ = member mean. */
#include <math.h>
#include <string.h>
#include "reward_model.h"

int reward_model_segment(const PrefrlNode *params, const PrefrlContext *ctx)
{
    int H = (int)prefrl_param_int(params, "max_segment");
    if (H > 0)
        return H;
    const PrefrlNode *trainer = ctx->recipe ? prefrl_node_get(ctx->recipe, "trainer") : NULL;
    return trainer ? (int)prefrl_param_int(trainer, "segment") : 50;
}

RewardModel *reward_model_new(const PrefrlNode *params, const PrefrlContext *ctx, int H,
                              GError **error)
{
    if (!ctx->env) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "needs the environment's dimensions");
        return NULL;
    }
    RewardModel *m = g_new0(RewardModel, 1);
    m->ds = ctx->env->obs_dim;
    m->da = ctx->env->act_dim;
    m->d = m->ds + m->da;
    m->K = (int)prefrl_param_int(params, "ensemble_size");
    m->H = H;
    m->train_batch = (int)prefrl_param_int(params, "train_batch");
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

void reward_model_free(RewardModel *m)
{
    if (!m)
        return;
    prefrl_ensemble_free(m->ens);
    prefrl_adam_free(m->adam);
    g_free(m->x);
    g_free(m->dout);
    g_free(m->z1);
    g_free(m->z2);
    g_free(m->dz1);
    g_free(m->dz2);
    g_free(m->labels);
    g_free(m->idx);
    g_free(m->perm);
    g_free(m);
}

void reward_model_predict(RewardModel *m, const float *x, int B, float *r)
{
    for (int i0 = 0; i0 < B; i0 += m->max_rows) {
        int n = MIN(m->max_rows, B - i0);
        prefrl_ensemble_forward_mean(m->ens, x + (gsize)i0 * m->d, n, r + i0);
    }
}

void reward_model_member_probs(RewardModel *m, const float *seg1, const float *seg2, int n,
                               int H, float *probs)
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

void reward_model_pair_logits(RewardModel *m, int k, const PrefrlPrefs *prefs, const int *idx,
                              int n, float *z1, float *z2)
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

void reward_model_backward_pairs(RewardModel *m, int k, int n, int H, const float *dz1,
                                 const float *dz2)
{
    /* z sums r̂ over the segment: every step's output gets dL/dz */
    for (int i = 0; i < n; i++)
        for (int h = 0; h < H; h++) {
            m->dout[i * H + h] = dz1[i];
            m->dout[(n + i) * H + h] = dz2[i];
        }
    prefrl_mlp_backward(prefrl_ensemble_member(m->ens, k), m->dout, NULL, TRUE);
}

double reward_model_epoch(RewardModel *m, const PrefrlPrefs *prefs, double *loss)
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
            reward_model_pair_logits(m, k, prefs, idx, n, m->z1, m->z2);
            loss_sum += prefrl_loss_bt(m->z1, m->z2, m->labels, n, m->margin, m->dz1, m->dz2);
            correct += prefrl_bt_accuracy(m->z1, m->z2, m->labels, n) * n;
            reward_model_backward_pairs(m, k, n, prefs->H, m->dz1, m->dz2);
        }
        prefrl_adam_step(m->adam, prefrl_ensemble_params(m->ens), prefrl_ensemble_grads(m->ens));
    }
    *loss = loss_sum / ((double)n_batches * m->K);
    return correct / ((double)N * m->K);
}

void reward_model_learn(RewardModel *m, const PrefrlPrefs *prefs, int reward_update,
                        double stop_accuracy, PrefrlLog *log)
{
    double acc = 0, loss = 0;
    int epochs = 0;
    while (epochs < reward_update) {
        acc = reward_model_epoch(m, prefs, &loss);
        epochs++;
        if (acc > stop_accuracy)
            break;
    }
    prefrl_log_scalar(log, "accuracy", acc);
    prefrl_log_scalar(log, "loss", loss);
    prefrl_log_scalar(log, "epochs", epochs);
}

void reward_model_backward_mean(RewardModel *m, const float *x, int B, const float *dr)
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

void reward_model_window_logits(RewardModel *m, int k, const float *seg1, const float *seg2,
                                int Lseg, const int *idx, int n, const int *start1,
                                const int *start2, const int *len, float *z1, float *z2)
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

void reward_model_backward_windows(RewardModel *m, int k, int n, const int *len,
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

/* ---- checkpoints ---- */

gboolean reward_model_save(const RewardModel *m, FILE *out, GError **error)
{
    return prefrl_ensemble_save(m->ens, out, error) && prefrl_adam_save(m->adam, out, error) &&
           prefrl_rng_save(&m->rng, "PRFRWR1", out, error);
}

gboolean reward_model_load(RewardModel *m, FILE *in, GError **error)
{
    return prefrl_ensemble_load(m->ens, in, error) && prefrl_adam_load(m->adam, in, error) &&
           prefrl_rng_load(&m->rng, "PRFRWR1", in, error);
}
