/* SPDX-License-Identifier: MIT */
/* tok_bpe.c: the GPT-2 tokenizer: the pre-tokenizer regex, by hand, then byte-level BPE on each
 * piece, merging the lowest-ranked adjacent pair first. */
#include "config.h"

#include "tok_internal.h"
#include "unicode.h"

/* The class of the character at s[0..n) and its length. */
static sm_uclass class_at(const unsigned char *s, size_t n, size_t *len)
{
    uint32_t cp;
    *len = sm_utf8_decode(s, n, &cp);
    return sm_unicode_class(cp);
}

/* The length of the run of characters of class @p cls at the start of s (>= 1 when the first
 * character has that class); *n_chars counts them and *last is where the last one starts. */
static size_t run_of(const unsigned char *s, size_t n, sm_uclass cls, size_t *n_chars, size_t *last)
{
    size_t i = 0, count = 0;
    *last = 0;
    while (i < n) {
        size_t len;
        if (class_at(s + i, n - i, &len) != cls)
            break;
        *last = i;
        i += len;
        count++;
    }
    *n_chars = count;
    return i;
}

/* The length of the first piece of s[0..n), n >= 1, as GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * finds it: the first alternative that matches at the start wins. Bytes that are not UTF-8
 * count as [^\s\p{L}\p{N}], so every byte lands in some piece. */
size_t sm_tok_gpt2_piece(const unsigned char *s, size_t n)
{
    if (s[0] == '\'' && n >= 2) {
        unsigned char c = s[1];
        if (c == 's' || c == 't' || c == 'm' || c == 'd')
            return 2;
        if (n >= 3 &&
            ((c == 'r' && s[2] == 'e') || (c == 'v' && s[2] == 'e') || (c == 'l' && s[2] == 'l')))
            return 3;
    }
    size_t len, n_chars, last;
    sm_uclass cls = class_at(s, n, &len);
    /* " ?X+": an ASCII space takes the run after it when that run is not whitespace */
    if (s[0] == ' ' && n > 1) {
        size_t len1;
        sm_uclass next = class_at(s + 1, n - 1, &len1);
        if (next != SM_UCLASS_SPACE)
            return 1 + run_of(s + 1, n - 1, next, &n_chars, &last);
    }
    if (cls != SM_UCLASS_SPACE)
        return run_of(s, n, cls, &n_chars, &last);
    /* \s+(?!\S) backs off one character so the last space can lead the next word; when the
     * run is a single character before a non-space, \s+ takes it alone. */
    size_t end = run_of(s, n, SM_UCLASS_SPACE, &n_chars, &last);
    if (end == n || n_chars < 2)
        return end;
    return last;
}

/* Byte-level BPE on one piece: a symbol per byte, then the best merge until none applies. */
static sm_status bpe_piece(const sm_vocab *v, const unsigned char *s, size_t n, sm_tok_work *w,
                           sm_tok_out *o)
{
    if (n == 1)
        return sm_tok_emit_bytes(v, s, 1, o);
    sm_status st = sm_tok_work_reserve(w, n);
    if (st != SM_OK)
        return st;
    sm_tok_sym *sym = w->sym;
    for (size_t i = 0; i < n; i++)
        sym[i] = (sm_tok_sym){.start = i,
                              .n = 1,
                              .prev = i == 0 ? SM_TOK_NONE : i - 1,
                              .next = i + 1 == n ? SM_TOK_NONE : i + 1,
                              .id = v->byte_tok[s[i]]};
    w->n_sym = n;
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t rank, result;
        if (sm_tok_merge_find(v, sym[i].id, sym[i + 1].id, &rank, &result)) {
            sm_tok_pair p = {-(double)rank, i, i + 1,
                             (uint64_t)(uint32_t)sym[i].id << 32 | (uint32_t)sym[i + 1].id, result};
            if ((st = sm_tok_heap_push(w, &p)) != SM_OK)
                return st;
        }
    }
    sm_tok_pair p;
    while (sm_tok_heap_pop(w, &p)) {
        sm_tok_sym *l = &sym[p.left], *r = &sym[p.right];
        if (l->n == 0 || r->n == 0 || l->next != p.right ||
            p.check != ((uint64_t)(uint32_t)l->id << 32 | (uint32_t)r->id))
            continue;
        l->id = p.result;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next != SM_TOK_NONE)
            sym[r->next].prev = p.left;
        size_t around[2][2] = {{l->prev, p.left}, {p.left, l->next}};
        for (int k = 0; k < 2; k++) {
            size_t a = around[k][0], b = around[k][1];
            int32_t rank, result;
            if (a == SM_TOK_NONE || b == SM_TOK_NONE ||
                !sm_tok_merge_find(v, sym[a].id, sym[b].id, &rank, &result))
                continue;
            sm_tok_pair q = {-(double)rank, a, b,
                             (uint64_t)(uint32_t)sym[a].id << 32 | (uint32_t)sym[b].id, result};
            if ((st = sm_tok_heap_push(w, &q)) != SM_OK)
                return st;
        }
    }
    for (size_t i = 0; i != SM_TOK_NONE; i = sym[i].next) {
        if (sym[i].id >= 0)
            sm_tok_emit(o, sym[i].id);
        else if ((st = sm_tok_emit_bytes(v, s + sym[i].start, sym[i].n, o)) != SM_OK)
            return st;
    }
    return SM_OK;
}

sm_status sm_tok_gpt2(const sm_vocab *v, const unsigned char *text, size_t n, sm_tok_out *o)
{
    sm_tok_work w = {0};
    sm_status st = SM_OK;
    for (size_t at = 0; at < n && st == SM_OK;) {
        size_t len = sm_tok_gpt2_piece(text + at, n - at);
        st = bpe_piece(v, text + at, len, &w, o);
        at += len;
    }
    sm_tok_work_release(&w);
    return st;
}
