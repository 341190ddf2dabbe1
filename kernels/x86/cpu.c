/* SPDX-License-Identifier: MIT */
/* x86/cpu.c: the x86 feature probe (cpuid for what the CPU has, xgetbv for what the OS saves),
 * compiled with the generic flags so that it runs on any x86-64. */
#include "config.h"

#include <cpuid.h>
#include <stdint.h>

#include "kernels/x86/x86.h"

/* xgetbv by opcode-level asm: the _xgetbv intrinsic would need -mxsave on this file. */
static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

void sm_x86_probe(sm_x86_features *f)
{
    unsigned a, b, c, d;
    f->avx2 = f->avx512 = f->avx512vnni = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!osxsave || !avx)
        return;
    uint64_t xcr0 = read_xcr0();
    int os_ymm = (xcr0 & 0x6) == 0x6;             // SSE and AVX state
    int os_zmm = os_ymm && (xcr0 & 0xe0) == 0xe0; // opmask, ZMM_Hi256, Hi16_ZMM state
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1;
    int avx512vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
    f->avx2 = os_ymm && avx2 && fma && f16c;
    f->avx512 = f->avx2 && os_zmm && avx512f && avx512bw && avx512vl;
    f->avx512vnni = f->avx512 && vnni;
}
