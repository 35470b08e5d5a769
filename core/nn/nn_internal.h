/* Internals of the neural-network core shared by core/nn_*.c (not installed). */
#ifndef PREFRL_NN_INTERNAL_H
#define PREFRL_NN_INTERNAL_H

#include <prefrl/nn.h>

/* an MLP: shape, slabs (owned, or views into an ensemble) and workspaces */
struct PrefrlMlp {
    int n_layers;
    int *dims;            /* n_layers + 1 widths */
    size_t *w_off;        /* per layer: offset of W_l in the slabs */
    size_t *b_off;        /* per layer: offset of b_l in the slabs */
    PrefrlActivation hidden_act, output_act;
    float slope;
    int max_batch;
    int max_width;
    size_t n_params;
    float *params;        /* n_params */
    float *grads;         /* n_params */
    gboolean is_view;     /* slabs belong to an ensemble */
    float **h;            /* h[0] = input copy (B, dims[0]); h[l] = output of layer l-1 */
    float *scratch[2];    /* (max_batch, max_width) each: deltas or tangents */
    int batch;            /* B of the last forward / JVP */
    void *work;           /* the one block holding h[] and scratch[] */
    void *slabs;          /* params + grads when owned */
};

/* an ensemble: K members whose slabs are consecutive views into one slab */
struct PrefrlEnsemble {
    int K;
    PrefrlMlp **members;
    size_t member_params;
    float *params;        /* K * member_params */
    float *grads;         /* K * member_params */
    float *out;           /* (K, max_batch, out_dim) */
    void *slabs;
};

/* Adam state: moments m, v (n floats each, one allocation) */
struct PrefrlAdam {
    size_t n;
    float lr;
    double beta1, beta2, eps;
    int64_t t;
    float *m;
    float *v;
};

/* create the MLP struct and its workspaces; params/grads point into
 * `params`/`grads` when given (a view), else are allocated and zeroed */
PrefrlMlp *prefrl_mlp_new_internal(int n_layers, const int *dims, PrefrlActivation hidden_act,
                                   PrefrlActivation output_act, float leaky_slope, int max_batch,
                                   float *params, float *grads, GError **error);

/* number of parameters of a shape, 0 on overflow */
size_t prefrl_nn_count_params(int n_layers, const int *dims);

/* the orthogonal Q factor: w (rows, cols) row-major <- gain * Q of a
 * normal matrix drawn row-major from rng (torch.nn.init.orthogonal_) */
void prefrl_nn_orthogonal(float *w, int rows, int cols, float gain, PrefrlRng *rng);

#endif
