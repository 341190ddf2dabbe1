/* SPDX-License-Identifier: MIT */
/* profile_report.h: a context's per-op profile (sm_context_profile) printed as markdown: where
 * the time went, the hot paths first. */
#ifndef SM_CLI_PROFILE_REPORT_H
#define SM_CLI_PROFILE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "smallmind.h"

/* Prints three markdown tables to @p f:
 * 1. "Hot paths": the 10 most expensive (op, layer) pairs, most expensive first;
 * 2. "Time per op kind": each op summed over the layers, most expensive first, then the time
 *    no op accounts for ("other") and the total;
 * 3. "Time per layer": each layer's total and its most expensive op, outside the blocks first.
 * Each row gives calls, milliseconds, share of the total, microseconds per call, and GB/s and
 * GFLOP/s where bytes and flops were counted ("-" otherwise). Ties are broken by op name, then
 * layer, so the output is a function of the input.
 *
 * @param e, n         the entries, as sm_context_profile gives them (any order).
 * @param sample_ns    time spent sampling, measured by the caller (0: none); printed as the
 *                     op "sampling" (in the first two tables; it belongs to no layer).
 * @param sample_calls how many tokens were sampled.
 * @param total_ns     the wall time of the run profiled (the evaluations, and the sampling when
 *                     sample_ns is given): the denominator of the shares, and "other" is what
 *                     it holds beyond the entries and the sampling. 0: the shares are of the
 *                     entries' and the sampling's sum, and there is no "other". */
void sm_cli_profile_print(FILE *f, const sm_profile_entry *e, size_t n, uint64_t sample_ns,
                          uint64_t sample_calls, uint64_t total_ns);

#endif /* SM_CLI_PROFILE_REPORT_H */
