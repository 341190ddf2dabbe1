// SPDX-License-Identifier: MIT
// ref_tbb.cpp: the oneTBB side of the scheduler comparison (perf/README.md, "Scheduler
// comparison"), same CSV as bench_sched.c. Built standalone by perf/sched-compare with
// g++ -std=c++17 -O2 ... -ltbb; every workload runs inside one task_arena of -t threads.
#include <cstdio>
#include <cstdlib>

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include "common.h"

// A parallel_for over one index per thread, split down to single indices (simple_partitioner,
// grain 1). TBB does not promise that each arena thread takes one: the calling thread runs
// whatever the worker has not stolen yet (forkjoin_spread says how often all took part;
// forkjoin_all forces it).
static void region(void *, pb_slot *slots, pb_gate *gate, int n_threads)
{
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, (size_t)n_threads, 1),
        [=](const tbb::blocked_range<size_t> &r) {
            int me = tbb::this_task_arena::current_thread_index();
            for (size_t i = r.begin(); i != r.end(); i++) {
                if (gate)
                    pb_gate_arrive(gate, n_threads);
                pb_slot_run(slots, me, i);
            }
        },
        tbb::simple_partitioner());
}

// No cutoff: every call with n >= 2 runs one child through a task_group and computes the other
// inline, as the scheduler issue compares. A task_group per call is TBB's documented idiom; its
// construction is part of TBB's cost per spawn.
static long fib_task(int n)
{
    if (n < 2)
        return n;
    long x = 0;
    tbb::task_group g;
    g.run([&x, n] { x = fib_task(n - 1); });
    long y = fib_task(n - 2);
    g.wait();
    return x + y;
}

static long fib(void *, int n)
{
    return fib_task(n);
}

// One task per tile (simple_partitioner, grain 1), as the SmallMind side splits it, so both
// steal whole tiles.
static void matvec(void *, const pb_matvec *m)
{
    tbb::parallel_for(
        tbb::blocked_range<size_t>(0, m->n_tiles, 1),
        [m](const tbb::blocked_range<size_t> &r) {
            for (size_t tile = r.begin(); tile != r.end(); tile++)
                pb_matvec_tile(m, tile);
        },
        tbb::simple_partitioner());
}

static int run(const pb_opts *o)
{
    // At most -t threads in the process, the caller included; the arena holds exactly -t with
    // one slot kept for the caller (TBB's default).
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, (size_t)o->threads);
    tbb::task_arena arena(o->threads);
    arena.initialize();
    printf("# onetbb: headers %s, runtime %s, arena max_concurrency=%d\n", TBB_VERSION_STRING,
           TBB_runtime_version(), arena.max_concurrency());
    if (o->threads > 1)
        printf("# onetbb: parallel_for does not guarantee that every arena thread runs a chunk "
               "of a %d-index range (forkjoin_spread: how often all did; forkjoin_all forces it)\n",
               o->threads);
    fflush(stdout);
    pb_impl im = {"onetbb", NULL, region, fib, matvec, nullptr, nullptr};
    int rc = 0;
    // The whole run inside the arena: the calling thread keeps its slot between regions, as an
    // inference loop would, so regions do not pay for entering the arena.
    arena.execute([&] { rc = pb_run_all(&im, o); });
    arena.terminate();
    return rc;
}

int main(int argc, char **argv)
{
    pb_opts o;
    int rc = pb_parse_args(argc, argv, "onetbb", &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    pb_print_context("onetbb", &o);
    // Before TBB starts a worker, and after the arena is gone and its workers sleep.
    pb_roundtrip("onetbb", o.threads, "start", &o);
    rc = run(&o);
    pb_settle();
    pb_roundtrip("onetbb", o.threads, "end", &o);
    return rc ? 1 : 0;
}
