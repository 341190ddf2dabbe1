/* SPDX-License-Identifier: MIT */
/* avx2.h: the fill functions of the AVX2 folder's files, called by fill.c. */
#ifndef SM_KERNELS_AVX2_H
#define SM_KERNELS_AVX2_H

#include "kernels/kernels.h"

void sm_kernels_fill_avx2_matmul_f(sm_kernels *kt);
void sm_kernels_fill_avx2_matmul_q(sm_kernels *kt);
void sm_kernels_fill_avx2_matmul_k(sm_kernels *kt);
void sm_kernels_fill_avx2_ops(sm_kernels *kt);
void sm_kernels_fill_avx2_rope_attn(sm_kernels *kt);
void sm_kernels_fill_avx2_quant(sm_kernels *kt);

#endif /* SM_KERNELS_AVX2_H */
