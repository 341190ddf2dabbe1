/* SPDX-License-Identifier: MIT */
/* gen.h: sm-run's text generation: the prompt from -p or -f, the sampler from the flags, the
 * text to stdout a piece at a time, Ctrl-C honoured between tokens. */
#ifndef SM_CLI_GEN_H
#define SM_CLI_GEN_H

#include <signal.h>

#include "cli/args.h"
#include "cli/report.h"
#include "smallmind.h"

/* Generates with @p ctx (empty) and fills r->gen and r->seed. @p default_prompt is used when
 * neither -p nor -f was given (NULL: start from BOS alone, which the model must have).
 * @p interrupted is polled between tokens. Returns the exit status: 0, 2 (no prompt and no
 * BOS), 4 (unreadable file, prompt longer than the context, failed output, evaluation error;
 * the reason printed on stderr) or 130 (interrupted: the timings are still valid). */
int sm_cli_generate(const sm_cli_args *a, sm_model *m, sm_context *ctx, const char *default_prompt,
                    const volatile sig_atomic_t *interrupted, sm_cli_report *r);

#endif /* SM_CLI_GEN_H */
