/* SPDX-License-Identifier: MIT */
/* deque.h: a fixed-capacity Chase-Lev work-stealing deque of pointers (Chase and Lev,
 * SPAA'05), in C11 atomics without fences.
 *
 * Le, Pop, Cohen and Zappa Nardelli (PPoPP'13) give the weakest correct orders using
 * atomic_thread_fence. We use seq_cst operations in place of their two seq_cst fences instead:
 * (1) ThreadSanitizer does not model fences (gcc warns -Wtsan), so it would report the task
 * hand-off as a race and could not check this code at all; (2) on x86 it is cheaper: the
 * owner's seq_cst store is one xchg instead of mov + mfence, and the thief's seq_cst loads are
 * plain movs instead of an mfence. The property both versions provide is the same: the owner's
 * store of bottom and a thief's load of top (and the thief's load of top and then bottom) are
 * ordered in the single total order of seq_cst operations, so owner and thief cannot both miss
 * each other's update and take the same item.
 *
 * The owner pushes and pops at the bottom; thieves steal at the top, so they take the oldest
 * items, which lazy splitting makes the largest ranges. The ring never grows: a full deque
 * refuses the push and the caller runs the work inline, so there is no array to reclaim and no
 * "reload the array after resize" bug (cdschecker's chase-lev-deque-bugfix notes).
 *
 * The owner's operations are static inline because they sit on the spawn path, where a call
 * into another file would be a measurable part of a few-nanosecond spawn. */
#ifndef SM_SCHED_DEQUE_H
#define SM_SCHED_DEQUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smallmind.h"

/* The three outcomes of a steal: contention is not emptiness, and a thief that lost a race
 * should try the same victim again rather than conclude there is no work. */
typedef enum sm_steal_result {
    SM_STEAL_GOT = 0,   /* *item holds the stolen item */
    SM_STEAL_LOST = 1,  /* the victim had work but another thief or the owner took it first */
    SM_STEAL_EMPTY = 2, /* the victim had nothing to steal */
} sm_steal_result;

typedef struct sm_deque {
    /* Thieves CAS top; alone on its line so their traffic does not evict the owner's bottom. */
    _Alignas(64) _Atomic int64_t top;
    /* Written by the owner only, read by thieves. The ring pointer and mask never change after
     * init and share bottom's line, which every thief reads anyway. */
    _Alignas(64) _Atomic int64_t bottom;
    void *_Atomic *ring;
    int64_t mask; /* capacity - 1, capacity a power of two */
} sm_deque;

/* Allocates the ring for @p capacity items (a power of two >= 2). SM_E_INVAL, SM_E_NOMEM. */
sm_status sm_deque_init(sm_deque *d, size_t capacity);
void sm_deque_fini(sm_deque *d);

/* Any thread. */
sm_steal_result sm_deque_steal(sm_deque *d, void **item);

/* Owner only: adds @p item at the bottom. False when the deque is full. */
static inline bool sm_deque_push(sm_deque *d, void *item)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    /* acquire: pairs with the successful CAS of top in sm_deque_steal, so a slot a thief has
     * taken (and may still be reading) is never overwritten by the push below. */
    int64_t t = atomic_load_explicit(&d->top, memory_order_acquire);
    if (b - t > d->mask)
        return false;
    atomic_store_explicit(&d->ring[b & d->mask], item, memory_order_relaxed);
    /* release: publishes the slot, and everything the owner wrote to *item before the push,
     * to a thief; pairs with the seq_cst (hence acquire) load of bottom in sm_deque_steal. */
    atomic_store_explicit(&d->bottom, b + 1, memory_order_release);
    return true;
}

/* Owner only: removes the newest item. NULL when empty or when a thief took the last one. */
static inline void *sm_deque_pop(sm_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed) - 1;
    /* seq_cst store, then seq_cst load: the claim on slot b must be ordered before top is
     * read, or a thief that has not seen it could take the item the owner is about to take;
     * pairs with the seq_cst loads of top and then bottom in sm_deque_steal. */
    atomic_store_explicit(&d->bottom, b, memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&d->top, memory_order_seq_cst);
    if (t > b) {
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
        return NULL;
    }
    void *item = atomic_load_explicit(&d->ring[b & d->mask], memory_order_relaxed);
    if (t == b) {
        /* The last item: race the thieves for it on top. seq_cst: one total order with the
         * thieves' CAS on top, so exactly one of them wins it. */
        if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                     memory_order_relaxed))
            item = NULL;
        atomic_store_explicit(&d->bottom, b + 1, memory_order_relaxed);
    }
    return item;
}

/* Owner only, approximate: true when no item is waiting (thieves may change it at any time).
 * Lazy splitting asks it before offering work. */
static inline bool sm_deque_looks_empty(sm_deque *d)
{
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_relaxed);
    int64_t t = atomic_load_explicit(&d->top, memory_order_relaxed);
    return b <= t;
}

#endif /* SM_SCHED_DEQUE_H */
