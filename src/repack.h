/* SPDX-License-Identifier: MIT */
/* repack.h: weight matrices copied into the kernel table's x16 layout at load. */
#ifndef SM_REPACK_H
#define SM_REPACK_H

#include "src/model.h"

/* Best effort: every Q8_0/Q4_0 matmul weight of @p m gets an x16 copy when the process's
 * kernel table has that layout and SM_REPACK is not "0"; a failed allocation leaves the rest
 * row-major (logged). */
void sm_model_repack(sm_model *m);

/* Frees the copies. */
void sm_model_repack_free(sm_model *m);

#endif /* SM_REPACK_H */
