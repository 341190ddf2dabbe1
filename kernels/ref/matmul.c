/* SPDX-License-Identifier: MIT */
/* ref/matmul.c: scalar matmul tiles for every weight type: one dot product per output, summed
 * in k order, quantized blocks summed exactly in integers first. The oracle for the SIMD tiles. */
#include "config.h"

#include "kernels/ref/ref.h"

static const void *row_at(const void *base, size_t stride, size_t i)
{
    return (const char *)base + i * stride;
}

static void sm_k_matmul_f32_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        const float *xt = row_at(x, x_stride, t);
        for (size_t r = r0; r < r1; r++) {
            const float *wr = row_at(w, w_stride, r);
            float s = 0;
            for (size_t k = 0; k < n_in; k++)
                s += wr[k] * xt[k];
            y[t * y_stride + r] = s;
        }
    }
}

static void sm_k_matmul_f16_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++) {
        const float *xt = row_at(x, x_stride, t);
        for (size_t r = r0; r < r1; r++) {
            const sm_fp16 *wr = row_at(w, w_stride, r);
            float s = 0;
            for (size_t k = 0; k < n_in; k++)
                s += sm_fp16_to_fp32(wr[k]) * xt[k];
            y[t * y_stride + r] = s;
        }
    }
}

static float dot_q8_0(const void *wv, const void *xv, size_t nb)
{
    const sm_block_q8_0 *w = wv;
    const sm_block_q8_0 *x = xv;
    float s = 0;
    for (size_t b = 0; b < nb; b++) {
        int sumi = 0;
        for (int j = 0; j < SM_QK8_0; j++)
            sumi += w[b].qs[j] * x[b].qs[j];
        s += (float)sumi * (sm_fp16_to_fp32(w[b].d) * sm_fp16_to_fp32(x[b].d));
    }
    return s;
}

static float dot_q4_0(const void *wv, const void *xv, size_t nb)
{
    const sm_block_q4_0 *w = wv;
    const sm_block_q8_0 *x = xv;
    float s = 0;
    for (size_t b = 0; b < nb; b++) {
        int sumi = 0;
        for (int j = 0; j < SM_QK4_0 / 2; j++) {
            sumi += ((w[b].qs[j] & 0xf) - 8) * x[b].qs[j];
            sumi += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
        }
        s += (float)sumi * (sm_fp16_to_fp32(w[b].d) * sm_fp16_to_fp32(x[b].d));
    }
    return s;
}

/* sum_e (d sc_j q_e - dmin m_j) x_e = d * sum_j sc_j <q, x>_j - dmin * sum_j m_j sum_j x. */
static float dot_q4_K(const void *wv, const void *xv, size_t nb)
{
    const sm_block_q4_K *w = wv;
    const sm_block_q8_K *x = xv;
    float s = 0;
    for (size_t b = 0; b < nb; b++) {
        int isum = 0, msum = 0;
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            sm_q4_K_scale_min(w[b].scales, j, &sc, &m);
            int dot = 0;
            for (int l = 0; l < 32; l++)
                dot += sm_q4_K_code(&w[b], 32 * j + l) * x[b].qs[32 * j + l];
            isum += sc * dot;
            msum += m * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
        }
        s += x[b].d * sm_fp16_to_fp32(w[b].d) * (float)isum -
             x[b].d * sm_fp16_to_fp32(w[b].dmin) * (float)msum;
    }
    return s;
}

static float dot_q6_K(const void *wv, const void *xv, size_t nb)
{
    const sm_block_q6_K *w = wv;
    const sm_block_q8_K *x = xv;
    float s = 0;
    for (size_t b = 0; b < nb; b++) {
        int isum = 0;
        for (int j = 0; j < 16; j++) {
            int dot = 0;
            for (int l = 0; l < 16; l++)
                dot += sm_q6_K_code(&w[b], 16 * j + l) * x[b].qs[16 * j + l];
            isum += w[b].scales[j] * dot;
        }
        s += x[b].d * sm_fp16_to_fp32(w[b].d) * (float)isum;
    }
    return s;
}

/* One row-by-row, token-by-token walk for every quantized type: the reference is the oracle,
 * so one plain loop calling the type's block dot product is all it needs. */
typedef float (*dot_fn)(const void *w, const void *x, size_t nb);

static void matmul_quant(dot_fn dot, size_t block, const void *w, size_t w_stride, const void *x,
                         size_t x_stride, float *y, size_t y_stride, size_t n_in, size_t r0,
                         size_t r1, size_t t0, size_t t1)
{
    for (size_t t = t0; t < t1; t++)
        for (size_t r = r0; r < r1; r++)
            y[t * y_stride + r] = dot(row_at(w, w_stride, r), row_at(x, x_stride, t), n_in / block);
}

static void sm_k_matmul_q8_0_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul_quant(dot_q8_0, SM_QK8_0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q4_0_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul_quant(dot_q4_0, SM_QK4_0, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q4_K_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul_quant(dot_q4_K, SM_QK_K, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

static void sm_k_matmul_q6_K_ref(const void *w, size_t w_stride, const void *x, size_t x_stride,
                                 float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                                 size_t t0, size_t t1)
{
    matmul_quant(dot_q6_K, SM_QK_K, w, w_stride, x, x_stride, y, y_stride, n_in, r0, r1, t0, t1);
}

void sm_kernels_fill_ref_matmul(sm_kernels *kt)
{
    kt->matmul_f32 = sm_k_matmul_f32_ref;
    kt->matmul_f16 = sm_k_matmul_f16_ref;
    kt->matmul_q8_0 = sm_k_matmul_q8_0_ref;
    kt->matmul_q4_0 = sm_k_matmul_q4_0_ref;
    kt->matmul_q4_K = sm_k_matmul_q4_K_ref;
    kt->matmul_q6_K = sm_k_matmul_q6_K_ref;
}
