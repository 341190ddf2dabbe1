/* SPDX-License-Identifier: MIT */
/* bench_kernels_main.c: the kernel tables on their own (`make perf`), with sm-bench --kernels'
 * options, for working on a kernel without the rest of sm-bench. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kernels.h"

enum { MAX_COUNTS = 64 };

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [-t LIST] [-r N] [-o md|csv|json] [--quick] [--only sgemm|gemv|ops]\n"
            "       [--type f32|f16|q8_0|q4_0|q4_K|q6_K] [--table ref|avx2|avx512]\n"
            "Kernel throughput beside OpenBLAS, a plain read of the weights and the ref table\n"
            "(perf/README.md, \"Kernels\").\n"
            "  -t LIST   thread counts, comma-separated (default 1)\n"
            "  -r N      repetitions, the median is reported (default 5; 2 with --quick)\n"
            "  -o FMT    md (default), csv or json\n"
            "  --quick   small shapes and short loops: a smoke run, figures not meaningful\n",
            prog);
}

/* "1,2,4" into counts; @return how many, or -1 for anything else. */
static int parse_list(const char *s, int *counts)
{
    int n = 0;
    while (*s) {
        char *end = NULL;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 100000 || n == MAX_COUNTS || (*end && *end != ','))
            return -1;
        counts[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return n > 0 ? n : -1;
}

int main(int argc, char **argv)
{
    int counts[MAX_COUNTS] = {1};
    sm_bench_kernels_opts o = {.threads = counts, .n_threads = 1, .out = stdout, .progress = 1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            o.quick = 1;
            continue;
        } else if (!v) {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", argv[0], a);
            return 2;
        }
        i++;
        if (!strcmp(a, "-t")) {
            int n = parse_list(v, counts);
            if (n < 0) {
                fprintf(stderr, "%s: -t %s: expected thread counts like 1,2\n", argv[0], v);
                return 2;
            }
            o.n_threads = (size_t)n;
        } else if (!strcmp(a, "-r")) {
            o.reps = atoi(v);
            if (o.reps < 1) {
                fprintf(stderr, "%s: -r %s: expected a number of repetitions >= 1\n", argv[0], v);
                return 2;
            }
        } else if (!strcmp(a, "-o")) {
            int f = sm_bench_fmt_parse(v);
            if (f < 0) {
                fprintf(stderr, "%s: -o %s: unknown format (accepted: md, csv, json)\n", argv[0],
                        v);
                return 2;
            }
            o.fmt = (sm_bench_fmt)f;
        } else if (!strcmp(a, "--only")) {
            o.only = v;
        } else if (!strcmp(a, "--type")) {
            o.type = v;
        } else if (!strcmp(a, "--table")) {
            o.table = v;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], a);
            return 2;
        }
    }
    char err[256];
    int rc = sm_bench_kernels_run(&o, err, sizeof err);
    if (rc == 2)
        fprintf(stderr, "%s: %s\n", argv[0], err);
    return rc;
}
