/* SPDX-License-Identifier: MIT */
/* builtin.h: models built into the programs, so sm-run and sm-bench run with no model file and
 * no download: GPT-2 shapes with seeded random (synthetic, untrained) F32 weights and a
 * byte-level vocabulary (token i < 256 is byte i; any further tokens merge two characters),
 * written as GGUF in memory and loaded with
 * sm_model_load_buffer. Their text is noise; their cost per token is a real model's. */
#ifndef SM_CLI_BUILTIN_H
#define SM_CLI_BUILTIN_H

#include <stddef.h>
#include <stdint.h>

#include "smallmind.h"

/* One built-in model's shape. GPT-2 architecture, so n_head_kv = n_head and the output is tied
 * to the token embedding. */
typedef struct sm_cli_builtin_spec {
    const char *name; /* "medium", "small": what sm-run -m / sm-bench take */
    int n_vocab;      /* 256 (one token per byte) up to sm_cli_builtin_max_vocab() */
    int n_ctx;        /* trained context (position_embd rows) */
    int n_embd;
    int n_layer;
    int n_head;
    int n_ff;
    uint64_t seed; /* the weights are a pure function of the spec */
    int has_eos;   /* 1: tokenizer.ggml.eos_token_id = eos_id (the built-in models have none;
                      tests set one to see generation end on it) */
    int32_t eos_id;
} sm_cli_builtin_spec;

/* The largest n_vocab a spec may have: 256 bytes plus the two-character merges builtin.c
 * defines (a space or one of 16 letters, then one of the 16 letters, in rank order). */
int sm_cli_builtin_max_vocab(void);

/* How many built-in models there are; model 0 is the default (what sm-run runs without -m). */
size_t sm_cli_builtin_count(void);

/* Model @p i's spec, or NULL when i >= sm_cli_builtin_count(). Static storage. */
const sm_cli_builtin_spec *sm_cli_builtin_at(size_t i);

/* The spec named @p name (exact, case-sensitive), or NULL. */
const sm_cli_builtin_spec *sm_cli_builtin_find(const char *name);

/* The names joined by ", " ("medium, small"), for --help and error messages, in @p buf
 * (truncated, always terminated when buf_len > 0). Returns the full length, as snprintf. */
size_t sm_cli_builtin_names(char *buf, size_t buf_len);

/* The GGUF file of @p spec in a malloc'd buffer (*out, *size) the caller frees.
 * @return SM_OK; SM_E_INVAL (NULL argument, or a spec whose n_head does not divide n_embd or
 *         whose n_vocab is outside [256, sm_cli_builtin_max_vocab()]); SM_E_NOMEM. The reason is in
 * @p err. */
sm_status sm_cli_builtin_gguf(const sm_cli_builtin_spec *spec, uint8_t **out, size_t *size,
                              char *err, size_t err_len);

/* Builds the model called @p name and loads it (sm_model_load_buffer; the GGUF bytes are freed
 * before the call returns).
 * @param params NULL for the defaults; its errbuf is replaced by @p err when err is non-NULL.
 * @param err    receives the reason of a failure (may be NULL).
 * @return SM_OK with *out set; SM_E_NOT_FOUND for an unknown name (the message lists the
 *         names); SM_E_INVAL for NULL name or out; SM_E_NOMEM; errors of sm_model_load_buffer. */
sm_status sm_cli_builtin_load(const char *name, const sm_model_params *params, sm_model **out,
                              char *err, size_t err_len);

#endif /* SM_CLI_BUILTIN_H */
