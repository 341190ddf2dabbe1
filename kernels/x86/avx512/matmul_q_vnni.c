/* SPDX-License-Identifier: MIT */
/* avx512/matmul_q_vnni.c: Q8_0 and Q4_0 weights times Q8_0 activations with AVX512_VNNI, four
 * blocks ("a quad", 128 elements) at a time.
 *
 * vpdpbusd multiplies unsigned by signed bytes, so one side is offset and the offset removed
 * exactly in int32 by starting the accumulation from its negated sum, which depends on the
 * token only and is computed once per quad and token:
 * - Q4_0: the codes n = w + 8 are unsigned: <n, x> - 8 sum(x);
 * - Q8_0: w + 128 is unsigned: <w + 128, x> - 128 sum(x).
 * Each int32 lane then holds the exact dot product of fixed elements; it is converted and
 * FMA-accumulated by d_w * d_x into a 16-lane accumulator, reduced at the end by
 * sm_avx512_hsum or its 4-wide twin (same pairings). Every micro-tile does exactly that per
 * output, so any split of rows or tokens gives the same bits. A last partial quad runs with
 * zero activations and scales in its missing blocks (adding exact zeros).
 *
 * Why quads: on AVX-512 cores only ports 0 and 5 run 512-bit vector uops, and a first version
 * working on block pairs spent ~21 of them per pair and row (10 cycles: 4.7 GB/s for Q4_0 at
 * 2.3 GHz, 8 GB/s even from L1). Quads share one scale vector between their two halves (Q4_0)
 * and build it with one conversion for 4 blocks; the token's work is shared by 8 rows. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include <string.h>

#include "kernels/x86/avx512/simd.h"

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#if defined(__clang__)
// clang ignores GCC's target pragma; its own form applies the target to every function below.
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif

/* A token's quad. Q4_0: a = the low halves of the 4 blocks [x0 0..15, x1 0..15, x2 .., x3 ..],
 * b = their high halves (the nibble order of the weights); Q8_0: a = [x0 | x1], b = [x2 | x3]. */
typedef struct xquad {
    __m512i a, b;
    __m512i neg_a, neg_b; /* negated offset sums (Q4_0 uses neg_a for both halves) */
    __m128 d;             /* d_x of the 4 blocks */
} xquad;

/* A row's quad: Q4_0 a/b = low/high nibbles of the 4 blocks; Q8_0 a/b = w + 128 of blocks
 * 0-1 / 2-3. */
typedef struct wquad {
    __m512i a, b;
    __m128 d; /* d_w of the 4 blocks */
} wquad;

/* 4 fp16 scales 'stride' bytes apart (missing blocks: 0) as 4 floats. */
SM_AVX512_INLINE __m128 load_d4(const char *p, size_t stride, int c)
{
    uint64_t bits = 0;
    for (int k = 0; k < 4; k++) {
        if (k < c) {
            uint16_t h;
            memcpy(&h, p + (size_t)k * stride, 2);
            bits |= (uint64_t)h << (16 * k);
        }
    }
    return _mm_cvtph_ps(_mm_cvtsi64_si128((long long)bits));
}

/* 32 bytes of block k's codes, or zeros when k >= c. */
SM_AVX512_INLINE __m256i load32(const int8_t *p, int k, int c)
{
    return k < c ? _mm256_loadu_si256((const __m256i *)p) : _mm256_setzero_si256();
}

SM_AVX512_INLINE __m128i load16(const uint8_t *p, int k, int c)
{
    return k < c ? _mm_loadu_si128((const __m128i *)p) : _mm_setzero_si128();
}

SM_AVX512_INLINE __m512i join(__m256i lo, __m256i hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

SM_AVX512_INLINE void prep_x(int q4, const sm_block_q8_0 *xb, int c, xquad *p)
{
    __m512i A = join(load32(xb[0].qs, 0, c), load32(xb[1].qs, 1, c));
    __m512i B = join(load32(xb[2].qs, 2, c), load32(xb[3].qs, 3, c));
    p->d = load_d4((const char *)&xb[0].d, sizeof *xb, c);
    __m512i zero = _mm512_setzero_si512();
    if (q4) {
        p->a = _mm512_shuffle_i64x2(A, B, 0x88); // 128-bit lanes A0 A2 B0 B2
        p->b = _mm512_shuffle_i64x2(A, B, 0xdd); // A1 A3 B1 B3
        __m512i s = _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(8), p->a);
        p->neg_a = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(s, _mm512_set1_epi8(8), p->b));
    } else {
        p->a = A;
        p->b = B;
        __m512i k128 = _mm512_set1_epi8((char)0x80);
        p->neg_a = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k128, A));
        p->neg_b = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k128, B));
    }
}

SM_AVX512_INLINE void prep_w(int q4, const char *row, size_t b, int c, wquad *p)
{
    if (q4) {
        const sm_block_q4_0 *blk = (const sm_block_q4_0 *)row + b;
        __m256i lo = _mm256_set_m128i(load16(blk[1].qs, 1, c), load16(blk[0].qs, 0, c));
        __m256i hi = _mm256_set_m128i(load16(blk[3].qs, 3, c), load16(blk[2].qs, 2, c));
        __m512i v = join(lo, hi), m = _mm512_set1_epi8(0xf);
        p->a = _mm512_and_si512(v, m);
        p->b = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
        p->d = load_d4((const char *)&blk[0].d, sizeof *blk, c);
    } else {
        const sm_block_q8_0 *blk = (const sm_block_q8_0 *)row + b;
        __m512i k128 = _mm512_set1_epi8((char)0x80);
        p->a = _mm512_xor_si512(join(load32(blk[0].qs, 0, c), load32(blk[1].qs, 1, c)), k128);
        p->b = _mm512_xor_si512(join(load32(blk[2].qs, 2, c), load32(blk[3].qs, 3, c)), k128);
        p->d = load_d4((const char *)&blk[0].d, sizeof *blk, c);
    }
}

SM_AVX512_INLINE __m512 step(int q4, __m512 acc, const wquad *w, const xquad *x)
{
    __m512 d = _mm512_castps128_ps512(_mm_mul_ps(w->d, x->d));
    if (q4) { // lanes 4k .. 4k+3 belong to block k
        __m512i p = _mm512_dpbusd_epi32(x->neg_a, w->a, x->a);
        p = _mm512_dpbusd_epi32(p, w->b, x->b);
        __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        return _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_permutexvar_ps(idx, d), acc);
    }
    __m512i pa = _mm512_dpbusd_epi32(x->neg_a, w->a, x->a);
    __m512i pb = _mm512_dpbusd_epi32(x->neg_b, w->b, x->b);
    __m512i ia = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    __m512i ib = _mm512_setr_epi32(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pa), _mm512_permutexvar_ps(ia, d), acc);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(pb), _mm512_permutexvar_ps(ib, d), acc);
}

/* One quad (c blocks) of rows r.. r+NR by tokens t.. t+NT. */
SM_AVX512_INLINE void quad(int q4, int NR, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, size_t b, int c, __m512 acc[8][4])
{
    xquad xq[4];
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++)
        prep_x(q4, (const sm_block_q8_0 *)(x + j * xs) + b, c, &xq[j]);
#pragma GCC unroll 8
    for (int i = 0; i < NR; i++) {
        // The same quad of the next micro-tile's row: its lines arrive while this micro-tile
        // computes. With the hardware prefetcher alone the Q4_0 GEMV read 55% of the read
        // bandwidth from DRAM while the same loop ran at 22 GB/s from L1; prefetching within
        // the row helped less and erratically (neighbouring rows were in flight already).
        // Into L2 (T1) rather than L1: 0.82 -> 0.86 of the read bandwidth for Q4_0, 0.88 ->
        // 0.94 for Q8_0 (1 thread), as for the K-quants.
        const char *next =
            w + (i + NR) * ws + b * (q4 ? sizeof(sm_block_q4_0) : sizeof(sm_block_q8_0));
        _mm_prefetch(next, _MM_HINT_T1);
        _mm_prefetch(next + 64, _MM_HINT_T1);
        if (!q4)
            _mm_prefetch(next + 128, _MM_HINT_T1);
        wquad wq;
        prep_w(q4, w + i * ws, b, c, &wq);
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            acc[i][j] = step(q4, acc[i][j], &wq, &xq[j]);
    }
}

/* Rows r.. r+NR (1, 4 or 8) by tokens t.. t+NT (constants at each call). */
SM_AVX512_INLINE void tile(int q4, int NR, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, float *y, size_t ys, size_t nb)
{
    __m512 acc[8][4];
#pragma GCC unroll 8
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm512_setzero_ps();
    size_t b = 0;
    for (; b + 4 <= nb; b += 4)
        quad(q4, NR, NT, w, ws, x, xs, b, 4, acc);
    if (b < nb)
        quad(q4, NR, NT, w, ws, x, xs, b, (int)(nb - b), acc);
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++) {
        if (NR == 1) {
            y[j * ys] = sm_avx512_hsum(acc[0][j]);
            continue;
        }
#pragma GCC unroll 2
        for (int g = 0; g < NR; g += 4)
            _mm_storeu_ps(y + j * ys + g,
                          sm_avx512_hsum4(acc[g][j], acc[g + 1][j], acc[g + 2][j], acc[g + 3][j]));
    }
}

enum { GEMV_NR = 8, GEMM_NR = 4, GEMM_NT = 4 };

SM_AVX512_INLINE void matmul(int q4, const void *w, size_t ws, const void *x, size_t xs, float *y,
                             size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / 32, t = t0;
    for (; t + GEMM_NT <= t1; t += GEMM_NT) {
        size_t r = r0;
        for (; r + GEMM_NR <= r1; r += GEMM_NR)
            tile(q4, GEMM_NR, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
        for (; r < r1; r++)
            tile(q4, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    }
    for (; t < t1; t++) {
        size_t r = r0;
        for (; r + GEMV_NR <= r1; r += GEMV_NR)
            tile(q4, GEMV_NR, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
        for (; r + 4 <= r1; r += 4)
            tile(q4, 4, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
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

#if defined(__clang__)
#pragma clang attribute pop
#endif
