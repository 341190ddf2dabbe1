/* SPDX-License-Identifier: MIT */
/* avx512/ops.c: the compute-bound element-wise ops (GELU, SiLU, SwiGLU, softmax), 16 floats at
 * a time with masked tails. The memory-bound ones (add, mul, scale, bias, norms) keep their
 * AVX2 kernels: wider vectors do not make memory faster. */
#include "config.h"

#include "kernels/gelu_table.h"
#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/avx512/simd.h"

/* GELU through fp16 (kernels.h), as in kernels/x86/avx2/ops.c: the gathered 32-bit words
 * truncated to their low halves are the entries. */
SM_AVX512_INLINE __m512 gelu16(__m512 x, const sm_fp16 *t)
{
    __m512i idx = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
    __m512i g = _mm512_i32gather_epi32(idx, (const int *)t, 2);
    __m512 v = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(x, _mm512_set1_ps(SM_GELU_LO), _CMP_LE_OQ),
                           _mm512_setzero_ps());
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(x, _mm512_set1_ps(SM_GELU_HI), _CMP_GE_OQ), x);
}

SM_AVX512_INLINE __m512 silu16(__m512 x)
{
    __m512 e = sm_avx512_exp(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_mul_ps(x, sm_avx512_recip(_mm512_add_ps(_mm512_set1_ps(1.0f), e)));
}

static void sm_k_gelu_f32_avx512(size_t n, const float *x, float *y)
{
    const sm_fp16 *t = sm_k_gelu_table();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, gelu16(_mm512_loadu_ps(x + i), t));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, gelu16(_mm512_maskz_loadu_ps(m, x + i), t));
    }
}

static void sm_k_silu_f32_avx512(size_t n, const float *x, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, silu16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, silu16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

static void sm_k_swiglu_f32_avx512(size_t n, const float *gate, const float *up, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i,
                         _mm512_mul_ps(silu16(_mm512_loadu_ps(gate + i)), _mm512_loadu_ps(up + i)));
    if (i < n) {
        __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        __m512 g = silu16(_mm512_maskz_loadu_ps(m, gate + i));
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(g, _mm512_maskz_loadu_ps(m, up + i)));
    }
}

/* Max, then exp and sum, then scale: x stays in L1 between the passes at the sizes softmax
 * sees (a row of scores or of logits per call). */
static void sm_k_softmax_f32_avx512(size_t n, const float *x, float *y)
{
    __m512 mx = _mm512_set1_ps(x[0]);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        mx = _mm512_max_ps(mx, _mm512_loadu_ps(x + i));
    __mmask16 tail = (__mmask16)((1u << (n - i)) - 1);
    mx = _mm512_mask_max_ps(mx, tail, mx, _mm512_maskz_loadu_ps(tail, x + i));
    __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), sum = _mm512_setzero_ps();
    for (i = 0; i + 16 <= n; i += 16) {
        __m512 e = sm_avx512_exp(_mm512_sub_ps(_mm512_loadu_ps(x + i), m));
        _mm512_storeu_ps(y + i, e);
        sum = _mm512_add_ps(sum, e);
    }
    if (i < n) {
        __m512 e = sm_avx512_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + i), m));
        _mm512_mask_storeu_ps(y + i, tail, e);
        sum = _mm512_mask_add_ps(sum, tail, sum, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / sm_avx512_hsum(sum));
    for (i = 0; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_mul_ps(inv, _mm512_loadu_ps(y + i)));
    if (i < n)
        _mm512_mask_storeu_ps(y + i, tail, _mm512_mul_ps(inv, _mm512_maskz_loadu_ps(tail, y + i)));
}

void sm_kernels_fill_avx512_ops(sm_kernels *kt)
{
    kt->gelu = sm_k_gelu_f32_avx512;
    kt->silu = sm_k_silu_f32_avx512;
    kt->swiglu = sm_k_swiglu_f32_avx512;
    kt->softmax = sm_k_softmax_f32_avx512;
}
