/* SPDX-License-Identifier: MIT */
/* avx2/matmul_q.c: Q8_0 and Q4_0 weights times Q8_0 activations. Per 32-element block the dot
 * product is exact in integers (maddubs of |w| and x * sign(w), then madd into 8 int32 lanes);
 * the lanes are converted and accumulated with FMA by d_w * d_x into an 8-lane float
 * accumulator, summed by sm_avx2_hsum at the end. Every micro-tile runs exactly these steps
 * per output, so any split of rows or tokens gives the same bits. GEMV (gemv_tile) takes 2 rows
 * at a time with the same integer lanes and float steps, computed more cheaply; GEMM unpacks a
 * row's block once and applies it to 8 tokens. */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* 32 signed weights of block b of a Q8_0 (q4 = 0) or Q4_0 (q4 = 1) row, and its scale. */
SM_AVX2_INLINE __m256i unpack(int q4, const char *row, size_t b, float *d)
{
    if (q4) {
        const sm_block_q4_0 *blk = (const sm_block_q4_0 *)row + b;
        *d = _cvtsh_ss(blk->d);
        __m128i q = _mm_loadu_si128((const __m128i *)blk->qs);
        __m256i v = _mm256_set_m128i(_mm_srli_epi16(q, 4), q); // high half: the high nibbles
        v = _mm256_and_si256(v, _mm256_set1_epi8(0xf));
        return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
    }
    const sm_block_q8_0 *blk = (const sm_block_q8_0 *)row + b;
    *d = _cvtsh_ss(blk->d);
    return _mm256_loadu_si256((const __m256i *)blk->qs);
}

/* acc += float(<w, x> in 8 int32 lanes) * (dw * dx). */
SM_AVX2_INLINE __m256 step(__m256 acc, __m256i w, __m256i aw, float dw, const sm_block_q8_0 *xb)
{
    __m256i xv = _mm256_loadu_si256((const __m256i *)xb->qs);
    __m256i p16 = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(xv, w));
    __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    __m256 s = _mm256_set1_ps(dw * _cvtsh_ss(xb->d));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), s, acc);
}

/* Rows r.. r+NR by tokens t.. t+NT (constants at each call). */
SM_AVX2_INLINE void tile(int q4, int NR, int NT, const char *w, size_t ws, const char *x, size_t xs,
                         float *y, size_t ys, size_t nb)
{
    __m256 acc[2][8];
#pragma GCC unroll 2
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
#pragma GCC unroll 2
        for (int i = 0; i < NR; i++) {
            float dw;
            __m256i wv = unpack(q4, w + i * ws, b, &dw);
            __m256i aw = _mm256_sign_epi8(wv, wv);
#pragma GCC unroll 8
            for (int j = 0; j < NT; j++)
                acc[i][j] = step(acc[i][j], wv, aw, dw, (const sm_block_q8_0 *)(x + j * xs) + b);
        }
    }
#pragma GCC unroll 2
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 8
        for (int j = 0; j < NT; j++)
            y[j * ys + i] = sm_avx2_hsum(acc[i][j]);
}

enum { GEMM_NT = 8, GEMV_NR = 2, GEMV_NB = 8 };

/* The fp16 scales of c <= 8 blocks 'stride' bytes apart (0 for the missing ones) as floats. */
SM_AVX2_INLINE int d_or_0(const char *p, size_t stride, size_t c, size_t k)
{
    return k < c ? *(const uint16_t *)(const void *)(p + k * stride) : 0;
}

/* The lane of pinsrw is an immediate: clang wants it constant before unrolling, so the eight
 * are spelled out. */
SM_AVX2_INLINE __m256 load_d8(const char *p, size_t stride, size_t c)
{
    __m128i h = _mm_cvtsi32_si128(d_or_0(p, stride, c, 0));
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 1), 1);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 2), 2);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 3), 3);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 4), 4);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 5), 5);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 6), 6);
    h = _mm_insert_epi16(h, d_or_0(p, stride, c, 7), 7);
    return _mm256_cvtph_ps(h);
}

/* *p in all 8 lanes by a broadcast load, which takes a load port where a broadcast from a
 * register takes a shuffle port. Hiding the pointer's origin (the empty asm) keeps GCC from
 * forwarding the stored vector through registers, where it would extract and broadcast. */
SM_AVX2_INLINE __m256 bcast(const float *p)
{
    __asm__("" : "+r"(p));
    return _mm256_set1_ps(*p);
}

/* GEMV: rows r.. r+NR (1 or 2), one token. Each output takes exactly tile()'s steps (the same
 * integer lanes, the same float products d_w * d_x, the same FMAs in the same order), but the
 * scales are converted and multiplied 8 blocks at a time, and Q4_0's -8 is taken off as
 * 8 sum(x), shared by the rows, instead of the sign trick: that halved the instructions per
 * block. */
SM_AVX2_INLINE void gemv_tile(int q4, int NR, const char *w, size_t ws, const char *x, float *y,
                              size_t nb)
{
    const sm_block_q8_0 *xb = (const sm_block_q8_0 *)x;
    size_t bsz = q4 ? sizeof(sm_block_q4_0) : sizeof(sm_block_q8_0);
    const __m256i ones = _mm256_set1_epi16(1), m0f = _mm256_set1_epi8(0xf);
    __m256 acc[GEMV_NR] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t b0 = 0; b0 < nb; b0 += GEMV_NB) {
        size_t c = nb - b0 < GEMV_NB ? nb - b0 : GEMV_NB;
        __m256 dx = load_d8((const char *)&xb[b0].d, sizeof *xb, c);
        float cs[GEMV_NR][GEMV_NB];
#pragma GCC unroll 2
        for (int i = 0; i < NR; i++)
            _mm256_storeu_ps(cs[i], _mm256_mul_ps(load_d8(w + i * ws + b0 * bsz, bsz, c), dx));
        for (size_t k = 0; k < c; k++) {
            size_t b = b0 + k;
            __m256i xv = _mm256_loadu_si256((const __m256i *)xb[b].qs);
            __m256i off = _mm256_setzero_si256();
            if (q4)
                off = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(8), xv), ones);
#pragma GCC unroll 2
            for (int i = 0; i < NR; i++) {
                // The next micro-tile's row (see x86/avx512/matmul_q_vnni.c); a block is < 64
                // bytes, so every other block is enough.
                if (b % 2 == 0)
                    _mm_prefetch(w + (i + NR) * ws + b * bsz, _MM_HINT_T1);
                __m256i p32;
                if (q4) {
                    const sm_block_q4_0 *blk = (const sm_block_q4_0 *)(w + i * ws) + b;
                    __m128i q = _mm_loadu_si128((const __m128i *)blk->qs);
                    __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), m0f);
                    p32 =
                        _mm256_sub_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(v, xv), ones), off);
                } else {
                    const sm_block_q8_0 *blk = (const sm_block_q8_0 *)(w + i * ws) + b;
                    __m256i wv = _mm256_loadu_si256((const __m256i *)blk->qs);
                    __m256i p16 =
                        _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
                    p32 = _mm256_madd_epi16(p16, ones);
                }
                acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), bcast(&cs[i][k]), acc[i]);
            }
        }
    }
#pragma GCC unroll 2
    for (int i = 0; i < NR; i++)
        y[i] = sm_avx2_hsum(acc[i]);
}

SM_AVX2_INLINE void matmul(int q4, const void *w, size_t ws, const void *x, size_t xs, float *y,
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
            gemv_tile(q4, GEMV_NR, W + r * ws, ws, X + t * xs, y + t * ys + r, nb);
        for (; r < r1; r++)
            gemv_tile(q4, 1, W + r * ws, ws, X + t * xs, y + t * ys + r, nb);
    }
}

static void sm_k_matmul_q8_0_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                  float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                  size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q4_0_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                  float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                  size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx2_matmul_q(sm_kernels *kt)
{
    kt->matmul_q8_0 = sm_k_matmul_q8_0_avx2;
    kt->matmul_q4_0 = sm_k_matmul_q4_0_avx2;
}
