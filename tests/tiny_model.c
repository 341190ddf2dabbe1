/* SPDX-License-Identifier: MIT */
/* tiny_model.c: seeded tiny-model generation (see tiny_model.h): the tensor list of each
 * architecture, the random values, and their quantization by ref_quant. */
#include "config.h"

#include "tiny_model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_quant.h"

static int tm_fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- random numbers: splitmix64 and Box-Muller ------------------------------------------ */

typedef struct tm_rng {
    uint64_t s;
    int has_spare;
    double spare;
} tm_rng;

static uint64_t tm_next(tm_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1]: never 0, so log() below is finite. */
static double tm_uniform(tm_rng *r)
{
    return (double)((tm_next(r) >> 11) + 1) * 0x1p-53;
}

static double tm_normal(tm_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = tm_uniform(r), u2 = tm_uniform(r);
    double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586 * u2;
    r->spare = rad * sin(ang);
    r->has_spare = 1;
    return rad * cos(ang);
}

/* Tensor i's own stream: a function of (seed, i) only, so tensors can be made in any order. */
static void tm_rng_init(tm_rng *r, uint64_t seed, size_t i)
{
    tm_rng mix = {seed ^ 0x5eed5eed5eed5eedu, 0, 0.0};
    r->s = tm_next(&mix) ^ ((uint64_t)i + 1) * 0xd1342543de82ef95u;
    r->has_spare = 0;
    tm_next(r);
}

/* ---- the tensor list ---------------------------------------------------------------------- */

typedef enum tm_kind { TM_MATRIX, TM_EMBD, TM_POS, TM_NORM, TM_BIAS } tm_kind;

typedef struct tm_desc {
    char name[64];
    tm_kind kind;
    int64_t ne0, ne1; /* ne1 = 1 for a vector */
} tm_desc;

static const char *const llama_blk[] = {
    "attn_norm.weight", "attn_q.weight",   "attn_k.weight", "attn_v.weight",   "attn_output.weight",
    "ffn_norm.weight",  "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight",
};
static const char *const gpt2_blk[] = {
    "attn_norm.weight",   "attn_norm.bias",   "attn_qkv.weight", "attn_qkv.bias",
    "attn_output.weight", "attn_output.bias", "ffn_norm.weight", "ffn_norm.bias",
    "ffn_up.weight",      "ffn_up.bias",      "ffn_down.weight", "ffn_down.bias",
};
enum { LLAMA_PER_BLK = 9, GPT2_PER_BLK = 12 };

size_t sm_tm_n_tensors(const sm_tm_spec *s)
{
    if (s->arch == SM_REF_GPT2)
        return 2 + (size_t)s->n_layer * GPT2_PER_BLK + 2;
    return 1 + (size_t)s->n_layer * LLAMA_PER_BLK + 1 + (s->tied ? 0 : 1);
}

static void tm_set(tm_desc *d, tm_kind kind, int64_t ne0, int64_t ne1)
{
    d->kind = kind;
    d->ne0 = ne0;
    d->ne1 = ne1;
}

/* Tensor i of a model of @p s, in file order (the order llama.cpp's converters write). */
static void tm_describe(const sm_tm_spec *s, size_t i, tm_desc *d)
{
    int64_t E = s->n_embd, F = s->n_ff, V = s->n_vocab;
    int64_t kvd = E / s->n_head * s->n_head_kv;
    int gpt2 = s->arch == SM_REF_GPT2;
    size_t head = gpt2 ? 2 : 1, per = gpt2 ? GPT2_PER_BLK : LLAMA_PER_BLK;
    if (i == 0) {
        snprintf(d->name, sizeof d->name, "token_embd.weight");
        tm_set(d, TM_EMBD, E, V);
    } else if (gpt2 && i == 1) {
        snprintf(d->name, sizeof d->name, "position_embd.weight");
        tm_set(d, TM_POS, E, s->n_ctx);
    } else if (i < head + (size_t)s->n_layer * per) {
        size_t l = (i - head) / per, k = (i - head) % per;
        const char *what = gpt2 ? gpt2_blk[k] : llama_blk[k];
        snprintf(d->name, sizeof d->name, "blk.%zu.%s", l, what);
        int bias = strstr(what, ".bias") != NULL;
        if (strstr(what, "norm"))
            tm_set(d, bias ? TM_BIAS : TM_NORM, E, 1);
        else if (!strcmp(what, "attn_qkv.weight"))
            tm_set(d, TM_MATRIX, E, 3 * E);
        else if (!strcmp(what, "attn_qkv.bias"))
            tm_set(d, TM_BIAS, 3 * E, 1);
        else if (!strcmp(what, "attn_k.weight") || !strcmp(what, "attn_v.weight"))
            tm_set(d, TM_MATRIX, E, kvd);
        else if (!strcmp(what, "attn_q.weight") || !strcmp(what, "attn_output.weight"))
            tm_set(d, TM_MATRIX, E, E);
        else if (!strcmp(what, "attn_output.bias") || !strcmp(what, "ffn_down.bias"))
            tm_set(d, TM_BIAS, E, 1);
        else if (!strcmp(what, "ffn_up.bias"))
            tm_set(d, TM_BIAS, F, 1);
        else if (!strcmp(what, "ffn_down.weight"))
            tm_set(d, TM_MATRIX, F, E);
        else /* ffn_gate, ffn_up */
            tm_set(d, TM_MATRIX, E, F);
    } else if (i == head + (size_t)s->n_layer * per) {
        snprintf(d->name, sizeof d->name, "output_norm.weight");
        tm_set(d, TM_NORM, E, 1);
    } else if (gpt2) {
        snprintf(d->name, sizeof d->name, "output_norm.bias");
        tm_set(d, TM_BIAS, E, 1);
    } else {
        snprintf(d->name, sizeof d->name, "output.weight");
        tm_set(d, TM_MATRIX, E, V);
    }
}

uint64_t sm_tm_n_params(const sm_tm_spec *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < sm_tm_n_tensors(s); i++) {
        tm_desc d;
        tm_describe(s, i, &d);
        n += (uint64_t)d.ne0 * (uint64_t)d.ne1;
    }
    return n;
}

/* ---- spec --------------------------------------------------------------------------------- */

void sm_tm_spec_default(sm_tm_spec *s, sm_ref_arch arch)
{
    memset(s, 0, sizeof *s);
    s->arch = arch;
    s->n_embd = 64;
    s->n_layer = 2;
    s->n_head = 4;
    s->n_head_kv = arch == SM_REF_GPT2 ? 4 : 2;
    s->n_ff = arch == SM_REF_GPT2 ? 256 : 192;
    s->n_vocab = 512;
    s->n_ctx = 128;
    s->wtype = SM_RQ_F32;
    s->embd_type = SM_RQ_F32;
    s->tied = arch == SM_REF_GPT2;
    s->rope_base = 10000.0f;
    s->norm_eps = 1e-5f;
    s->seed = 1;
}

int sm_tm_spec_check(const sm_tm_spec *s, char *err, size_t err_len)
{
    if (s->arch != SM_REF_LLAMA && s->arch != SM_REF_GPT2)
        return tm_fail(err, err_len, "unknown architecture %d", (int)s->arch);
    if (s->n_embd < 1 || s->n_layer < 0 || s->n_head < 1 || s->n_head_kv < 1 || s->n_ff < 1 ||
        s->n_vocab < 1 || s->n_ctx < 1)
        return tm_fail(err, err_len,
                       "sizes must be positive: n_embd %d, n_layer %d, n_head %d, n_head_kv %d, "
                       "n_ff %d, n_vocab %d, n_ctx %d",
                       s->n_embd, s->n_layer, s->n_head, s->n_head_kv, s->n_ff, s->n_vocab,
                       s->n_ctx);
    if (s->n_embd % s->n_head || s->n_head % s->n_head_kv || (s->n_embd / s->n_head) % 2)
        return tm_fail(err, err_len,
                       "n_head %d must divide n_embd %d into even heads, n_head_kv %d divide "
                       "n_head",
                       s->n_head, s->n_embd, s->n_head_kv);
    if (s->tokenizer && (size_t)s->n_vocab < sm_tm_vocab_size(s->arch))
        return tm_fail(err, err_len, "n_vocab %d is below the %zu tokens of the vocabulary",
                       s->n_vocab, sm_tm_vocab_size(s->arch));
    if (s->arch == SM_REF_GPT2 && (s->n_head_kv != s->n_head || !s->tied))
        return tm_fail(err, err_len, "gpt2 needs n_head_kv == n_head (%d, %d) and tied output",
                       s->n_head_kv, s->n_head);
    const struct {
        const char *what;
        uint32_t type;
    } types[] = {{"weight", s->wtype}, {"token embedding", s->embd_type}};
    for (int k = 0; k < 2; k++) {
        size_t be = sm_rq_block_elems(types[k].type);
        if (!be)
            return tm_fail(err, err_len, "%s type %u is not one the tests generate", types[k].what,
                           types[k].type);
        if (s->n_embd % (int)be || (k == 0 && s->n_ff % (int)be))
            return tm_fail(err, err_len,
                           "%s type %s needs rows of a multiple of %zu elements: n_embd %d, "
                           "n_ff %d",
                           types[k].what, sm_rq_type_name(types[k].type), be, s->n_embd, s->n_ff);
    }
    return 0;
}

void sm_tm_hparams(const sm_tm_spec *s, sm_ref_hparams *hp)
{
    memset(hp, 0, sizeof *hp);
    hp->arch = s->arch;
    hp->n_embd = s->n_embd;
    hp->n_layer = s->n_layer;
    hp->n_head = s->n_head;
    hp->n_head_kv = s->n_head_kv;
    hp->n_ff = s->n_ff;
    hp->n_vocab = s->n_vocab;
    hp->n_ctx = s->n_ctx;
    hp->n_rot = s->n_embd / s->n_head;
    hp->rope_base = s->rope_base;
    hp->norm_eps = s->norm_eps;
}

/* ---- tensors ------------------------------------------------------------------------------ */

void sm_tm_tensor_clear(sm_tm_tensor *t)
{
    free(t->data);
    free(t->f);
    memset(t, 0, sizeof *t);
}

int sm_tm_gen_tensor(const sm_tm_spec *s, size_t i, int with_floats, sm_tm_tensor *t)
{
    memset(t, 0, sizeof *t);
    tm_desc d;
    tm_describe(s, i, &d);
    size_t n = (size_t)d.ne0 * (size_t)d.ne1;
    snprintf(t->name, sizeof t->name, "%s", d.name);
    t->n_dims = d.ne1 == 1 ? 1 : 2;
    t->ne[0] = d.ne0;
    t->ne[1] = d.ne1;
    t->ne[2] = t->ne[3] = 1;
    t->type = d.kind == TM_MATRIX ? s->wtype : d.kind == TM_EMBD ? s->embd_type : SM_RQ_F32;
    t->n_bytes = sm_rq_row_bytes(t->type, (size_t)d.ne0) * (size_t)d.ne1;
    float *x = malloc(n * sizeof *x);
    t->data = malloc(t->n_bytes ? t->n_bytes : 1);
    if (!x || !t->data) {
        free(x);
        sm_tm_tensor_clear(t);
        return -1;
    }
    tm_rng r;
    tm_rng_init(&r, s->seed, i);
    double std = 0.1, mean = 0.0;
    if (d.kind == TM_MATRIX) {
        std = s->w_std > 0.0f ? s->w_std : fmin(0.1, 1.0 / sqrt((double)d.ne0));
    } else if (d.kind == TM_NORM) {
        mean = 1.0;
    } else if (d.kind == TM_BIAS) {
        std = 0.05;
    }
    for (size_t k = 0; k < n; k++)
        x[k] = (float)(mean + std * tm_normal(&r));
    /* Row by row: a row is whole blocks (sm_tm_spec_check), and this keeps each row's bytes
     * where a reader of [ne1][row bytes] expects them. */
    size_t rb = sm_rq_row_bytes(t->type, (size_t)d.ne0);
    for (int64_t row = 0; row < d.ne1; row++)
        sm_rq_quantize(t->type, x + (size_t)row * (size_t)d.ne0, (size_t)d.ne0,
                       (uint8_t *)t->data + (size_t)row * rb);
    if (with_floats) {
        /* What the file means: its bytes decoded again, not the floats before rounding. */
        for (int64_t row = 0; row < d.ne1; row++)
            sm_rq_dequantize(t->type, (uint8_t *)t->data + (size_t)row * rb, (size_t)d.ne0,
                             x + (size_t)row * (size_t)d.ne0);
        t->f = x;
    } else {
        free(x);
    }
    return 0;
}

int sm_tm_build(const sm_tm_spec *s, sm_tm_model **out, char *err, size_t err_len)
{
    if (sm_tm_spec_check(s, err, err_len))
        return -1;
    sm_tm_model *m = calloc(1, sizeof *m);
    size_t n = sm_tm_n_tensors(s);
    if (m)
        m->tensors = calloc(n, sizeof *m->tensors);
    if (!m || !m->tensors) {
        free(m);
        return tm_fail(err, err_len, "out of memory for a model of %zu tensors", n);
    }
    m->spec = *s;
    sm_tm_hparams(s, &m->hp);
    for (size_t i = 0; i < n; i++, m->n_tensors++) {
        if (sm_tm_gen_tensor(s, i, 1, &m->tensors[i])) {
            sm_tm_free(m);
            return tm_fail(err, err_len, "out of memory for tensor %zu", i);
        }
    }
    *out = m;
    return 0;
}

void sm_tm_free(sm_tm_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_tensors; i++)
        sm_tm_tensor_clear(&m->tensors[i]);
    free(m->tensors);
    free(m);
}

int sm_tm_lookup(void *ctx, const char *name, sm_ref_weight *out)
{
    const sm_tm_model *m = ctx;
    for (size_t i = 0; i < m->n_tensors; i++) {
        const sm_tm_tensor *t = &m->tensors[i];
        if (!strcmp(t->name, name)) {
            out->f = t->f;
            memcpy(out->ne, t->ne, sizeof out->ne);
            out->type = t->type;
            return 0;
        }
    }
    return -1;
}
