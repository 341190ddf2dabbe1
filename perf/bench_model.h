/* SPDX-License-Identifier: MIT */
/* bench_model.h: sm-bench's model runs: load a model, then for every configuration (threads,
 * placement, pinning, numa) time every test and hand each result to the writer. */
#ifndef SM_PERF_BENCH_MODEL_H
#define SM_PERF_BENCH_MODEL_H

#include <signal.h>
#include <stdio.h>

#include "bench_args.h"
#include "bench_result.h"
#include "bench_util.h"

/* One test: tokens of the prompt (evaluated in one call) and of generation (one call each). */
typedef struct sm_bench_test {
    int n_prompt, n_gen;
} sm_bench_test;

/* The tests to run on @p model ("builtin:NAME" or a file): the options' lists, or, when the
 * command gave none, the defaults (pp10, tg25, pp10+tg25 on built-in models; pp512, tg128 on
 * files). Returns the count (at most cap). */
int sm_bench_tests_for(const sm_bench_args *a, const char *model, sm_bench_test *out, int cap);

/* Runs every configuration and test of model @p index of @p a, streaming results to @p w.
 * @p profile_out receives --profile's report (NULL: none). @p interrupted is polled between
 * runs (a SIGINT handler sets it): the run in progress finishes, the rest is skipped.
 * @return an exit status of sm-bench (0; 2 when a test does not fit the model's context; 3 when
 *         the model cannot be loaded; 4 on any other failure; 130 when interrupted), the reason
 *         printed on stderr. */
int sm_bench_run_model(const sm_bench_args *a, int index, sm_bench_writer *w,
                       sm_bench_progress *progress, FILE *profile_out,
                       const volatile sig_atomic_t *interrupted);

#endif /* SM_PERF_BENCH_MODEL_H */
