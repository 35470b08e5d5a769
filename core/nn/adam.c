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

/* the update's constants, as floats where the reference's are floats */
typedef struct {
    float step, sqrt_bc2, b1, b2, c1, c2, eps;
} AdamConst;

/* elements [i0, n) one at a time */
static void adam_scalar(const AdamConst *k, float *restrict p, const float *restrict g,
                        float *restrict m, float *restrict v, size_t i0, size_t n)
{
    for (size_t i = i0; i < n; i++) {
        float mi = k->b1 * m[i] + k->c1 * g[i];
        float vi = k->b2 * v[i] + k->c2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= k->step * mi / (sqrtf(vi) / k->sqrt_bc2 + k->eps);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The same operations in the same order, 16 elements an instruction: IEEE
 * multiply, add, divide and square root round each lane exactly as the
 * scalar code does (and -ffp-contract=off keeps them unfused), so the
 * result is bit-identical.  The scalar loop's sqrtf keeps errno semantics,
 * which stops GCC from vectorising it; the step is a memory pass over four
 * slabs, so this matters at the DMC sizes (3 M parameters per SAC update). */
__attribute__((target("avx512f"))) static size_t
adam_avx512(const AdamConst *k, float *restrict p, const float *restrict g, float *restrict m,
            float *restrict v, size_t n)
{
    const __m512 step = _mm512_set1_ps(k->step), sb = _mm512_set1_ps(k->sqrt_bc2);
    const __m512 b1 = _mm512_set1_ps(k->b1), b2 = _mm512_set1_ps(k->b2);
    const __m512 c1 = _mm512_set1_ps(k->c1), c2 = _mm512_set1_ps(k->c2);
    const __m512 eps = _mm512_set1_ps(k->eps);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 gi = _mm512_loadu_ps(g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(c1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)),
                                  _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
        _mm512_storeu_ps(m + i, mi);
        _mm512_storeu_ps(v + i, vi);
        __m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vi), sb), eps);
        __m512 upd = _mm512_div_ps(_mm512_mul_ps(step, mi), den);
        _mm512_storeu_ps(p + i, _mm512_sub_ps(_mm512_loadu_ps(p + i), upd));
    }
    return i;
}
#endif

void prefrl_adam_step(PrefrlAdam *a, float *restrict params, const float *restrict grads)
{
    a->t++;
    /* bias corrections in double as Python computes them */
    const double bc1 = 1.0 - pow(a->beta1, (double)a->t);
    const double bc2 = 1.0 - pow(a->beta2, (double)a->t);
    /* python scalars meet float tensors as floats: beta, 1 - beta (formed in double), eps */
    const AdamConst k = {(float)(a->lr / bc1),       (float)sqrt(bc2),
                         (float)a->beta1,            (float)a->beta2,
                         (float)(1.0 - a->beta1),    (float)(1.0 - a->beta2),
                         (float)a->eps};
    size_t done = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx512f"))
        done = adam_avx512(&k, params, grads, a->m, a->v, a->n);
#endif
    adam_scalar(&k, params, grads, a->m, a->v, done, a->n);
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
