/* SPDX-License-Identifier: MIT */
/* tok_internal.h: what tokenizer.c (the vocabulary), tok_bpe.c (GPT-2) and tok_spm.c (LLaMA)
 * share: the vocabulary's layout, the symbol list and the pair heap both BPE variants merge
 * with. */
#ifndef SM_TOK_INTERNAL_H
#define SM_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* One ranked gpt2 merge in the open-addressing pair table; key = left id << 32 | right id. */
typedef struct sm_tok_merge {
    uint64_t key; /* SM_TOK_NO_KEY when the slot is empty */
    int32_t rank;
    int32_t result;
} sm_tok_merge;

#define SM_TOK_NO_KEY UINT64_MAX

struct sm_vocab {
    sm_vocab_kind kind;
    int32_t n_tokens;
    char *text;         /* every token's bytes, back to back */
    size_t *off;        /* token i is text[off[i], off[i + 1]) */
    float *scores;      /* n_tokens */
    uint8_t *types;     /* n_tokens, sm_token_type */
    int32_t *slots;     /* text -> id table: id or -1, open addressing, linear probing */
    size_t slot_mask;   /* table size - 1 (a power of two, at least twice n_tokens) */
    sm_tok_merge *pair; /* gpt2 merges, same scheme */
    size_t pair_mask;
    /* gpt2: the token of byte b's byte-level character; llama: the <0xNN> token; -1 = none */
    int32_t byte_tok[256];
    int32_t bos, eos, unk, pad;
    int add_bos;
    int add_space_prefix;
    /* llama: no token has U+2581 after another character, so no merge can span the start of
     * a word (a U+2581 after a non-U+2581), and each word can be merged alone. */
    int spm_words_independent;
};

/* Whether a token may be produced by matching text: SentencePiece only matches normal,
 * user-defined and unused pieces (control, unknown and byte pieces are reserved). */
static inline int sm_tok_text_matchable(const sm_vocab *v, int32_t id)
{
    uint8_t t = v->types[id];
    return t == SM_TOKEN_NORMAL || t == SM_TOKEN_UNDEFINED || t == SM_TOKEN_USER_DEFINED ||
           t == SM_TOKEN_UNUSED;
}

/* The gpt2 merge of (left, right): its rank and result, or 0 when there is none. */
int sm_tok_merge_find(const sm_vocab *v, int32_t left, int32_t right, int32_t *rank,
                      int32_t *result);

/* The output ids: counted always, stored while they fit. */
typedef struct sm_tok_out {
    int32_t *ids;
    size_t cap;
    size_t n;
} sm_tok_out;

static inline void sm_tok_emit(sm_tok_out *o, int32_t id)
{
    if (o->n < o->cap)
        o->ids[o->n] = id;
    o->n++;
}

/* A symbol of the text being merged: bytes [start, start + n) of the text, or dead (n == 0)
 * once merged into its left neighbour. prev/next link live symbols; SM_TOK_NONE ends. */
#define SM_TOK_NONE SIZE_MAX

typedef struct sm_tok_sym {
    size_t start;
    size_t n;
    size_t prev;
    size_t next;
    int32_t id; /* the token the symbol is, or -1 */
} sm_tok_sym;

/* A candidate merge of live neighbours left and right. The best pair pops first: highest prio
 * (a SentencePiece score; minus the rank for gpt2), then leftmost, as llama.cpp orders them.
 * check is what the pair's symbols were when it was pushed (gpt2: their ids; spm: the merged
 * length); a popped pair whose symbols changed since is stale and skipped. */
typedef struct sm_tok_pair {
    double prio;
    size_t left;
    size_t right;
    uint64_t check;
    int32_t result;
} sm_tok_pair;

/* Symbols and a binary heap of pairs, grown on demand, reused across words. */
typedef struct sm_tok_work {
    sm_tok_sym *sym;
    size_t n_sym;
    size_t cap_sym;
    sm_tok_pair *heap;
    size_t n_heap;
    size_t cap_heap;
} sm_tok_work;

/* Makes room for n symbols (n_sym = 0 after); SM_E_NOMEM on failure or overflow. */
sm_status sm_tok_work_reserve(sm_tok_work *w, size_t n);
void sm_tok_work_release(sm_tok_work *w);
sm_status sm_tok_heap_push(sm_tok_work *w, const sm_tok_pair *p);
/* Pops the best pair into *p; 0 when the heap is empty. */
int sm_tok_heap_pop(sm_tok_work *w, sm_tok_pair *p);

/* The two tokenizers, on text already checked non-NULL (BOS is the caller's). */
sm_status sm_tok_gpt2(const sm_vocab *v, const unsigned char *text, size_t n, sm_tok_out *o);
sm_status sm_tok_spm(const sm_vocab *v, const unsigned char *text, size_t n, sm_tok_out *o);

/* The byte length of the first GPT-2 pre-tokenizer piece of s[0..n), n >= 1 (tok_bpe.c). */
size_t sm_tok_gpt2_piece(const unsigned char *s, size_t n);

/* gpt2's byte-level alphabet: the code point byte b is written as, and back (-1 for a code
 * point that is not in the alphabet). */
uint32_t sm_tok_byte_to_cp(uint8_t b);
int sm_tok_cp_to_byte(uint32_t cp);

/* The byte a strict "<0xNN>" names, or -1. */
int sm_tok_parse_byte_token(const char *s, size_t n);

/* Emits the ids for bytes [p, p + n) one byte each, through byte_tok or else unk. */
sm_status sm_tok_emit_bytes(const sm_vocab *v, const unsigned char *p, size_t n, sm_tok_out *o);

#endif /* SM_TOK_INTERNAL_H */
