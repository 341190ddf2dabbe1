/* SPDX-License-Identifier: MIT */
/* tok_gguf.c: sm_vocab_load: reads the tokenizer.ggml.* keys of a parsed GGUF, checking each
 * array's element type and length before reading an element, then builds the vocabulary. */
#include "config.h"

#include <stdlib.h>

#include "errbuf.h"
#include "tok_internal.h"

/* An optional array key: NULL when absent, SM_E_FORMAT when it is not an array of @p elem or
 * (n_expect > 0) does not have n_expect elements. */
static sm_status find_array(const sm_gguf *g, const char *key, sm_gguf_vtype elem,
                            uint64_t n_expect, const sm_gguf_kv **out, char *err, size_t err_len)
{
    const sm_gguf_kv *kv = sm_gguf_find(g, key);
    *out = NULL;
    if (kv == NULL)
        return SM_OK;
    if (kv->type != SM_GGUF_ARRAY)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT, "%s is a %s, not an array of %s", key,
                             sm_gguf_vtype_name(kv->type), sm_gguf_vtype_name(elem));
    if (kv->elem_type != elem)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT, "%s is an array of %s, not of %s", key,
                             sm_gguf_vtype_name(kv->elem_type), sm_gguf_vtype_name(elem));
    if (n_expect > 0 && kv->n != n_expect)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "%s has %llu elements but tokenizer.ggml.tokens has %llu", key,
                             (unsigned long long)kv->n, (unsigned long long)n_expect);
    *out = kv;
    return SM_OK;
}

/* A special-token id: the key's value, which must name a token, or @p dflt when the key is
 * absent; a default the vocabulary is too small for means "none" (-1). */
static sm_status special_id(const sm_gguf *g, const char *key, int64_t dflt, uint64_t n_tokens,
                            int64_t *out, char *err, size_t err_len)
{
    int64_t v;
    sm_status st = sm_gguf_get_int(g, key, INT64_MIN, INT64_MAX, &v, err, err_len);
    if (st == SM_E_NOT_FOUND) {
        *out = dflt >= 0 && (uint64_t)dflt < n_tokens ? dflt : -1;
        return SM_OK;
    }
    if (st != SM_OK)
        return st;
    if (v < 0 || (uint64_t)v >= n_tokens)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "%s = %lld is not a token id (the vocabulary has %llu tokens)", key,
                             (long long)v, (unsigned long long)n_tokens);
    *out = v;
    return SM_OK;
}

static sm_status flag(const sm_gguf *g, const char *key, int dflt, int *out, char *err,
                      size_t err_len)
{
    int64_t v;
    sm_status st = sm_gguf_get_int(g, key, 0, 1, &v, err, err_len);
    if (st == SM_E_NOT_FOUND) {
        *out = dflt;
        return SM_OK;
    }
    if (st == SM_OK)
        *out = (int)v;
    return st;
}

/* A string array's elements as views into the file. */
static sm_status string_views(const sm_gguf_kv *kv, sm_gguf_str **out, char *err, size_t err_len)
{
    if (kv->n > SIZE_MAX / sizeof(sm_gguf_str))
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "%llu strings", (unsigned long long)kv->n);
    sm_gguf_str *s = malloc((kv->n > 0 ? (size_t)kv->n : 1) * sizeof *s);
    if (s == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "%llu strings", (unsigned long long)kv->n);
    const uint8_t *cursor = kv->data;
    for (uint64_t i = 0; i < kv->n; i++)
        s[i] = sm_gguf_arr_next_str(&cursor);
    *out = s;
    return SM_OK;
}

sm_status sm_vocab_load(const sm_gguf *g, sm_vocab **out, char *err, size_t err_len)
{
    if (g == NULL || out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_vocab_load: NULL argument");
    sm_gguf_str model;
    sm_status st = sm_gguf_get_str(g, "tokenizer.ggml.model", &model, err, err_len);
    if (st == SM_E_NOT_FOUND)
        return sm_errbuf_set(err, err_len, st, "no tokenizer.ggml.model key");
    if (st != SM_OK)
        return st;
    sm_vocab_desc d = {0};
    if (sm_gguf_str_eq(model, "gpt2")) {
        d.kind = SM_VOCAB_GPT2;
    } else if (sm_gguf_str_eq(model, "llama")) {
        d.kind = SM_VOCAB_LLAMA;
    } else {
        /* the name comes from the file: print it bounded, and only while it is plain text */
        int shown = model.n < 64 ? (int)model.n : 64;
        for (int i = 0; i < shown; i++)
            if ((unsigned char)model.p[i] < 0x20 || (unsigned char)model.p[i] >= 0x7F)
                shown = i;
        return sm_errbuf_set(err, err_len, SM_E_UNSUPPORTED,
                             "tokenizer.ggml.model '%.*s'%s (%llu bytes) is not supported "
                             "(gpt2, llama)",
                             shown, model.p, (uint64_t)shown < model.n ? "..." : "",
                             (unsigned long long)model.n);
    }
    const sm_gguf_kv *tokens, *scores, *types, *merges = NULL;
    st = find_array(g, "tokenizer.ggml.tokens", SM_GGUF_STRING, 0, &tokens, err, err_len);
    if (st != SM_OK)
        return st;
    if (tokens == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOT_FOUND, "no tokenizer.ggml.tokens key");
    if (tokens->n == 0 || tokens->n > INT32_MAX)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "tokenizer.ggml.tokens has %llu tokens (need 1..%d)",
                             (unsigned long long)tokens->n, INT32_MAX);
    uint64_t n = tokens->n;
    if ((st = find_array(g, "tokenizer.ggml.scores", SM_GGUF_F32, n, &scores, err, err_len)) ||
        (st = find_array(g, "tokenizer.ggml.token_type", SM_GGUF_I32, n, &types, err, err_len)))
        return st;
    if (d.kind == SM_VOCAB_GPT2) {
        st = find_array(g, "tokenizer.ggml.merges", SM_GGUF_STRING, 0, &merges, err, err_len);
        if (st != SM_OK)
            return st;
        if (merges == NULL)
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "a gpt2 tokenizer needs tokenizer.ggml.merges");
    }
    /* llama.cpp's defaults: SentencePiece vocabularies put <unk> <s> </s> first */
    int llama = d.kind == SM_VOCAB_LLAMA;
    if ((st = special_id(g, "tokenizer.ggml.bos_token_id", llama ? 1 : -1, n, &d.bos, err,
                         err_len)) ||
        (st = special_id(g, "tokenizer.ggml.eos_token_id", llama ? 2 : -1, n, &d.eos, err,
                         err_len)) ||
        (st = special_id(g, "tokenizer.ggml.unknown_token_id", llama ? 0 : -1, n, &d.unk, err,
                         err_len)) ||
        (st = special_id(g, "tokenizer.ggml.padding_token_id", -1, n, &d.pad, err, err_len)) ||
        (st = flag(g, "tokenizer.ggml.add_bos_token", llama, &d.add_bos, err, err_len)) ||
        (st = flag(g, "tokenizer.ggml.add_space_prefix", llama, &d.add_space_prefix, err, err_len)))
        return st;

    sm_gguf_str *tok_views = NULL, *merge_views = NULL;
    float *score_vals = NULL;
    int32_t *type_vals = NULL;
    st = string_views(tokens, &tok_views, err, err_len);
    if (st == SM_OK && merges != NULL)
        st = string_views(merges, &merge_views, err, err_len);
    if (st == SM_OK && scores != NULL) {
        score_vals = malloc((size_t)n * sizeof *score_vals);
        if (score_vals == NULL)
            st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "%llu scores", (unsigned long long)n);
        for (uint64_t i = 0; score_vals != NULL && i < n; i++)
            score_vals[i] = sm_gguf_arr_f32(scores, i);
    }
    if (st == SM_OK && types != NULL) {
        type_vals = malloc((size_t)n * sizeof *type_vals);
        if (type_vals == NULL)
            st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "%llu token types", (unsigned long long)n);
        for (uint64_t i = 0; type_vals != NULL && i < n; i++)
            type_vals[i] = sm_gguf_arr_i32(types, i);
    }
    if (st == SM_OK) {
        d.n_tokens = (size_t)n;
        d.tokens = tok_views;
        d.scores = score_vals;
        d.types = type_vals;
        d.n_merges = merges != NULL ? (size_t)merges->n : 0;
        d.merges = merge_views;
        st = sm_vocab_build(&d, out, err, err_len);
    }
    free(tok_views);
    free(merge_views);
    free(score_vals);
    free(type_vals);
    return st;
}
