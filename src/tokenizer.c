/* SPDX-License-Identifier: MIT */
/* tokenizer.c: the vocabulary (validation, the text -> id and merge tables), sm_vocab_tokenize's
 * entry point and sm_vocab_token_to_piece. The merging itself is in tok_bpe.c and tok_spm.c. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "tok_internal.h"
#include "unicode.h"

/* FNV-1a: token texts are short, and this hashes a byte per step with no alignment needs. */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3u;
    }
    return h;
}

static uint64_t hash_pair(uint64_t key)
{
    /* splitmix64's finaliser: ids are small and dense, so their bits need spreading */
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9u;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebu;
    return key ^ (key >> 31);
}

/* The smallest power of two >= 2 n (a table at most half full keeps probes short), or 0 when
 * that does not fit a size_t. */
static size_t table_size(size_t n)
{
    size_t size = 16;
    while (size / 2 < n) {
        if (size > SIZE_MAX / 2)
            return 0;
        size *= 2;
    }
    return size;
}

int32_t sm_vocab_find(const sm_vocab *v, const char *s, size_t n)
{
    if (v == NULL || (s == NULL && n > 0))
        return -1;
    for (size_t i = (size_t)hash_bytes(s, n) & v->slot_mask;; i = (i + 1) & v->slot_mask) {
        int32_t id = v->slots[i];
        if (id < 0)
            return -1;
        size_t len = v->off[id + 1] - v->off[id];
        if (len == n && (n == 0 || memcmp(v->text + v->off[id], s, n) == 0))
            return id;
    }
}

int sm_tok_merge_find(const sm_vocab *v, int32_t left, int32_t right, int32_t *rank,
                      int32_t *result)
{
    if (v->pair == NULL || left < 0 || right < 0)
        return 0;
    uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
    for (size_t i = (size_t)hash_pair(key) & v->pair_mask;; i = (i + 1) & v->pair_mask) {
        if (v->pair[i].key == SM_TOK_NO_KEY)
            return 0;
        if (v->pair[i].key == key) {
            *rank = v->pair[i].rank;
            *result = v->pair[i].result;
            return 1;
        }
    }
}

/* Copies up to 40 bytes of a token's text into buf as printable ASCII (\xNN for the rest), for
 * error messages: token texts may hold anything. */
static const char *printable(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < 40 && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
    }
    if (n > 40 && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

int sm_tok_parse_byte_token(const char *s, size_t n)
{
    if (n != 6 || s[0] != '<' || s[1] != '0' || s[2] != 'x' || s[5] != '>')
        return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* GPT-2's bytes_to_unicode: the printable bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for
 * themselves; the other 68 take U+0100.. in byte order, so every byte is a visible character. */
static int byte_is_printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t sm_tok_byte_to_cp(uint8_t b)
{
    if (byte_is_printable(b))
        return b;
    /* the non-printable bytes are 0x00..0x20 (33), 0x7F..0xA0 (34) and 0xAD */
    if (b <= 0x20)
        return 0x100u + b;
    if (b <= 0xA0)
        return 0x100u + 33 + (b - 0x7Fu);
    return 0x100u + 67;
}

int sm_tok_cp_to_byte(uint32_t cp)
{
    if (cp < 0x100)
        return byte_is_printable(cp) ? (int)cp : -1;
    if (cp < 0x100 + 33)
        return (int)(cp - 0x100);
    if (cp < 0x100 + 67)
        return (int)(cp - 0x100 - 33 + 0x7F);
    if (cp == 0x100 + 67)
        return 0xAD;
    return -1;
}

void sm_vocab_free(sm_vocab *v)
{
    if (v == NULL)
        return;
    free(v->text);
    free(v->off);
    free(v->scores);
    free(v->types);
    free(v->slots);
    free(v->pair);
    free(v);
}

static sm_status check_desc(const sm_vocab_desc *d, char *err, size_t err_len)
{
    if (d->kind != SM_VOCAB_GPT2 && d->kind != SM_VOCAB_LLAMA)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "vocabulary kind %d is not gpt2 or llama",
                             (int)d->kind);
    if (d->n_tokens == 0 || d->n_tokens > INT32_MAX)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "tokenizer.ggml.tokens: %zu tokens (need 1..%d)", d->n_tokens,
                             INT32_MAX);
    if (d->tokens == NULL || (d->n_merges > 0 && d->merges == NULL))
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "vocabulary description without arrays");
    if (d->n_merges > INT32_MAX)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT, "tokenizer.ggml.merges: %zu merges",
                             d->n_merges);
    for (size_t i = 0; d->types != NULL && i < d->n_tokens; i++)
        if (d->types[i] < SM_TOKEN_UNDEFINED || d->types[i] > SM_TOKEN_BYTE)
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "tokenizer.ggml.token_type[%zu] = %d is not a token type (0..6)",
                                 i, (int)d->types[i]);
    for (size_t i = 0; d->scores != NULL && i < d->n_tokens; i++)
        if (isnan(d->scores[i]))
            return sm_errbuf_set(err, err_len, SM_E_FORMAT, "tokenizer.ggml.scores[%zu] is NaN", i);
    const struct {
        const char *key;
        int64_t id;
    } special[] = {{"tokenizer.ggml.bos_token_id", d->bos},
                   {"tokenizer.ggml.eos_token_id", d->eos},
                   {"tokenizer.ggml.unknown_token_id", d->unk},
                   {"tokenizer.ggml.padding_token_id", d->pad}};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        if (special[i].id < -1 || special[i].id >= (int64_t)d->n_tokens)
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "%s = %lld is not a token id (the vocabulary has %zu tokens)",
                                 special[i].key, (long long)special[i].id, d->n_tokens);
    return SM_OK;
}

static sm_status copy_tokens(sm_vocab *v, const sm_vocab_desc *d, char *err, size_t err_len)
{
    size_t n = d->n_tokens, total = 0;
    for (size_t i = 0; i < n; i++) {
        if (d->tokens[i].n > SIZE_MAX - total || (d->tokens[i].n > 0 && d->tokens[i].p == NULL))
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "tokenizer.ggml.tokens: token %zu's length does not fit", i);
        total += (size_t)d->tokens[i].n;
    }
    v->text = malloc(total > 0 ? total : 1);
    v->off = malloc((n + 1) * sizeof v->off[0]);
    v->scores = malloc(n * sizeof v->scores[0]);
    v->types = malloc(n);
    size_t slots = table_size(n);
    v->slots = slots > 0 ? malloc(slots * sizeof v->slots[0]) : NULL;
    if (v->text == NULL || v->off == NULL || v->scores == NULL || v->types == NULL ||
        v->slots == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "vocabulary of %zu tokens (%zu bytes)", n,
                             total);
    v->slot_mask = slots - 1;
    memset(v->slots, 0xFF, slots * sizeof v->slots[0]); /* all -1 */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        v->off[i] = o;
        if (d->tokens[i].n > 0)
            memcpy(v->text + o, d->tokens[i].p, (size_t)d->tokens[i].n);
        o += (size_t)d->tokens[i].n;
        v->scores[i] = d->scores != NULL ? d->scores[i] : 0.0f;
        v->types[i] = d->types != NULL ? (uint8_t)d->types[i] : SM_TOKEN_UNDEFINED;
    }
    v->off[n] = o;
    /* the first id wins a repeated text: later ones stay reachable by id only */
    for (size_t i = 0; i < n; i++) {
        const char *s = v->text + v->off[i];
        size_t len = v->off[i + 1] - v->off[i];
        size_t at = (size_t)hash_bytes(s, len) & v->slot_mask;
        for (;; at = (at + 1) & v->slot_mask) {
            int32_t id = v->slots[at];
            if (id < 0) {
                v->slots[at] = (int32_t)i;
                break;
            }
            if (v->off[id + 1] - v->off[id] == len &&
                (len == 0 || memcmp(v->text + v->off[id], s, len) == 0))
                break;
        }
    }
    return SM_OK;
}

static sm_status find_byte_tokens(sm_vocab *v, const sm_vocab_desc *d, char *err, size_t err_len)
{
    for (int b = 0; b < 256; b++)
        v->byte_tok[b] = -1;
    if (v->kind == SM_VOCAB_GPT2) {
        for (int b = 0; b < 256; b++) {
            unsigned char u[4];
            size_t len = sm_utf8_encode(sm_tok_byte_to_cp((uint8_t)b), u);
            v->byte_tok[b] = sm_vocab_find(v, (const char *)u, len);
        }
        return SM_OK;
    }
    for (int32_t id = 0; id < v->n_tokens; id++) {
        const char *s = v->text + v->off[id];
        size_t len = v->off[id + 1] - v->off[id];
        if (d->types != NULL && v->types[id] != SM_TOKEN_BYTE)
            continue;
        int byte = sm_tok_parse_byte_token(s, len);
        if (byte < 0 && d->types != NULL) {
            char p[200];
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "tokenizer.ggml.tokens[%d] = '%s' has type BYTE but is not a "
                                 "byte token '<0xNN>' (two hex digits)",
                                 (int)id, printable(s, len, p, sizeof p));
        }
        if (byte >= 0 && v->byte_tok[byte] < 0)
            v->byte_tok[byte] = id;
    }
    return SM_OK;
}

/* Whether some token holds U+2581 right after a character that is not U+2581 ("a\u2581b"):
 * only such a token could join the end of one word to the next. */
static int has_inner_word_start(const sm_vocab *v)
{
    static const char ws[3] = {'\xE2', '\x96', '\x81'};
    for (int32_t id = 0; id < v->n_tokens; id++) {
        const char *s = v->text + v->off[id];
        size_t n = v->off[id + 1] - v->off[id];
        for (size_t i = 1; i + 3 <= n; i++)
            if (memcmp(s + i, ws, 3) == 0 && (i < 3 || memcmp(s + i - 3, ws, 3) != 0))
                return 1;
    }
    return 0;
}

static sm_status build_merges(sm_vocab *v, const sm_vocab_desc *d, char *err, size_t err_len)
{
    if (d->n_merges == 0)
        return SM_OK;
    size_t slots = table_size(d->n_merges);
    v->pair = slots > 0 ? malloc(slots * sizeof v->pair[0]) : NULL;
    if (v->pair == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "merge table for %zu merges", d->n_merges);
    v->pair_mask = slots - 1;
    for (size_t i = 0; i < slots; i++)
        v->pair[i].key = SM_TOK_NO_KEY;
    char *joined = NULL;
    size_t joined_cap = 0;
    sm_status st = SM_OK;
    for (size_t m = 0; m < d->n_merges && st == SM_OK; m++) {
        const char *s = d->merges[m].p;
        size_t n = (size_t)d->merges[m].n;
        char p[200];
        /* the left part is at least one byte, so a merge whose left token is " " still splits
         * after it (llama.cpp splits the same way) */
        const char *sp = n > 1 ? memchr(s + 1, ' ', n - 1) : NULL;
        if (sp == NULL || sp == s + n - 1) {
            st = sm_errbuf_set(err, err_len, SM_E_FORMAT,
                               "tokenizer.ggml.merges[%zu] = '%s' is not two tokens joined by a "
                               "space",
                               m, printable(s, n, p, sizeof p));
            break;
        }
        size_t nl = (size_t)(sp - s), nr = n - nl - 1;
        int32_t left = sm_vocab_find(v, s, nl);
        int32_t right = sm_vocab_find(v, sp + 1, nr);
        if (nl + nr > joined_cap) {
            free(joined);
            joined_cap = 2 * (nl + nr);
            joined = malloc(joined_cap);
            if (joined == NULL) {
                st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "merge of %zu bytes", nl + nr);
                break;
            }
        }
        memcpy(joined, s, nl);
        memcpy(joined + nl, sp + 1, nr);
        int32_t result = sm_vocab_find(v, joined, nl + nr);
        if (left < 0 || right < 0 || result < 0) {
            char q[200];
            const char *what = left < 0 ? "its left part" : right < 0 ? "its right part" : "";
            st = sm_errbuf_set(err, err_len, SM_E_FORMAT,
                               "tokenizer.ggml.merges[%zu] = '%s': %s%s'%s' is not a token", m,
                               printable(s, n, p, sizeof p), what, what[0] ? " " : "",
                               left < 0    ? printable(s, nl, q, sizeof q)
                               : right < 0 ? printable(sp + 1, nr, q, sizeof q)
                                           : printable(joined, nl + nr, q, sizeof q));
            break;
        }
        uint64_t key = (uint64_t)(uint32_t)left << 32 | (uint32_t)right;
        for (size_t at = (size_t)hash_pair(key) & v->pair_mask;; at = (at + 1) & v->pair_mask) {
            if (v->pair[at].key == key)
                break; /* a repeated pair keeps its first rank */
            if (v->pair[at].key == SM_TOK_NO_KEY) {
                v->pair[at] = (sm_tok_merge){.key = key, .rank = (int32_t)m, .result = result};
                break;
            }
        }
    }
    free(joined);
    return st;
}

sm_status sm_vocab_build(const sm_vocab_desc *d, sm_vocab **out, char *err, size_t err_len)
{
    if (d == NULL || out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_vocab_build: NULL argument");
    sm_status st = check_desc(d, err, err_len);
    if (st != SM_OK)
        return st;
    sm_vocab *v = calloc(1, sizeof *v);
    if (v == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "vocabulary");
    v->kind = d->kind;
    v->n_tokens = (int32_t)d->n_tokens;
    v->bos = (int32_t)d->bos;
    v->eos = (int32_t)d->eos;
    v->unk = (int32_t)d->unk;
    v->pad = (int32_t)d->pad;
    v->add_bos = d->add_bos != 0;
    v->add_space_prefix = d->add_space_prefix != 0;
    st = copy_tokens(v, d, err, err_len);
    if (st == SM_OK)
        st = find_byte_tokens(v, d, err, err_len);
    if (st == SM_OK && d->kind == SM_VOCAB_GPT2)
        st = build_merges(v, d, err, err_len);
    if (st == SM_OK && d->kind == SM_VOCAB_LLAMA)
        v->spm_words_independent = !has_inner_word_start(v);
    if (st != SM_OK) {
        sm_vocab_free(v);
        return st;
    }
    *out = v;
    return SM_OK;
}

sm_vocab_kind sm_vocab_get_kind(const sm_vocab *v)
{
    return v->kind;
}

int32_t sm_vocab_n_tokens(const sm_vocab *v)
{
    return v->n_tokens;
}

int32_t sm_vocab_bos(const sm_vocab *v)
{
    return v->bos;
}

int32_t sm_vocab_eos(const sm_vocab *v)
{
    return v->eos;
}

int32_t sm_vocab_unk(const sm_vocab *v)
{
    return v->unk;
}

int32_t sm_vocab_pad(const sm_vocab *v)
{
    return v->pad;
}

int sm_vocab_wants_bos(const sm_vocab *v)
{
    return v->add_bos;
}

sm_token_type sm_vocab_token_type(const sm_vocab *v, int32_t id)
{
    if (id < 0 || id >= v->n_tokens)
        return SM_TOKEN_UNDEFINED;
    return (sm_token_type)v->types[id];
}

float sm_vocab_token_score(const sm_vocab *v, int32_t id)
{
    return id >= 0 && id < v->n_tokens ? v->scores[id] : 0.0f;
}

sm_gguf_str sm_vocab_token_text(const sm_vocab *v, int32_t id)
{
    if (id < 0 || id >= v->n_tokens)
        return (sm_gguf_str){NULL, 0};
    return (sm_gguf_str){v->text + v->off[id], v->off[id + 1] - v->off[id]};
}

/* ---- scratch shared by both tokenizers --------------------------------------------------- */

sm_status sm_tok_work_reserve(sm_tok_work *w, size_t n)
{
    w->n_sym = 0;
    w->n_heap = 0;
    if (n <= w->cap_sym)
        return SM_OK;
    size_t cap = n < 64 ? 64 : n;
    if (cap > SIZE_MAX / sizeof w->sym[0])
        return SM_E_NOMEM;
    sm_tok_sym *sym = realloc(w->sym, cap * sizeof w->sym[0]);
    if (sym == NULL)
        return SM_E_NOMEM;
    w->sym = sym;
    w->cap_sym = cap;
    return SM_OK;
}

void sm_tok_work_release(sm_tok_work *w)
{
    free(w->sym);
    free(w->heap);
    *w = (sm_tok_work){0};
}

static int pair_before(const sm_tok_pair *a, const sm_tok_pair *b)
{
    return a->prio > b->prio || (a->prio == b->prio && a->left < b->left);
}

sm_status sm_tok_heap_push(sm_tok_work *w, const sm_tok_pair *p)
{
    if (w->n_heap == w->cap_heap) {
        size_t cap = w->cap_heap < 64 ? 64 : w->cap_heap * 2;
        if (cap > SIZE_MAX / sizeof w->heap[0])
            return SM_E_NOMEM;
        sm_tok_pair *heap = realloc(w->heap, cap * sizeof w->heap[0]);
        if (heap == NULL)
            return SM_E_NOMEM;
        w->heap = heap;
        w->cap_heap = cap;
    }
    size_t i = w->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(p, &w->heap[parent]))
            break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = *p;
    return SM_OK;
}

int sm_tok_heap_pop(sm_tok_work *w, sm_tok_pair *p)
{
    if (w->n_heap == 0)
        return 0;
    *p = w->heap[0];
    sm_tok_pair last = w->heap[--w->n_heap];
    size_t i = 0, n = w->n_heap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && pair_before(&w->heap[c + 1], &w->heap[c]))
            c++;
        if (!pair_before(&w->heap[c], &last))
            break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n > 0)
        w->heap[i] = last;
    return 1;
}

sm_status sm_tok_emit_bytes(const sm_vocab *v, const unsigned char *p, size_t n, sm_tok_out *o)
{
    for (size_t i = 0; i < n; i++) {
        int32_t id = v->byte_tok[p[i]];
        if (id < 0)
            id = v->unk;
        if (id < 0)
            return SM_E_UNSUPPORTED;
        sm_tok_emit(o, id);
    }
    return SM_OK;
}

/* ---- entry points ------------------------------------------------------------------------ */

sm_status sm_vocab_tokenize(const sm_vocab *v, const char *text, size_t text_len, int add_bos,
                            int32_t *out, size_t out_cap, size_t *n_out)
{
    if (v == NULL || n_out == NULL || (text == NULL && text_len > 0) ||
        (out == NULL && out_cap > 0))
        return SM_E_INVAL;
    /* Both tokenizers keep a symbol per input byte at worst, and spm an escaped copy of up to 3
     * bytes per input byte: refuse, before reading, a length whose scratch cannot exist. */
    if (text_len > SIZE_MAX / 4 / sizeof(sm_tok_sym))
        return SM_E_NOMEM;
    sm_tok_out o = {out, out_cap, 0};
    if (add_bos && v->bos >= 0)
        sm_tok_emit(&o, v->bos);
    sm_status st = SM_OK;
    if (text_len > 0) {
        const unsigned char *t = (const unsigned char *)text;
        st = v->kind == SM_VOCAB_GPT2 ? sm_tok_gpt2(v, t, text_len, &o)
                                      : sm_tok_spm(v, t, text_len, &o);
    }
    if (st != SM_OK)
        return st;
    *n_out = o.n;
    return o.n > out_cap ? SM_E_RANGE : SM_OK;
}

/* Appends n bytes to the piece: stored while they fit, always counted. */
static void put(char *buf, size_t cap, size_t *len, const void *p, size_t n)
{
    if (*len < cap)
        memcpy(buf + *len, p, n <= cap - *len ? n : cap - *len);
    *len += n;
}

sm_status sm_vocab_token_to_piece(const sm_vocab *v, int32_t id, char *buf, size_t cap,
                                  size_t *n_out)
{
    if (v == NULL || n_out == NULL || (buf == NULL && cap > 0))
        return SM_E_INVAL;
    if (id < 0 || id >= v->n_tokens) {
        *n_out = 0;
        return SM_E_RANGE;
    }
    const unsigned char *s = (const unsigned char *)v->text + v->off[id];
    size_t n = v->off[id + 1] - v->off[id], len = 0;
    uint8_t type = v->types[id];
    if (type == SM_TOKEN_CONTROL) {
        /* nothing: control tokens are markers, not text */
    } else if (v->kind == SM_VOCAB_LLAMA) {
        int byte = type == SM_TOKEN_BYTE || type == SM_TOKEN_UNDEFINED
                       ? sm_tok_parse_byte_token((const char *)s, n)
                       : -1;
        if (byte >= 0) {
            unsigned char c = (unsigned char)byte;
            put(buf, cap, &len, &c, 1);
        } else {
            for (size_t i = 0; i < n;) {
                if (n - i >= 3 && s[i] == 0xE2 && s[i + 1] == 0x96 && s[i + 2] == 0x81) {
                    put(buf, cap, &len, " ", 1);
                    i += 3;
                } else {
                    put(buf, cap, &len, s + i, 1);
                    i++;
                }
            }
        }
    } else {
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            size_t cl = sm_utf8_decode(s + i, n - i, &cp);
            int byte = sm_tok_cp_to_byte(cp);
            if (byte >= 0) {
                unsigned char c = (unsigned char)byte;
                put(buf, cap, &len, &c, 1);
            } else {
                put(buf, cap, &len, s + i, cl);
            }
            i += cl;
        }
    }
    *n_out = len;
    return len > cap ? SM_E_RANGE : SM_OK;
}
