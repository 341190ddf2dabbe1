# SPDX-License-Identifier: MIT
# kernels/: the scalar reference kernels (ref/), the ISA folders (x86/avx2, x86/avx512; the only
# sources compiled with -m flags, each a convenience library of its own) and dispatch.c.
libsm_core_la_SOURCES += \
	%D%/dispatch.c \
	%D%/gelu_table.c \
	%D%/gelu_table.h \
	%D%/kernels.h \
	%D%/quant.h \
	%D%/ref/attn.c \
	%D%/ref/matmul.c \
	%D%/ref/ops.c \
	%D%/ref/quant.c \
	%D%/ref/ref.h \
	%D%/ref/rope.c
# expf, tanhf, lrintf and friends.
libsm_core_la_LIBADD += -lm

# Each ISA folder is its own library so that its -m flags reach its files and no other: the
# probe in x86/cpu.c and everything outside kernels/x86/ stay runnable on any x86-64.
if SM_KERNELS_X86
libsm_core_la_SOURCES += \
	%D%/x86/cpu.c \
	%D%/x86/x86.h

noinst_LTLIBRARIES += libsm_avx2.la
libsm_avx2_la_SOURCES = \
	%D%/x86/avx2/avx2.h \
	%D%/x86/avx2/fill.c \
	%D%/x86/avx2/matmul_f.c \
	%D%/x86/avx2/matmul_k.c \
	%D%/x86/avx2/matmul_q.c \
	%D%/x86/avx2/ops.c \
	%D%/x86/avx2/quant.c \
	%D%/x86/avx2/rope_attn.c \
	%D%/x86/avx2/simd.h
libsm_avx2_la_CFLAGS = $(AM_CFLAGS) -mavx2 -mfma -mf16c

# VNNI is not in the folder's flags: only the files that test for it at dispatch time enable
# it (#pragma GCC target), so a Skylake-X without VNNI still runs the rest of this folder.
noinst_LTLIBRARIES += libsm_avx512.la
libsm_avx512_la_SOURCES = \
	%D%/x86/avx512/avx512.h \
	%D%/x86/avx512/fill.c \
	%D%/x86/avx512/matmul_f.c \
	%D%/x86/avx512/matmul_k_vnni.c \
	%D%/x86/avx512/matmul_q_vnni.c \
	%D%/x86/avx512/matmul_q_x16.c \
	%D%/x86/avx512/ops.c \
	%D%/x86/avx512/q_rows.h \
	%D%/x86/avx512/simd.h
libsm_avx512_la_CFLAGS = $(AM_CFLAGS) -mavx512f -mavx512bw -mavx512vl -mavx2 -mfma -mf16c

libsm_core_la_LIBADD += libsm_avx2.la libsm_avx512.la
endif
