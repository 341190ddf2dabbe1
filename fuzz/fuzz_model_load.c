/* SPDX-License-Identifier: MIT */
/* fuzz_model_load.c: libFuzzer harness for sm_model_load_buffer: the GGUF header, metadata,
 * tensor table, hyper-parameters and shape checks take the input as a model file. A model that
 * loads is then used the way sm-run would, on a bounded scale: its metadata and tokenizer
 * queried, a context of at most 4 positions created, one token evaluated, everything freed.
 *
 * Beyond the sanitizers it checks the API's promises: a refusal is one of the documented
 * statuses, comes with a message and no model; a model that loads can evaluate a token. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallmind.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One worker, unpinned, made once: a context would otherwise start (and join) a thread pool
 * per input. Set in LLVMFuzzerInitialize and only borrowed afterwards. */
static sm_sched *g_sched;

static void fail(const char *what, const char *detail, long value)
{
    fprintf(stderr, "fuzz_model_load: %s: %s (%ld)\n", what, detail, value);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sm_sched_params sp;
    sm_sched_params_init(&sp);
    sp.n_threads = 1;
    sp.pinning = SM_PINNING_OFF;
    sm_status st = sm_sched_create(&sp, &g_sched);
    if (st != SM_OK) {
        fprintf(stderr, "fuzz_model_load: sm_sched_create: %s\n", sm_status_name(st));
        exit(1);
    }
    return 0;
}

/* What a model that loaded offers without a context: its shape, metadata and tokenizer. */
static void query(const sm_model *m)
{
    char buf[64];
    const char *arch = sm_model_arch(m);
    if (arch == NULL || (strcmp(arch, "llama") != 0 && strcmp(arch, "gpt2") != 0))
        fail("sm_model_arch", arch ? arch : "NULL", 0);
    if (sm_model_n_vocab(m) < 1 || sm_model_n_ctx_train(m) < 1 || sm_model_n_embd(m) < 1 ||
        sm_model_n_layer(m) < 1 || sm_model_n_head(m) < 1 || sm_model_n_head_kv(m) < 1)
        fail("a loaded model", "has a size below 1", sm_model_n_layer(m));
    if (sm_model_weight_type(m) == NULL)
        fail("sm_model_weight_type", "NULL", 0);
    sm_model_meta_str(m, "general.name", buf, sizeof buf);
    sm_model_meta_str(m, "tokenizer.ggml.tokens", buf, sizeof buf);
    int32_t ids[8];
    size_t n_ids = 0;
    sm_status st = sm_tokenize(m, "Hello, world", 12, 1, ids, 8, &n_ids);
    if (st != SM_OK && st != SM_E_RANGE && st != SM_E_UNSUPPORTED)
        fail("sm_tokenize", sm_status_name(st), st);
    for (size_t i = 0; st == SM_OK && i < n_ids; i++) {
        size_t n = 0;
        if (ids[i] < 0 || ids[i] >= sm_model_n_vocab(m))
            fail("sm_tokenize", "an id outside the vocabulary", ids[i]);
        sm_token_to_piece(m, ids[i], buf, sizeof buf, &n);
    }
    int32_t special[2] = {sm_model_token_bos(m), sm_model_token_eos(m)};
    for (int i = 0; i < 2; i++)
        if (special[i] < -1 || special[i] >= sm_model_n_vocab(m))
            fail("a special token", "outside the vocabulary", special[i]);
}

/* A context of at most 4 positions (the KV cache is then bounded by the weights the file
 * holds), one token in: the forward pass runs over every tensor the loader accepted. */
static void evaluate(sm_model *m, size_t size)
{
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_ctx = sm_model_n_ctx_train(m) < 4 ? sm_model_n_ctx_train(m) : 4;
    cp.n_batch = 1;
    cp.sched = g_sched;
    sm_context *ctx = NULL;
    sm_status st = sm_context_create(m, &cp, &ctx);
    if (st == SM_E_NOMEM)
        return; /* a clean refusal (a context the memory cannot hold) */
    if (st != SM_OK)
        fail("sm_context_create", sm_status_name(st), st);
    int32_t token = (int32_t)(size % (size_t)sm_model_n_vocab(m));
    st = sm_eval(ctx, &token, 1);
    if (st != SM_OK)
        fail("sm_eval", sm_context_errmsg(ctx), st);
    if (sm_get_logits(ctx, -1) == NULL)
        fail("sm_get_logits", "NULL after a successful sm_eval", 0);
    sm_context_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    memset(err, 0, sizeof err);
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    sm_status st = sm_model_load_buffer(data, size, &mp, &m);
    if (st != SM_OK) {
        if (m != NULL)
            fail("sm_model_load_buffer", "a model with an error", st);
        if (st != SM_E_FORMAT && st != SM_E_UNSUPPORTED && st != SM_E_IO && st != SM_E_NOMEM)
            fail("sm_model_load_buffer", sm_status_name(st), st);
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
            fail("sm_model_load_buffer", "no message for the error", st);
        return 0;
    }
    query(m);
    evaluate(m, size);
    sm_model_free(m);
    return 0;
}
