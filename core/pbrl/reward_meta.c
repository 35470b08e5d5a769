/* The bi-level meta-gradient of the reward-learner SDK
 * (prefrl/reward_meta.h): Meta-Reward-Net's step (Liu et al. 2022, §4,
 * eq. 9-11) in closed form, one forward-mode JVP of each critic head along
 * the gradient of the meta loss at the pseudo-updated parameters. */
#include "config.h"
#include <math.h>
#include <string.h>

#include <prefrl/reward_meta.h>

struct PrefrlRewardMeta {
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

PrefrlRewardMeta *prefrl_reward_meta_new(void)
{
    return g_new0(PrefrlRewardMeta, 1);
}

static void meta_clear(PrefrlRewardMeta *mm)
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

void prefrl_reward_meta_free(PrefrlRewardMeta *mm)
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
    /* built lazily, after the trainer's setup: with the head's numerics */
    PrefrlNumerics keep = prefrl_nn_get_numerics();
    prefrl_nn_set_numerics(prefrl_mlp_numerics(head));
    PrefrlMlp *m = prefrl_mlp_new(L, dims, prefrl_mlp_hidden_act(head),
                                  prefrl_mlp_output_act(head), prefrl_mlp_leaky_slope(head),
                                  max_batch, error);
    prefrl_nn_set_numerics(keep);
    g_free(dims);
    return m;
}

static gboolean meta_fits(const PrefrlRewardMeta *mm, const PrefrlCriticView *cv, int B, int d)
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
static gboolean meta_ensure(PrefrlRewardMeta *mm, const PrefrlCriticView *cv, int B, int d,
                            GError **error)
{
    for (int h = 0; h < cv->n_heads; h++) {
        PrefrlMlp *q = cv->heads[h];
        if (!q || prefrl_mlp_in_dim(q) != d || prefrl_mlp_out_dim(q) != 1) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "critic head %d maps %d inputs to %d outputs; MRN needs "
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

int prefrl_reward_meta_pairs(const PrefrlPrefs *prefs, PrefrlMetaPairs pairs, int reward_batch,
                             int *idx)
{
    if (pairs == PREFRL_META_PAIRS_ALL) {
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
static double head_meta_loss(PrefrlRewardMeta *mm, PrefrlMlp *P, const PrefrlPrefs *prefs, int n,
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

gboolean prefrl_reward_meta_gradient(PrefrlRewardMeta *mm, PrefrlRewardModel *m,
                                     const PrefrlMetaData *data, PrefrlMetaPairs pairs,
                                     PrefrlMetaMask mask, float outer_weight, double *loss,
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
    if (ds != prefrl_reward_model_obs_dim(m) || da != prefrl_reward_model_act_dim(m) ||
        prefs->obs_dim != ds || prefs->act_dim != da) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "batch (obs %d, act %d) or labelled pairs (obs %d, act %d) do not "
                    "match the reward model (obs %d, act %d)",
                    ds, da, prefs->obs_dim, prefs->act_dim, prefrl_reward_model_obs_dim(m),
                    prefrl_reward_model_act_dim(m));
        return FALSE;
    }
    if (!meta_ensure(mm, cv, B, d, error))
        return FALSE;
    if (mm->idx_cap < prefs->capacity) {
        mm->idx_cap = prefs->capacity;
        mm->idx = g_renew(int, mm->idx, mm->idx_cap);
    }
    int n = prefrl_reward_meta_pairs(prefs, pairs, data->reward_batch, mm->idx);
    if (n == 0)
        return TRUE;

    /* the pseudo-update's target y = r̂_ψ + mask·γ·V̄ (V̄ held fixed) */
    for (int i = 0; i < B; i++) {
        memcpy(mm->xa + (gsize)i * d, b->obs + (gsize)i * ds, sizeof(float) * ds);
        memcpy(mm->xa + (gsize)i * d + ds, b->action + (gsize)i * da, sizeof(float) * da);
    }
    prefrl_reward_model_predict(m, mm->xa, B, mm->r);
    if (data->next_value)
        memcpy(mm->v, data->next_value, sizeof(float) * B); /* shared with the critic update */
    else
        cv->target_value(cv->agent, b->next_obs, B, mm->v);
    for (int i = 0; i < B; i++) {
        float bootstrap = mask == PREFRL_META_MASK_NOT_DONE ? b->not_done[i]
                          : mask == PREFRL_META_MASK_NO_MAX  ? b->not_done_no_max[i]
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
    prefrl_ensemble_zero_grad(prefrl_reward_model_ensemble(m));
    prefrl_reward_model_backward_mean(m, mm->xa, B, mm->dr);
    if (dr)
        memcpy(dr, mm->dr, sizeof(float) * B);
    *loss = total;
    *n_pairs = n;
    return TRUE;
}
