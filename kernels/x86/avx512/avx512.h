/* SPDX-License-Identifier: MIT */
/* avx512.h: the fill functions of the AVX-512 folder's files, called by fill.c. */
#ifndef SM_KERNELS_AVX512_H
#define SM_KERNELS_AVX512_H

#include "kernels/kernels.h"

#endif /* SM_KERNELS_AVX512_H */
