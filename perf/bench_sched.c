/* SPDX-License-Identifier: MIT */
/* bench_sched.c: the SmallMind side of the scheduler comparison (perf/README.md, "Scheduler
 * comparison"): workloads (a)-(e) on sm_parallel_for and sm_task_group, same CSV as
 * ref_omp.c and ref_tbb.cpp. Built by `make perf`, run by perf/sched-compare. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "sched/group.h"
#include "smallmind.h"

typedef struct region_ctx {
    pb_slot *slots;
    pb_gate *gate;
    int n_threads;
} region_ctx;

static void region_body(void *ctx, size_t begin, size_t end, int worker)
{
    const region_ctx *c = ctx;
    for (size_t i = begin; i < end; i++) {
        if (c->gate)
            pb_gate_arrive(c->gate, c->n_threads);
        pb_slot_run(c->slots, worker, i);
    }
}

/* Grain 1 over one index per worker: the smallest region that gives every worker a chunk. Lazy
 * splitting does not promise each worker one (worker 0 runs what nobody stole), hence
 * forkjoin_spread and forkjoin_all. The context lives on this frame: regions are joined
 * before sm_parallel_for returns. */
static void region(void *ctx, pb_slot *slots, pb_gate *gate, int n_threads)
{
    region_ctx c = {slots, gate, n_threads};
    sm_parallel_for(ctx, 0, (size_t)n_threads, 1, region_body, &c);
}

/* fib through task groups: every call with n >= 2 spawns fib(n - 1) from a task and group on
 * its own stack, computes fib(n - 2) inline, then waits, as the scheduler issue compares with
 * TBB's task_group and libgomp's task/taskwait. The outermost call opens the root region. */
typedef struct group_frame {
    sm_sched *s;
    int n;
    long result;
} group_frame;

static long fib_group_task(sm_sched *s, int n);

static void fib_group_child(void *arg, int worker)
{
    (void)worker;
    group_frame *f = arg;
    f->result = fib_group_task(f->s, f->n);
}

static long fib_group_task(sm_sched *s, int n)
{
    if (n < 2)
        return n;
    group_frame child = {s, n - 1, 0};
    sm_task task;
    sm_task_group g;
    sm_task_group_init(&g, s);
    sm_task_spawn(&g, &task, fib_group_child, &child);
    long y = fib_group_task(s, n - 2);
    sm_task_group_wait(&g);
    return child.result + y;
}

static long fib_group(void *ctx, int n)
{
    return fib_group_task(ctx, n);
}

/* fib through the bare fork-join pair, the way lace's SPAWN/SYNC work: fork fib(n - 1),
 * compute fib(n - 2), and if nobody stole the fork, call fib(n - 1) directly. */
typedef struct fork_frame {
    sm_task task;
    int n;
    long result;
} fork_frame;

static long fib_fork_task(sm_worker *w, int n);

static void fib_fork_child(void *arg, int worker)
{
    (void)worker;
    fork_frame *f = arg;
    f->result = fib_fork_task(sm_task_self(), f->n);
}

static long fib_fork_task(sm_worker *w, int n)
{
    if (n < 2)
        return n;
    fork_frame child;
    child.n = n - 1;
    sm_task_fork(w, &child.task, fib_fork_child, &child);
    long y = fib_fork_task(w, n - 2);
    if (sm_task_join(w, &child.task))
        child.result = fib_fork_task(w, n - 1);
    return child.result + y;
}

/* The root: one group task, on worker 0, runs the recursion. */
static void fib_fork_root(void *arg, int worker)
{
    (void)worker;
    fork_frame *f = arg;
    f->result = fib_fork_task(sm_task_self(), f->n);
}

static long fib(void *ctx, int n)
{
    fork_frame root;
    root.n = n;
    sm_task_group g;
    sm_task_group_init(&g, ctx);
    sm_task_spawn(&g, &root.task, fib_fork_root, &root);
    sm_task_group_wait(&g);
    return root.result;
}

static void matvec_body(void *ctx, size_t begin, size_t end, int worker)
{
    (void)worker;
    for (size_t tile = begin; tile < end; tile++)
        pb_matvec_tile(ctx, tile);
}

/* One chunk per tile (grain 1 over tile indices): a tile is the same set of rows as in the
 * libgomp and oneTBB runs, whatever the scheduler's splitting does. */
static void matvec(void *ctx, const pb_matvec *m)
{
    sm_parallel_for(ctx, 0, m->n_tiles, 1, matvec_body, (void *)m);
}

/* Warnings matter here (a refused pinning changes every number); the placement the INFO lines
 * give is printed by print_placement instead. stderr keeps them out of the CSV. */
static void log_to_stderr(void *user_data, sm_log_level level, const char *message)
{
    (void)user_data;
    if (level <= SM_LOG_WARN)
        fprintf(stderr, "bench_sched: %s\n", message);
}

/* The sched's placement as '#' lines: the design asks for the topology with every result. */
static void print_placement(const sm_sched *s)
{
    printf("# smallmind %s: %s; workers on PUs", sm_version_string(), sm_sched_topology_string(s));
    for (int w = 0; w < sm_sched_n_workers(s); w++) {
        sm_worker_info info;
        if (sm_sched_worker_info(s, w, &info) == SM_OK)
            printf(" %d", info.pu);
    }
    printf(" (pinning on, default spin %d us)\n", SM_SCHED_DEFAULT_SPIN_US);
}

int main(int argc, char **argv)
{
    pb_opts o;
    int rc = pb_parse_args(argc, argv, "smallmind", &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    sm_set_log(log_to_stderr, NULL);
    pb_print_context("smallmind", &o);
    // Before the workers start, and after sm_sched_free has joined them.
    pb_roundtrip("smallmind", o.threads, "start", &o);

    // The defaults (pinned, default spin) with -t workers: what the library will run with.
    sm_sched_params params;
    sm_sched_params_init(&params);
    params.n_threads = o.threads;
    sm_sched *s = NULL;
    sm_status st = sm_sched_create(&params, &s);
    if (st != SM_OK) {
        fprintf(stderr, "bench_sched: sm_sched_create(n_threads=%d): %s\n", o.threads,
                sm_strerror(st));
        return 1;
    }
    print_placement(s);
    fflush(stdout);
    pb_impl im = {"smallmind", s, region, fib, matvec, fib_group, "fib_group"};
    rc = pb_run_all(&im, &o);
    sm_sched_free(s);

    pb_settle();
    pb_roundtrip("smallmind", o.threads, "end", &o);
    return rc ? 1 : 0;
}
