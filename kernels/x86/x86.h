/* SPDX-License-Identifier: MIT */
/* x86.h: what dispatch.c needs from kernels/x86/: the CPU probe and the fill functions of the
 * AVX2 and AVX-512 folders (each compiled with its own -m flags). */
#ifndef SM_KERNELS_X86_H
#define SM_KERNELS_X86_H

#include "kernels/kernels.h"

/** What the CPU offers and the OS saves on context switches (both are needed). */
typedef struct sm_x86_features {
    int avx2;       /* AVX2 + FMA + F16C, with the OS saving YMM state */
    int avx512;     /* AVX-512 F + BW + VL, with the OS saving opmask and ZMM state */
    int avx512vnni; /* AVX512_VNNI (vpdpbusd), on top of avx512 */
} sm_x86_features;

/** Reads cpuid and xgetbv. Compiled without -m flags: safe on any x86-64. */
void sm_x86_probe(sm_x86_features *f);

/** Overrides the slots kernels/x86/avx2 implements. Call only when features.avx2. */
void sm_kernels_fill_avx2(sm_kernels *kt);

/** Overrides the slots kernels/x86/avx512 implements, the VNNI ones only when @p vnni. Call
 * only when features.avx512 (and on a table already filled by sm_kernels_fill_avx2). */
void sm_kernels_fill_avx512(sm_kernels *kt, int vnni);

#endif /* SM_KERNELS_X86_H */
