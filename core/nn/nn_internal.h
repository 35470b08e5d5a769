/* Internals of the neural-network core shared by core/nn_*.c (not installed). */
#ifndef PREFRL_NN_INTERNAL_H
#define PREFRL_NN_INTERNAL_H

#include <prefrl/nn.h>

#include "nn/nn_backend.h"

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
    PrefrlNumerics numerics;
    struct PrefrlDnn *dnn; /* the oneDNN backend's state (NULL for openblas) */
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

/* ---- activations (core/nn/activation.c), shared by both backends ---- */
/* act is one of PrefrlActivation's values */
gboolean prefrl_nn_act_valid(PrefrlActivation act);
/* z (B, n) <- act(z + b), b broadcast over the rows (the forward's pass) */
void prefrl_nn_bias_act(float *restrict z, const float *restrict b, int B, int n,
                        PrefrlActivation act, float slope);
/* d (count) *= act'(z) where y = act(z) is given */
void prefrl_nn_mul_act_grad(float *restrict d, const float *restrict y, size_t count,
                            PrefrlActivation act, float slope);
/* r[j] += b[j] for j < n */
void prefrl_nn_add_vec(float *restrict r, const float *restrict b, int n);

/* ---- the oneDNN backend (core/nn/backend_onednn.c) ---------------------
 * Per-network state: cached primitives and the bf16 copies of weights and
 * activations.  A product oneDNN refuses runs on OpenBLAS (said once). */
typedef struct PrefrlDnn PrefrlDnn;

/* state for m (its shape, slabs and max_batch are set); NULL with
 * PREFRL_ERROR_CONFIG when the backend is unavailable */
PrefrlDnn *prefrl_dnn_new(PrefrlMlp *m, PrefrlNumerics n, GError **error);
void prefrl_dnn_free(PrefrlDnn *d);
/* set the calling thread's OpenMP threads (no-op without oneDNN) */
void prefrl_dnn_set_threads(int n);
/* matrix-product FLOPs run by the backend (part of prefrl_nn_flops()) */
uint64_t prefrl_dnn_flops(void);
#ifdef HAVE_ONEDNN
/* h[l+1] = act_l(h[l] W_l^T + b_l) for B rows (bias and activation fused);
 * FALSE when oneDNN refuses the product (the caller runs it on OpenBLAS) */
gboolean prefrl_dnn_forward_layer(PrefrlMlp *m, int l, int B);
/* with delta = dL/dz_l (B, out): dW_l += delta^T h[l] when `grads`, and
 * dx (B, in) = delta W_l unless dx is NULL */
void prefrl_dnn_backward_layer(PrefrlMlp *m, int l, const float *delta, float *dx,
                               gboolean grads);
/* hidden layer l's activations when they are kept only in bfloat16 (a
 * bf16 network with ReLU, LeakyReLU or identity hidden layers), else NULL */
const uint16_t *prefrl_dnn_hidden_bf16(const PrefrlMlp *m, int l);
/* the buffer that will hold delta's bf16 copy for the next backward layer
 * (the caller fills it; saves that layer a pass), NULL unless bf16 */
uint16_t *prefrl_dnn_delta_bf16(PrefrlMlp *m, const float *delta);
/* layer l's output was computed in float32 into h[l + 1] outside the fused
 * product (by OpenBLAS, or by a narrow product's own pass): a hidden layer
 * kept in bf16 gets its bf16 copy from it */
void prefrl_dnn_output_f32(PrefrlMlp *m, int l, int B);
/* tz (B, out) = h[l] dirW_l^T (+ t W_l^T when t is not NULL) */
void prefrl_dnn_jvp_layer(PrefrlMlp *m, int l, int B, const float *t, float *tz,
                          const float *dir);
#endif

#endif
