/* SPDX-License-Identifier: MIT */
/* mem.h: the scheduler's memory, for the code that runs on it: its slab provider (to build a
 * context's arenas on the workers' nodes) and each worker's scratch arena (alloc/). */
#ifndef SM_SCHED_MEM_H
#define SM_SCHED_MEM_H

#include "alloc/arena.h"
#include "alloc/slab.h"
#include "smallmind.h"

/* The slab provider of @p s, over its topology (one pool per NUMA node); owned by @p s and
 * valid until sm_sched_free. Arenas built on it must be freed before the sched. */
sm_mem *sm_sched_mem(sm_sched *s);

/**
 * Worker @p worker's scratch arena (0 <= worker < n_workers): on that worker's node, created and
 * first touched by its pinned thread, capacity sm_sched_params.scratch_bytes. Only the thread
 * running as that worker may use it, that is inside a range body or task called with that
 * worker index; take with sm_arena_mark / sm_arena_alloc and give back with sm_arena_rewind
 * before the body returns, so the next body on the worker starts from the same position.
 * Owned by @p s. NULL for a bad index.
 */
sm_arena *sm_sched_scratch(sm_sched *s, int worker);

#endif /* SM_SCHED_MEM_H */
