/* SPDX-License-Identifier: MIT */
/* avx512/fill.c: overrides the table slots the AVX-512 folder implements: the matmuls, which
 * are compute- or bandwidth-bound. The other slots keep the AVX2 kernels (dispatch.c builds
 * this table on top of the AVX2 one): the element-wise ops are memory-bound at the sizes a
 * transformer calls them with. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/x86.h"

void sm_kernels_fill_avx512(sm_kernels *kt, int vnni)
{
    sm_kernels_fill_avx512_matmul_f(kt);
    if (vnni) {
        sm_kernels_fill_avx512_matmul_q_vnni(kt);
        sm_kernels_fill_avx512_matmul_k_vnni(kt);
    }
}
