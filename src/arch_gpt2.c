/* SPDX-License-Identifier: MIT */
/* arch_gpt2.c: GPT-2's hyper-parameters and tensors (LayerNorm with bias, learned positions,
 * fused QKV with bias, GELU MLP with bias, tied output), bound from GGUF and checked. */
#include <stdio.h>
#include <stdlib.h>

#include "src/arch_common.h"
#include "src/errbuf.h"
#include "src/model.h"

static sm_status bind_layer(const sm_load *ld, const sm_hparams *hp, size_t i, sm_layer *l)
{
    char name[SM_GGUF_NAME_MAX + 16];
    sm_status st;
    size_t e = hp->n_embd;
    if ((st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "attn_norm.weight"), e,
                             &l->attn_norm)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "attn_norm.bias"), e,
                             &l->attn_norm_b)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_qkv.weight"), e,
                             3 * e, &l->wqkv)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "attn_qkv.bias"), 3 * e,
                             &l->bqkv)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "attn_output.weight"), e,
                             e, &l->wo)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "attn_output.bias"), e,
                             &l->bo)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_norm.weight"), e,
                             &l->ffn_norm)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_norm.bias"), e,
                             &l->ffn_norm_b)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_up.weight"), e,
                             hp->n_ff, &l->w_up)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_up.bias"), hp->n_ff,
                             &l->b_up)) ||
        (st = sm_load_matrix(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_down.weight"),
                             hp->n_ff, e, &l->w_down)) ||
        (st = sm_load_vector(ld, sm_arch_layer_name(name, sizeof name, i, "ffn_down.bias"), e,
                             &l->b_down)))
        return st;
    /* Q, K and V as views of the fused matrix's row blocks, so the forward pass treats both
     * architectures alike (and writes K and V straight into the cache). */
    l->wq = l->wqkv;
    l->wq.n_out = e;
    l->wk = l->wq;
    l->wk.data = (const char *)l->wqkv.data + e * l->wqkv.row_bytes;
    l->wv = l->wq;
    l->wv.data = (const char *)l->wqkv.data + 2 * e * l->wqkv.row_bytes;
    l->bq = l->bqkv;
    l->bk = l->bqkv + e;
    l->bv = l->bqkv + 2 * e;
    return SM_OK;
}

sm_status sm_arch_gpt2_load(const sm_load *ld, sm_model *m)
{
    sm_hparams *hp = &m->hp;
    sm_status st = sm_arch_common_hparams(ld, hp);
    if (st != SM_OK)
        return st;
    hp->n_head_kv = hp->n_head;
    hp->n_kv_dim = hp->n_embd;
    hp->n_rot = 0;
    if ((st = sm_load_hparam_f32(ld, "attention.layer_norm_epsilon", 1e-5f, &hp->norm_eps)) !=
        SM_OK)
        return st;
    if ((st = sm_arch_common_embeddings(ld, m)) != SM_OK)
        return st;
    /* Learned positions: one row per trained position, so the file's context length is also
     * the table's size, checked here. */
    if ((st = sm_load_matrix(ld, "position_embd.weight", hp->n_embd, hp->n_ctx_train,
                             &m->pos_embd)) != SM_OK)
        return st;
    m->layers = calloc(hp->n_layer, sizeof *m->layers);
    if (!m->layers)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_NOMEM, "%s: out of memory", ld->path);
    for (size_t i = 0; i < hp->n_layer; i++)
        if ((st = bind_layer(ld, hp, i, &m->layers[i])) != SM_OK)
            return st;
    if ((st = sm_load_vector(ld, "output_norm.weight", hp->n_embd, &m->out_norm)) ||
        (st = sm_load_vector(ld, "output_norm.bias", hp->n_embd, &m->out_norm_b)))
        return st;
    return sm_arch_common_output(ld, m);
}
