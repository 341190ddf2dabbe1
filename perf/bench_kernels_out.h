/* SPDX-License-Identifier: MIT */
/* bench_kernels_out.h: the rows of `sm-bench --kernels` and their writers (md, csv, json),
 * shared by the measuring side (bench_kernels.c) and the formatting side (bench_kernels_out.c). */
#ifndef SM_PERF_BENCH_KERNELS_OUT_H
#define SM_PERF_BENCH_KERNELS_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "bench_util.h"

/* The tables, in output order. */
typedef enum sm_bk_group { SM_BK_SGEMM = 0, SM_BK_GEMV = 1, SM_BK_OPS = 2 } sm_bk_group;

/* One measured row. What m, n and k mean per kernel: bench_kernels.c, "Conventions of a row". */
typedef struct sm_bk_row {
    sm_bk_group group;
    int order;        /* the shape's place in its group */
    size_t thread_ix; /* index into o->threads */
    const char *kernel, *type;
    size_t m, n, k;
    int n_threads;
    double median_us, gflops, gbps;             /* NAN: not meaningful */
    const char *ref_name;                       /* NULL: no reference timed */
    double ref_median_us, ref_gflops, ref_gbps; /* NAN when absent */
    double ratio;                               /* our speed over the reference's */
    const char *check;                          /* "ok", "FAIL", "none" (no reference ran) */
    double err_of_tol;                          /* worst |error| / tolerance; <= 1 passes */
} sm_bk_row;

/* A run's rows and what every row shares. */
typedef struct sm_bk_tables {
    const char *isa;        /* the kernel table measured ("avx512") */
    int reps;               /* repetitions behind each median */
    int quick;              /* the smoke-run shapes */
    const char *ref_detail; /* OpenBLAS's configuration and core; "" without OpenBLAS */
    sm_bk_row *rows;
    size_t n_rows;
} sm_bk_tables;

/* Orders the rows by table, then shape, then thread count (as given). */
void sm_bench_kernels_sort(sm_bk_tables *t);

/* Writes the rows as md (a table per group with the ratios to the references), csv (a header
 * and one line per row) or json (one array of one object per row; NaN as null). */
void sm_bench_kernels_write(const sm_bk_tables *t, sm_bench_fmt fmt, FILE *f);

#endif /* SM_PERF_BENCH_KERNELS_OUT_H */
