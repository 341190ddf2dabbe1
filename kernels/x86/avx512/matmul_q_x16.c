/* SPDX-License-Identifier: MIT */
/* avx512/matmul_q_x16.c: Q8_0 and Q4_0 matmuls with AVX512_VNNI on the x16 weight layout
 * (kernels.h, sm_k_pack_fn), and the function that packs it. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include <string.h>

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif

#include "kernels/x86/avx512/q_rows.h"

/* The x16 layout.
 *
 * Each block record of a group of 16 rows holds the transposed codes (vector k, lane i: codes
 * 4k..4k+3 of row i) and then the 16 fp16 scales. Q8_0 stores the codes unsigned (w + 128:
 * 8 vectors); Q4_0 stores the raw nibble bytes transposed (4 vectors: byte j of a block holds
 * codes j and j + 16, so vector k unpacks into codes 4k.. and 16 + 4k..). The codes are the
 * unsigned side of vpdpbusd and the token's codes the signed, broadcast side; the offset goes
 * as -off * sum(x) (off = 128, Q4_0 8). Same exact block sums, so the same bits as the
 * row-major kernel (matmul_q_vnni.c), without its per-block transpose: a one-token product streams
 * the weights. */

static void pack_x16(int q4, const void *w, size_t ws, size_t n_out, size_t n_in, void *dst)
{
    const char *W = w;
    char *o = dst;
    size_t nb = n_in / 32, bsz = q4 ? sizeof(sm_block_q4_0) : sizeof(sm_block_q8_0);
    for (size_t r = 0; r < n_out; r += ROWS) {
        int nr = (int)(n_out - r < ROWS ? n_out - r : ROWS);
        const char *rows = W + r * ws;
        for (size_t b = 0; b < nb; b++) {
            const char *blk = rows + b * bsz;
            __m512i v[8];
            int nv = q4 ? 4 : 8;
            if (q4) {
                transpose16x4(blk + offsetof(sm_block_q4_0, qs), ws, nr, v);
            } else {
                transpose16x4(blk + offsetof(sm_block_q8_0, qs), ws, nr, v);
                transpose16x4(blk + offsetof(sm_block_q8_0, qs) + 16, ws, nr, v + 4);
                for (int k = 0; k < 8; k++)
                    v[k] = _mm512_xor_si512(v[k], _mm512_set1_epi8(-128));
            }
            for (int k = 0; k < nv; k++)
                _mm512_storeu_si512((void *)(o + 64 * k), v[k]);
            __m256i d = _mm512_cvtps_ph(gather_d(blk, ws, nr), _MM_FROUND_TO_NEAREST_INT);
            _mm256_storeu_si256((__m256i *)(void *)(o + 64 * nv), d);
            o += q4 ? 16 * 16 + 32 : 16 * 32 + 32;
        }
    }
}

/* A token's block for the x16 kernel: its codes as 8 dwords to broadcast, -off * sum, d. */
typedef struct xsig {
    uint32_t u[8];
    int32_t bias;
    float d;
} xsig;

SM_AVX512_INLINE void pack_xs(int q4, const sm_block_q8_0 *xb, xsig *p)
{
    memcpy(p->u, xb->qs, 32);
    p->bias = -(q4 ? 8 : 128) * block_sum(xb->qs);
    p->d = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(xb->d)));
}

/* How far ahead of the record being read its lines are prefetched. The records of a matrix
 * are one sequential stream, and the hardware prefetcher alone kept too few lines in flight
 * for it. */
enum { X16_PREFETCH = 8192 };

/* acc[j] += one block record @p pb for tokens j < NT. */
SM_AVX512_INLINE void x16_tokens(int q4, int NT, const char *pb, const xsig *x, size_t xstep,
                                 __m512 *acc)
{
    __m512i g[8];
    __m512 d;
    for (int k = 0; k < (q4 ? 5 : 9); k++)
        _mm_prefetch(pb + X16_PREFETCH + 64 * k, _MM_HINT_T0);
    if (q4) {
        __m512i m = _mm512_set1_epi8(0xf);
        for (int k = 0; k < 4; k++) {
            __m512i raw = _mm512_loadu_si512((const void *)(pb + 64 * k));
            g[k] = _mm512_and_si512(raw, m);
            g[k + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m);
        }
        d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(pb + 256)));
    } else {
        for (int k = 0; k < 8; k++)
            g[k] = _mm512_loadu_si512((const void *)(pb + 64 * k));
        d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(pb + 512)));
    }
    __m512i s0[4], s1[4];
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++) {
        s0[j] = _mm512_set1_epi32(x[j * xstep].bias);
        s1[j] = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int k = 0; k < 8; k += 2) {
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            const xsig *xj = x + j * xstep;
            s0[j] = _mm512_dpbusd_epi32(s0[j], g[k], _mm512_set1_epi32((int)xj->u[k]));
            s1[j] = _mm512_dpbusd_epi32(s1[j], g[k + 1], _mm512_set1_epi32((int)xj->u[k + 1]));
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++) {
        __m512 sc = _mm512_mul_ps(d, _mm512_set1_ps(x[j * xstep].d));
        __m512 v = _mm512_cvtepi32_ps(_mm512_add_epi32(s0[j], s1[j]));
        acc[j] = _mm512_fmadd_ps(v, sc, acc[j]);
    }
}

/* Tokens [0, nt) over cb records from @p pb: xs[j * xstride + b] is token j's block b. */
SM_AVX512_INLINE void x16_chunk(int q4, const char *pb, size_t rec, int cb, const xsig *xs,
                                size_t xstride, int nt, __m512 *acc)
{
    int j = 0;
    for (; j + 4 <= nt; j += 4)
        for (int b = 0; b < cb; b++)
            x16_tokens(q4, 4, pb + (size_t)b * rec, xs + j * xstride + b, xstride, acc + j);
    switch (nt - j) {
    case 3:
        for (int b = 0; b < cb; b++)
            x16_tokens(q4, 3, pb + (size_t)b * rec, xs + j * xstride + b, xstride, acc + j);
        break;
    case 2:
        for (int b = 0; b < cb; b++)
            x16_tokens(q4, 2, pb + (size_t)b * rec, xs + j * xstride + b, xstride, acc + j);
        break;
    case 1:
        for (int b = 0; b < cb; b++)
            x16_tokens(q4, 1, pb + (size_t)b * rec, xs + j * xstride + b, xstride, acc + j);
        break;
    default:
        break;
    }
}

/* Prepared token blocks kept at once (20 KiB of stack): the tokens' blocks are prepared once
 * for all row groups of a span of blocks, not once per group (for one token that preparation
 * cost as much as the products). Between spans the accumulators wait in y: storing and
 * reloading a float changes nothing. */
enum { XS = 512 };

static void matmul_x16(int q4, const void *w, size_t gs, const void *x, size_t xs, float *y,
                       size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / 32, rec = q4 ? 16 * 16 + 32 : 16 * 32 + 32;
    xsig xp[XS];
    for (size_t tc = t0; tc < t1; tc += TOKENS) {
        int nt = (int)(t1 - tc < TOKENS ? t1 - tc : TOKENS);
        size_t span = XS / (size_t)nt;
        for (size_t bs = 0; bs < nb; bs += span) {
            size_t be = bs + span < nb ? bs + span : nb;
            for (int j = 0; j < nt; j++) {
                const sm_block_q8_0 *xb =
                    (const sm_block_q8_0 *)(const void *)(X + (tc + (size_t)j) * xs);
                for (size_t b = bs; b < be; b++)
                    pack_xs(q4, xb + b, &xp[(size_t)j * span + (b - bs)]);
            }
            for (size_t r = r0; r < r1; r += ROWS) {
                int nr = (int)(r1 - r < ROWS ? r1 - r : ROWS);
                __mmask16 m = (__mmask16)(nr == ROWS ? 0xffff : (1u << nr) - 1);
                const char *grp = W + r / ROWS * gs;
                __m512 acc[TOKENS];
                for (int j = 0; j < nt; j++)
                    acc[j] = bs == 0 ? _mm512_setzero_ps()
                                     : _mm512_maskz_loadu_ps(m, y + (tc + (size_t)j) * ys + r);
                for (size_t bc = bs; bc < be; bc += CHUNK) {
                    int cb = (int)(be - bc < CHUNK ? be - bc : CHUNK);
                    x16_chunk(q4, grp + bc * rec, rec, cb, xp + (bc - bs), span, nt, acc);
                }
                for (int j = 0; j < nt; j++)
                    _mm512_mask_storeu_ps(y + (tc + (size_t)j) * ys + r, m, acc[j]);
            }
        }
    }
}

static void sm_k_matmul_q8_0_x16_avx512vnni(const void *w, size_t w_stride, const void *x,
                                            size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                            size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul_x16(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q4_0_x16_avx512vnni(const void *w, size_t w_stride, const void *x,
                                            size_t x_stride, float *y, size_t y_stride, size_t n_in,
                                            size_t r0, size_t r1, size_t t0, size_t t1)
{
    matmul_x16(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_pack_q8_0_x16_avx512vnni(const void *w, size_t w_stride, size_t n_out, size_t n_in,
                                          void *dst)
{
    pack_x16(0, w, w_stride, n_out, n_in, dst);
}

static void sm_k_pack_q4_0_x16_avx512vnni(const void *w, size_t w_stride, size_t n_out, size_t n_in,
                                          void *dst)
{
    pack_x16(1, w, w_stride, n_out, n_in, dst);
}

void sm_kernels_fill_avx512_matmul_q_x16(sm_kernels *kt)
{
    kt->matmul_q8_0_x16 = sm_k_matmul_q8_0_x16_avx512vnni;
    kt->matmul_q4_0_x16 = sm_k_matmul_q4_0_x16_avx512vnni;
    kt->pack_q8_0_x16 = sm_k_pack_q8_0_x16_avx512vnni;
    kt->pack_q4_0_x16 = sm_k_pack_q4_0_x16_avx512vnni;
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
