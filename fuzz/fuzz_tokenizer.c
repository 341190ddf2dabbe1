/* SPDX-License-Identifier: MIT */
/* fuzz_tokenizer.c: libFuzzer harness for sm_tokenize and sm_token_to_piece over GPT-2 and
 * LLaMA vocabularies (fuzz_models.h's slots): any bytes encoded, any ids decoded.
 *
 * Input: byte 0 picks the model (mod SM_FUZZ_TOK_SLOTS), byte 1 the mode (bit 0: decode, else
 * encode; bit 1: add BOS), the rest is the text or, to decode, little-endian int32 ids. Beyond
 * the sanitizers it checks what the API promises: the size query and the filled call agree,
 * ids lie in the vocabulary, a short buffer is never written past (its memory ends where the
 * library was told), and a text comes back from its tokens (GPT-2 exactly; LLaMA after the
 * dummy-prefix space, with U+2581 read as a space). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_models.h"
#include "smallmind.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The models, loaded once: libFuzzer calls the harness millions of times in one process, and
 * building vocabularies per call would be most of the work. Set in LLVMFuzzerInitialize and
 * only read afterwards. */
static sm_model *g_models[SM_FUZZ_TOK_SLOTS];

/* What a harness finds is reported as a crash: libFuzzer saves the input. */
static void fail(const char *fmt, const char *a, long b, long c)
{
    fprintf(stderr, "fuzz_tokenizer: ");
    fprintf(stderr, fmt, a, b, c);
    fputc('\n', stderr);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[1024] = "";
    if (sm_fuzz_tok_models(g_models, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_tokenizer: cannot build the models: %s\n", err);
        exit(1);
    }
    return 0;
}

/* The piece of @p id, checked three ways: the size query, an exactly sized buffer (ASan
 * guards its end) and, when not empty, one byte short (SM_E_RANGE, the same length). Appends
 * the piece to @p out (capacity already ensured by the caller when out is not NULL). */
static size_t piece(const sm_model *m, int32_t id, char *out)
{
    size_t n = 0, n2 = 0;
    sm_status st = sm_token_to_piece(m, id, NULL, 0, &n);
    int in_vocab = id >= 0 && id < sm_model_n_vocab(m);
    if (st != SM_OK && st != SM_E_RANGE)
        fail("%s: token %ld: status %ld", "sm_token_to_piece", id, st);
    if (!in_vocab)
        return 0;
    if (n > 1024)
        fail("%s: token %ld: a %ld-byte piece", "sm_token_to_piece", id, (long)n);
    char *buf = malloc(n ? n : 1);
    if (buf == NULL)
        abort();
    st = sm_token_to_piece(m, id, buf, n, &n2);
    if (st != SM_OK || n2 != n)
        fail("%s: token %ld: status %ld with the size it asked for", "sm_token_to_piece", id, st);
    if (n > 0) {
        char *shorter = malloc(n - 1 ? n - 1 : 1);
        if (shorter == NULL)
            abort();
        st = sm_token_to_piece(m, id, shorter, n - 1, &n2);
        if (st != SM_E_RANGE || n2 != n)
            fail("%s: token %ld: status %ld one byte short", "sm_token_to_piece", id, st);
        if (n > 1 && memcmp(shorter, buf, n - 1) != 0)
            fail("%s: token %ld: a cut piece differs (%ld)", "sm_token_to_piece", id, 0);
        free(shorter);
    }
    if (out != NULL)
        memcpy(out, buf, n);
    free(buf);
    return n;
}

static void decode(const sm_model *m, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t u = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                     (uint32_t)p[i + 3] << 24;
        piece(m, (int32_t)u, NULL);
    }
}

/* The text the tokens of @p text should decode to: GPT-2 gives the bytes back; LLaMA puts the
 * dummy-prefix space first (non-empty text) and writes U+2581 as a space. */
static char *expected_text(const sm_model *m, const char *text, size_t n, size_t *len)
{
    char kind[16] = "", prefix[16] = "";
    sm_model_meta_str(m, "tokenizer.ggml.model", kind, sizeof kind);
    int llama = strcmp(kind, "llama") == 0;
    int space =
        llama && n > 0 &&
        (sm_model_meta_str(m, "tokenizer.ggml.add_space_prefix", prefix, sizeof prefix) < 0 ||
         strcmp(prefix, "true") == 0);
    char *e = malloc(n + 1);
    if (e == NULL)
        abort();
    size_t k = 0;
    if (space)
        e[k++] = ' ';
    for (size_t i = 0; i < n; i++) {
        if (llama && i + 3 <= n && memcmp(text + i, "\xE2\x96\x81", 3) == 0) {
            e[k++] = ' ';
            i += 2;
        } else {
            e[k++] = text[i];
        }
    }
    *len = k;
    return e;
}

static void encode(const sm_model *m, const char *text, size_t n, int add_bos)
{
    size_t n_ids = 0, n2 = 0;
    sm_status st = sm_tokenize(m, text, n, add_bos, NULL, 0, &n_ids);
    if (st != SM_OK && st != SM_E_RANGE)
        fail("%s: size query: status %ld (%ld bytes)", "sm_tokenize", st, (long)n);
    /* one id per byte at most, plus BOS and (LLaMA) the dummy-prefix space */
    if (n_ids > n + 2)
        fail("%s: %ld ids for %ld bytes", "sm_tokenize", (long)n_ids, (long)n);
    int32_t *ids = malloc((n_ids ? n_ids : 1) * sizeof *ids);
    if (ids == NULL)
        abort();
    st = sm_tokenize(m, text, n, add_bos, ids, n_ids, &n2);
    if (st != SM_OK || n2 != n_ids)
        fail("%s: status %ld, %ld ids, with the room it asked for", "sm_tokenize", st, (long)n2);
    if (n_ids > 1) {
        size_t half = n_ids / 2;
        int32_t *cut = malloc(half * sizeof *cut);
        if (cut == NULL)
            abort();
        st = sm_tokenize(m, text, n, add_bos, cut, half, &n2);
        if (st != SM_E_RANGE || n2 != n_ids || memcmp(cut, ids, half * sizeof *cut) != 0)
            fail("%s: status %ld, %ld ids, with half the room", "sm_tokenize", st, (long)n2);
        free(cut);
    }
    size_t total = 0;
    for (size_t i = 0; i < n_ids; i++) {
        if (ids[i] < 0 || ids[i] >= sm_model_n_vocab(m))
            fail("%s: id %ld at %ld is outside the vocabulary", "sm_tokenize", ids[i], (long)i);
        total += piece(m, ids[i], NULL);
    }
    char *back = malloc(total ? total : 1);
    if (back == NULL)
        abort();
    size_t at = 0;
    for (size_t i = 0; i < n_ids; i++)
        at += piece(m, ids[i], back + at);
    size_t want_len = 0;
    char *want = expected_text(m, text, n, &want_len);
    if (at != want_len || memcmp(back, want, at) != 0)
        fail("%s: the text does not come back (%ld bytes, want %ld)", "round trip", (long)at,
             (long)want_len);
    free(want);
    free(back);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const sm_model *m = g_models[data[0] % SM_FUZZ_TOK_SLOTS];
    int mode = data[1];
    if (mode & 1)
        decode(m, data + 2, size - 2);
    else
        encode(m, (const char *)data + 2, size - 2, (mode & 2) != 0);
    return 0;
}
