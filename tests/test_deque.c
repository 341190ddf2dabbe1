/* SPDX-License-Identifier: MIT */
/* test_deque.c: the Chase-Lev deque: single-thread semantics, then the owner pushing and
 * popping against 1-3 concurrent thieves with every item taken exactly once. */
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
    ck_assert_int_eq(sm_deque_init(&d, 6), SM_E_INVAL);
    ck_assert_int_eq(sm_deque_init(&d, 8), SM_OK);
    sm_deque_fini(&d);
}
END_TEST

START_TEST(test_deque_owner_is_lifo_thief_is_fifo)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 8), SM_OK);
    for (uintptr_t i = 0; i < 5; i++)
        ck_assert(sm_deque_push(&d, item(i)));
    void *x = NULL;
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 0); /* oldest */
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert_uint_eq(id_of(x), 1);
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 4); /* newest */
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 3);
    ck_assert_uint_eq(id_of(sm_deque_pop(&d)), 2);
    ck_assert_ptr_null(sm_deque_pop(&d));
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_EMPTY);
    ck_assert(sm_deque_looks_empty(&d));
    sm_deque_fini(&d);
}
END_TEST

START_TEST(test_deque_refuses_push_when_full)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 4), SM_OK);
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert(sm_deque_push(&d, item(i)));
    ck_assert(!sm_deque_push(&d, item(99)));
    /* A steal frees the oldest slot, so one more push fits and lands in the recycled slot. */
    void *x;
    ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
    ck_assert(sm_deque_push(&d, item(4)));
    ck_assert(!sm_deque_push(&d, item(99)));
    for (uintptr_t want = 4; want >= 1; want--)
        ck_assert_uint_eq(id_of(sm_deque_pop(&d)), want);
    ck_assert_ptr_null(sm_deque_pop(&d));
    sm_deque_fini(&d);
}
END_TEST

START_TEST(test_deque_wraps_around_many_times)
{
    sm_deque d;
    ck_assert_int_eq(sm_deque_init(&d, 4), SM_OK);
    uintptr_t next = 0, expect_steal = 0;
    /* Indices run far past the capacity: slots are reused modulo 4 throughout. */
    for (int round = 0; round < 1000; round++) {
        ck_assert(sm_deque_push(&d, item(next++)));
        ck_assert(sm_deque_push(&d, item(next++)));
        void *x;
        ck_assert_int_eq(sm_deque_steal(&d, &x), SM_STEAL_GOT);
        ck_assert_uint_eq(id_of(x), expect_steal);
        ck_assert_uint_eq(id_of(sm_deque_pop(&d)), next - 1);
        expect_steal = next;
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
    atomic_fetch_add_explicit(&r->taken[id], 1, memory_order_relaxed);
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

    uint64_t rng = 0x9E3779B97F4A7C15u * (uint64_t)(n_thieves + 1);
    long popped = 0;
    uintptr_t next = 0;
    while (next < N_ITEMS) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        unsigned burst = 1 + (unsigned)(rng % 8);
        for (unsigned k = 0; k < burst && next < N_ITEMS; k++) {
            if (!sm_deque_push(&r.d, item(next)))
                break; /* full: pop below makes room */
            next++;
        }
        unsigned pops = (unsigned)((rng >> 8) % 8);
        for (unsigned k = 0; k < pops; k++) {
            void *x = sm_deque_pop(&r.d);
            if (x == NULL)
                break;
            take(&r, x);
            popped++;
        }
    }
    void *x;
    while ((x = sm_deque_pop(&r.d)) != NULL) {
        take(&r, x);
        popped++;
    }
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
    tcase_add_test(single, test_deque_owner_is_lifo_thief_is_fifo);
    tcase_add_test(single, test_deque_refuses_push_when_full);
    tcase_add_test(single, test_deque_wraps_around_many_times);
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
