/* SPDX-License-Identifier: MIT */
/* parallel.h: the internal parallel API over an sm_sched: parallel ranges and task groups.
 *
 * Execution model. Every region runs on the sched's workers by work stealing: a worker runs its
 * own tasks newest-first and thieves take the oldest (largest) ones. Regions and groups may nest
 * to any depth inside tasks. A region started outside any task (a "root" region) makes the
 * calling thread worker 0 for its duration; root regions of one sched are serialized.
 * Nothing here allocates: tasks live in the caller's stack frame until they are joined. */
#ifndef SM_SCHED_PARALLEL_H
#define SM_SCHED_PARALLEL_H

#include <stdatomic.h>
#include <stddef.h>

#include "smallmind.h"

struct sm_worker;

/**
 * A range body: process indices [begin, end), on worker @p worker (0 <= worker < n_workers;
 * use it to pick per-worker scratch). Called on disjoint subranges that together cover the
 * region's range exactly once, each at most grain long.
 */
typedef void (*sm_range_fn)(void *ctx, size_t begin, size_t end, int worker);

/**
 * Runs @p fn over [begin, end) on the sched's workers and returns when every index is done.
 *
 * Lazy binary splitting: the running worker processes its range grain by grain from the front,
 * and only when its own deque is empty (a thief took everything it offered) does it offer the
 * upper half of what remains. Thieves therefore take the largest ranges, and a region nobody
 * steals from costs one deque push and pop in total.
 *
 * @param grain the largest subrange one call of fn gets; 0 chooses one that gives each worker
 *              about 4 pieces.
 * Safe to call from inside a task (nesting). Never fails: when a deque is full the work runs
 * inline instead.
 */
void sm_parallel_for(sm_sched *s, size_t begin, size_t end, size_t grain, sm_range_fn fn,
                     void *ctx);

/* A heterogeneous task: fn(arg, worker). */
typedef void (*sm_task_fn)(void *arg, int worker);

/**
 * Storage for one spawned task, provided by the caller (typically on its stack) and untouched
 * by the caller between the spawn (or fork) and the wait (or join) that ends it. Fields are
 * private to sched/.
 *
 * Every task is a call fn(arg, worker): a thief runs exactly that, so there is no second
 * indirection and nothing else to set per spawn (a range piece points arg at its own task). */
typedef struct sm_task {
    sm_task_fn fn;
    void *arg;
    atomic_int done;      /* set (release) by a thief once it has run the task */
    struct sm_task *prev; /* a group's previous spawn: its wait walks them newest first */
    /* A range piece's bounds (exec.c); unused by task groups and forks. */
    const struct sm_range_job *job;
    size_t begin, end;
} sm_task;

/**
 * A set of tasks joined together. Groups nest strictly: a group must be waited for before any
 * group created earlier on the same thread. Fields are private to sched/.
 */
typedef struct sm_task_group {
    struct sm_worker *w;     /* the worker that owns the group's tasks */
    struct sm_task *last;    /* the newest spawn; each links to the one before */
    int root;                /* this group opened a root region (see the header comment) */
    sm_sched *s;             /* for a root group: the sched to leave */
    struct sm_worker *outer; /* for a root group: the calling thread's worker before it */
} sm_task_group;

/* The group operations (sm_task_group_init, sm_task_spawn, sm_task_group_wait) and the bare
 * fork-join pair (sm_task_fork, sm_task_join, sm_task_self) are static inline in sched/group.h:
 * a spawn and its join are a few nanoseconds, and a call into exec.c for each was a third of
 * that. */

/* The index of the worker running the calling thread on @p s, or -1 outside its tasks. */
int sm_sched_current_worker(const sm_sched *s);

#endif /* SM_SCHED_PARALLEL_H */
