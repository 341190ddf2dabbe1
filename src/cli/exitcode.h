/* SPDX-License-Identifier: MIT */
/* exitcode.h: the exit statuses of sm-run (and sm-bench), documented in their man pages;
 * scripts depend on them, so they never change meaning. */
#ifndef SM_CLI_EXITCODE_H
#define SM_CLI_EXITCODE_H

enum {
    SM_EXIT_OK = 0,
    SM_EXIT_USAGE = 2,        /* bad options or arguments */
    SM_EXIT_MODEL = 3,        /* the model could not be loaded */
    SM_EXIT_RUNTIME = 4,      /* anything else that failed after the options were good */
    SM_EXIT_INTERRUPTED = 130 /* SIGINT, as a shell reports a process killed by it */
};

#endif /* SM_CLI_EXITCODE_H */
