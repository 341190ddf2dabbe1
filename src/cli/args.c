/* SPDX-License-Identifier: MIT */
/* args.c: one option table drives both the parser and --help, so the two cannot disagree
 * (tests/test_cli.sh also holds the man page to the same list). */
#include "config.h"

#include "cli/args.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum sm_cli_opt_id {
    SM_CLI_OPT_HELP,
    SM_CLI_OPT_VERSION,
    SM_CLI_OPT_THREADS,
    SM_CLI_OPT_PLACEMENT,
    SM_CLI_OPT_TOPOLOGY,
    SM_CLI_OPT_TOPOLOGY_SYNTHETIC,
    SM_CLI_OPT_TOPOLOGY_XML,
    SM_CLI_OPT_MODEL,
    SM_CLI_OPT_FILE,
    SM_CLI_OPT_PERPLEXITY,
    SM_CLI_OPT_CTX_SIZE,
    SM_CLI_OPT_BATCH_SIZE,
    SM_CLI_OPT_NO_MMAP,
    SM_CLI_OPT_MLOCK,
    SM_CLI_OPT_KV_TYPE,
    SM_CLI_OPT_NUMA,
};

typedef struct sm_cli_option {
    const char *long_name; /* without the leading "--" */
    char short_name;       /* 0 when the option has no short form */
    int id;
    const char *value; /* the value's name in --help, NULL for a flag */
    const char *help;
} sm_cli_option;

/* The largest --threads accepted; the scheduler's own limit. */
#define SM_CLI_MAX_THREADS 4096
/* The largest --ctx-size and --batch-size: the loader's own bound on a context length. */
#define SM_CLI_MAX_CTX 16777216

// clang-format off
static const sm_cli_option sm_cli_options[] = {
    {"model",              'm', SM_CLI_OPT_MODEL,              "FILE",
     "the GGUF model to load (llama or gpt2)"},
    {"perplexity",         0,   SM_CLI_OPT_PERPLEXITY,         NULL,
     "score the text of --file in windows of --ctx-size tokens; print the perplexity"},
    {"file",               'f', SM_CLI_OPT_FILE,               "FILE",
     "the text file --perplexity reads"},
    {"ctx-size",           'c', SM_CLI_OPT_CTX_SIZE,           "N",
     "context length in tokens (default 0: the model's)"},
    {"batch-size",         'b', SM_CLI_OPT_BATCH_SIZE,         "N",
     "most tokens evaluated per step (default 0: min(512, ctx-size))"},
    {"kv-type",            0,   SM_CLI_OPT_KV_TYPE,            "T",
     "KV cache element type: f32 (default) or f16"},
    {"no-mmap",            0,   SM_CLI_OPT_NO_MMAP,            NULL,
     "read the model into memory instead of mapping it"},
    {"mlock",              0,   SM_CLI_OPT_MLOCK,              NULL,
     "lock the model in RAM (a refusal is a warning)"},
    {"threads",            't', SM_CLI_OPT_THREADS,            "N",
     "worker threads (default 0: one per physical core)"},
    {"numa",               0,   SM_CLI_OPT_NUMA,               "POLICY",
     "weights on multi-node machines: none (default), interleave or replicate"},
    {"placement",          0,   SM_CLI_OPT_PLACEMENT,          "P",
     "compact (fill a NUMA node first, default) or spread"},
    {"topology",           0,   SM_CLI_OPT_TOPOLOGY,           NULL,
     "print the topology and each worker's placement, then exit"},
    {"topology-synthetic", 0,   SM_CLI_OPT_TOPOLOGY_SYNTHETIC, "DESC",
     "plan for an hwloc synthetic machine, e.g. \"pack:2 [numa] core:8 pu:2\""},
    {"topology-xml",       0,   SM_CLI_OPT_TOPOLOGY_XML,       "FILE",
     "plan for the machine an hwloc XML file describes (lstopo out.xml)"},
    {"help",               'h', SM_CLI_OPT_HELP,               NULL,
     "print this help and exit"},
    {"version",            0,   SM_CLI_OPT_VERSION,            NULL,
     "print version information and exit"},
};
// clang-format on

#define SM_CLI_N_OPTIONS (sizeof sm_cli_options / sizeof sm_cli_options[0])

static sm_status fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sm_status fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return SM_E_INVAL;
}

/* Finds "--name" or "--name=value" (value_out set to the text after '='). */
static const sm_cli_option *find_long(const char *arg, const char **value_out)
{
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    *value_out = name[len] == '=' ? name + len + 1 : NULL;
    for (size_t i = 0; i < SM_CLI_N_OPTIONS; i++) {
        if (strlen(sm_cli_options[i].long_name) == len &&
            memcmp(sm_cli_options[i].long_name, name, len) == 0)
            return &sm_cli_options[i];
    }
    return NULL;
}

static const sm_cli_option *find_short(char c)
{
    for (size_t i = 0; i < SM_CLI_N_OPTIONS; i++) {
        if (sm_cli_options[i].short_name != 0 && sm_cli_options[i].short_name == c)
            return &sm_cli_options[i];
    }
    return NULL;
}

/* A whole decimal integer in [lo, hi]: no sign games, no trailing text, no overflow. */
static sm_status parse_int(const char *name, const char *text, long lo, long hi, int *out,
                           char *err, size_t err_len)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE)
        return fail(err, err_len, "option '--%s': '%s' is not an integer", name, text);
    if (v < lo || v > hi)
        return fail(err, err_len, "option '--%s': %ld is outside [%ld, %ld]", name, v, lo, hi);
    *out = (int)v;
    return SM_OK;
}

static sm_status apply(sm_cli_args *a, const sm_cli_option *opt, const char *value, char *err,
                       size_t err_len)
{
    switch (opt->id) {
    case SM_CLI_OPT_HELP:
        a->help = 1;
        break;
    case SM_CLI_OPT_VERSION:
        a->version = 1;
        break;
    case SM_CLI_OPT_TOPOLOGY:
        a->topology = 1;
        break;
    case SM_CLI_OPT_THREADS:
        return parse_int(opt->long_name, value, 0, SM_CLI_MAX_THREADS, &a->n_threads, err, err_len);
    case SM_CLI_OPT_PLACEMENT:
        if (strcmp(value, "compact") == 0)
            a->placement = SM_PLACEMENT_COMPACT;
        else if (strcmp(value, "spread") == 0)
            a->placement = SM_PLACEMENT_SPREAD;
        else
            return fail(err, err_len, "option '--placement': '%s' is not compact or spread", value);
        break;
    case SM_CLI_OPT_TOPOLOGY_SYNTHETIC:
        a->topology_synthetic = value;
        break;
    case SM_CLI_OPT_TOPOLOGY_XML:
        a->topology_xml = value;
        break;
    case SM_CLI_OPT_MODEL:
        a->model = value;
        break;
    case SM_CLI_OPT_FILE:
        a->file = value;
        break;
    case SM_CLI_OPT_PERPLEXITY:
        a->perplexity = 1;
        break;
    case SM_CLI_OPT_CTX_SIZE:
        return parse_int(opt->long_name, value, 0, SM_CLI_MAX_CTX, &a->n_ctx, err, err_len);
    case SM_CLI_OPT_BATCH_SIZE:
        return parse_int(opt->long_name, value, 0, SM_CLI_MAX_CTX, &a->n_batch, err, err_len);
    case SM_CLI_OPT_NO_MMAP:
        a->no_mmap = 1;
        break;
    case SM_CLI_OPT_MLOCK:
        a->mlock = 1;
        break;
    case SM_CLI_OPT_NUMA:
        if (strcmp(value, "none") == 0)
            a->numa = SM_NUMA_NONE;
        else if (strcmp(value, "interleave") == 0)
            a->numa = SM_NUMA_INTERLEAVE;
        else if (strcmp(value, "replicate") == 0)
            a->numa = SM_NUMA_REPLICATE;
        else
            return fail(err, err_len, "option '--numa': '%s' is not none, interleave or replicate",
                        value);
        break;
    case SM_CLI_OPT_KV_TYPE:
        if (strcmp(value, "f32") == 0)
            a->kv_type = SM_KV_F32;
        else if (strcmp(value, "f16") == 0)
            a->kv_type = SM_KV_F16;
        else
            return fail(err, err_len, "option '--kv-type': '%s' is not f32 or f16", value);
        break;
    }
    return SM_OK;
}

/* Resolves one option at argv[*i], consuming its value from the next argument if needed. */
static sm_status parse_one(int argc, char *const argv[], int *i, sm_cli_args *a, char *err,
                           size_t err_len)
{
    const char *arg = argv[*i];
    const sm_cli_option *opt;
    const char *value = NULL;
    if (strncmp(arg, "--", 2) == 0) {
        opt = find_long(arg, &value);
        if (opt == NULL)
            return fail(err, err_len, "unknown option '%s'", arg);
        if (value != NULL && opt->value == NULL)
            return fail(err, err_len, "option '--%s' takes no value (got '%s')", opt->long_name,
                        arg);
    } else {
        opt = find_short(arg[1]);
        if (opt == NULL || (arg[2] != '\0' && opt->value == NULL))
            return fail(err, err_len, "unknown option '%s'", arg);
        if (arg[2] != '\0')
            value = arg + 2; /* -t4 */
    }
    if (opt->value != NULL && value == NULL) {
        if (*i + 1 >= argc)
            return fail(err, err_len, "option '--%s' needs a value (%s)", opt->long_name,
                        opt->value);
        value = argv[++*i];
    }
    return apply(a, opt, value, err, err_len);
}

sm_status sm_cli_parse(int argc, char *const argv[], sm_cli_args *out, char *err, size_t err_len)
{
    sm_cli_args a = {0};
    a.placement = SM_PLACEMENT_COMPACT;
    if (err != NULL && err_len > 0)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            if (i + 1 < argc)
                return fail(err, err_len, "unexpected argument '%s'", argv[i + 1]);
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            return fail(err, err_len, "unexpected argument '%s'", arg);
        sm_status st = parse_one(argc, argv, &i, &a, err, err_len);
        if (st != SM_OK)
            return st;
    }
    if (a.perplexity && (a.model == NULL || a.file == NULL))
        return fail(err, err_len, "option '--perplexity' needs '--model FILE' and '--file FILE'");
    if (a.topology_synthetic != NULL && a.topology_xml != NULL)
        return fail(err, err_len,
                    "options '--topology-synthetic' and '--topology-xml' exclude each other");
    *out = a;
    return SM_OK;
}

void sm_cli_print_help(FILE *stream, const char *prog)
{
    fprintf(stream,
            "Usage: %s [OPTION]...\n"
            "       %s -m MODEL --perplexity -f TEXT [-c N] [-t N]\n"
            "Run a small transformer language model on the CPU (SmallMind %s).\n"
            "This release scores text (--perplexity) and prints the placement plan of its\n"
            "scheduler (--topology); text generation comes in the next release.\n"
            "\n"
            "Options:\n",
            prog, prog, sm_version_string());
    for (size_t i = 0; i < SM_CLI_N_OPTIONS; i++) {
        const sm_cli_option *o = &sm_cli_options[i];
        char flags[64];
        const char *v = o->value != NULL ? o->value : "";
        const char *sep = o->value != NULL ? " " : "";
        if (o->short_name != 0)
            snprintf(flags, sizeof flags, "-%c, --%s%s%s", o->short_name, o->long_name, sep, v);
        else
            snprintf(flags, sizeof flags, "    --%s%s%s", o->long_name, sep, v);
        fprintf(stream, "  %-30s %s\n", flags, o->help);
    }
    fprintf(stream, "\n"
                    "Exit status: 0 on success, 1 on a runtime error (unreadable or malformed\n"
                    "model or text, bad topology, failed output), 2 on a usage error.\n"
                    "Full documentation: man sm-run\n");
}
