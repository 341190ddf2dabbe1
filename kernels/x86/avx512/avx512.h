/* SPDX-License-Identifier: MIT */
/* avx512.h: the fill functions of the AVX-512 folder's files, called by fill.c. */
#ifndef SM_KERNELS_AVX512_H
#define SM_KERNELS_AVX512_H

#include "kernels/kernels.h"

void sm_kernels_fill_avx512_matmul_f(sm_kernels *kt);
void sm_kernels_fill_avx512_ops(sm_kernels *kt);
/* Only on CPUs with AVX512_VNNI. */
void sm_kernels_fill_avx512_matmul_q_vnni(sm_kernels *kt);
void sm_kernels_fill_avx512_matmul_q_x16(sm_kernels *kt);
void sm_kernels_fill_avx512_matmul_k_vnni(sm_kernels *kt);

#endif /* SM_KERNELS_AVX512_H */
