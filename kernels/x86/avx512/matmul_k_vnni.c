/* SPDX-License-Identifier: MIT */
/* avx512/matmul_k_vnni.c: Q4_K and Q6_K weights times Q8_K activations with AVX512_VNNI, one
 * super-block (256 elements) per step, in four 64-byte vectors.
 *
 * The codes are the unsigned side of vpdpbusd: Q4_K's 4-bit codes as they are, Q6_K's 6-bit
 * codes q with the -32 removed exactly by starting from -32 sum(x), which depends only on the
 * token. Each int32 lane then holds the exact dot product of 4 fixed elements of one
 * sub-block; two vectors are packed to int16 (|lane| < 2^15 for both formats) and multiplied
 * by their sub-block scales with vpmaddwd (then vpdpwssd for the second pair), which halves
 * the multiplications against vpmulld. The exact int32 sum is converted and FMA-accumulated
 * by d_w * d_x in a 16-lane accumulator. Q4_K's mins go to an accumulator shared by the
 * micro-tile's rows: lane 4i + k holds row i's m_2k bs_2k + m_2k+1 bs_2k+1 (bs_j the sum of x
 * over sub-block j), accumulated by dmin_w * d_x. The accumulators are reduced once at the
 * end. Every micro-tile does exactly this per output, so any split of rows or tokens
 * gives the same bits.
 *
 * What the rows of a micro-tile share, per super-block: the token's bytes in the weights'
 * order and its sums; the decoding of the rows' headers (scales, mins, d) as one 64-byte
 * vector, the four rows in its four 128-bit lanes. That sharing, and straight-line code (an
 * earlier version with per-row arrays left GCC a loop through the stack), took the Q4_K GEMV
 * from 16 to 28 GB/s when the weights sit in L2 (Sapphire Rapids, 2.8 GHz), Q6_K from 22 to
 * 33: the decode has to run well above the DRAM bandwidth to hide behind it (the ratio to a
 * plain read went from 0.72 to ~0.84 for Q4_K, 0.77 to ~0.83 for Q6_K). Most of what is left
 * is the shuffle port (vpshufb, vpackssdw; vpermw takes it twice): a GFNI affine for the high
 * nibbles would save two instructions of the ~25 per row and block. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/avx512/simd.h"

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#if defined(__clang__)
// clang ignores GCC's target pragma; its own form applies the target to every function below.
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif

enum { NR = 4, GEMM_NT = 4 };

/* A token's super-block: x in the order of the weight vectors, and what the offsets need. */
typedef struct kx {
    __m512i x0, x1, x2, x3;
    __m512i n0, n1, n2, n3; /* Q6_K: -32 * sum(x) per lane */
    __m512i bs;             /* Q4_K: bs_0 .. bs_7 as words, in each 128-bit lane */
    float d;
} kx;

/* The shared part of up to NR rows' super-blocks. */
typedef struct kh {
    __m512i dec;      /* Q4_K: row i's sc0..sc7 m0..m7 in 128-bit lane i */
    __m512i wm;       /* Q4_K: row i's mins m0..m7 as words 8i .. 8i + 7 */
    __m512i w01, w23; /* Q6_K: rows' scales as words, rows 0-1 and 2-3 */
    __m256 f;         /* Q4_K: d0 dmin0 d1 dmin1 ..; Q6_K: d0 d1 d2 d3 (times d_x per token) */
} kh;

SM_AVX512_INLINE __m512i join(const int8_t *lo, const int8_t *hi)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                              _mm256_loadu_si256((const __m256i *)hi), 1);
}

/* Word j of each 128-bit lane takes word 2j, the low half of int32 j. */
static const short bs_idx[32] = {0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14,
                                 0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14};

/* Q4_K codes come as 64-byte loads whose low nibbles are elements [64c, 64c + 32) and
 * [64c + 64, 64c + 96), high nibbles the 32 after each: x is gathered in that order. */
SM_AVX512_INLINE void prep_x_q4_K(const sm_block_q8_K *xb, kx *p)
{
    p->d = xb->d;
    p->x0 = join(xb->qs, xb->qs + 64);
    p->x1 = join(xb->qs + 32, xb->qs + 96);
    p->x2 = join(xb->qs + 128, xb->qs + 192);
    p->x3 = join(xb->qs + 160, xb->qs + 224);
    // bs_j = bsums[2j] + bsums[2j + 1] fits int16 (|bs_j| <= 32 * 128), and the low word of
    // its int32 is word 2j of the vector.
    __m256i s =
        _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)xb->bsums), _mm256_set1_epi16(1));
    p->bs = _mm512_permutexvar_epi16(_mm512_loadu_si512(bs_idx), _mm512_castsi256_si512(s));
}

SM_AVX512_INLINE void prep_x_q6_K(const sm_block_q8_K *xb, kx *p)
{
    __m512i k32 = _mm512_set1_epi8(32), zero = _mm512_setzero_si512();
    p->d = xb->d;
    p->x0 = _mm512_loadu_si512(xb->qs);
    p->x1 = _mm512_loadu_si512(xb->qs + 64);
    p->x2 = _mm512_loadu_si512(xb->qs + 128);
    p->x3 = _mm512_loadu_si512(xb->qs + 192);
    p->n0 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k32, p->x0));
    p->n1 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k32, p->x1));
    p->n2 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k32, p->x2));
    p->n3 = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, k32, p->x3));
}

/* 16 bytes of row i (i < nr; zeros for the others) in 128-bit lane i. */
SM_AVX512_INLINE __m512i lanes4(int nr, const char *p, size_t ws)
{
    __m512i v = _mm512_zextsi128_si512(_mm_loadu_si128((const __m128i *)p));
    if (nr > 1) {
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + ws)), 1);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * ws)), 2);
        v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 3 * ws)), 3);
    }
    return v;
}

/* Q4_K headers, one per 128-bit lane as dwords [d | dmin, a, b, c] (a, b, c the 12 scale
 * bytes), to bytes sc0..sc7 m0..m7 (see sm_q4_K_scale_min), four at a time in dwords:
 * a & 0x3f.., (c & 0x0f..) | (a >> 2 & 0x30..), b & 0x3f.., (c >> 4 & 0x0f..) | (b >> 2 & 0x30..).
 */
SM_AVX512_INLINE __m512i q4_K_decode(__m512i h)
{
    __m512i lo = _mm512_shuffle_epi32(h, (_MM_PERM_ENUM)_MM_SHUFFLE(3, 2, 3, 1)); // a c b c
    __m512i hi = _mm512_shuffle_epi32(h, (_MM_PERM_ENUM)_MM_SHUFFLE(2, 2, 1, 1)); // a a b b
    lo = _mm512_srlv_epi32(lo, _mm512_set4_epi32(4, 0, 0, 0));
    lo = _mm512_and_si512(lo, _mm512_set4_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f));
    hi = _mm512_srli_epi32(hi, 2);
    // (hi & mask) | lo in one instruction: truth table (a & b) | c = 0xea.
    return _mm512_ternarylogic_epi32(hi, _mm512_set4_epi32(0x30303030, 0, 0x30303030, 0), lo, 0xea);
}

SM_AVX512_INLINE void prep_h_q4_K(int nr, const char *w, size_t ws, kh *h)
{
    __m512i v = lanes4(nr, w, ws);
    __m512i dd = _mm512_permutexvar_epi32(_mm512_set4_epi32(12, 8, 4, 0), v);
    h->f = _mm256_cvtph_ps(_mm512_castsi512_si128(dd));
    __m512i s = q4_K_decode(v);
    h->dec = s;
    // The mins are the high 64 bits of each lane.
    __m512i m = _mm512_permutexvar_epi64(_mm512_set_epi64(7, 7, 7, 7, 7, 5, 3, 1), s);
    h->wm = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(m));
}

SM_AVX512_INLINE void prep_h_q6_K(int nr, const char *w, size_t ws, kh *h)
{
    const sm_block_q6_K *b = (const sm_block_q6_K *)w;
    __m512i s = lanes4(nr, (const char *)b->scales, ws);
    h->w01 = _mm512_cvtepi8_epi16(_mm512_castsi512_si256(s));
    h->w23 = nr > 2 ? _mm512_cvtepi8_epi16(_mm512_extracti64x4_epi64(s, 1)) : h->w01;
    uint64_t d = b->d;
    if (nr > 1) {
        const sm_block_q6_K *b1 = (const sm_block_q6_K *)(w + ws);
        const sm_block_q6_K *b2 = (const sm_block_q6_K *)(w + 2 * ws);
        const sm_block_q6_K *b3 = (const sm_block_q6_K *)(w + 3 * ws);
        d |= (uint64_t)b1->d << 16 | (uint64_t)b2->d << 32 | (uint64_t)b3->d << 48;
    }
    h->f = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi64_si128((long long)d)));
}

/* The scale vectors of packs(p0, p1) and packs(p2, p3): in 128-bit lane k the first 4 words
 * come from the first vector's lanes 4k .. 4k+3, the last 4 from the second's.
 * Q4_K: vector q0 holds sub-blocks 0 (lanes 0-7) and 2, q1 1 and 3, q2 4 and 6, q3 5 and 7;
 * vpshufb controls picking byte j (sc_j) of the row's lane into the low byte of each word,
 * -128 zeroing the high byte. Q6_K, word indexes into the row's int16 scales: lane l of
 * vector v covers elements 64v + 4l .. + 3, scale 4v + l / 4; the second row of a pair adds
 * 16. */
static const signed char q4_K_ca[64] = {
    0, -128, 0, -128, 0, -128, 0, -128, 1, -128, 1, -128, 1, -128, 1, -128,
    0, -128, 0, -128, 0, -128, 0, -128, 1, -128, 1, -128, 1, -128, 1, -128,
    2, -128, 2, -128, 2, -128, 2, -128, 3, -128, 3, -128, 3, -128, 3, -128,
    2, -128, 2, -128, 2, -128, 2, -128, 3, -128, 3, -128, 3, -128, 3, -128};
static const signed char q4_K_cb[64] = {
    4, -128, 4, -128, 4, -128, 4, -128, 5, -128, 5, -128, 5, -128, 5, -128,
    4, -128, 4, -128, 4, -128, 4, -128, 5, -128, 5, -128, 5, -128, 5, -128,
    6, -128, 6, -128, 6, -128, 6, -128, 7, -128, 7, -128, 7, -128, 7, -128,
    6, -128, 6, -128, 6, -128, 6, -128, 7, -128, 7, -128, 7, -128, 7, -128};
static const short q6_K_ia[32] = {0, 0, 0, 0, 4, 4, 4, 4, 1, 1, 1, 1, 5, 5, 5, 5,
                                  2, 2, 2, 2, 6, 6, 6, 6, 3, 3, 3, 3, 7, 7, 7, 7};
static const short q6_K_ib[32] = {8,  8,  8,  8,  12, 12, 12, 12, 9,  9,  9,  9,  13, 13, 13, 13,
                                  10, 10, 10, 10, 14, 14, 14, 14, 11, 11, 11, 11, 15, 15, 15, 15};

/* A row's codes. */
typedef struct kq {
    __m512i q0, q1, q2, q3;
} kq;

SM_AVX512_INLINE void codes_q4_K(const sm_block_q4_K *b, kq *q)
{
    __m512i m = _mm512_set1_epi8(0xf);
    __m512i v0 = _mm512_loadu_si512(b->qs), v1 = _mm512_loadu_si512(b->qs + 64);
    q->q0 = _mm512_and_si512(v0, m);
    q->q1 = _mm512_and_si512(_mm512_srli_epi16(v0, 4), m);
    q->q2 = _mm512_and_si512(v1, m);
    q->q3 = _mm512_and_si512(_mm512_srli_epi16(v1, 4), m);
}

/* Q6_K: 64-byte loads of ql give elements [128h, 128h + 64) in their low nibbles and the next
 * 64 in their high nibbles; the two high bits come from qh[32h .. 32h + 32) (both halves),
 * shifted so that bits 2q, 2q + 1 land at 4, 5 for the quarter q of each 32 bytes. */
SM_AVX512_INLINE void codes_q6_K(const sm_block_q6_K *b, kq *q)
{
    __m512i m0f = _mm512_set1_epi8(0xf), m30 = _mm512_set1_epi8(0x30);
    __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    __m512i ql0 = _mm512_loadu_si512(b->ql), ql1 = _mm512_loadu_si512(b->ql + 64);
    __m512i qh0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b->qh));
    __m512i qh1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b->qh + 32)));
    // (bits & 0x30) | nibbles in one instruction: truth table (a & b) | c = 0xea.
    q->q0 = _mm512_ternarylogic_epi32(_mm512_sllv_epi16(qh0, shl), m30, _mm512_and_si512(ql0, m0f),
                                      0xea);
    q->q1 = _mm512_ternarylogic_epi32(_mm512_srlv_epi16(qh0, shr), m30,
                                      _mm512_and_si512(_mm512_srli_epi16(ql0, 4), m0f), 0xea);
    q->q2 = _mm512_ternarylogic_epi32(_mm512_sllv_epi16(qh1, shl), m30, _mm512_and_si512(ql1, m0f),
                                      0xea);
    q->q3 = _mm512_ternarylogic_epi32(_mm512_srlv_epi16(qh1, shr), m30,
                                      _mm512_and_si512(_mm512_srli_epi16(ql1, 4), m0f), 0xea);
}

/* The exact integer part of one row and token: 16 lanes of sums of scale * <q, x>. */
SM_AVX512_INLINE __m512i dot(int q6, const kq *q, const kx *x, __m512i sa, __m512i sb)
{
    __m512i z = _mm512_setzero_si512();
    __m512i p0 = _mm512_dpbusd_epi32(q6 ? x->n0 : z, q->q0, x->x0);
    __m512i p1 = _mm512_dpbusd_epi32(q6 ? x->n1 : z, q->q1, x->x1);
    __m512i p2 = _mm512_dpbusd_epi32(q6 ? x->n2 : z, q->q2, x->x2);
    __m512i p3 = _mm512_dpbusd_epi32(q6 ? x->n3 : z, q->q3, x->x3);
    __m512i s = _mm512_madd_epi16(_mm512_packs_epi32(p0, p1), sa);
    return _mm512_dpwssd_epi32(s, _mm512_packs_epi32(p2, p3), sb);
}

/* *p in all 16 lanes by a broadcast load, which takes a load port where a broadcast from a
 * register takes the shuffle port. Hiding the pointer's origin (the empty asm) keeps GCC
 * from forwarding the stored vector through registers, where it would extract and broadcast. */
SM_AVX512_INLINE __m512 bcast(const float *p)
{
    __asm__("" : "+r"(p));
    return _mm512_set1_ps(*p);
}

/* Sum of lanes 4i .. 4i + 3 of a mins accumulator (row i's), in one order. */
SM_AVX512_INLINE float mins_sum(__m512 a, int i)
{
    __m128 s = i == 0   ? _mm512_castps512_ps128(a)
               : i == 1 ? _mm512_extractf32x4_ps(a, 1)
               : i == 2 ? _mm512_extractf32x4_ps(a, 2)
                        : _mm512_extractf32x4_ps(a, 3);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Rows r.. r+nr (1 or 4) by tokens t.. t+NT (constants at each call). */
/* 128-bit lane @p i of v in all four lanes. vshufi32x4's selector is an immediate, which clang
 * wants constant before the row loop is unrolled, hence one case per lane. */
SM_AVX512_INLINE __m512i lane128(__m512i v, int i)
{
    switch (i) {
    case 0:
        return _mm512_shuffle_i32x4(v, v, 0x00);
    case 1:
        return _mm512_shuffle_i32x4(v, v, 0x55);
    case 2:
        return _mm512_shuffle_i32x4(v, v, 0xaa);
    default:
        return _mm512_shuffle_i32x4(v, v, 0xff);
    }
}

SM_AVX512_INLINE void tile(int q6, int nr, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, float *y, size_t ys, size_t nb)
{
    __m512 acc[NR][GEMM_NT], accm[GEMM_NT];
    size_t bs = q6 ? sizeof(sm_block_q6_K) : sizeof(sm_block_q4_K);
#pragma GCC unroll 4
    for (int i = 0; i < nr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++)
        accm[j] = _mm512_setzero_ps();
    const __m512i ia0 = _mm512_loadu_si512(q6_K_ia), ib0 = _mm512_loadu_si512(q6_K_ib);
    const __m512i ca = _mm512_loadu_si512(q4_K_ca), cb = _mm512_loadu_si512(q4_K_cb);
    const __m512i ia1 = _mm512_add_epi16(ia0, _mm512_set1_epi16(16));
    const __m512i ib1 = _mm512_add_epi16(ib0, _mm512_set1_epi16(16));
    for (size_t b = 0; b < nb; b++) {
        kx xk[GEMM_NT];
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            const sm_block_q8_K *xb = (const sm_block_q8_K *)(x + j * xs) + b;
            if (q6)
                prep_x_q6_K(xb, &xk[j]);
            else
                prep_x_q4_K(xb, &xk[j]);
        }
        kh h;
        if (q6)
            prep_h_q6_K(nr, w + b * bs, ws, &h);
        else
            prep_h_q4_K(nr, w + b * bs, ws, &h);
        __m256 f[GEMM_NT];
        float fs[GEMM_NT][8];
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            f[j] = _mm256_mul_ps(h.f, _mm256_set1_ps(xk[j].d));
            _mm256_storeu_ps(fs[j], f[j]);
        }
#pragma GCC unroll 4
        for (int i = 0; i < nr; i++) {
            // The next micro-tile's row, same super-block: as in matmul_q_vnni.c, this took
            // the GEMV from about half the read bandwidth to near all of it.
            const char *next = w + (i + nr) * ws + b * bs;
            _mm_prefetch(next, _MM_HINT_T1);
            _mm_prefetch(next + 64, _MM_HINT_T1);
            _mm_prefetch(next + 128, _MM_HINT_T1);
            if (q6)
                _mm_prefetch(next + 192, _MM_HINT_T1);
            kq q;
            if (q6)
                codes_q6_K((const sm_block_q6_K *)(w + i * ws) + b, &q);
            else
                codes_q4_K((const sm_block_q4_K *)(w + i * ws) + b, &q);
            __m512i sa, sb;
            if (q6) {
                __m512i wv = i < 2 ? h.w01 : h.w23;
                sa = _mm512_permutexvar_epi16(i % 2 ? ia1 : ia0, wv);
                sb = _mm512_permutexvar_epi16(i % 2 ? ib1 : ib0, wv);
            } else { // vpshufb within the row's lane: 1 uop where vpermw takes 2
                __m512i r = lane128(h.dec, i);
                sa = _mm512_shuffle_epi8(r, ca);
                sb = _mm512_shuffle_epi8(r, cb);
            }
#pragma GCC unroll 4
            for (int j = 0; j < NT; j++) {
                __m512i s = dot(q6, &q, &xk[j], sa, sb);
                acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), bcast(&fs[j][q6 ? i : 2 * i]),
                                            acc[i][j]);
            }
        }
        if (!q6) {
            __m512i gi = _mm512_setr_epi32(1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7);
#pragma GCC unroll 4
            for (int j = 0; j < NT; j++) {
                __m512i m = _mm512_madd_epi16(h.wm, xk[j].bs);
                __m512 g = _mm512_permutexvar_ps(gi, _mm512_castps256_ps512(f[j]));
                accm[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(m), g, accm[j]);
            }
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < nr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            float v = sm_avx512_hsum(acc[i][j]);
            if (!q6)
                v -= mins_sum(accm[j], i);
            y[j * ys + i] = v;
        }
}

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
