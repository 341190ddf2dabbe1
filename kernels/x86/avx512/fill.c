/* SPDX-License-Identifier: MIT */
/* avx512/fill.c: overrides the table slots the AVX-512 folder implements. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/x86.h"

void sm_kernels_fill_avx512(sm_kernels *kt, int vnni)
{
    (void)kt;
    (void)vnni;
}
