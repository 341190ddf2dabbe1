/* SPDX-License-Identifier: MIT */
/* gelu_table.c: the fp16 GELU table: built once with the kernel tables, read by every GELU
 * kernel, so every table gives the same bits. */
#include "config.h"

#include <math.h>

#include "kernels/gelu_table.h"

/* Written once by sm_k_gelu_table_build under dispatch.c's pthread_once, which every path to a
 * kernel table goes through, so the kernels read it after it is complete; read-only after. */
static sm_fp16 table[65536 + 1];

/* GELU (tanh form) of @p x in f32 the way GGUF runtimes build their fp16 tables: ggml's
 * 0.5 x (1 + tanh(sqrt(2/pi) x (1 + 0.044715 x x))), in its order of operations. One operation
 * per statement, so that a compiler contracting within an expression (clang's default) cannot
 * fuse a multiply and an add into an FMA, whose single rounding would move an entry now and
 * then. */
static float gelu_f32(float x)
{
    float cx = 0.044715f * x;
    float p = cx * x;
    float s = 1.0f + p;
    float u = 0.7978845608028654f * x;
    float a = u * s;
    float t = 1.0f + tanhf(a);
    float h = 0.5f * x;
    return h * t;
}

void sm_k_gelu_table_build(void)
{
    for (uint32_t h = 0; h < 65536; h++)
        table[h] = sm_fp32_to_fp16(gelu_f32(sm_fp16_to_fp32((sm_fp16)h)));
    table[65536] = table[0];
}

const sm_fp16 *sm_k_gelu_table(void)
{
    return table;
}
