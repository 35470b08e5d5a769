/* Adam over a flat slab, with the semantics of torch.optim.Adam (PyTorch 1.4,
 * the reference's version; later versions compute the same update):
 *   m <- b1 m + (1 - b1) g
 *   v <- b2 v + (1 - b2) g^2
 *   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * Moments share the parameter layout, so the step is one flat loop (llm.c). */
#include <math.h>
#include <string.h>

#include "nn/nn_internal.h"

PrefrlAdam *prefrl_adam_new(size_t n, float lr, double beta1, double beta2, double eps)
{
    g_return_val_if_fail(n > 0 && n < SIZE_MAX / 16, NULL);
    PrefrlAdam *a = g_new0(PrefrlAdam, 1);
    a->n = n;
    a->lr = lr;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    a->m = g_new0(float, 2 * n);
    a->v = a->m + n;
    return a;
}

void prefrl_adam_free(PrefrlAdam *a)
{
    if (!a)
        return;
    g_free(a->m);
    g_free(a);
}

void prefrl_adam_step(PrefrlAdam *a, float *restrict params, const float *restrict grads)
{
    a->t++;
    /* bias corrections in double as Python computes them */
    const double bc1 = 1.0 - pow(a->beta1, (double)a->t);
    const double bc2 = 1.0 - pow(a->beta2, (double)a->t);
    const float step = (float)(a->lr / bc1);
    const float sqrt_bc2 = (float)sqrt(bc2);
    /* python scalars meet float tensors as floats: beta, 1 - beta (formed in double), eps */
    const float b1 = (float)a->beta1, b2 = (float)a->beta2;
    const float c1 = (float)(1.0 - a->beta1), c2 = (float)(1.0 - a->beta2);
    const float eps = (float)a->eps;
    float *restrict m = a->m;
    float *restrict v = a->v;
    for (size_t i = 0; i < a->n; i++) {
        float g = grads[i];
        float mi = b1 * m[i] + c1 * g;
        float vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        params[i] -= step * mi / (sqrtf(vi) / sqrt_bc2 + eps);
    }
}

void prefrl_adam_reset(PrefrlAdam *a)
{
    memset(a->m, 0, sizeof(float) * 2 * a->n);
    a->t = 0;
}

float prefrl_adam_get_lr(const PrefrlAdam *a) { return a->lr; }
void prefrl_adam_set_lr(PrefrlAdam *a, float lr) { a->lr = lr; }
int64_t prefrl_adam_steps(const PrefrlAdam *a) { return a->t; }
size_t prefrl_adam_size(const PrefrlAdam *a) { return a->n; }
const float *prefrl_adam_m(const PrefrlAdam *a) { return a->m; }
const float *prefrl_adam_v(const PrefrlAdam *a) { return a->v; }
