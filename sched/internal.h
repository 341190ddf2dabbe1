/* SPDX-License-Identifier: MIT */
/* internal.h: the scheduler's private structures, shared by sched.c (lifecycle) and exec.c
 * (running tasks). Nothing outside sched/ includes it. */
#ifndef SM_SCHED_INTERNAL_H
#define SM_SCHED_INTERNAL_H

#include <hwloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "deque.h"
#include "parallel.h"
#include "plan.h"

/* Items per deque. Lazy splitting pushes at most one item per halving per nested frame, and
 * task groups one per spawn still pending, so 1024 is generous; a full deque only means the
 * work runs inline. */
#define SM_DEQUE_CAPACITY 1024

/* A range being run: the body, its context, and how finely to split it (exec.c). */
struct sm_range_job {
    sm_range_fn fn;
    void *ctx;
    size_t grain;
    size_t eager; /* ranges longer than this are offered even when the deque is not empty */
};

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
    uint64_t seen_epoch; /* the sched's epoch when this worker last looked; see park() */
    /* Memory (alloc/): scratch on the worker's node, created and first touched by its own
     * pinned thread; its thread's jemalloc heap counters (NULL in the malloc backend). */
    struct sm_arena *scratch;
    const uint64_t *heap_allocated, *heap_deallocated;
    /* Piece `id` of a root range (see sm_sched.region): the epoch of the last region whose
     * piece was claimed (CAS, normally by this worker, by another when this one is late) and
     * finished. Written by whoever runs the piece; read by worker 0 while it joins the region. */
    _Alignas(64) _Atomic uint64_t piece_claimed;
    /* Its own line: worker 0 polls it while the piece runs, and must not pull the claim's line
     * away from the worker that is about to CAS it. */
    _Alignas(64) _Atomic uint64_t piece_finished;
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
    int64_t spin_ns;    /* idle spin before parking; 0 when oversubscribed */
    int oversubscribed; /* more workers than CPUs: never spin, yield while joining */
    /* Serializes root regions. On a line of its own: worker 0 writes it twice per root
     * region, and idle workers read the fields above (w, oversubscribed, spin_ns) on every
     * steal round. Sharing their line, each lock and unlock waited for it to come back: 340 of
     * the 800 ticks (2.3 GHz) from a 2-piece region's call to worker 0's chunk, against 70 for
     * the same lock alone (time-stamp counter probes, medians of 200000 regions). */
    _Alignas(64) pthread_mutex_t root_lock;
    _Alignas(64) char topology[256];

    /* Start-up handshake: each thread reports its binding and allocation, then waits for go. */
    pthread_mutex_t start_mu;
    pthread_cond_t start_cv;
    int n_reported, go, start_failed;
    int first_bind_err, n_bind_failed;

    /* The root region line: everything an idle worker reads to join a root range, so seeing
     * one costs a single cache-line transfer. region packs the epoch (low 48 bits; its low 32
     * are the futex word parked workers sleep on) with the number of pieces of the root range
     * published with it (high 16 bits, 0 for a wake-up without a range), so a worker reads
     * both in one load and cannot pair an epoch with another region's piece count; 48 bits do
     * not wrap in years of regions, so epochs only grow and claims compare with <. The
     * epoch is bumped whenever work appears that idle workers must see: a root range (its
     * pieces are claimed through sm_worker.piece_claimed), a root task group, the sched
     * stopping. The range itself follows: written by worker 0 before the region word, read by
     * a worker only after it has claimed a piece, which proves the region is still running. */
    _Alignas(64) _Atomic uint64_t region;
    _Atomic int stop; /* read on every idle iteration, written once: it rides on this line */
    struct sm_range_job root_job;
    size_t root_begin, root_end;
    /* Written by worker 0 at every root region; read by workers only when they park. */
    _Alignas(64) _Atomic int n_sleeping;
    _Atomic int in_region; /* a root region is running: parked workers sleep with a timeout */

    /* Memory, read-only after create: the slab provider over topo, and the capacity of each
     * worker's scratch arena. */
    _Alignas(64) struct sm_mem *mem;
    size_t scratch_bytes;
} sm_sched;

/* The worker the calling thread is acting as (NULL outside any sched). Set for the life of a
 * worker thread, and for the duration of a root region on the thread that started it.
 * initial-exec: the library is linked, not dlopen'ed, by its users, and this makes the access
 * a single %fs-relative load instead of a __tls_get_addr call on every spawn. */
#define SM_TLS_MODEL __attribute__((tls_model("initial-exec")))
extern _Thread_local sm_worker *sm_tls_worker SM_TLS_MODEL;

/* Adds to a counter of the calling worker's own: a load and a store, no locked RMW, since
 * only its worker writes it (readers may see a slightly old value). */
static inline void sm_count(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

/* Task groups' and forks' out-of-line halves (exec.c); the inline halves are in group.h. */
void sm_task_group_open_root(sm_task_group *g, sm_sched *s);
void sm_task_group_close_root(sm_task_group *g);

/* The join of t when it is not w's newest private item: it ran at its fork, or it is public
 * (taken back if no thief has it), or stolen (waited for, running other work meanwhile).
 * True when the caller must run it, as for sm_task_join. */
bool sm_task_join_slow(sm_worker *w, sm_task *t);

/* Runs a worker thread's steal-run-park loop until the sched stops (exec.c). */
void sm_worker_loop(sm_worker *w);

/* Makes idle and parked workers look for work again (exec.c): bumps the epoch with no pieces.
 * The caller must be the only one publishing (it holds root_lock, or no region can run). */
void sm_sched_wake(sm_sched *s);

#endif /* SM_SCHED_INTERNAL_H */
