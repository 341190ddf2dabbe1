/* SPDX-License-Identifier: MIT */
/* tok_spm.c: the LLaMA SentencePiece tokenizer (BPE by score, as llama.cpp's
 * llm_tokenizer_spm and SentencePiece's bpe_model): the dummy-prefix space, spaces written as
 * U+2581, one symbol per character, then the adjacent pair whose joined text is the
 * highest-scoring token merges first; characters left without a token become <0xNN> tokens. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "unicode.h"

static const unsigned char lower_one_eighth_block[3] = {0xE2, 0x96, 0x81}; /* U+2581 */

/* The token the joined text of live neighbours a and b is, pushed as a candidate. */
static sm_status try_pair(const sm_vocab *v, const unsigned char *e, sm_tok_work *w, size_t a,
                          size_t b)
{
    if (a == SM_TOK_NONE || b == SM_TOK_NONE)
        return SM_OK;
    size_t len = w->sym[a].n + w->sym[b].n;
    int32_t id = sm_vocab_find(v, (const char *)e + w->sym[a].start, len);
    if (id < 0 || !sm_tok_text_matchable(v, id))
        return SM_OK;
    sm_tok_pair p = {v->scores[id], a, b, len, id};
    return sm_tok_heap_push(w, &p);
}

static sm_status merge_all(const sm_vocab *v, const unsigned char *e, size_t m, sm_tok_work *w,
                           sm_tok_out *o)
{
    sm_status st = sm_tok_work_reserve(w, m);
    if (st != SM_OK || m == 0)
        return st;
    sm_tok_sym *sym = w->sym;
    size_t k = 0;
    for (size_t i = 0; i < m; k++) {
        uint32_t cp;
        size_t len = sm_utf8_decode(e + i, m - i, &cp);
        int32_t id = sm_vocab_find(v, (const char *)e + i, len);
        sym[k] = (sm_tok_sym){.start = i,
                              .n = len,
                              .prev = k == 0 ? SM_TOK_NONE : k - 1,
                              .next = i + len == m ? SM_TOK_NONE : k + 1,
                              .id = id >= 0 && sm_tok_text_matchable(v, id) ? id : -1};
        i += len;
    }
    w->n_sym = k;
    for (size_t i = 0; i + 1 < k; i++)
        if ((st = try_pair(v, e, w, i, i + 1)) != SM_OK)
            return st;
    sm_tok_pair p;
    while (sm_tok_heap_pop(w, &p)) {
        sm_tok_sym *l = &sym[p.left], *r = &sym[p.right];
        /* stale when either side merged elsewhere since the pair was pushed */
        if (l->n == 0 || r->n == 0 || l->next != p.right || l->n + r->n != p.check)
            continue;
        l->n += r->n;
        l->id = p.result;
        r->n = 0;
        l->next = r->next;
        if (r->next != SM_TOK_NONE)
            sym[r->next].prev = p.left;
        if ((st = try_pair(v, e, w, l->prev, p.left)) != SM_OK ||
            (st = try_pair(v, e, w, p.left, l->next)) != SM_OK)
            return st;
    }
    for (size_t i = 0; i != SM_TOK_NONE; i = sym[i].next) {
        if (sym[i].id >= 0)
            sm_tok_emit(o, sym[i].id);
        else if ((st = sm_tok_emit_bytes(v, e + sym[i].start, sym[i].n, o)) != SM_OK)
            return st;
    }
    return SM_OK;
}

sm_status sm_tok_spm(const sm_vocab *v, const unsigned char *text, size_t n, sm_tok_out *o)
{
    /* sm_vocab_tokenize bounded n far below SIZE_MAX / 3, so this cannot wrap */
    size_t cap = 3 * n + 3, m = 0;
    unsigned char *e = malloc(cap);
    if (e == NULL)
        return SM_E_NOMEM;
    if (v->add_space_prefix) {
        for (int j = 0; j < 3; j++)
            e[m++] = lower_one_eighth_block[j];
    }
    for (size_t i = 0; i < n; i++) {
        if (text[i] == ' ') {
            for (int j = 0; j < 3; j++)
                e[m++] = lower_one_eighth_block[j];
        } else {
            e[m++] = text[i];
        }
    }
    /* One heap over a whole long text spends its time in cache misses (0.5-0.9 MB/s on 1 MiB
     * of prose); word by word, the same merges happen with small heaps. */
    sm_tok_work w = {0};
    sm_status st = SM_OK;
    size_t word = 0;
    for (size_t i = 3; v->spm_words_independent && i + 3 <= m && st == SM_OK; i++) {
        if (memcmp(e + i, lower_one_eighth_block, 3) == 0 &&
            memcmp(e + i - 3, lower_one_eighth_block, 3) != 0) {
            st = merge_all(v, e + word, i - word, &w, o);
            word = i;
        }
    }
    if (st == SM_OK)
        st = merge_all(v, e + word, m - word, &w, o);
    sm_tok_work_release(&w);
    free(e);
    return st;
}
