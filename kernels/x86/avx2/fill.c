/* SPDX-License-Identifier: MIT */
/* avx2/fill.c: overrides the table slots the AVX2 folder implements. */
#include "config.h"

#include "kernels/x86/avx2/avx2.h"
#include "kernels/x86/x86.h"

void sm_kernels_fill_avx2(sm_kernels *kt)
{
    (void)kt;
}
