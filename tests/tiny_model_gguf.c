/* SPDX-License-Identifier: MIT */
/* tiny_model_gguf.c: a tiny model as a GGUF file (keys as llama.cpp names them, tensors in
 * file order) through the test writer, in memory or streamed to disk one tensor at a time. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ref_quant.h"
#include "tiny_model.h"

/* llama.cpp's general.file_type (enum llama_ftype) for a model whose matrices are @p wtype. */
static uint32_t tm_file_type(uint32_t wtype)
{
    switch (wtype) {
    case SM_RQ_F16:
        return 1;
    case SM_RQ_Q4_0:
        return 2;
    case SM_RQ_Q8_0:
        return 7;
    case SM_RQ_Q4_K:
        return 15; /* Q4_K_M, the closest named mix */
    case SM_RQ_Q6_K:
        return 18;
    default:
        return 0;
    }
}

void sm_tm_add_keys(const sm_tm_spec *s, sm_gw *w)
{
    int gpt2 = s->arch == SM_REF_GPT2;
    const char *arch = gpt2 ? "gpt2" : "llama";
    const char *tname = sm_rq_type_name(s->wtype);
    char name[64], key[96];
    snprintf(name, sizeof name, "%s-tiny-%s", arch, tname ? tname : "unknown");
    sm_gw_kv_str(w, "general.architecture", arch);
    sm_gw_kv_str(w, "general.name", name);
    sm_gw_kv_u32(w, "general.file_type", tm_file_type(s->wtype));
    if (s->wtype != SM_RQ_F32 && s->wtype != SM_RQ_F16)
        sm_gw_kv_u32(w, "general.quantization_version", 2);
    const struct {
        const char *suffix;
        uint32_t v;
    } ints[] = {
        {"context_length", (uint32_t)s->n_ctx},        {"embedding_length", (uint32_t)s->n_embd},
        {"block_count", (uint32_t)s->n_layer},         {"feed_forward_length", (uint32_t)s->n_ff},
        {"attention.head_count", (uint32_t)s->n_head},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        snprintf(key, sizeof key, "%s.%s", arch, ints[i].suffix);
        sm_gw_kv_u32(w, key, ints[i].v);
    }
    if (gpt2) {
        sm_gw_kv_f32(w, "gpt2.attention.layer_norm_epsilon", s->norm_eps);
    } else {
        sm_gw_kv_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv);
        sm_gw_kv_u32(w, "llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head));
        sm_gw_kv_f32(w, "llama.rope.freq_base", s->rope_base);
        sm_gw_kv_f32(w, "llama.attention.layer_norm_rms_epsilon", s->norm_eps);
    }
    snprintf(key, sizeof key, "%s.vocab_size", arch);
    sm_gw_kv_u32(w, key, (uint32_t)s->n_vocab);
    if (s->tokenizer)
        sm_tm_add_vocab(s->arch, w);
}

static void tm_add_tensor(sm_gw *w, const sm_tm_tensor *t)
{
    sm_gw_tensor(w, t->name, t->type, t->n_dims, t->ne, t->data, t->n_bytes);
}

void sm_tm_add_tensors(const sm_tm_model *m, sm_gw *w)
{
    for (size_t i = 0; i < m->n_tensors; i++)
        tm_add_tensor(w, &m->tensors[i]);
}

int sm_tm_gguf_bytes(const sm_tm_model *m, uint8_t **out, size_t *size)
{
    sm_gw *w = sm_gw_create(3);
    if (!w)
        return -1;
    sm_tm_add_keys(&m->spec, w);
    sm_tm_add_tensors(m, w);
    int rc = sm_gw_bytes(w, out, size);
    sm_gw_free(w);
    return rc;
}

int sm_tm_write_file(const sm_tm_spec *s, const char *path, char *err, size_t err_len)
{
    if (sm_tm_spec_check(s, err, err_len))
        return -1;
    sm_gw *w = sm_gw_create(3);
    if (!w) {
        snprintf(err, err_len, "out of memory for the writer");
        return -1;
    }
    sm_tm_add_keys(s, w);
    size_t n = sm_tm_n_tensors(s);
    for (size_t i = 0; i < n; i++) {
        sm_tm_tensor t;
        if (sm_tm_gen_tensor(s, i, 0, &t)) {
            sm_gw_free(w);
            snprintf(err, err_len, "out of memory for tensor %zu", i);
            return -1;
        }
        tm_add_tensor(w, &t); /* the writer copies the bytes, so ours go at once */
        sm_tm_tensor_clear(&t);
    }
    int rc = sm_gw_write_file(w, path);
    if (rc)
        snprintf(err, err_len, "cannot write '%s': %s", path, strerror(errno));
    sm_gw_free(w);
    return rc ? -1 : 0;
}
