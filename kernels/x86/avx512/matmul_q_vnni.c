/* SPDX-License-Identifier: MIT */
/* avx512/matmul_q_vnni.c: Q8_0 and Q4_0 weights times Q8_0 activations with AVX512_VNNI. Two
 * blocks per 512-bit vector: vpdpbusd of |w| and x * sign(w) gives exact int32 lanes (lanes
 * 0-7 the first block, 8-15 the second), converted and FMA-accumulated by the per-block
 * d_w * d_x, then one sm_avx512_hsum. An odd last block runs with a zero upper half (adding
 * +0 to those lanes). Every micro-tile runs these steps per output: bit-identical under any
 * split of rows or tokens. Used only when the CPU has VNNI (dispatch.c). */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/avx512/simd.h"

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#pragma GCC target("avx512vnni")

/* Blocks b and b + 1 (only b when one = 1) of a row: 64 signed weights, 16 scales. */
typedef struct wpair {
    __m512i aw;    /* |w| */
    __mmask64 neg; /* w < 0 */
    __m512 d;      /* d_b in lanes 0-7, d_b+1 in lanes 8-15 */
} wpair;

SM_AVX512_INLINE __m256i unpack_block(int q4, const char *row, size_t b, float *d)
{
    if (q4) {
        const sm_block_q4_0 *blk = (const sm_block_q4_0 *)row + b;
        *d = _cvtsh_ss(blk->d);
        __m128i q = _mm_loadu_si128((const __m128i *)blk->qs);
        __m256i v = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
        v = _mm256_and_si256(v, _mm256_set1_epi8(0xf));
        return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
    }
    const sm_block_q8_0 *blk = (const sm_block_q8_0 *)row + b;
    *d = _cvtsh_ss(blk->d);
    return _mm256_loadu_si256((const __m256i *)blk->qs);
}

SM_AVX512_INLINE void unpack_pair(int q4, const char *row, size_t b, int one, wpair *u)
{
    float d0, d1 = 0;
    __m256i lo = unpack_block(q4, row, b, &d0);
    __m256i hi = one ? _mm256_setzero_si256() : unpack_block(q4, row, b + 1, &d1);
    __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    u->aw = _mm512_abs_epi8(w);
    u->neg = _mm512_movepi8_mask(w);
    u->d = _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(d0), _mm512_set1_ps(d1));
}

SM_AVX512_INLINE __m512 step(__m512 acc, const wpair *u, const sm_block_q8_0 *xb, int one)
{
    __m256i lo = _mm256_loadu_si256((const __m256i *)xb[0].qs);
    __m256i hi = one ? _mm256_setzero_si256() : _mm256_loadu_si256((const __m256i *)xb[1].qs);
    __m512i xv = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    __m512i sx = _mm512_mask_sub_epi8(xv, u->neg, _mm512_setzero_si512(), xv);
    __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u->aw, sx);
    float dx1 = one ? 0.0f : _cvtsh_ss(xb[1].d);
    __m512 dx =
        _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(_cvtsh_ss(xb[0].d)), _mm512_set1_ps(dx1));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_mul_ps(u->d, dx), acc);
}

/* Rows r.. r+NR by tokens t.. t+NT (constants at each call). */
SM_AVX512_INLINE void tile(int q4, int NR, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, float *y, size_t ys, size_t nb)
{
    __m512 acc[2][8];
#pragma GCC unroll 2
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b += 2) {
        int one = b + 1 == nb;
#pragma GCC unroll 2
        for (int i = 0; i < NR; i++) {
            wpair u;
            unpack_pair(q4, w + i * ws, b, one, &u);
#pragma GCC unroll 8
            for (int j = 0; j < NT; j++)
                acc[i][j] = step(acc[i][j], &u, (const sm_block_q8_0 *)(x + j * xs) + b, one);
        }
    }
#pragma GCC unroll 2
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NT; j++)
            y[j * ys + i] = sm_avx512_hsum(acc[i][j]);
}

enum { GEMM_NT = 8, GEMV_NR = 2 };

SM_AVX512_INLINE void matmul(int q4, const void *w, size_t ws, const void *x, size_t xs, float *y,
                             size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / 32, t = t0;
    for (; t + GEMM_NT <= t1; t += GEMM_NT)
        for (size_t r = r0; r < r1; r++)
            tile(q4, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    for (; t < t1; t++) {
        size_t r = r0;
        for (; r + GEMV_NR <= r1; r += GEMV_NR)
            tile(q4, GEMV_NR, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
        for (; r < r1; r++)
            tile(q4, 1, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    }
}

static void sm_k_matmul_q8_0_avx512vnni(const void *w, size_t w_stride, const void *x,
                                        size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                        size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q4_0_avx512vnni(const void *w, size_t w_stride, const void *x,
                                        size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                        size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx512_matmul_q_vnni(sm_kernels *kt)
{
    kt->matmul_q8_0 = sm_k_matmul_q8_0_avx512vnni;
    kt->matmul_q4_0 = sm_k_matmul_q4_0_avx512vnni;
}
