/* SPDX-License-Identifier: MIT */
/* internal.h: the scheduler's private structures, shared by sched.c (lifecycle) and exec.c
 * (running tasks). Nothing outside sched/ includes it. */
#ifndef SM_SCHED_INTERNAL_H
#define SM_SCHED_INTERNAL_H

#include <hwloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "deque.h"
#include "parallel.h"
#include "plan.h"

/* Items per deque. Lazy splitting pushes at most one item per halving per nested frame, and
 * task groups one per spawn still pending, so 1024 is generous; a full deque only means the
 * work runs inline. */
#define SM_DEQUE_CAPACITY 1024

/* Counters are written by their worker only (load + store, no locked RMW) and read by anyone. */
typedef struct sm_worker_counters {
    _Atomic uint64_t tasks_run, steals_local, steals_remote, steals_failed, sleeps, busy_ns;
} sm_worker_counters;

typedef struct sm_worker {
    sm_deque dq; /* first: its top and bottom lines are the only ones thieves touch */
    /* Owner-private from here on, on lines of their own. */
    _Alignas(64) struct sm_sched *s;
    int id;
    int n_victims, n_local;
    const int *victims;  /* the plan's victim order: nearest first */
    uint32_t seen_epoch; /* the sched's epoch when this worker last looked; see park() */
    /* Memory (alloc/): scratch on the worker's node, created and first touched by its own
     * pinned thread; its thread's jemalloc heap counters (NULL in the malloc backend). */
    struct sm_arena *scratch;
    const uint64_t *heap_allocated, *heap_deallocated;
    _Alignas(64) sm_worker_counters st;
} sm_worker;

typedef struct sm_sched {
    int n_workers;
    sm_worker **w;      /* [n_workers]; each allocated by its own (pinned) thread: first touch */
    pthread_t *threads; /* [n_workers]; threads[0] unused: worker 0 is the caller */
    sm_plan *plan;
    hwloc_topology_t topo;
    hwloc_bitmap_t saved_binding; /* the creating thread's binding before it became worker 0 */
    sm_pinning pinning;
    int64_t spin_ns;           /* idle spin before parking; 0 when oversubscribed */
    int oversubscribed;        /* more workers than CPUs: never spin, yield while joining */
    pthread_mutex_t root_lock; /* serializes root regions */
    char topology[256];

    /* Start-up handshake: each thread reports its binding and allocation, then waits for go. */
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    int n_reported, go, start_failed;
    int first_bind_err, n_bind_failed;

    /* Parking. epoch is the futex word: bumped whenever work appears that sleepers must see
     * (a root region starts, the sched stops). Alone on its line: workers read it rarely. */
    _Alignas(64) _Atomic uint32_t epoch;
    _Alignas(64) _Atomic int n_sleeping;
    _Atomic int stop;
    _Atomic int in_region; /* a root region is running: parked workers sleep with a timeout */

    /* Memory, read-only after create: the slab provider over topo, and the capacity of each
     * worker's scratch arena. */
    _Alignas(64) struct sm_mem *mem;
    size_t scratch_bytes;
} sm_sched;

/* The worker the calling thread is acting as (NULL outside any sched). Set for the life of a
 * worker thread, and for the duration of a root region on the thread that started it. */
extern _Thread_local sm_worker *sm_tls_worker;

/* Runs a worker thread's steal-run-park loop until the sched stops (exec.c). */
void sm_worker_loop(sm_worker *w);

/* Makes parked workers look for work again (exec.c). */
void sm_sched_wake(sm_sched *s);

#endif /* SM_SCHED_INTERNAL_H */
