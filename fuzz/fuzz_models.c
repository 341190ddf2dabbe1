/* SPDX-License-Identifier: MIT */
/* fuzz_models.c: tiny LLaMA (SentencePiece) and GPT-2 (byte-level BPE) models with real
 * vocabularies, as GGUF bytes, for the fuzzers and their seed corpora. */
#include "config.h"

#include "fuzz_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/builtin.h"
#include "ref_quant.h"
#include "tiny_model.h"

/* ---- the model ---------------------------------------------------------------------------- */

int sm_fuzz_model_gguf(sm_ref_arch arch, uint32_t wtype, int with_vocab, int tied, uint8_t **out,
                       size_t *size, char *err, size_t err_len)
{
    /* As small as a model of each type can be: the K-quants' 256-element blocks set the width
     * of theirs, every other type gets a 32-wide model of a few KiB, cheap to mutate and run. */
    int k_quant = wtype == SM_RQ_Q4_K || wtype == SM_RQ_Q6_K;
    sm_tm_spec s;
    sm_tm_spec_default(&s, arch);
    s.n_embd = k_quant ? 256 : 32;
    s.n_ff = k_quant ? 256 : 64;
    s.n_layer = 1;
    s.n_head = 2;
    s.n_head_kv = arch == SM_REF_GPT2 ? 2 : 1;
    s.n_ctx = 16;
    s.n_vocab = (int)sm_tm_vocab_size(arch);
    s.tokenizer = with_vocab;
    s.wtype = wtype;
    s.tied = arch == SM_REF_GPT2 || tied;
    s.seed = 0xF022 + wtype;

    sm_tm_model *m = NULL;
    if (sm_tm_build(&s, &m, err, err_len) != 0)
        return -1;
    sm_gw *w = sm_gw_create(3);
    if (w == NULL) {
        sm_tm_free(m);
        snprintf(err, err_len, "out of memory for the GGUF writer");
        return -1;
    }
    sm_tm_add_keys(&s, w);
    sm_tm_add_tensors(m, w);
    int rc = sm_gw_bytes(w, out, size);
    sm_gw_free(w);
    sm_tm_free(m);
    if (rc != 0)
        snprintf(err, err_len, "the GGUF writer failed (out of memory?)");
    return rc;
}

/* ---- the tokenizer fuzzer's models ----------------------------------------------------------- */

static int load_bytes(const uint8_t *b, size_t n, sm_model **out, const char *what, char *err,
                      size_t err_len)
{
    char why[512] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = why;
    mp.errbuf_len = sizeof why;
    sm_status st = sm_model_load_buffer(b, n, &mp, out);
    if (st != SM_OK)
        snprintf(err, err_len, "%s: %s: %s", what, sm_status_name(st), why);
    return st == SM_OK ? 0 : -1;
}

/* A fixture vocabulary when $SM_FIXTURES has it; 1 when absent, -1 when present but unusable. */
static int load_fixture(const char *name, sm_model **out, char *err, size_t err_len)
{
    const char *dir = getenv("SM_FIXTURES");
    char path[4096];
    if (dir == NULL || *dir == '\0')
        return 1;
    snprintf(path, sizeof path, "%s/models/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 1;
    fclose(f);
    char why[512] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = why;
    mp.errbuf_len = sizeof why;
    sm_status st = sm_model_load(path, &mp, out);
    if (st != SM_OK) {
        snprintf(err, err_len, "%s: %s: %s", path, sm_status_name(st), why);
        return -1;
    }
    return 0;
}

void sm_fuzz_tok_models_free(sm_model *slots[SM_FUZZ_TOK_SLOTS])
{
    for (int i = 0; i < SM_FUZZ_TOK_SLOTS; i++) {
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= slots[j] == slots[i];
        if (!seen)
            sm_model_free(slots[i]);
    }
    for (int i = 0; i < SM_FUZZ_TOK_SLOTS; i++)
        slots[i] = NULL;
}

int sm_fuzz_tok_models(sm_model *slots[SM_FUZZ_TOK_SLOTS], char *err, size_t err_len)
{
    for (int i = 0; i < SM_FUZZ_TOK_SLOTS; i++)
        slots[i] = NULL;
    sm_model_params mp;
    sm_model_params_init(&mp);
    if (sm_cli_builtin_load("small", &mp, &slots[0], err, err_len) != SM_OK)
        return -1;

    /* builtin.c's merges on a model as small as its spec check allows */
    sm_cli_builtin_spec merges = {.name = "fuzz-merges",
                                  .n_vocab = sm_cli_builtin_max_vocab(),
                                  .n_ctx = 16,
                                  .n_embd = 16,
                                  .n_layer = 1,
                                  .n_head = 2,
                                  .n_ff = 32,
                                  .seed = 0xF022};
    uint8_t *b = NULL;
    size_t n = 0;
    int rc = sm_cli_builtin_gguf(&merges, &b, &n, err, err_len) == SM_OK ? 0 : -1;
    if (rc == 0)
        rc = load_bytes(b, n, &slots[1], "the built-in merges model", err, err_len);
    free(b);
    for (int k = 0; rc == 0 && k < 2; k++) {
        sm_ref_arch arch = k == 0 ? SM_REF_GPT2 : SM_REF_LLAMA;
        b = NULL;
        rc = sm_fuzz_model_gguf(arch, SM_RQ_F32, 1, 0, &b, &n, err, err_len);
        if (rc == 0)
            rc = load_bytes(b, n, &slots[2 + k], k == 0 ? "the GPT-2 model" : "the LLaMA model",
                            err, err_len);
        free(b);
    }
    const char *fixture[2] = {"vocab-gpt2.gguf", "vocab-llama.gguf"};
    for (int k = 0; rc == 0 && k < 2; k++) {
        int f = load_fixture(fixture[k], &slots[4 + k], err, err_len);
        if (f > 0)
            slots[4 + k] = slots[2 + k];
        rc = f < 0 ? -1 : 0;
    }
    if (rc != 0)
        sm_fuzz_tok_models_free(slots);
    return rc;
}
