/* SPDX-License-Identifier: MIT */
/* group.h: task groups and bare fork-join pairs (parallel.h): spawn heterogeneous tasks, then
 * join them.
 *
 * The common case, a task forked and joined by the same worker with no thief asking for it,
 * is inline here: a fork is a few stores into the worker's private deque part and its join a
 * compare and a decrement (deque.h). Everything else (root groups, full deques, stolen tasks)
 * goes to exec.c.
 *
 * Two interfaces over the same deque. A group (init, spawn, wait) takes any number of tasks
 * and runs what nobody stole through its function pointer. A bare fork-join pair is for
 * recursive parallelism, where spawns are so fine that their overhead is the cost: the join
 * tells the caller to run the task itself, so it calls the function directly (inlinable, no
 * indirect branch) and keeps no group record per level. fib(32) measured both ways on one
 * thread: perf/README.md, "Scheduler comparison". */
#ifndef SM_SCHED_GROUP_H
#define SM_SCHED_GROUP_H

#include <stdbool.h>

#include "internal.h"

/**
 * The worker the calling thread acts as, on any sched, or NULL outside tasks and root regions.
 * A task body (or a range body) passes it to sm_task_fork.
 */
static inline struct sm_worker *sm_task_self(void)
{
    return sm_tls_worker;
}

/**
 * Offers fn(arg, worker) to thieves as the newest task of @p w, which must be the calling
 * thread's worker (sm_task_self()). @p t is untouched by the caller until sm_task_join(w, t),
 * which must come before the join of any earlier fork of the same worker. When the deque is
 * full the task runs at once, here.
 */
static inline void sm_task_fork(struct sm_worker *w, sm_task *t, sm_task_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    if (__builtin_expect(!sm_deque_push(&w->dq, t, false), 0)) {
        fn(arg, w->id);
        sm_count(&w->st.tasks_run, 1);
        t->fn = NULL; /* tells the join it already ran */
    }
}

/**
 * Ends the fork of @p t. True when nobody took it: it is back in the caller's hands and the
 * caller must run it now (fn(arg, ...), or anything with the same effect). False when it has
 * run elsewhere (a thief, or the fork itself); its effects are then visible to the caller.
 * While a thief runs it, the join runs other work.
 */
static inline bool sm_task_join(struct sm_worker *w, sm_task *t)
{
    sm_deque *d = &w->dq;
    uint32_t h = d->head - 1;
    /* Expected: taken back by nearly every join of a recursion. As a store of h (not a
     * decrement of head), it does not wait for the last store to head to reach the load. */
    if (__builtin_expect(d->head != d->split &&
                             atomic_load_explicit(&d->slots[h], memory_order_relaxed) == t,
                         1)) {
        d->head = h;
        sm_count(&w->st.tasks_run, 1);
        return true;
    }
    return sm_task_join_slow(w, t);
}

/**
 * Opens a group on the calling worker, or a root region when called outside any task of @p s
 * (the calling thread becomes worker 0 until the matching wait; root regions of one sched are
 * serialized). Groups nest strictly: wait for a group before any group opened earlier on the
 * same thread.
 */
static inline void sm_task_group_init(sm_task_group *g, sm_sched *s)
{
    sm_worker *w = sm_tls_worker;
    g->last = NULL;
    if (w != NULL && w->s == s) {
        g->w = w;
        g->root = 0;
    } else {
        sm_task_group_open_root(g, s);
    }
}

/**
 * Offers fn(arg, worker) to the group's workers. @p t is the task's storage, provided by the
 * caller (typically on its stack) and untouched by it until the group's wait returns. When the
 * deque is full the task runs at once, inline.
 */
static inline void sm_task_spawn(sm_task_group *g, sm_task *t, sm_task_fn fn, void *arg)
{
    sm_task_fork(g->w, t, fn, arg);
    t->prev = g->last;
    g->last = t;
}

/**
 * Runs or waits for every task spawned in @p g, newest first, helping with other work while a
 * stolen one finishes. After it returns, all their effects are visible to the caller.
 */
static inline void sm_task_group_wait(sm_task_group *g)
{
    sm_worker *w = g->w;
    /* By the pointers the spawns kept: walking the slots instead (the group's tasks are the
     * slots above its first), each task's arguments would wait for the loads of head and of
     * its slot, and those for the stores the previous task's own spawns made. On a recursion
     * that chain through head cost 9 ns per spawn against 7.6 (fib, one thread). */
    for (sm_task *t = g->last; t != NULL; t = t->prev) {
        if (sm_task_join(w, t))
            t->fn(t->arg, w->id);
    }
    if (g->root)
        sm_task_group_close_root(g);
}

#endif /* SM_SCHED_GROUP_H */
