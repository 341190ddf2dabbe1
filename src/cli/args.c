/* SPDX-License-Identifier: MIT */
/* args.c: one option table drives both the parser and --help, so the two cannot disagree
 * (tests/test_cli.sh also holds the man page to the same list). */
#include "config.h"

#include "cli/args.h"

#include <stdarg.h>
#include <string.h>

enum sm_cli_opt_id { SM_CLI_OPT_HELP, SM_CLI_OPT_VERSION };

typedef struct sm_cli_option {
    const char *long_name; /* without the leading "--" */
    char short_name;       /* 0 when the option has no short form */
    int id;
    const char *help;
} sm_cli_option;

// clang-format off
static const sm_cli_option sm_cli_options[] = {
    {"help",    'h', SM_CLI_OPT_HELP,    "print this help and exit"},
    {"version", 0,   SM_CLI_OPT_VERSION, "print version information and exit"},
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

static void apply(sm_cli_args *a, const sm_cli_option *opt)
{
    switch (opt->id) {
    case SM_CLI_OPT_HELP:
        a->help = 1;
        break;
    case SM_CLI_OPT_VERSION:
        a->version = 1;
        break;
    }
}

sm_status sm_cli_parse(int argc, char *const argv[], sm_cli_args *out, char *err, size_t err_len)
{
    sm_cli_args a = {0};
    if (err != NULL && err_len > 0)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const sm_cli_option *opt;
        if (strcmp(arg, "--") == 0) {
            if (i + 1 < argc)
                return fail(err, err_len, "unexpected argument '%s'", argv[i + 1]);
            break;
        }
        if (strncmp(arg, "--", 2) == 0) {
            const char *value;
            opt = find_long(arg, &value);
            if (opt == NULL)
                return fail(err, err_len, "unknown option '%s'", arg);
            if (value != NULL)
                return fail(err, err_len, "option '--%s' takes no value (got '%s')", opt->long_name,
                            arg);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            if (arg[2] != '\0')
                return fail(err, err_len, "unknown option '%s'", arg);
            opt = find_short(arg[1]);
            if (opt == NULL)
                return fail(err, err_len, "unknown option '%s'", arg);
        } else {
            return fail(err, err_len, "unexpected argument '%s'", arg);
        }
        apply(&a, opt);
    }
    *out = a;
    return SM_OK;
}

void sm_cli_print_help(FILE *stream, const char *prog)
{
    fprintf(stream,
            "Usage: %s [OPTION]...\n"
            "Run a small transformer language model on the CPU (SmallMind %s).\n"
            "This release has no model loading yet: it answers --help and --version only.\n"
            "\n"
            "Options:\n",
            prog, sm_version_string());
    for (size_t i = 0; i < SM_CLI_N_OPTIONS; i++) {
        const sm_cli_option *o = &sm_cli_options[i];
        char flags[64];
        if (o->short_name != 0)
            snprintf(flags, sizeof flags, "-%c, --%s", o->short_name, o->long_name);
        else
            snprintf(flags, sizeof flags, "    --%s", o->long_name);
        fprintf(stream, "  %-22s %s\n", flags, o->help);
    }
    fprintf(stream,
            "\n"
            "Exit status: 0 on success, 1 if writing the output failed, 2 on a usage error.\n"
            "Full documentation: man sm-run\n");
}
