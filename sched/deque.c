/* SPDX-License-Identifier: MIT */
/* deque.c: the split deque's slow paths: a thief's steal, the owner's publishing and its pop of
 * a public item, and the slot allocation. The reasoning is in deque.h. */
#include "config.h"

#include "deque.h"

#include <stdlib.h>

sm_status sm_deque_init(sm_deque *d, size_t capacity)
{
    if (capacity < 2 || capacity > ((size_t)1 << 30))
        return SM_E_INVAL;
    /* Slots on lines of their own. C11 aligned_alloc wants a size that is a multiple of the
     * alignment (TSan enforces it). */
    size_t bytes = (capacity * sizeof(void *) + 63) & ~(size_t)63;
    void *_Atomic *slots = aligned_alloc(64, bytes);
    if (slots == NULL)
        return SM_E_NOMEM;
    for (size_t i = 0; i < capacity; i++)
        atomic_init(&slots[i], NULL);
    atomic_init(&d->ts, sm_deque_pack(0, 0));
    atomic_init(&d->wanted, 0);
    d->head = 0;
    d->split = 0;
    d->capacity = (uint32_t)capacity;
    d->slots = slots;
    return SM_OK;
}

void sm_deque_fini(sm_deque *d)
{
    free(d->slots);
    d->slots = NULL;
}

sm_steal_result sm_deque_steal(sm_deque *d, void **item)
{
    uint64_t v = atomic_load_explicit(&d->ts, memory_order_relaxed);
    uint32_t t = (uint32_t)v, s = (uint32_t)(v >> 32);
    if (t >= s) {
        /* Ask once; a store on every failed attempt would bounce the line the owner reads on
         * every push. */
        if (!atomic_load_explicit(&d->wanted, memory_order_relaxed))
            atomic_store_explicit(&d->wanted, 1, memory_order_relaxed);
        return SM_STEAL_EMPTY;
    }
    /* acquire on success: pairs with the release CAS in sm_deque_publish (the other CASes on ts
     * are read-modify-writes, so they continue its release sequence): the slot, and what the
     * owner wrote to the item before pushing it, are visible below. */
    if (!atomic_compare_exchange_strong_explicit(&d->ts, &v, sm_deque_pack(t + 1, s),
                                                 memory_order_acquire, memory_order_relaxed))
        return SM_STEAL_LOST;
    *item = atomic_load_explicit(&d->slots[t], memory_order_relaxed);
    return SM_STEAL_GOT;
}

void sm_deque_publish(sm_deque *d, bool all)
{
    uint32_t n_private = d->head - d->split;
    if (n_private == 0)
        return; /* leave the request standing: the next push answers it */
    uint32_t split = all ? d->head : d->split + (n_private + 1) / 2;
    /* Cleared before publishing: a thief that then finds the public part empty again asks
     * again, so no request is lost (at worst one is answered twice). */
    atomic_store_explicit(&d->wanted, 0, memory_order_relaxed);
    uint64_t v = atomic_load_explicit(&d->ts, memory_order_relaxed);
    /* release: publishes the slots [old split, split) and the items they point to; pairs with
     * the acquire CAS in sm_deque_steal. The loop only retries when a thief moved tail. */
    while (!atomic_compare_exchange_weak_explicit(&d->ts, &v, sm_deque_pack((uint32_t)v, split),
                                                  memory_order_release, memory_order_relaxed)) {
    }
    d->split = split;
}

void *sm_deque_pop_public(sm_deque *d)
{
    uint32_t h = d->head - 1; /* the newest item, the last public one: split == head */
    uint64_t v = atomic_load_explicit(&d->ts, memory_order_relaxed);
    for (;;) {
        uint32_t t = (uint32_t)v;
        if (t > h) {
            /* A thief took it, and with it every public item (t == split == h + 1). Nobody can
             * change ts while it is empty, so a plain store restarts both ends at h. */
            atomic_store_explicit(&d->ts, sm_deque_pack(h, h), memory_order_relaxed);
            d->head = d->split = h;
            return NULL;
        }
        /* Take slot h back by moving split below it. Relaxed: the CAS only has to be atomic
         * against the thieves' CAS on the same word (exactly one of them gets slot h); the
         * owner wrote the slot itself, so there is nothing to acquire. */
        if (atomic_compare_exchange_weak_explicit(&d->ts, &v, sm_deque_pack(t, h),
                                                  memory_order_relaxed, memory_order_relaxed)) {
            d->head = d->split = h;
            return atomic_load_explicit(&d->slots[h], memory_order_relaxed);
        }
    }
}
