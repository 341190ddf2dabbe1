/* SPDX-License-Identifier: MIT */
/* group.h: task groups (sm_task_group, parallel.h): spawn heterogeneous tasks, then join them.
 *
 * The common case, a task spawned and joined by the same worker with no thief asking for it,
 * is inline here: a spawn is a few stores into the worker's private deque part and its join a
 * compare and a decrement (deque.h). Everything else (root groups, full deques, stolen tasks)
 * goes to exec.c. */
#ifndef SM_SCHED_GROUP_H
#define SM_SCHED_GROUP_H

#include "internal.h"

/**
 * Opens a group on the calling worker, or a root region when called outside any task of @p s
 * (the calling thread becomes worker 0 until the matching wait; root regions of one sched are
 * serialized). Groups nest strictly: wait for a group before any group opened earlier on the
 * same thread.
 */
static inline void sm_task_group_init(sm_task_group *g, sm_sched *s)
{
    g->s = s;
    g->last = NULL;
    g->outer = NULL;
    sm_worker *w = sm_tls_worker;
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
    t->exec = sm_task_call_exec;
    t->u.call.fn = fn;
    t->u.call.arg = arg;
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    if (sm_deque_push(&g->w->dq, t, false)) {
        t->prev = g->last;
        g->last = t;
    } else {
        sm_task_call_exec(t, g->w);
    }
}

/**
 * Runs or waits for every task spawned in @p g, newest first, helping with other work while a
 * stolen one finishes. After it returns, all their effects are visible to the caller.
 */
static inline void sm_task_group_wait(sm_task_group *g)
{
    sm_worker *w = g->w;
    sm_deque *d = &w->dq;
    for (sm_task *t = g->last; t != NULL; t = t->prev) {
        if (d->head != d->split &&
            atomic_load_explicit(&d->slots[d->head - 1], memory_order_relaxed) == t) {
            d->head--;
            t->u.call.fn(t->u.call.arg, w->id);
            sm_count(&w->st.tasks_run, 1);
        } else {
            sm_task_join_slow(w, t);
        }
    }
    g->last = NULL;
    if (g->root)
        sm_task_group_close_root(g);
}

#endif /* SM_SCHED_GROUP_H */
