/* SPDX-License-Identifier: MIT */
/* tokens.h: a text's tokens in a buffer of their own size, for the programs. */
#ifndef SM_CLI_TOKENS_H
#define SM_CLI_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "smallmind.h"

/* Tokenizes @p text (BOS first when the model adds one) into a malloc'd array (*out, *n; the
 * caller frees it): one sm_tokenize call to learn the count, one to fill.
 * @return SM_OK; SM_E_NOMEM; errors of sm_tokenize. *out is NULL on failure. */
sm_status sm_cli_tokenize(const sm_model *m, const char *text, size_t len, int32_t **out,
                          size_t *n);

#endif /* SM_CLI_TOKENS_H */
