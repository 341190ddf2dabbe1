/* SPDX-License-Identifier: MIT */
/* avx2/rope_attn.c: RoPE (both pairings) and one causal attention head over an f32 KV cache. */
#include "config.h"

#include <math.h>

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* Normal pairing: x and cs are both interleaved pairs (x0, x1), (cos, sin), so 4 pairs are one
 * vector: y = x * cos -+ swap(x) * sin, with fmaddsub doing the -+ per lane. */
static void rope_normal(size_t n_rot, const float *cs, float *x)
{
    size_t i = 0;
    for (; i + 8 <= n_rot; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), c = _mm256_loadu_ps(cs + i);
        __m256 sw = _mm256_permute_ps(v, 0xb1);
        __m256 t = _mm256_mul_ps(sw, _mm256_movehdup_ps(c));
        _mm256_storeu_ps(x + i, _mm256_fmaddsub_ps(v, _mm256_moveldup_ps(c), t));
    }
    for (; i < n_rot; i += 2) {
        float c = cs[i], s = cs[i + 1], x0 = x[i], x1 = x[i + 1];
        x[i] = x0 * c - x1 * s;
        x[i + 1] = x0 * s + x1 * c;
    }
}

/* NeoX pairing: (x[i], x[i + half]); cos and sin are de-interleaved from cs 8 at a time. */
static void rope_neox(size_t n_rot, const float *cs, float *x)
{
    size_t half = n_rot / 2, i = 0;
    for (; i + 8 <= half; i += 8) {
        __m256 c0 = _mm256_loadu_ps(cs + 2 * i), c1 = _mm256_loadu_ps(cs + 2 * i + 8);
        __m256 c = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(c0, c1, 0x88)), 0xd8));
        __m256 s = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(c0, c1, 0xdd)), 0xd8));
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + half);
        _mm256_storeu_ps(x + i, _mm256_fmsub_ps(a, c, _mm256_mul_ps(b, s)));
        _mm256_storeu_ps(x + i + half, _mm256_fmadd_ps(a, s, _mm256_mul_ps(b, c)));
    }
    for (; i < half; i++) {
        float c = cs[2 * i], s = cs[2 * i + 1], x0 = x[i], x1 = x[i + half];
        x[i] = x0 * c - x1 * s;
        x[i + half] = x0 * s + x1 * c;
    }
}

static void sm_k_rope_f32_avx2(size_t n_head, size_t head_dim, size_t head_stride, size_t n_rot,
                               int neox, const float *cs, float *x)
{
    (void)head_dim;
    for (size_t h = 0; h < n_head; h++) {
        if (neox)
            rope_neox(n_rot, cs, x + h * head_stride);
        else
            rope_normal(n_rot, cs, x + h * head_stride);
    }
}

SM_AVX2_INLINE float dot(size_t n, const float *a, const float *b)
{
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    if (i < n) {
        __m256i m = sm_avx2_tail_mask(n - i);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc);
    }
    return sm_avx2_hsum(acc);
}

/* y += a * x over n floats. */
SM_AVX2_INLINE void axpy(size_t n, float a, const float *x, float *y)
{
    __m256 av = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i,
                         _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++)
        y[i] += a * x[i];
}

static void sm_k_attn_f32_avx2(size_t n_q, size_t head_dim, size_t pos0, float scale,
                               const float *q, size_t q_stride, const float *k, const float *v,
                               size_t kv_stride, float *scratch, float *out, size_t out_stride)
{
    for (size_t i = 0; i < n_q; i++) {
        const float *qi = q + i * q_stride;
        size_t n_kv = pos0 + i + 1; // causal: this query sees positions [0, pos0 + i]
        float max = -INFINITY;
        for (size_t p = 0; p < n_kv; p++) {
            scratch[p] = dot(head_dim, qi, k + p * kv_stride) * scale;
            max = scratch[p] > max ? scratch[p] : max;
        }
        __m256 mv = _mm256_set1_ps(max), sum = _mm256_setzero_ps();
        size_t p = 0;
        for (; p + 8 <= n_kv; p += 8) {
            __m256 e = sm_avx2_exp(_mm256_sub_ps(_mm256_loadu_ps(scratch + p), mv));
            _mm256_storeu_ps(scratch + p, e);
            sum = _mm256_add_ps(sum, e);
        }
        float s = sm_avx2_hsum(sum);
        for (; p < n_kv; p++) {
            __m256 e = sm_avx2_exp(_mm256_set1_ps(scratch[p] - max));
            scratch[p] = _mm256_cvtss_f32(e);
            s += scratch[p];
        }
        float inv = 1.0f / s, *o = out + i * out_stride;
        for (size_t d = 0; d < head_dim; d++)
            o[d] = 0;
        for (p = 0; p < n_kv; p++)
            axpy(head_dim, scratch[p] * inv, v + p * kv_stride, o);
    }
}

void sm_kernels_fill_avx2_rope_attn(sm_kernels *kt)
{
    kt->rope = sm_k_rope_f32_avx2;
    kt->attn = sm_k_attn_f32_avx2;
}
