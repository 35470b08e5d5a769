/* float32 -> bfloat16 for the bf16 numerics (see bf16.h).
 *
 * Every product input of a bf16 network is rounded to bfloat16 once per use:
 * activations and deltas by a plain cast, weights by packing them straight
 * into the matmul kernels' blocked layout.  oneDNN would otherwise re-block
 * a plain weights operand inside every product (measured on the 1024 x 1024
 * x 1024 product of the DMC preset: 9.8 ms with plain W^T, 9.4 ms packed),
 * and its own reorder primitive costs more than the product saves (1.3 ms);
 * packing here costs about as much as a cast (0.16 ms for W^T, 0.12 ms for
 * W).  The layouts are checked against oneDNN's reorder in check_nn_bf16.
 *
 * The AVX-512 loops use AVX512_BF16's conversions (round to nearest even,
 * NaN stays NaN, denormal inputs become zero, as in oneDNN's own); the
 * portable cast gives the same results for normal numbers. */
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

gboolean prefrl_bf16_can_pack(void)
{
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

/* lanes [0, n) of a 16-lane mask, n clamped to [0, 16] */
static inline __mmask16 lanes(int n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* r[i][j] <- r[j][i] for a 16 x 16 tile of 32-bit elements */
AVX512_BF16 static inline void transpose16(__m512i r[16])
{
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_i32x4(r[i + j], r[i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; j++) {
        r[j] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0x88);
        r[j + 8] = _mm512_shuffle_i32x4(t[j], t[j + 8], 0xdd);
    }
}

/* A pair (k, k+1) of W^T's column n is W[n][k..k+1]: a 16 x 16 tile of
 * pairs is 16 rows of W, cast and transposed.  16 rows at a time, swept
 * along their length: 16 sequential streams (a block's 64 rows at once
 * defeat the prefetchers). */
AVX512_BF16 static void pack_wt_avx512(uint16_t *dst, const float *w, int out, int in,
                                       PrefrlBf16Blocked b)
{
    for (int nb = 0; nb * 64 < out; nb++)
        for (int n0 = 0; n0 < 64 && nb * 64 + n0 < out; n0 += 16)
            for (int kb = 0; kb * 32 < in; kb++) {
                uint32_t *blk = (uint32_t *)(dst + (size_t)kb * b.bs_k + (size_t)nb * b.bs_n);
                const int k0 = kb * 32, rem = in - k0;
                const __mmask16 lo = lanes(rem), hi = lanes(rem - 16);
                const int pairs = rem >= 32 ? 16 : (rem + 1) / 2;
                __m512i r[16];
                for (int i = 0; i < 16; i++) {
                    int n = nb * 64 + n0 + i;
                    if (n < out) {
                        const float *row = w + (size_t)n * in + k0;
                        r[i] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, row + 16),
                                                            _mm512_maskz_loadu_ps(lo, row));
                    } else {
                        r[i] = _mm512_setzero_si512();
                    }
                }
                transpose16(r);
                for (int p = 0; p < pairs; p++)
                    _mm512_storeu_si512(blk + p * 64 + n0, r[p]);
            }
}

/* A pair (k, k+1) of W's column n is rows k and k+1 of W: two rows cast
 * and interleaved element by element */
AVX512_BF16 static void pack_w_avx512(uint16_t *dst, const float *w, int out, int in,
                                      PrefrlBf16Blocked b)
{
    static const uint16_t zip[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i idx = _mm512_loadu_si512(zip);
    for (int nb = 0; nb * 64 < in; nb++)
        for (int kb = 0; kb * 32 < out; kb++) {
            uint32_t *blk = (uint32_t *)(dst + (size_t)kb * b.bs_k + (size_t)nb * b.bs_n);
            for (int p = 0; p < 16 && kb * 32 + 2 * p < out; p++) {
                const int r0 = kb * 32 + 2 * p;
                for (int n0 = 0; n0 < 64 && nb * 64 + n0 < in; n0 += 16) {
                    const int n = nb * 64 + n0;
                    const __mmask16 m = lanes(in - n);
                    __m512 even = _mm512_maskz_loadu_ps(m, w + (size_t)r0 * in + n);
                    __m512 odd = r0 + 1 < out ? _mm512_maskz_loadu_ps(m, w + (size_t)(r0 + 1) * in + n)
                                              : _mm512_setzero_ps();
                    __m512i h = (__m512i)_mm512_cvtne2ps_pbh(odd, even);
                    _mm512_storeu_si512(blk + p * 64 + n0, _mm512_permutexvar_epi16(idx, h));
                }
            }
        }
}

/* the same as pack_w_avx512 from a matrix already in bf16, writing the
 * padding too (zeros): one buffer serves batches of different sizes */
AVX512_BF16 static void pack_rows16_avx512(uint16_t *dst, const uint16_t *x, int rows, int cols,
                                           PrefrlBf16Blocked b)
{
    static const uint16_t zip[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                     8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i idx = _mm512_loadu_si512(zip);
    for (int nb = 0; nb * 64 < cols; nb++)
        for (int kb = 0; kb * 32 < rows; kb++) {
            uint32_t *blk = (uint32_t *)(dst + (size_t)kb * b.bs_k + (size_t)nb * b.bs_n);
            for (int p = 0; p < 16; p++) {
                const int r0 = kb * 32 + 2 * p;
                for (int n0 = 0; n0 < 64; n0 += 16) {
                    const int n = nb * 64 + n0;
                    const __mmask16 m = lanes(cols - n);
                    __m256i even = r0 < rows ? _mm256_maskz_loadu_epi16(m, x + (size_t)r0 * cols + n)
                                             : _mm256_setzero_si256();
                    __m256i odd = r0 + 1 < rows
                                      ? _mm256_maskz_loadu_epi16(m, x + (size_t)(r0 + 1) * cols + n)
                                      : _mm256_setzero_si256();
                    __m512i h = _mm512_inserti64x4(_mm512_castsi256_si512(even), odd, 1);
                    _mm512_storeu_si512(blk + p * 64 + n0, _mm512_permutexvar_epi16(idx, h));
                }
            }
        }
}

void prefrl_bf16_pack_rows16(uint16_t *dst, const uint16_t *x, int rows, int cols,
                             PrefrlBf16Blocked b)
{
    g_return_if_fail(prefrl_bf16_can_pack());
    pack_rows16_avx512(dst, x, rows, cols, b);
}

void prefrl_bf16_pack_wt(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b)
{
    g_return_if_fail(prefrl_bf16_can_pack());
    pack_wt_avx512(dst, w, out, in, b);
}

void prefrl_bf16_pack_w(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b)
{
    g_return_if_fail(prefrl_bf16_can_pack());
    pack_w_avx512(dst, w, out, in, b);
}

#else /* no AVX-512 code: plain casts, and the backend keeps plain layouts */

void prefrl_bf16_cast(uint16_t *restrict dst, const float *restrict src, size_t n)
{
    cast_generic(dst, src, n);
}

gboolean prefrl_bf16_can_pack(void)
{
    return FALSE;
}

void prefrl_bf16_pack_wt(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b)
{
    (void)dst, (void)w, (void)out, (void)in, (void)b;
    g_return_if_reached();
}

void prefrl_bf16_pack_w(uint16_t *dst, const float *w, int out, int in, PrefrlBf16Blocked b)
{
    (void)dst, (void)w, (void)out, (void)in, (void)b;
    g_return_if_reached();
}

void prefrl_bf16_pack_rows16(uint16_t *dst, const uint16_t *x, int rows, int cols,
                             PrefrlBf16Blocked b)
{
    (void)dst, (void)x, (void)rows, (void)cols, (void)b;
    g_return_if_reached();
}
#endif
