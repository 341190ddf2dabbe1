/* SPDX-License-Identifier: MIT */
/* ref/ops.c: scalar element-wise ops, activations, softmax and the norms. Reductions run in
 * double so that the oracle is more accurate than the kernels it judges. */
#include "config.h"

#include <math.h>

#include "kernels/gelu_table.h"
#include "kernels/ref/ref.h"

static void sm_k_add_f32_ref(size_t n, const float *a, const float *b, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

static void sm_k_mul_f32_ref(size_t n, const float *a, const float *b, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] * b[i];
}

static void sm_k_scale_f32_ref(size_t n, const float *x, float s, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = s * x[i];
}

static void sm_k_add_bias_f32_ref(size_t n_rows, size_t n, size_t stride, const float *x,
                                  const float *b, float *y)
{
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < n; j++)
            y[i * stride + j] = x[i * stride + j] + b[j];
}

/* GELU through fp16 (kernels.h): the input rounded to fp16 indexes the table. */
static void sm_k_gelu_f32_ref(size_t n, const float *x, float *y)
{
    const sm_fp16 *t = sm_k_gelu_table();
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (v <= SM_GELU_LO)
            y[i] = 0.0f;
        else if (v >= SM_GELU_HI)
            y[i] = v;
        else
            y[i] = sm_fp16_to_fp32(t[sm_fp32_to_fp16(v)]);
    }
}

static void sm_k_silu_f32_ref(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] / (1.0f + expf(-x[i]));
}

static void sm_k_swiglu_f32_ref(size_t n, const float *gate, const float *up, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

static void sm_k_softmax_f32_ref(size_t n, const float *x, float *y)
{
    float max = x[0];
    for (size_t i = 1; i < n; i++)
        max = x[i] > max ? x[i] : max;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = expf(x[i] - max);
        sum += y[i];
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++)
        y[i] *= inv;
}

static void sm_k_rmsnorm_f32_ref(size_t n, const float *x, const float *w, float eps, float *y)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float inv = (float)(1.0 / sqrt(ss / (double)n + eps));
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * inv * w[i];
}

static void sm_k_layernorm_f32_ref(size_t n, const float *x, const float *w, const float *b,
                                   float eps, float *y)
{
    double sum = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    float inv = (float)(1.0 / sqrt(var / (double)n + eps)), m = (float)mean;
    for (size_t i = 0; i < n; i++)
        y[i] = (x[i] - m) * inv * w[i] + b[i];
}

void sm_kernels_fill_ref_ops(sm_kernels *kt)
{
    kt->add = sm_k_add_f32_ref;
    kt->mul = sm_k_mul_f32_ref;
    kt->scale = sm_k_scale_f32_ref;
    kt->add_bias = sm_k_add_bias_f32_ref;
    kt->gelu = sm_k_gelu_f32_ref;
    kt->silu = sm_k_silu_f32_ref;
    kt->swiglu = sm_k_swiglu_f32_ref;
    kt->softmax = sm_k_softmax_f32_ref;
    kt->rmsnorm = sm_k_rmsnorm_f32_ref;
    kt->layernorm = sm_k_layernorm_f32_ref;
}
