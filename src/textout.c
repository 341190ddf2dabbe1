/* SPDX-License-Identifier: MIT */
/* textout.c: holding back generated text that may still turn into a stop sequence or complete
 * a UTF-8 character (see textout.h). */
#include "config.h"

#include "src/textout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sm_status sm_textout_init(sm_textout *t, const char *const *stop, int n_stop, sm_piece_fn emit,
                          void *user_data, char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    if (n_stop < 0 || (n_stop > 0 && !stop)) {
        snprintf(err, err_len, "n_stop is %d with stop %s", n_stop, stop ? "set" : "NULL");
        return SM_E_INVAL;
    }
    size_t longest = 0;
    if (n_stop > 0 && !(t->stop_len = malloc((size_t)n_stop * sizeof *t->stop_len)))
        return SM_E_NOMEM;
    for (int i = 0; i < n_stop; i++) {
        if (!stop[i] || !stop[i][0]) {
            snprintf(err, err_len, "stop sequence %d is %s", i, stop[i] ? "empty" : "NULL");
            sm_textout_fini(t);
            return SM_E_INVAL;
        }
        t->stop_len[i] = strlen(stop[i]);
        if (t->stop_len[i] > longest)
            longest = t->stop_len[i];
    }
    t->stop = stop;
    t->n_stop = n_stop;
    t->emit = emit;
    t->user_data = user_data;
    /* What is held back between pushes is shorter than the longest stop sequence or than a
     * UTF-8 character; room for that and a few pieces means growth is rare. */
    t->cap = longest + 256;
    if (!(t->buf = malloc(t->cap))) {
        sm_textout_fini(t);
        return SM_E_NOMEM;
    }
    return SM_OK;
}

void sm_textout_fini(sm_textout *t)
{
    free(t->stop_len);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static void emit(sm_textout *t, size_t n)
{
    if (n == 0)
        return;
    if (!t->cancelled && t->emit) {
        t->n_emitted += n;
        if (t->emit(t->user_data, t->buf, n) != 0)
            t->cancelled = 1;
    }
    memmove(t->buf, t->buf + n, t->len - n);
    t->len -= n;
}

/* The length of the longest suffix of the text that is a proper prefix of a stop sequence:
 * the bytes that may yet become one. */
static size_t stop_hold(const sm_textout *t)
{
    size_t hold = 0;
    for (int i = 0; i < t->n_stop; i++) {
        size_t n = t->stop_len[i] - 1 < t->len ? t->stop_len[i] - 1 : t->len;
        for (; n > hold; n--)
            if (memcmp(t->buf + t->len - n, t->stop[i], n) == 0) {
                hold = n;
                break;
            }
    }
    return hold;
}

/* The bytes at the end of buf[0, end) that begin a UTF-8 character whose remaining bytes are
 * not before end. A lead byte followed by something other than continuation bytes is invalid
 * and is passed through at once: waiting cannot make it valid. */
static size_t utf8_hold(const char *buf, size_t end)
{
    for (size_t back = 1; back <= 3 && back <= end; back++) {
        unsigned char c = (unsigned char)buf[end - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back for its lead */
        size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

/* The earliest complete stop sequence in the text, or SIZE_MAX. */
static size_t find_stop(const sm_textout *t)
{
    size_t best = SIZE_MAX;
    for (int i = 0; i < t->n_stop; i++) {
        size_t n = t->stop_len[i];
        for (size_t at = 0; at + n <= t->len && at < best; at++)
            if (memcmp(t->buf + at, t->stop[i], n) == 0) {
                best = at;
                break;
            }
    }
    return best;
}

int sm_textout_push(sm_textout *t, const char *piece, size_t len)
{
    if (len > t->cap - t->len) {
        size_t cap = t->len + len + 256;
        char *p = realloc(t->buf, cap);
        if (!p)
            return SM_E_NOMEM;
        t->buf = p;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, piece, len);
    t->len += len;
    size_t at = find_stop(t);
    if (at != SIZE_MAX) {
        emit(t, at);
        t->len = 0;
        return 1;
    }
    /* Cutting before a possible stop sequence may split a character whose last bytes are in
     * the held part: the character then waits with them. */
    size_t cut = t->len - stop_hold(t);
    emit(t, cut - utf8_hold(t->buf, cut));
    return 0;
}

void sm_textout_flush(sm_textout *t)
{
    emit(t, t->len);
}
