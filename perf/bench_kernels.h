/* SPDX-License-Identifier: MIT */
/* bench_kernels.h: `sm-bench --kernels`: kernel throughput tables (SGEMM GFLOP/s beside
 * OpenBLAS when configure found it, GEMV GB/s per weight type beside a plain read of the same
 * bytes, the element-wise ops beside ref/), over a list of thread counts. */
#ifndef SM_PERF_BENCH_KERNELS_H
#define SM_PERF_BENCH_KERNELS_H

#include <stddef.h>
#include <stdio.h>

#include "bench_util.h"

typedef struct sm_bench_kernels_opts {
    const int *threads; /* thread counts to measure at (each row once per count) */
    size_t n_threads;
    int reps;          /* repetitions; the median is reported */
    int quick;         /* smaller shapes and shorter timing loops: a seconds-long smoke run */
    const char *only;  /* NULL, or "sgemm", "gemv", "ops": one table */
    const char *type;  /* NULL, or a weight type name ("q4_K"): GEMV rows of that type only */
    const char *table; /* NULL (the dispatched table), or "ref", "avx2", "avx512" */
    sm_bench_fmt fmt;
    FILE *out;    /* results */
    int progress; /* 1: progress line on stderr (bench_util.h) when it is a terminal */
} sm_bench_kernels_opts;

/**
 * Runs the tables and writes them in o->fmt to o->out. JSON is one array of objects with
 * kernel, type, m, n, k, n_threads, median_us, gflops, gbps (null when it does not apply) and,
 * on rows measured beside a reference, ref_name and ref_gflops or ref_gbps.
 * @return 0; 1 when a kernel's result disagreed with its reference (said on stderr); 2 for a
 *         bad option value (unknown table/type/only), with the reason in @p err.
 */
int sm_bench_kernels_run(const sm_bench_kernels_opts *o, char *err, size_t err_len);

#endif /* SM_PERF_BENCH_KERNELS_H */
