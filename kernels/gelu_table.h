/* SPDX-License-Identifier: MIT */
/* gelu_table.h: the fp16 GELU table every kernel table's GELU reads (see kernels.h). */
#ifndef SM_KERNELS_GELU_TABLE_H
#define SM_KERNELS_GELU_TABLE_H

#include "kernels/quant.h"

/** Inputs at or below this give 0, at or above SM_GELU_HI give x; between, the table. */
#define SM_GELU_LO (-10.0f)
#define SM_GELU_HI 10.0f

/** Fills the table; dispatch.c calls it once, before any kernel table is handed out. */
void sm_k_gelu_table_build(void);

/**
 * The table: entry h is GELU of the fp16 value with bits h, computed in f32 in the tanh form
 * and rounded to the nearest fp16. It has 65537 entries (the last a copy of entry 0) so that
 * a SIMD gather of 4 bytes at entry 0xffff stays inside it. Read-only once built.
 */
const sm_fp16 *sm_k_gelu_table(void);

#endif /* SM_KERNELS_GELU_TABLE_H */
