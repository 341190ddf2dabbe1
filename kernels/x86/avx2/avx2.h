/* SPDX-License-Identifier: MIT */
/* avx2.h: the fill functions of the AVX2 folder's files, called by fill.c. */
#ifndef SM_KERNELS_AVX2_H
#define SM_KERNELS_AVX2_H

#include "kernels/kernels.h"

#endif /* SM_KERNELS_AVX2_H */
