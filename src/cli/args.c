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
    SM_CLI_OPT_PROMPT,
    SM_CLI_OPT_N_PREDICT,
    SM_CLI_OPT_TEMP,
    SM_CLI_OPT_TOP_K,
    SM_CLI_OPT_TOP_P,
    SM_CLI_OPT_MIN_P,
    SM_CLI_OPT_REPEAT_PENALTY,
    SM_CLI_OPT_REPEAT_LAST_N,
    SM_CLI_OPT_SEED,
    SM_CLI_OPT_STOP,
    SM_CLI_OPT_NO_ESCAPE,
    SM_CLI_OPT_TIMINGS_JSON,
    SM_CLI_OPT_VERBOSE,
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
     "the GGUF model to load (llama or gpt2); without it, a built-in model"},
    {"prompt",             'p', SM_CLI_OPT_PROMPT,             "TEXT",
     "the text to continue"},
    {"file",               'f', SM_CLI_OPT_FILE,               "FILE",
     "read the prompt from FILE (with --perplexity: the text to score)"},
    {"n-predict",          'n', SM_CLI_OPT_N_PREDICT,          "N",
     "tokens to generate (default -1: until EOS or a full context; -2: the same)"},
    {"ctx-size",           'c', SM_CLI_OPT_CTX_SIZE,           "N",
     "context length in tokens (default 0: the model's)"},
    {"batch-size",         'b', SM_CLI_OPT_BATCH_SIZE,         "N",
     "most tokens evaluated per step (default 0: min(512, ctx-size))"},
    {"temp",               0,   SM_CLI_OPT_TEMP,               "F",
     "temperature (default 0.8; 0: always the most likely token)"},
    {"top-k",              0,   SM_CLI_OPT_TOP_K,              "N",
     "keep the N most likely tokens (default 40; 0: off)"},
    {"top-p",              0,   SM_CLI_OPT_TOP_P,              "F",
     "keep the most likely tokens up to probability F (default 0.95; 1: off)"},
    {"min-p",              0,   SM_CLI_OPT_MIN_P,              "F",
     "drop tokens less likely than F times the best (default 0.05; 0: off)"},
    {"repeat-penalty",     0,   SM_CLI_OPT_REPEAT_PENALTY,     "F",
     "penalize tokens seen in the last --repeat-last-n (default 1.0: off)"},
    {"repeat-last-n",      0,   SM_CLI_OPT_REPEAT_LAST_N,      "N",
     "tokens the penalty looks back (default 64; 0: off; -1: the context size)"},
    {"seed",               's', SM_CLI_OPT_SEED,               "N",
     "sampling seed (default -1: a random one, printed)"},
    {"stop",               0,   SM_CLI_OPT_STOP,               "TEXT",
     "stop before TEXT (repeatable, at most 16)"},
    {"no-escape",          0,   SM_CLI_OPT_NO_ESCAPE,          NULL,
     "take --prompt and --stop literally (default: \\n, \\t, \\\\ ... are processed)"},
    {"perplexity",         0,   SM_CLI_OPT_PERPLEXITY,         NULL,
     "score the text of --file in windows of --ctx-size tokens; print the perplexity"},
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
    {"timings-json",       0,   SM_CLI_OPT_TIMINGS_JSON,       "FILE",
     "write the timings as JSON to FILE (-: stdout, after the text)"},
    {"verbose",            'v', SM_CLI_OPT_VERBOSE,            NULL,
     "say more on stderr: the library's log, the placement plan"},
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
        /* The reason quotes arguments, which may hold newlines or terminal escapes: shown as
         * '?', they keep it one line (found by fuzz/fuzz_cli_args). */
        for (char *c = err; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7F)
                *c = '?';
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

/* A whole finite decimal number in [lo, hi] (NaN and infinities are refused). */
static sm_status parse_float(const char *name, const char *text, double lo, double hi, int lo_open,
                             float *out, char *err, size_t err_len)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || !(v == v) || v > 1e30 || v < -1e30)
        return fail(err, err_len, "option '--%s': '%s' is not a number", name, text);
    /* The range holds for the float that is kept: "--top-p 1e-50" is above 0 as a double but
     * 0 as a float (found by fuzz/fuzz_cli_args). */
    float f = (float)v;
    if (f < lo || f > hi || (lo_open && f == lo))
        return fail(err, err_len, "option '--%s': %s is outside %c%g, %g]", name, text,
                    lo_open ? '(' : '[', lo, hi);
    *out = f;
    return SM_OK;
}

/* --seed: -1 or an unsigned 64-bit value below 2^63. */
static sm_status parse_seed(const char *text, int64_t *out, char *err, size_t err_len)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE)
        return fail(err, err_len, "option '--seed': '%s' is not an integer", text);
    if (v < -1)
        return fail(err, err_len, "option '--seed': %lld is below -1 (-1: a random seed)", v);
    *out = v;
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
    case SM_CLI_OPT_PROMPT:
        a->prompt = value;
        break;
    case SM_CLI_OPT_N_PREDICT:
        return parse_int(opt->long_name, value, -2, INT_MAX, &a->n_predict, err, err_len);
    case SM_CLI_OPT_TEMP:
        return parse_float(opt->long_name, value, 0, 1e6, 0, &a->temp, err, err_len);
    case SM_CLI_OPT_TOP_K:
        return parse_int(opt->long_name, value, 0, INT_MAX, &a->top_k, err, err_len);
    case SM_CLI_OPT_TOP_P:
        return parse_float(opt->long_name, value, 0, 1, 1, &a->top_p, err, err_len);
    case SM_CLI_OPT_MIN_P:
        return parse_float(opt->long_name, value, 0, 1, 0, &a->min_p, err, err_len);
    case SM_CLI_OPT_REPEAT_PENALTY:
        return parse_float(opt->long_name, value, 0, 1e6, 1, &a->repeat_penalty, err, err_len);
    case SM_CLI_OPT_REPEAT_LAST_N:
        /* at most the longest context (the sampler refuses more; see sm_sampler_params) */
        return parse_int(opt->long_name, value, -1, SM_CLI_MAX_CTX, &a->repeat_last_n, err,
                         err_len);
    case SM_CLI_OPT_SEED:
        return parse_seed(value, &a->seed, err, err_len);
    case SM_CLI_OPT_STOP:
        if (value[0] == '\0')
            return fail(err, err_len, "option '--stop': the text is empty");
        if (a->n_stop == SM_CLI_MAX_STOP)
            return fail(err, err_len, "option '--stop': more than %d given", SM_CLI_MAX_STOP);
        a->stop[a->n_stop++] = value;
        break;
    case SM_CLI_OPT_NO_ESCAPE:
        a->escape = 0;
        break;
    case SM_CLI_OPT_TIMINGS_JSON:
        if (value[0] == '\0')
            return fail(err, err_len, "option '--timings-json': the file name is empty");
        a->timings_json = value;
        break;
    case SM_CLI_OPT_VERBOSE:
        a->verbose = 1;
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
    /* The sampling defaults are llama.cpp's, so its users get what they expect. */
    sm_cli_args a = {
        .placement = SM_PLACEMENT_COMPACT,
        .n_predict = -1,
        .temp = 0.8f,
        .top_k = 40,
        .top_p = 0.95f,
        .min_p = 0.05f,
        .repeat_penalty = 1.0f,
        .repeat_last_n = 64,
        .seed = -1,
        .escape = 1,
    };
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
    if (a.perplexity && a.prompt != NULL)
        return fail(err, err_len, "options '--perplexity' and '--prompt' exclude each other");
    if (a.prompt != NULL && a.file != NULL)
        return fail(err, err_len, "options '--prompt' and '--file' exclude each other");
    if (a.topology_synthetic != NULL && a.topology_xml != NULL)
        return fail(err, err_len,
                    "options '--topology-synthetic' and '--topology-xml' exclude each other");
    *out = a;
    return SM_OK;
}

void sm_cli_print_help(FILE *stream, const char *prog)
{
    fprintf(stream,
            "Usage: %s [-m MODEL] [-p PROMPT | -f FILE] [-n N] [OPTION]...\n"
            "       %s -m MODEL --perplexity -f TEXT [-c N] [-t N]\n"
            "       %s --topology [--topology-synthetic DESC | --topology-xml FILE]\n"
            "Generate text with a small transformer language model on the CPU (SmallMind %s).\n"
            "The generated text goes to stdout as it comes; the banner, progress and timings go\n"
            "to stderr. Without --model, a built-in GPT-2 model with synthetic weights runs.\n"
            "\n"
            "Options:\n",
            prog, prog, prog, sm_version_string());
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
                    "Exit status: 0 on success; 2 on a usage error; 3 when the model cannot be\n"
                    "loaded (missing, unreadable, malformed, unsupported); 4 on a runtime failure\n"
                    "(unreadable prompt or text, a prompt longer than the context, a bad\n"
                    "topology, failed output); 130 when interrupted (Ctrl-C stops generation,\n"
                    "prints the timings and exits).\n"
                    "Full documentation: man sm-run\n");
}
