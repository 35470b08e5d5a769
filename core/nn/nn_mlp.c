/* Dense MLPs on OpenBLAS: forward, backward, forward-mode JVP, slab helpers.
 * (A network created with another numerics backend hands its matrix
 * products to core/nn/backend_onednn.c layer by layer; the element-wise
 * passes below are shared.)
 *
 * A layer is Z = X W^T + b (one cblas_sgemm) followed by one fused
 * bias + activation pass.  Backward and JVP take the activation derivative
 * from the cached post-activation outputs, so a layer's cache is one (B, n)
 * array.  MRN's meta-gradient needs the JVP: with tangent dX of the layer
 * input and direction (dW, db) of its parameters,
 *   dZ = X dW^T + dX W^T + db,   dY = act'(Z) * dZ. */
#include "config.h"
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <cblas.h>

#include "nn/bf16.h"
#include "nn/nn_internal.h"

#define ALIGN_FLOATS 16 /* 64-byte alignment of every workspace array */
/* fixed 8-wide inner loops, which GCC's -O2 vectorises (see activation.c) */
#define VW 8

static size_t align_up(size_t n)
{
    return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static float *align_ptr(void *p)
{
    uintptr_t u = (uintptr_t)p;
    u = (u + 63u) & ~(uintptr_t)63u;
    return (float *)u;
}

/* ------------------------------------------------------------------------ */
/* threads */

void prefrl_nn_set_threads(int n)
{
    g_return_if_fail(n >= 1);
    openblas_set_num_threads(n);
    prefrl_dnn_set_threads(n);
}

int prefrl_nn_get_threads(void)
{
    return openblas_get_num_threads();
}

/* ------------------------------------------------------------------------ */
/* sgemm with a FLOP count */

/* every matrix product of the library goes through sgemm(), which counts
 * its 2 m n k FLOPs: benchmarks read the count around any component's
 * update without knowing its networks */
static atomic_uint_least64_t sgemm_flops;

uint64_t prefrl_nn_flops(void)
{
    return atomic_load_explicit(&sgemm_flops, memory_order_relaxed) + prefrl_dnn_flops();
}

/* C (M, N) = op(A) op(B) + beta C, row-major */
static void sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    atomic_fetch_add_explicit(&sgemm_flops, 2u * (uint64_t)M * (uint64_t)N * (uint64_t)K,
                              memory_order_relaxed);
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

/* ------------------------------------------------------------------------ */
/* slabs */

void prefrl_slab_copy(float *dst, const float *src, size_t n)
{
    if (dst != src)
        memmove(dst, src, n * sizeof(float));
}

void prefrl_slab_polyak(float *restrict target, const float *restrict src, size_t n, float tau)
{
    const float keep = 1.0f - tau;
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        for (int k = 0; k < VW; k++)
            target[i + k] = tau * src[i + k] + keep * target[i + k];
    for (; i < n; i++)
        target[i] = tau * src[i] + keep * target[i];
}

double prefrl_slab_l2_norm(const float *x, size_t n)
{
    /* four partial sums keep the loop pipelined; the order is fixed */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)x[i] * x[i];
        s1 += (double)x[i + 1] * x[i + 1];
        s2 += (double)x[i + 2] * x[i + 2];
        s3 += (double)x[i + 3] * x[i + 3];
    }
    for (; i < n; i++)
        s0 += (double)x[i] * x[i];
    return sqrt((s0 + s1) + (s2 + s3));
}

void prefrl_slab_scale(float *x, size_t n, float s)
{
    for (size_t i = 0; i < n; i++)
        x[i] *= s;
}

double prefrl_slab_clip_norm(float *g, size_t n, double max_norm)
{
    double norm = prefrl_slab_l2_norm(g, n);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0)
        prefrl_slab_scale(g, n, (float)coef);
    return norm;
}

void prefrl_slab_sgd(float *restrict p, const float *restrict g, size_t n, float lr)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        for (int k = 0; k < VW; k++)
            p[i + k] -= lr * g[i + k];
    for (; i < n; i++)
        p[i] -= lr * g[i];
}

/* ------------------------------------------------------------------------ */
/* creation */

size_t prefrl_nn_count_params(int n_layers, const int *dims)
{
    size_t total = 0;
    for (int l = 0; l < n_layers; l++) {
        size_t in = (size_t)dims[l], out = (size_t)dims[l + 1];
        if (in == 0 || out == 0 || out > SIZE_MAX / 4 / (in + 1))
            return 0;
        size_t layer = out * (in + 1);
        if (total > SIZE_MAX / 8 - layer)
            return 0;
        total += layer;
    }
    return total;
}

PrefrlMlp *prefrl_mlp_new_internal(int n_layers, const int *dims, PrefrlActivation hidden_act,
                                   PrefrlActivation output_act, float leaky_slope, int max_batch,
                                   float *params, float *grads, GError **error)
{
    if (n_layers < 1 || !dims || max_batch < 1) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "MLP needs at least one layer and a positive batch size (got %d layers, "
                    "max batch %d)", n_layers, max_batch);
        return NULL;
    }
    if (!prefrl_nn_act_valid(hidden_act) || !prefrl_nn_act_valid(output_act)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "MLP: invalid activation");
        return NULL;
    }
    if ((hidden_act == PREFRL_ACT_LEAKY_RELU || output_act == PREFRL_ACT_LEAKY_RELU) &&
        !(leaky_slope >= 0.0f && isfinite(leaky_slope))) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "MLP: LeakyReLU slope must be finite and >= 0 (got %g)", leaky_slope);
        return NULL;
    }
    int max_width = 0;
    for (int i = 0; i <= n_layers; i++) {
        if (dims[i] < 1 || dims[i] > (1 << 24)) {
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                        "MLP: width %d of layer %d is out of range [1, %d]", dims[i], i, 1 << 24);
            return NULL;
        }
        max_width = MAX(max_width, dims[i]);
    }
    size_t n_params = prefrl_nn_count_params(n_layers, dims);
    if (n_params == 0 || (size_t)max_batch > SIZE_MAX / 8 / (size_t)max_width / (n_layers + 3)) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG, "MLP: sizes overflow");
        return NULL;
    }

    PrefrlMlp *m = g_new0(PrefrlMlp, 1);
    m->n_layers = n_layers;
    m->dims = g_memdup2(dims, sizeof(int) * (n_layers + 1));
    m->w_off = g_new(size_t, n_layers);
    m->b_off = g_new(size_t, n_layers);
    m->hidden_act = hidden_act;
    m->output_act = output_act;
    m->slope = leaky_slope;
    m->max_batch = max_batch;
    m->max_width = max_width;
    m->n_params = n_params;
    size_t off = 0;
    for (int l = 0; l < n_layers; l++) {
        m->w_off[l] = off;
        off += (size_t)dims[l + 1] * dims[l];
        m->b_off[l] = off;
        off += (size_t)dims[l + 1];
    }

    if (params) {
        m->params = params;
        m->grads = grads;
        m->is_view = TRUE;
    } else {
        m->slabs = g_malloc0(sizeof(float) * (2 * align_up(n_params)) + 64);
        m->params = align_ptr(m->slabs);
        m->grads = m->params + align_up(n_params);
    }

    /* one block: h[0..n] and two scratch arrays */
    size_t total = 0;
    for (int l = 0; l <= n_layers; l++)
        total += align_up((size_t)max_batch * dims[l]);
    size_t scratch = align_up((size_t)max_batch * max_width);
    total += 2 * scratch;
    m->work = g_malloc0(sizeof(float) * total + 64);
    m->h = g_new(float *, n_layers + 1);
    float *p = align_ptr(m->work);
    for (int l = 0; l <= n_layers; l++) {
        m->h[l] = p;
        p += align_up((size_t)max_batch * dims[l]);
    }
    m->scratch[0] = p;
    m->scratch[1] = p + scratch;
    m->numerics = prefrl_nn_get_numerics();
    if (m->numerics != PREFRL_NUMERICS_OPENBLAS &&
        !(m->dnn = prefrl_dnn_new(m, m->numerics, error))) {
        m->is_view = FALSE; /* the caller's slabs are not ours to free; m->slabs is NULL then */
        prefrl_mlp_free(m);
        return NULL;
    }
    return m;
}

PrefrlMlp *prefrl_mlp_new(int n_layers, const int *dims, PrefrlActivation hidden_act,
                          PrefrlActivation output_act, float leaky_slope, int max_batch,
                          GError **error)
{
    return prefrl_mlp_new_internal(n_layers, dims, hidden_act, output_act, leaky_slope, max_batch,
                                   NULL, NULL, error);
}

void prefrl_mlp_free(PrefrlMlp *m)
{
    if (!m)
        return;
    g_return_if_fail(!m->is_view);
    prefrl_dnn_free(m->dnn);
    g_free(m->dims);
    g_free(m->w_off);
    g_free(m->b_off);
    g_free(m->h);
    g_free(m->work);
    g_free(m->slabs);
    g_free(m);
}

/* ------------------------------------------------------------------------ */
/* accessors */

int prefrl_mlp_n_layers(const PrefrlMlp *m) { return m->n_layers; }

int prefrl_mlp_dim(const PrefrlMlp *m, int i)
{
    g_return_val_if_fail(i >= 0 && i <= m->n_layers, 0);
    return m->dims[i];
}

int prefrl_mlp_in_dim(const PrefrlMlp *m) { return m->dims[0]; }
int prefrl_mlp_out_dim(const PrefrlMlp *m) { return m->dims[m->n_layers]; }
int prefrl_mlp_max_batch(const PrefrlMlp *m) { return m->max_batch; }
PrefrlActivation prefrl_mlp_hidden_act(const PrefrlMlp *m) { return m->hidden_act; }
PrefrlActivation prefrl_mlp_output_act(const PrefrlMlp *m) { return m->output_act; }
float prefrl_mlp_leaky_slope(const PrefrlMlp *m) { return m->slope; }
size_t prefrl_mlp_n_params(const PrefrlMlp *m) { return m->n_params; }
float *prefrl_mlp_params(PrefrlMlp *m) { return m->params; }
float *prefrl_mlp_grads(PrefrlMlp *m) { return m->grads; }
const float *prefrl_mlp_output(const PrefrlMlp *m) { return m->h[m->n_layers]; }
int prefrl_mlp_batch(const PrefrlMlp *m) { return m->batch; }

gboolean prefrl_mlp_same_shape(const PrefrlMlp *a, const PrefrlMlp *b)
{
    if (a->n_layers != b->n_layers || a->hidden_act != b->hidden_act ||
        a->output_act != b->output_act)
        return FALSE;
    for (int i = 0; i <= a->n_layers; i++)
        if (a->dims[i] != b->dims[i])
            return FALSE;
    return TRUE;
}

size_t prefrl_mlp_weight_offset(const PrefrlMlp *m, int l)
{
    g_return_val_if_fail(l >= 0 && l < m->n_layers, 0);
    return m->w_off[l];
}

size_t prefrl_mlp_bias_offset(const PrefrlMlp *m, int l)
{
    g_return_val_if_fail(l >= 0 && l < m->n_layers, 0);
    return m->b_off[l];
}

float *prefrl_mlp_weight(PrefrlMlp *m, int l)
{
    g_return_val_if_fail(l >= 0 && l < m->n_layers, NULL);
    return m->params + m->w_off[l];
}

float *prefrl_mlp_bias(PrefrlMlp *m, int l)
{
    g_return_val_if_fail(l >= 0 && l < m->n_layers, NULL);
    return m->params + m->b_off[l];
}

/* ------------------------------------------------------------------------ */
/* initialisation */

void prefrl_mlp_init_layer_default(PrefrlMlp *m, int l, PrefrlRng *rng)
{
    g_return_if_fail(l >= 0 && l < m->n_layers);
    int in = m->dims[l], out = m->dims[l + 1];
    /* kaiming_uniform(a = sqrt 5) and the bias rule both give 1/sqrt(fan_in) */
    double bound = 1.0 / sqrt((double)in);
    float *w = m->params + m->w_off[l];
    float *b = m->params + m->b_off[l];
    for (size_t i = 0; i < (size_t)out * in; i++)
        w[i] = (float)prefrl_rng_range(rng, -bound, bound);
    for (int i = 0; i < out; i++)
        b[i] = (float)prefrl_rng_range(rng, -bound, bound);
}

void prefrl_mlp_init_default(PrefrlMlp *m, PrefrlRng *rng)
{
    for (int l = 0; l < m->n_layers; l++)
        prefrl_mlp_init_layer_default(m, l, rng);
}

void prefrl_mlp_init_layer_orthogonal(PrefrlMlp *m, int l, PrefrlRng *rng, float gain)
{
    g_return_if_fail(l >= 0 && l < m->n_layers);
    prefrl_nn_orthogonal(m->params + m->w_off[l], m->dims[l + 1], m->dims[l], gain, rng);
    memset(m->params + m->b_off[l], 0, sizeof(float) * m->dims[l + 1]);
}

void prefrl_mlp_init_orthogonal(PrefrlMlp *m, PrefrlRng *rng, float hidden_gain,
                                float output_gain)
{
    for (int l = 0; l < m->n_layers; l++)
        prefrl_mlp_init_layer_orthogonal(m, l, rng,
                                         l == m->n_layers - 1 ? output_gain : hidden_gain);
}

/* ------------------------------------------------------------------------ */
/* forward, backward, JVP */

static PrefrlActivation layer_act(const PrefrlMlp *m, int l)
{
    return l == m->n_layers - 1 ? m->output_act : m->hidden_act;
}

const float *prefrl_mlp_forward(PrefrlMlp *m, const float *x, int B)
{
    g_return_val_if_fail(B >= 1 && B <= m->max_batch, NULL);
    if (x != m->h[0])
        memcpy(m->h[0], x, sizeof(float) * (size_t)B * m->dims[0]);
    for (int l = 0; l < m->n_layers; l++) {
        int in = m->dims[l], out = m->dims[l + 1];
#ifdef HAVE_ONEDNN
        if (m->dnn && prefrl_dnn_forward_layer(m, l, B))
            continue;
#endif
        /* (B, out) = (B, in) (out, in)^T */
        sgemm(CblasNoTrans, CblasTrans, B, out, in, m->h[l], in,
              m->params + m->w_off[l], in, 0.0f, m->h[l + 1], out);
        prefrl_nn_bias_act(m->h[l + 1], m->params + m->b_off[l], B, out, layer_act(m, l), m->slope);
#ifdef HAVE_ONEDNN
        if (m->dnn)
            prefrl_dnn_output_f32(m, l, B);
#endif
    }
    m->batch = B;
    return m->h[m->n_layers];
}

/* rows of d (B, n) *= act'(y); with db, also db += the column sums of the
 * result, row by row while the row is in L1: one memory pass, not two */
static void act_grad_rows(float *d, const float *y, int B, int n, PrefrlActivation act,
                          float slope, float *db)
{
    if (!db) {
        prefrl_nn_mul_act_grad(d, y, (size_t)B * n, act, slope);
        return;
    }
    for (int i = 0; i < B; i++) {
        float *r = d + (size_t)i * n;
        prefrl_nn_mul_act_grad(r, y + (size_t)i * n, (size_t)n, act, slope);
        prefrl_nn_add_vec(db, r, n);
    }
}

#ifdef HAVE_ONEDNN
/* the slope a kept-in-bf16 hidden layer's derivative takes below zero:
 * 0 for ReLU, the slope for LeakyReLU, 1 for identity (the only hidden
 * activations kept in bf16, backend_onednn.c) */
static float slope16(PrefrlActivation act, float slope)
{
    return act == PREFRL_ACT_RELU ? 0.0f : act == PREFRL_ACT_LEAKY_RELU ? slope : 1.0f;
}

/* act_grad_rows for the oneDNN backend: y in float32 or (y16) bfloat16;
 * each finished row is also cast into d16 when given, the next layer's
 * bf16 delta, while it is in L1 */
static void act_grad_rows_dnn(float *d, const float *y, const uint16_t *y16, int B, int n,
                              PrefrlActivation act, float slope, float *db, uint16_t *d16)
{
    for (int i = 0; i < B; i++) {
        float *r = d + (size_t)i * n;
        uint16_t *r16 = d16 ? d16 + (size_t)i * n : NULL;
        if (y16) { /* mask, column sums and cast in one pass */
            prefrl_bf16_relu_grad_row(r, y16 + (size_t)i * n, n, slope16(act, slope), db, r16);
            continue;
        }
        prefrl_nn_mul_act_grad(r, y + (size_t)i * n, (size_t)n, act, slope);
        if (db)
            prefrl_nn_add_vec(db, r, n);
        if (r16)
            prefrl_bf16_cast(r16, r, (size_t)n);
    }
}
#endif

void prefrl_mlp_backward(PrefrlMlp *m, const float *dout, float *dx,
                         gboolean accumulate_param_grads)
{
    const int B = m->batch;
    const int n = m->n_layers;
    g_return_if_fail(B >= 1);
    /* delta of the last pre-activation; its column sums are db of the last layer */
    float *delta = m->scratch[0];
    float *next = m->scratch[1];
    memmove(delta, dout, sizeof(float) * (size_t)B * m->dims[n]);
    act_grad_rows(delta, m->h[n], B, m->dims[n], m->output_act, m->slope,
                  accumulate_param_grads ? m->grads + m->b_off[n - 1] : NULL);

    for (int l = n - 1; l >= 0; l--) {
        int in = m->dims[l], out = m->dims[l + 1];
#ifdef HAVE_ONEDNN
        if (m->dnn) {
            float *target = l == 0 ? dx : next;
            prefrl_dnn_backward_layer(m, l, delta, target, accumulate_param_grads);
            if (l == 0)
                break;
            act_grad_rows_dnn(target, m->h[l], prefrl_dnn_hidden_bf16(m, l), B, in,
                              m->hidden_act, m->slope,
                              accumulate_param_grads ? m->grads + m->b_off[l - 1] : NULL,
                              prefrl_dnn_delta_bf16(m, target));
            next = delta;
            delta = target;
            continue;
        }
#endif
        if (accumulate_param_grads) {
            /* dW (out, in) += delta^T (out, B) h_l (B, in) */
            sgemm(CblasTrans, CblasNoTrans, out, in, B, delta, out,
                  m->h[l], in, 1.0f, m->grads + m->w_off[l], in);
        }
        if (l == 0 && !dx)
            break;
        float *target = l == 0 ? dx : next;
        /* (B, in) = delta (B, out) W (out, in) */
        sgemm(CblasNoTrans, CblasNoTrans, B, in, out, delta, out,
              m->params + m->w_off[l], in, 0.0f, target, in);
        if (l > 0) {
            act_grad_rows(target, m->h[l], B, in, m->hidden_act, m->slope,
                          accumulate_param_grads ? m->grads + m->b_off[l - 1] : NULL);
            next = delta;
            delta = target;
        }
    }
}

void prefrl_mlp_zero_grad(PrefrlMlp *m)
{
    memset(m->grads, 0, sizeof(float) * m->n_params);
}

const float *prefrl_mlp_jvp(PrefrlMlp *m, const float *x, int B, const float *dir)
{
    g_return_val_if_fail(B >= 1 && B <= m->max_batch, NULL);
    if (x != m->h[0])
        memcpy(m->h[0], x, sizeof(float) * (size_t)B * m->dims[0]);
    float *t = NULL; /* tangent of h[l]; NULL = zero (the input) */
    for (int l = 0; l < m->n_layers; l++) {
        int in = m->dims[l], out = m->dims[l + 1];
        PrefrlActivation act = layer_act(m, l);
        float *tz = m->scratch[l & 1];
#ifdef HAVE_ONEDNN
        if (m->dnn) {
            if (!prefrl_dnn_forward_layer(m, l, B)) {
                sgemm(CblasNoTrans, CblasTrans, B, out, in, m->h[l], in,
                      m->params + m->w_off[l], in, 0.0f, m->h[l + 1], out);
                prefrl_nn_bias_act(m->h[l + 1], m->params + m->b_off[l], B, out, act, m->slope);
                prefrl_dnn_output_f32(m, l, B);
            }
            prefrl_dnn_jvp_layer(m, l, B, t, tz, dir);
            prefrl_nn_bias_act(tz, dir + m->b_off[l], B, out, PREFRL_ACT_IDENTITY, 0.0f);
            const uint16_t *y16 = prefrl_dnn_hidden_bf16(m, l + 1);
            if (y16)
                for (int i = 0; i < B; i++)
                    prefrl_bf16_relu_grad_row(tz + (size_t)i * out, y16 + (size_t)i * out, out,
                                              slope16(act, m->slope), NULL, NULL);
            else
                prefrl_nn_mul_act_grad(tz, m->h[l + 1], (size_t)B * out, act, m->slope);
            t = tz;
            continue;
        } else
#endif
        {
            /* primal: z = h W^T + b, h' = act(z) */
            sgemm(CblasNoTrans, CblasTrans, B, out, in, m->h[l], in,
                  m->params + m->w_off[l], in, 0.0f, m->h[l + 1], out);
            prefrl_nn_bias_act(m->h[l + 1], m->params + m->b_off[l], B, out, act, m->slope);
            /* tangent: dz = h dW^T + dh W^T + db */
            sgemm(CblasNoTrans, CblasTrans, B, out, in, m->h[l], in,
                  dir + m->w_off[l], in, 0.0f, tz, out);
            if (t)
                sgemm(CblasNoTrans, CblasTrans, B, out, in, t, in,
                      m->params + m->w_off[l], in, 1.0f, tz, out);
        }
        prefrl_nn_bias_act(tz, dir + m->b_off[l], B, out, PREFRL_ACT_IDENTITY, 0.0f);
        prefrl_nn_mul_act_grad(tz, m->h[l + 1], (size_t)B * out, act, m->slope);
        t = tz;
    }
    m->batch = B;
    return t;
}

/* ------------------------------------------------------------------------ */
/* slab operations on whole networks */

void prefrl_mlp_copy_params(PrefrlMlp *dst, const PrefrlMlp *src)
{
    g_return_if_fail(prefrl_mlp_same_shape(dst, src));
    prefrl_slab_copy(dst->params, src->params, dst->n_params);
}

void prefrl_mlp_polyak(PrefrlMlp *target, const PrefrlMlp *src, float tau)
{
    g_return_if_fail(prefrl_mlp_same_shape(target, src));
    prefrl_slab_polyak(target->params, src->params, target->n_params, tau);
}

double prefrl_mlp_param_norm(const PrefrlMlp *m)
{
    return prefrl_slab_l2_norm(m->params, m->n_params);
}

double prefrl_mlp_grad_norm(const PrefrlMlp *m)
{
    return prefrl_slab_l2_norm(m->grads, m->n_params);
}

double prefrl_mlp_clip_grad_norm(PrefrlMlp *m, double max_norm)
{
    return prefrl_slab_clip_norm(m->grads, m->n_params, max_norm);
}

void prefrl_mlp_sgd_step(PrefrlMlp *m, float lr)
{
    prefrl_slab_sgd(m->params, m->grads, m->n_params, lr);
}
