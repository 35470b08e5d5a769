/* bfloat16 passes of the bf16 numerics (see bf16.h).
 *
 * These are memory passes over (batch, width) arrays, so at the DMC preset
 * their speed shows beside the products: the AVX-512 loops use
 * AVX512_BF16's conversion (round to nearest even, NaN stays NaN, denormal
 * inputs become zero, as in oneDNN's own conversions); the portable loops
 * give the same results for normal numbers.
 *
 * (Packing the weights into the kernels' own blocked layout was tried: the
 * bare 1024^3 product gains 4 %, but in a SAC update the packing pass costs
 * as much as it saves, so weights stay in their plain layout.) */
#include "config.h"
#include <string.h>

#include "nn/bf16.h"

#define VW 16

/* round to nearest even; a NaN stays a (quiet) NaN instead of rounding into
 * infinity.  Fixed 16-wide inner loops, which GCC's -O2 vectorises (SSE2 in
 * a baseline x86-64 build). */
static void cast_generic(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW) {
        uint32_t u[VW];
        memcpy(u, src + i, sizeof u);
        for (int k = 0; k < VW; k++) {
            uint32_t r = (u[k] + 0x7fffu + ((u[k] >> 16) & 1u)) >> 16;
            uint32_t nan = (u[k] >> 16) | 0x40u;
            dst[i + k] = (uint16_t)((u[k] & 0x7fffffffu) > 0x7f800000u ? nan : r);
        }
    }
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, src + i, sizeof u);
        uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        dst[i] = (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : r);
    }
}

void prefrl_bf16_expand(float *restrict dst, const uint16_t *restrict src, size_t n)
{
    size_t i = 0;
    for (; i + VW <= n; i += VW) {
        uint32_t u[VW];
        for (int k = 0; k < VW; k++)
            u[k] = (uint32_t)src[i + k] << 16;
        memcpy(dst + i, u, sizeof u);
    }
    for (; i < n; i++) {
        uint32_t u = (uint32_t)src[i] << 16;
        memcpy(dst + i, &u, sizeof u);
    }
}

/* y > 0 for a bf16 y: positive and not zero, +inf included, NaN not */
static inline gboolean bf16_positive(uint16_t y)
{
    return y != 0 && y <= 0x7f80u;
}

static void relu_grad_row_generic(float *restrict d, const uint16_t *restrict y16, int n, float s,
                                  float *restrict db, uint16_t *restrict d16)
{
    for (int j = 0; j < n; j++) {
        d[j] *= bf16_positive(y16[j]) ? 1.0f : s;
        if (db)
            db[j] += d[j];
    }
    if (d16)
        prefrl_bf16_cast(d16, d, (size_t)n);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

#define AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/* 16 floats an instruction (VCVTNEPS2BF16); the casts are a memory pass per
 * product input, so their speed shows in small and mid-sized updates */
AVX512_BF16 static void cast_avx512(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)h);
    }
    if (i < n)
        cast_generic(dst + i, src + i, n - i);
}

void prefrl_bf16_cast(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    /* the CPU check is one load after the first call */
    if (__builtin_cpu_supports("avx512bf16"))
        cast_avx512(dst, src, n);
    else
        cast_generic(dst, src, n);
}

/* AVX512_BF16 for the cast, BW and VL for the 16-bit compares */
static gboolean have_avx512_bf16(void)
{
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

/* 16 lanes: the mask from the bf16 bits (unsigned 0 < y <= +inf), one
 * multiply, the column sums and the cast in the same pass */
AVX512_BF16 static void relu_grad_row_avx512(float *restrict d, const uint16_t *restrict y16,
                                             int n, float s, float *restrict db,
                                             uint16_t *restrict d16)
{
    const __m512 one = _mm512_set1_ps(1.0f), slope = _mm512_set1_ps(s);
    const __m256i zero = _mm256_setzero_si256(), inf = _mm256_set1_epi16(0x7f80);
    int j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i y = _mm256_loadu_si256((const __m256i *)(y16 + j));
        __mmask16 pos = _mm256_cmpneq_epu16_mask(y, zero) & _mm256_cmple_epu16_mask(y, inf);
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(d + j), _mm512_mask_blend_ps(pos, slope, one));
        _mm512_storeu_ps(d + j, v);
        if (db)
            _mm512_storeu_ps(db + j, _mm512_add_ps(_mm512_loadu_ps(db + j), v));
        if (d16)
            _mm256_storeu_si256((__m256i *)(d16 + j), (__m256i)_mm512_cvtneps_pbh(v));
    }
    if (j < n)
        relu_grad_row_generic(d + j, y16 + j, n - j, s, db ? db + j : NULL,
                              d16 ? d16 + j : NULL);
}

void prefrl_bf16_relu_grad_row(float *restrict d, const uint16_t *restrict y16, int n, float s,
                               float *restrict db, uint16_t *restrict d16)
{
    if (have_avx512_bf16())
        relu_grad_row_avx512(d, y16, n, s, db, d16);
    else
        relu_grad_row_generic(d, y16, n, s, db, d16);
}

#else /* no AVX-512 code */

void prefrl_bf16_relu_grad_row(float *restrict d, const uint16_t *restrict y16, int n, float s,
                               float *restrict db, uint16_t *restrict d16)
{
    relu_grad_row_generic(d, y16, n, s, db, d16);
}

void prefrl_bf16_cast(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    cast_generic(dst, src, n);
}

#endif
