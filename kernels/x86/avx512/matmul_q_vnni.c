/* SPDX-License-Identifier: MIT */
/* avx512/matmul_q_vnni.c: Q8_0 and Q4_0 weights times Q8_0 activations with AVX512_VNNI, 16
 * rows per vector: each of the 16 int32 lanes is one output row.
 *
 * Layout. For each block, the 16 rows' 32 codes are transposed in registers so that vector g
 * holds codes 4g..4g+3 of all 16 rows; a token's 4 codes 4g..4g+3 are broadcast from memory
 * (vpdpbusd's embedded broadcast), and 8 vpdpbusd give every row's exact block dot product.
 * Then one conversion, one multiply (d_w of the 16 rows times d_x) and one FMA per block and
 * token serve 16 rows. The earlier layout (lanes = parts of one row's blocks) spent a
 * conversion, a permute and an FMA per 64 bytes of each row and token, and ran Q8_0 prompts
 * at 70 GFLOP/s (sm-bench --profile, 15M LLaMA shape, pp128, one thread). The transpose is
 * done once per block of 16 rows and shared by all the tokens of the tile; with one token there
 * is nothing to share it with, so models use weights repacked at load into the x16 layout
 * (matmul_q_x16.c, src/repack.c) and this kernel serves the rest (weights placed per NUMA
 * node, SM_REPACK=0) with the same bits.
 *
 * vpdpbusd multiplies unsigned by signed bytes: the activations are made unsigned (x + 128,
 * a sign-bit flip, once per block and token), and the product's excess 128 * sum(w) is
 * removed exactly by starting each row's int32 sum from -128 * sum(w), computed with the
 * transpose. Q4_0 codes n become w = n - 8 when unpacked.
 *
 * Arithmetic, the same in every path (any row or token split, 1 token or many): for each
 * output, acc = 0; for each block b in order, acc = fma(float(I_b), d_w[b] * d_x[b], acc),
 * with I_b the exact integer dot product of the block and the product rounded to float. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include <stddef.h>
#include <string.h>

// The folder's flags leave VNNI out so that its other files run on AVX-512 CPUs without it.
#if defined(__clang__)
// clang ignores GCC's target pragma; its own form applies the target to every function below.
#pragma clang attribute push(__attribute__((target("avx512vnni"))), apply_to = function)
#else
#pragma GCC target("avx512vnni")
#endif

#include "kernels/x86/avx512/q_rows.h"

/* A block of 16 rows, transposed. */
typedef struct wblock {
    __m512i g[8]; /* g[k] lane i: codes 4k..4k+3 of row i, as signed bytes */
    __m512i bias; /* lane i: -128 * sum of row i's codes */
    __m512 d;     /* lane i: d_w of row i (0 for missing rows) */
} wblock;

/* A token's block: codes + 128 as 8 dwords to broadcast, and its scale. */
typedef struct xblock {
    uint32_t u[8];
    float d;
} xblock;

/* Block b of rows w .. w + nr (nr <= 16), transposed into *p. */
SM_AVX512_INLINE void pack_w(int q4, const char *w, size_t ws, int nr, size_t b, wblock *p)
{
    if (q4) {
        const char *blk = w + b * sizeof(sm_block_q4_0);
        __m512i raw[4], m = _mm512_set1_epi8(0xf), eight = _mm512_set1_epi8(8);
        transpose16x4(blk + offsetof(sm_block_q4_0, qs), ws, nr, raw);
        // Byte j of a Q4_0 block holds code j (low nibble) and code j + 16 (high nibble).
        for (int k = 0; k < 4; k++) {
            p->g[k] = _mm512_sub_epi8(_mm512_and_si512(raw[k], m), eight);
            p->g[k + 4] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(raw[k], 4), m), eight);
        }
        p->d = gather_d(blk, ws, nr);
    } else {
        const char *blk = w + b * sizeof(sm_block_q8_0);
        transpose16x4(blk + offsetof(sm_block_q8_0, qs), ws, nr, p->g);
        transpose16x4(blk + offsetof(sm_block_q8_0, qs) + 16, ws, nr, p->g + 4);
        p->d = gather_d(blk, ws, nr);
    }
    __m512i ones = _mm512_set1_epi8(1), s = _mm512_setzero_si512();
    for (int k = 0; k < 8; k++)
        s = _mm512_dpbusd_epi32(s, ones, p->g[k]);
    p->bias = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(s, 7));
}

SM_AVX512_INLINE void pack_x(const sm_block_q8_0 *xb, xblock *p)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)xb->qs);
    _mm256_storeu_si256((__m256i *)(void *)p->u, _mm256_xor_si256(v, _mm256_set1_epi8(-128)));
    p->d = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(xb->d)));
}

/* acc[j] += one block for tokens j < NT (a constant at each call). Each token's 8 products
 * form two chains of 4, so NT tokens keep 2 * NT vpdpbusd in flight. */
SM_AVX512_INLINE void block_tokens(int NT, const wblock *w, const xblock *x, size_t xstep,
                                   __m512 *acc)
{
    __m512i s0[4], s1[4];
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++) {
        s0[j] = w->bias;
        s1[j] = _mm512_setzero_si512();
    }
#pragma GCC unroll 4
    for (int k = 0; k < 8; k += 2) {
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            const xblock *xj = x + j * xstep;
            s0[j] = _mm512_dpbusd_epi32(s0[j], _mm512_set1_epi32((int)xj->u[k]), w->g[k]);
            s1[j] = _mm512_dpbusd_epi32(s1[j], _mm512_set1_epi32((int)xj->u[k + 1]), w->g[k + 1]);
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NT; j++) {
        __m512 sc = _mm512_mul_ps(w->d, _mm512_set1_ps(x[j * xstep].d));
        __m512 v = _mm512_cvtepi32_ps(_mm512_add_epi32(s0[j], s1[j]));
        acc[j] = _mm512_fmadd_ps(v, sc, acc[j]);
    }
}

/* Tokens [0, nt) of a row group over one chunk of cb blocks: xs[j * CHUNK + b] is token j's
 * block b. */
SM_AVX512_INLINE void chunk_tokens(const wblock *w, int cb, const xblock *xs, int nt, __m512 *acc)
{
    int j = 0;
    for (; j + 4 <= nt; j += 4)
        for (int b = 0; b < cb; b++)
            block_tokens(4, &w[b], xs + j * CHUNK + b, CHUNK, acc + j);
    switch (nt - j) {
    case 3:
        for (int b = 0; b < cb; b++)
            block_tokens(3, &w[b], xs + j * CHUNK + b, CHUNK, acc + j);
        break;
    case 2:
        for (int b = 0; b < cb; b++)
            block_tokens(2, &w[b], xs + j * CHUNK + b, CHUNK, acc + j);
        break;
    case 1:
        for (int b = 0; b < cb; b++)
            block_tokens(1, &w[b], xs + j * CHUNK + b, CHUNK, acc + j);
        break;
    default:
        break;
    }
}

/* ---- one token: row-major products, reduced into rows-in-lanes --------------------------- */

/* One row's two blocks b, b + 1 as 64 unsigned bytes in element order (Q8_0: w + 128; Q4_0:
 * the codes n = w + 8), matching a token's two blocks side by side. */
SM_AVX512_INLINE __m512i row_pair(int q4, const char *row, size_t b)
{
    if (q4) {
        const sm_block_q4_0 *blk = (const sm_block_q4_0 *)(const void *)row + b;
        __m256i v = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)(const void *)blk[1].qs),
                                     _mm_loadu_si128((const __m128i *)(const void *)blk[0].qs));
        // [q0 | q1 | q0 >> 4 | q1 >> 4] -> [lo0 | hi0 | lo1 | hi1]: codes 0-15, 16-31 of each.
        __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1);
        z = _mm512_shuffle_i64x2(z, z, 0xd8);
        return _mm512_and_si512(z, _mm512_set1_epi8(0xf));
    }
    const sm_block_q8_0 *blk = (const sm_block_q8_0 *)(const void *)row + b;
    __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)blk[0].qs);
    __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)blk[1].qs);
    return _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1),
                            _mm512_set1_epi8(-128));
}

/* Sums lane pairs of a and b: lanes 0-7 = a's pairs, 8-15 = b's pairs. */
SM_AVX512_INLINE __m512i pair_sum(__m512i a, __m512i b)
{
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    return _mm512_add_epi32(_mm512_permutex2var_epi32(a, even, b),
                            _mm512_permutex2var_epi32(a, odd, b));
}

/* Blocks b, b + 1 (c = 2, or c = 1 for a last single block) of rows w .. w + nr for one
 * token: each row's 8-lane partial sums per block, reduced by three pair_sum levels to the
 * rows' exact dot products, rows in lanes (block b in *i0, b + 1 in *i1), before the
 * activation offset is removed. */
SM_AVX512_INLINE void gemv_pair(int q4, const char *w, size_t ws, int nr, size_t b, __m512i xv,
                                __m512i *i0, __m512i *i1)
{
    __m512i p[16];
    for (int i = 0; i < ROWS; i++) {
        const char *row = w + (size_t)(i < nr ? i : nr - 1) * ws;
        p[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), row_pair(q4, row, b), xv);
    }
    for (int i = 0; i < 8; i++) // rows 2i, 2i + 1: 4 lanes per block each
        p[i] = pair_sum(p[2 * i], p[2 * i + 1]);
    for (int i = 0; i < 4; i++) // rows 4i .. 4i + 3: 2 lanes per block each
        p[i] = pair_sum(p[2 * i], p[2 * i + 1]);
    for (int i = 0; i < 2; i++) // rows 8i .. 8i + 7: lane 2r + k is row r, block b + k
        p[i] = pair_sum(p[2 * i], p[2 * i + 1]);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    *i0 = _mm512_permutex2var_epi32(p[0], even, p[1]);
    *i1 = _mm512_permutex2var_epi32(p[0], _mm512_add_epi32(even, _mm512_set1_epi32(1)), p[1]);
}

/* The one block of a row that has only one (n_in = 32): no second block to read. */
SM_AVX512_INLINE void gemv_one(int q4, const char *w, size_t ws, int nr, __m512i xv, __m512i *i0)
{
    __m512i v[16];
    for (int i = 0; i < ROWS; i++) {
        const char *row = w + (size_t)(i < nr ? i : nr - 1) * ws;
        __m512i wv;
        if (q4) {
            __m128i q = _mm_loadu_si128((const __m128i *)(const void *)(row + 2));
            __m256i u = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
            wv = _mm512_castsi256_si512(_mm256_and_si256(u, _mm256_set1_epi8(0xf)));
        } else {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(row + 2));
            wv = _mm512_castsi256_si512(_mm256_xor_si256(q, _mm256_set1_epi8(-128)));
        }
        // Upper half: zero activations (xv's), whatever wv holds there.
        v[i] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), wv, xv);
    }
    for (int i = 0; i < 8; i++)
        v[i] = pair_sum(v[2 * i], v[2 * i + 1]);
    for (int i = 0; i < 4; i++)
        v[i] = pair_sum(v[2 * i], v[2 * i + 1]);
    for (int i = 0; i < 2; i++)
        v[i] = pair_sum(v[2 * i], v[2 * i + 1]);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    *i0 = _mm512_permutex2var_epi32(v[0], even, v[1]);
}

/* Rows [r, r + nr) for one token x (nb blocks). */
SM_AVX512_INLINE void gemv16(int q4, const char *w, size_t ws, int nr, const sm_block_q8_0 *x,
                             size_t nb, float *y)
{
    __m512 acc = _mm512_setzero_ps();
    int off = q4 ? 8 : 128; // the unsigned weights' offset, removed as -off * sum(x)
    size_t bsz = q4 ? sizeof(sm_block_q4_0) : sizeof(sm_block_q8_0);
    for (size_t b = 0; b < nb; b += 2) {
        int c = nb - b >= 2 ? 2 : 1;
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)x[b].qs);
        __m256i x1 = c == 2 ? _mm256_loadu_si256((const __m256i *)(const void *)x[b + 1].qs)
                            : _mm256_setzero_si256();
        __m512i xv = _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
        __m512i i0 = _mm512_setzero_si512(), i1 = i0;
        // A single last block (odd nb > 1) reads its row's previous block as the pair's first
        // (inside the matrix, unlike a block past the row's end) against zero activations.
        size_t pb = b;
        int take = 0;
        if (c == 1 && b > 0) {
            pb = b - 1;
            take = 1;
            xv = _mm512_inserti64x4(_mm512_setzero_si512(), x0, 1);
        }
        if (c == 1 && b == 0)
            gemv_one(q4, w, ws, nr, xv, &i0);
        else
            gemv_pair(q4, w, ws, nr, pb, xv, &i0, &i1);
        for (int k = 0; k < c; k++) {
            size_t bk = b + (size_t)k;
            __m512i ik = k == 0 && !take ? i0 : i1;
            ik = _mm512_sub_epi32(ik, _mm512_set1_epi32(off * block_sum(x[bk].qs)));
            float dx = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(x[bk].d)));
            __m512 sc = _mm512_mul_ps(gather_d(w + bk * bsz, ws, nr), _mm512_set1_ps(dx));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ik), sc, acc);
        }
    }
    __mmask16 m = (__mmask16)(nr == ROWS ? 0xffff : (1u << nr) - 1);
    _mm512_mask_storeu_ps(y, m, acc);
}

static void matmul(int q4, const void *w, size_t ws, const void *x, size_t xs, float *y, size_t ys,
                   size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t nb = n_in / 32;
    wblock pk[CHUNK];
    xblock xp[TOKENS * CHUNK];
    if (t1 - t0 == 1) {
        const sm_block_q8_0 *xb = (const sm_block_q8_0 *)(const void *)(X + t0 * xs);
        for (size_t r = r0; r < r1; r += ROWS)
            gemv16(q4, W + r * ws, ws, (int)(r1 - r < ROWS ? r1 - r : ROWS), xb, nb,
                   y + t0 * ys + r);
        return;
    }
    for (size_t tc = t0; tc < t1; tc += TOKENS) {
        int nt = (int)(t1 - tc < TOKENS ? t1 - tc : TOKENS);
        for (size_t r = r0; r < r1; r += ROWS) {
            int nr = (int)(r1 - r < ROWS ? r1 - r : ROWS);
            __m512 acc[TOKENS];
            for (int j = 0; j < nt; j++)
                acc[j] = _mm512_setzero_ps();
            for (size_t bc = 0; bc < nb; bc += CHUNK) {
                int cb = (int)(nb - bc < CHUNK ? nb - bc : CHUNK);
                for (int b = 0; b < cb; b++)
                    pack_w(q4, W + r * ws, ws, nr, bc + (size_t)b, &pk[b]);
                for (int j = 0; j < nt; j++) {
                    const sm_block_q8_0 *xb =
                        (const sm_block_q8_0 *)(const void *)(X + (tc + (size_t)j) * xs) + bc;
                    for (int b = 0; b < cb; b++)
                        pack_x(xb + b, &xp[j * CHUNK + b]);
                }
                chunk_tokens(pk, cb, xp, nt, acc);
            }
            __mmask16 m = (__mmask16)(nr == ROWS ? 0xffff : (1u << nr) - 1);
            for (int j = 0; j < nt; j++)
                _mm512_mask_storeu_ps(y + (tc + (size_t)j) * ys + r, m, acc[j]);
        }
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
