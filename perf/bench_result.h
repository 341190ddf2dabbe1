/* SPDX-License-Identifier: MIT */
/* bench_result.h: one measured test of sm-bench (a model, a configuration, a test and its
 * samples), and the writers that stream results as markdown, CSV or JSON while they arrive, so
 * that a long run shows (and keeps) every finished row. */
#ifndef SM_PERF_BENCH_RESULT_H
#define SM_PERF_BENCH_RESULT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench_util.h"
#include "smallmind.h"

enum { SM_BENCH_MAX_REPS = 1000 };

typedef struct sm_bench_result {
    const char *model_filename; /* as given to -m (borrowed) */
    char model_type[96];        /* "gpt2 3.3M F32": architecture, parameters, weight type */
    uint64_t model_size;        /* bytes of weights */
    uint64_t model_n_params;
    int n_threads; /* workers actually running */
    const char *placement, *numa, *pinning;
    int n_prompt, n_gen; /* tokens of the prompt and generated (pp: n_gen 0; tg: n_prompt 0) */
    char test[48];       /* "pp512", "tg128", "pp10+tg25" */
    int n_batch;
    const char *type_kv; /* "f32" or "f16" */
    int use_mmap;
    const double *samples_ns; /* wall time of each timed run (n_samples of them) */
    int n_samples;
    double heap_bytes_per_token;        /* heap bytes the workers allocated per timed token */
    int heap_counted;                   /* 0: the build cannot count them (malloc arena backend) */
    double steals_local, steals_remote; /* per timed run, summed over workers */
    const char *isa, *topology, *version;
    uint64_t context_bytes;  /* the context's arena (KV cache and activations) */
    uint64_t peak_rss_bytes; /* the process's peak resident set so far */
    char test_time[32];      /* when the test started, ISO 8601 UTC */
} sm_bench_result;

/* tokens/s of sample i: (n_prompt + n_gen) / seconds. */
double sm_bench_result_ts(const sm_bench_result *r, int i);

typedef struct sm_bench_writer {
    sm_bench_fmt fmt;
    FILE *out;
    int show_placement, show_numa, show_pin; /* md: columns for what the run varies */
    int rows;
} sm_bench_writer;

/* Headers (md, csv) or the opening bracket (json). Each returns 0, or -1 when writing failed. */
int sm_bench_writer_begin(sm_bench_writer *w);
int sm_bench_writer_row(sm_bench_writer *w, const sm_bench_result *r);
/* The closing bracket (json); flushes. */
int sm_bench_writer_end(sm_bench_writer *w);

#endif /* SM_PERF_BENCH_RESULT_H */
