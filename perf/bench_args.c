/* SPDX-License-Identifier: MIT */
/* bench_args.c: one option table drives the parser and --help, so they cannot disagree (and
 * tests/test_bench.sh holds the man page to the same list). */
#include "config.h"

#include "bench_args.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum bench_opt_id {
    OPT_MODEL,
    OPT_PROMPT,
    OPT_GEN,
    OPT_PG,
    OPT_THREADS,
    OPT_REPS,
    OPT_NO_WARMUP,
    OPT_PLACEMENT,
    OPT_NUMA,
    OPT_PIN,
    OPT_NO_MMAP,
    OPT_KV_TYPE,
    OPT_OUTPUT,
    OPT_PROFILE,
    OPT_KERNELS,
    OPT_QUICK,
    OPT_ONLY,
    OPT_TYPE,
    OPT_TABLE,
    OPT_COMPARE,
    OPT_FAIL,
    OPT_NO_PROGRESS,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION,
};

typedef struct bench_option {
    const char *long_name;  /* without "--" */
    const char *short_name; /* with its "-" ("-m", and llama-bench's "-pg"), or NULL */
    int id;
    const char *value; /* the value's name in --help; NULL for a flag */
    const char *help;
} bench_option;

/* The largest thread count and token count accepted: the scheduler's and loader's bounds. */
#define BENCH_MAX_THREADS 4096
#define BENCH_MAX_TOKENS  16777216

// clang-format off
static const bench_option bench_options[] = {
    {"model",               "-m",  OPT_MODEL,       "FILE",
     "a GGUF model, or builtin:small / builtin:medium (repeatable; default: both built-ins)"},
    {"n-prompt",            "-p",  OPT_PROMPT,      "LIST",
     "prompt-processing tests of these token counts (default 512; 10 on built-ins)"},
    {"n-gen",               "-n",  OPT_GEN,         "LIST",
     "generation tests of these token counts (default 128; 25 on built-ins)"},
    {"pg",                  "-pg", OPT_PG,          "P,N",
     "a P-token prompt then N generated tokens, timed together (repeatable; default on "
     "built-ins: 10,25)"},
    {"threads",             "-t",  OPT_THREADS,     "LIST",
     "thread counts, e.g. 1,2,4 or 1-8 or 1-16*2 (default 0: one per physical core)"},
    {"repetitions",         "-r",  OPT_REPS,        "N",
     "timed runs of each test, after one warm-up run (default 5)"},
    {"no-warmup",           NULL,  OPT_NO_WARMUP,   NULL,
     "skip the warm-up run"},
    {"placement",           NULL,  OPT_PLACEMENT,   "LIST",
     "worker placements: compact, spread or both (default compact)"},
    {"numa",                NULL,  OPT_NUMA,        "LIST",
     "weight placements: none, interleave, replicate (default none)"},
    {"pin",                 NULL,  OPT_PIN,         "LIST",
     "worker pinning: on, off, strict (default on)"},
    {"no-mmap",             NULL,  OPT_NO_MMAP,     NULL,
     "read model files into memory instead of mapping them"},
    {"kv-type",             NULL,  OPT_KV_TYPE,     "T",
     "KV cache element type: f32 (default) or f16"},
    {"output",              "-o",  OPT_OUTPUT,      "FMT",
     "md (default), csv or json"},
    {"profile",             NULL,  OPT_PROFILE,     NULL,
     "also report where the time goes: per op kind and per layer"},
    {"kernels",             NULL,  OPT_KERNELS,     NULL,
     "benchmark the kernels (SGEMM, GEMV per type, element-wise ops) instead of models"},
    {"quick",               NULL,  OPT_QUICK,       NULL,
     "with --kernels: small shapes and short loops, a seconds-long smoke run"},
    {"only",                NULL,  OPT_ONLY,        "TABLE",
     "with --kernels: one table, sgemm, gemv or ops"},
    {"type",                NULL,  OPT_TYPE,        "T",
     "with --kernels: GEMV of one weight type (f32, f16, q8_0, q4_0, q4_K, q6_K)"},
    {"table",               NULL,  OPT_TABLE,       "ISA",
     "with --kernels: the kernel table to measure, ref, avx2 or avx512 (default: the best)"},
    {"compare",             NULL,  OPT_COMPARE,     "BASE NEW",
     "compare two -o json results per test: ratio and verdict"},
    {"fail-on-regression",  NULL,  OPT_FAIL,        "PCT",
     "with --compare: exit 1 when a test is slower by more than PCT percent"},
    {"no-progress",         NULL,  OPT_NO_PROGRESS, NULL,
     "no progress line on standard error (it is shown only on a terminal)"},
    {"verbose",             "-v",  OPT_VERBOSE,     NULL,
     "say more on standard error: the library's log, each model's details"},
    {"help",                "-h",  OPT_HELP,        NULL,
     "print this help and exit"},
    {"version",             NULL,  OPT_VERSION,     NULL,
     "print version information and exit"},
};
// clang-format on
enum { N_OPTIONS = sizeof bench_options / sizeof bench_options[0] };

static sm_status fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sm_status fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
        /* The reason quotes arguments, which may hold newlines or terminal escapes: shown as
         * '?', they keep it one line (found by fuzz/fuzz_cli_args). */
        for (char *c = err; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7F)
                *c = '?';
    }
    return SM_E_INVAL;
}

/* A whole-string decimal integer in [lo, hi]; -1 on anything else. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int sm_bench_parse_int_list(const char *name, const char *text, int lo, int hi, int *out, int cap,
                            char *err, size_t err_len)
{
    char buf[256];
    if (!text || strlen(text) >= sizeof buf || !*text) {
        fail(err, err_len, "--%s '%s': expected a list such as 1,2,4 or 1-8", name,
             text ? text : "");
        return -1;
    }
    strcpy(buf, text);
    int n = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        long first, last, step = 1;
        char op = '+';
        char *dash = strchr(item + 1, '-'); /* item + 1: a leading '-' is a sign */
        if (!dash) {
            if (parse_long(item, lo, hi, &first)) {
                fail(err, err_len, "--%s '%s': '%s' is not an integer in [%d, %d]", name, text,
                     item, lo, hi);
                return -1;
            }
            last = first;
        } else {
            *dash = '\0';
            char *rest = dash + 1, *sep = strpbrk(rest, "+*");
            if (sep) {
                op = *sep;
                *sep = '\0';
                if (parse_long(sep + 1, op == '+' ? 1 : 2, hi > 1 ? hi : 2, &step)) {
                    fail(err, err_len, "--%s '%s': the %s of a range must be %s", name, text,
                         op == '+' ? "step" : "factor",
                         op == '+' ? "a positive integer" : "an integer of at least 2");
                    return -1;
                }
            }
            if (parse_long(item, lo, hi, &first) || parse_long(rest, lo, hi, &last) ||
                last < first || (op == '*' && first < 1)) {
                fail(err, err_len,
                     "--%s '%s': a range is FIRST-LAST (FIRST <= LAST, both in [%d, %d]; "
                     "FIRST >= 1 with *FACTOR)",
                     name, text, lo, hi);
                return -1;
            }
        }
        for (long v = first; v <= last; v = op == '+' ? v + step : v * step) {
            if (n == cap) {
                fail(err, err_len, "--%s '%s': more than %d values", name, text, cap);
                return -1;
            }
            out[n++] = (int)v;
        }
    }
    if (n == 0)
        fail(err, err_len, "--%s '%s': no values", name, text);
    return n > 0 ? n : -1;
}

/* A comma-separated list of names, each mapped to its index in @p names. */
static int parse_name_list(const char *opt, const char *text, const char *const *names, int n_names,
                           int *out, char *err, size_t err_len)
{
    char buf[128];
    if (!text || !*text || strlen(text) >= sizeof buf) {
        fail(err, err_len, "--%s: expected a list of names", opt);
        return -1;
    }
    strcpy(buf, text);
    int n = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < n_names && strcmp(item, names[k]))
            k++;
        if (k == n_names) {
            char all[96] = "";
            for (int j = 0; j < n_names; j++)
                snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", j ? ", " : "",
                         names[j]);
            fail(err, err_len, "--%s '%s': '%s' is not one of %s", opt, text, item, all);
            return -1;
        }
        for (int j = 0; j < n; j++)
            if (out[j] == k) {
                fail(err, err_len, "--%s '%s': '%s' is listed twice", opt, text, item);
                return -1;
            }
        if (n == n_names)
            break;
        out[n++] = k;
    }
    return n;
}

static sm_status apply(sm_bench_args *a, const bench_option *o, const char *v, const char *v2,
                       char *err, size_t err_len)
{
    const char *name = o->long_name;
    int tmp[3], n;
    long l;
    switch (o->id) {
    case OPT_MODEL:
        if (a->n_models == SM_BENCH_MAX_MODELS)
            return fail(err, err_len, "--model: at most %d models", SM_BENCH_MAX_MODELS);
        if (!*v)
            return fail(err, err_len, "--model: an empty file name");
        a->models[a->n_models++] = v;
        return SM_OK;
    case OPT_PROMPT:
    case OPT_GEN: {
        int *list = o->id == OPT_PROMPT ? a->n_prompt : a->n_gen;
        int *count = o->id == OPT_PROMPT ? &a->n_n_prompt : &a->n_n_gen;
        /* 0 is accepted and means "no such test", as in llama-bench (-p 0). */
        n = sm_bench_parse_int_list(name, v, 0, BENCH_MAX_TOKENS, list, SM_BENCH_MAX_LIST, err,
                                    err_len);
        if (n < 0)
            return SM_E_INVAL;
        int kept = 0;
        for (int i = 0; i < n; i++)
            if (list[i] > 0)
                list[kept++] = list[i];
        *count = kept;
        a->tests_given = 1;
        return SM_OK;
    }
    case OPT_PG: {
        int pg[2];
        if (a->n_pg == SM_BENCH_MAX_LIST)
            return fail(err, err_len, "-pg: at most %d tests", SM_BENCH_MAX_LIST);
        if (!strchr(v, ',') || strchr(v, '-') ||
            sm_bench_parse_int_list(name, v, 1, BENCH_MAX_TOKENS, pg, 2, err, err_len) != 2)
            return fail(err, err_len, "-pg '%s': expected P,N (two positive token counts)", v);
        a->pg[a->n_pg++] = (sm_bench_pg){pg[0], pg[1]};
        a->tests_given = 1;
        return SM_OK;
    }
    case OPT_THREADS:
        n = sm_bench_parse_int_list(name, v, 0, BENCH_MAX_THREADS, a->threads, SM_BENCH_MAX_LIST,
                                    err, err_len);
        if (n < 0)
            return SM_E_INVAL;
        a->n_threads = n;
        return SM_OK;
    case OPT_REPS:
        if (parse_long(v, 1, 1000, &l))
            return fail(err, err_len, "--%s '%s': expected an integer in [1, 1000]", name, v);
        a->reps = (int)l;
        return SM_OK;
    case OPT_NO_WARMUP:
        a->warmup = 0;
        return SM_OK;
    case OPT_PLACEMENT: {
        static const char *const names[] = {"compact", "spread"};
        if ((n = parse_name_list(name, v, names, 2, tmp, err, err_len)) < 0)
            return SM_E_INVAL;
        for (int i = 0; i < n; i++)
            a->placement[i] = tmp[i] ? SM_PLACEMENT_SPREAD : SM_PLACEMENT_COMPACT;
        a->n_placement = n;
        return SM_OK;
    }
    case OPT_NUMA: {
        static const char *const names[] = {"none", "interleave", "replicate"};
        static const sm_numa_policy pol[] = {SM_NUMA_NONE, SM_NUMA_INTERLEAVE, SM_NUMA_REPLICATE};
        if ((n = parse_name_list(name, v, names, 3, tmp, err, err_len)) < 0)
            return SM_E_INVAL;
        for (int i = 0; i < n; i++)
            a->numa[i] = pol[tmp[i]];
        a->n_numa = n;
        return SM_OK;
    }
    case OPT_PIN: {
        static const char *const names[] = {"on", "off", "strict"};
        static const sm_pinning pin[] = {SM_PINNING_ON, SM_PINNING_OFF, SM_PINNING_STRICT};
        if ((n = parse_name_list(name, v, names, 3, tmp, err, err_len)) < 0)
            return SM_E_INVAL;
        for (int i = 0; i < n; i++)
            a->pinning[i] = pin[tmp[i]];
        a->n_pinning = n;
        return SM_OK;
    }
    case OPT_NO_MMAP:
        a->no_mmap = 1;
        return SM_OK;
    case OPT_KV_TYPE:
        if (!strcmp(v, "f32"))
            a->kv_type = SM_KV_F32;
        else if (!strcmp(v, "f16"))
            a->kv_type = SM_KV_F16;
        else
            return fail(err, err_len, "--kv-type '%s': expected f32 or f16", v);
        return SM_OK;
    case OPT_OUTPUT: {
        int f = sm_bench_fmt_parse(v);
        if (f < 0)
            return fail(err, err_len, "--output '%s': expected md, csv or json", v);
        a->fmt = (sm_bench_fmt)f;
        return SM_OK;
    }
    case OPT_PROFILE:
        a->profile = 1;
        return SM_OK;
    case OPT_KERNELS:
        a->kernels = 1;
        return SM_OK;
    case OPT_QUICK:
        a->quick = 1;
        return SM_OK;
    case OPT_ONLY:
        a->only = v;
        return SM_OK;
    case OPT_TYPE:
        a->type = v;
        return SM_OK;
    case OPT_TABLE:
        a->table = v;
        return SM_OK;
    case OPT_COMPARE:
        a->compare_base = v;
        a->compare_new = v2;
        return SM_OK;
    case OPT_FAIL: {
        char *end = NULL;
        errno = 0;
        double p = strtod(v, &end);
        if (errno || end == v || *end || !(p >= 0 && p <= 100))
            return fail(err, err_len, "--%s '%s': expected a percentage in [0, 100]", name, v);
        a->fail_pct = p;
        return SM_OK;
    }
    case OPT_NO_PROGRESS:
        a->progress = 0;
        return SM_OK;
    case OPT_VERBOSE:
        a->verbose = 1;
        return SM_OK;
    case OPT_HELP:
        a->help = 1;
        return SM_OK;
    case OPT_VERSION:
        a->version = 1;
        return SM_OK;
    default:
        return fail(err, err_len, "internal: option %s has no handler", name);
    }
}

/* The option @p arg names: "--long", "--long=value" (value in *inline_v) or a short form. */
static const bench_option *find(const char *arg, const char **inline_v)
{
    *inline_v = NULL;
    for (int i = 0; i < N_OPTIONS; i++) {
        const bench_option *o = &bench_options[i];
        if (o->short_name && !strcmp(arg, o->short_name))
            return o;
        if (arg[0] != '-' || arg[1] != '-')
            continue;
        size_t n = strlen(o->long_name);
        if (!strncmp(arg + 2, o->long_name, n)) {
            if (arg[2 + n] == '\0')
                return o;
            if (arg[2 + n] == '=' && o->value) {
                *inline_v = arg + 3 + n;
                return o;
            }
        }
    }
    return NULL;
}

sm_status sm_bench_parse(int argc, char *const argv[], sm_bench_args *out, char *err,
                         size_t err_len)
{
    sm_bench_args a;
    memset(&a, 0, sizeof a);
    a.reps = 5;
    a.warmup = 1;
    a.progress = 1;
    a.fmt = SM_BENCH_MD;
    a.kv_type = SM_KV_F32;
    a.fail_pct = -1;
    if (err && err_len)
        err[0] = '\0';
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v = NULL, *v2 = NULL;
        const bench_option *o = find(arg, &v);
        if (!o)
            return fail(err, err_len, "unknown option '%s' (see --help)", arg);
        if (o->value && !v) {
            if (i + 1 >= argc)
                return fail(err, err_len, "%s needs a value (%s)", arg, o->value);
            v = argv[++i];
        }
        if (o->id == OPT_COMPARE) {
            if (i + 1 >= argc)
                return fail(err, err_len, "--compare needs two files, BASE NEW");
            v2 = argv[++i];
        }
        sm_status st = apply(&a, o, v, v2, err, err_len);
        if (st != SM_OK)
            return st;
    }
    if (a.help || a.version) {
        *out = a;
        return SM_OK;
    }
    int modes = a.kernels + (a.compare_base != NULL);
    if (modes > 1)
        return fail(err, err_len, "--kernels and --compare are separate runs; give one");
    if (a.fail_pct >= 0 && !a.compare_base)
        return fail(err, err_len, "--fail-on-regression needs --compare BASE NEW");
    if (!a.kernels && (a.quick || a.only || a.type || a.table))
        return fail(err, err_len, "--quick, --only, --type and --table go with --kernels");
    if (a.compare_base && (a.n_models || a.tests_given || a.profile))
        return fail(err, err_len, "--compare reads two result files; it runs no model");
    if (a.kernels && (a.n_models || a.tests_given || a.profile))
        return fail(err, err_len,
                    "--kernels runs no model; -m, -p, -n, -pg and --profile do "
                    "not apply");
    if (a.n_threads == 0)
        a.threads[a.n_threads++] = 0;
    if (a.n_placement == 0)
        a.placement[a.n_placement++] = SM_PLACEMENT_COMPACT;
    if (a.n_numa == 0)
        a.numa[a.n_numa++] = SM_NUMA_NONE;
    if (a.n_pinning == 0)
        a.pinning[a.n_pinning++] = SM_PINNING_ON;
    if (a.tests_given && a.n_n_prompt + a.n_n_gen + a.n_pg == 0)
        return fail(err, err_len, "no test left to run: -p and -n are all 0 and no -pg");
    if (a.n_models == 0) {
        a.models[a.n_models++] = "builtin:small";
        a.models[a.n_models++] = "builtin:medium";
    }
    *out = a;
    return SM_OK;
}

void sm_bench_print_help(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [OPTION]...                 tokens/s of models, llama-bench style\n"
            "       %s --kernels [OPTION]...       kernel GFLOP/s and GB/s\n"
            "       %s --compare BASE.json NEW.json [--fail-on-regression PCT]\n\n"
            "Every combination of model, threads, placement, numa, pin and test runs; each test\n"
            "is timed -r times after a warm-up, on a fixed pseudo-random token trace "
            "(tokenization\nand sampling are not timed).\n\nOptions:\n",
            prog, prog, prog);
    for (int i = 0; i < N_OPTIONS; i++) {
        const bench_option *o = &bench_options[i];
        char left[64];
        snprintf(left, sizeof left, "%s%s--%s%s%s", o->short_name ? o->short_name : "",
                 o->short_name ? ", " : "    ", o->long_name, o->value ? " " : "",
                 o->value ? o->value : "");
        fprintf(f, "  %-30s %s\n", left, o->help);
    }
    fprintf(
        f,
        "\nExit status: 0 success; 1 a regression beyond --fail-on-regression, or a "
        "kernel\nthat disagreed with its reference; 2 usage; 3 a model could not be "
        "loaded;\n4 any other failure (130 when interrupted).\nFull documentation: man sm-bench\n");
}
