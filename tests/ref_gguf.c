/* SPDX-License-Identifier: MIT */
/* ref_gguf.c: a parsed GGUF as the reference forward pass's weights (see ref_gguf.h). Only
 * the parser's accessors come from src/; the maths (dequantization) is ref_quant's. */
#include "config.h"

#include "ref_gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_quant.h"

struct sm_ref_gguf {
    const sm_gguf *g;
    float **f; /* per tensor of g: its floats, or NULL for a type ref_quant does not know */
};

static int rg_int(const sm_gguf *g, const char *arch, const char *suffix, int64_t dflt, int *out,
                  char *err, size_t err_len)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    int64_t v;
    sm_status st = sm_gguf_get_int(g, key, 1, INT32_MAX, &v, err, err_len);
    if (st == SM_E_NOT_FOUND && dflt > 0)
        v = dflt;
    else if (st != SM_OK)
        return -1;
    *out = (int)v;
    return 0;
}

static int rg_f32(const sm_gguf *g, const char *arch, const char *suffix, float dflt, float *out,
                  char *err, size_t err_len)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    sm_status st = sm_gguf_get_f32(g, key, out, err, err_len);
    if (st == SM_E_NOT_FOUND && dflt > 0.0f)
        *out = dflt;
    else if (st != SM_OK)
        return -1;
    return 0;
}

static int rg_hparams(const sm_gguf *g, sm_ref_hparams *hp, char *err, size_t err_len)
{
    sm_gguf_str a;
    if (sm_gguf_get_str(g, "general.architecture", &a, err, err_len) != SM_OK)
        return -1;
    memset(hp, 0, sizeof *hp);
    const char *arch;
    if (sm_gguf_str_eq(a, "llama")) {
        hp->arch = SM_REF_LLAMA;
        arch = "llama";
    } else if (sm_gguf_str_eq(a, "gpt2")) {
        hp->arch = SM_REF_GPT2;
        arch = "gpt2";
    } else {
        snprintf(err, err_len, "general.architecture '%.*s' is neither llama nor gpt2",
                 (int)(a.n > 64 ? 64 : a.n), a.p);
        return -1;
    }
    if (rg_int(g, arch, "embedding_length", 0, &hp->n_embd, err, err_len) ||
        rg_int(g, arch, "block_count", 0, &hp->n_layer, err, err_len) ||
        rg_int(g, arch, "feed_forward_length", 0, &hp->n_ff, err, err_len) ||
        rg_int(g, arch, "attention.head_count", 0, &hp->n_head, err, err_len) ||
        rg_int(g, arch, "context_length", 0, &hp->n_ctx, err, err_len) ||
        rg_int(g, arch, "attention.head_count_kv", hp->n_head, &hp->n_head_kv, err, err_len) ||
        rg_int(g, arch, "rope.dimension_count", hp->n_embd / hp->n_head, &hp->n_rot, err,
               err_len) ||
        rg_f32(g, arch, "rope.freq_base", 10000.0f, &hp->rope_base, err, err_len) ||
        rg_f32(g, arch,
               hp->arch == SM_REF_GPT2 ? "attention.layer_norm_epsilon"
                                       : "attention.layer_norm_rms_epsilon",
               0.0f, &hp->norm_eps, err, err_len))
        return -1;
    const sm_gguf_tensor *tok = sm_gguf_find_tensor(g, "token_embd.weight");
    if (!tok) {
        snprintf(err, err_len, "tensor 'token_embd.weight' is missing");
        return -1;
    }
    hp->n_vocab = (int)tok->ne[1];
    return 0;
}

int sm_ref_gguf_load(const sm_gguf *g, sm_ref_hparams *hp, sm_ref_gguf **out, char *err,
                     size_t err_len)
{
    sm_ref_hparams h;
    if (rg_hparams(g, &h, err, err_len))
        return -1;
    sm_ref_gguf *r = calloc(1, sizeof *r);
    if (r)
        r->f = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *r->f);
    if (!r || !r->f) {
        free(r);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    r->g = g;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const sm_gguf_tensor *t = &g->tensors[i];
        size_t row = (size_t)t->ne[0], rows = (size_t)(t->ne[1] * t->ne[2] * t->ne[3]);
        size_t rb = sm_rq_row_bytes(t->type, row);
        if (!rb)
            continue;
        r->f[i] = malloc(row * rows * sizeof(float));
        if (!r->f[i]) {
            sm_ref_gguf_free(r);
            snprintf(err, err_len, "out of memory for tensor '%s'", t->name);
            return -1;
        }
        for (size_t k = 0; k < rows; k++)
            sm_rq_dequantize(t->type, (const uint8_t *)t->data + k * rb, row, r->f[i] + k * row);
    }
    *hp = h;
    *out = r;
    return 0;
}

void sm_ref_gguf_free(sm_ref_gguf *r)
{
    if (!r)
        return;
    for (uint64_t i = 0; i < r->g->n_tensors; i++)
        free(r->f[i]);
    free(r->f);
    free(r);
}

int sm_ref_gguf_lookup(void *ctx, const char *name, sm_ref_weight *out)
{
    const sm_ref_gguf *r = ctx;
    const sm_gguf_tensor *t = sm_gguf_find_tensor(r->g, name);
    if (!t)
        return -1;
    size_t i = (size_t)(t - r->g->tensors);
    if (!r->f[i])
        return -1;
    out->f = r->f[i];
    memcpy(out->ne, t->ne, sizeof out->ne);
    out->type = t->type;
    return 0;
}
