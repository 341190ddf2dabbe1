/* SPDX-License-Identifier: MIT */
/* test_zero_alloc.c: the heap counters behind sm_sched_alloc_stats (jemalloc's per-thread
 * thread.allocatedp / thread.deallocatedp) and the zero-allocation property they prove: once
 * a first region has grown every worker's scratch, a region whose bodies take and rewind
 * scratch allocates 0 heap bytes on every worker thread. The whole program is skipped in the
 * malloc backend, which has no such counters.
 *
 * Nothing between two readings of the counters may allocate on a worker's thread, and Check's
 * assertions do (they report their position through a malloc'ed message), so every test reads
 * first and asserts afterwards. */
#include "config.h"

#include <stdio.h>

#ifdef SM_ARENA_JEMALLOC

#include <stdlib.h>
#include <string.h>

#include "sched/mem.h"
#include "sm_test.h"
#include "sm_test_region.h"

typedef struct heap {
    uint64_t allocated[SM_TEST_MAX_WORKERS], deallocated[SM_TEST_MAX_WORKERS];
    uint64_t grows[SM_TEST_MAX_WORKERS]; /* slabs each scratch arena took after start-up */
} heap;

static void read_heap(sm_sched *s, int n, heap *h)
{
    for (int w = 0; w < n; w++) {
        sm_alloc_stats st;
        memset(&st, 0, sizeof st);
        (void)sm_sched_alloc_stats(s, w, &st);
        h->allocated[w] = st.heap_allocated_bytes;
        h->deallocated[w] = st.heap_deallocated_bytes;
        h->grows[w] = st.scratch_grows;
    }
}

static sm_sched *make_sched(int n_threads)
{
    sm_sched *s = sm_test_make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL, 0);
    sm_alloc_stats as;
    ck_assert_int_eq(sm_sched_alloc_stats(s, 0, &as), SM_OK);
    ck_assert_msg(as.heap_counted == 1, "jemalloc build without per-thread counters");
    return s;
}

typedef struct work {
    sm_sched *s;
    size_t sizes[3]; /* what each body takes, nested */
    atomic_int failed;
} work;

/* An op tile's pattern: mark, take scratch (here three nested blocks, the largest beyond the
 * first slab so the warm-up must grow every arena), use it, rewind. */
static void scratch_body(sm_test_region *r, int worker)
{
    work *k = r->ctx;
    sm_arena *a = sm_sched_scratch(k->s, worker);
    sm_arena_pos pos = sm_arena_mark(a);
    for (int i = 0; i < 3; i++) {
        unsigned char *p = sm_arena_alloc(a, k->sizes[i], 0);
        if (p == NULL) {
            atomic_store(&k->failed, 1);
            break;
        }
        memset(p, i, k->sizes[i]);
    }
    sm_arena_rewind(a, pos);
}

/* The control: a body that allocates from the heap, which the counters must see. */
static void malloc_body(sm_test_region *r, int worker)
{
    (void)worker;
    work *k = r->ctx;
    unsigned char *p = malloc(k->sizes[0]);
    if (p == NULL) {
        atomic_store(&k->failed, 1);
        return;
    }
    memset(p, 1, k->sizes[0]);
    free(p);
}

/* Every worker thread took its first scratch slab itself: its own counter holds the slab,
 * which is far more than its other start-up allocations (the deque, the worker record). */
START_TEST(test_zero_alloc_scratch_taken_by_its_own_thread)
{
    int n = _i;
    sm_sched *s = make_sched(n);
    heap h;
    read_heap(s, n, &h);
    for (int w = 0; w < n; w++)
        ck_assert_msg(h.allocated[w] >= SM_SCHED_SCRATCH_FIRST_BYTES,
                      "worker %d's thread allocated only %llu bytes", w,
                      (unsigned long long)h.allocated[w]);
    sm_sched_free(s);
}
END_TEST

/* The counters are read across threads correctly: a region whose bodies call malloc shows the
 * bytes on every worker that ran a body (and so the zero test below can fail). */
START_TEST(test_zero_alloc_counters_see_worker_mallocs)
{
    int n = _i;
    sm_sched *s = make_sched(n);
    work k = {.s = s, .sizes = {100000, 0, 0}};
    sm_test_region r = {.n = n, .act = malloc_body, .ctx = &k};
    heap before, after;
    read_heap(s, n, &before);
    sm_test_region_run(s, &r);
    read_heap(s, n, &after);
    ck_assert_int_eq(atomic_load(&r.timed_out), 0);
    ck_assert_int_eq(atomic_load(&k.failed), 0);
    for (int w = 0; w < n; w++) {
        ck_assert_int_eq(atomic_load(&r.ran[w]), 1);
        ck_assert_msg(after.allocated[w] - before.allocated[w] >= 100000,
                      "worker %d: %llu bytes allocated, expected >= 100000", w,
                      (unsigned long long)(after.allocated[w] - before.allocated[w]));
        ck_assert_uint_ge(after.deallocated[w] - before.deallocated[w], 100000);
    }
    sm_sched_free(s);
}
END_TEST

/* After one warm-up region, regions whose bodies take and rewind scratch allocate nothing on
 * any worker thread, worker 0 (this thread) included. */
START_TEST(test_zero_alloc_after_warm_up)
{
    enum { ROUNDS = 5 };
    int n = _i;
    sm_sched *s = make_sched(n);
    work k = {.s = s, .sizes = {3000, 2 * SM_SCHED_SCRATCH_FIRST_BYTES, 70000}};
    sm_test_region r = {.n = n, .act = scratch_body, .ctx = &k};
    heap h0, h1, h2;
    int ran[ROUNDS][SM_TEST_MAX_WORKERS];
    int timed_out = 0;
    read_heap(s, n, &h0);
    sm_test_region_run(s, &r); /* warm-up: every arena grows */
    timed_out |= atomic_load(&r.timed_out);
    read_heap(s, n, &h1);
    for (int round = 0; round < ROUNDS; round++) {
        sm_test_region_run(s, &r);
        timed_out |= atomic_load(&r.timed_out);
        for (int w = 0; w < n; w++)
            ran[round][w] = atomic_load(&r.ran[w]);
    }
    read_heap(s, n, &h2);

    ck_assert_int_eq(timed_out, 0);
    ck_assert_int_eq(atomic_load(&k.failed), 0);
    for (int w = 0; w < n; w++) {
        for (int round = 0; round < ROUNDS; round++)
            ck_assert_msg(ran[round][w] == 1, "round %d: worker %d ran %d bodies", round, w,
                          ran[round][w]);
        /* The warm-up did allocate, on the worker's own thread: the counters are live. */
        ck_assert_msg(h1.allocated[w] - h0.allocated[w] >= 2 * SM_SCHED_SCRATCH_FIRST_BYTES,
                      "worker %d: warm-up allocated %llu bytes", w,
                      (unsigned long long)(h1.allocated[w] - h0.allocated[w]));
        ck_assert_msg(h2.allocated[w] == h1.allocated[w],
                      "worker %d allocated %llu heap bytes after warm-up", w,
                      (unsigned long long)(h2.allocated[w] - h1.allocated[w]));
        ck_assert_msg(h2.deallocated[w] == h1.deallocated[w],
                      "worker %d freed %llu heap bytes after warm-up", w,
                      (unsigned long long)(h2.deallocated[w] - h1.deallocated[w]));
        ck_assert_uint_ge(h1.grows[w], 1);
        ck_assert_uint_eq(h2.grows[w], h1.grows[w]);
    }
    sm_sched_free(s);
}
END_TEST

static Suite *zero_alloc_suite(void)
{
    Suite *s = suite_create("zero_alloc");
    TCase *tc = tcase_create("heap");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_zero_alloc_scratch_taken_by_its_own_thread, 1, 5);
    tcase_add_loop_test(tc, test_zero_alloc_counters_see_worker_mallocs, 1, 5);
    tcase_add_loop_test(tc, test_zero_alloc_after_warm_up, 1, 5);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(zero_alloc_suite());
}

#else /* the malloc backend */

int main(void)
{
    printf("1..0 # SKIP per-thread heap counters need the jemalloc backend; this build was "
           "configured --with-arena-backend=malloc\n");
    return 0;
}

#endif
