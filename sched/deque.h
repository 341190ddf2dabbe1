/* SPDX-License-Identifier: MIT */
/* deque.h: a fixed-capacity split work-stealing deque of pointers: an owner-private part that
 * the owner pushes and pops with no atomic read-modify-write and no fence, and a public part
 * that thieves steal from, grown by the owner only when a thief asks for work.
 *
 * Why split. A Chase-Lev deque (Chase and Lev, SPAA'05; Le et al., PPoPP'13) makes every pop
 * order its claim of the bottom slot before its read of top: a seq_cst store (an xchg on x86,
 * about 20 cycles) on every join, even when no thief is looking. We measured 17.6 ns per
 * spawn+join that way (perf/README.md). Lace (van Dijk and van de Pol, Euro-Par'14) showed the
 * fix: keep new items private, and let a thief that finds nothing public raise a flag that the
 * owner checks when it pushes, pops or polls; only then does the owner publish (the older half
 * of) its private items. A pop of a private item is then a plain decrement.
 *
 * Layout of the slots, by index: [0, tail) were stolen (or taken back), [tail, split) are
 * public (a thief claims slot tail by advancing tail with a CAS), [split, head) are private.
 * tail and split share one atomic word, so a thief's claim fails whenever the owner moved split
 * concurrently, and the owner's changes to split fail whenever a thief moved tail. Only the owner
 * moves split and head, so it keeps copies of both. The array never grows: a full deque refuses
 * the push and the caller runs the work inline, so there is nothing to reclaim.
 *
 * A thief reads a slot only after its CAS has claimed it. The owner rewrites a slot only after
 * joining the item that was in it, which waits for the thief to have run it (the caller's join),
 * so the slot cannot change under the thief, and an ABA on the (tail, split) word only ever
 * hands out an item that is public at that moment. */
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
    SM_STEAL_EMPTY = 2, /* the victim had nothing public to steal (it has been asked for more) */
} sm_steal_result;

typedef struct sm_deque {
    /* tail in the low 32 bits, split in the high 32: the only word thieves write, on its line. */
    _Alignas(64) _Atomic uint64_t ts;
    /* Raised by a thief that found the public part empty; cleared by the owner when it
     * publishes. Its own line: the owner reads it on every push, thieves write it rarely. */
    _Alignas(64) atomic_int wanted;
    /* Owner-private from here on. */
    _Alignas(64) uint32_t head; /* next free slot */
    uint32_t split;             /* the owner's copy of the split half of ts */
    uint32_t capacity;
    void *_Atomic *slots; /* [capacity], on lines of their own */
} sm_deque;

static inline uint64_t sm_deque_pack(uint32_t tail, uint32_t split)
{
    return (uint64_t)split << 32 | tail;
}

/* Allocates the slots for @p capacity items (2 .. 2^30). SM_E_INVAL, SM_E_NOMEM. */
sm_status sm_deque_init(sm_deque *d, size_t capacity);
void sm_deque_fini(sm_deque *d);

/* Any thread but the owner. On SM_STEAL_EMPTY it asks the owner to publish more. */
sm_steal_result sm_deque_steal(sm_deque *d, void **item);

/* Any thread, approximate: true when some item is public and not yet stolen. */
static inline bool sm_deque_has_public(sm_deque *d)
{
    uint64_t v = atomic_load_explicit(&d->ts, memory_order_relaxed);
    return (uint32_t)v < (uint32_t)(v >> 32);
}

/* Owner only: makes the older half of the private items (at least one) public, or all of them
 * when @p all. Out of line: it runs only when a thief asked, or for an eager offer. */
void sm_deque_publish(sm_deque *d, bool all);

/* Owner only: the slow half of sm_deque_pop, for an item in the public part. */
void *sm_deque_pop_public(sm_deque *d);

/* Owner only: publishes if a thief asked for work. Call it where the owner may run for a while
 * without pushing or popping (between the pieces of a range, while waiting for a join). */
static inline void sm_deque_poll(sm_deque *d)
{
    if (atomic_load_explicit(&d->wanted, memory_order_relaxed) && d->head != d->split)
        sm_deque_publish(d, false);
}

/* Owner only: adds @p item at the private end, publishing it at once if a thief is waiting
 * (or if @p public_now: eager offers that must be visible without a request). False when the
 * deque is full. */
static inline bool sm_deque_push(sm_deque *d, void *item, bool public_now)
{
    if (d->head == d->capacity)
        return false;
    atomic_store_explicit(&d->slots[d->head], item, memory_order_relaxed);
    d->head++;
    if (public_now || atomic_load_explicit(&d->wanted, memory_order_relaxed))
        sm_deque_publish(d, public_now);
    return true;
}

/* Owner only: removes the newest item. NULL when empty or when a thief took it. */
static inline void *sm_deque_pop(sm_deque *d)
{
    if (d->head == d->split)
        return d->head == 0 ? NULL : sm_deque_pop_public(d);
    d->head--;
    return atomic_load_explicit(&d->slots[d->head], memory_order_relaxed);
}

/* Owner only, approximate: true when no item is waiting, private or public. Lazy splitting
 * asks it before offering more work. */
static inline bool sm_deque_looks_empty(sm_deque *d)
{
    return d->head == d->split && !sm_deque_has_public(d);
}

#endif /* SM_SCHED_DEQUE_H */
