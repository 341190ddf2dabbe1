/* SPDX-License-Identifier: MIT */
/* arch_llama.c: the LLaMA family's hyper-parameters and tensors (RMSNorm, RoPE, grouped-query
 * attention, SwiGLU), bound from GGUF and checked against each other. */
#include <stdio.h>
#include <stdlib.h>

#include "src/arch_common.h"
#include "src/errbuf.h"
#include "src/model.h"

static sm_status read_hparams(const sm_load *ld, sm_hparams *hp)
{
    sm_status st;
    if ((st = sm_arch_common_hparams(ld, hp)) != SM_OK)
        return st;
    if ((st = sm_load_hparam(ld, "attention.head_count_kv", 1, SM_ARCH_MAX_HEADS,
                             (int64_t)hp->n_head, &hp->n_head_kv)) != SM_OK)
        return st;
    if (hp->n_head % hp->n_head_kv != 0)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: key 'llama.attention.head_count_kv' is %zu, which does not "
                             "divide llama.attention.head_count %zu",
                             ld->path, hp->n_head_kv, hp->n_head);
    hp->n_kv_dim = hp->head_dim * hp->n_head_kv;
    if ((st = sm_load_hparam(ld, "rope.dimension_count", 0, SM_ARCH_MAX_EMBD, (int64_t)hp->head_dim,
                             &hp->n_rot)) != SM_OK)
        return st;
    if (hp->n_rot % 2 != 0 || hp->n_rot > hp->head_dim || hp->n_rot == 0)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: key 'llama.rope.dimension_count' is %zu; it must be even, "
                             "non-zero and at most the head size %zu",
                             ld->path, hp->n_rot, hp->head_dim);
    if ((st = sm_load_hparam_f32(ld, "rope.freq_base", 10000.0f, &hp->rope_base)) != SM_OK)
        return st;
    return sm_load_hparam_f32(ld, "attention.layer_norm_rms_epsilon", 1e-5f, &hp->norm_eps);
}

static sm_status bind_layer(const sm_load *ld, const sm_hparams *hp, size_t i, sm_layer *l)
{
    char name[SM_GGUF_NAME_MAX + 16];
    sm_status st;
    if ((st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "attn_norm.weight"),
                             hp->n_embd, &l->attn_norm)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_q.weight"),
                             hp->n_embd, hp->n_embd, &l->wq)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_k.weight"),
                             hp->n_embd, hp->n_kv_dim, &l->wk)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_v.weight"),
                             hp->n_embd, hp->n_kv_dim, &l->wv)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_output.weight"),
                             hp->n_embd, hp->n_embd, &l->wo)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_norm.weight"),
                             hp->n_embd, &l->ffn_norm)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_gate.weight"),
                             hp->n_embd, hp->n_ff, &l->w_gate)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_up.weight"),
                             hp->n_embd, hp->n_ff, &l->w_up)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_down.weight"),
                             hp->n_ff, hp->n_embd, &l->w_down)))
        return st;
    return SM_OK;
}

sm_status sm_arch_llama_load(const sm_load *ld, sm_model *m)
{
    sm_hparams *hp = &m->hp;
    sm_status st = read_hparams(ld, hp);
    if (st != SM_OK)
        return st;
    if ((st = sm_arch_common_embeddings(ld, m)) != SM_OK)
        return st;
    m->layers = calloc(hp->n_layer, sizeof *m->layers);
    if (!m->layers)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_NOMEM, "%s: out of memory", ld->path);
    for (size_t i = 0; i < hp->n_layer; i++)
        if ((st = bind_layer(ld, hp, i, &m->layers[i])) != SM_OK)
            return st;
    if ((st = sm_load_vector(ld, "output_norm.weight", hp->n_embd, &m->out_norm)) != SM_OK)
        return st;
    return sm_arch_common_output(ld, m);
}
