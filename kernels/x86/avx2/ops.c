/* SPDX-License-Identifier: MIT */
/* avx2/ops.c: element-wise ops, activations, softmax and the norms, 8 floats at a time with
 * masked loads and stores for the tails (so a tail is computed exactly like the body). */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include <math.h>

#include "kernels/gelu_table.h"
#include "kernels/x86/avx2/simd.h"

static void sm_k_add_f32_avx2(size_t n, const float *a, const float *b, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++)
        y[i] = a[i] + b[i];
}

static void sm_k_mul_f32_avx2(size_t n, const float *a, const float *b, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++)
        y[i] = a[i] * b[i];
}

static void sm_k_scale_f32_avx2(size_t n, const float *x, float s, float *y)
{
    __m256 sv = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_mul_ps(sv, _mm256_loadu_ps(x + i)));
    for (; i < n; i++)
        y[i] = s * x[i];
}

static void sm_k_add_bias_f32_avx2(size_t n_rows, size_t n, size_t stride, const float *x,
                                   const float *b, float *y)
{
    for (size_t r = 0; r < n_rows; r++)
        sm_k_add_f32_avx2(n, x + r * stride, b, y + r * stride);
}

/* GELU through fp16 (kernels.h): F16C rounds the input to nearest even like
 * sm_fp32_to_fp16, a gather reads the table entries (4 bytes at each 2-byte entry: the table
 * has one entry to spare), and the low halves are packed and widened back; so every output is
 * ref's bits. */
SM_AVX2_INLINE __m256 gelu8(__m256 x, const sm_fp16 *t)
{
    __m256i idx = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    __m256i g = _mm256_i32gather_epi32((const int *)t, idx, 2);
    g = _mm256_and_si256(g, _mm256_set1_epi32(0xffff));
    // packus keeps each 128-bit lane apart: a0..a3 a0..a3 | a4..a7 a4..a7; qwords 0 and 2
    __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(g, g), 0x08);
    __m256 v = _mm256_cvtph_ps(_mm256_castsi256_si128(p));
    v = _mm256_blendv_ps(v, _mm256_setzero_ps(),
                         _mm256_cmp_ps(x, _mm256_set1_ps(SM_GELU_LO), _CMP_LE_OQ));
    return _mm256_blendv_ps(v, x, _mm256_cmp_ps(x, _mm256_set1_ps(SM_GELU_HI), _CMP_GE_OQ));
}

/* SiLU = x / (1 + exp(-x)). Max error measured over [-12, 12] in steps of 1e-4 (a throwaway
 * harness; the figures are in the kernels.h contract): 9.5e-7 absolute at x = 5.15 (1.9e-7
 * relative). The tests hold it to 2e-6 + 2e-6 |y|. */
SM_AVX2_INLINE __m256 silu8(__m256 x)
{
    __m256 e = sm_avx2_exp(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

static void sm_k_gelu_f32_avx2(size_t n, const float *x, float *y)
{
    const sm_fp16 *t = sm_k_gelu_table();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i), t));
    if (i < n) {
        __m256i m = sm_avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, gelu8(_mm256_maskload_ps(x + i, m), t));
    }
}

static void sm_k_silu_f32_avx2(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, silu8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        __m256i m = sm_avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, silu8(_mm256_maskload_ps(x + i, m)));
    }
}

static void sm_k_swiglu_f32_avx2(size_t n, const float *gate, const float *up, float *y)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i,
                         _mm256_mul_ps(silu8(_mm256_loadu_ps(gate + i)), _mm256_loadu_ps(up + i)));
    if (i < n) {
        __m256i m = sm_avx2_tail_mask(n - i);
        __m256 g = silu8(_mm256_maskload_ps(gate + i, m));
        _mm256_maskstore_ps(y + i, m, _mm256_mul_ps(g, _mm256_maskload_ps(up + i, m)));
    }
}

static float max_f32(size_t n, const float *x)
{
    __m256 mv = _mm256_set1_ps(x[0]);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float r = _mm_cvtss_f32(m);
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

/* Three passes over x (max; exp and sum; scale): x stays in L1 for the sizes attention and
 * logits have per call, so fusing further saves little. */
static void sm_k_softmax_f32_avx2(size_t n, const float *x, float *y)
{
    __m256 mx = _mm256_set1_ps(max_f32(n, x)), sum = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = sm_avx2_exp(_mm256_sub_ps(_mm256_loadu_ps(x + i), mx));
        _mm256_storeu_ps(y + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    if (i < n) {
        __m256i m = sm_avx2_tail_mask(n - i);
        __m256 e = sm_avx2_exp(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), mx));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(y + i, m, e);
        sum = _mm256_add_ps(sum, e);
    }
    sm_k_scale_f32_avx2(n, y, 1.0f / sm_avx2_hsum(sum), y);
}

/* Sum of squares (sq = 1) or of x - c (sq = 0, c unused) in two 8-lane accumulators. */
static float sum_sq(size_t n, const float *x, float c)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), cv = _mm256_set1_ps(c);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), cv);
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), cv);
        a0 = _mm256_fmadd_ps(d0, d0, a0);
        a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    float s = sm_avx2_hsum(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        s += (x[i] - c) * (x[i] - c);
    return s;
}

static float sum_f32(size_t n, const float *x)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + i + 8));
    }
    float s = sm_avx2_hsum(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        s += x[i];
    return s;
}

/* y = (x - c) * s * w (+ b when b is not NULL). */
static void norm_apply(size_t n, const float *x, float c, float s, const float *w, const float *b,
                       float *y)
{
    __m256 cv = _mm256_set1_ps(c), sv = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), cv), sv),
                                 _mm256_loadu_ps(w + i));
        if (b)
            v = _mm256_add_ps(v, _mm256_loadu_ps(b + i));
        _mm256_storeu_ps(y + i, v);
    }
    for (; i < n; i++)
        y[i] = (x[i] - c) * s * w[i] + (b ? b[i] : 0.0f);
}

static void sm_k_rmsnorm_f32_avx2(size_t n, const float *x, const float *w, float eps, float *y)
{
    float ss = sum_sq(n, x, 0.0f);
    norm_apply(n, x, 0.0f, 1.0f / sqrtf(ss / (float)n + eps), w, NULL, y);
}

static void sm_k_layernorm_f32_avx2(size_t n, const float *x, const float *w, const float *b,
                                    float eps, float *y)
{
    float mean = sum_f32(n, x) / (float)n;
    float var = sum_sq(n, x, mean) / (float)n;
    norm_apply(n, x, mean, 1.0f / sqrtf(var + eps), w, b, y);
}

void sm_kernels_fill_avx2_ops(sm_kernels *kt)
{
    kt->add = sm_k_add_f32_avx2;
    kt->mul = sm_k_mul_f32_avx2;
    kt->scale = sm_k_scale_f32_avx2;
    kt->add_bias = sm_k_add_bias_f32_avx2;
    kt->gelu = sm_k_gelu_f32_avx2;
    kt->silu = sm_k_silu_f32_avx2;
    kt->swiglu = sm_k_swiglu_f32_avx2;
    kt->softmax = sm_k_softmax_f32_avx2;
    kt->rmsnorm = sm_k_rmsnorm_f32_avx2;
    kt->layernorm = sm_k_layernorm_f32_avx2;
}
