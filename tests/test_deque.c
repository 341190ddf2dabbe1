/* SPDX-License-Identifier: MIT */
/* test_deque.c: the split deque: single-thread semantics (private items, requests, publishing,
 * taking back), then the owner pushing and popping against 1-3 concurrent thieves with every
 * item taken exactly once. */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "sched/deque.h"
#include "sm_test.h"

/* Items are small integers disguised as pointers; 0 would read as "none". */
static void *item(uintptr_t i)
{
    return (void *)(i + 1);
}

static uintptr_t id_of(void *p)
{
    return (uintptr_t)p - 1;
}

START_TEST(test_deque_rejects_bad_capacity)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 0), SM_E_INVAL);
    ck_assert_int_eq(sm_deque_init(&d, 1), SM_E_INVAL);
    ck_assert_int_eq(sm_deque_init(&d, ((size_t)1 << 30) + 1), SM_E_INVAL);
    ck_assert_int_eq(sm_deque_init(&d, 6), SM_OK);
    sm_deque_fini(&d);
}
END_TEST

/* New items are private: a thief sees nothing until it has asked and the owner has answered,
 * and then gets the older half, oldest first. */
START_TEST(test_deque_private_until_asked_then_older_half)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 8), SM_OK);
    for (uintptr_t i = 0; i < 5; i++)
        ck_assert(sm_deque_push(&d, item(i), false));
    void *x = NULL;
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_EMPTY);
    ck_assert(!sm_deque_has_public(&d));
    ck_assert(!sm_deque_looks_empty(&d));
    sm_deque_poll(&d); /* answers the request: 3 of the 5 (rounded up) */
    ck_assert(sm_deque_has_public(&d));
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 0);
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 1);
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 4); /* private */
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 3); /* private */
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 2); /* public, taken back */
    ck_assert_ptr_null(sm_deque_pop(&d));
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

/* A request stands until answered: with nothing private it is answered by the next push. */
START_TEST(test_deque_request_answered_by_next_push)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 8), SM_OK);
    void *x = NULL;
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_EMPTY);
    sm_deque_poll(&d); /* nothing to give */
    ck_assert(sm_deque_push(&d, item(7), false));
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 7);
    /* Answered: the next push stays private. */
    ck_assert(sm_deque_push(&d, item(8), false));
    ck_assert(!sm_deque_has_public(&d));
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 8);
    ck_assert_ptr_null(sm_deque_pop(&d)); /* 7 was stolen */
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

/* An eager push publishes everything private at once, without a request. */
START_TEST(test_deque_public_push_publishes_all)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 8), SM_OK);
    ck_assert(sm_deque_push(&d, item(0), false));
    ck_assert(sm_deque_push(&d, item(1), false));
    ck_assert(sm_deque_push(&d, item(2), true));
    void *x;
    for (uintptr_t want = 0; want < 3; want++) {
        ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
        ck_assert_uint_eq(id_of(x), want);
    }
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_EMPTY);
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_null(sm_deque_pop(&d));
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

START_TEST(test_deque_refuses_push_when_full)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 4), SM_OK);
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert(sm_deque_push(&d, item(i), i == 0));
    ck_assert(!sm_deque_push(&d, item(99), false));
    /* Capacity bounds the depth: a stolen slot is free again only once the owner has joined
     * down to it, so a steal alone does not make room, and a pop does. */
    void *x;
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 0);
    ck_assert(!sm_deque_push(&d, item(99), false));
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 3);
    ck_assert(sm_deque_push(&d, item(4), false));
    for (uintptr_t want = 4; want >= 1; want--) {
        if (want == 3)
            continue;
        ck_assert_uint_eq(id_of(sm_deque_pop(&d)), want);
    }
    ck_assert_ptr_null(sm_deque_pop(&d)); /* slot 0: stolen */
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

/* Once everything public is stolen and joined, both ends restart low: a deque of capacity 4
 * serves any number of rounds. */
START_TEST(test_deque_restarts_after_everything_is_stolen)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 4), SM_OK);
    uintptr_t next = 0;
    for (int round = 0; round < 1000; round++) {
        ck_assert(sm_deque_push(&d, item(next++), false));
        ck_assert(sm_deque_push(&d, item(next++), true));
        void *x;
        ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
        ck_assert_uint_eq(id_of(x), next - 2);
        ck_assert_uint_eq(id_of(sm_deque_pop(&d)), next - 1);
        ck_assert_ptr_null(sm_deque_pop(&d));
    }
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

/* ---- concurrency ----------------------------------------------------------------------- */

enum { N_ITEMS = 1000000, CAPACITY = 256 };

typedef struct race {
    sm_deque d;
    atomic_uchar *taken; /* [N_ITEMS]: how many times each item was taken */
    atomic_int owner_done;
    atomic_long stolen;
    atomic_long lost_races;
} race;

static void take(race *r, void *x)
{
    uintptr_t id = id_of(x);
    ck_assert_uint_lt(id, N_ITEMS);
    /* release: the thief is done with the slot; pairs with the acquire load in owner_pop. */
    atomic_fetch_add_explicit(&r->taken[id], 1, memory_order_release);
}

static void *thief(void *arg)
{
    race *r = arg;
    long got = 0, lost = 0;
    for (;;) {
        void *x;
        sm_steal_result res = sm_deque_steal(&r->d, &x);
        if (res == SM_STEAL_GOT) {
            take(r, x);
            got++;
        } else if (res == SM_STEAL_LOST) {
            lost++;
        } else if (atomic_load_explicit(&r->owner_done, memory_order_acquire)) {
            break; /* the owner stopped pushing and the deque was seen empty afterwards */
        } else {
            /* Up to 4 threads share 2 CPUs here: a spinning thief would starve the owner. */
            sched_yield();
        }
    }
    atomic_fetch_add(&r->stolen, got);
    atomic_fetch_add(&r->lost_races, lost);
    return NULL;
}

/* Pops the newest slot. When a thief took it, waits until the thief has read the item before
 * the slot can be reused, as the scheduler's join waits for a stolen task (deque.h). Returns
 * 1 when the owner took the item itself. */
static int owner_pop(race *r, const uintptr_t *shadow)
{
    void *x = sm_deque_pop(&r->d);
    if (x != NULL) {
        ck_assert_uint_eq(id_of(x), shadow[r->d.head]);
        take(r, x);
        return 1;
    }
    while (atomic_load_explicit(&r->taken[shadow[r->d.head]], memory_order_acquire) == 0)
        sched_yield();
    return 0;
}

/* The owner pushes items in bursts of random size and pops a random share of them, so pops of
 * the last item race with steals often. */
START_TEST(test_deque_owner_and_thieves_take_every_item_once)
{
    int n_thieves = _i;
    race r;
    ck_assert_int_eq(sm_deque_init(&r.d, CAPACITY), SM_OK);
    r.taken = calloc(N_ITEMS, sizeof *r.taken);
    ck_assert_ptr_nonnull(r.taken);
    atomic_init(&r.owner_done, 0);
    atomic_init(&r.stolen, 0);
    atomic_init(&r.lost_races, 0);

    pthread_t th[3];
    for (int i = 0; i < n_thieves; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, thief, &r), 0);

    uintptr_t shadow[CAPACITY]; /* the item the owner pushed into each slot */
    uint64_t rng = 0x9E3779B97F4A7C15u * (uint64_t)(n_thieves + 1);
    long popped = 0;
    uintptr_t next = 0;
    while (next < N_ITEMS) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        unsigned burst = 1 + (unsigned)(rng % 8);
        for (unsigned k = 0; k < burst && next < N_ITEMS; k++) {
            /* Now and then an eager push, which publishes everything private. */
            uint32_t slot = r.d.head;
            if (!sm_deque_push(&r.d, item(next), (rng >> (k + 16)) % 16 == 0))
                break; /* full: pop below makes room */
            shadow[slot] = next++;
        }
        /* A pop consumes the newest slot whether it returns the item or reports it stolen,
         * as a join does; so the owner pops only while it has slots. */
        unsigned pops = (unsigned)((rng >> 8) % 8);
        for (unsigned k = 0; k < pops && r.d.head > 0; k++)
            popped += owner_pop(&r, shadow);
        if ((rng >> 40) % 4 == 0)
            sm_deque_poll(&r.d);
    }
    while (r.d.head > 0)
        popped += owner_pop(&r, shadow);
    /* release: pairs with the thieves' acquire load; they stop only after seeing it. */
    atomic_store_explicit(&r.owner_done, 1, memory_order_release);
    for (int i = 0; i < n_thieves; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);

    long once = 0;
    for (long i = 0; i < N_ITEMS; i++) {
        unsigned char n = atomic_load(&r.taken[i]);
        if (n != 1)
            ck_abort_msg("item %ld was taken %u times", i, (unsigned)n);
        once++;
    }
    ck_assert_int_eq(once, N_ITEMS);
    ck_assert_int_eq(popped + atomic_load(&r.stolen), N_ITEMS);
    /* Otherwise this would have tested the owner alone (about a third is stolen here). */
    ck_assert_int_gt(atomic_load(&r.stolen), 0);
    free(r.taken);
    sm_deque_fini(&r.d);
}
END_TEST

static Suite *deque_suite(void)
{
    Suite *s = suite_create("deque");
    TCase *single = tcase_create("single");
    tcase_add_test(single, test_deque_rejects_bad_capacity);
    tcase_add_test(single, test_deque_private_until_asked_then_older_half);
    tcase_add_test(single, test_deque_request_answered_by_next_push);
    tcase_add_test(single, test_deque_public_push_publishes_all);
    tcase_add_test(single, test_deque_refuses_push_when_full);
    tcase_add_test(single, test_deque_restarts_after_everything_is_stolen);
    suite_add_tcase(s, single);

    TCase *stress = tcase_create("stress");
    tcase_set_tags(stress, "stress");
    tcase_set_timeout(stress, 300);
    tcase_add_loop_test(stress, test_deque_owner_and_thieves_take_every_item_once, 1, 4);
    suite_add_tcase(s, stress);
    return s;
}

int main(void)
{
    return sm_test_run(deque_suite());
}
