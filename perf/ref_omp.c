/* SPDX-License-Identifier: MIT */
/* ref_omp.c: the libgomp (GCC OpenMP) side of the scheduler comparison (perf/README.md,
 * "Scheduler comparison"), same CSV as bench_sched.c. Built standalone by perf/sched-compare
 * with gcc -std=c11 -O2 -fopenmp; libgomp runs with whatever OMP_* environment it is given. */
#define _GNU_SOURCE

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

/* schedule(static, 1) hands index i to thread i, so every thread runs exactly one chunk: OpenMP
 * guarantees what the work-stealing schedulers are checked for (forkjoin_spread). */
static void region(void *ctx, pb_slot *slots, pb_gate *gate, int n_threads)
{
    (void)ctx;
#pragma omp parallel for schedule(static, 1) num_threads(n_threads)
    for (int i = 0; i < n_threads; i++) {
        if (gate)
            pb_gate_arrive(gate, n_threads);
        pb_slot_run(slots, omp_get_thread_num(), (size_t)i);
    }
}

/* No cutoff: every call with n >= 2 creates one task, as the scheduler issue compares. libgomp
 * runs a task at once instead of queueing it while its queue holds more than 64 tasks per
 * thread; that throttle is part of what is measured. */
static long fib_task(int n)
{
    if (n < 2)
        return n;
    long x;
#pragma omp task shared(x) firstprivate(n)
    x = fib_task(n - 1);
    long y = fib_task(n - 2);
#pragma omp taskwait
    return x + y;
}

static long fib(void *ctx, int n)
{
    int n_threads = *(const int *)ctx;
    long result = 0;
#pragma omp parallel num_threads(n_threads)
#pragma omp single
    result = fib_task(n);
    return result;
}

/* schedule(static) gives each thread one contiguous block of tiles: the usual OpenMP choice for
 * a balanced loop, and libgomp's cheapest. */
static void matvec(void *ctx, const pb_matvec *m)
{
    int n_threads = *(const int *)ctx;
    long n_tiles = (long)m->n_tiles;
#pragma omp parallel for schedule(static) num_threads(n_threads)
    for (long tile = 0; tile < n_tiles; tile++)
        pb_matvec_tile(m, (size_t)tile);
}

static void print_env(void)
{
    static const char *const vars[] = {"OMP_WAIT_POLICY", "OMP_PROC_BIND", "OMP_PLACES",
                                       "GOMP_SPINCOUNT", "OMP_DYNAMIC"};
    printf("# libgomp: _OPENMP=%d, env:", _OPENMP);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        printf(" %s=%s", vars[i], v ? v : "(unset)");
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    pb_opts o;
    int rc = pb_parse_args(argc, argv, "libgomp", &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    pb_print_context("libgomp", &o);
    print_env();
    // Before libgomp starts its team, and after the team has stopped spinning.
    pb_roundtrip("libgomp", o.threads, "start", &o);
    pb_impl im = {"libgomp", &o.threads, region, fib, matvec, NULL, NULL};
    rc = pb_run_all(&im, &o);
    pb_settle();
    pb_roundtrip("libgomp", o.threads, "end", &o);
    return rc ? 1 : 0;
}
