/* SPDX-License-Identifier: MIT */
/* fuzz_cli_args.c: libFuzzer harness for the programs' argument parsers: sm-run's
 * (sm_cli_parse, then the escape processing it applies to --prompt and --stop) and sm-bench's
 * (sm_bench_parse). The input is split into arguments at NUL bytes (at most 64).
 *
 * Beyond the sanitizers it checks the parsers' contract: success fills the result with values
 * in their documented ranges and strings that point into argv; failure writes a one-line,
 * terminated, non-empty reason. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/escape.h"
#include "perf/bench_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_ARGS = 64 };

static void fail(const char *parser, const char *what, long value)
{
    fprintf(stderr, "fuzz_cli_args: %s: %s (%ld)\n", parser, what, value);
    abort();
}

/* A NULL string, or one starting at an argument (the parsers borrow from argv). */
static int from_argv(const char *s, char *const argv[], int argc)
{
    if (s == NULL)
        return 1;
    for (int i = 0; i < argc; i++)
        if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
            return 1;
    return 0;
}

static void check_reason(const char *parser, const char *err, size_t cap)
{
    const char *end = memchr(err, '\0', cap);
    if (end == NULL || end == err)
        fail(parser, "an error without a terminated reason", (long)cap);
    if (memchr(err, '\n', (size_t)(end - err)) != NULL)
        fail(parser, "a reason of more than one line", (long)(end - err));
}

/* sm-run's escapes never lengthen a text, and the result is terminated at its length. */
static void unescape_copy(const char *s)
{
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, s, n + 1);
    size_t m = sm_cli_unescape(copy);
    if (m > n || copy[m] != '\0')
        fail("sm_cli_unescape", "a longer or unterminated result", (long)m);
    free(copy);
}

static void run_cli(int argc, char *argv[])
{
    char err[256];
    sm_cli_args a;
    char prog[] = "sm-run";
    memset(err, 'x', sizeof err);
    argv[0] = prog;
    sm_status st = sm_cli_parse(argc, argv, &a, err, sizeof err);
    if (st != SM_OK) {
        if (st != SM_E_INVAL)
            fail("sm_cli_parse", "a status other than SM_E_INVAL", st);
        check_reason("sm_cli_parse", err, sizeof err);
        return;
    }
    const char *strings[] = {a.topology_synthetic, a.topology_xml, a.model, a.file, a.prompt,
                             a.timings_json};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (!from_argv(strings[i], argv, argc))
            fail("sm_cli_parse", "a string that is not from argv", (long)i);
    if (a.n_stop < 0 || a.n_stop > SM_CLI_MAX_STOP)
        fail("sm_cli_parse", "n_stop", a.n_stop);
    for (int i = 0; i < a.n_stop; i++) {
        if (a.stop[i] == NULL || !from_argv(a.stop[i], argv, argc))
            fail("sm_cli_parse", "a --stop that is not from argv", i);
        if (a.escape)
            unescape_copy(a.stop[i]);
    }
    if (a.prompt != NULL && a.escape)
        unescape_copy(a.prompt);
    if (a.n_threads < 0 || a.n_ctx < 0 || a.n_batch < 0 || a.top_k < 0 || a.n_predict < -2 ||
        a.repeat_last_n < -1)
        fail("sm_cli_parse", "a count out of its range", a.n_threads);
    /* written so that NaN fails them */
    if (!(a.temp >= 0 && a.temp <= 1e6f) || !(a.top_p > 0 && a.top_p <= 1) ||
        !(a.min_p >= 0 && a.min_p <= 1) || !(a.repeat_penalty > 0 && a.repeat_penalty <= 1e6f))
        fail("sm_cli_parse", "a sampling parameter out of its range", 0);
}

static void run_bench(int argc, char *argv[])
{
    char err[256];
    sm_bench_args b;
    char prog[] = "sm-bench";
    memset(err, 'x', sizeof err);
    argv[0] = prog;
    sm_status st = sm_bench_parse(argc, argv, &b, err, sizeof err);
    if (st != SM_OK) {
        if (st != SM_E_INVAL)
            fail("sm_bench_parse", "a status other than SM_E_INVAL", st);
        check_reason("sm_bench_parse", err, sizeof err);
        return;
    }
    const int counts[] = {b.n_n_prompt, b.n_n_gen, b.n_pg, b.n_threads};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i] < 0 || counts[i] > SM_BENCH_MAX_LIST)
            fail("sm_bench_parse", "a list longer than its array", counts[i]);
    if (b.n_models < 0 || b.n_models > SM_BENCH_MAX_MODELS)
        fail("sm_bench_parse", "n_models", b.n_models);
    if (b.n_placement < 0 || b.n_placement > 2 || b.n_numa < 0 || b.n_numa > 3 || b.n_pinning < 0 ||
        b.n_pinning > 3)
        fail("sm_bench_parse", "a choice list longer than its array", b.n_placement);
    for (int i = 0; i < b.n_models; i++)
        if (b.models[i] == NULL)
            fail("sm_bench_parse", "a NULL model", i);
    for (int i = 0; i < b.n_threads; i++)
        if (b.threads[i] < 0)
            fail("sm_bench_parse", "a negative thread count", b.threads[i]);
    if (b.reps < 1 || b.reps > 1000 ||
        !(b.fail_pct == -1 || (b.fail_pct >= 0 && b.fail_pct <= 100)))
        fail("sm_bench_parse", "-r or --fail-on-regression out of its range", b.reps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* One copy, NUL-terminated, cut into arguments at its NULs; argv[0] is the program. */
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 1;
    for (size_t at = 0; at <= size && argc <= MAX_ARGS;) {
        argv[argc++] = buf + at;
        at += strlen(buf + at) + 1;
    }
    argv[argc] = NULL;
    run_cli(argc, argv);
    run_bench(argc, argv);
    free(buf);
    return 0;
}
