/* SPDX-License-Identifier: MIT */
/* ref/quant.c: quantizing activations (Q8_0, Q4_0, Q8_K) and dequantizing rows of every
 * weight type, with ggml's reference rounding so our blocks equal GGUF tools' blocks. */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "kernels/ref/ref.h"

/* @p v as an int8 code, as the cast (int8_t)v gives it where that is defined; saturated
 * beyond, and 0 for NaN. Finite activations never get there, but a model whose weights overflow
 * (a malformed file that still loads) feeds infinities and NaNs in, and converting those is
 * undefined in C. The block's scale is then not finite either, so the code does not matter. */
static inline int8_t code_i8(float v)
{
    if (v != v)
        return 0;
    if (v <= -129.0f)
        return INT8_MIN;
    if (v >= 128.0f)
        return INT8_MAX;
    return (int8_t)v;
}

/* @p v rounded to the nearest integer, ties to the even one, whatever the floating-point
 * environment's rounding mode (nearbyintf would follow it). |v| < 2^23 or not finite. */
static inline float round_half_even(float v)
{
    float r = roundf(v);
    if (fabsf(v - truncf(v)) == 0.5f) // a tie: roundf went away from zero, take the even one
        r = 2.0f * roundf(0.5f * v);
    return r;
}

/* Q8_0: d = max|x| / 127, q = round-half-away(x / d). */
static void sm_k_quant_q8_0_ref(const float *x, void *dst, size_t n)
{
    sm_block_q8_0 *y = dst;
    for (size_t b = 0; b < n / SM_QK8_0; b++, x += SM_QK8_0) {
        float amax = 0;
        for (int j = 0; j < SM_QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = sm_fp32_to_fp16(d);
        for (int j = 0; j < SM_QK8_0; j++)
            y[b].qs[j] = code_i8(roundf(x[j] * id));
    }
}

/* Q8_0 for Q8_0 weights: d = max|x| / 127 as above, but q = round-half-even(x * (127 / max|x|)).
 * The two products x * (1 / d) and x * (127 / max|x|) differ in their last bit now and then,
 * which moves a code across a .5 (see kernels.h). */
static void sm_k_quant_q8_0_even_ref(const float *x, void *dst, size_t n)
{
    sm_block_q8_0 *y = dst;
    for (size_t b = 0; b < n / SM_QK8_0; b++, x += SM_QK8_0) {
        float amax = 0;
        for (int j = 0; j < SM_QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        y[b].d = sm_fp32_to_fp16(amax / 127.0f);
        for (int j = 0; j < SM_QK8_0; j++)
            y[b].qs[j] = code_i8(round_half_even(x[j] * id));
    }
}

/* Q4_0: d = m / -8 with m the element of largest magnitude (sign kept), so m maps to code 0 and
 * the codes span [-8, 7] * d; q = min(15, trunc(x / d + 8.5)). */
static void sm_k_quant_q4_0_ref(const float *x, void *dst, size_t n)
{
    sm_block_q4_0 *y = dst;
    for (size_t b = 0; b < n / SM_QK4_0; b++, x += SM_QK4_0) {
        float amax = 0, max = 0;
        for (int j = 0; j < SM_QK4_0; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        float d = max / -8, id = d != 0.0f ? 1.0f / d : 0.0f;
        y[b].d = sm_fp32_to_fp16(d);
        for (int j = 0; j < SM_QK4_0 / 2; j++) {
            int q0 = code_i8(x[j] * id + 8.5f), q1 = code_i8(x[j + 16] * id + 8.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[b].qs[j] = (uint8_t)(q0 | q1 << 4);
        }
    }
}

/* Q8_K: iscale = -127 / m (m as in Q4_0), q = min(127, round-half-even(x * iscale)),
 * d = 1 / iscale, plus the 16-element sums. */
static void sm_k_quant_q8_K_ref(const float *x, void *dst, size_t n)
{
    sm_block_q8_K *y = dst;
    for (size_t b = 0; b < n / SM_QK_K; b++, x += SM_QK_K) {
        float amax = 0, max = 0;
        for (int j = 0; j < SM_QK_K; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        memset(&y[b], 0, sizeof y[b]);
        if (amax == 0.0f)
            continue;
        float iscale = -127.0f / max;
        for (int j = 0; j < SM_QK_K; j++) {
            long v = lrintf(iscale * x[j]);
            y[b].qs[j] = (int8_t)(v < 127 ? v : 127);
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

static void sm_k_dequant_f16_ref(const void *src, float *y, size_t n)
{
    const sm_fp16 *h = src;
    for (size_t i = 0; i < n; i++)
        y[i] = sm_fp16_to_fp32(h[i]);
}

static void sm_k_dequant_q8_0_ref(const void *src, float *y, size_t n)
{
    const sm_block_q8_0 *x = src;
    for (size_t b = 0; b < n / SM_QK8_0; b++) {
        float d = sm_fp16_to_fp32(x[b].d);
        for (int j = 0; j < SM_QK8_0; j++)
            *y++ = (float)x[b].qs[j] * d;
    }
}

static void sm_k_dequant_q4_0_ref(const void *src, float *y, size_t n)
{
    const sm_block_q4_0 *x = src;
    for (size_t b = 0; b < n / SM_QK4_0; b++, y += SM_QK4_0) {
        float d = sm_fp16_to_fp32(x[b].d);
        for (int j = 0; j < SM_QK4_0 / 2; j++) {
            y[j] = (float)((x[b].qs[j] & 0xf) - 8) * d;
            y[j + 16] = (float)((x[b].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ggml's order: (d * sc) * q - (dmin * m), two roundings after the products. */
static void sm_k_dequant_q4_K_ref(const void *src, float *y, size_t n)
{
    const sm_block_q4_K *x = src;
    for (size_t b = 0; b < n / SM_QK_K; b++, y += SM_QK_K) {
        float d = sm_fp16_to_fp32(x[b].d), dmin = sm_fp16_to_fp32(x[b].dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            sm_q4_K_scale_min(x[b].scales, j, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            for (int l = 0; l < 32; l++)
                y[32 * j + l] = d1 * (float)sm_q4_K_code(&x[b], 32 * j + l) - m1;
        }
    }
}

static void sm_k_dequant_q6_K_ref(const void *src, float *y, size_t n)
{
    const sm_block_q6_K *x = src;
    for (size_t b = 0; b < n / SM_QK_K; b++, y += SM_QK_K) {
        float d = sm_fp16_to_fp32(x[b].d);
        for (int e = 0; e < SM_QK_K; e++)
            y[e] = d * (float)x[b].scales[e / 16] * (float)sm_q6_K_code(&x[b], e);
    }
}

void sm_kernels_fill_ref_quant(sm_kernels *kt)
{
    kt->quant_q8_0 = sm_k_quant_q8_0_ref;
    kt->quant_q8_0_even = sm_k_quant_q8_0_even_ref;
    kt->quant_q4_0 = sm_k_quant_q4_0_ref;
    kt->quant_q8_K = sm_k_quant_q8_K_ref;
    kt->dequant_f16 = sm_k_dequant_f16_ref;
    kt->dequant_q8_0 = sm_k_dequant_q8_0_ref;
    kt->dequant_q4_0 = sm_k_dequant_q4_0_ref;
    kt->dequant_q4_K = sm_k_dequant_q4_K_ref;
    kt->dequant_q6_K = sm_k_dequant_q6_K_ref;
}
