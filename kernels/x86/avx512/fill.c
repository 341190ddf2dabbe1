/* SPDX-License-Identifier: MIT */
/* avx512/fill.c: overrides the table slots the AVX-512 folder implements: the matmuls and the
 * compute-bound element-wise ops. The other slots keep the AVX2 kernels (dispatch.c builds
 * this table on top of the AVX2 one): they are memory-bound, and wider vectors do not make
 * memory faster. */
#include "config.h"

#include "kernels/x86/avx512/avx512.h"
#include "kernels/x86/x86.h"

void sm_kernels_fill_avx512(sm_kernels *kt, int vnni)
{
    sm_kernels_fill_avx512_matmul_f(kt);
    sm_kernels_fill_avx512_ops(kt);
    if (vnni) {
        sm_kernels_fill_avx512_matmul_q_vnni(kt);
        sm_kernels_fill_avx512_matmul_q_x16(kt);
        sm_kernels_fill_avx512_matmul_k_vnni(kt);
    }
}
