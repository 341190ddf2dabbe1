/* SPDX-License-Identifier: MIT */
/* profile.h: the per-op profile of a context (sm_context_profile): a table of counters per
 * (op kind, layer), sized once at context create, and the clock and bookkeeping the ops use to
 * fill it.
 *
 * Cost when off: the context holds no table (sm_exec.prof is NULL), and each op tests that
 * pointer once and reads no clock. When on, each op reads the monotonic clock around itself on
 * the calling thread and, when it runs as a parallel region, around every range its workers
 * run, so the wait of the region can be told from its work (sm_profile_region). Only the
 * calling thread writes the table: workers add to an atomic of the region's job, which the
 * caller reads after the join. */
#ifndef SM_PROFILE_H
#define SM_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/quant.h"
#include "smallmind.h"

/* The op kinds, in the order sm_context_profile lists them within a layer. Names in
 * sm_profile_op_name; smallmind.h documents what each covers. */
typedef enum sm_prof_op {
    SM_PROF_MATMUL_F32 = 0,
    SM_PROF_MATMUL_F16,
    SM_PROF_MATMUL_Q8_0,
    SM_PROF_MATMUL_Q4_0,
    SM_PROF_MATMUL_Q4_K,
    SM_PROF_MATMUL_Q6_K,
    SM_PROF_ATTENTION,
    SM_PROF_NORM,
    SM_PROF_ROPE,
    SM_PROF_KV_STORE,
    SM_PROF_ACTIVATION,
    SM_PROF_QUANTIZE,
    SM_PROF_EMBED,
    SM_PROF_SCHED_WAIT,
    SM_PROF_N_OPS
} sm_prof_op;

/* The counters of one (op, layer). */
typedef struct sm_prof_cell {
    uint64_t calls, ns, bytes, flops;
} sm_prof_cell;

typedef struct sm_profile {
    int layer;      /* the block being evaluated, -1 outside the blocks; set by the forward pass */
    size_t n_layer; /* blocks of the model */
    sm_prof_cell *cells; /* [n_layer + 1][SM_PROF_N_OPS]: row 0 outside the blocks, row 1 + l
                            block l */
} sm_profile;

/* A table for a model of @p n_layer blocks, zeroed. SM_OK or SM_E_NOMEM. */
sm_status sm_profile_create(size_t n_layer, sm_profile **out);

/* NULL is a no-op. */
void sm_profile_free(sm_profile *p);

/* Zeroes every counter. */
void sm_profile_reset(sm_profile *p);

/* "matmul q4_K", "attention", ...: a static string. */
const char *sm_profile_op_name(sm_prof_op op);

/* The matmul kind of weights of type @p t (one of the matmul types the loader accepts). */
sm_prof_op sm_profile_matmul_op(sm_type t);

/* The monotonic clock in nanoseconds (the vDSO's: ~20 ns, no system call). Called only when
 * profiling, so it lives in profile.c with the feature macros clock_gettime needs. */
uint64_t sm_profile_now(void);

/* Adds one call of @p op at the current layer, with its time and the bytes and flops it
 * moved and did. */
void sm_profile_add(sm_profile *p, sm_prof_op op, uint64_t ns, uint64_t bytes, uint64_t flops);

/* The split of a parallel region: @p wall_ns the calling thread waited for it, @p busy_ns
 * summed over the ranges every worker ran, on @p n_workers workers. The region's own time is
 * the average busy time of a worker, busy_ns / n_workers (at most wall_ns); the rest of the
 * wall time, what an average worker spent not running the region's ranges (the fork, the join,
 * imbalance), is added to "sched wait" at the current layer as one call. Returns the region's
 * own time, for the caller to add to its op; the two sum to wall_ns, so the table's times add
 * up to the calling thread's. */
uint64_t sm_profile_region(sm_profile *p, uint64_t wall_ns, uint64_t busy_ns, int n_workers);

/* Splits @p ns over @p n parts in proportion to @p weight[i] into out[i], exactly: the parts
 * sum to ns (the rounding remainder goes to the last part with a nonzero weight). All weights
 * 0: everything to part 0. The matmul regions that mix weight types share their time this
 * way, by flops. */
void sm_profile_split(uint64_t ns, const uint64_t *weight, size_t n, uint64_t *out);

/* Copies the non-empty cells (calls > 0) as entries: outside the blocks first, then block 0,
 * 1, ...; within a layer in sm_prof_op order. Writes at most @p cap and returns how many
 * there are. */
size_t sm_profile_copy(const sm_profile *p, sm_profile_entry *out, size_t cap);

#endif /* SM_PROFILE_H */
