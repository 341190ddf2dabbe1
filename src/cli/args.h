/* SPDX-License-Identifier: MIT */
/* args.h: sm-run's option table and argument parser (pure: no exit, no printing, no globals). */
#ifndef SM_CLI_ARGS_H
#define SM_CLI_ARGS_H

#include <stdint.h>
#include <stdio.h>

#include "smallmind.h"

/* The most --stop options one command takes. */
#define SM_CLI_MAX_STOP 16

/* What the command line asked for. Fields are appended as sm-run learns new options. */
typedef struct sm_cli_args {
    int help;                       /* --help: print usage to stdout and exit 0 */
    int version;                    /* --version: print versions to stdout and exit 0 */
    int topology;                   /* --topology: print the topology and placement plan, exit 0 */
    int n_threads;                  /* -t/--threads N; 0 = one per physical core */
    sm_placement placement;         /* --placement compact|spread */
    const char *topology_synthetic; /* --topology-synthetic DESC (borrowed from argv) */
    const char *topology_xml;       /* --topology-xml FILE (borrowed from argv) */
    const char *model;              /* -m/--model FILE */
    const char *file;               /* -f/--file FILE: the text for --perplexity */
    int perplexity;                 /* --perplexity: score the text of --file, print PPL */
    int n_ctx;                      /* -c/--ctx-size N; 0 = the model's */
    int n_batch;                    /* -b/--batch-size N; 0 = default */
    int no_mmap;                    /* --no-mmap: read the model into memory */
    int mlock;                      /* --mlock: lock the model in RAM */
    sm_kv_type kv_type;             /* --kv-type f32|f16 */
    sm_numa_policy numa;            /* --numa none|interleave|replicate */
    const char *prompt;             /* -p/--prompt TEXT (escapes not yet processed) */
    int n_predict;                  /* -n/--n-predict N; -1 (default) and -2: no limit */
    float temp;                     /* --temp F (default 0.8) */
    int top_k;                      /* --top-k N (default 40) */
    float top_p;                    /* --top-p F (default 0.95) */
    float min_p;                    /* --min-p F (default 0.05) */
    float repeat_penalty;           /* --repeat-penalty F (default 1.0) */
    int repeat_last_n;              /* --repeat-last-n N (default 64; -1 = the context size) */
    int64_t seed;                   /* -s/--seed N; -1 (default): a random seed, printed */
    const char *stop[SM_CLI_MAX_STOP]; /* --stop TEXT, repeatable (escapes not processed) */
    int n_stop;
    const char *timings_json; /* --timings-json FILE, or "-" for stdout */
    int verbose;              /* -v/--verbose */
    int escape;               /* 1 (default): process \n \t ... in -p and --stop */
} sm_cli_args;

/**
 * Parse argv[1..argc) into @p out.
 *
 * @return SM_OK, or SM_E_INVAL with a one-line reason in @p err (at most @p err_len bytes,
 *         always terminated) naming the offending option and value. @p out is written only
 *         on success; its strings point into argv.
 * Reentrant: it keeps no state between calls, so a fuzzer may call it in a loop.
 */
sm_status sm_cli_parse(int argc, char *const argv[], sm_cli_args *out, char *err, size_t err_len);

/* Writes the --help text, generated from the same option table the parser uses. */
void sm_cli_print_help(FILE *stream, const char *prog);

#endif /* SM_CLI_ARGS_H */
