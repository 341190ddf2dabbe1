/* SPDX-License-Identifier: MIT */
/* bench_args.h: sm-bench's option table and parser (pure: no printing, no exit, no globals). */
#ifndef SM_PERF_BENCH_ARGS_H
#define SM_PERF_BENCH_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "bench_util.h"
#include "smallmind.h"

enum {
    SM_BENCH_MAX_MODELS = 16, /* -m options */
    SM_BENCH_MAX_LIST = 64    /* values of one list option, ranges expanded */
};

/* A prompt-then-generation test (-pg P,N). */
typedef struct sm_bench_pg {
    int n_prompt, n_gen;
} sm_bench_pg;

typedef struct sm_bench_args {
    int help, version;
    const char *models[SM_BENCH_MAX_MODELS]; /* -m: files, or builtin:NAME (borrowed) */
    int n_models;
    int n_prompt[SM_BENCH_MAX_LIST]; /* -p: pp tests (0 values: none) */
    int n_n_prompt;
    int n_gen[SM_BENCH_MAX_LIST]; /* -n: tg tests */
    int n_n_gen;
    sm_bench_pg pg[SM_BENCH_MAX_LIST]; /* -pg P,N (repeatable) */
    int n_pg;
    int tests_given;                /* 1 when any of -p, -n, -pg was given: no per-model defaults */
    int threads[SM_BENCH_MAX_LIST]; /* -t: 0 = one per physical core */
    int n_threads;
    sm_placement placement[2]; /* --placement compact,spread */
    int n_placement;
    sm_numa_policy numa[3]; /* --numa none,interleave,replicate */
    int n_numa;
    sm_pinning pinning[3]; /* --pin on,off,strict */
    int n_pinning;
    int reps;    /* -r, default 5 */
    int warmup;  /* 1 unless --no-warmup */
    int no_mmap; /* --no-mmap */
    sm_kv_type kv_type;
    sm_bench_fmt fmt; /* -o */
    int progress;     /* 0 with --no-progress */
    int profile;      /* --profile */
    int verbose;      /* -v */
    /* --kernels and its options */
    int kernels;
    int quick;
    const char *only, *type, *table;
    /* --compare BASE NEW */
    const char *compare_base, *compare_new;
    double fail_pct; /* --fail-on-regression PCT; -1 when not given */
} sm_bench_args;

/**
 * Parses argv[1..argc) into @p out (defaults first: builtin small and medium when no -m, 5
 * repetitions, markdown, threads 0).
 * @return SM_OK, or SM_E_INVAL with a one-line reason in @p err naming the option and value.
 */
sm_status sm_bench_parse(int argc, char *const argv[], sm_bench_args *out, char *err,
                         size_t err_len);

/* Parses a list of integers in [lo, hi]: "1,2,4", ranges "1-8" (every value), "1-8+2" (step),
 * "1-16*2" (factor), combined with commas. @return the count, or -1 with the reason in err. */
int sm_bench_parse_int_list(const char *name, const char *text, int lo, int hi, int *out, int cap,
                            char *err, size_t err_len);

/* Writes the --help text from the option table the parser uses. */
void sm_bench_print_help(FILE *f, const char *prog);

#endif /* SM_PERF_BENCH_ARGS_H */
