/* SPDX-License-Identifier: MIT */
/* bench_kernels.c: `sm-bench --kernels` (bench_kernels.h): SGEMM, GEMV and element-wise kernel
 * throughput per thread count, each beside its reference and checked against it. */
#include "config.h"

#include "bench_kernels.h"
#include "bench_kernels_out.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef SM_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include "kernels/kernels.h"
#include "sched/parallel.h"
#include "smallmind.h"

/*
 * Conventions of a row (one object of the JSON array, one CSV line, one md table line):
 * - sgemm: y[m][n] = x[m][k] W[n][k]^T in f32: m tokens, n output rows, k inner.
 * - gemv:  one token through an n x k weight matrix of `type`: m = 1.
 * - ops:   m rows of n floats (m = 1 for the flat element-wise ops), k = 0.
 * On 1 thread a row is one kernel call over the whole problem: the kernel alone. On more, the
 * problem is cut into tiles as src/ops.c cuts it and the tiles run through sm_parallel_for on an
 * sm_sched of that many workers (the runtime's defaults: pinned, default spin); the reference
 * runs at the same thread count (OpenBLAS through openblas_set_num_threads, the read loop and
 * the ref ops over the same tiles).
 */

enum {
    BK_TILE_TOKENS = 64,    /* src/ops.c SM_TILE_TOKENS */
    BK_TILE_ROW_ALIGN = 16, /* src/ops.c SM_TILE_ROW_ALIGN */
    BK_TILE_ROWS_MAX = 1024,
    BK_MAX_REPS = 1000,
    BK_MAX_THREADS = 1024,
    BK_PAGE = 4096,
};

typedef struct bk_run {
    const sm_bench_kernels_opts *o;
    const sm_kernels *kt, *ref;
    int quick, reps;
    const int *threads; /* the thread counts, each measured right after the other per shape */
    size_t n_threads;
    sm_sched *sched; /* the current thread count's scheduler */
    int n_workers;
    size_t thread_ix;
    int sched_failed; /* the thread count whose scheduler did not start */
    sm_bk_row *rows;
    size_t n_rows, cap_rows;
    double *samples; /* reps of them */
    sm_bench_progress prog;
    int failed; /* a result disagreed with its reference */
    int oom;
    char ref_detail[160]; /* OpenBLAS's configuration and core */
} bk_run;

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* ---- common helpers ------------------------------------------------------------------------ */

/* Page-aligned and zeroed; NULL marks the run out of memory (it then stops with code 2). */
static void *bk_alloc(bk_run *r, size_t bytes)
{
    size_t rounded = div_up(bytes ? bytes : 1, BK_PAGE) * BK_PAGE;
    void *p = aligned_alloc(BK_PAGE, rounded);
    if (!p) {
        r->oom = 1;
        return NULL;
    }
    memset(p, 0, rounded);
    return p;
}

static uint64_t bk_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Uniform in [0, 1). */
static float bk_unit(uint64_t *s)
{
    return (float)(bk_rand(s) >> 40) * 0x1p-24f;
}

/* NaN everywhere: an element the kernel under test leaves unwritten (a tile skipped at some
 * thread count) then fails its check instead of passing with an earlier count's value. */
static void bk_poison(float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = NAN;
}

/* Uniform in [lo, hi). */
static void bk_fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * bk_unit(&s);
}

#ifdef SM_HAVE_OPENBLAS
/* Lets idle threads stop spinning before the other side is timed: ours spin 3 ms after a
 * region (SM_SCHED_DEFAULT_SPIN_US), OpenBLAS's pthread workers 2^28 cycles (its default
 * THREAD_TIMEOUT, about 0.1 s here), both competing for the cores of whatever runs next. */
static void bk_settle(const bk_run *r, long ms)
{
    if (r->quick || r->n_workers == 1)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
#endif

typedef void (*bk_fn)(void *ctx);

/* Median microseconds per call of fn: after one warm-up call, each repetition runs enough calls
 * to last about 20 ms (2 ms with quick). */
static double bk_time_us(bk_run *r, bk_fn fn, void *ctx)
{
    fn(ctx);
    uint64_t t0 = sm_bench_now_ns();
    fn(ctx);
    double once = (double)(sm_bench_now_ns() - t0);
    double target = r->quick ? 2e6 : 2e7;
    long iters = once >= target ? 1 : (long)(target / fmax(once, 1.0)) + 1;
    for (int i = 0; i < r->reps; i++) {
        t0 = sm_bench_now_ns();
        for (long it = 0; it < iters; it++)
            fn(ctx);
        r->samples[i] = (double)(sm_bench_now_ns() - t0) / (double)iters;
    }
    return sm_bench_median(r->samples, (size_t)r->reps) * 1e-3;
}

/* Runs fn over [0, n) in pieces of at most grain: inline on one worker, else on the sched. */
static void bk_for(const bk_run *r, size_t n, size_t grain, sm_range_fn fn, void *ctx)
{
    if (r->n_workers == 1)
        fn(ctx, 0, n, 0);
    else
        sm_parallel_for(r->sched, 0, n, grain, fn, ctx);
}

/* Whether the run goes on: no allocation failed and every scheduler started. */
static int bk_ok(const bk_run *r)
{
    return !r->oom && !r->sched_failed;
}

/* Starts a sched of thread count i (each thread count gets a fresh one, a few ms, so that the
 * counts of a shape run side by side), sets OpenBLAS to as many threads and draws the progress
 * line. @return 0, or -1 when the scheduler did not start. */
static int bk_begin(bk_run *r, size_t i, const char *what)
{
    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = r->threads[i];
    if (sm_sched_create(&p, &r->sched) != SM_OK) {
        r->sched_failed = r->threads[i];
        return -1;
    }
    r->n_workers = sm_sched_n_workers(r->sched);
    r->thread_ix = i;
#ifdef SM_HAVE_OPENBLAS
    openblas_set_num_threads(r->n_workers);
#endif
    char line[120];
    snprintf(line, sizeof line, "%s, %d thread%s", what, r->n_workers,
             r->n_workers == 1 ? "" : "s");
    sm_bench_progress_show(&r->prog, line);
    return 0;
}

static void bk_end(bk_run *r)
{
    sm_sched_free(r->sched);
    r->sched = NULL;
    sm_bench_progress_step(&r->prog);
}

static sm_bk_row *bk_row_new(bk_run *r, sm_bk_group g, int order, const char *kernel,
                             const char *type, size_t m, size_t n, size_t k)
{
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? 2 * r->cap_rows : 64;
        sm_bk_row *rows = realloc(r->rows, cap * sizeof *rows);
        if (!rows) {
            r->oom = 1;
            return NULL;
        }
        r->rows = rows;
        r->cap_rows = cap;
    }
    sm_bk_row *row = &r->rows[r->n_rows++];
    *row = (sm_bk_row){.group = g,
                       .order = order,
                       .thread_ix = r->thread_ix,
                       .kernel = kernel,
                       .type = type,
                       .m = m,
                       .n = n,
                       .k = k,
                       .n_threads = r->n_workers,
                       .median_us = NAN,
                       .gflops = NAN,
                       .gbps = NAN,
                       .ref_median_us = NAN,
                       .ref_gflops = NAN,
                       .ref_gbps = NAN,
                       .ratio = NAN,
                       .check = "none",
                       .err_of_tol = NAN};
    return row;
}

/* Records a check's outcome; a failure is said on stderr at once (the tables come later). */
static void bk_verdict(bk_run *r, sm_bk_row *row, double worst, size_t at, double got, double want,
                       const char *against)
{
    row->err_of_tol = worst;
    row->check = worst <= 1.0 ? "ok" : "FAIL";
    if (worst <= 1.0)
        return;
    r->failed = 1;
    sm_bench_progress_clear(&r->prog);
    fprintf(stderr,
            "sm-bench --kernels: %s %s %zux%zux%zu, %d thread%s, table %s: element %zu is %.9g "
            "but %s gives %.9g (error %.3g times the tolerance)\n",
            row->kernel, row->type, row->m, row->n, row->k, row->n_threads,
            row->n_threads == 1 ? "" : "s", r->kt->name, at, got, against, want, worst);
}

/* |a - b| / tol, with 0 / 0 = 0 (exact ops have a zero tolerance); a NaN on either side is an
 * infinite error, never a pass by failed comparisons. */
static double bk_err_ratio(double a, double b, double tol)
{
    double e = fabs(a - b);
    if (isnan(e))
        return INFINITY;
    if (e == 0)
        return 0;
    return tol > 0 ? e / tol : INFINITY;
}

/* ---- SGEMM --------------------------------------------------------------------------------- */

typedef struct bk_gemm {
    const bk_run *run;
    sm_k_matmul_fn fn;
    size_t m, n, k;
    size_t rows, n_tb, n_rb; /* tiling: rows per tile, token blocks, row blocks */
    float *w, *x, *y, *y_ref;
} bk_gemm;

static void bk_gemm_range(void *ctx, size_t begin, size_t end, int worker)
{
    const bk_gemm *g = ctx;
    (void)worker;
    for (size_t i = begin; i < end; i++) {
        size_t rb = i / g->n_tb, tb = i % g->n_tb;
        size_t r0 = rb * g->rows, r1 = r0 + g->rows < g->n ? r0 + g->rows : g->n;
        size_t tok = g->n_tb == 1 ? g->m : BK_TILE_TOKENS;
        size_t t0 = tb * tok, t1 = t0 + tok < g->m ? t0 + tok : g->m;
        g->fn(g->w, g->k * 4, g->x, g->k * 4, g->y, g->n, g->k, r0, r1, t0, t1);
    }
}

static void bk_gemm_ours(void *ctx)
{
    const bk_gemm *g = ctx;
    bk_for(g->run, g->n_rb * g->n_tb, 1, bk_gemm_range, ctx);
}

#ifdef SM_HAVE_OPENBLAS
/* The same product, y_ref[m][n] = x[m][k] W[n][k]^T: RowMajor, NoTrans x Trans. */
static void bk_gemm_blas(void *ctx)
{
    const bk_gemm *g = ctx;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->m, (int)g->n, (int)g->k, 1.0f,
                g->x, (int)g->k, g->w, (int)g->k, 0.0f, g->y_ref, (int)g->n);
}
#endif

/* The tiles of src/ops.c's sm_op_matmuls on more than one worker: 64-token blocks, and row
 * blocks (a multiple of 16 rows, at most 1024) giving about 4 tiles per worker. */
static void bk_gemm_tiling(bk_gemm *g, int n_workers)
{
    if (n_workers == 1) {
        g->n_tb = 1;
        g->rows = g->n;
    } else {
        g->n_tb = div_up(g->m, BK_TILE_TOKENS);
        size_t rows = div_up(g->n * g->n_tb, 4 * (size_t)n_workers);
        rows = div_up(rows, BK_TILE_ROW_ALIGN) * BK_TILE_ROW_ALIGN;
        g->rows = rows < BK_TILE_ROWS_MAX ? rows : BK_TILE_ROWS_MAX;
    }
    g->n_rb = div_up(g->n, g->rows);
}

/* The kernel contract allows 1e-5 of sum_k |W[r][k] x[t][k]|, which is at most |W_r| |x_t|
 * (Cauchy-Schwarz; about 1.3 times the sum for uniform data); doubled against OpenBLAS, whose
 * own sum rounds too. */
static void bk_gemm_check(bk_run *r, sm_bk_row *row, const bk_gemm *g, double tol,
                          const char *against)
{
    double *nw = malloc(g->n * sizeof *nw), *nx = malloc(g->m * sizeof *nx);
    if (!nw || !nx) {
        free(nw);
        free(nx);
        r->oom = 1;
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        double s = 0;
        for (size_t j = 0; j < g->k; j++)
            s += (double)g->w[i * g->k + j] * g->w[i * g->k + j];
        nw[i] = sqrt(s);
    }
    for (size_t t = 0; t < g->m; t++) {
        double s = 0;
        for (size_t j = 0; j < g->k; j++)
            s += (double)g->x[t * g->k + j] * g->x[t * g->k + j];
        nx[t] = sqrt(s);
    }
    double worst = 0;
    size_t at = 0;
    for (size_t t = 0; t < g->m; t++)
        for (size_t i = 0; i < g->n; i++) {
            size_t e = t * g->n + i;
            double q = bk_err_ratio(g->y[e], g->y_ref[e], tol * nw[i] * nx[t] + 1e-30);
            if (q > worst) {
                worst = q;
                at = e;
            }
        }
    bk_verdict(r, row, worst, at, g->y[at], g->y_ref[at], against);
    free(nw);
    free(nx);
}

/* Without OpenBLAS the ref table checks the products up to this many flops (its scalar loop
 * takes a few tenths of a second for the largest). */
#define BK_REF_GEMM_MAX_FLOP 3e8

/* One thread count of one product: ours, then OpenBLAS (or the ref result computed once). */
static void bk_sgemm_measure(bk_run *r, sm_bk_row *row, bk_gemm *g, int have_ref)
{
    bk_gemm_tiling(g, r->n_workers);
    bk_poison(g->y, g->m * g->n);
    double flop = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    row->median_us = bk_time_us(r, bk_gemm_ours, g);
    row->gflops = flop / row->median_us * 1e-3;
#ifdef SM_HAVE_OPENBLAS
    (void)have_ref;
    bk_settle(r, 10);
    row->ref_name = "openblas";
    row->ref_median_us = bk_time_us(r, bk_gemm_blas, g);
    row->ref_gflops = flop / row->ref_median_us * 1e-3;
    row->ratio = row->gflops / row->ref_gflops;
    bk_settle(r, 200);
    bk_gemm_check(r, row, g, 2e-5, "OpenBLAS");
#else
    if (have_ref)
        bk_gemm_check(r, row, g, 1e-5, "the ref table");
#endif
}

static void bk_sgemm_one(bk_run *r, int order, size_t m, size_t n, size_t k)
{
    bk_gemm g = {.run = r, .fn = r->kt->matmul_f32, .m = m, .n = n, .k = k};
    g.w = bk_alloc(r, n * k * 4);
    g.x = bk_alloc(r, m * k * 4);
    g.y = bk_alloc(r, m * n * 4);
    g.y_ref = bk_alloc(r, m * n * 4);
    if (r->oom)
        goto done;
    bk_fill(g.w, n * k, 1, -1.0f, 1.0f);
    bk_fill(g.x, m * k, 2, -1.0f, 1.0f);
    int have_ref = 0;
#ifndef SM_HAVE_OPENBLAS
    if (2.0 * (double)m * (double)n * (double)k <= BK_REF_GEMM_MAX_FLOP) {
        r->ref->matmul_f32(g.w, k * 4, g.x, k * 4, g.y_ref, n, k, 0, n, 0, m);
        have_ref = 1;
    }
#endif
    char what[64];
    snprintf(what, sizeof what, "sgemm %zux%zux%zu", m, n, k);
    for (size_t i = 0; i < r->n_threads && bk_ok(r) && !bk_begin(r, i, what); i++) {
        sm_bk_row *row = bk_row_new(r, SM_BK_SGEMM, order, "sgemm", "f32", m, n, k);
        if (row)
            bk_sgemm_measure(r, row, &g, have_ref);
        bk_end(r);
    }
done:
    free(g.w);
    free(g.x);
    free(g.y);
    free(g.y_ref);
}

static void bk_sgemm_all(bk_run *r)
{
    static const size_t llm[][3] = {{128, 2048, 2048}, {128, 5632, 2048}, {512, 1536, 576}};
    static const size_t llm_quick[][3] = {{32, 512, 256}};
    int order = 0;
    for (size_t s = 64; s <= (r->quick ? 128u : 2048u) && bk_ok(r); s *= 2)
        bk_sgemm_one(r, order++, s, s, s);
    size_t n_llm = r->quick ? 1 : 3;
    for (size_t i = 0; i < n_llm && bk_ok(r); i++) {
        const size_t *sh = r->quick ? llm_quick[i] : llm[i];
        bk_sgemm_one(r, order++, sh[0], sh[1], sh[2]);
    }
}

static size_t bk_sgemm_count(int quick)
{
    return quick ? 2 + 1 : 6 + 3;
}

/* ---- GEMV ---------------------------------------------------------------------------------- */

static const struct {
    sm_type t;
    const char *name;
} bk_types[] = {{SM_TYPE_F32, "f32"},   {SM_TYPE_F16, "f16"},   {SM_TYPE_Q8_0, "q8_0"},
                {SM_TYPE_Q4_0, "q4_0"}, {SM_TYPE_Q4_K, "q4_K"}, {SM_TYPE_Q6_K, "q6_K"}};
enum { BK_N_TYPES = sizeof bk_types / sizeof bk_types[0] };

/* Weights are cycled through identical copies adding up to more than the last-level cache
 * (1 GiB; 4 MiB with quick), so both the GEMV and the read loop stream from DRAM, as decoding
 * does. */
typedef struct bk_gemv {
    const bk_run *run;
    sm_k_matmul_fn fn;
    size_t rows, n_in, row_bytes, copy_bytes, n_copies, next;
    size_t tile_rows, n_tiles;
    const char *cur; /* the copy the current call reads */
    char *pool;
    void *x;
    float *y, *y_ref;
    double *tol; /* per row: the check's tolerance */
    uint64_t sink;
} bk_gemv;

static void bk_gemv_range(void *ctx, size_t begin, size_t end, int worker)
{
    const bk_gemv *g = ctx;
    (void)worker;
    size_t r0 = begin * g->tile_rows,
           r1 = end * g->tile_rows < g->rows ? end * g->tile_rows : g->rows;
    g->fn(g->cur, g->row_bytes, g->x, 0, g->y, g->rows, g->n_in, r0, r1, 0, 1);
}

static void bk_gemv_ours(void *ctx)
{
    bk_gemv *g = ctx;
    g->cur = g->pool + g->next * g->copy_bytes;
    g->next = (g->next + 1) % g->n_copies;
    bk_for(g->run, g->n_tiles, 1, bk_gemv_range, g);
}

/* The yardstick: sums the bytes in 64-byte GNU C vectors, reading the four quarters of the range
 * side by side, compiled for the widest loads the CPU has. Both choices are measurements on the
 * development VM, one core, 1 GiB pool: one sequential stream of 16-byte loads read 6.5 GB/s,
 * four streams 12.4; four streams of 64-byte loads 16.5 (32-byte: 12.8). A GEMV kernel reading
 * 4 rows at a time runs as many streams, and an SSE2-only yardstick let the AVX-512 f32 GEMV
 * read 14% faster than "memory". */
typedef uint64_t bk_v8u64 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) uint64_t bk_read_body(const char *p, size_t bytes)
{
    size_t q = bytes / 256; /* vectors per quarter */
    bk_v8u64 s0 = {0}, s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < q; i++) {
        bk_v8u64 a, b, c, d; /* memcpy: rows of odd sizes leave ranges unaligned */
        memcpy(&a, p + 64 * i, 64);
        memcpy(&b, p + 64 * (i + q), 64);
        memcpy(&c, p + 64 * (i + 2 * q), 64);
        memcpy(&d, p + 64 * (i + 3 * q), 64);
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += d;
    }
    uint64_t sum = 0;
    for (size_t i = 256 * q; i < bytes; i++)
        sum += (unsigned char)p[i];
    bk_v8u64 s = s0 + s1 + s2 + s3;
    for (int i = 0; i < 8; i++)
        sum += s[i];
    return sum;
}

/* One copy of the body per ISA, chosen per call with __builtin_cpu_supports. Not
 * target_clones: its ifunc resolver runs while the dynamic linker relocates the program, before
 * ThreadSanitizer's runtime is up, and a TSan build of sm-bench died there before main. */
#ifdef SM_KERNELS_X86
__attribute__((target("avx512f"))) static uint64_t bk_read_avx512(const char *p, size_t bytes)
{
    return bk_read_body(p, bytes);
}

__attribute__((target("avx2"))) static uint64_t bk_read_avx2(const char *p, size_t bytes)
{
    return bk_read_body(p, bytes);
}
#endif

static uint64_t bk_read_bytes(const char *p, size_t bytes)
{
#ifdef SM_KERNELS_X86
    if (__builtin_cpu_supports("avx512f"))
        return bk_read_avx512(p, bytes);
    if (__builtin_cpu_supports("avx2"))
        return bk_read_avx2(p, bytes);
#endif
    return bk_read_body(p, bytes);
}

static void bk_read_range(void *ctx, size_t begin, size_t end, int worker)
{
    bk_gemv *g = ctx;
    (void)worker;
    size_t r0 = begin * g->tile_rows,
           r1 = end * g->tile_rows < g->rows ? end * g->tile_rows : g->rows;
    uint64_t s = bk_read_bytes(g->cur + r0 * g->row_bytes, (r1 - r0) * g->row_bytes);
    // Relaxed: the sum only keeps the loads from being optimised away; nobody reads it.
    __atomic_fetch_add(&g->sink, s, __ATOMIC_RELAXED);
}

static void bk_read_call(void *ctx)
{
    bk_gemv *g = ctx;
    g->cur = g->pool + g->next * g->copy_bytes;
    g->next = (g->next + 1) % g->n_copies;
    bk_for(g->run, g->n_tiles, 1, bk_read_range, g);
}

/* Row r of random weights of type t: float types and the 32-blocks quantized from uniform
 * values by ref; K-quants random codes and scales with small fp16 super-scales (as fast as
 * real ones, and finite). */
static void bk_weight_row(const sm_kernels *ref, sm_type t, char *row, size_t n_in, float *tmp,
                          uint64_t seed)
{
    bk_fill(tmp, n_in, seed, -1.0f, 1.0f);
    if (t == SM_TYPE_F32) {
        memcpy(row, tmp, n_in * 4);
    } else if (t == SM_TYPE_F16) {
        for (size_t i = 0; i < n_in; i++)
            ((sm_fp16 *)row)[i] = sm_fp32_to_fp16(tmp[i]);
    } else if (t == SM_TYPE_Q8_0) {
        ref->quant_q8_0(tmp, row, n_in);
    } else if (t == SM_TYPE_Q4_0) {
        ref->quant_q4_0(tmp, row, n_in);
    } else {
        uint64_t s = seed * 0x9E3779B97F4A7C15ull + 3;
        size_t bytes = sm_type_row_bytes(t, n_in);
        for (size_t i = 0; i < bytes; i++)
            row[i] = (char)bk_rand(&s);
        for (size_t b = 0; b < n_in / SM_QK_K; b++) {
            if (t == SM_TYPE_Q4_K) {
                sm_block_q4_K *blk = (sm_block_q4_K *)row + b;
                blk->d = sm_fp32_to_fp16(0.001f + 0.009f * bk_unit(&s));
                blk->dmin = sm_fp32_to_fp16(0.001f + 0.009f * bk_unit(&s));
            } else {
                sm_block_q6_K *blk = (sm_block_q6_K *)row + b;
                blk->d = sm_fp32_to_fp16(0.0001f + 0.0009f * bk_unit(&s));
            }
        }
    }
}

/* x of the type the weights pair with, quantized by ref, and its values as floats (xf). */
static void bk_gemv_x(const sm_kernels *ref, sm_type t, void *x, float *xf, size_t n_in)
{
    bk_fill(xf, n_in, 3, -1.0f, 1.0f);
    sm_type xt = sm_type_matmul_x(t);
    if (xt == SM_TYPE_F32) {
        memcpy(x, xf, n_in * 4);
    } else if (xt == SM_TYPE_Q8_0) {
        ref->quant_q8_0(xf, x, n_in);
        ref->dequant_q8_0(x, xf, n_in);
    } else {
        ref->quant_q8_K(xf, x, n_in);
        const sm_block_q8_K *b = x;
        for (size_t i = 0; i < n_in; i++)
            xf[i] = b[i / SM_QK_K].d * (float)b[i / SM_QK_K].qs[i % SM_QK_K];
    }
}

/* The check's expectation, computed once per shape: ref's matmul on the same bytes, and the
 * kernel contract's tolerance, 1e-5 of sum_k |W[r][k] x[k]| (W dequantized, x as quantized). */
static void bk_gemv_expect(const bk_run *r, bk_gemv *g, sm_type t, const float *xf, float *wf)
{
    sm_kernels_matmul(r->ref, t)(g->pool, g->row_bytes, g->x, 0, g->y_ref, g->rows, g->n_in, 0,
                                 g->rows, 0, 1);
    sm_k_dequant_fn deq = sm_kernels_dequant(r->ref, t);
    for (size_t i = 0; i < g->rows; i++) {
        deq(g->pool + i * g->row_bytes, wf, g->n_in);
        double mag = 0;
        for (size_t j = 0; j < g->n_in; j++)
            mag += fabs((double)wf[j] * xf[j]);
        g->tol[i] = 1e-5 * mag + 1e-30;
    }
}

/* One thread count of one GEMV: ours, then the read loop over the same tiles; then the check. */
static void bk_gemv_measure(bk_run *r, sm_bk_row *row, bk_gemv *g)
{
    // The tiles of src/ops.c for one token: about 4 per worker, a multiple of 16 rows.
    g->tile_rows = g->rows;
    if (r->n_workers > 1) {
        g->tile_rows = div_up(g->rows, 4 * (size_t)r->n_workers);
        g->tile_rows = div_up(g->tile_rows, BK_TILE_ROW_ALIGN) * BK_TILE_ROW_ALIGN;
        if (g->tile_rows > BK_TILE_ROWS_MAX)
            g->tile_rows = BK_TILE_ROWS_MAX;
    }
    g->n_tiles = div_up(g->rows, g->tile_rows);
    double bytes = (double)(g->row_bytes * g->rows);
    bk_poison(g->y, g->rows);
    row->median_us = bk_time_us(r, bk_gemv_ours, g);
    row->gbps = bytes / row->median_us * 1e-3;
    row->gflops = 2.0 * (double)g->rows * (double)g->n_in / row->median_us * 1e-3;
    row->ref_name = "memread";
    row->ref_median_us = bk_time_us(r, bk_read_call, g);
    row->ref_gbps = bytes / row->ref_median_us * 1e-3;
    row->ratio = row->gbps / row->ref_gbps;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < g->rows; i++) {
        double q = bk_err_ratio(g->y[i], g->y_ref[i], g->tol[i]);
        if (q > worst) {
            worst = q;
            at = i;
        }
    }
    bk_verdict(r, row, worst, at, g->y[at], g->y_ref[at], "the ref table");
}

static void bk_gemv_one(bk_run *r, int order, size_t ti, size_t rows, size_t n_in)
{
    sm_type t = bk_types[ti].t;
    bk_gemv g = {.run = r, .fn = sm_kernels_matmul(r->kt, t), .rows = rows, .n_in = n_in};
    g.row_bytes = sm_type_row_bytes(t, n_in);
    g.copy_bytes = div_up(g.row_bytes * rows, BK_PAGE) * BK_PAGE;
    size_t pool_bytes = r->quick ? ((size_t)4 << 20) : ((size_t)1 << 30);
    g.n_copies = pool_bytes / g.copy_bytes + 1;
    g.pool = bk_alloc(r, g.n_copies * g.copy_bytes);
    g.x = bk_alloc(r, sm_type_row_bytes(sm_type_matmul_x(t), n_in));
    g.y = bk_alloc(r, rows * 4);
    g.y_ref = bk_alloc(r, rows * 4);
    g.tol = bk_alloc(r, rows * sizeof *g.tol);
    float *tmp = bk_alloc(r, 2 * n_in * 4);
    if (r->oom)
        goto done;
    for (size_t i = 0; i < rows; i++)
        bk_weight_row(r->ref, t, g.pool + i * g.row_bytes, n_in, tmp, i + 7);
    for (size_t c = 1; c < g.n_copies; c++)
        memcpy(g.pool + c * g.copy_bytes, g.pool, g.copy_bytes);
    bk_gemv_x(r->ref, t, g.x, tmp + n_in, n_in);
    bk_gemv_expect(r, &g, t, tmp + n_in, tmp);
    char what[64];
    snprintf(what, sizeof what, "gemv %s %zux%zu", bk_types[ti].name, rows, n_in);
    for (size_t i = 0; i < r->n_threads && bk_ok(r) && !bk_begin(r, i, what); i++) {
        sm_bk_row *row = bk_row_new(r, SM_BK_GEMV, order, "gemv", bk_types[ti].name, 1, rows, n_in);
        if (row)
            bk_gemv_measure(r, row, &g);
        bk_end(r);
    }
done:
    free(tmp);
    free(g.pool);
    free(g.x);
    free(g.y);
    free(g.y_ref);
    free(g.tol);
}

static void bk_gemv_all(bk_run *r)
{
    static const size_t shapes[2][2] = {{2048, 2048}, {5632, 2048}};
    static const size_t shapes_quick[2][2] = {{256, 256}, {512, 256}};
    for (size_t ti = 0; ti < BK_N_TYPES; ti++) {
        if (r->o->type && strcmp(r->o->type, bk_types[ti].name))
            continue;
        for (size_t s = 0; s < 2 && bk_ok(r); s++) {
            const size_t *sh = r->quick ? shapes_quick[s] : shapes[s];
            bk_gemv_one(r, (int)(ti * 2 + s), ti, sh[0], sh[1]);
        }
    }
}

static size_t bk_gemv_count(const char *type)
{
    return type ? 2 : 2 * BK_N_TYPES;
}

/* ---- element-wise ops ---------------------------------------------------------------------- */

typedef enum bk_op {
    BK_OP_GELU,
    BK_OP_SILU,
    BK_OP_SWIGLU,
    BK_OP_ADD,
    BK_OP_MUL,
    BK_OP_BIAS,
    BK_OP_SOFTMAX,
    BK_OP_RMSNORM,
} bk_op;

/* Shapes (rows x floats; quick ones seconds-friendly) and tolerances: those kernels.h states
 * against ref and tests/kernel_util.h enforces (gelu: one table, exact; swiglu: SiLU's, times
 * |up| <= 1, plus one rounding of the product). */
static const struct {
    bk_op op;
    const char *name;
    int per_row; /* 1: a row operation, split by rows; 0: split anywhere */
    size_t m, n, quick_m, quick_n;
    double abs_tol, rel_tol;
} bk_ops[] = {
    {BK_OP_GELU, "gelu", 0, 1, 1u << 20, 1, 1u << 16, 0, 0},
    {BK_OP_SILU, "silu", 0, 1, 1u << 20, 1, 1u << 16, 2e-6, 2e-6},
    {BK_OP_SWIGLU, "swiglu", 0, 1, 1u << 20, 1, 1u << 16, 2e-6, 4e-6},
    {BK_OP_ADD, "add", 0, 1, 1u << 20, 1, 1u << 16, 0, 0},
    {BK_OP_MUL, "mul", 0, 1, 1u << 20, 1, 1u << 16, 0, 0},
    {BK_OP_BIAS, "add_bias", 1, 1024, 1024, 64, 1024, 0, 0},
    {BK_OP_SOFTMAX, "softmax", 1, 32, 2048, 8, 256, 1e-12, 1e-5},
    {BK_OP_RMSNORM, "rmsnorm", 1, 32, 2048, 8, 256, 1e-5, 1e-5},
};
enum { BK_N_OPS = sizeof bk_ops / sizeof bk_ops[0] };

typedef struct bk_ew {
    const bk_run *run;
    const sm_kernels *kt;
    bk_op op;
    int per_row;
    size_t m, n, grain;
    const float *a, *b; /* a: the input (gate); b: second operand, up, bias or norm weight */
    float *y;
} bk_ew;

static void bk_ew_range(void *ctx, size_t begin, size_t end, int worker)
{
    const bk_ew *e = ctx;
    const sm_kernels *kt = e->kt;
    size_t len = end - begin;
    (void)worker;
    switch (e->op) {
    case BK_OP_GELU:
        kt->gelu(len, e->a + begin, e->y + begin);
        break;
    case BK_OP_SILU:
        kt->silu(len, e->a + begin, e->y + begin);
        break;
    case BK_OP_SWIGLU:
        kt->swiglu(len, e->a + begin, e->b + begin, e->y + begin);
        break;
    case BK_OP_ADD:
        kt->add(len, e->a + begin, e->b + begin, e->y + begin);
        break;
    case BK_OP_MUL:
        kt->mul(len, e->a + begin, e->b + begin, e->y + begin);
        break;
    case BK_OP_BIAS:
        kt->add_bias(len, e->n, e->n, e->a + begin * e->n, e->b, e->y + begin * e->n);
        break;
    case BK_OP_SOFTMAX:
        for (size_t i = begin; i < end; i++)
            kt->softmax(e->n, e->a + i * e->n, e->y + i * e->n);
        break;
    case BK_OP_RMSNORM:
        for (size_t i = begin; i < end; i++)
            kt->rmsnorm(e->n, e->a + i * e->n, e->b, 1e-5f, e->y + i * e->n);
        break;
    }
}

static void bk_ew_call(void *ctx)
{
    const bk_ew *e = ctx;
    bk_for(e->run, e->per_row ? e->m : e->m * e->n, e->grain, bk_ew_range, ctx);
}

/* One thread count of one op: ours, then ref, split alike; then the check. */
static void bk_ops_measure(bk_run *r, sm_bk_row *row, size_t oi, bk_ew *e, float *y, float *y_ref)
{
    size_t units = e->per_row ? e->m : e->m * e->n;
    e->grain = div_up(units, 4 * (size_t)r->n_workers);
    if (!e->per_row) // whole cache lines per piece
        e->grain = div_up(e->grain, 16) * 16;
    e->kt = r->kt;
    e->y = y;
    bk_poison(y, e->m * e->n);
    row->median_us = bk_time_us(r, bk_ew_call, e);
    e->kt = r->ref;
    e->y = y_ref;
    row->ref_name = "ref";
    row->ref_median_us = bk_time_us(r, bk_ew_call, e);
    row->ratio = row->ref_median_us / row->median_us;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < e->m * e->n; i++) {
        double tol = bk_ops[oi].abs_tol + bk_ops[oi].rel_tol * fabs((double)y_ref[i]);
        double q = bk_err_ratio(y[i], y_ref[i], tol);
        if (q > worst) {
            worst = q;
            at = i;
        }
    }
    bk_verdict(r, row, worst, at, y[at], y_ref[at], "the ref table");
}

static void bk_ops_one(bk_run *r, size_t oi)
{
    size_t m = r->quick ? bk_ops[oi].quick_m : bk_ops[oi].m;
    size_t n = r->quick ? bk_ops[oi].quick_n : bk_ops[oi].n;
    float *a = bk_alloc(r, m * n * 4), *b = bk_alloc(r, m * n * 4);
    float *y = bk_alloc(r, m * n * 4), *y_ref = bk_alloc(r, m * n * 4);
    if (!r->oom) {
        bk_fill(a, m * n, 5, -4.0f, 4.0f);
        bk_fill(b, m * n, 6, -1.0f, 1.0f);
        bk_ew e = {r, r->kt, bk_ops[oi].op, bk_ops[oi].per_row, m, n, 1, a, b, y};
        for (size_t i = 0; i < r->n_threads && bk_ok(r) && !bk_begin(r, i, bk_ops[oi].name); i++) {
            sm_bk_row *row = bk_row_new(r, SM_BK_OPS, (int)oi, bk_ops[oi].name, "f32", m, n, 0);
            if (row)
                bk_ops_measure(r, row, oi, &e, y, y_ref);
            bk_end(r);
        }
    }
    free(a);
    free(b);
    free(y);
    free(y_ref);
}

static void bk_ops_all(bk_run *r)
{
    for (size_t oi = 0; oi < BK_N_OPS && bk_ok(r); oi++)
        bk_ops_one(r, oi);
}

/* ---- driver -------------------------------------------------------------------------------- */

static const char *const bk_isa_names[SM_ISA_COUNT] = {"ref", "avx2", "avx512"};

static int bk_fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bk_fail(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return 2;
}

static int bk_pick_table(const char *name, const sm_kernels **kt, char *err, size_t len)
{
    if (!name) {
        *kt = sm_kernels_get();
        return 0;
    }
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        if (strcmp(name, bk_isa_names[i]))
            continue;
        *kt = sm_kernels_table((sm_isa)i);
        if (*kt)
            return 0;
        char avail[64] = "";
        for (int j = 0; j < SM_ISA_COUNT; j++)
            if (sm_kernels_table((sm_isa)j))
                snprintf(avail + strlen(avail), sizeof avail - strlen(avail), "%s%s",
                         avail[0] ? ", " : "", bk_isa_names[j]);
        return bk_fail(err, len, "--table %s: not available on this CPU or build (available: %s)",
                       name, avail);
    }
    return bk_fail(err, len, "--table %s: unknown kernel table (accepted: ref, avx2, avx512)",
                   name);
}

static int bk_check_opts(const sm_bench_kernels_opts *o, const sm_kernels **kt, char *err,
                         size_t len)
{
    if (o->only && strcmp(o->only, "sgemm") && strcmp(o->only, "gemv") && strcmp(o->only, "ops"))
        return bk_fail(err, len, "--only %s: unknown kernel group (accepted: sgemm, gemv, ops)",
                       o->only);
    if (o->type) {
        size_t i = 0;
        while (i < BK_N_TYPES && strcmp(o->type, bk_types[i].name))
            i++;
        if (i == BK_N_TYPES)
            return bk_fail(err, len,
                           "--type %s: unknown weight type (accepted: f32, f16, q8_0, q4_0, "
                           "q4_K, q6_K)",
                           o->type);
    }
    if (o->fmt != SM_BENCH_MD && o->fmt != SM_BENCH_CSV && o->fmt != SM_BENCH_JSON)
        return bk_fail(err, len, "-o: unknown output format %d (accepted: md, csv, json)",
                       (int)o->fmt);
    if (o->reps > BK_MAX_REPS)
        return bk_fail(err, len, "-r %d: too many repetitions (accepted: 1..%d)", o->reps,
                       BK_MAX_REPS);
    for (size_t i = 0; i < o->n_threads; i++)
        if (o->threads[i] < 1 || o->threads[i] > BK_MAX_THREADS)
            return bk_fail(err, len, "-t %d: not a thread count (accepted: 1..%d)", o->threads[i],
                           BK_MAX_THREADS);
    return bk_pick_table(o->table, kt, err, len);
}

/* Starts and stops a sched of each thread count before anything is measured, so that a count
 * the machine refuses fails at once rather than after the tables of the others. */
static int bk_try_scheds(const int *threads, size_t n, char *err, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        sm_sched_params p;
        sm_sched_params_init(&p);
        p.n_threads = threads[i];
        sm_sched *s = NULL;
        sm_status st = sm_sched_create(&p, &s);
        if (st != SM_OK)
            return bk_fail(err, len, "-t %d: cannot start a scheduler of %d workers: %s",
                           threads[i], threads[i], sm_strerror(st));
        sm_sched_free(s);
    }
    return 0;
}

int sm_bench_kernels_run(const sm_bench_kernels_opts *o, char *err, size_t err_len)
{
    static const int one = 1;
    const sm_kernels *kt = NULL;
    if (err && err_len)
        err[0] = '\0';
    int rc = bk_check_opts(o, &kt, err, err_len);
    const int *threads = o->n_threads ? o->threads : &one;
    size_t n_threads = o->n_threads ? o->n_threads : 1;
    if (rc || (rc = bk_try_scheds(threads, n_threads, err, err_len)))
        return rc;
    bk_run r = {.o = o,
                .kt = kt,
                .ref = sm_kernels_table(SM_ISA_REF),
                .quick = o->quick,
                .threads = threads,
                .n_threads = n_threads};
    r.reps = o->reps > 0 ? o->reps : (o->quick ? 2 : 5);
    r.samples = malloc((size_t)r.reps * sizeof *r.samples);
    if (!r.samples)
        return bk_fail(err, err_len, "out of memory");
    int groups = 0;
    size_t per_count = 0;
    if (!o->only || !strcmp(o->only, "sgemm")) {
        groups |= 1 << SM_BK_SGEMM;
        per_count += bk_sgemm_count(o->quick);
    }
    if (!o->only || !strcmp(o->only, "gemv")) {
        groups |= 1 << SM_BK_GEMV;
        per_count += bk_gemv_count(o->type);
    }
    if (!o->only || !strcmp(o->only, "ops")) {
        groups |= 1 << SM_BK_OPS;
        per_count += BK_N_OPS;
    }
#ifdef SM_HAVE_OPENBLAS
    snprintf(r.ref_detail, sizeof r.ref_detail, "%s; core %s", openblas_get_config(),
             openblas_get_corename());
#endif
    sm_bench_progress_init(&r.prog, per_count * n_threads, o->progress);
    if (groups & (1 << SM_BK_SGEMM))
        bk_sgemm_all(&r);
    if ((groups & (1 << SM_BK_GEMV)) && bk_ok(&r))
        bk_gemv_all(&r);
    if ((groups & (1 << SM_BK_OPS)) && bk_ok(&r))
        bk_ops_all(&r);
    sm_bench_progress_clear(&r.prog);
    if (r.sched_failed)
        rc = bk_fail(err, err_len, "-t %d: the scheduler did not start a second time",
                     r.sched_failed);
    else if (r.oom)
        rc = bk_fail(err, err_len, "out of memory for the kernel tables");
    if (!rc) {
        sm_bk_tables t = {r.kt->name, r.reps, r.quick, r.ref_detail, r.rows, r.n_rows};
        sm_bench_kernels_sort(&t);
        sm_bench_kernels_write(&t, o->fmt, o->out ? o->out : stdout);
    }
    free(r.rows);
    free(r.samples);
    return rc ? rc : r.failed ? 1 : 0;
}
