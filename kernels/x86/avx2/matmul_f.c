/* SPDX-License-Identifier: MIT */
/* avx2/matmul_f.c: f32 and f16 matmul tiles. Every output is one dot product kept in an 8-lane
 * accumulator (lane l sums k = l mod 8 in k order, the tail masked into the same lanes), then
 * sm_avx2_hsum: the same operations whatever the micro-tile, hence bit-identical results for
 * any split of rows or tokens. GEMV runs 4 rows at a time (4 independent FMA chains keep up
 * with memory); GEMM runs 3 rows x 4 tokens (12 accumulators + 3 weights = the 16 registers),
 * over row blocks sized to stay in L2 while every token block passes. */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* 8 weights from k as floats: f32 loaded, f16 converted (F16C). */
SM_AVX2_INLINE __m256 load_w(int f16, const char *w, size_t k)
{
    if (f16)
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + 2 * k)));
    return _mm256_loadu_ps((const float *)w + k);
}

/* The last n < 8 weights from k, zero-filled. */
SM_AVX2_INLINE __m256 load_w_tail(int f16, const char *w, size_t k, size_t n, __m256i mask)
{
    if (f16) {
        sm_fp16 buf[8] = {0};
        for (size_t i = 0; i < n; i++)
            buf[i] = ((const sm_fp16 *)w)[k + i];
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)buf));
    }
    return _mm256_maskload_ps((const float *)w + k, mask);
}

/* The micro-kernel: rows r.. r+NR of W by tokens t.. t+NT of x. NR, NT are constants at every
 * call, so after inlining the arrays live in registers. */
SM_AVX2_INLINE void tile(int f16, int NR, int NT, const char *w, size_t ws, const char *x,
                         size_t xs, float *y, size_t ys, size_t n_in)
{
    __m256 acc[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            acc[i][j] = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 8 <= n_in; k += 8) {
        // GEMV: prefetch the next micro-tile's rows, a line per row every 64 bytes of weights,
        // so that they arrive while this one computes (see x86/avx512/matmul_q_vnni.c).
        if (NT == 1 && k % (f16 ? 32 : 16) == 0)
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                _mm_prefetch(w + (i + NR) * ws + k * (f16 ? 2 : 4), _MM_HINT_T0);
        __m256 wv[4];
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++)
            wv[i] = load_w(f16, w + i * ws, k);
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            __m256 xv = _mm256_loadu_ps((const float *)(x + j * xs) + k);
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                acc[i][j] = _mm256_fmadd_ps(wv[i], xv, acc[i][j]);
        }
    }
    if (k < n_in) {
        __m256i mask = sm_avx2_tail_mask(n_in - k);
        __m256 wv[4];
#pragma GCC unroll 4
        for (int i = 0; i < NR; i++)
            wv[i] = load_w_tail(f16, w + i * ws, k, n_in - k, mask);
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++) {
            __m256 xv = _mm256_maskload_ps((const float *)(x + j * xs) + k, mask);
#pragma GCC unroll 4
            for (int i = 0; i < NR; i++)
                acc[i][j] = _mm256_fmadd_ps(wv[i], xv, acc[i][j]);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < NR; i++)
#pragma GCC unroll 4
        for (int j = 0; j < NT; j++)
            y[j * ys + i] = sm_avx2_hsum(acc[i][j]);
}

enum { GEMM_NR = 3, GEMM_NT = 4, GEMV_NR = 4 };

/* Rows per L2 block: about 256 KiB of W, a multiple of GEMM_NR. */
static size_t row_block(size_t row_bytes)
{
    size_t rb = (256u * 1024u) / (row_bytes ? row_bytes : 1);
    rb -= rb % GEMM_NR;
    return rb < GEMM_NR ? GEMM_NR : rb;
}

SM_AVX2_INLINE void matmul(int f16, const void *w, size_t ws, const void *x, size_t xs, float *y,
                           size_t ys, size_t n_in, size_t r0, size_t r1, size_t t0, size_t t1)
{
    const char *W = w, *X = x;
    size_t rb = row_block(n_in * (f16 ? 2 : 4));
    for (size_t b0 = r0; b0 < r1; b0 += rb) {
        size_t b1 = b0 + rb < r1 ? b0 + rb : r1, t = t0;
        for (; t + GEMM_NT <= t1; t += GEMM_NT) {
            size_t r = b0;
            for (; r + GEMM_NR <= b1; r += GEMM_NR)
                tile(f16, GEMM_NR, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys,
                     n_in);
            for (; r < b1; r++)
                tile(f16, 1, GEMM_NT, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
        }
        for (; t < t1; t++) {
            size_t r = b0;
            for (; r + GEMV_NR <= b1; r += GEMV_NR)
                tile(f16, GEMV_NR, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
            for (; r < b1; r++)
                tile(f16, 1, 1, W + r * ws, ws, X + t * xs, xs, y + t * ys + r, ys, n_in);
        }
    }
}

static void sm_k_matmul_f32_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul(0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_f16_avx2(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul(1, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_avx2_matmul_f(sm_kernels *kt)
{
    kt->matmul_f32 = sm_k_matmul_f32_avx2;
    kt->matmul_f16 = sm_k_matmul_f16_avx2;
}
