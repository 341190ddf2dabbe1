/* SPDX-License-Identifier: MIT */
/* bench_compare.h: `sm-bench --compare BASE.json NEW.json`: two `sm-bench -o json` runs side
 * by side, per test, with the ratio and a verdict judged from both runs' samples. */
#ifndef SM_PERF_BENCH_COMPARE_H
#define SM_PERF_BENCH_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "bench_util.h"

typedef struct sm_bench_compare_opts {
    const char *base_path; /* the two files (sm-bench -o json output) */
    const char *new_path;
    double fail_pct;  /* --fail-on-regression PCT; < 0: off */
    sm_bench_fmt fmt; /* md (default) table, csv or json */
    FILE *out;
} sm_bench_compare_opts;

/**
 * Reads both files, pairs their objects by (model_filename, test, n_threads, placement, numa,
 * pinning; a file without pinning is taken as pinning "on", the default),
 * and writes one row per pair: base and new mean tok/s, the ratio new/base, and a verdict
 * "faster", "slower" or "within noise". Tests present in only one file are listed as such.
 * @return 0; 1 when fail_pct >= 0 and some pair is "slower" by more than fail_pct percent;
 *         4 when a file cannot be read or is not sm-bench JSON (@p err names the file, the
 *         line and column or the object and field, and what was wrong).
 */
int sm_bench_compare(const sm_bench_compare_opts *o, char *err, size_t err_len);

#endif /* SM_PERF_BENCH_COMPARE_H */
