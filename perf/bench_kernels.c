/* SPDX-License-Identifier: MIT */
/* bench_kernels.c: single-thread kernel throughput: SGEMM GFLOP/s beside OpenBLAS (when
 * configure found it), GEMV GB/s of weight bytes per type beside a plain read-bandwidth loop
 * over the same bytes, and the element-wise ops beside ref. Built by `make perf`. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SM_HAVE_OPENBLAS
#include <cblas.h>
#endif

#include "bench_kernels.h"
#include "common.h"
#include "kernels/kernels.h"

typedef struct bk_opts {
    int quick, reps;
    const char *only;      /* NULL: everything */
    const char *type;      /* gemv: only this weight type (NULL: all) */
    const sm_kernels *kt;  /* the table measured */
    const sm_kernels *ref; /* for speedups */
} bk_opts;

typedef void (*bk_fn)(void *ctx);

/* Median seconds per call of fn: each repetition runs enough calls to last about 20 ms (2 ms
 * with --quick), after one call of warm-up. */
static double bk_time(const bk_opts *o, bk_fn fn, void *ctx)
{
    fn(ctx);
    uint64_t t0 = pb_now_ns();
    fn(ctx);
    double once = (double)(pb_now_ns() - t0) * 1e-9;
    double target = o->quick ? 0.002 : 0.02;
    long iters = once >= target ? 1 : (long)(target / (once > 1e-9 ? once : 1e-9)) + 1;
    double v[64];
    int reps = o->reps < 64 ? o->reps : 64;
    for (int r = 0; r < reps; r++) {
        t0 = pb_now_ns();
        for (long i = 0; i < iters; i++)
            fn(ctx);
        v[r] = (double)(pb_now_ns() - t0) * 1e-9 / (double)iters;
    }
    return pb_median(v, (size_t)reps);
}

static void bk_fill(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((double)(seed >> 40) / (double)(1 << 24)) * 2.0f - 1.0f;
    }
}

/* ---- SGEMM -------------------------------------------------------------------------------- */

typedef struct bk_gemm {
    const sm_kernels *kt;
    size_t m, n, k; /* tokens, rows of W, inner */
    float *w, *x, *y;
} bk_gemm;

static void bk_gemm_ours(void *ctx)
{
    bk_gemm *g = ctx;
    g->kt->matmul_f32(g->w, g->k * 4, g->x, g->k * 4, g->y, g->n, g->k, 0, g->n, 0, g->m);
}

#ifdef SM_HAVE_OPENBLAS
/* The same product: Y[m][n] = X[m][k] W[n][k]^T. */
static void bk_gemm_blas(void *ctx)
{
    bk_gemm *g = ctx;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)g->m, (int)g->n, (int)g->k, 1.0f,
                g->x, (int)g->k, g->w, (int)g->k, 0.0f, g->y, (int)g->n);
}
#endif

static void bk_sgemm_one(const bk_opts *o, size_t m, size_t n, size_t k)
{
    bk_gemm g = {o->kt, m, n, k, pb_xalloc(n * k * 4), pb_xalloc(m * k * 4), pb_xalloc(m * n * 4)};
    bk_fill(g.w, n * k, 1);
    bk_fill(g.x, m * k, 2);
    char param[64];
    snprintf(param, sizeof param, "M=%zu N=%zu K=%zu", m, n, k);
    double flop = 2.0 * (double)m * (double)n * (double)k;
    pb_emit(o->kt->name, "sgemm", 1, param, flop / bk_time(o, bk_gemm_ours, &g) * 1e-9, "GFLOP/s");
#ifdef SM_HAVE_OPENBLAS
    float *ours = pb_xalloc(m * n * 4);
    memcpy(ours, g.y, m * n * 4);
    pb_emit("openblas", "sgemm", 1, param, flop / bk_time(o, bk_gemm_blas, &g) * 1e-9, "GFLOP/s");
    // Compared relative to the largest output: outputs near zero carry the rounding of a sum of
    // k terms of magnitude ~1 and would make a per-element ratio meaningless.
    double worst = 0, scale = 0;
    for (size_t i = 0; i < m * n; i++) {
        worst = fmax(worst, fabs((double)ours[i] - g.y[i]));
        scale = fmax(scale, fabs((double)g.y[i]));
    }
    if (worst > 1e-5 * scale)
        printf("# WARNING sgemm %s: ours and OpenBLAS differ by %.3g (largest |y| %.3g)\n", param,
               worst, scale);
    free(ours);
#endif
    free(g.w);
    free(g.x);
    free(g.y);
}

static void bk_sgemm(const bk_opts *o)
{
#ifdef SM_HAVE_OPENBLAS
    openblas_set_num_threads(1); // both sides on one core: ours is a single-threaded tile
    printf("# OpenBLAS %s, core %s, 1 thread\n", openblas_get_config(), openblas_get_corename());
#else
    printf("# OpenBLAS not found by configure: sgemm runs without the comparison\n");
#endif
    for (size_t s = 64; s <= (o->quick ? 256u : 2048u); s *= 2)
        bk_sgemm_one(o, s, s, s);
    bk_sgemm_one(o, 128, 2048, 2048);
    bk_sgemm_one(o, 128, 5632, 2048);
    bk_sgemm_one(o, 512, 1536, 576);
}

/* ---- GEMV ---------------------------------------------------------------------------------- */

/* Weights are cycled through copies that add up to more than the last-level cache (1 GiB; 64
 * MiB with --quick), so both the GEMV and the read loop stream from DRAM, as decoding does. */
typedef struct bk_gemv {
    const sm_kernels *kt;
    sm_k_matmul_fn fn;
    size_t rows, n_in, row_bytes, copy_bytes, n_copies, next;
    char *pool;
    void *x;
    float *y;
    uint64_t sink;
} bk_gemv;

static void bk_gemv_call(void *ctx)
{
    bk_gemv *g = ctx;
    const char *w = g->pool + g->next * g->copy_bytes;
    g->next = (g->next + 1) % g->n_copies;
    g->fn(w, g->row_bytes, g->x, 0, g->y, g->rows, g->n_in, 0, g->rows, 0, 1);
}

/* The yardstick: sums over the same bytes in 16-byte GNU C vectors (SSE2 at -O2, no -m flag
 * needed), reading the four quarters of the copy side by side. One sequential stream reached
 * only 10.5 GB/s on the development VM where the f32 GEMV (4 rows at a time) read 16 GB/s:
 * a core's bandwidth depends on how many streams its prefetchers run, so the yardstick reads
 * as many streams as the GEMV does. */
typedef uint64_t bk_v2u64 __attribute__((vector_size(16)));

static void bk_read_call(void *ctx)
{
    bk_gemv *g = ctx;
    const bk_v2u64 *p = (const bk_v2u64 *)(g->pool + g->next * g->copy_bytes);
    g->next = (g->next + 1) % g->n_copies;
    size_t q = g->copy_bytes / 64; // vectors per quarter
    bk_v2u64 s0 = {0, 0}, s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < q; i++) {
        s0 += p[i];
        s1 += p[i + q];
        s2 += p[i + 2 * q];
        s3 += p[i + 3 * q];
    }
    bk_v2u64 s = s0 + s1 + s2 + s3;
    g->sink += s[0] + s[1];
}

static void bk_gemv_one(const bk_opts *o, sm_type t, const char *tname, size_t rows, size_t n_in)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    bk_gemv g = {.kt = o->kt, .fn = sm_kernels_matmul(o->kt, t), .rows = rows, .n_in = n_in};
    g.row_bytes = sm_type_row_bytes(t, n_in);
    g.copy_bytes = (g.row_bytes * rows + PB_PAGE - 1) / PB_PAGE * PB_PAGE;
    size_t pool_bytes = o->quick ? (64u << 20) : (1024u << 20);
    g.n_copies = pool_bytes / g.copy_bytes + 1;
    g.pool = pb_xalloc(g.n_copies * g.copy_bytes);
    float *tmp = pb_xalloc(n_in * 4);
    for (size_t r = 0; r < rows; r++) {
        bk_fill(tmp, n_in, r + 7);
        char *row = g.pool + r * g.row_bytes;
        if (t == SM_TYPE_F32)
            memcpy(row, tmp, n_in * 4);
        else if (t == SM_TYPE_F16)
            for (size_t i = 0; i < n_in; i++)
                ((sm_fp16 *)row)[i] = sm_fp32_to_fp16(tmp[i]);
        else if (t == SM_TYPE_Q8_0)
            ref->quant_q8_0(tmp, row, n_in);
        else if (t == SM_TYPE_Q4_0)
            ref->quant_q4_0(tmp, row, n_in);
        else // K-quants: random codes and scales are as fast as real ones
            for (size_t i = 0; i < g.row_bytes; i++)
                row[i] = (char)(tmp[i % n_in] * 127.0f);
    }
    if (t == SM_TYPE_Q4_K || t == SM_TYPE_Q6_K) { // keep the fp16 scales finite
        for (size_t r = 0; r < rows; r++)
            for (size_t b = 0; b < n_in / SM_QK_K; b++) {
                char *blk = g.pool + r * g.row_bytes + b * sm_type_block_bytes(t);
                sm_fp16 one = 0x1c00; // 2^-8
                memcpy(t == SM_TYPE_Q4_K ? blk : blk + 208, &one, 2);
                if (t == SM_TYPE_Q4_K)
                    memcpy(blk + 2, &one, 2);
            }
    }
    for (size_t c = 1; c < g.n_copies; c++)
        memcpy(g.pool + c * g.copy_bytes, g.pool, g.copy_bytes);
    sm_type xt = sm_type_matmul_x(t);
    g.x = pb_xalloc(sm_type_row_bytes(xt == SM_TYPE_F32 ? SM_TYPE_F32 : xt, n_in) + 64);
    bk_fill(tmp, n_in, 3);
    if (xt == SM_TYPE_F32)
        memcpy(g.x, tmp, n_in * 4);
    else if (xt == SM_TYPE_Q8_0)
        ref->quant_q8_0(tmp, g.x, n_in);
    else
        ref->quant_q8_K(tmp, g.x, n_in);
    g.y = pb_xalloc(rows * 4);
    char param[64];
    snprintf(param, sizeof param, "%s %zux%zu", tname, rows, n_in);
    double bytes = (double)(g.row_bytes * rows);
    double gemv = bytes / bk_time(o, bk_gemv_call, &g) * 1e-9;
    double read = (double)g.copy_bytes / bk_time(o, bk_read_call, &g) * 1e-9;
    pb_emit(o->kt->name, "gemv", 1, param, gemv, "GB/s");
    pb_emit("memread", "gemv", 1, param, read, "GB/s");
    pb_emit(o->kt->name, "gemv_of_read", 1, param, 100.0 * gemv / read, "%");
    free(tmp);
    free(g.pool);
    free(g.x);
    free(g.y);
}

static void bk_gemv_all(const bk_opts *o)
{
    static const struct {
        sm_type t;
        const char *name;
    } types[] = {{SM_TYPE_F32, "f32"},   {SM_TYPE_F16, "f16"},   {SM_TYPE_Q8_0, "q8_0"},
                 {SM_TYPE_Q4_0, "q4_0"}, {SM_TYPE_Q4_K, "q4_K"}, {SM_TYPE_Q6_K, "q6_K"}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (o->type && strcmp(o->type, types[i].name))
            continue;
        bk_gemv_one(o, types[i].t, types[i].name, 2048, 2048);
        bk_gemv_one(o, types[i].t, types[i].name, 5632, 2048);
    }
}

/* ---- element-wise --------------------------------------------------------------------------- */

typedef struct bk_ew {
    const sm_kernels *kt;
    int op; /* 0 gelu, 1 softmax, 2 add, 3 mul, 4 bias */
    size_t n;
    float *a, *b, *y;
} bk_ew;

static void bk_ew_call(void *ctx)
{
    bk_ew *e = ctx;
    switch (e->op) {
    case 0:
        e->kt->gelu(e->n, e->a, e->y);
        break;
    case 1:
        e->kt->softmax(e->n, e->a, e->y);
        break;
    case 2:
        e->kt->add(e->n, e->a, e->b, e->y);
        break;
    case 3:
        e->kt->mul(e->n, e->a, e->b, e->y);
        break;
    default:
        e->kt->add_bias(1024, 1024, 1024, e->a, e->b, e->y);
        break;
    }
}

static void bk_ops(const bk_opts *o)
{
    static const struct {
        const char *name, *param;
        size_t n;
    } ops[] = {{"gelu", "n=1M", 1u << 20},
               {"softmax", "n=2048", 2048},
               {"add", "n=1M", 1u << 20},
               {"mul", "n=1M", 1u << 20},
               {"add_bias", "1024x1024", 1u << 20}};
    for (int op = 0; op < 5; op++) {
        size_t n = ops[op].n;
        bk_ew e = {o->kt, op, n, pb_xalloc(n * 4), pb_xalloc(n * 4), pb_xalloc(n * 4)};
        bk_fill(e.a, n, 5);
        bk_fill(e.b, n, 6);
        double ours = bk_time(o, bk_ew_call, &e) * 1e6;
        e.kt = o->ref;
        double ref = bk_time(o, bk_ew_call, &e) * 1e6;
        pb_emit(o->kt->name, ops[op].name, 1, ops[op].param, ours, "us");
        pb_emit("ref", ops[op].name, 1, ops[op].param, ref, "us");
        pb_emit(o->kt->name, "speedup_vs_ref", 1, ops[op].name, ref / ours, "x");
        free(e.a);
        free(e.b);
        free(e.y);
    }
}

/* ---- driver -------------------------------------------------------------------------------- */

static int bk_parse(int argc, char **argv, bk_opts *o)
{
    o->quick = 0;
    o->reps = 5;
    o->only = NULL;
    o->type = NULL;
    o->kt = sm_kernels_get();
    o->ref = sm_kernels_table(SM_ISA_REF);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            o->quick = 1;
        } else if (!strcmp(a, "--reps") && v && atoi(v) >= 1 && atoi(v) <= 64) {
            o->reps = atoi(v);
            i++;
        } else if (!strcmp(a, "--type") && v) {
            o->type = v;
            i++;
        } else if (!strcmp(a, "--only") && v) {
            o->only = v;
            i++;
        } else if (!strcmp(a, "--table") && v) {
            static const char *const names[] = {"ref", "avx2", "avx512"};
            int found = -1;
            for (int t = 0; t < SM_ISA_COUNT; t++)
                if (!strcmp(v, names[t]))
                    found = t;
            o->kt = found >= 0 ? sm_kernels_table((sm_isa)found) : NULL;
            if (!o->kt) {
                fprintf(stderr, "%s: --table %s: unknown or not supported here\n", argv[0], v);
                return -1;
            }
            i++;
        } else {
            fprintf(stderr,
                    "usage: %s [--quick] [--reps N (1-64)] [--table ref|avx2|avx512] "
                    "[--only sgemm|gemv|ops] [--type f32|f16|q8_0|q4_0|q4_K|q6_K]\n",
                    argv[0]);
            return -1;
        }
    }
    return 0;
}

int sm_bench_kernels(int argc, char **argv)
{
    bk_opts o;
    if (bk_parse(argc, argv, &o))
        return 1;
    printf("# bench_kernels table=%s reps=%d quick=%d compiler=\"%s\" threads=1\n", o.kt->name,
           o.reps, o.quick, __VERSION__);
    printf("impl,workload,threads,param,value,unit\n");
    if (!o.only || !strcmp(o.only, "sgemm"))
        bk_sgemm(&o);
    if (!o.only || !strcmp(o.only, "gemv"))
        bk_gemv_all(&o);
    if (!o.only || !strcmp(o.only, "ops"))
        bk_ops(&o);
    return 0;
}

int main(int argc, char **argv)
{
    return sm_bench_kernels(argc, argv);
}
