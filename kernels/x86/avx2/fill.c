/* SPDX-License-Identifier: MIT */
/* avx2/fill.c: overrides the table slots the AVX2 folder implements: all but dequantizing
 * (an embedding row per token) and quantizing to Q4_0 (never on the forward path), which stay
 * scalar. */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/x86.h"

void sm_kernels_fill_avx2(sm_kernels *kt)
{
    sm_kernels_fill_avx2_matmul_f(kt);
    sm_kernels_fill_avx2_matmul_q(kt);
    sm_kernels_fill_avx2_matmul_k(kt);
    sm_kernels_fill_avx2_ops(kt);
    sm_kernels_fill_avx2_rope_attn(kt);
    sm_kernels_fill_avx2_quant(kt);
}
