/* SPDX-License-Identifier: MIT */
/* test_sched.c: the scheduler: every index of a region exactly once for any range, grain and
 * thread count; nesting; task groups; stealing and its counters; parking; the lifecycle under
 * oversubscription; parameter errors. Nothing here asserts a timing. */
#include "config.h"

#include <hwloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sched/group.h"
#include "sm_test.h"
#include "sm_test_region.h"

static sm_sched *make_sched(int n_threads, sm_topology_source src, const char *topo)
{
    return sm_test_make_sched(n_threads, src, topo, 0);
}

/* ---- coverage --------------------------------------------------------------------------- */

typedef struct cover {
    atomic_uchar *hits;
    size_t begin, grain;
    int n_workers;
    atomic_int bad_chunk;  /* a chunk longer than grain, or empty */
    atomic_int bad_worker; /* a worker index out of range, or not the current worker */
    sm_sched *s;
} cover;

static void cover_body(void *ctx, size_t b, size_t e, int worker)
{
    cover *c = ctx;
    if (e <= b || e - b > c->grain)
        atomic_store(&c->bad_chunk, 1);
    if (worker < 0 || worker >= c->n_workers || sm_sched_current_worker(c->s) != worker)
        atomic_store(&c->bad_worker, 1);
    for (size_t i = b; i < e; i++)
        atomic_fetch_add_explicit(&c->hits[i - c->begin], 1, memory_order_relaxed);
}

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random ranges and grains (including grain 0 = automatic and grains beyond the range) for
 * 1..4 threads; every index must be processed exactly once. */
START_TEST(test_sched_parallel_for_runs_every_index_once)
{
    int n_threads = _i;
    sm_sched *s = make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL);
    uint64_t rng = 12345u + (uint64_t)n_threads;
    for (int trial = 0; trial < 200; trial++) {
        size_t begin = next_rand(&rng) % 1000;
        size_t n = trial == 0 ? 0 : 1 + next_rand(&rng) % (trial % 10 == 0 ? 100000 : 3000);
        size_t grains[] = {0, 1, 2, 7, 64, 1000, n + 5};
        size_t grain = grains[next_rand(&rng) % (sizeof grains / sizeof grains[0])];
        cover c = {.begin = begin, .n_workers = n_threads, .s = s};
        c.hits = calloc(n + 1, 1);
        ck_assert_ptr_nonnull(c.hits);
        c.grain = grain == 0 ? SIZE_MAX : grain;
        sm_parallel_for(s, begin, begin + n, grain, cover_body, &c);
        for (size_t i = 0; i < n; i++) {
            if (atomic_load(&c.hits[i]) != 1)
                ck_abort_msg("trial %d: [%zu, %zu) grain %zu: index %zu ran %u times", trial, begin,
                             begin + n, grain, begin + i, (unsigned)c.hits[i]);
        }
        ck_assert_int_eq(atomic_load(&c.bad_chunk), 0);
        ck_assert_int_eq(atomic_load(&c.bad_worker), 0);
        free(c.hits);
    }
    ck_assert_int_eq(sm_sched_current_worker(s), -1);
    sm_sched_free(s);
}
END_TEST

/* ---- nesting ---------------------------------------------------------------------------- */

enum { OUTER = 64, INNER = 1000 };

typedef struct nest {
    sm_sched *s;
    atomic_uchar hits[OUTER][INNER];
} nest;

typedef struct inner_ctx {
    nest *n;
    size_t i;
} inner_ctx;

static void inner_body(void *ctx, size_t b, size_t e, int worker)
{
    inner_ctx *c = ctx;
    (void)worker;
    for (size_t j = b; j < e; j++)
        atomic_fetch_add(&c->n->hits[c->i][j], 1);
}

static void outer_body(void *ctx, size_t b, size_t e, int worker)
{
    nest *n = ctx;
    (void)worker;
    for (size_t i = b; i < e; i++) {
        inner_ctx c = {n, i};
        sm_parallel_for(n->s, 0, INNER, 16, inner_body, &c);
    }
}

START_TEST(test_sched_nested_regions_cover_every_pair_once)
{
    int n_threads = _i;
    nest *n = calloc(1, sizeof *n);
    ck_assert_ptr_nonnull(n);
    n->s = make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL);
    sm_parallel_for(n->s, 0, OUTER, 1, outer_body, n);
    for (int i = 0; i < OUTER; i++)
        for (int j = 0; j < INNER; j++)
            ck_assert_msg(atomic_load(&n->hits[i][j]) == 1, "(%d, %d) ran %u times", i, j,
                          (unsigned)n->hits[i][j]);
    sm_sched_free(n->s);
    free(n);
}
END_TEST

/* ---- task groups ------------------------------------------------------------------------ */

typedef struct fib_arg {
    sm_sched *s;
    int n;
    long result;
} fib_arg;

static long fib_serial(int n)
{
    return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

static void fib_task(void *arg, int worker)
{
    fib_arg *a = arg;
    (void)worker;
    if (a->n < 2) {
        a->result = a->n;
        return;
    }
    fib_arg left = {a->s, a->n - 1, 0}, right = {a->s, a->n - 2, 0};
    sm_task t;
    sm_task_group g;
    sm_task_group_init(&g, a->s);
    sm_task_spawn(&g, &t, fib_task, &left);
    fib_task(&right, worker);
    sm_task_group_wait(&g);
    a->result = left.result + right.result;
}

/* fib(n) spawned from outside any task, so the group opens a root region. */
static long fib_from_root(sm_sched *s, int n)
{
    fib_arg a = {s, n, 0};
    sm_task_group g;
    sm_task t;
    sm_task_group_init(&g, s);
    sm_task_spawn(&g, &t, fib_task, &a);
    sm_task_group_wait(&g);
    return a.result;
}

START_TEST(test_sched_task_group_fib_matches_serial)
{
    int n_threads = _i;
    sm_sched *s = make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL);
    ck_assert_int_eq(fib_from_root(s, 22), fib_serial(22));
    ck_assert_int_eq(sm_sched_current_worker(s), -1);
    sm_sched_free(s);
}
END_TEST

/* ---- bare fork-join pairs --------------------------------------------------------------- */

typedef struct fork_fib {
    sm_task task;
    int n;
    long result;
} fork_fib;

static long fib_fork(sm_worker *w, int n);

static void fib_fork_child(void *arg, int worker)
{
    fork_fib *f = arg;
    (void)worker;
    f->result = fib_fork(sm_task_self(), f->n);
}

/* Fork fib(n - 1), compute fib(n - 2), and call fib(n - 1) directly when the join hands the
 * fork back. */
static long fib_fork(sm_worker *w, int n)
{
    if (n < 2)
        return n;
    fork_fib child;
    child.n = n - 1;
    sm_task_fork(w, &child.task, fib_fork_child, &child);
    long y = fib_fork(w, n - 2);
    if (sm_task_join(w, &child.task))
        child.result = fib_fork(w, n - 1);
    return child.result + y;
}

static uint64_t sum_tasks_run(sm_sched *s)
{
    uint64_t sum = 0;
    for (int i = 0; i < sm_sched_n_workers(s); i++) {
        sm_worker_stats st;
        ck_assert_int_eq(sm_sched_stats(s, i, &st), SM_OK);
        sum += st.tasks_run;
    }
    return sum;
}

/* fib by forks on 1-4 threads equals the serial value, and every fork ran exactly once: the
 * workers' tasks_run add up to the forks (one per call with n >= 2, F(n + 1) - 1) plus the
 * root task, whether a fork was taken back or stolen. */
START_TEST(test_sched_fork_fib_matches_serial)
{
    int n_threads = _i;
    sm_sched *s = make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL);
    fork_fib root;
    root.n = 22;
    sm_task_group g;
    sm_task_group_init(&g, s);
    sm_task_spawn(&g, &root.task, fib_fork_child, &root);
    sm_task_group_wait(&g);
    ck_assert_int_eq(root.result, fib_serial(22));
    ck_assert_uint_eq(sum_tasks_run(s), (uint64_t)(fib_serial(23) - 1) + 1);
    ck_assert_int_eq(sm_sched_current_worker(s), -1);
    sm_sched_free(s);
}
END_TEST

/* A chain of forks deeper than a deque holds (SM_DEQUE_CAPACITY): the forks past the capacity
 * run at once, their joins say so, and each of the 3000 tasks runs exactly once. */
enum { CHAIN_DEPTH = 3000 };

typedef struct chain_arg {
    atomic_int *hits;
    int depth;
} chain_arg;

static void chain_hit(void *arg, int worker)
{
    chain_arg *a = arg;
    (void)worker;
    atomic_fetch_add(&a->hits[a->depth], 1);
}

static void chain(sm_worker *w, atomic_int *hits, int depth)
{
    if (depth == CHAIN_DEPTH)
        return;
    sm_task t;
    chain_arg a = {hits, depth};
    sm_task_fork(w, &t, chain_hit, &a);
    chain(w, hits, depth + 1);
    if (sm_task_join(w, &t))
        chain_hit(&a, 0);
}

static void chain_root(void *arg, int worker)
{
    (void)worker;
    chain(sm_task_self(), arg, 0);
}

START_TEST(test_sched_fork_chain_beyond_capacity_runs_each_once)
{
    sm_sched *s = make_sched(_i, SM_TOPOLOGY_SYSTEM, NULL);
    static atomic_int hits[CHAIN_DEPTH];
    for (int i = 0; i < CHAIN_DEPTH; i++)
        atomic_init(&hits[i], 0);
    sm_task_group g;
    sm_task t;
    sm_task_group_init(&g, s);
    sm_task_spawn(&g, &t, chain_root, hits);
    sm_task_group_wait(&g);
    for (int i = 0; i < CHAIN_DEPTH; i++)
        ck_assert_msg(atomic_load(&hits[i]) == 1, "task %d ran %d times", i, atomic_load(&hits[i]));
    ck_assert_uint_eq(sum_tasks_run(s), CHAIN_DEPTH + 1);
    sm_sched_free(s);
}
END_TEST

/* Many spawns into one group (attention-head style), each running a nested region. */
typedef struct head_arg {
    sm_sched *s;
    atomic_uchar *hits;
} head_arg;

static void head_row(void *ctx, size_t b, size_t e, int worker)
{
    head_arg *h = ctx;
    (void)worker;
    for (size_t i = b; i < e; i++)
        atomic_fetch_add(&h->hits[i], 1);
}

static void head_task(void *arg, int worker)
{
    head_arg *h = arg;
    (void)worker;
    sm_parallel_for(h->s, 0, 256, 8, head_row, h);
}

START_TEST(test_sched_task_group_many_spawns_with_nested_regions)
{
    enum { N_HEADS = 32 };
    sm_sched *s = make_sched(2, SM_TOPOLOGY_SYSTEM, NULL);
    static atomic_uchar hits[N_HEADS][256];
    head_arg args[N_HEADS];
    sm_task tasks[N_HEADS];
    sm_task_group g;
    sm_task_group_init(&g, s);
    for (int h = 0; h < N_HEADS; h++) {
        args[h] = (head_arg){s, hits[h]};
        sm_task_spawn(&g, &tasks[h], head_task, &args[h]);
    }
    sm_task_group_wait(&g);
    for (int h = 0; h < N_HEADS; h++)
        for (int i = 0; i < 256; i++)
            ck_assert_int_eq(atomic_load(&hits[h][i]), 1);
    sm_sched_free(s);
}
END_TEST

/* ---- stealing and counters -------------------------------------------------------------- */

typedef struct steal_probe {
    atomic_int first_worker; /* worker that ran chunk 0 */
    atomic_int other_seen;   /* a chunk ran on a different worker */
    atomic_long calls;
} steal_probe;

/* Chunk 0 waits (bounded) until some other chunk runs on another worker: this forces a steal
 * without depending on timing, since the rest of the range sits in the deque meanwhile. */
static void steal_body(void *ctx, size_t b, size_t e, int worker)
{
    steal_probe *p = ctx;
    (void)e;
    atomic_fetch_add(&p->calls, 1);
    if (b == 0) {
        atomic_store(&p->first_worker, worker);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while (!atomic_load(&p->other_seen) && now.tv_sec - start.tv_sec < 20);
    } else if (worker != atomic_load(&p->first_worker)) {
        atomic_store(&p->other_seen, 1);
    }
}

/* Runs sm_parallel_for from inside a task, where it splits through the deques: a root range is
 * handed out in pieces, one per worker, without stealing. */
typedef struct nested_for {
    sm_sched *s;
    size_t begin, end, grain;
    sm_range_fn fn;
    void *ctx;
} nested_for;

static void nested_for_task(void *arg, int worker)
{
    nested_for *n = arg;
    (void)worker;
    ck_assert_int_ge(sm_sched_current_worker(n->s), 0);
    sm_parallel_for(n->s, n->begin, n->end, n->grain, n->fn, n->ctx);
}

static void parallel_for_in_task(sm_sched *s, size_t begin, size_t end, size_t grain,
                                 sm_range_fn fn, void *ctx)
{
    nested_for n = {s, begin, end, grain, fn, ctx};
    sm_task_group g;
    sm_task t;
    sm_task_group_init(&g, s);
    sm_task_spawn(&g, &t, nested_for_task, &n);
    sm_task_group_wait(&g);
}

static void sum_stats(sm_sched *s, sm_worker_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < sm_sched_n_workers(s); i++) {
        sm_worker_stats st;
        ck_assert_int_eq(sm_sched_stats(s, i, &st), SM_OK);
        sum->tasks_run += st.tasks_run;
        sum->steals_local += st.steals_local;
        sum->steals_remote += st.steals_remote;
        sum->sleeps += st.sleeps;
    }
}

START_TEST(test_sched_idle_worker_steals_and_counts_it)
{
    sm_sched *s = make_sched(2, SM_TOPOLOGY_SYSTEM, NULL);
    steal_probe p = {.first_worker = -1};
    sm_worker_stats before, after;
    sum_stats(s, &before);
    parallel_for_in_task(s, 0, 64, 1, steal_body, &p);
    sum_stats(s, &after);
    ck_assert_int_eq(atomic_load(&p.other_seen), 1);
    /* Every chunk, plus the task that ran the region. */
    ck_assert_int_eq(after.tasks_run - before.tasks_run, atomic_load(&p.calls) + 1);
    ck_assert_int_eq(atomic_load(&p.calls), 64);
    /* One node on this topology: every steal is local. */
    ck_assert_uint_ge(after.steals_local - before.steals_local, 1);
    ck_assert_uint_eq(after.steals_remote, before.steals_remote);
    sm_worker_stats w1;
    ck_assert_int_eq(sm_sched_stats(s, 1, &w1), SM_OK);
    ck_assert_uint_ge(w1.steals_local, 1);
    ck_assert_int_eq(sm_sched_stats(s, 2, &w1), SM_E_RANGE);
    ck_assert_int_eq(sm_sched_stats(s, -1, &w1), SM_E_RANGE);
    sm_sched_free(s);
}
END_TEST

/* Two workers on two NUMA nodes of a synthetic machine: worker 1 has only remote victims, so
 * its steals must be counted remote. */
START_TEST(test_sched_steals_across_nodes_count_as_remote)
{
    sm_sched *s = make_sched(2, SM_TOPOLOGY_SYNTHETIC, "pack:2 [numa] core:1 pu:1");
    sm_worker_info info;
    ck_assert_int_eq(sm_sched_worker_info(s, 1, &info), SM_OK);
    ck_assert_int_eq(info.node, 1);
    ck_assert_int_eq(info.n_local_victims, 0);
    steal_probe p = {.first_worker = -1};
    parallel_for_in_task(s, 0, 64, 1, steal_body, &p);
    ck_assert_int_eq(atomic_load(&p.other_seen), 1);
    sm_worker_stats st;
    ck_assert_int_eq(sm_sched_stats(s, 1, &st), SM_OK);
    ck_assert_uint_ge(st.steals_remote, 1);
    ck_assert_uint_eq(st.steals_local, 0);
    sm_sched_free(s);
}
END_TEST

/* Each of the P chunks waits (bounded) until all P have started: passes only if every worker
 * gets a piece of the region while the others' pieces are still running, which the eager
 * split down to one piece per worker provides (lazy splitting alone keeps the rest of the
 * range private to a worker whose chunk is blocked). */
typedef struct all_start {
    atomic_int started;
    int n;
    atomic_int timed_out; /* 0, or how many chunks had started when the first one gave up */
    atomic_int distinct[8];
} all_start;

static void all_start_body(void *ctx, size_t b, size_t e, int worker)
{
    all_start *a = ctx;
    (void)e;
    (void)b;
    atomic_store(&a->distinct[worker], 1);
    atomic_fetch_add(&a->started, 1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&a->started) < a->n) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 20) {
            /* Keep the count seen at the first timeout: stuck chunks run after this one. */
            int none = 0;
            atomic_compare_exchange_strong(&a->timed_out, &none, atomic_load(&a->started));
            return;
        }
        sched_yield();
    }
}

/* Loop index: threads 2..4 from outside any task (root pieces), then 2..4 from inside a task
 * (the eager split through the deques). */
START_TEST(test_sched_every_worker_gets_a_piece_at_once)
{
    int n_threads = 2 + _i % 3;
    bool in_task = _i >= 3;
    sm_sched *s = make_sched(n_threads, SM_TOPOLOGY_SYSTEM, NULL);
    for (int round = 0; round < 5; round++) {
        all_start a = {.n = n_threads};
        if (in_task)
            parallel_for_in_task(s, 0, (size_t)n_threads, 1, all_start_body, &a);
        else
            sm_parallel_for(s, 0, (size_t)n_threads, 1, all_start_body, &a);
        ck_assert_msg(!atomic_load(&a.timed_out), "round %d: only %d of %d chunks started", round,
                      atomic_load(&a.timed_out), n_threads);
        for (int w = 0; w < n_threads; w++)
            ck_assert_msg(atomic_load(&a.distinct[w]), "worker %d ran no chunk", w);
    }
    sm_sched_free(s);
}
END_TEST

/* ---- parking ---------------------------------------------------------------------------- */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void noop_body(void *ctx, size_t b, size_t e, int worker)
{
    (void)ctx;
    (void)b;
    (void)e;
    (void)worker;
}

/* After the last region and its spin budget, the workers sleep: the process's CPU time stops
 * growing while the main thread sleeps. The bound is loose (a tenth of the interval) because
 * the assertion is "parked", not a speed. */
START_TEST(test_sched_idle_pool_parks_and_uses_no_cpu)
{
    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = 2;
    p.spin_us = 1000;
    sm_sched *s = NULL;
    ck_assert_int_eq(sm_sched_create(&p, &s), SM_OK);
    for (int i = 0; i < 100; i++)
        sm_parallel_for(s, 0, 2, 1, noop_body, NULL);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double c0 = cpu_seconds();
    struct timespec interval = {0, 300 * 1000 * 1000};
    nanosleep(&interval, NULL);
    double used = cpu_seconds() - c0;
    ck_assert_msg(used < 0.03, "idle pool used %.3f s of CPU in 0.3 s", used);
    sm_worker_stats st;
    ck_assert_int_eq(sm_sched_stats(s, 1, &st), SM_OK);
    ck_assert_uint_ge(st.sleeps, 1);
    /* And a parked pool still runs the next region completely. */
    steal_probe probe = {.first_worker = -1};
    sm_parallel_for(s, 0, 64, 1, steal_body, &probe);
    ck_assert_int_eq(atomic_load(&probe.calls), 64);
    sm_sched_free(s);
}
END_TEST

/* ---- lifecycle -------------------------------------------------------------------------- */

START_TEST(test_sched_create_free_cycles)
{
    for (int i = 0; i < 1000; i++) {
        int n = 1 + i % 4;
        sm_sched *s = make_sched(n, SM_TOPOLOGY_SYSTEM, NULL);
        if (i % 10 == 0) {
            cover c = {.begin = 0, .grain = 3, .n_workers = n, .s = s};
            c.hits = calloc(100, 1);
            sm_parallel_for(s, 0, 100, 3, cover_body, &c);
            for (int k = 0; k < 100; k++)
                ck_assert_int_eq(atomic_load(&c.hits[k]), 1);
            free(c.hits);
        }
        sm_sched_free(s);
    }
    sm_sched_free(NULL);
}
END_TEST

START_TEST(test_sched_oversubscribed_completes)
{
    sm_sched *s = make_sched(8, SM_TOPOLOGY_SYSTEM, NULL);
    for (int trial = 0; trial < 20; trial++) {
        cover c = {.begin = 0, .grain = 1, .n_workers = 8, .s = s};
        c.hits = calloc(500, 1);
        sm_parallel_for(s, 0, 500, 1, cover_body, &c);
        for (int k = 0; k < 500; k++)
            ck_assert_int_eq(atomic_load(&c.hits[k]), 1);
        free(c.hits);
    }
    ck_assert_int_eq(fib_from_root(s, 18), fib_serial(18));
    sm_sched_free(s);
}
END_TEST

/* With pinning on, the creating thread runs on worker 0's PU until sm_sched_free, which puts
 * its previous binding back. */
START_TEST(test_sched_binds_caller_and_restores_it)
{
    hwloc_topology_t topo;
    ck_assert_int_eq(hwloc_topology_init(&topo), 0);
    ck_assert_int_eq(hwloc_topology_load(topo), 0);
    hwloc_bitmap_t before = hwloc_bitmap_alloc(), during = hwloc_bitmap_alloc(),
                   after = hwloc_bitmap_alloc();
    ck_assert_int_eq(hwloc_get_cpubind(topo, before, HWLOC_CPUBIND_THREAD), 0);

    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = 1;
    p.pinning = SM_PINNING_STRICT;
    sm_sched *s = NULL;
    sm_status st = sm_sched_create(&p, &s);
    if (st == SM_E_SYS) {
        /* The OS refuses binding here (some containers): strict must then fail, as it did. */
        hwloc_topology_destroy(topo);
        return;
    }
    ck_assert_int_eq(st, SM_OK);
    sm_worker_info info;
    ck_assert_int_eq(sm_sched_worker_info(s, 0, &info), SM_OK);
    ck_assert_int_eq(hwloc_get_cpubind(topo, during, HWLOC_CPUBIND_THREAD), 0);
    ck_assert_int_eq(hwloc_bitmap_weight(during), 1);
    ck_assert_int_eq(hwloc_bitmap_first(during), info.pu);
    sm_sched_free(s);
    ck_assert_int_eq(hwloc_get_cpubind(topo, after, HWLOC_CPUBIND_THREAD), 0);
    ck_assert(hwloc_bitmap_isequal(before, after));
    hwloc_bitmap_free(before);
    hwloc_bitmap_free(during);
    hwloc_bitmap_free(after);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_sched_worker_info_matches_plan_shape)
{
    sm_sched *s = make_sched(4, SM_TOPOLOGY_SYNTHETIC, "pack:2 [numa] l3:1 core:2 pu:2");
    for (int i = 0; i < 4; i++) {
        sm_worker_info info;
        ck_assert_int_eq(sm_sched_worker_info(s, i, &info), SM_OK);
        ck_assert_int_eq(info.n_victims, 3);
        /* compact: workers 0-1 on node 0, 2-3 on node 1; one local victim each */
        ck_assert_int_eq(info.node, i / 2);
        ck_assert_int_eq(info.n_local_victims, 1);
        ck_assert_int_eq(info.victims[0], i ^ 1);
        ck_assert_int_eq(info.victims[3], -1);
    }
    sm_worker_info info;
    ck_assert_int_eq(sm_sched_worker_info(s, 4, &info), SM_E_RANGE);
    ck_assert_ptr_nonnull(strstr(sm_sched_topology_string(s), "synthetic"));
    sm_sched_free(s);
}
END_TEST

/* ---- errors ----------------------------------------------------------------------------- */

static sm_status try_create(void (*edit)(sm_sched_params *))
{
    sm_sched_params p;
    sm_sched_params_init(&p);
    edit(&p);
    sm_sched *s = (sm_sched *)&p; /* a sentinel: must be left alone on failure */
    sm_status st = sm_sched_create(&p, &s);
    if (st == SM_OK)
        sm_sched_free(s);
    else
        ck_assert_ptr_eq(s, (sm_sched *)&p);
    return st;
}

static void negative_threads(sm_sched_params *p)
{
    p->n_threads = -1;
}
static void bad_placement(sm_sched_params *p)
{
    p->placement = (sm_placement)7;
}
static void bad_pinning(sm_sched_params *p)
{
    p->pinning = (sm_pinning)-2;
}
static void huge_spin(sm_sched_params *p)
{
    p->spin_us = 5000000;
}
static void bad_synthetic(sm_sched_params *p)
{
    p->topology_source = SM_TOPOLOGY_SYNTHETIC;
    p->topology = "pack:two core:banana";
}
static void missing_xml(sm_sched_params *p)
{
    p->topology_source = SM_TOPOLOGY_XML;
    p->topology = "/nonexistent/smallmind-topology.xml";
}
static void no_description(sm_sched_params *p)
{
    p->topology_source = SM_TOPOLOGY_SYNTHETIC;
    p->topology = NULL;
}

START_TEST(test_sched_rejects_bad_params)
{
    ck_assert_int_eq(try_create(negative_threads), SM_E_INVAL);
    ck_assert_int_eq(try_create(bad_placement), SM_E_INVAL);
    ck_assert_int_eq(try_create(bad_pinning), SM_E_INVAL);
    ck_assert_int_eq(try_create(huge_spin), SM_E_INVAL);
    ck_assert_int_eq(try_create(bad_synthetic), SM_E_FORMAT);
    ck_assert_int_eq(try_create(missing_xml), SM_E_IO);
    ck_assert_int_eq(try_create(no_description), SM_E_INVAL);
    ck_assert_int_eq(sm_sched_create(NULL, NULL), SM_E_INVAL);
}
END_TEST

static Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *run = tcase_create("run");
    tcase_set_timeout(run, 120);
    tcase_add_loop_test(run, test_sched_parallel_for_runs_every_index_once, 1, 5);
    tcase_add_loop_test(run, test_sched_nested_regions_cover_every_pair_once, 1, 5);
    tcase_add_loop_test(run, test_sched_task_group_fib_matches_serial, 1, 5);
    tcase_add_test(run, test_sched_task_group_many_spawns_with_nested_regions);
    tcase_add_loop_test(run, test_sched_fork_fib_matches_serial, 1, 5);
    tcase_add_loop_test(run, test_sched_fork_chain_beyond_capacity_runs_each_once, 1, 4);
    tcase_add_loop_test(run, test_sched_every_worker_gets_a_piece_at_once, 0, 6);
    tcase_add_test(run, test_sched_idle_worker_steals_and_counts_it);
    tcase_add_test(run, test_sched_steals_across_nodes_count_as_remote);
    tcase_add_test(run, test_sched_idle_pool_parks_and_uses_no_cpu);
    suite_add_tcase(s, run);

    TCase *life = tcase_create("lifecycle");
    tcase_set_tags(life, "stress");
    tcase_set_timeout(life, 300);
    tcase_add_test(life, test_sched_create_free_cycles);
    tcase_add_test(life, test_sched_oversubscribed_completes);
    tcase_add_test(life, test_sched_binds_caller_and_restores_it);
    tcase_add_test(life, test_sched_worker_info_matches_plan_shape);
    tcase_add_test(life, test_sched_rejects_bad_params);
    suite_add_tcase(s, life);
    return s;
}

int main(void)
{
    return sm_test_run(sched_suite());
}
