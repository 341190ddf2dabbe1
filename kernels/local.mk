# SPDX-License-Identifier: MIT
# kernels/: the scalar reference kernels (ref/), the ISA folders (x86/avx2, x86/avx512; the only
# sources compiled with -m flags, each a convenience library of its own) and dispatch.c.
# The kernels are issue #5; this folder has no code before it lands.
