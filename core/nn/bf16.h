/* float32 -> bfloat16 for the oneDNN backend's bf16 numerics: plain casts,
 * and packing of a layer's weights straight into the blocked layout the
 * bf16 matmul kernels read (core/nn/bf16.c).  Part of the core, not
 * installed. */
#ifndef PREFRL_NN_BF16_H
#define PREFRL_NN_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* dst[i] = src[i] rounded to bfloat16 (to nearest even; a NaN stays a NaN) */
void prefrl_bf16_cast(uint16_t *restrict dst, const float *restrict src, size_t n);

/* dst[i] = src[i] widened to float32 (exact) */
void prefrl_bf16_expand(float *restrict dst, const uint16_t *restrict src, size_t n);

/* Where a (K, N) weights operand's 32 x 64 blocks lie in the blocked layout
 * oneDNN's AVX512_BF16 matmul kernels use (its "BA16a64b2a": the block of
 * (k, n) starts at (k / 32) * bs_k + (n / 64) * bs_n elements; inside it,
 * pair k / 2 % 16, then column n % 64, then k % 2).  The sizes are padded
 * to multiples of 32 and 64; the padding must hold zeros. */
typedef struct {
    size_t bs_k, bs_n;
} PrefrlBf16Blocked;

/* TRUE when this CPU and build can pack (AVX512_BF16, AVX512BW, AVX512VL) */
gboolean prefrl_bf16_can_pack(void);

/* The forward product's weights W^T (K = in, N = out) of W (out, in)
 * row-major, packed into dst; pads are not written (keep them zero) */
void prefrl_bf16_pack_wt(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b);

/* The input gradient's weights W itself (K = out, N = in), likewise */
void prefrl_bf16_pack_w(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b);

/* x (rows, cols) row-major, already bf16, as a (K = rows, N = cols)
 * weights operand (the parameter gradient's layer input), likewise, but
 * writing the padding (zeros) as well */
void prefrl_bf16_pack_rows16(uint16_t *dst, const uint16_t *x, int rows, int cols,
                             PrefrlBf16Blocked b);

#endif
