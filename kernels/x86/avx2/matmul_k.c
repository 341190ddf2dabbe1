/* SPDX-License-Identifier: MIT */
/* avx2/matmul_k.c: Q4_K and Q6_K weights times Q8_K activations. A row's super-block is
 * unpacked once (unsigned codes as bytes in the elements' order, the scales as int16
 * multipliers) and applied to up to 8 tokens. Per super-block the dot product is exact in int32
 * lanes: maddubs of codes and x, then madd by the sub-block scales, summed over the 8 vectors.
 * Q6_K's codes q are used as they are (0..63) and the -32 taken off at the end as
 * 32 sum_j scale_j bsum_j (bsum_j: the sum of x over sub-block j, kept by Q8_K), one madd
 * where the sign trick cost three instructions per vector. The lanes are converted and
 * FMA-accumulated by d_w * d_x into an 8-lane accumulator. Q4_K's mins go to a 4-lane one:
 * lane k holds m_2k bsum_2k + m_2k+1 bsum_2k+1 (bsum over 32 elements), times dmin_w * d_x.
 * Every micro-tile runs these same steps per output, so any split of rows or tokens gives the
 * same bits.
 *
 * Measured on the development VM (Sapphire Rapids, weights in L2, 512 x 2048): the earlier
 * version (scalar scale decoding, the sign trick, the mins summed in scalar code) ran Q4_K at
 * 5.2 GB/s and Q6_K at 8.6 GB/s, a third and a half of the DRAM bandwidth; see the commit
 * message for this one's. */
#include "config.h"

#include <stdint.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* One row's super-block, ready for any number of tokens. */
typedef struct kblock {
    __m256i q[8];   /* unsigned codes of elements 32v .. 32v + 32 */
    __m256i sc[8];  /* Q6_K: int16 scales of those elements (sub-block 2v in the low 128 bits) */
    __m256i s16;    /* Q6_K: the 16 scales as int16, for the -32 correction */
    int32_t scd[8]; /* Q4_K: sub-block v's scale in both words of a dword (broadcast by load) */
    __m128i m;      /* Q4_K: the 8 mins as int16 */
    float d, dmin;
} kblock;

/* *p in all 8 lanes by a broadcast load, which takes a load port where a broadcast from a
 * register takes a shuffle port. Hiding the pointer's origin (the empty asm) keeps GCC from
 * forwarding the stored values through registers, where it would extract and broadcast. */
SM_AVX2_INLINE __m256i bcast32(const int32_t *p)
{
    __asm__("" : "+r"(p));
    return _mm256_set1_epi32(*p);
}

/* Q4_K header [d | dmin, a, b, c] (a, b, c the 12 scale bytes) to bytes sc0..sc7 m0..m7
 * (see sm_q4_K_scale_min), four at a time in dwords: a & 0x3f.., (c & 0x0f..) |
 * (a >> 2 & 0x30..), b & 0x3f.., (c >> 4 & 0x0f..) | (b >> 2 & 0x30..). */
SM_AVX2_INLINE __m128i q4_K_decode(__m128i h)
{
    __m128i lo = _mm_shuffle_epi32(h, _MM_SHUFFLE(3, 2, 3, 1)); // a c b c
    __m128i hi = _mm_shuffle_epi32(h, _MM_SHUFFLE(2, 2, 1, 1)); // a a b b
    lo = _mm_srlv_epi32(lo, _mm_setr_epi32(0, 0, 0, 4));
    lo = _mm_and_si128(lo, _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    hi = _mm_and_si128(_mm_srli_epi32(hi, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    return _mm_or_si128(lo, hi);
}

SM_AVX2_INLINE void unpack_q4_K(const sm_block_q4_K *b, kblock *u)
{
    u->d = _cvtsh_ss(b->d);
    u->dmin = _cvtsh_ss(b->dmin);
    const __m256i lo = _mm256_set1_epi8(0xf);
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
        u->q[2 * c] = _mm256_and_si256(q, lo);
        u->q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo);
    }
    __m128i s = q4_K_decode(_mm_loadu_si128((const __m128i *)b));
    __m256i sc = _mm256_cvtepu8_epi32(s);
    _mm256_storeu_si256((__m256i *)u->scd, _mm256_or_si256(sc, _mm256_slli_epi32(sc, 16)));
    u->m = _mm_cvtepu8_epi16(_mm_srli_si128(s, 8));
}

/* Word v of each 128-bit lane in all 8 words of it. */
static const signed char word_ctl[8][32] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
     0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
    {2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
     4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5},
    {6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
     6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
     8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9},
    {10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11,
     10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13,
     12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13},
    {14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
     14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

/* Q6_K: in each half h (ql + 64h, qh + 32h) the quarter k of 32 elements takes the low
 * (k < 2) or high nibbles of ql[32 (k & 1) ..] and bits 2k, 2k + 1 of qh, moved to 4, 5. */
SM_AVX2_INLINE void unpack_q6_K(const sm_block_q6_K *b, kblock *u)
{
    u->d = _cvtsh_ss(b->d);
    const __m256i m0f = _mm256_set1_epi8(0xf), m30 = _mm256_set1_epi8(0x30);
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        u->q[4 * h] = _mm256_or_si256(_mm256_and_si256(ql0, m0f),
                                      _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
        u->q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(ql1, m0f),
                                          _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
        u->q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m0f),
                                          _mm256_and_si256(qh, m30));
        u->q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m0f),
                                          _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
    }
    // Vector v covers sub-blocks 2v (low 128 bits) and 2v + 1: from the scales ordered
    // even | odd, word v of each lane is the right one.
    __m128i s = _mm_loadu_si128((const __m128i *)b->scales);
    u->s16 = _mm256_cvtepi8_epi16(s);
    __m128i eo =
        _mm_shuffle_epi8(s, _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
    __m256i w = _mm256_cvtepi8_epi16(eo);
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++)
        u->sc[v] = _mm256_shuffle_epi8(w, _mm256_loadu_si256((const __m256i *)word_ctl[v]));
}

/* The 8 sums of 32 of a Q8_K block as int16 (|sum| <= 32 * 128). */
SM_AVX2_INLINE __m128i bsums32(const sm_block_q8_K *x)
{
    __m256i s =
        _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x->bsums), _mm256_set1_epi16(1));
    return _mm_packs_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

/* acc += float(sum_v sc_v <q_v, x_v>) * (d * dx); *accm += float(mins) * (dmin * dx). */
SM_AVX2_INLINE __m256 step_q4_K(__m256 acc, __m128 *accm, const kblock *u, const sm_block_q8_K *x)
{
    __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * v));
        __m256i p16 = _mm256_maddubs_epi16(u->q[v], xv);
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, bcast32(&u->scd[v])));
    }
    __m128i ms = _mm_madd_epi16(u->m, bsums32(x));
    *accm = _mm_fmadd_ps(_mm_cvtepi32_ps(ms), _mm_set1_ps(u->dmin * x->d), *accm);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u->d * x->d), acc);
}

SM_AVX2_INLINE __m256 step_q6_K(__m256 acc, const kblock *u, const sm_block_q8_K *x)
{
    __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int v = 0; v < 8; v++) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * v));
        __m256i p16 = _mm256_maddubs_epi16(u->q[v], xv);
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, u->sc[v]));
    }
    __m256i corr = _mm256_madd_epi16(u->s16, _mm256_loadu_si256((const __m256i *)x->bsums));
    isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 5));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u->d * x->d), acc);
}

/* The 4 lanes' sum in one order. */
SM_AVX2_INLINE float hsum4(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* One row by tokens t.. t+NT (a constant at each call). */
SM_AVX2_INLINE void tile(int q6, int NT, const char *w, size_t ws, const char *x, size_t xs,
                         float *y, size_t ys, size_t nb)
{
    __m256 acc[8];
    __m128 accm[8];
#pragma GCC unroll 8
    for (int j = 0; j < NT; j++) {
        acc[j] = _mm256_setzero_ps();
        accm[j] = _mm_setzero_ps();
    }
    kblock u;
    size_t bs = q6 ? sizeof(sm_block_q6_K) : sizeof(sm_block_q4_K);
    for (size_t b = 0; b < nb; b++) {
        // GEMV: the next row's super-block, into L2 (see x86/avx512/matmul_k_vnni.c). The
        // row stride is the tile's own w_stride, passed in as ws.
        if (NT == 1)
            for (size_t off = 0; off < bs; off += 64)
                _mm_prefetch(w + ws + b * bs + off, _MM_HINT_T1);
        if (q6)
            unpack_q6_K((const sm_block_q6_K *)w + b, &u);
        else
            unpack_q4_K((const sm_block_q4_K *)w + b, &u);
#pragma GCC unroll 8
        for (int j = 0; j < NT; j++) {
            const sm_block_q8_K *xb = (const sm_block_q8_K *)(x + j * xs) + b;
            acc[j] = q6 ? step_q6_K(acc[j], &u, xb) : step_q4_K(acc[j], &accm[j], &u, xb);
        }
    }
#pragma GCC unroll 8
    for (int j = 0; j < NT; j++)
        y[j * ys] = q6 ? sm_avx2_hsum(acc[j]) : sm_avx2_hsum(acc[j]) - hsum4(accm[j]);
}

enum { GEMM_NT = 8 };

SM_AVX2_INLINE void matmul(int q6, const void *w, size_t ws, const void *x, size_t xs, float *y,
                           size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / SM_QK_K, t = t0;
    for (; t + GEMM_NT <= t1; t += GEMM_NT)
        for (size_t r = r0; r < r1; r++)
            tile(q6, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
    for (; t < t1; t++)
        for (size_t r = r0; r < r1; r++)
            tile(q6, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, nb);
}

static void sm_k_matmul_q4_K_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                  float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                  size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q6_K_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                  float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                  size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx2_matmul_k(sm_kernels *kt)
{
    kt->matmul_q4_K = sm_k_matmul_q4_K_avx2;
    kt->matmul_q6_K = sm_k_matmul_q6_K_avx2;
}
