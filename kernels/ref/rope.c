/* SPDX-License-Identifier: MIT */
/* ref/rope.c: rotary position embedding (normal and NeoX pairing) and its per-position
 * cos/sin table. */
#include "config.h"

#include <math.h>

#include "kernels/ref/ref.h"

void sm_rope_cache(size_t pos, size_t n_rot, float base, float *cs)
{
    for (size_t i = 0; i < n_rot / 2; i++) {
        double theta = (double)pos * pow((double)base, -2.0 * (double)i / (double)n_rot);
        cs[2 * i] = (float)cos(theta);
        cs[2 * i + 1] = (float)sin(theta);
    }
}

static void sm_k_rope_f32_ref(size_t n_head, size_t head_dim, size_t head_stride, size_t n_rot,
                              int neox, const float *cs, float *x)
{
    (void)head_dim;
    size_t half = n_rot / 2;
    for (size_t h = 0; h < n_head; h++) {
        float *xh = x + h * head_stride;
        for (size_t i = 0; i < half; i++) {
            size_t a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
            float c = cs[2 * i], s = cs[2 * i + 1], x0 = xh[a], x1 = xh[b];
            xh[a] = x0 * c - x1 * s;
            xh[b] = x0 * s + x1 * c;
        }
    }
}

void sm_kernels_fill_ref_rope(sm_kernels *kt)
{
    kt->rope = sm_k_rope_f32_ref;
}
