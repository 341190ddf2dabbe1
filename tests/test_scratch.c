/* SPDX-License-Identifier: MIT */
/* test_scratch.c: the scheduler's memory (sched/sched.c with alloc/): one scratch arena per
 * worker on that worker's node, used from range bodies with mark/rewind; exhaustion inside a
 * region; sm_sched_alloc_stats. The heap counters have their own program, test_zero_alloc. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "alloc/membind.h"
#include "sched/mem.h"
#include "sm_test.h"
#include "sm_test_region.h"

/* What each worker's piece took from its scratch, recorded for checks after the region. */
typedef struct take {
    sm_sched *s;
    size_t size;
    void *got[SM_TEST_MAX_WORKERS];
    atomic_int foreign; /* a body found no arena for its worker */
} take;

/* Takes size bytes, writes them, and rewinds: the pattern every op tile follows. */
static void take_and_rewind(sm_test_region *r, int worker)
{
    take *t = r->ctx;
    sm_arena *a = sm_sched_scratch(t->s, worker);
    if (a == NULL) {
        atomic_store(&t->foreign, 1);
        return;
    }
    sm_arena_pos pos = sm_arena_mark(a);
    unsigned char *p = sm_arena_alloc(a, t->size, 0);
    if (p != NULL)
        memset(p, worker + 1, t->size);
    t->got[worker] = p;
    sm_arena_rewind(a, pos);
}

static void run_takes(sm_sched *s, take *t, int n)
{
    sm_test_region r = {.n = n, .act = take_and_rewind, .ctx = t};
    sm_test_region_run(s, &r);
    ck_assert_msg(!atomic_load(&r.timed_out), "not every worker got a piece");
    for (int w = 0; w < n; w++)
        ck_assert_msg(atomic_load(&r.ran[w]) == 1, "worker %d ran %d pieces", w,
                      atomic_load(&r.ran[w]));
    ck_assert_int_eq(atomic_load(&t->foreign), 0);
}

/* ---- one arena per worker, on its node ------------------------------------------------------ */

START_TEST(test_scratch_one_arena_per_worker_on_its_node)
{
    int n = _i;
    sm_sched *s = sm_test_make_sched(n, SM_TOPOLOGY_SYSTEM, NULL, 0);
    for (int w = 0; w < n; w++) {
        sm_arena *a = sm_sched_scratch(s, w);
        ck_assert_ptr_nonnull(a);
        for (int v = 0; v < w; v++)
            ck_assert_ptr_ne(a, sm_sched_scratch(s, v));
        sm_worker_info info;
        ck_assert_int_eq(sm_sched_worker_info(s, w, &info), SM_OK);
        ck_assert_int_eq(sm_arena_node(a), info.node);
        char name[32];
        snprintf(name, sizeof name, "scratch[%d]", w);
        ck_assert_str_eq(sm_arena_name(a), name);
    }
    ck_assert_ptr_null(sm_sched_scratch(s, -1));
    ck_assert_ptr_null(sm_sched_scratch(s, n));

    /* Each worker's memory lies on its node (node 0: this machine has one), whether bound or
     * first-touched by the worker after the kernel refused the binding. */
    take t = {.s = s, .size = 128 * 1024};
    run_takes(s, &t, n);
    for (int w = 0; w < n; w++) {
        ck_assert_ptr_nonnull(t.got[w]);
        for (int v = 0; v < w; v++)
            ck_assert_ptr_ne(t.got[w], t.got[v]);
        sm_worker_info info;
        ck_assert_int_eq(sm_sched_worker_info(s, w, &info), SM_OK);
        int node = -2;
        int rc = sm_membind_locate(sm_mem_topology(sm_sched_mem(s)), t.got[w], t.size, &node);
        if (rc == 0)
            ck_assert_msg(node == info.node, "worker %d's scratch is on node %d, not %d (%s)", w,
                          node, info.node, sm_mem_binds(sm_sched_mem(s)) ? "bound" : "first touch");
        else
            ck_assert_msg(rc == ENOSYS || rc == EPERM, "memlocation: %s", strerror(rc));
    }
    sm_sched_free(s);
}
END_TEST

/* On a four-node (synthetic) machine each worker's scratch comes from its own node's pool,
 * and the provider's per-node byte counts add up to the scratch arenas on that node. */
START_TEST(test_scratch_follows_nodes_of_synthetic_topology)
{
    static const sm_placement placements[] = {SM_PLACEMENT_COMPACT, SM_PLACEMENT_SPREAD};
    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = 4;
    p.placement = placements[_i];
    p.topology_source = SM_TOPOLOGY_SYNTHETIC;
    p.topology = "pack:4 [numa] core:2 pu:1";
    sm_sched *s = NULL;
    ck_assert_int_eq(sm_sched_create(&p, &s), SM_OK);
    sm_mem *mem = sm_sched_mem(s);
    ck_assert_int_eq(sm_mem_n_nodes(mem), 4);
    ck_assert_int_eq(sm_mem_binds(mem), 0);
    uint64_t expect[4] = {0, 0, 0, 0};
    for (int w = 0; w < 4; w++) {
        sm_worker_info info;
        ck_assert_int_eq(sm_sched_worker_info(s, w, &info), SM_OK);
        /* compact: workers 0, 1 on node 0 and 2, 3 on node 1; spread: one per node. */
        int want = p.placement == SM_PLACEMENT_COMPACT ? w / 2 : w;
        ck_assert_int_eq(info.node, want);
        sm_arena *a = sm_sched_scratch(s, w);
        ck_assert_int_eq(sm_arena_node(a), want);
        sm_alloc_stats st;
        ck_assert_int_eq(sm_sched_alloc_stats(s, w, &st), SM_OK);
        ck_assert_uint_eq(st.scratch_slab_bytes, SM_SCHED_SCRATCH_FIRST_BYTES);
        expect[want] += st.scratch_slab_bytes;
    }
    for (int node = 0; node < 4; node++)
        ck_assert_uint_eq(sm_mem_node_bytes(mem, node), expect[node]);

    take t = {.s = s, .size = 1000};
    run_takes(s, &t, 4);
#ifdef SM_ARENA_JEMALLOC
    for (int w = 0; w < 4; w++)
        ck_assert_int_eq(sm_mem_slab_pool(mem, t.got[w]), sm_arena_node(sm_sched_scratch(s, w)));
#endif
    sm_sched_free(s);
}
END_TEST

/* ---- errors and statistics ----------------------------------------------------------------- */

/* A body that asks for more than its worker's scratch holds gets NULL; the arena says why
 * after the join, and the next reset clears it. */
START_TEST(test_scratch_exhaustion_in_a_region_is_reported)
{
    int n = 2;
    sm_sched *s = sm_test_make_sched(n, SM_TOPOLOGY_SYSTEM, NULL, 64 * 1024);
    take t = {.s = s, .size = 100 * 1024};
    run_takes(s, &t, n);
    for (int w = 0; w < n; w++) {
        sm_arena *a = sm_sched_scratch(s, w);
        ck_assert_ptr_null(t.got[w]);
        ck_assert_int_eq(sm_arena_status(a), SM_E_NOMEM);
        char name[32];
        snprintf(name, sizeof name, "scratch[%d]", w);
        ck_assert_msg(strstr(sm_arena_errmsg(a), name) != NULL &&
                          strstr(sm_arena_errmsg(a), "102400") != NULL &&
                          strstr(sm_arena_errmsg(a), "65536") != NULL,
                      "message: %s", sm_arena_errmsg(a));
        sm_arena_reset(a);
        ck_assert_int_eq(sm_arena_status(a), SM_OK);
    }
    t.size = 60 * 1024;
    run_takes(s, &t, n);
    for (int w = 0; w < n; w++)
        ck_assert_ptr_nonnull(t.got[w]);
    sm_sched_free(s);
}
END_TEST

/* The statistics follow a body's take: the peak is what it took, nothing stays in use. */
START_TEST(test_scratch_stats_show_high_water)
{
    int n = _i;
    sm_sched *s = sm_test_make_sched(n, SM_TOPOLOGY_SYSTEM, NULL, 1 << 20);
    take t = {.s = s, .size = 10000};
    run_takes(s, &t, n);
    for (int w = 0; w < n; w++) {
        sm_alloc_stats st;
        ck_assert_int_eq(sm_sched_alloc_stats(s, w, &st), SM_OK);
        ck_assert_uint_eq(st.scratch_used_bytes, 0);
        ck_assert_uint_eq(st.scratch_high_water_bytes, 10000);
        ck_assert_uint_eq(st.scratch_capacity_bytes, 1 << 20);
        ck_assert_uint_eq(st.scratch_slab_bytes, SM_SCHED_SCRATCH_FIRST_BYTES);
        ck_assert_uint_eq(st.scratch_grows, 0);
#ifdef SM_ARENA_JEMALLOC
        ck_assert_int_eq(st.heap_counted, 1);
#else
        ck_assert_int_eq(st.heap_counted, 0);
        ck_assert_uint_eq(st.heap_allocated_bytes, 0);
#endif
    }
    /* A take larger than the first slab grows the arena by one slab, once. */
    t.size = SM_SCHED_SCRATCH_FIRST_BYTES + 1;
    run_takes(s, &t, n);
    run_takes(s, &t, n);
    for (int w = 0; w < n; w++) {
        sm_alloc_stats st;
        ck_assert_int_eq(sm_sched_alloc_stats(s, w, &st), SM_OK);
        ck_assert_uint_eq(st.scratch_grows, 1);
        ck_assert_uint_eq(st.scratch_high_water_bytes, SM_SCHED_SCRATCH_FIRST_BYTES + 1);
        ck_assert_uint_le(st.scratch_slab_bytes, st.scratch_capacity_bytes);
    }
    sm_alloc_stats st;
    ck_assert_int_eq(sm_sched_alloc_stats(s, n, &st), SM_E_RANGE);
    ck_assert_int_eq(sm_sched_alloc_stats(s, -1, &st), SM_E_RANGE);
    ck_assert_int_eq(sm_sched_alloc_stats(s, 0, NULL), SM_E_INVAL);
    ck_assert_int_eq(sm_sched_alloc_stats(NULL, 0, &st), SM_E_INVAL);
    sm_sched_free(s);
}
END_TEST

/* A capacity below the first slab size is the whole arena, taken at start-up. */
START_TEST(test_scratch_small_capacity_is_respected)
{
    sm_sched *s = sm_test_make_sched(2, SM_TOPOLOGY_SYSTEM, NULL, 10000);
    for (int w = 0; w < 2; w++) {
        sm_alloc_stats st;
        ck_assert_int_eq(sm_sched_alloc_stats(s, w, &st), SM_OK);
        ck_assert_uint_eq(st.scratch_capacity_bytes, 10000);
        ck_assert_uint_eq(st.scratch_slab_bytes, 10000);
    }
    sm_sched_free(s);
    sm_sched_params p;
    sm_sched_params_init(&p);
    ck_assert_uint_eq(p.scratch_bytes, 0);
    s = sm_test_make_sched(1, SM_TOPOLOGY_SYSTEM, NULL, 0);
    sm_alloc_stats st;
    ck_assert_int_eq(sm_sched_alloc_stats(s, 0, &st), SM_OK);
    ck_assert_uint_eq(st.scratch_capacity_bytes, SM_SCHED_DEFAULT_SCRATCH_BYTES);
    sm_sched_free(s);
}
END_TEST

static Suite *scratch_suite(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc = tcase_create("scratch");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_scratch_one_arena_per_worker_on_its_node, 1, 5);
    tcase_add_loop_test(tc, test_scratch_follows_nodes_of_synthetic_topology, 0, 2);
    tcase_add_test(tc, test_scratch_exhaustion_in_a_region_is_reported);
    tcase_add_loop_test(tc, test_scratch_stats_show_high_water, 1, 5);
    tcase_add_test(tc, test_scratch_small_capacity_is_respected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(scratch_suite());
}
