/* SPDX-License-Identifier: MIT */
/* ref_gguf.h: feeds a parsed GGUF file to the reference forward pass: its hyper-parameters
 * from the <arch>.* keys, its tensors dequantized by ref_quant (never by kernels/). */
#ifndef SM_TEST_REF_GGUF_H
#define SM_TEST_REF_GGUF_H

#include <stddef.h>

#include "gguf.h"
#include "ref_forward.h"

typedef struct sm_ref_gguf sm_ref_gguf;

/**
 * Reads the hyper-parameters of the llama or gpt2 model in @p g into @p hp and dequantizes
 * every tensor of a type ref_quant knows (others are left out: looking them up fails).
 * @param g borrowed for the life of the result.
 * @return 0 with *out set, or -1 and why (unknown architecture, missing key, out of memory).
 */
int sm_ref_gguf_load(const sm_gguf *g, sm_ref_hparams *hp, sm_ref_gguf **out, char *err,
                     size_t err_len);
void sm_ref_gguf_free(sm_ref_gguf *r);

/* An sm_ref_lookup_fn (@p ctx is the sm_ref_gguf). */
int sm_ref_gguf_lookup(void *ctx, const char *name, sm_ref_weight *out);

#endif /* SM_TEST_REF_GGUF_H */
