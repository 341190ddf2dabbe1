/* SPDX-License-Identifier: MIT */
/* common.h: what the scheduler benchmarks share (options, timer, median, CSV output, the matvec
 * and fib kernels, the core-to-core round trip), so that bench_sched.c, ref_omp.c and
 * ref_tbb.cpp time identical code and differ only in the scheduler. C11 and C++17. */
#ifndef SM_PERF_COMMON_H
#define SM_PERF_COMMON_H

// pthread_setaffinity_np, sched_getaffinity and CPU_SET are GNU extensions; they must be
// requested before the first system header, which only the including file can do. (g++ always
// defines _GNU_SOURCE.)
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE (or include config.h) before any #include"
#endif

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// Each benchmark file must be compiled with -O2 and no -march, so that the kernels below are the
// same machine code in all three; an unoptimized or sanitized build would measure the compiler.
#if !defined(__OPTIMIZE__) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PB_BUILD_COMPARABLE 0
#else
#define PB_BUILD_COMPARABLE 1
#endif

// Kernels are out of line so that each translation unit runs one standalone copy compiled from
// this source, not a version specialized into the caller differently in C and C++; and they
// start on a 64-byte boundary so that their loops sit alike in the fetch windows: unaligned,
// the same machine code of pb_matvec_rows ran a serial 256x256 matvec in 11.3 us at offset 16
// of a line (bench_sched) and in 7.8 us at offset 48 (ref_omp, ref_tbb), every run.
#define PB_KERNEL __attribute__((noinline, aligned(64)))

enum { PB_MAX_THREADS = 256, PB_PAGE = 4096 };

/* ---------------------------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------------------------ */

/** Sizes of every workload; --quick shrinks the iteration counts (not the problem shapes,
 * except fib's n) so a smoke run takes about a second. */
typedef struct pb_opts {
    int threads;        /* -t: workers for the parallel workloads */
    int quick;          /* --quick */
    int reps;           /* repetitions of each timed loop; the median is reported */
    long fj_regions;    /* (a) back-to-back empty regions per repetition */
    int fib_n;          /* (b) */
    int mv_iters_small; /* (c) timed 256x256 matvecs; the median call is reported */
    int mv_iters_large; /* (c) timed 2048x2048 matvecs */
    int fr_samples;     /* (d) regions after serial work */
    long fr_serial_ns;  /* (d) serial busy work before each of them */
    long rt_iters;      /* (e) round trips per sample */
    int rt_samples;     /* (e) samples; the median is reported */
} pb_opts;

static inline void pb_usage(FILE *f, const char *prog, const char *impl)
{
    fprintf(f,
            "Usage: %s [-t N] [--reps N] [--quick]\n"
            "Scheduler benchmarks for %s; one CSV line per measurement on stdout:\n"
            "  impl,workload,threads,param,value,unit\n"
            "and '#' lines with the context (versions, environment, topology).\n"
            "  -t, --threads N  worker threads for the parallel workloads (default: online CPUs)\n"
            "  --reps N         repetitions of each timed loop, median reported (default 5)\n"
            "  --quick          tiny iteration counts, for a smoke test (numbers meaningless)\n"
            "  -h, --help       this text\n",
            prog, impl);
}

/** @return 0 to run, 1 when --help was printed (exit 0), -1 on a usage error (printed). */
static inline int pb_parse_args(int argc, char **argv, const char *impl, pb_opts *o)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = online > 0 ? (int)online : 1;
    o->quick = 0;
    o->reps = 5;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            pb_usage(stdout, argv[0], impl);
            return 1;
        } else if (!strcmp(a, "--quick")) {
            o->quick = 1;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--threads") || !strcmp(a, "--reps")) {
            int is_reps = !strcmp(a, "--reps");
            char *end = NULL;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (!end || *end != '\0' || v < 1 || v > (is_reps ? 1000 : PB_MAX_THREADS)) {
                fprintf(stderr, "%s: %s needs a number in 1..%d\n", argv[0], a,
                        is_reps ? 1000 : PB_MAX_THREADS);
                return -1;
            }
            *(is_reps ? &o->reps : &o->threads) = (int)v;
            i++;
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", argv[0], a);
            return -1;
        }
    }
    if (o->quick && o->reps > 3)
        o->reps = 3;
    o->fj_regions = o->quick ? 2000 : 100000;
    // fib(32) is the size the scheduler issue compares (about 3.5M spawns).
    o->fib_n = o->quick ? 20 : 32;
    o->mv_iters_small = o->quick ? 20 : 2000;
    o->mv_iters_large = o->quick ? 5 : 100;
    o->fr_samples = o->quick ? 10 : 200;
    o->fr_serial_ns = 2000000;
    o->rt_iters = o->quick ? 2000 : 20000;
    o->rt_samples = o->quick ? 3 : 7;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Time, statistics, output
 * ------------------------------------------------------------------------------------------ */

static inline uint64_t pb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Busy serial work: keeps the core running (no sleep) so that idle workers see exactly what an
 * inference loop's serial gaps look like to them. */
static inline void pb_spin_ns(uint64_t ns)
{
    uint64_t end = pb_now_ns() + ns;
    while (pb_now_ns() < end) {
    }
}

static inline int pb_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/** Median of v[0..n) (sorts v in place). n >= 1. */
static inline double pb_median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, pb_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One line per measurement, flushed at once so that a crash later in the run keeps it. Fixed
 * notation: the comparison script parses it with awk and sort -g. */
static inline void pb_emit(const char *impl, const char *workload, int threads, const char *param,
                           double value, const char *unit)
{
    printf("%s,%s,%d,%s,%.3f,%s\n", impl, workload, threads, param, value, unit);
    fflush(stdout);
}

/* Page-aligned, so that every array has the same offsets within pages in every implementation
 * (equal cache-set and 4K-aliasing behaviour) whatever else the runtime allocated first. */
static inline void *pb_xalloc(size_t bytes)
{
    void *p = aligned_alloc(PB_PAGE, (bytes + PB_PAGE - 1) / PB_PAGE * PB_PAGE);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

/* ---------------------------------------------------------------------------------------------
 * (a) fork-join: per-thread slots
 * ------------------------------------------------------------------------------------------ */

/* The body of an empty region writes its index into the slot of the thread that ran it: each
 * slot has its own line, so the body costs one store and the region measures the scheduler
 * alone. chunks counts how many chunks that thread ran, which tells whether every thread took
 * part (forkjoin_spread). */
typedef struct __attribute__((aligned(64))) pb_slot {
    long index;
    long chunks;
} pb_slot;

static inline void pb_slot_run(pb_slot *slots, int thread, size_t index)
{
    slots[thread].index = (long)index;
    slots[thread].chunks++;
}

/* The share of regions that the least busy thread took a chunk of, in percent: 100 means every
 * thread ran one chunk of every region (each region has exactly n_threads chunks). */
static inline double pb_slot_spread(pb_slot *slots, int n_threads, long regions)
{
    long least = slots[0].chunks;
    for (int t = 1; t < n_threads; t++)
        if (slots[t].chunks < least)
            least = slots[t].chunks;
    for (int t = 0; t < n_threads; t++)
        slots[t].chunks = 0;
    return regions > 0 ? 100.0 * (double)least / (double)regions : 0;
}

/* forkjoin_all: the same region, but each chunk waits until all n_threads chunks of its region
 * have started, so every thread must run one (a scheduler whose calling thread runs both chunks
 * of a 2-chunk region before a worker wakes cannot finish it alone). It costs one more transfer
 * of the arrival line per region. Arrivals are numbered across regions: region r owns numbers
 * r*n+1 .. (r+1)*n, so nothing is reset between regions. */
typedef struct pb_gate {
    uint64_t arrived __attribute__((aligned(64)));
    int broken __attribute__((aligned(64))); /* a chunk gave up waiting: stop waiting at all */
} pb_gate;

/* The gate needs every chunk to be stealable while others wait in it. Lazy splitting keeps the
 * unsplit rest of a range private to the worker running it, so with 3 or more chunks a waiting
 * body can hold back the chunk it waits for; after this long the gate gives up and the
 * workload is reported as skipped instead of hanging. */
enum { PB_GATE_TIMEOUT_MS = 200 };

static inline void pb_gate_arrive(pb_gate *g, int n_threads)
{
    // acq_rel/acquire: each chunk's arrival is ordered with the others' (no data rides on it,
    // but it keeps the wait honest on weakly ordered machines too).
    uint64_t k = __atomic_add_fetch(&g->arrived, 1, __ATOMIC_ACQ_REL);
    uint64_t target = (k + (uint64_t)n_threads - 1) / (uint64_t)n_threads * (uint64_t)n_threads;
    uint64_t deadline = 0;
    unsigned spins = 0;
    if (__atomic_load_n(&g->broken, __ATOMIC_RELAXED))
        return;
    while (__atomic_load_n(&g->arrived, __ATOMIC_ACQUIRE) < target) {
        if (++spins % 4096 != 0)
            continue;
        if (__atomic_load_n(&g->broken, __ATOMIC_RELAXED))
            return;
        // A long wait means a chunk's thread is not running (more threads than CPUs): give it
        // the CPU rather than spin through its time slice.
        sched_yield();
        uint64_t now = pb_now_ns();
        if (!deadline) {
            deadline = now + PB_GATE_TIMEOUT_MS * 1000000ull;
        } else if (now > deadline) {
            __atomic_store_n(&g->broken, 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * (b) fib
 * ------------------------------------------------------------------------------------------ */

PB_KERNEL static long pb_fib_serial(int n)
{
    return n < 2 ? n : pb_fib_serial(n - 1) + pb_fib_serial(n - 2);
}

/* pb_fib_serial(n), behind an empty asm that hides n's value: GCC proves pb_fib_serial pure and
 * would otherwise reuse an earlier result for the same n instead of timing a new call. */
static inline long pb_fib_serial_timed(int n)
{
    __asm__ volatile("" : "+r"(n));
    return pb_fib_serial(n);
}

/* F(n+1) - 1: the calls of fib(n) with n >= 2, i.e. the spawns of a parallel fib that spawns one
 * child per such call (3,524,577 for fib(32)). */
static inline double pb_fib_spawns(int n)
{
    double a = 0, b = 1; // F(0), F(1)
    for (int i = 0; i < n + 1; i++) {
        double c = a + b;
        a = b;
        b = c;
    }
    return a - 1;
}

/* 2 F(n+1) - 1: every call of the recursion, leaves included. */
static inline double pb_fib_calls(int n)
{
    return 2 * (pb_fib_spawns(n) + 1) - 1;
}

/* ---------------------------------------------------------------------------------------------
 * (c) matvec
 * ------------------------------------------------------------------------------------------ */

/* y[r] = W[r,:] . x for rows [row_begin, row_end) of the row-major n_rows x n_cols matrix W.
 * Plain C: built with -O2 and no -march, the same in all three implementations. Four partial
 * sums because a single accumulator is bound by the add latency (~4 cycles per element), which
 * would make a 256x256 matvec ten times slower than a real kernel and hide the scheduler. The
 * result of a row does not depend on the tiling, so every implementation's y is bit-identical
 * to the serial one. */
PB_KERNEL static void pb_matvec_rows(const float *w, const float *x, float *y, size_t n_cols,
                                     size_t row_begin, size_t row_end)
{
    for (size_t r = row_begin; r < row_end; r++) {
        const float *row = w + r * n_cols;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        size_t c = 0;
        for (; c + 4 <= n_cols; c += 4) {
            s0 += row[c] * x[c];
            s1 += row[c + 1] * x[c + 1];
            s2 += row[c + 2] * x[c + 2];
            s3 += row[c + 3] * x[c + 3];
        }
        for (; c < n_cols; c++)
            s0 += row[c] * x[c];
        y[r] = (s0 + s1) + (s2 + s3);
    }
}

/** One matvec problem, split into n_tiles tiles of tile_rows rows (the last may be shorter). */
typedef struct pb_matvec {
    size_t n;         /* W is n x n */
    size_t tile_rows; /* rows per tile: one tile is one chunk of the parallel for */
    size_t n_tiles;
    float *w, *x, *y, *y_ref;
    char param[32]; /* CSV param, e.g. "2048x2048/64" */
} pb_matvec;

static inline void pb_matvec_init(pb_matvec *m, size_t n, size_t tile_rows)
{
    m->n = n;
    m->tile_rows = tile_rows;
    m->n_tiles = (n + tile_rows - 1) / tile_rows;
    m->w = (float *)pb_xalloc(n * n * sizeof(float));
    m->x = (float *)pb_xalloc(n * sizeof(float));
    m->y = (float *)pb_xalloc(n * sizeof(float));
    m->y_ref = (float *)pb_xalloc(n * sizeof(float));
    // Small exact values: no denormals or overflow to slow one side down.
    for (size_t i = 0; i < n * n; i++)
        m->w[i] = (float)((int)(i % 13) - 6) * 0.125f;
    for (size_t i = 0; i < n; i++)
        m->x[i] = (float)((int)(i % 7) - 3) * 0.25f;
    pb_matvec_rows(m->w, m->x, m->y_ref, n, 0, n);
    snprintf(m->param, sizeof m->param, "%zux%zu/%zu", n, n, tile_rows);
}

static inline void pb_matvec_tile(const pb_matvec *m, size_t tile)
{
    size_t r0 = tile * m->tile_rows;
    size_t r1 = r0 + m->tile_rows < m->n ? r0 + m->tile_rows : m->n;
    pb_matvec_rows(m->w, m->x, m->y, m->n, r0, r1);
}

/** @return 0 when y equals the serial result bit for bit (it must: same kernel per row). */
static inline int pb_matvec_check(pb_matvec *m)
{
    int bad = memcmp(m->y, m->y_ref, m->n * sizeof(float)) != 0;
    memset(m->y, 0, m->n * sizeof(float));
    return bad;
}

static inline void pb_matvec_free(pb_matvec *m)
{
    free(m->w);
    free(m->x);
    free(m->y);
    free(m->y_ref);
}

/* Bytes one matvec must read: W once, plus x and y. */
static inline double pb_matvec_bytes(const pb_matvec *m)
{
    return (double)(m->n * m->n + 2 * m->n) * sizeof(float);
}

/* ---------------------------------------------------------------------------------------------
 * (e) core-to-core round trip
 * ------------------------------------------------------------------------------------------ */

/* Two threads pinned to two CPUs hand a counter back and forth on one line: the ping side
 * writes odd values, the pong side answers with the next even one. Every scheduler handoff
 * costs at least one such transfer, and on this VM it varied 60-360 ns between runs, so each
 * run measures it beside its own numbers. The GCC __atomic builtins are used because this
 * header is also compiled as C++, where <stdatomic.h> is not available before C++23; they are
 * what both _Atomic and std::atomic compile to. */
typedef struct pb_pingpong {
    uint64_t counter __attribute__((aligned(64)));
    int ready __attribute__((aligned(64))); /* pong is pinned and waiting */
    int cpu[2];
    long iters;
    int samples;
    double *ns; /* [samples] ns per round trip */
    int err;    /* pthread_setaffinity_np's error, 0 if both pinned */
} pb_pingpong;

static inline int pb_pin_self(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static inline void *pb_pong_main(void *arg)
{
    pb_pingpong *p = (pb_pingpong *)arg;
    int err = pb_pin_self(p->cpu[1]);
    if (err)
        p->err = err;
    // release: publishes p->err; pairs with the acquire load of ready in pb_ping_main.
    __atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
    uint64_t total = (uint64_t)(p->iters + 1) * (uint64_t)p->samples + 100;
    for (uint64_t i = 0; i < total; i++) {
        // No pause instruction in either spin: it would add its own latency (up to ~140 cycles
        // on recent Intel cores) to the transfer being measured. Relaxed suffices: the
        // counter itself is the only data handed over.
        while (__atomic_load_n(&p->counter, __ATOMIC_RELAXED) != 2 * i + 1) {
        }
        __atomic_store_n(&p->counter, 2 * i + 2, __ATOMIC_RELAXED);
    }
    return NULL;
}

static inline void *pb_ping_main(void *arg)
{
    pb_pingpong *p = (pb_pingpong *)arg;
    int err = pb_pin_self(p->cpu[0]);
    // acquire: pairs with the release store of ready in pb_pong_main (p->err).
    while (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE)) {
    }
    if (err)
        p->err = err;
    uint64_t i = 0;
    for (; i < 100; i++) { // warm-up: both threads running, the line in a steady state
        __atomic_store_n(&p->counter, 2 * i + 1, __ATOMIC_RELAXED);
        while (__atomic_load_n(&p->counter, __ATOMIC_RELAXED) != 2 * i + 2) {
        }
    }
    for (int s = 0; s < p->samples; s++) {
        uint64_t t0 = pb_now_ns();
        for (long k = 0; k <= p->iters; k++, i++) {
            __atomic_store_n(&p->counter, 2 * i + 1, __ATOMIC_RELAXED);
            while (__atomic_load_n(&p->counter, __ATOMIC_RELAXED) != 2 * i + 2) {
            }
        }
        p->ns[s] = (double)(pb_now_ns() - t0) / (double)(p->iters + 1);
    }
    return NULL;
}

/**
 * Measures the round trip between the first two CPUs the process may run on (CPU 0 and 1 here)
 * from two new threads, leaving the caller's own affinity alone, and emits
 * "impl,roundtrip,threads,<when>,ns,ns" plus a '#' line naming the CPUs. Prints a '#' line and
 * emits nothing when fewer than two CPUs are allowed or pinning fails.
 */
static inline void pb_roundtrip(const char *impl, int threads, const char *when, const pb_opts *o)
{
    cpu_set_t allowed;
    pb_pingpong p;
    memset(&p, 0, sizeof p);
    p.cpu[0] = p.cpu[1] = -1;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0) {
        for (int c = 0, k = 0; c < CPU_SETSIZE && k < 2; c++)
            if (CPU_ISSET(c, &allowed))
                p.cpu[k++] = c;
    }
    if (p.cpu[1] < 0) {
        printf("# roundtrip %s skipped: fewer than two CPUs allowed\n", when);
        return;
    }
    p.iters = o->rt_iters;
    p.samples = o->rt_samples;
    p.ns = (double *)pb_xalloc((size_t)p.samples * sizeof(double));
    pthread_t ping, pong;
    if (pthread_create(&pong, NULL, pb_pong_main, &p) != 0) {
        printf("# roundtrip %s skipped: pthread_create failed\n", when);
        free(p.ns);
        return;
    }
    if (pthread_create(&ping, NULL, pb_ping_main, &p) != 0) {
        // The pong thread waits for values that will never come; the process is about to fail
        // anyway, so report and exit rather than leave it spinning.
        fprintf(stderr, "pthread_create failed\n");
        exit(1);
    }
    pthread_join(ping, NULL);
    pthread_join(pong, NULL);
    if (p.err) {
        printf("# roundtrip %s skipped: pthread_setaffinity_np: %s\n", when, strerror(p.err));
    } else {
        printf("# roundtrip %s: cpu %d <-> cpu %d, %d samples of %ld\n", when, p.cpu[0], p.cpu[1],
               p.samples, p.iters + 1);
        pb_emit(impl, "roundtrip", threads, when, pb_median(p.ns, (size_t)p.samples), "ns");
    }
    free(p.ns);
}

/** Prints the '#' context lines every implementation shares. */
static inline void pb_print_context(const char *impl, const pb_opts *o)
{
    printf("# impl=%s threads=%d reps=%d quick=%d compiler=\"%s\"\n", impl, o->threads, o->reps,
           o->quick, __VERSION__);
    if (!PB_BUILD_COMPARABLE)
        printf("# WARNING %s built without optimization or with a sanitizer: its timings are not "
               "comparable\n",
               impl);
}

/* ---------------------------------------------------------------------------------------------
 * The driver: workloads (a)-(d), timed the same way for every implementation
 * ------------------------------------------------------------------------------------------ */

/* What an implementation provides. The driver reaches it through these pointers, which costs
 * each region one indirect call (~1 ns) in all three alike, and keeps the timing code single. */
typedef struct pb_impl {
    const char *name; /* CSV impl column */
    void *ctx;
    /* One region of n_threads chunks (grain 1), chunk i running
     * "if (gate) pb_gate_arrive(gate, n_threads); pb_slot_run(slots, <thread>, i);". */
    void (*region)(void *ctx, pb_slot *slots, pb_gate *gate, int n_threads);
    /* fib(n) by spawn/wait, one spawn per call with n >= 2. */
    long (*fib)(void *ctx, int n);
    /* One parallel for over m's tiles, one tile per chunk: pb_matvec_tile(m, tile). */
    void (*matvec)(void *ctx, const pb_matvec *m);
    /* Optional (NULL): fib(n) through a second spawn interface of the same scheduler, reported
     * as workload fib_alt_name (its spawn cost as fib_alt_name + "_spawn"). */
    long (*fib_alt)(void *ctx, int n);
    const char *fib_alt_name;
} pb_impl;

/* (a) ns per region over back-to-back regions; with a gate, forkjoin_all (see pb_gate). */
static inline void pb_bench_forkjoin(const pb_impl *im, const pb_opts *o, int gated)
{
    int t = o->threads;
    pb_slot *slots = (pb_slot *)pb_xalloc(PB_MAX_THREADS * sizeof(pb_slot));
    pb_gate *gate = gated ? (pb_gate *)pb_xalloc(sizeof(pb_gate)) : NULL;
    double *ns = (double *)pb_xalloc((size_t)o->reps * sizeof(double));
    double spread = 100;
    for (long r = 0; r < 1000; r++) // warm-up: threads started and in their steady state
        im->region(im->ctx, slots, gate, t);
    pb_slot_spread(slots, t, 1000);
    for (int k = 0; k < o->reps; k++) {
        uint64_t t0 = pb_now_ns();
        for (long r = 0; r < o->fj_regions; r++)
            im->region(im->ctx, slots, gate, t);
        ns[k] = (double)(pb_now_ns() - t0) / (double)o->fj_regions;
        double s = pb_slot_spread(slots, t, o->fj_regions);
        spread = s < spread ? s : spread;
    }
    char param[32];
    snprintf(param, sizeof param, "chunks=%d", t);
    if (gate && gate->broken) {
        printf("# %s forkjoin_all skipped: a chunk waited %d ms for the others to start (the "
               "scheduler did not offer them meanwhile; see pb_gate in perf/common.h)\n",
               im->name, PB_GATE_TIMEOUT_MS);
    } else {
        pb_emit(im->name, gated ? "forkjoin_all" : "forkjoin", t, param,
                pb_median(ns, (size_t)o->reps), "ns/region");
        // The minimum over repetitions: the worst case is what matters for "did all take part".
        if (!gated)
            pb_emit(im->name, "forkjoin_spread", t, param, spread, "%");
    }
    free(ns);
    free(gate);
    free(slots);
}

/* (d) One region right after fr_serial_ns of serial busy work: by then the workers may have
 * stopped spinning and gone to sleep, and this is the wake-up cost an inference loop pays
 * after each serial gap (sampling, bookkeeping). */
static inline void pb_bench_firstregion(const pb_impl *im, const pb_opts *o)
{
    int t = o->threads;
    pb_slot *slots = (pb_slot *)pb_xalloc(PB_MAX_THREADS * sizeof(pb_slot));
    double *us = (double *)pb_xalloc((size_t)o->fr_samples * sizeof(double));
    im->region(im->ctx, slots, NULL, t);
    for (int k = 0; k < o->fr_samples; k++) {
        pb_spin_ns((uint64_t)o->fr_serial_ns);
        uint64_t t0 = pb_now_ns();
        im->region(im->ctx, slots, NULL, t);
        us[k] = (double)(pb_now_ns() - t0) / 1e3;
    }
    char param[32];
    snprintf(param, sizeof param, "after=%ldms", o->fr_serial_ns / 1000000);
    pb_emit(im->name, "firstregion", t, param, pb_median(us, (size_t)o->fr_samples), "us");
    free(us);
    free(slots);
}

/* (b) Parallel fib(n) wall time on -t threads, ns per spawn on one thread, and the serial
 * baseline (same binary, same compiler) in ms and ns per call. */
static inline int pb_bench_fib(const pb_impl *im, const pb_opts *o, long (*fib)(void *, int),
                               const char *workload)
{
    int t = o->threads, n = o->fib_n;
    double *ms = (double *)pb_xalloc((size_t)o->reps * sizeof(double));
    double *serial_ms = (double *)pb_xalloc((size_t)o->reps * sizeof(double));
    long expect = pb_fib_serial_timed(n);
    int rc = 0;
    for (int k = 0; k < o->reps && rc == 0; k++) {
        uint64_t t0 = pb_now_ns();
        long got = fib(im->ctx, n);
        ms[k] = (double)(pb_now_ns() - t0) / 1e6;
        t0 = pb_now_ns();
        long serial = pb_fib_serial_timed(n);
        serial_ms[k] = (double)(pb_now_ns() - t0) / 1e6;
        if (got != expect || serial != expect) {
            fprintf(stderr, "%s: fib(%d) gave %ld (serial %ld), expected %ld\n", im->name, n, got,
                    serial, expect);
            rc = -1;
        }
    }
    if (rc == 0) {
        char param[32];
        snprintf(param, sizeof param, "n=%d", n);
        double par = pb_median(ms, (size_t)o->reps);
        double ser = pb_median(serial_ms, (size_t)o->reps);
        char spawn[64];
        snprintf(spawn, sizeof spawn, "%s_spawn", workload);
        pb_emit(im->name, workload, t, param, par, "ms");
        if (t == 1)
            pb_emit(im->name, spawn, t, param, par * 1e6 / pb_fib_spawns(n), "ns/spawn");
        pb_emit(im->name, "fib_serial", 1, param, ser, "ms");
        pb_emit(im->name, "fib_serial_call", 1, param, ser * 1e6 / pb_fib_calls(n), "ns/call");
    }
    free(ms);
    free(serial_ms);
    return rc;
}

/* (c) The median of single timed matvecs, parallel then serial. */
static inline int pb_bench_matvec_one(const pb_impl *im, const pb_opts *o, pb_matvec *m, int iters)
{
    int t = o->threads;
    double *us = (double *)pb_xalloc((size_t)iters * sizeof(double));
    double *serial_us = (double *)pb_xalloc((size_t)iters * sizeof(double));
    for (int k = 0; k < 3; k++) // warm-up: W into the caches where it fits
        im->matvec(im->ctx, m);
    int rc = pb_matvec_check(m);
    if (rc) {
        fprintf(stderr, "%s: matvec %s differs from the serial result\n", im->name, m->param);
    } else {
        for (int k = 0; k < iters; k++) {
            uint64_t t0 = pb_now_ns();
            im->matvec(im->ctx, m);
            us[k] = (double)(pb_now_ns() - t0) / 1e3;
        }
        for (int k = 0; k < iters; k++) {
            uint64_t t0 = pb_now_ns();
            pb_matvec_rows(m->w, m->x, m->y, m->n, 0, m->n);
            serial_us[k] = (double)(pb_now_ns() - t0) / 1e3;
        }
        double par = pb_median(us, (size_t)iters);
        pb_emit(im->name, "matvec", t, m->param, par, "us");
        pb_emit(im->name, "matvec_bw", t, m->param, pb_matvec_bytes(m) / par / 1e3, "GB/s");
        pb_emit(im->name, "matvec_serial", 1, m->param, pb_median(serial_us, (size_t)iters), "us");
    }
    free(us);
    free(serial_us);
    return rc;
}

static inline int pb_bench_matvec(const pb_impl *im, const pb_opts *o)
{
    // 256x256 in exactly two chunks (one per thread on 2 threads: the smallest region that
    // still pays for itself); 2048x2048 (16 MiB, beyond any L2) in 64-row tiles.
    pb_matvec small, large;
    pb_matvec_init(&small, 256, 128);
    pb_matvec_init(&large, 2048, 64);
    int rc = pb_bench_matvec_one(im, o, &small, o->mv_iters_small);
    if (rc == 0)
        rc = pb_bench_matvec_one(im, o, &large, o->mv_iters_large);
    pb_matvec_free(&small);
    pb_matvec_free(&large);
    return rc;
}

/** Runs (a)-(d) in a fixed order. @return 0, or -1 when a result was wrong (printed). */
static inline int pb_run_all(const pb_impl *im, const pb_opts *o)
{
    pb_bench_forkjoin(im, o, 0);
    pb_bench_forkjoin(im, o, 1);
    if (pb_bench_fib(im, o, im->fib, "fib") ||
        (im->fib_alt && pb_bench_fib(im, o, im->fib_alt, im->fib_alt_name)) ||
        pb_bench_matvec(im, o))
        return -1;
    pb_bench_firstregion(im, o);
    return 0;
}

/* Before the final round trip: long enough for any pool to stop spinning (libgomp's default
 * spin is well under this, TBB's and ours a few ms), so that no idle worker competes with the
 * two measuring threads. */
static inline void pb_settle(void)
{
    struct timespec idle = {0, 100000000};
    nanosleep(&idle, NULL);
}

#endif /* SM_PERF_COMMON_H */
