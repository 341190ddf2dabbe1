/* SPDX-License-Identifier: MIT */
/* deque.c: the thief's side of the Chase-Lev deque, and its ring allocation. */
#include "config.h"

#include "deque.h"

#include <stdlib.h>

sm_status sm_deque_init(sm_deque *d, size_t capacity)
{
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || capacity > ((size_t)1 << 30))
        return SM_E_INVAL;
    /* Its own lines: slots written by the owner must not share a line with anything else.
     * C11 aligned_alloc wants a size that is a multiple of the alignment (TSan enforces it). */
    size_t bytes = (capacity * sizeof(void *) + 63) & ~(size_t)63;
    void *_Atomic *ring = aligned_alloc(64, bytes);
    if (ring == NULL)
        return SM_E_NOMEM;
    for (size_t i = 0; i < capacity; i++)
        atomic_init(&ring[i], NULL);
    atomic_init(&d->top, 0);
    atomic_init(&d->bottom, 0);
    d->ring = ring;
    d->mask = (int64_t)capacity - 1;
    return SM_OK;
}

void sm_deque_fini(sm_deque *d)
{
    free(d->ring);
    d->ring = NULL;
}

sm_steal_result sm_deque_steal(sm_deque *d, void **item)
{
    /* seq_cst load of top, then seq_cst load of bottom: top must be read first; pairs with the
     * owner's seq_cst store of bottom and load of top in sm_deque_pop (otherwise owner and
     * thief could both take the same item). Both loads are also acquires: top's pairs with the
     * CAS of other thieves, bottom's with the release store of bottom in sm_deque_push, which
     * makes the slot and the item's contents visible here. */
    int64_t t = atomic_load_explicit(&d->top, memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&d->bottom, memory_order_seq_cst);
    if (t >= b)
        return SM_STEAL_EMPTY;
    /* Read before the CAS: once top moves past t the owner may reuse the slot. If it already
     * has, top has moved and the CAS below fails, discarding this read. */
    void *x = atomic_load_explicit(&d->ring[t & d->mask], memory_order_relaxed);
    /* seq_cst: one total order with the owner's CAS in sm_deque_pop for the last item. */
    if (!atomic_compare_exchange_strong_explicit(&d->top, &t, t + 1, memory_order_seq_cst,
                                                 memory_order_relaxed))
        return SM_STEAL_LOST;
    *item = x;
    return SM_STEAL_GOT;
}
