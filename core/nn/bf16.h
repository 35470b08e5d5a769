/* bfloat16 passes of the oneDNN backend's bf16 numerics (core/nn/bf16.c):
 * casts from float32, widening back, and the backward pass through a ReLU
 * whose outputs are kept in bf16.  Part of the core, not installed. */
#ifndef PREFRL_NN_BF16_H
#define PREFRL_NN_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* dst[i] = src[i] rounded to bfloat16 (to nearest even; a NaN stays a NaN) */
void prefrl_bf16_cast(uint16_t *restrict dst, const float *restrict src, size_t n);

/* dst[i] = src[i] widened to float32 (exact) */
void prefrl_bf16_expand(float *restrict dst, const uint16_t *restrict src, size_t n);

/* One row of the backward pass through a ReLU or LeakyReLU (slope s >= 0;
 * s = 1 for identity) whose outputs y16 are kept in bf16: d[j] *= (y[j] > 0 ? 1 : s); then
 * db[j] += d[j] when db is given, and d16[j] = bf16(d[j]) when d16 is
 * given.  The same arithmetic as the float32 passes, element by element. */
void prefrl_bf16_relu_grad_row(float *restrict d, const uint16_t *restrict y16, int n, float s,
                               float *restrict db, uint16_t *restrict d16);

#endif
