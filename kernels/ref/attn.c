/* SPDX-License-Identifier: MIT */
/* ref/attn.c: one attention head over an f32 KV cache, causal: scores, softmax, weighted sum. */
#include "config.h"

#include <math.h>

#include "kernels/ref/ref.h"

static void sm_k_attn_f32_ref(size_t n_q, size_t head_dim, size_t pos0, float scale, const float *q,
                              size_t q_stride, const float *k, const float *v, size_t kv_stride,
                              float *scratch, float *out, size_t out_stride)
{
    for (size_t i = 0; i < n_q; i++) {
        const float *qi = q + i * q_stride;
        size_t n_kv = pos0 + i + 1; // causal: this query sees positions [0, pos0 + i]
        float max = -INFINITY;
        for (size_t p = 0; p < n_kv; p++) {
            const float *kp = k + p * kv_stride;
            float s = 0;
            for (size_t d = 0; d < head_dim; d++)
                s += qi[d] * kp[d];
            scratch[p] = s * scale;
            max = scratch[p] > max ? scratch[p] : max;
        }
        double sum = 0;
        for (size_t p = 0; p < n_kv; p++) {
            scratch[p] = expf(scratch[p] - max);
            sum += scratch[p];
        }
        float inv = (float)(1.0 / sum);
        float *o = out + i * out_stride;
        for (size_t d = 0; d < head_dim; d++)
            o[d] = 0;
        for (size_t p = 0; p < n_kv; p++) {
            const float *vp = v + p * kv_stride;
            float wgt = scratch[p] * inv;
            for (size_t d = 0; d < head_dim; d++)
                o[d] += wgt * vp[d];
        }
    }
}

void sm_kernels_fill_ref_attn(sm_kernels *kt)
{
    kt->attn = sm_k_attn_f32_ref;
}
