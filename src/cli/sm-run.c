/* SPDX-License-Identifier: MIT */
/* sm-run: the command-line front end. stdout carries only what was asked for (help, version,
 * later generated text); every diagnostic goes to stderr. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/args.h"
#include "cli/topology.h"
#include "smallmind.h"

enum { SM_EXIT_OK = 0, SM_EXIT_ERROR = 1, SM_EXIT_USAGE = 2 };

/* A full disk or closed pipe must not pass silently as success (sm-run --help > /dev/full). */
static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("sm-run: error writing to standard output");
        return SM_EXIT_ERROR;
    }
    return SM_EXIT_OK;
}

/* The library says why a call failed through its log; errors and warnings go to stderr. */
static void log_to_stderr(void *user_data, sm_log_level level, const char *message)
{
    (void)user_data;
    if (level == SM_LOG_ERROR)
        fprintf(stderr, "sm-run: error: %s\n", message);
    else if (level == SM_LOG_WARN)
        fprintf(stderr, "sm-run: warning: %s\n", message);
}

int main(int argc, char **argv)
{
    sm_cli_args args;
    char err[256];

    if (sm_cli_parse(argc, argv, &args, err, sizeof err) != SM_OK) {
        fprintf(stderr, "sm-run: %s\nTry 'sm-run --help' for more information.\n", err);
        return SM_EXIT_USAGE;
    }
    if (args.help) {
        sm_cli_print_help(stdout, "sm-run");
        return finish_stdout();
    }
    if (args.version) {
        printf("sm-run (SmallMind) %s\nlibsmallmind %s\n", SM_VERSION_STRING, sm_version_string());
        return finish_stdout();
    }
    sm_set_log(log_to_stderr, NULL);
    if (args.topology) {
        sm_status st = sm_cli_print_topology(&args, stdout);
        if (st != SM_OK) {
            fprintf(stderr, "sm-run: cannot make the placement plan: %s\n", sm_strerror(st));
            return SM_EXIT_ERROR;
        }
        return finish_stdout();
    }
    fprintf(stderr, "sm-run: nothing to do: this release loads no model yet "
                    "(--topology prints the placement plan)\n"
                    "Try 'sm-run --help' for more information.\n");
    return SM_EXIT_USAGE;
}
