/* SPDX-License-Identifier: MIT */
/* avx2/quant.c: quantizing activation rows to Q8_0 (both roundings) and Q8_K, 8 floats at a
 * time, with exactly the blocks of kernels/ref/quant.c (same products, roundings, clamps).
 *
 * Why not scalar: every matmul with quantized weights quantizes its x rows first, and the ref
 * kernels round through libm (roundf, lrintf) one element at a time, about 5 ns each. For a
 * 128-token prompt through the 15M LLaMA shape in Q8_0 that was 21% of the time
 * (sm-bench --profile, pp128, one thread). */
#include "config.h"

#include <string.h>

#include "kernels/quant.h"
#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/avx2/simd.h"

/* max(|v|, acc) that ignores a NaN in v, as fmaxf does in the ref loop: maxps returns its
 * second operand when either is NaN, and acc (from 0 up) never is. */
SM_AVX2_INLINE __m256 absmax8(__m256 v, __m256 acc)
{
    __m256 a = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
    return _mm256_max_ps(a, acc);
}

SM_AVX2_INLINE float hmax8(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* roundf (half away from zero) of each lane, exactly: truncate, then step away from zero when
 * the dropped fraction (exact, since |p| < 2^23 whenever it is not already integral) is at
 * least one half. */
SM_AVX2_INLINE __m256 round_away8(__m256 p)
{
    __m256 t = _mm256_round_ps(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 sign = _mm256_and_ps(p, _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN)));
    __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(p, t)); /* |p - t| */
    __m256 step = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ),
                                _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
    return _mm256_add_ps(t, step);
}

/* The ref's code_i8: NaN -> 0, saturated to [-128, 127]; r is already integral. */
SM_AVX2_INLINE __m256i code8(__m256 r)
{
    __m256 ok = _mm256_cmp_ps(r, r, _CMP_ORD_Q);
    r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
    return _mm256_cvttps_epi32(_mm256_and_ps(r, ok));
}

/* Four vectors of 8 int32 codes in [-128, 127] as 32 bytes in element order. */
SM_AVX2_INLINE void store_codes32(int8_t *dst, __m256i a, __m256i b, __m256i c, __m256i d)
{
    __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
    __m256i q = _mm256_packs_epi16(ab, cd);
    /* The packs interleave 128-bit lanes: dword k holds a, b, c, d's low halves, then their
     * high halves. */
    q = _mm256_permutevar8x32_epi32(q, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)(void *)dst, q);
}

/* The two Q8_0 roundings of kernels.h: id = 1/d with ties away from zero (even = 0), or
 * id = 127/max|x| with ties to even (even = 1). */
SM_AVX2_INLINE void quant_q8_0_rows(const float *x, void *dst, size_t n, int even)
{
    sm_block_q8_0 *y = dst;
    for (size_t b = 0; b < n / SM_QK8_0; b++, x += SM_QK8_0) {
        __m256 v[4];
        __m256 acc = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            acc = absmax8(v[k], acc);
        }
        float amax = hmax8(acc);
        float d = amax / 127.0f, id;
        if (even)
            id = amax != 0.0f ? 127.0f / amax : 0.0f;
        else
            id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = sm_fp32_to_fp16(d);
        __m256 vid = _mm256_set1_ps(id);
        __m256i c[4];
        for (int k = 0; k < 4; k++) {
            __m256 p = _mm256_mul_ps(v[k], vid);
            c[k] = code8(even ? _mm256_round_ps(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                              : round_away8(p));
        }
        store_codes32(y[b].qs, c[0], c[1], c[2], c[3]);
    }
}

static void sm_k_quant_q8_0_avx2(const float *x, void *dst, size_t n)
{
    quant_q8_0_rows(x, dst, n, 0);
}

static void sm_k_quant_q8_0_even_avx2(const float *x, void *dst, size_t n)
{
    quant_q8_0_rows(x, dst, n, 1);
}

/* Q8_K: the scale comes from the element of largest magnitude with its sign (the first such,
 * as the ref's strict comparison picks), codes round to nearest even (lrintf in the default
 * rounding mode) and are capped at 127. */
static void sm_k_quant_q8_K_avx2(const float *x, void *dst, size_t n)
{
    sm_block_q8_K *y = dst;
    for (size_t b = 0; b < n / SM_QK_K; b++, x += SM_QK_K) {
        __m256 acc = _mm256_setzero_ps();
        for (int k = 0; k < SM_QK_K; k += 8)
            acc = absmax8(_mm256_loadu_ps(x + k), acc);
        float amax = hmax8(acc);
        memset(&y[b], 0, sizeof y[b]);
        if (amax == 0.0f)
            continue;
        float max = 0;
        __m256 vamax = _mm256_set1_ps(amax);
        for (int k = 0; k < SM_QK_K; k += 8) {
            __m256 v = _mm256_loadu_ps(x + k);
            __m256 a = _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
            int hit = _mm256_movemask_ps(_mm256_cmp_ps(a, vamax, _CMP_EQ_OQ));
            if (hit) {
                max = x[k + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        float iscale = -127.0f / max;
        __m256 vs = _mm256_set1_ps(iscale);
        for (int k = 0; k < SM_QK_K; k += 32) {
            __m256i c[4];
            for (int j = 0; j < 4; j++) {
                __m256 p = _mm256_mul_ps(vs, _mm256_loadu_ps(x + k + 8 * j));
                __m256 r = _mm256_round_ps(p, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                /* lrintf of a NaN is LONG_MIN, whose low byte the ref stores: 0. */
                r = _mm256_and_ps(r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
                c[j] = _mm256_cvttps_epi32(_mm256_min_ps(r, _mm256_set1_ps(127.0f)));
            }
            store_codes32(y[b].qs + k, c[0], c[1], c[2], c[3]);
        }
        for (int j = 0; j < SM_QK_K / 16; j++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += y[b].qs[16 * j + l];
            y[b].bsums[j] = (int16_t)s;
        }
        y[b].d = 1 / iscale;
    }
}

void sm_kernels_fill_avx2_quant(sm_kernels *kt)
{
    kt->quant_q8_0 = sm_k_quant_q8_0_avx2;
    kt->quant_q8_0_even = sm_k_quant_q8_0_even_avx2;
    kt->quant_q8_K = sm_k_quant_q8_K_avx2;
}
