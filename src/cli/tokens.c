/* SPDX-License-Identifier: MIT */
/* tokens.c: a text's tokens in a buffer of their own size (tokens.h). */
#include "config.h"

#include "cli/tokens.h"

#include <stdlib.h>

sm_status sm_cli_tokenize(const sm_model *m, const char *text, size_t len, int32_t **out, size_t *n)
{
    size_t need = 0;
    *out = NULL;
    /* SM_E_RANGE from the counting pass is expected: it reports the count. */
    sm_status st = sm_tokenize(m, text, len, sm_model_add_bos(m), NULL, 0, &need);
    if (st != SM_OK && st != SM_E_RANGE)
        return st;
    int32_t *toks = malloc((need ? need : 1) * sizeof *toks);
    if (!toks)
        return SM_E_NOMEM;
    st = sm_tokenize(m, text, len, sm_model_add_bos(m), toks, need, n);
    if (st != SM_OK) {
        free(toks);
        return st;
    }
    *out = toks;
    return SM_OK;
}
