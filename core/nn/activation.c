/* Activations of the NN core: their names, and the element-wise passes
 * both numerics backends share (the forward's bias + activation, the
 * backward's and JVP's multiplication by the derivative). */
#include "config.h"
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

static const char *const act_names[] = {"identity", "relu", "leaky_relu", "tanh", "sigmoid"};

gboolean prefrl_activation_from_name(const char *name, PrefrlActivation *act, GError **error)
{
    for (int i = 0; i < (int)G_N_ELEMENTS(act_names); i++) {
        if (name && strcmp(name, act_names[i]) == 0) {
            *act = (PrefrlActivation)i;
            return TRUE;
        }
    }
    g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                "unknown activation '%s' (expected identity, relu, leaky_relu, tanh or sigmoid)",
                name ? name : "(null)");
    return FALSE;
}

const char *prefrl_activation_name(PrefrlActivation act)
{
    if ((int)act < 0 || (int)act >= (int)G_N_ELEMENTS(act_names))
        return "invalid";
    return act_names[act];
}

gboolean prefrl_nn_act_valid(PrefrlActivation act)
{
    return (int)act >= 0 && (int)act < (int)G_N_ELEMENTS(act_names);
}

/* The element-wise passes below are written as fixed 8-wide inner loops,
 * which GCC's -O2 (cheap cost model) turns into SIMD code; plain loops of
 * unknown length stay scalar there.  ReLU/LeakyReLU multiply by a selected
 * constant instead of selecting v or slope*v: that form vectorises and still
 * propagates NaN. */
#define VW 8

/* r[j] = (r[j] + b[j]) * (r[j] + b[j] > 0 ? 1 : s) */
static void bias_leaky(float *restrict r, const float *restrict b, int n, float s)
{
    int j = 0;
    for (; j + VW <= n; j += VW) {
        /* three small loops: the one-loop form is not if-converted */
        float v[VW], m[VW];
        for (int k = 0; k < VW; k++)
            v[k] = r[j + k] + b[j + k];
        for (int k = 0; k < VW; k++)
            m[k] = v[k] > 0.0f ? 1.0f : s;
        for (int k = 0; k < VW; k++)
            r[j + k] = v[k] * m[k];
    }
    for (; j < n; j++) {
        float v = r[j] + b[j];
        r[j] = v * (v > 0.0f ? 1.0f : s);
    }
}

/* r[j] += b[j] */
void prefrl_nn_add_vec(float *restrict r, const float *restrict b, int n)
{
    int j = 0;
    for (; j + VW <= n; j += VW)
        for (int k = 0; k < VW; k++)
            r[j + k] += b[j + k];
    for (; j < n; j++)
        r[j] += b[j];
}

/* z (B, n) <- act(z + b) row by row */
void prefrl_nn_bias_act(float *restrict z, const float *restrict b, int B, int n,
                     PrefrlActivation act, float slope)
{
    for (int i = 0; i < B; i++) {
        float *restrict r = z + (size_t)i * n;
        switch (act) {
        case PREFRL_ACT_IDENTITY:
            prefrl_nn_add_vec(r, b, n);
            break;
        case PREFRL_ACT_RELU:
            bias_leaky(r, b, n, 0.0f);
            break;
        case PREFRL_ACT_LEAKY_RELU:
            bias_leaky(r, b, n, slope);
            break;
        case PREFRL_ACT_TANH:
            for (int j = 0; j < n; j++)
                r[j] = tanhf(r[j] + b[j]);
            break;
        case PREFRL_ACT_SIGMOID:
            for (int j = 0; j < n; j++) {
                float v = r[j] + b[j];
                /* both branches avoid overflow of expf */
                if (v >= 0.0f) {
                    r[j] = 1.0f / (1.0f + expf(-v));
                } else {
                    float e = expf(v);
                    r[j] = e / (1.0f + e);
                }
            }
            break;
        }
    }
}

/* d[i] *= (y[i] > 0 ? 1 : s): the ReLU (s = 0) and LeakyReLU derivative from
 * the output (slope >= 0 keeps the sign), matching PyTorch's choice at 0 */
static void mul_leaky_grad(float *restrict d, const float *restrict y, size_t count, float s)
{
    size_t i = 0;
    for (; i + VW <= count; i += VW) {
        float m[VW];
        for (int k = 0; k < VW; k++)
            m[k] = y[i + k] > 0.0f ? 1.0f : s;
        for (int k = 0; k < VW; k++)
            d[i + k] *= m[k];
    }
    for (; i < count; i++)
        d[i] *= y[i] > 0.0f ? 1.0f : s;
}

/* d[i] *= 1 - y[i]^2 (tanh) */
static void mul_tanh_grad(float *restrict d, const float *restrict y, size_t count)
{
    size_t i = 0;
    for (; i + VW <= count; i += VW)
        for (int k = 0; k < VW; k++)
            d[i + k] *= 1.0f - y[i + k] * y[i + k];
    for (; i < count; i++)
        d[i] *= 1.0f - y[i] * y[i];
}

/* d[i] *= y[i] (1 - y[i]) (sigmoid) */
static void mul_sigmoid_grad(float *restrict d, const float *restrict y, size_t count)
{
    size_t i = 0;
    for (; i + VW <= count; i += VW)
        for (int k = 0; k < VW; k++)
            d[i + k] *= y[i + k] * (1.0f - y[i + k]);
    for (; i < count; i++)
        d[i] *= y[i] * (1.0f - y[i]);
}

/* d (count) *= act'(z) where y = act(z) is given */
void prefrl_nn_mul_act_grad(float *restrict d, const float *restrict y, size_t count,
                         PrefrlActivation act, float slope)
{
    switch (act) {
    case PREFRL_ACT_IDENTITY:
        break;
    case PREFRL_ACT_RELU:
        mul_leaky_grad(d, y, count, 0.0f);
        break;
    case PREFRL_ACT_LEAKY_RELU:
        mul_leaky_grad(d, y, count, slope);
        break;
    case PREFRL_ACT_TANH:
        mul_tanh_grad(d, y, count);
        break;
    case PREFRL_ACT_SIGMOID:
        mul_sigmoid_grad(d, y, count);
        break;
    }
}
