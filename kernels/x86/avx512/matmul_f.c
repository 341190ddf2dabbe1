/* SPDX-License-Identifier: MIT */
/* avx512/matmul_f.c: f32 and f16 matmul tiles. Every output is one dot product kept in a
 * 16-lane accumulator (lane l sums k = l mod 16 in k order, the tail masked into the same
 * lanes), reduced by sm_avx512_hsum or its 4-wide twin with the same pairings: the same
 * operations whatever the micro-tile, so any split of rows or tokens gives the same bits.
 * GEMM runs 4 rows x 6 tokens (24 accumulators + 4 weight registers of the 32; the 6 token
 * vectors are FMA memory operands), over row blocks that stay in L2 while every token block
 * passes; GEMV runs 4 rows at a time. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/avx512/simd.h"

SM_AVX512_INLINE __m512 load_w(int f16, const char *w, size_t k)
{
    if (f16)
        return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + 2 * k)));
    return _mm512_loadu_ps((const float *)w + k);
}

SM_AVX512_INLINE __m512 load_w_tail(int f16, const char *w, size_t k, __mmask16 m)
{
    if (f16)
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 2 * k));
    return _mm512_maskz_loadu_ps(m, (const float *)w + k);
}

/* Rows r.. r+NR (NR is 1 or 4) by tokens t.. t+NT, constants at each call, over k in
 * [k0, k1): the accumulators start at zero when k0 = 0, else from buf; they are reduced into y
 * when k1 = n_in, else saved to buf. Splitting k this way only parks the same accumulators in
 * memory between the pieces: each output sees the same operations in the same order. */
SM_AVX512_INLINE void tile_k(int f16, int NR, int NT, const char *w, size_t ws, const char *x,
                             size_t xs, float *y, size_t ys, size_t n_in, size_t k0, size_t k1,
                             __m512 *buf)
{
    __m512 acc[4][6];
#pragma GCC unroll 4
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 6
        for (int j = 0; j < NT; j++)
            acc[i][j] = k0 == 0 ? _mm512_setzero_ps() : buf[i * NT + j];
    size_t k = k0;
    for (; k + 16 <= k1; k += 16) {
        // GEMV: prefetch the next micro-tile's rows, a line per row every 64 bytes of weights,
        // so their lines arrive while this one computes (as in matmul_q_vnni.c).
        if (NT == 1 && (!f16 || k % 32 == 0))
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                _mm_prefetch(w + (i + NR) * ws + k * (f16 ? 2 : 4), _MM_HINT_T0);
        __m512 wv[4];
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++)
            wv[i] = load_w(f16, w + i * ws, k);
#pragma GCC unroll 6
        for (int j = 0; j < NT; j++) {
            __m512 xv = _mm512_loadu_ps((const float *)(x + j * xs) + k);
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                acc[i][j] = _mm512_fmadd_ps(wv[i], xv, acc[i][j]);
        }
    }
    if (k1 < n_in) {
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++)
#pragma GCC unroll 6
            for (int j = 0; j < NT; j++)
                buf[i * NT + j] = acc[i][j];
        return;
    }
    if (k < n_in) {
        __mmask16 m = (__mmask16)((1u << (n_in - k)) - 1);
        __m512 wv[4];
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++)
            wv[i] = load_w_tail(f16, w + i * ws, k, m);
#pragma GCC unroll 6
        for (int j = 0; j < NT; j++) {
            __m512 xv = _mm512_maskz_loadu_ps(m, (const float *)(x + j * xs) + k);
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                acc[i][j] = _mm512_fmadd_ps(wv[i], xv, acc[i][j]);
        }
    }
#pragma GCC unroll 6
    for (int j = 0; j < NT; j++) {
        if (NR == 4)
            _mm_storeu_ps(y + j * ys, sm_avx512_hsum4(acc[0][j], acc[1][j], acc[2][j], acc[3][j]));
        else
            y[j * ys] = sm_avx512_hsum(acc[0][j]);
    }
}

SM_AVX512_INLINE void tile(int f16, int NR, int NT, const char *w, size_t ws, const char *x,
                           size_t xs, float *y, size_t ys, size_t n_in)
{
    tile_k(f16, NR, NT, w, ws, x, xs, y, ys, n_in, 0, n_in, NULL);
}

enum { NR = 4, GEMM_NT = 6 };

/*
 * Long rows. A 4 x 6 micro-tile over the whole of n_in reuses 6 token rows from L1 while 4
 * weight rows stream from L2, as long as the token rows fit in L1 (n_in up to ~1024 f32: 145
 * GFLOP/s). At n_in = 2048 neither side fits and both stream from L2 (10 loads of 64 bytes
 * per 24 FMAs): 110-124 GFLOP/s. So for a 6-token block, k runs in KC-element pieces: the
 * token slice (6 x KC floats) stays in L1 across a block of rows whose accumulators wait in
 * buf (24 KiB of stack) between pieces. Measured on the development VM (perf/README.md):
 * 2048^3 124 -> 132 GFLOP/s, M=128 N=5632 K=2048 106 -> 118; KC = 256 lost (107 and 96: the
 * accumulators' round trips cost more than the L1 hits gain), KC = 1024 gained nothing.
 */
enum { KC = 512, KROWS = 64 };

SM_AVX512_INLINE void gemm_long(int f16, const char *W, size_t ws, const char *X, size_t xs,
                                float *y, size_t ys, size_t n_in, size_t r0, size_t r1, size_t t)
{
    __m512 buf[KROWS / NR][NR * GEMM_NT];
    for (size_t b0 = r0; b0 < r1; b0 += KROWS) {
        size_t b1 = b0 + KROWS < r1 ? b0 + KROWS : r1, full = b0 + (b1 - b0) / NR * NR;
        for (size_t k0 = 0; k0 < n_in; k0 += KC) {
            size_t k1 = k0 + KC < n_in ? k0 + KC : n_in;
            for (size_t r = b0; r < full; r += NR)
                tile_k(f16, NR, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in,
                       k0, k1, buf[(r - b0) / NR]);
        }
        for (size_t r = full; r < b1; r++)
            tile(f16, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
    }
}

/* Rows per L2 block: about 512 KiB of W (half of the smallest AVX-512 server L2), a multiple
 * of NR. */
static size_t row_block(size_t row_bytes)
{
    size_t rb = (512u * 1024u) / (row_bytes ? row_bytes : 1);
    rb -= rb % NR;
    return rb < NR ? NR : rb;
}

SM_AVX512_INLINE void matmul(int f16, const void *w, size_t ws, const void *x, size_t xs, float *y,
                             size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t rb = row_block(n_in * (f16 ? 2 : 4));
    for (size_t b0 = r0; b0 < r1; b0 += rb) {
        size_t b1 = b0 + rb < r1 ? b0 + rb : r1, t = t0;
        for (; t + GEMM_NT <= t1; t += GEMM_NT) {
            if (n_in > 2 * KC) {
                gemm_long(f16, W, ws, X, xs, y, ys, n_in, b0, b1, t);
                continue;
            }
            size_t r = b0;
            for (; r + NR <= b1; r += NR)
                tile(f16, NR, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
            for (; r < b1; r++)
                tile(f16, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
        }
        for (; t < t1; t++) {
            size_t r = b0;
            for (; r + NR <= b1; r += NR)
                tile(f16, NR, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
            for (; r < b1; r++)
                tile(f16, 1, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
        }
    }
}

static void sm_k_matmul_f32_avx512(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                   float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                   size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_f16_avx512(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                   float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                   size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx512_matmul_f(sm_kernels *kt)
{
    kt->matmul_f32 = sm_k_matmul_f32_avx512;
    kt->matmul_f16 = sm_k_matmul_f16_avx512;
}
