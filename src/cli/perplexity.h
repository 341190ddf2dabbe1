/* SPDX-License-Identifier: MIT */
/* perplexity.h: sm-run --perplexity. */
#ifndef SM_CLI_PERPLEXITY_H
#define SM_CLI_PERPLEXITY_H

#include <stddef.h>

#include "cli/args.h"
#include "smallmind.h"

/* Scores args->file with @p ctx (created with logits_all and n_batch = @p n_batch) and prints
 * "perplexity: P +/- E (...)" on stdout, progress and timing on stderr. Returns the exit status
 * (0, or 1 with the reason on stderr). */
int sm_cli_perplexity(const sm_cli_args *args, sm_model *m, sm_context *ctx, size_t n_batch);

#endif /* SM_CLI_PERPLEXITY_H */
