/* SPDX-License-Identifier: MIT */
/* ref.h: how dispatch.c fills a table with the scalar reference kernels of kernels/ref/. */
#ifndef SM_KERNELS_REF_H
#define SM_KERNELS_REF_H

#include "kernels/kernels.h"

/* Each fills its own slots of @p kt; together they fill every slot. */
void sm_kernels_fill_ref_matmul(sm_kernels *kt);
void sm_kernels_fill_ref_quant(sm_kernels *kt);
void sm_kernels_fill_ref_ops(sm_kernels *kt);
void sm_kernels_fill_ref_rope(sm_kernels *kt);
void sm_kernels_fill_ref_attn(sm_kernels *kt);

#endif /* SM_KERNELS_REF_H */
