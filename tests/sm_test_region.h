/* SPDX-License-Identifier: MIT */
/* sm_test_region.h: a region in which every worker runs exactly one piece, for tests that need
 * each worker's thread to act (take scratch, allocate) inside one parallel_for. */
#ifndef SM_TEST_REGION_H
#define SM_TEST_REGION_H

#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "sched/parallel.h"

#define SM_TEST_MAX_WORKERS 8

/* A scheduler of exactly n_threads workers on the given topology (NULL for this machine's),
 * with the given scratch capacity (0: the default); fails the test when it cannot be made. */
static inline sm_sched *sm_test_make_sched(int n_threads, sm_topology_source src, const char *topo,
                                           size_t scratch_bytes)
{
    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = n_threads;
    p.topology_source = src;
    p.topology = topo;
    p.scratch_bytes = scratch_bytes;
    sm_sched *s = NULL;
    sm_status st = sm_sched_create(&p, &s);
    ck_assert_msg(st == SM_OK, "sm_sched_create(%d threads): %s", n_threads, sm_status_name(st));
    ck_assert_int_eq(sm_sched_n_workers(s), n_threads);
    return s;
}

/* Each of the n pieces waits until all n have started: a worker busy with one piece cannot
 * take another, so the n pieces run on n distinct workers. The body then calls act. */
typedef struct sm_test_region {
    int n;
    void (*act)(struct sm_test_region *r, int worker);
    void *ctx;
    atomic_int started;
    atomic_int timed_out;
    atomic_int ran[SM_TEST_MAX_WORKERS]; /* pieces each worker ran */
} sm_test_region;

static inline void sm_test_region_body(void *ctx, size_t b, size_t e, int worker)
{
    sm_test_region *r = ctx;
    (void)b;
    (void)e;
    atomic_fetch_add(&r->ran[worker], 1);
    atomic_fetch_add(&r->started, 1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&r->started) < r->n) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 20) {
            atomic_store(&r->timed_out, 1);
            break;
        }
        sched_yield();
    }
    r->act(r, worker);
}

/* Runs one such region of n pieces on s; the caller checks timed_out and ran[]. */
static inline void sm_test_region_run(sm_sched *s, sm_test_region *r)
{
    atomic_store(&r->started, 0);
    atomic_store(&r->timed_out, 0);
    for (int i = 0; i < SM_TEST_MAX_WORKERS; i++)
        atomic_store(&r->ran[i], 0);
    sm_parallel_for(s, 0, (size_t)r->n, 1, sm_test_region_body, r);
}

#endif /* SM_TEST_REGION_H */
