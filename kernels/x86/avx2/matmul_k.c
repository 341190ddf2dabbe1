/* SPDX-License-Identifier: MIT */
/* avx2/matmul_k.c: Q4_K and Q6_K weights times Q8_K activations. A row's super-block is
 * unpacked once (codes as bytes, sub-block scales as int16 vectors) and applied to up to 8
 * tokens. Per super-block the dot product is exact in int32 lanes (maddubs, then madd by the
 * sub-block scales); the lanes are converted and FMA-accumulated by d_w * d_x into an 8-lane
 * float accumulator; Q4_K's mins go to a scalar accumulator. Every micro-tile runs these same
 * steps per output, so any split of rows or tokens gives the same bits. */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* One row's super-block, ready for any number of tokens. */
typedef struct kblock {
    __m256i q[8];  /* codes of elements 32v .. 32v + 32 (Q4_K: unsigned; Q6_K: |q - 32|) */
    __m256i s[8];  /* Q6_K: q - 32, for the sign trick */
    __m256i sc[8]; /* int16 scales of those 32 elements */
    int m[8];      /* Q4_K: the 8 sub-block mins */
    float d, dmin;
} kblock;

static void unpack_q4_K(const sm_block_q4_K *b, kblock *u)
{
    u->d = _cvtsh_ss(b->d);
    u->dmin = _cvtsh_ss(b->dmin);
    const __m256i lo = _mm256_set1_epi8(0xf);
    for (int c = 0; c < 4; c++) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * c));
        u->q[2 * c] = _mm256_and_si256(q, lo);
        u->q[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo);
    }
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        sm_q4_K_scale_min(b->scales, j, &sc, &m);
        u->sc[j] = _mm256_set1_epi16(sc);
        u->m[j] = m;
    }
}

static void unpack_q6_K(const sm_block_q6_K *b, kblock *u)
{
    u->d = _cvtsh_ss(b->d);
    const __m256i lo = _mm256_set1_epi8(0xf), two = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        __m256i low[4] = {_mm256_and_si256(ql0, lo), _mm256_and_si256(ql1, lo),
                          _mm256_and_si256(_mm256_srli_epi16(ql0, 4), lo),
                          _mm256_and_si256(_mm256_srli_epi16(ql1, 4), lo)};
        for (int quarter = 0; quarter < 4; quarter++) {
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * quarter), two);
            __m256i q = _mm256_or_si256(low[quarter], _mm256_slli_epi16(hi, 4));
            __m256i s = _mm256_sub_epi8(q, _mm256_set1_epi8(32));
            int v = 4 * h + quarter;
            u->s[v] = s;
            u->q[v] = _mm256_sign_epi8(s, s);
            u->sc[v] = _mm256_set_m128i(_mm_set1_epi16(b->scales[2 * v + 1]),
                                        _mm_set1_epi16(b->scales[2 * v]));
        }
    }
}

/* acc += float(sum_v sc_v <q_v, x_v>) * (d * dx); *accm += dmin * dx * sum_j m_j xsum_j. */
SM_AVX2_INLINE __m256 step_q4_K(__m256 acc, float *accm, const kblock *u, const sm_block_q8_K *x)
{
    __m256i isum = _mm256_setzero_si256();
    for (int v = 0; v < 8; v++) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * v));
        __m256i p16 = _mm256_maddubs_epi16(u->q[v], xv);
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, u->sc[v]));
    }
    int msum = 0;
    for (int j = 0; j < 8; j++)
        msum += u->m[j] * (x->bsums[2 * j] + x->bsums[2 * j + 1]);
    *accm += u->dmin * x->d * (float)msum;
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u->d * x->d), acc);
}

SM_AVX2_INLINE __m256 step_q6_K(__m256 acc, const kblock *u, const sm_block_q8_K *x)
{
    __m256i isum = _mm256_setzero_si256();
    for (int v = 0; v < 8; v++) {
        __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * v));
        __m256i p16 = _mm256_maddubs_epi16(u->q[v], _mm256_sign_epi8(xv, u->s[v]));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p16, u->sc[v]));
    }
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(u->d * x->d), acc);
}

/* One row by tokens t.. t+NT (a constant at each call). */
SM_AVX2_INLINE void tile(int q6, int NT, const char *w, size_t ws, const char *x, size_t xs,
                         float *y, size_t ys, size_t nb)
{
    __m256 acc[8];
    float accm[8];
#pragma GCC unroll 8
    for (int j = 0; j < NT; j++) {
        acc[j] = _mm256_setzero_ps();
        accm[j] = 0;
    }
    kblock u;
    size_t bs = q6 ? sizeof(sm_block_q6_K) : sizeof(sm_block_q4_K);
    for (size_t b = 0; b < nb; b++) {
        // GEMV: the next row's super-block (see x86/avx512/matmul_q_vnni.c). The row stride
        // is the tile's own w_stride, passed in as ws.
        if (NT == 1)
            for (size_t off = 0; off < bs; off += 64)
                _mm_prefetch(w + ws + b * bs + off, _MM_HINT_T0);
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
        y[j * ys] = sm_avx2_hsum(acc[j]) - accm[j];
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
