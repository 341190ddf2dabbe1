/* SPDX-License-Identifier: MIT */
/* kernel_util.h: what the kernel tests share: a seeded RNG, random weights of every type, and
 * the tolerances, named per type, that SIMD kernels must meet against kernels/ref/. */
#ifndef SM_TEST_KERNEL_UTIL_H
#define SM_TEST_KERNEL_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

/* Matmul: |y - y_ref| <= TOL * sum_k |W[r][k] x[t][k]| (+ a tiny absolute floor). F32 and F16
 * differ from ref only by the order of a float sum; quantized types sum blocks exactly in
 * integers, so only the float accumulation of block results and scales is reordered. */
#define SM_TOL_MATMUL_F32  1e-5
#define SM_TOL_MATMUL_F16  1e-5
#define SM_TOL_MATMUL_Q8_0 1e-5
#define SM_TOL_MATMUL_Q4_0 1e-5
#define SM_TOL_MATMUL_Q4_K 1e-5
#define SM_TOL_MATMUL_Q6_K 1e-5
/* SiLU: absolute + relative error versus ref (expf). GELU reads one table in every table:
 * exact equality. */
#define SM_TOL_SILU_ABS 2e-6
#define SM_TOL_SILU_REL 2e-6
/* Reductions (softmax, norms, attention): relative to the output's scale. */
#define SM_TOL_SOFTMAX 1e-5
#define SM_TOL_NORM    1e-5
#define SM_TOL_ATTN    1e-5
/* RoPE: one FMA contraction per output at most. */
#define SM_TOL_ROPE 1e-6

static inline uint64_t kt_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/** Uniform in [lo, hi). */
static inline float kt_uniform(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)(kt_rand(s) >> 40) * 0x1p-24f;
}

static inline void kt_fill(uint64_t *s, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = kt_uniform(s, lo, hi);
}

static inline void *kt_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        abort();
    return p;
}

/** A random row of n elements of type @p t at @p dst: F32/F16/Q8_0/Q4_0 quantized from uniform
 * values by ref; Q4_K/Q6_K random codes and scales with realistic fp16 super-scales. */
static inline void kt_random_row(uint64_t *s, sm_type t, void *dst, size_t n)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    float *tmp = kt_alloc(n * sizeof(float));
    kt_fill(s, tmp, n, -1.0f, 1.0f);
    if (t == SM_TYPE_F32) {
        memcpy(dst, tmp, n * sizeof(float));
    } else if (t == SM_TYPE_F16) {
        for (size_t i = 0; i < n; i++)
            ((sm_fp16 *)dst)[i] = sm_fp32_to_fp16(tmp[i]);
    } else if (t == SM_TYPE_Q8_0) {
        ref->quant_q8_0(tmp, dst, n);
    } else if (t == SM_TYPE_Q4_0) {
        ref->quant_q4_0(tmp, dst, n);
    } else if (t == SM_TYPE_Q4_K) {
        sm_block_q4_K *b = dst;
        for (size_t i = 0; i < n / SM_QK_K; i++) {
            for (size_t j = 0; j < sizeof b[i].scales; j++)
                b[i].scales[j] = (uint8_t)kt_rand(s);
            for (size_t j = 0; j < sizeof b[i].qs; j++)
                b[i].qs[j] = (uint8_t)kt_rand(s);
            b[i].d = sm_fp32_to_fp16(kt_uniform(s, 0.001f, 0.01f));
            b[i].dmin = sm_fp32_to_fp16(kt_uniform(s, 0.001f, 0.01f));
        }
    } else if (t == SM_TYPE_Q6_K) {
        sm_block_q6_K *b = dst;
        for (size_t i = 0; i < n / SM_QK_K; i++) {
            for (size_t j = 0; j < sizeof b[i].ql; j++)
                b[i].ql[j] = (uint8_t)kt_rand(s);
            for (size_t j = 0; j < sizeof b[i].qh; j++)
                b[i].qh[j] = (uint8_t)kt_rand(s);
            for (size_t j = 0; j < sizeof b[i].scales; j++)
                b[i].scales[j] = (int8_t)(kt_rand(s) % 255 - 127);
            b[i].d = sm_fp32_to_fp16(kt_uniform(s, 0.0001f, 0.001f));
        }
    }
    free(tmp);
}

#endif /* SM_TEST_KERNEL_UTIL_H */
