/* SPDX-License-Identifier: MIT */
/* arch_common.c: the hyper-parameters and tensors every architecture has. */
#include <inttypes.h>
#include <stdio.h>

#include "src/arch_common.h"
#include "src/errbuf.h"

sm_status sm_arch_common_hparams(const sm_load *ld, sm_hparams *hp)
{
    sm_status st;
    if ((st = sm_load_hparam(ld, "context_length", 1, SM_ARCH_MAX_CTX, -1, &hp->n_ctx_train)) ||
        (st = sm_load_hparam(ld, "embedding_length", 1, SM_ARCH_MAX_EMBD, -1, &hp->n_embd)) ||
        (st = sm_load_hparam(ld, "block_count", 1, SM_ARCH_MAX_LAYERS, -1, &hp->n_layer)) ||
        (st = sm_load_hparam(ld, "feed_forward_length", 1, SM_ARCH_MAX_FF, -1, &hp->n_ff)) ||
        (st = sm_load_hparam(ld, "attention.head_count", 1, SM_ARCH_MAX_HEADS, -1, &hp->n_head)))
        return st;
    if (hp->n_embd % hp->n_head != 0)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: key '%s.embedding_length' is %zu, not a multiple of "
                             "%s.attention.head_count %zu",
                             ld->path, ld->arch_name, hp->n_embd, ld->arch_name, hp->n_head);
    hp->head_dim = hp->n_embd / hp->n_head;
    hp->n_head_kv = hp->n_head;
    hp->n_kv_dim = hp->n_embd;
    /* The forward pass derives the head size as n_embd / n_head. A file that states another
     * (models whose heads are wider or narrower than n_embd / n_head) would be computed with the
     * wrong size, so it is refused rather than silently mis-evaluated. */
    static const char *const head_keys[] = {"attention.key_length", "attention.value_length"};
    for (size_t i = 0; i < sizeof head_keys / sizeof head_keys[0]; i++) {
        size_t stated = 0;
        if ((st = sm_load_hparam(ld, head_keys[i], 1, SM_ARCH_MAX_EMBD, 0, &stated)) != SM_OK)
            return st;
        if (stated != 0 && stated != hp->head_dim)
            return sm_errbuf_set(ld->err, ld->err_len, SM_E_UNSUPPORTED,
                                 "%s: key '%s.%s' is %zu but %s.embedding_length / "
                                 "%s.attention.head_count is %zu; a head size other than "
                                 "n_embd / n_head is not supported",
                                 ld->path, ld->arch_name, head_keys[i], stated, ld->arch_name,
                                 ld->arch_name, hp->head_dim);
    }
    return SM_OK;
}

sm_status sm_arch_common_embeddings(const sm_load *ld, sm_model *m)
{
    const sm_gguf_tensor *t = sm_gguf_find_tensor(ld->g, "token_embd.weight");
    if (!t)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: tensor 'token_embd.weight' is missing", ld->path);
    if (t->n_dims != 2 || t->ne[1] > SM_ARCH_MAX_VOCAB)
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: tensor 'token_embd.weight' has shape [%" PRId64 ", %" PRId64
                             "] (%u dims); it must be [n_embd, n_vocab] with n_vocab <= %d",
                             ld->path, t->ne[0], t->ne[1], t->n_dims, SM_ARCH_MAX_VOCAB);
    m->hp.n_vocab = (size_t)t->ne[1];
    /* The key, when present, must agree with the table it describes. */
    size_t declared = 0;
    sm_status st = sm_load_hparam(ld, "vocab_size", 1, SM_ARCH_MAX_VOCAB, 0, &declared);
    if (st != SM_OK)
        return st;
    if (declared != 0 && declared != m->hp.n_vocab) {
        return sm_errbuf_set(ld->err, ld->err_len, SM_E_FORMAT,
                             "%s: key '%s.vocab_size' is %zu but tensor 'token_embd.weight' has "
                             "%zu rows",
                             ld->path, ld->arch_name, declared, m->hp.n_vocab);
    }
    return sm_load_matrix(ld, "token_embd.weight", m->hp.n_embd, m->hp.n_vocab, &m->tok_embd);
}

sm_status sm_arch_common_output(const sm_load *ld, sm_model *m)
{
    if (!sm_load_has(ld, "output.weight")) {
        m->output = m->tok_embd;
        m->output_tied = 1;
        return SM_OK;
    }
    return sm_load_matrix(ld, "output.weight", m->hp.n_embd, m->hp.n_vocab, &m->output);
}

const char *sm_arch_layer_name(char *buf, size_t len, size_t i, const char *suffix)
{
    snprintf(buf, len, "blk.%zu.%s", i, suffix);
    return buf;
}
