/* Ensembles of K same-shaped MLPs in one parameter slab (the reward models of
 * PEBBLE/SURF/MRN: K = 3, one Adam over all members; docs/reward-learners.md).
 *
 * Members are ordinary PrefrlMlp views into the shared slabs with their own
 * workspaces, and the ensemble forward runs them one after the other.
 * `prefrl bench nn` times this against fusing the members' first layers into
 * one (B, K*256) sgemm for the reward ensemble (K = 3, in 30, batch 6400):
 * the two take the same time within noise (the first layer is 5.5% of the
 * FLOPs and sgemm is already near its peak at N = 256), so the simpler
 * member-by-member evaluation stays. */
#include <string.h>

#include "nn/nn_internal.h"

PrefrlEnsemble *prefrl_ensemble_new(int K, int n_layers, const int *dims,
                                    PrefrlActivation hidden_act, PrefrlActivation output_act,
                                    float leaky_slope, int max_batch, GError **error)
{
    if (K < 1 || K > 4096) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "ensemble size %d is out of range [1, 4096]", K);
        return NULL;
    }
    /* the first member validates the shape and gives the slab size */
    PrefrlMlp *probe = prefrl_mlp_new_internal(n_layers, dims, hidden_act, output_act, leaky_slope,
                                               1, NULL, NULL, error);
    if (!probe)
        return NULL;
    size_t P = probe->n_params;
    prefrl_mlp_free(probe);
    if (P > SIZE_MAX / 8 / (size_t)K) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "ensemble: sizes overflow");
        return NULL;
    }

    PrefrlEnsemble *e = g_new0(PrefrlEnsemble, 1);
    e->K = K;
    e->member_params = P;
    /* the slabs start 64-byte aligned */
    e->slabs = g_malloc0(sizeof(float) * 2 * (size_t)K * P + 64);
    e->params = (float *)(((uintptr_t)e->slabs + 63u) & ~(uintptr_t)63u);
    e->grads = e->params + (size_t)K * P;
    e->members = g_new0(PrefrlMlp *, K);
    for (int k = 0; k < K; k++) {
        e->members[k] =
            prefrl_mlp_new_internal(n_layers, dims, hidden_act, output_act, leaky_slope, max_batch,
                                    e->params + (size_t)k * P, e->grads + (size_t)k * P, error);
        if (!e->members[k]) {
            prefrl_ensemble_free(e);
            return NULL;
        }
    }
    e->out = g_new(float, (size_t)K * max_batch * dims[n_layers]);
    return e;
}

void prefrl_ensemble_free(PrefrlEnsemble *e)
{
    if (!e)
        return;
    for (int k = 0; k < e->K; k++) {
        if (e->members[k])
            e->members[k]->is_view = FALSE; /* its slabs are freed below, not by it */
        prefrl_mlp_free(e->members[k]);
    }
    g_free(e->members);
    g_free(e->out);
    g_free(e->slabs);
    g_free(e);
}

int prefrl_ensemble_size(const PrefrlEnsemble *e) { return e->K; }

PrefrlMlp *prefrl_ensemble_member(PrefrlEnsemble *e, int k)
{
    g_return_val_if_fail(k >= 0 && k < e->K, NULL);
    return e->members[k];
}

size_t prefrl_ensemble_n_params(const PrefrlEnsemble *e) { return (size_t)e->K * e->member_params; }
float *prefrl_ensemble_params(PrefrlEnsemble *e) { return e->params; }
float *prefrl_ensemble_grads(PrefrlEnsemble *e) { return e->grads; }

void prefrl_ensemble_init_default(PrefrlEnsemble *e, PrefrlRng *rng)
{
    for (int k = 0; k < e->K; k++)
        prefrl_mlp_init_default(e->members[k], rng);
}

void prefrl_ensemble_init_orthogonal(PrefrlEnsemble *e, PrefrlRng *rng, float hidden_gain,
                                     float output_gain)
{
    for (int k = 0; k < e->K; k++)
        prefrl_mlp_init_orthogonal(e->members[k], rng, hidden_gain, output_gain);
}

const float *prefrl_ensemble_forward(PrefrlEnsemble *e, const float *x, int B)
{
    PrefrlMlp *m0 = e->members[0];
    g_return_val_if_fail(B >= 1 && B <= m0->max_batch, NULL);
    size_t count = (size_t)B * m0->dims[m0->n_layers];
    for (int k = 0; k < e->K; k++) {
        const float *y = prefrl_mlp_forward(e->members[k], x, B);
        memcpy(e->out + (size_t)k * count, y, sizeof(float) * count);
    }
    return e->out;
}

void prefrl_ensemble_forward_mean(PrefrlEnsemble *e, const float *x, int B, float *mean)
{
    const float *all = prefrl_ensemble_forward(e, x, B);
    g_return_if_fail(all != NULL);
    PrefrlMlp *m0 = e->members[0];
    size_t count = (size_t)B * m0->dims[m0->n_layers];
    const float inv = 1.0f / (float)e->K;
    memcpy(mean, all, sizeof(float) * count);
    for (int k = 1; k < e->K; k++) {
        const float *y = all + (size_t)k * count;
        for (size_t i = 0; i < count; i++)
            mean[i] += y[i];
    }
    for (size_t i = 0; i < count; i++)
        mean[i] *= inv;
}

void prefrl_ensemble_zero_grad(PrefrlEnsemble *e)
{
    memset(e->grads, 0, sizeof(float) * (size_t)e->K * e->member_params);
}
