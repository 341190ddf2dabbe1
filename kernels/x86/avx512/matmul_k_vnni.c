/* SPDX-License-Identifier: MIT */
/* avx512/matmul_k_vnni.c: Q4_K and Q6_K weights times Q8_K activations with AVX512_VNNI, one
 * super-block (256 elements) per step, in four 64-byte vectors.
 *
 * The codes are the unsigned side of vpdpbusd: Q4_K's 4-bit codes as they are, Q6_K's 6-bit
 * codes q with the -32 removed exactly by starting from -32 sum(x), which depends only on the
 * token. Each int32 lane then holds the exact dot product of 4 fixed elements of one
 * sub-block; two vectors are packed to int16 (|lane| < 2^15 for both formats) and multiplied
 * by their sub-block scales with vpmaddwd, which halves the multiplications against vpmulld.
 * The exact int32 sum is converted and FMA-accumulated by d_w * d_x in a 16-lane accumulator;
 * Q4_K's mins (dmin * m_j * sum of x over sub-block j) go to an 8-lane one. The accumulators
 * are reduced once at the end. Every micro-tile does exactly this per output, so any split of
 * rows or tokens gives the same bits. The token's work (its bytes in the weights' order, its
 * sums) is shared by the rows of a micro-tile, the row's (codes, scales) by its tokens. */
#include "config.h"

#include <string.h>

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/avx512/simd.h"

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#if defined(__clang__)
// clang ignores GCC's target pragma; its own form applies the target to every function below.
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif

/* A token's super-block: x in the order of the weight vectors, and what the offsets need. */
typedef struct kx {
    __m512i x[4];
    __m512i neg[4]; /* Q6_K: -32 * sum(x) per lane */
    __m256i bsums;  /* Q4_K: the 16 sums of 16 */
    float d;
} kx;

/* A row's super-block. */
typedef struct kw {
    __m512i q[4];  /* unsigned codes */
    __m512i sc[2]; /* int16 scales for the packed pairs (q0, q1) and (q2, q3) */
    __m256i m;     /* Q4_K: int16 mins, each twice: m0 m0 m1 m1 .. m7 m7 */
    float d, dmin;
} kw;

SM_AVX512_INLINE __m512i join(const int8_t *lo, const int8_t *hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                              _mm256_loadu_si256((const __m256i *)hi), 1);
}

/* Q4_K codes come as 64-byte loads whose low nibbles are elements [64c, 64c + 32) and
 * [64c + 64, 64c + 96), high nibbles the 32 after each: x is gathered in that order. */
SM_AVX512_INLINE void prep_x(int q6, const sm_block_q8_K *xb, kx *p)
{
    p->d = xb->d;
    if (q6) {
        __m512i k32 = _mm512_set1_epi8(32), zero = _mm512_setzero_si512();
        for (int v = 0; v < 4; v++) {
            p->x[v] = _mm512_loadu_si512(xb->qs + 64 * v);
            p->neg[v] = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k32, p->x[v]));
        }
        return;
    }
    for (int h = 0; h < 2; h++) {
        p->x[2 * h] = join(xb->qs + 128 * h, xb->qs + 128 * h + 64);
        p->x[2 * h + 1] = join(xb->qs + 128 * h + 32, xb->qs + 128 * h + 96);
    }
    p->bsums = _mm256_loadu_si256((const __m256i *)xb->bsums);
}

/* The 8 scales and 8 mins of a Q4_K block as bytes sc0..sc7 m0..m7 (see sm_q4_K_scale_min),
 * four at a time in 32-bit words. */
static inline __m128i q4_K_scales(const uint8_t *s)
{
    uint32_t a, b, c;
    memcpy(&a, s, 4);
    memcpy(&b, s + 4, 4);
    memcpy(&c, s + 8, 4);
    uint32_t w[4] = {a & 0x3f3f3f3fu, (c & 0x0f0f0f0fu) | ((a >> 2) & 0x30303030u), b & 0x3f3f3f3fu,
                     ((c >> 4) & 0x0f0f0f0fu) | ((b >> 2) & 0x30303030u)};
    return _mm_loadu_si128((const __m128i *)w);
}

/* int16 scale vectors for packs(q0, q1) and packs(q2, q3): in 128-bit lane k the first 4 words
 * come from the first vector's lanes 4k .. 4k+3, the last 4 from the second's. */
SM_AVX512_INLINE void scale_vectors(__m256i s16, const short *ia, const short *ib, kw *p)
{
    __m512i v = _mm512_castsi256_si512(s16);
    p->sc[0] = _mm512_permutexvar_epi16(_mm512_loadu_si512(ia), v);
    p->sc[1] = _mm512_permutexvar_epi16(_mm512_loadu_si512(ib), v);
}

/* Q4_K: vector q0 holds sub-blocks 0 (lanes 0-7) and 2, q1 1 and 3, q2 4 and 6, q3 5 and 7. */
static const short q4_K_ia[32] = {0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1,
                                  2, 2, 2, 2, 3, 3, 3, 3, 2, 2, 2, 2, 3, 3, 3, 3};
static const short q4_K_ib[32] = {4, 4, 4, 4, 5, 5, 5, 5, 4, 4, 4, 4, 5, 5, 5, 5,
                                  6, 6, 6, 6, 7, 7, 7, 7, 6, 6, 6, 6, 7, 7, 7, 7};
/* Q6_K: lane l of vector v covers elements 64v + 4l .. + 3, scale 4v + l / 4. */
static const short q6_K_ia[32] = {0, 0, 0, 0, 4, 4, 4, 4, 1, 1, 1, 1, 5, 5, 5, 5,
                                  2, 2, 2, 2, 6, 6, 6, 6, 3, 3, 3, 3, 7, 7, 7, 7};
static const short q6_K_ib[32] = {8,  8,  8,  8,  12, 12, 12, 12, 9,  9,  9,  9,  13, 13, 13, 13,
                                  10, 10, 10, 10, 14, 14, 14, 14, 11, 11, 11, 11, 15, 15, 15, 15};

SM_AVX512_INLINE void prep_w_q4_K(const sm_block_q4_K *b, kw *p)
{
    p->d = _cvtsh_ss(b->d);
    p->dmin = _cvtsh_ss(b->dmin);
    __m512i m = _mm512_set1_epi8(0xf);
    for (int h = 0; h < 2; h++) {
        __m512i v = _mm512_loadu_si512(b->qs + 64 * h);
        p->q[2 * h] = _mm512_and_si512(v, m);
        p->q[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m);
    }
    __m256i s16 = _mm256_cvtepu8_epi16(q4_K_scales(b->scales));
    scale_vectors(s16, q4_K_ia, q4_K_ib, p);
    __m256i dup = _mm256_setr_epi16(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    p->m = _mm256_permutexvar_epi16(dup, s16);
}

/* Q6_K: 64-byte loads of ql give elements [128h, 128h + 64) in their low nibbles and the next
 * 64 in their high nibbles; the two high bits come from qh[32h .. 32h + 32) (both halves),
 * shifted so that bits 2q, 2q + 1 land at 4, 5 for the quarter q of each 32 bytes. */
SM_AVX512_INLINE void prep_w_q6_K(const sm_block_q6_K *b, kw *p)
{
    p->d = _cvtsh_ss(b->d);
    __m512i m0f = _mm512_set1_epi8(0xf), m30 = _mm512_set1_epi8(0x30);
    __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    for (int h = 0; h < 2; h++) {
        __m512i ql = _mm512_loadu_si512(b->ql + 64 * h);
        __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32 * h)));
        __m512i lo = _mm512_and_si512(ql, m0f),
                hi = _mm512_and_si512(_mm512_srli_epi16(ql, 4), m0f);
        // (bits & 0x30) | nibbles in one instruction: truth table (a & b) | c = 0xea.
        p->q[2 * h] = _mm512_ternarylogic_epi32(_mm512_sllv_epi16(qh, shl), m30, lo, 0xea);
        p->q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srlv_epi16(qh, shr), m30, hi, 0xea);
    }
    __m256i s16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    scale_vectors(s16, q6_K_ia, q6_K_ib, p);
}

SM_AVX512_INLINE __m512 step(int q6, __m512 acc, __m256 *accm, const kw *w, const kx *x)
{
    __m512i zero = _mm512_setzero_si512(), p[4];
    for (int v = 0; v < 4; v++)
        p[v] = _mm512_dpbusd_epi32(q6 ? x->neg[v] : zero, w->q[v], x->x[v]);
    __m512i s = _mm512_add_epi32(_mm512_madd_epi16(_mm512_packs_epi32(p[0], p[1]), w->sc[0]),
                                 _mm512_madd_epi16(_mm512_packs_epi32(p[2], p[3]), w->sc[1]));
    if (!q6) {
        __m256i ms = _mm256_madd_epi16(x->bsums, w->m);
        *accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_set1_ps(w->dmin * x->d), *accm);
    }
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(w->d * x->d), acc);
}

/* Rows r.. r+NR (1 or 4) by tokens t.. t+NT (constants at each call). */
SM_AVX512_INLINE void tile(int q6, int NR, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, float *y, size_t ys, size_t nb)
{
    __m512 acc[4][4];
    __m256 accm[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            acc[i][j] = _mm512_setzero_ps();
            accm[i][j] = _mm256_setzero_ps();
        }
    for (size_t b = 0; b < nb; b++) {
        kx xk[4];
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            prep_x(q6, (const sm_block_q8_K *)(x + j * xs) + b, &xk[j]);
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++) {
            // The next micro-tile's row, same super-block: as in matmul_q_vnni.c, this took
            // the GEMV from about half the read bandwidth to near all of it.
            size_t bs = q6 ? sizeof(sm_block_q6_K) : sizeof(sm_block_q4_K);
            const char *next = w + (i + NR) * ws + b * bs;
            for (size_t off = 0; off < bs; off += 64)
                _mm_prefetch(next + off, _MM_HINT_T0);
            kw wk;
            if (q6)
                prep_w_q6_K((const sm_block_q6_K *)(w + i * ws) + b, &wk);
            else
                prep_w_q4_K((const sm_block_q4_K *)(w + i * ws) + b, &wk);
#pragma GCC unroll 4
            for (int j = 0; j < NT; j++)
                acc[i][j] = step(q6, acc[i][j], &accm[i][j], &wk, &xk[j]);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            y[j * ys + i] = sm_avx512_hsum(acc[i][j]) - sm_avx512_hsum8(accm[i][j]);
}

enum { NR = 4, GEMM_NT = 4 };

SM_AVX512_INLINE void matmul(int q6, const void *w, size_t ws, const void *x, size_t xs, float *y,
                             size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / SM_QK_K, t = t0;
    for (; t + GEMM_NT <= t1; t += GEMM_NT) {
        size_t r = r0;
        for (; r + NR <= r1; r += NR)
            tile(q6, NR, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
        for (; r < r1; r++)
            tile(q6, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    }
    for (; t < t1; t++) {
        size_t r = r0;
        for (; r + NR <= r1; r += NR)
            tile(q6, NR, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
        for (; r < r1; r++)
            tile(q6, 1, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    }
}

static void sm_k_matmul_q4_K_avx512vnni(const void *w, size_t w_stride, const void *x,
                                        size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                        size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q6_K_avx512vnni(const void *w, size_t w_stride, const void *x,
                                        size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                        size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx512_matmul_k_vnni(sm_kernels *kt)
{
    kt->matmul_q4_K = sm_k_matmul_q4_K_avx512vnni;
    kt->matmul_q6_K = sm_k_matmul_q6_K_avx512vnni;
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
