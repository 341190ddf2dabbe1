/* SPDX-License-Identifier: MIT */
/* test_tokenizer.c: the vocabularies and tokenizers (src/tokenizer.h): the reference ids of
 * ../shared/fixtures/tokenizer/reference.jsonl, round trips, hand-traced merges on tiny
 * vocabularies, the GPT-2 pre-tokenizer's pieces, and the malformed vocabularies of
 * GGUF-HARDENING.md rows 14-20, each written with src/cli/gguf_writer.c. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/gguf_writer.h"
#include "gguf.h"
#include "mapfile.h"
#include "sm_test.h"
#include "tok_internal.h"
#include "tokenizer.h"
#include "unicode.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* A vocabulary loaded from GGUF bytes; the bytes and the parse are freed (the vocabulary must
 * not depend on them). */
static sm_status load_bytes(uint8_t *b, size_t n, sm_vocab **v, char *err, size_t err_len)
{
    sm_gguf *g = NULL;
    sm_status st = sm_gguf_parse(b, n, &g, err, err_len);
    ck_assert_msg(st == SM_OK, "the GGUF itself must parse: %s: %s", sm_status_name(st), err);
    *v = NULL;
    st = sm_vocab_load(g, v, err, err_len);
    sm_gguf_free(g);
    memset(b, 0xA5, n); /* a vocabulary that kept pointers into the file would now see garbage */
    free(b);
    return st;
}

static sm_vocab *load_writer_ok(sm_gw *w)
{
    uint8_t *b = NULL;
    size_t n = 0;
    ck_assert_int_eq(sm_gw_bytes(w, &b, &n), 0);
    sm_gw_free(w);
    sm_vocab *v = NULL;
    char err[512] = "";
    sm_status st = load_bytes(b, n, &v, err, sizeof err);
    ck_assert_msg(st == SM_OK, "vocab load: %s: %s", sm_status_name(st), err);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Loads and expects @p want with a message holding every non-NULL needle. */
static void expect_load_fail(sm_gw *w, sm_status want, const char *what, const char *needle1,
                             const char *needle2)
{
    uint8_t *b = NULL;
    size_t n = 0;
    ck_assert_int_eq(sm_gw_bytes(w, &b, &n), 0);
    sm_gw_free(w);
    sm_vocab *v = NULL;
    char err[512] = "";
    sm_status st = load_bytes(b, n, &v, err, sizeof err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", what, sm_status_name(st), err,
                  sm_status_name(want));
    ck_assert_msg(v == NULL, "%s: vocabulary returned on failure", what);
    ck_assert_msg(needle1 == NULL || strstr(err, needle1) != NULL, "%s: '%s' not in \"%s\"", what,
                  needle1, err);
    ck_assert_msg(needle2 == NULL || strstr(err, needle2) != NULL, "%s: '%s' not in \"%s\"", what,
                  needle2, err);
}

/* GPT-2's bytes_to_unicode as its encoder.py states it: the printable bytes keep their code
 * point, the rest take 256, 257, ... in byte order. Written as a list walk, independently of
 * the library's arithmetic. */
static void byte_chars(char out[256][4])
{
    uint32_t cp[256];
    int printable[256] = {0};
    for (int b = '!'; b <= '~'; b++)
        printable[b] = 1;
    for (int b = 0xA1; b <= 0xAC; b++)
        printable[b] = 1;
    for (int b = 0xAE; b <= 0xFF; b++)
        printable[b] = 1;
    uint32_t next = 256;
    for (int b = 0; b < 256; b++)
        cp[b] = printable[b] ? (uint32_t)b : next++;
    for (int b = 0; b < 256; b++) {
        memset(out[b], 0, 4);
        if (cp[b] < 0x80) {
            out[b][0] = (char)cp[b];
        } else {
            out[b][0] = (char)(0xC0 | (cp[b] >> 6));
            out[b][1] = (char)(0x80 | (cp[b] & 0x3F));
        }
    }
}

/* A tiny gpt2 vocabulary: ids 0..255 are the bytes' characters in byte order, then @p extra,
 * then "<|endoftext|>" (control); @p merges in rank order. */
enum { GPT2_EXTRA_MAX = 16 };

static sm_gw *gpt2_writer(const char *const *extra, size_t n_extra, const char *const *merges,
                          size_t n_merges)
{
    static char chars[256][4];
    byte_chars(chars);
    const char *tokens[256 + GPT2_EXTRA_MAX + 1];
    int32_t types[256 + GPT2_EXTRA_MAX + 1];
    ck_assert_uint_le(n_extra, GPT2_EXTRA_MAX);
    for (int b = 0; b < 256; b++) {
        tokens[b] = chars[b];
        types[b] = SM_TOKEN_NORMAL;
    }
    for (size_t i = 0; i < n_extra; i++) {
        tokens[256 + i] = extra[i];
        types[256 + i] = SM_TOKEN_NORMAL;
    }
    size_t n = 256 + n_extra;
    tokens[n] = "<|endoftext|>";
    types[n] = SM_TOKEN_CONTROL;
    n++;
    sm_gw *w = sm_gw_create(3);
    ck_assert_ptr_nonnull(w);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, n);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, n);
    sm_gw_kv_arr_str(w, "tokenizer.ggml.merges", merges, n_merges);
    sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)(n - 1));
    return w;
}

/* The hand-traced gpt2 vocabulary (ids from 256 on). */
static const char *const g_extra[] = {"Ġt", "he", "the", "Ġthe", "aĠ", "aa", "aaaa", "ĠĠ", "ĊĊ"};
enum { G_GT = 256, G_HE, G_THE, G_GTHE, G_AG, G_AA, G_AAAA, G_GG, G_NLNL, G_EOT };
static const char *const g_merges[] = {"Ġ t", "h e",   "t he", "Ġt he", "a Ġ",
                                       "a a", "aa aa", "Ġ Ġ",  "Ċ Ċ"};

static sm_vocab *gpt2_tiny(void)
{
    return load_writer_ok(gpt2_writer(g_extra, sizeof g_extra / sizeof g_extra[0], g_merges,
                                      sizeof g_merges / sizeof g_merges[0]));
}

/* A tiny llama vocabulary: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF> (ids 3..258),
 * then @p pieces with @p scores. */
enum { LLAMA_PIECES_MAX = 16, L_BYTE0 = 3, L_FIRST = 259 };

static sm_gw *llama_writer(const char *const *pieces, const float *scores, size_t n_pieces)
{
    static char bytes[256][8];
    const char *tokens[L_FIRST + LLAMA_PIECES_MAX];
    float sc[L_FIRST + LLAMA_PIECES_MAX];
    int32_t types[L_FIRST + LLAMA_PIECES_MAX];
    ck_assert_uint_le(n_pieces, LLAMA_PIECES_MAX);
    tokens[0] = "<unk>";
    tokens[1] = "<s>";
    tokens[2] = "</s>";
    types[0] = SM_TOKEN_UNKNOWN;
    types[1] = types[2] = SM_TOKEN_CONTROL;
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        tokens[L_BYTE0 + b] = bytes[b];
        types[L_BYTE0 + b] = SM_TOKEN_BYTE;
    }
    for (size_t i = 0; i < L_FIRST; i++)
        sc[i] = 0.0f;
    for (size_t i = 0; i < n_pieces; i++) {
        tokens[L_FIRST + i] = pieces[i];
        sc[L_FIRST + i] = scores[i];
        types[L_FIRST + i] = SM_TOKEN_NORMAL;
    }
    size_t n = L_FIRST + n_pieces;
    sm_gw *w = sm_gw_create(3);
    ck_assert_ptr_nonnull(w);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, n);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", sc, n);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, n);
    return w;
}

/* The hand-traced llama vocabulary. */
static const char *const l_pieces[] = {"▁", "a", "b", "c", "ab", "bc", "▁a", "aa"};
static const float l_scores[] = {-1.0f, -2.0f, -3.0f, -4.0f, -1.5f, -1.0f, -2.0f, -0.5f};
enum { L_SP = L_FIRST, L_A, L_B, L_C, L_AB, L_BC, L_SPA, L_AA };

static sm_vocab *llama_tiny(void)
{
    return load_writer_ok(llama_writer(l_pieces, l_scores, sizeof l_scores / sizeof l_scores[0]));
}

/* Tokenizes and checks against want[0..n_want). */
static void expect_ids(const sm_vocab *v, const char *text, size_t len, int add_bos,
                       const int32_t *want, size_t n_want)
{
    int32_t got[256];
    size_t n = 0;
    sm_status st = sm_vocab_tokenize(v, text, len, add_bos, got, 256, &n);
    ck_assert_msg(st == SM_OK, "tokenize '%.*s': %s", (int)len, text, sm_status_name(st));
    char g[1024] = "", w[1024] = "";
    for (size_t i = 0; i < n && strlen(g) < 1000; i++)
        snprintf(g + strlen(g), sizeof g - strlen(g), " %d", (int)got[i]);
    for (size_t i = 0; i < n_want && strlen(w) < 1000; i++)
        snprintf(w + strlen(w), sizeof w - strlen(w), " %d", (int)want[i]);
    ck_assert_msg(n == n_want && memcmp(got, want, n * sizeof got[0]) == 0,
                  "tokenize '%.*s': got [%s ], want [%s ]", (int)len, text, g, w);
}

#define EXPECT_IDS(v, text, add_bos, ...)                                                          \
    do {                                                                                           \
        const int32_t want_[] = {__VA_ARGS__};                                                     \
        expect_ids(v, text, strlen(text), add_bos, want_, sizeof want_ / sizeof want_[0]);         \
    } while (0)

/* The concatenated pieces of ids[0..n) in a malloc'd buffer (*len bytes). */
static char *detokenize(const sm_vocab *v, const int32_t *ids, size_t n, size_t *len)
{
    size_t cap = 16, used = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < n; i++) {
        size_t need = 0;
        sm_status st = sm_vocab_token_to_piece(v, ids[i], buf + used, cap - used, &need);
        if (st == SM_E_RANGE) {
            ck_assert_uint_gt(need, cap - used);
            cap = 2 * (used + need);
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
            st = sm_vocab_token_to_piece(v, ids[i], buf + used, cap - used, &need);
        }
        ck_assert_msg(st == SM_OK, "piece of %d: %s", (int)ids[i], sm_status_name(st));
        used += need;
    }
    *len = used;
    return buf;
}

/* tokenize -> detokenize gives @p want back (llama: after the dummy-prefix space). */
static void expect_detokenized(const sm_vocab *v, const char *text, size_t len, const char *want,
                               size_t want_len)
{
    size_t n = 0;
    sm_status st = sm_vocab_tokenize(v, text, len, 0, NULL, 0, &n);
    ck_assert(st == SM_OK || st == SM_E_RANGE);
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    size_t n2 = 0;
    ck_assert_int_eq(sm_vocab_tokenize(v, text, len, 0, ids, n, &n2), SM_OK);
    ck_assert_uint_eq(n2, n);
    size_t back_len = 0;
    char *back = detokenize(v, ids, n, &back_len);
    const char *b = back;
    if (sm_vocab_get_kind(v) == SM_VOCAB_LLAMA && len > 0) {
        ck_assert_msg(back_len > 0 && back[0] == ' ', "llama output lacks the dummy prefix");
        b++;
        back_len--;
    }
    ck_assert_msg(back_len == want_len && memcmp(b, want, want_len) == 0,
                  "round trip of %zu bytes gave %zu bytes, want %zu", len, back_len, want_len);
    free(back);
    free(ids);
}

static void expect_round_trip(const sm_vocab *v, const char *text, size_t len)
{
    expect_detokenized(v, text, len, text, len);
}

/* ---- Unicode ------------------------------------------------------------------------------ */

/* Every scalar value survives encode -> decode, every proper prefix of a sequence is an invalid
 * byte, and surrogates do not encode. */
START_TEST(test_tokenizer_utf8_all_code_points)
{
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        unsigned char b[4];
        size_t n = sm_utf8_encode(cp, b);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            ck_assert_uint_eq(n, 0);
            continue;
        }
        ck_assert_uint_eq(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        uint32_t d = 0;
        ck_assert_uint_eq(sm_utf8_decode(b, n, &d), n);
        ck_assert_uint_eq(d, cp);
        if (n > 1) {
            ck_assert_uint_eq(sm_utf8_decode(b, n - 1, &d), 1);
            ck_assert_uint_eq(d, SM_UTF8_INVALID);
        }
    }
    unsigned char b[4];
    ck_assert_uint_eq(sm_utf8_encode(0x110000, b), 0);
    /* overlong, surrogate, past U+10FFFF, lone continuation, bad continuation */
    static const char *const bad[] = {"\xc0\x80",     "\xc1\xbf",         "\xe0\x80\x80",
                                      "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                      "\x80",         "\xc3\x28"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t d = 0;
        ck_assert_uint_eq(sm_utf8_decode((const unsigned char *)bad[i], strlen(bad[i]), &d), 1);
        ck_assert_uint_eq(d, SM_UTF8_INVALID);
    }
}
END_TEST

/* Classes of hand-picked code points, looked up by hand in the Unicode character database
 * (UnicodeData.txt's general category), none changed since Unicode 6.3. */
START_TEST(test_tokenizer_unicode_classes)
{
    static const struct {
        uint32_t cp;
        sm_uclass cls;
    } cases[] = {
        /* letters: Lu, Ll, Lt, Lm, Lo from several scripts and planes */
        {'A', SM_UCLASS_LETTER},
        {'z', SM_UCLASS_LETTER},
        {0xAA, SM_UCLASS_LETTER},    /* FEMININE ORDINAL INDICATOR, Lo */
        {0xB5, SM_UCLASS_LETTER},    /* MICRO SIGN, Ll */
        {0xE9, SM_UCLASS_LETTER},    /* e with acute, Ll */
        {0x1C5, SM_UCLASS_LETTER},   /* D with small z with caron, Lt */
        {0x2B0, SM_UCLASS_LETTER},   /* MODIFIER LETTER SMALL H, Lm */
        {0x3B1, SM_UCLASS_LETTER},   /* GREEK SMALL LETTER ALPHA, Ll */
        {0x416, SM_UCLASS_LETTER},   /* CYRILLIC CAPITAL LETTER ZHE, Lu */
        {0x5D0, SM_UCLASS_LETTER},   /* HEBREW LETTER ALEF, Lo */
        {0x627, SM_UCLASS_LETTER},   /* ARABIC LETTER ALEF, Lo */
        {0x905, SM_UCLASS_LETTER},   /* DEVANAGARI LETTER A, Lo */
        {0xE01, SM_UCLASS_LETTER},   /* THAI CHARACTER KO KAI, Lo */
        {0x3005, SM_UCLASS_LETTER},  /* IDEOGRAPHIC ITERATION MARK, Lm */
        {0x3042, SM_UCLASS_LETTER},  /* HIRAGANA LETTER A, Lo */
        {0x4E2D, SM_UCLASS_LETTER},  /* CJK ideograph, Lo */
        {0xAC00, SM_UCLASS_LETTER},  /* HANGUL SYLLABLE GA, Lo */
        {0x1D400, SM_UCLASS_LETTER}, /* MATHEMATICAL BOLD CAPITAL A, Lu */
        {0x20000, SM_UCLASS_LETTER}, /* CJK Extension B, Lo */
        {0x2F800, SM_UCLASS_LETTER}, /* CJK compatibility ideograph, Lo */
        /* numbers: Nd, Nl, No */
        {'0', SM_UCLASS_NUMBER},
        {'9', SM_UCLASS_NUMBER},
        {0xB2, SM_UCLASS_NUMBER},    /* SUPERSCRIPT TWO, No */
        {0xBD, SM_UCLASS_NUMBER},    /* VULGAR FRACTION ONE HALF, No */
        {0x663, SM_UCLASS_NUMBER},   /* ARABIC-INDIC DIGIT THREE, Nd */
        {0x966, SM_UCLASS_NUMBER},   /* DEVANAGARI DIGIT ZERO, Nd */
        {0x16EE, SM_UCLASS_NUMBER},  /* RUNIC ARLAUG SYMBOL, Nl */
        {0x216B, SM_UCLASS_NUMBER},  /* ROMAN NUMERAL TWELVE, Nl */
        {0x2460, SM_UCLASS_NUMBER},  /* CIRCLED DIGIT ONE, No */
        {0x3007, SM_UCLASS_NUMBER},  /* IDEOGRAPHIC NUMBER ZERO, Nl */
        {0xFF10, SM_UCLASS_NUMBER},  /* FULLWIDTH DIGIT ZERO, Nd */
        {0x10140, SM_UCLASS_NUMBER}, /* GREEK ACROPHONIC ATTIC ONE QUARTER, Nl */
        {0x1D7CE, SM_UCLASS_NUMBER}, /* MATHEMATICAL BOLD DIGIT ZERO, Nd */
        /* neither: spaces that are not White_Space, other controls, marks, symbols, punctuation,
         * format, private use, unassigned and non-characters */
        {0x00, SM_UCLASS_OTHER},
        {0x08, SM_UCLASS_OTHER},
        {0x0E, SM_UCLASS_OTHER},
        {0x1C, SM_UCLASS_OTHER}, /* FILE SEPARATOR: Python's isspace() says yes, Unicode no */
        {0x1F, SM_UCLASS_OTHER},
        {'!', SM_UCLASS_OTHER},
        {'_', SM_UCLASS_OTHER},
        {0x7F, SM_UCLASS_OTHER},
        {0x84, SM_UCLASS_OTHER},
        {0x86, SM_UCLASS_OTHER},
        {0xAD, SM_UCLASS_OTHER},    /* SOFT HYPHEN, Cf */
        {0x301, SM_UCLASS_OTHER},   /* COMBINING ACUTE ACCENT, Mn */
        {0x345, SM_UCLASS_OTHER},   /* COMBINING GREEK YPOGEGRAMMENI, Mn */
        {0x903, SM_UCLASS_OTHER},   /* DEVANAGARI SIGN VISARGA, Mc */
        {0x180E, SM_UCLASS_OTHER},  /* MONGOLIAN VOWEL SEPARATOR: White_Space until 6.3, now Cf */
        {0x200B, SM_UCLASS_OTHER},  /* ZERO WIDTH SPACE, Cf */
        {0x2060, SM_UCLASS_OTHER},  /* WORD JOINER, Cf */
        {0x20AC, SM_UCLASS_OTHER},  /* EURO SIGN, Sc */
        {0x3001, SM_UCLASS_OTHER},  /* IDEOGRAPHIC COMMA, Po */
        {0xE000, SM_UCLASS_OTHER},  /* private use, Co */
        {0xFEFF, SM_UCLASS_OTHER},  /* ZERO WIDTH NO-BREAK SPACE, Cf */
        {0xFFFF, SM_UCLASS_OTHER},  /* non-character */
        {0x378, SM_UCLASS_OTHER},   /* unassigned, Cn */
        {0x1F999, SM_UCLASS_OTHER}, /* unicorn face, So */
        {0x10FFFF, SM_UCLASS_OTHER},
        /* not scalar values */
        {0xD800, SM_UCLASS_OTHER},
        {0xDFFF, SM_UCLASS_OTHER},
        {0x110000, SM_UCLASS_OTHER},
        {0x7FFFFFFF, SM_UCLASS_OTHER},
        {0x80000000, SM_UCLASS_OTHER},
        {SM_UTF8_INVALID, SM_UCLASS_OTHER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(sm_unicode_class(cases[i].cp) == cases[i].cls, "U+%04X: class %d, want %d",
                      (unsigned)cases[i].cp, (int)sm_unicode_class(cases[i].cp), (int)cases[i].cls);
}
END_TEST

/* White_Space is exactly PropList.txt's 25 code points (Unicode 6.3 and later): every one of
 * them is a space, and no other code point is. */
START_TEST(test_tokenizer_unicode_white_space)
{
    static const uint32_t ws[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,
                                  0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
                                  0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028,
                                  0x2029, 0x202F, 0x205F, 0x3000};
    size_t n_ws = sizeof ws / sizeof ws[0], next = 0;
    ck_assert_uint_eq(n_ws, 25);
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        int listed = next < n_ws && ws[next] == cp;
        sm_uclass c = sm_unicode_class(cp);
        ck_assert_msg((c == SM_UCLASS_SPACE) == listed, "U+%04X: class %d, White_Space %s",
                      (unsigned)cp, (int)c, listed ? "yes" : "no");
        next += (size_t)listed;
    }
    ck_assert_uint_eq(next, n_ws);
}
END_TEST

/* The reported Unicode version is the one the classes come from: characters new in Unicode 15
 * are letters or numbers exactly when it says 15 or later. */
START_TEST(test_tokenizer_unicode_version)
{
    const char *v = sm_unicode_version();
    ck_assert_ptr_nonnull(v);
    unsigned major = 0, minor = 0, update = 0;
    ck_assert_msg(sscanf(v, "%u.%u.%u", &major, &minor, &update) == 3, "version '%s'", v);
    ck_assert_msg(major >= 9, "Unicode %s: older than any utf8proc 2", v);
    int has15 = major >= 15;
    ck_assert_int_eq(sm_unicode_class(0x31350), has15 ? SM_UCLASS_LETTER : SM_UCLASS_OTHER);
    ck_assert_int_eq(sm_unicode_class(0x1DF25), has15 ? SM_UCLASS_LETTER : SM_UCLASS_OTHER);
    ck_assert_int_eq(sm_unicode_class(0x11F50), has15 ? SM_UCLASS_NUMBER : SM_UCLASS_OTHER);
    ck_assert_int_eq(sm_unicode_class(0x1D2C0), has15 ? SM_UCLASS_NUMBER : SM_UCLASS_OTHER);
}
END_TEST

/* ---- the reference fixture ---------------------------------------------------------------- */

/* The fixture folder, or NULL (the caller skips). */
static const char *fixtures(void)
{
    const char *d = getenv("SM_FIXTURES");
    return d != NULL && d[0] != '\0' ? d : NULL;
}

static sm_vocab *load_fixture_vocab(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/models/%s", fixtures(), name);
    sm_mapfile m;
    char err[512] = "";
    sm_status st = sm_mapfile_open(path, 1, 0, &m, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s", path, err);
    sm_gguf *g = NULL;
    st = sm_gguf_parse(m.data, m.size, &g, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s", path, err);
    sm_vocab *v = NULL;
    st = sm_vocab_load(g, &v, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s: %s", path, sm_status_name(st), err);
    sm_gguf_free(g);
    sm_mapfile_close(&m);
    return v;
}

/* One line of reference.jsonl: {"text": "...", "gpt2": [ids], "llama_bos": [ids]}. A reader
 * for that fixed shape: string values (with JSON escapes, \u surrogate pairs included) and
 * integer arrays; anything else fails the test. */
typedef struct ref_line {
    char text[4096];
    size_t text_len;
    int32_t ids[2][512];
    size_t n_ids[2];
} ref_line;

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return p;
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        ck_assert_msg(d >= 0, "bad \\u escape");
        v = v * 16 + (unsigned)d;
    }
    return v;
}

static const char *json_string(const char *p, char *out, size_t cap, size_t *len)
{
    ck_assert_int_eq(*p, '"');
    p++;
    size_t n = 0;
    while (*p != '"') {
        ck_assert_msg(*p != '\0', "unterminated string");
        ck_assert_uint_lt(n + 4, cap);
        if (*p != '\\') {
            out[n++] = *p++;
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case 'n':
            out[n++] = '\n';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case '"':
        case '\\':
        case '/':
            out[n++] = c;
            break;
        case 'u': {
            unsigned cp = hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = hex4(p + 2);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            unsigned char u[4];
            size_t k = sm_utf8_encode(cp, u);
            ck_assert_uint_gt(k, 0);
            memcpy(out + n, u, k);
            n += k;
            break;
        }
        default:
            ck_abort_msg("unknown escape \\%c", c);
        }
    }
    *len = n;
    return p + 1;
}

static void parse_ref_line(const char *line, ref_line *r)
{
    memset(r, 0, sizeof *r);
    int seen = 0;
    const char *p = skip_ws(line);
    ck_assert_int_eq(*p, '{');
    p = skip_ws(p + 1);
    while (*p != '}') {
        char key[64];
        size_t key_len;
        p = skip_ws(json_string(p, key, sizeof key, &key_len));
        key[key_len] = '\0';
        ck_assert_int_eq(*p, ':');
        p = skip_ws(p + 1);
        if (strcmp(key, "text") == 0) {
            p = json_string(p, r->text, sizeof r->text, &r->text_len);
            seen |= 1;
        } else {
            int which = strcmp(key, "gpt2") == 0 ? 0 : strcmp(key, "llama_bos") == 0 ? 1 : -1;
            ck_assert_msg(which >= 0, "unknown key '%s'", key);
            seen |= 2 << which;
            ck_assert_int_eq(*p, '[');
            p = skip_ws(p + 1);
            while (*p != ']') {
                char *end;
                long id = strtol(p, &end, 10);
                ck_assert_msg(end != p, "bad id at '%.20s'", p);
                ck_assert_uint_lt(r->n_ids[which], 512);
                r->ids[which][r->n_ids[which]++] = (int32_t)id;
                p = skip_ws(end);
                if (*p == ',')
                    p = skip_ws(p + 1);
            }
            p++;
        }
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
    }
    ck_assert_msg(seen == 7, "line lacks a key: %s", line);
}

static void cross_check(const sm_vocab *v, int n_texts, uint64_t seed);

START_TEST(test_tokenizer_reference_fixture)
{
    sm_vocab *gpt2 = load_fixture_vocab("vocab-gpt2.gguf");
    sm_vocab *llama = load_fixture_vocab("vocab-llama.gguf");
    ck_assert_int_eq(sm_vocab_get_kind(gpt2), SM_VOCAB_GPT2);
    ck_assert_int_eq(sm_vocab_n_tokens(gpt2), 50257);
    ck_assert_int_eq(sm_vocab_eos(gpt2), 50256);
    ck_assert_int_eq(sm_vocab_wants_bos(gpt2), 0);
    ck_assert_int_eq(sm_vocab_get_kind(llama), SM_VOCAB_LLAMA);
    ck_assert_int_eq(sm_vocab_n_tokens(llama), 32000);
    ck_assert_int_eq(sm_vocab_bos(llama), 1);
    ck_assert_int_eq(sm_vocab_eos(llama), 2);
    ck_assert_int_eq(sm_vocab_unk(llama), 0);
    ck_assert_int_eq(sm_vocab_wants_bos(llama), 1);

    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer/reference.jsonl", fixtures());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char line[16384];
    static ref_line r;
    int n_lines = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (skip_ws(line)[0] == '\0')
            continue;
        n_lines++;
        parse_ref_line(line, &r);
        expect_ids(gpt2, r.text, r.text_len, 0, r.ids[0], r.n_ids[0]);
        expect_ids(llama, r.text, r.text_len, 1, r.ids[1], r.n_ids[1]);
        expect_round_trip(gpt2, r.text, r.text_len);
        expect_round_trip(llama, r.text, r.text_len);
    }
    fclose(f);
    ck_assert_int_eq(n_lines, 40);
    cross_check(gpt2, 500, 0x853c49e6748fea9bu);
    cross_check(llama, 500, 0xda3e39cb94b95bdbu);
    sm_vocab_free(gpt2);
    sm_vocab_free(llama);
}
END_TEST

/* ---- cross-checks against the textbook algorithms, on random text ------------------------- */

/* A seeded xorshift64: the random texts are the same on every run. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random text of up to max_len bytes mixing ASCII words, digits, spaces, newlines, tabs,
 * punctuation, contractions, 2-, 3- and 4-byte characters and bytes that are not UTF-8. */
static size_t random_text(uint64_t *x, char *out, size_t max_len)
{
    static const char *const parts[] = {"the",
                                        "a",
                                        "b",
                                        "c",
                                        "ab",
                                        "Hello",
                                        "world",
                                        " ",
                                        " ",
                                        "  ",
                                        "\n",
                                        "\n\n",
                                        "\t",
                                        "'s",
                                        "'",
                                        "'ll",
                                        "42",
                                        "3.14",
                                        ",",
                                        ".",
                                        "!?",
                                        "$",
                                        "caf\xc3\xa9",
                                        "\xc3\x9f",
                                        "\xd0\x96\xd0\xb8",
                                        "\xe4\xb8\xad\xe6\x96\x87",
                                        "\xf0\x9f\xa6\x99",
                                        "\xff",
                                        "\x80",
                                        "\xe2\x96",
                                        "\xe2\x96\x81",
                                        "\xc2\xa0",
                                        "\xd9\xa3",
                                        "aaaa",
                                        "  x"};
    size_t n = 0, goal = (size_t)(next_rand(x) % (max_len + 1));
    while (n < goal) {
        const char *p = parts[next_rand(x) % (sizeof parts / sizeof parts[0])];
        size_t len = strlen(p);
        if (n + len > max_len)
            break;
        memcpy(out + n, p, len);
        n += len;
    }
    return n;
}

/* GPT-2's bpe() as encoder.py writes it, on one piece: find the lowest-ranked adjacent pair,
 * merge every occurrence of it left to right, repeat. */
static size_t naive_bpe_piece(const sm_vocab *v, const int32_t *byte_id, const unsigned char *s,
                              size_t n, int32_t *out)
{
    int32_t word[256];
    ck_assert_uint_le(n, 256);
    for (size_t i = 0; i < n; i++)
        word[i] = byte_id[s[i]];
    size_t len = n;
    for (;;) {
        int32_t best_rank = INT32_MAX, first = -1, second = -1, merged = -1;
        for (size_t i = 0; i + 1 < len; i++) {
            int32_t rank, result;
            if (sm_tok_merge_find(v, word[i], word[i + 1], &rank, &result) && rank < best_rank) {
                best_rank = rank;
                first = word[i];
                second = word[i + 1];
                merged = result;
            }
        }
        if (merged < 0)
            break;
        size_t o = 0;
        for (size_t i = 0; i < len;) {
            if (i + 1 < len && word[i] == first && word[i + 1] == second) {
                word[o++] = merged;
                i += 2;
            } else {
                word[o++] = word[i++];
            }
        }
        len = o;
    }
    memcpy(out, word, len * sizeof word[0]);
    return len;
}

static int matchable(const sm_vocab *v, int32_t id)
{
    sm_token_type t = sm_vocab_token_type(v, id);
    return id >= 0 && (t == SM_TOKEN_UNDEFINED || t == SM_TOKEN_NORMAL ||
                       t == SM_TOKEN_USER_DEFINED || t == SM_TOKEN_UNUSED);
}

/* SentencePiece BPE the slow way: escape, split into characters, then repeatedly merge the
 * adjacent pair whose joined text is the highest-scoring token (leftmost on ties). */
static size_t naive_spm(const sm_vocab *v, const int32_t *byte_id, const char *text, size_t n,
                        int32_t *out)
{
    char e[1024];
    size_t m = 0, start[1024], len[1024], k = 0;
    memcpy(e, "\xe2\x96\x81", 3);
    m = 3;
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_lt(m + 3, sizeof e);
        if (text[i] == ' ') {
            memcpy(e + m, "\xe2\x96\x81", 3);
            m += 3;
        } else {
            e[m++] = text[i];
        }
    }
    for (size_t i = 0; i < m; k++) {
        uint32_t cp;
        start[k] = i;
        len[k] = sm_utf8_decode((const unsigned char *)e + i, m - i, &cp);
        i += len[k];
    }
    for (;;) {
        size_t best = SIZE_MAX;
        float best_score = 0;
        for (size_t i = 0; i + 1 < k; i++) {
            int32_t id = sm_vocab_find(v, e + start[i], len[i] + len[i + 1]);
            if (matchable(v, id) &&
                (best == SIZE_MAX || sm_vocab_token_score(v, id) > best_score)) {
                best = i;
                best_score = sm_vocab_token_score(v, id);
            }
        }
        if (best == SIZE_MAX)
            break;
        len[best] += len[best + 1];
        memmove(start + best + 1, start + best + 2, (k - best - 2) * sizeof start[0]);
        memmove(len + best + 1, len + best + 2, (k - best - 2) * sizeof len[0]);
        k--;
    }
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        int32_t id = sm_vocab_find(v, e + start[i], len[i]);
        if (matchable(v, id)) {
            out[o++] = id;
            continue;
        }
        for (size_t j = 0; j < len[i]; j++) {
            int32_t b = byte_id[(unsigned char)e[start[i] + j]];
            out[o++] = b >= 0 ? b : sm_vocab_unk(v);
        }
    }
    return o;
}

/* For a vocabulary: the heap-based tokenizer equals the textbook one, and detokenizing gives
 * the text back, over @p n_texts random texts. */
static void cross_check(const sm_vocab *v, int n_texts, uint64_t seed)
{
    int32_t byte_id[256];
    char chars[256][4];
    byte_chars(chars);
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        byte_id[b] = sm_vocab_get_kind(v) == SM_VOCAB_GPT2
                         ? sm_vocab_find(v, chars[b], strlen(chars[b]))
                         : sm_vocab_find(v, name, 6);
    }
    uint64_t x = seed;
    for (int t = 0; t < n_texts; t++) {
        char text[200];
        size_t n = random_text(&x, text, sizeof text);
        int32_t want[1024], got[1024];
        size_t n_want = 0, n_got = 0;
        if (sm_vocab_get_kind(v) == SM_VOCAB_GPT2) {
            for (size_t at = 0; at < n;) {
                size_t len = sm_tok_gpt2_piece((const unsigned char *)text + at, n - at);
                n_want += naive_bpe_piece(v, byte_id, (const unsigned char *)text + at, len,
                                          want + n_want);
                at += len;
            }
        } else if (n > 0) {
            n_want = naive_spm(v, byte_id, text, n, want);
        }
        ck_assert_int_eq(sm_vocab_tokenize(v, text, n, 0, got, 1024, &n_got), SM_OK);
        ck_assert_msg(n_got == n_want && memcmp(got, want, n_got * sizeof got[0]) == 0,
                      "text %d ('%.*s'): %zu ids, the textbook algorithm gives %zu", t, (int)n,
                      text, n_got, n_want);
        /* SentencePiece writes spaces as U+2581, so a U+2581 in the text comes back a space */
        char back[200];
        size_t n_back = 0;
        for (size_t i = 0; i < n;) {
            if (sm_vocab_get_kind(v) == SM_VOCAB_LLAMA && n - i >= 3 &&
                memcmp(text + i, "\xe2\x96\x81", 3) == 0) {
                back[n_back++] = ' ';
                i += 3;
            } else {
                back[n_back++] = text[i++];
            }
        }
        expect_detokenized(v, text, n, back, n_back);
    }
}

START_TEST(test_tokenizer_tiny_vs_textbook)
{
    sm_vocab *g = gpt2_tiny(), *l = llama_tiny();
    cross_check(g, 2000, 0x9e3779b97f4a7c15u);
    cross_check(l, 2000, 0x2545f4914f6cdd1du);
    sm_vocab_free(g);
    sm_vocab_free(l);
    /* a token with U+2581 inside joins words, so llama must merge the text as a whole */
    const char *pieces[] = {"▁", "a", "b", "c", "ab", "bc", "▁a", "aa", "c▁a"};
    const float scores[] = {-1.0f, -2.0f, -3.0f, -4.0f, -1.5f, -1.0f, -2.0f, -0.5f, -0.1f};
    l = load_writer_ok(llama_writer(pieces, scores, 9));
    /* "▁c▁a": ▁a -2 -> ▁ c ▁a; then c + ▁a = c▁a -0.1 */
    EXPECT_IDS(l, "c a", 0, L_SP, L_AA + 1);
    /* "▁b▁c▁a": ▁a -> ▁ b ▁ c ▁a -> c▁a; word by word it would stay ▁ b ▁ c ▁a */
    EXPECT_IDS(l, "b c a", 0, L_SP, L_B, L_SP, L_AA + 1);
    cross_check(l, 2000, 0x5851f42d4c957f2du);
    sm_vocab_free(l);
}
END_TEST

/* ---- GPT-2: pre-tokenizer and merges ------------------------------------------------------ */

/* Each case: the text, and its pieces joined by '|' as the regex
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * splits it (worked out by hand from the alternatives, first match wins). */
START_TEST(test_tokenizer_gpt2_pieces)
{
    static const char *const cases[][2] = {
        {"Hello world", "Hello| world"},
        {"Hello  world", "Hello| | world"},
        {"it's", "it|'s"},
        {"DON'T", "DON|'|T"},
        {"we'll've'd'm're't", "we|'ll|'ve|'d|'m|'re|'t"},
        {"x'y", "x|'|y"},
        {"'sa", "'s|a"},
        {"!!'s", "!!'|s"},
        {"$100.00", "$|100|.|00"},
        {"a 42b", "a| 42|b"},
        {"a\n\nb", "a|\n|\n|b"},
        {"a  \n", "a|  \n"},
        {"  x", " | x"},
        {"\t x", "\t| x"},
        {"\n x", "\n| x"},
        {"x !!?", "x| !!?"},
        {"x  !", "x| | !"},
        {"café naïve", "café| naïve"},
        {"Привет, мир", "Привет|,| мир"},
        {"a\xff"
         "b",
         "a|\xff|b"},
        {"a \xff\xfe", "a| \xff\xfe"},
        {"x\xd9\xa3\xd9\xa4", "x|\xd9\xa3\xd9\xa4"}, /* Arabic-Indic digits 3 4: Nd */
        {"x \xc2\xbd", "x| \xc2\xbd"},               /* one half: No, so \p{N} */
        {"x\xc2\xa0y", "x|\xc2\xa0|y"},              /* NO-BREAK SPACE is White_Space */
        {"\xf0\x9f\xa6\x99 llama", "\xf0\x9f\xa6\x99| llama"},
        {"end ", "end| "},
        {" ", " "},
        {"a\r\nb", "a|\r|\n|b"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const unsigned char *s = (const unsigned char *)cases[c][0];
        size_t n = strlen(cases[c][0]);
        char got[256] = "";
        size_t o = 0;
        for (size_t at = 0; at < n;) {
            size_t len = sm_tok_gpt2_piece(s + at, n - at);
            ck_assert_uint_ge(len, 1);
            ck_assert_uint_le(len, n - at);
            if (at > 0)
                got[o++] = '|';
            memcpy(got + o, s + at, len);
            o += len;
            at += len;
        }
        got[o] = '\0';
        ck_assert_msg(strcmp(got, cases[c][1]) == 0, "pieces of '%s': got '%s', want '%s'",
                      cases[c][0], got, cases[c][1]);
    }
}
END_TEST

START_TEST(test_tokenizer_gpt2_merges_by_rank)
{
    sm_vocab *v = gpt2_tiny();
    ck_assert_int_eq(sm_vocab_n_tokens(v), G_EOT + 1);
    ck_assert_int_eq(sm_vocab_eos(v), G_EOT);
    ck_assert_int_eq(sm_vocab_bos(v), -1); /* no key, and gpt2 has no default */
    /* " the": Ġ t h e -> (Ġ t) rank 0 -> Ġt h e -> (h e) rank 1 -> Ġt he -> rank 3 -> Ġthe */
    EXPECT_IDS(v, " the", 0, G_GTHE);
    /* "the": t h e -> he -> (t he) rank 2 */
    EXPECT_IDS(v, "the", 0, G_THE);
    /* "a the" is the pieces "a" and " the": the merge "a Ġ" must not cross them */
    EXPECT_IDS(v, "a the", 0, 'a', G_GTHE);
    /* equal ranks merge leftmost first: a a a a a -> aa aa a -> aaaa a */
    EXPECT_IDS(v, "aaaaa", 0, G_AAAA, 'a');
    EXPECT_IDS(v, "aaaaaaaa", 0, G_AAAA, G_AAAA);
    EXPECT_IDS(v, "aaa", 0, G_AA, 'a');
    /* "a   b": pieces a | "  " | " b"; the two spaces merge, the third leads b */
    EXPECT_IDS(v, "a   b", 0, 'a', G_GG, ' ', 'b');
    /* newlines: before a letter each stands alone; at the end they stay one piece */
    EXPECT_IDS(v, "a\n\nb", 0, 'a', '\n', '\n', 'b');
    EXPECT_IDS(v, "a\n\n", 0, 'a', G_NLNL);
    EXPECT_IDS(v, "\n\n b", 0, G_NLNL, ' ', 'b');
    /* add_bos without a BOS token adds nothing */
    EXPECT_IDS(v, "a", 1, 'a');
    /* bytes that are not UTF-8 are their own byte tokens (the ids are the bytes here) */
    EXPECT_IDS(v, "\xff\xfe", 0, 0xFF, 0xFE);
    /* 4-byte UTF-8 without merges: one token per byte */
    EXPECT_IDS(v, "\xf0\x9f\xa6\x99", 0, 0xF0, 0x9F, 0xA6, 0x99);
    sm_vocab_free(v);
}
END_TEST

START_TEST(test_tokenizer_gpt2_pieces_to_bytes)
{
    sm_vocab *v = gpt2_tiny();
    char chars[256][4];
    byte_chars(chars);
    /* every byte's token decodes to that byte */
    for (int b = 0; b < 256; b++) {
        char buf[8];
        size_t n = 0;
        ck_assert_int_eq(sm_vocab_find(v, chars[b], strlen(chars[b])), b);
        ck_assert_int_eq(sm_vocab_token_to_piece(v, b, buf, sizeof buf, &n), SM_OK);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq((unsigned char)buf[0], b);
    }
    char buf[16];
    size_t n = 0;
    ck_assert_int_eq(sm_vocab_token_to_piece(v, G_GTHE, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert(memcmp(buf, " the", 4) == 0);
    /* control tokens are markers: an empty piece */
    ck_assert_int_eq(sm_vocab_token_to_piece(v, G_EOT, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    sm_vocab_free(v);
}
END_TEST

/* ---- LLaMA: SentencePiece merges ---------------------------------------------------------- */

START_TEST(test_tokenizer_llama_merges_by_score)
{
    sm_vocab *v = llama_tiny();
    ck_assert_int_eq(sm_vocab_bos(v), 1); /* llama defaults: bos 1, eos 2, unk 0 */
    ck_assert_int_eq(sm_vocab_eos(v), 2);
    ck_assert_int_eq(sm_vocab_unk(v), 0);
    ck_assert_int_eq(sm_vocab_wants_bos(v), 1);
    /* "▁abc": pairs ▁a -2, ab -1.5, bc -1 -> bc; then ▁a -2 (abc is no token) -> ▁a bc */
    EXPECT_IDS(v, "abc", 1, 1, L_SPA, L_BC);
    EXPECT_IDS(v, "abc", 0, L_SPA, L_BC);
    /* "▁ab": ▁a -2, ab -1.5 -> ab first -> ▁ ab */
    EXPECT_IDS(v, "ab", 0, L_SP, L_AB);
    /* "▁aaa": three pairs, aa -0.5 twice and ▁a -2: the leftmost aa wins the tie */
    EXPECT_IDS(v, "aaa", 0, L_SP, L_AA, L_A);
    /* spaces are ▁: " " -> ▁▁ (no ▁▁ token) */
    EXPECT_IDS(v, " ", 0, L_SP, L_SP);
    EXPECT_IDS(v, "a b", 0, L_SPA, L_SP, L_B);
    /* characters without a piece fall back to their bytes: é = C3 A9, the llama = 4 bytes */
    EXPECT_IDS(v, "a\xc3\xa9", 0, L_SPA, L_BYTE0 + 0xC3, L_BYTE0 + 0xA9);
    EXPECT_IDS(v, "\xf0\x9f\xa6\x99", 0, L_SP, L_BYTE0 + 0xF0, L_BYTE0 + 0x9F, L_BYTE0 + 0xA6,
               L_BYTE0 + 0x99);
    /* invalid UTF-8, and a truncated ▁, are bytes too */
    EXPECT_IDS(v, "\xff", 0, L_SP, L_BYTE0 + 0xFF);
    EXPECT_IDS(v, "\xe2\x96", 0, L_SP, L_BYTE0 + 0xE2, L_BYTE0 + 0x96);
    /* control and byte pieces are never matched from text */
    EXPECT_IDS(v, "<s>", 0, L_SP, L_BYTE0 + '<', L_BYTE0 + 's', L_BYTE0 + '>');
    EXPECT_IDS(v, "<0x41>", 0, L_SP, L_BYTE0 + '<', L_BYTE0 + '0', L_BYTE0 + 'x', L_BYTE0 + '4',
               L_BYTE0 + '1', L_BYTE0 + '>');
    sm_vocab_free(v);
}
END_TEST

START_TEST(test_tokenizer_llama_pieces)
{
    sm_vocab *v = llama_tiny();
    char buf[16];
    size_t n = 0;
    ck_assert_int_eq(sm_vocab_token_to_piece(v, L_SPA, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(memcmp(buf, " a", 2) == 0);
    for (int b = 0; b < 256; b++) {
        ck_assert_int_eq(sm_vocab_token_to_piece(v, L_BYTE0 + b, buf, sizeof buf, &n), SM_OK);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq((unsigned char)buf[0], b);
    }
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 1, buf, sizeof buf, &n), SM_OK); /* <s> */
    ck_assert_uint_eq(n, 0);
    sm_vocab_free(v);
}
END_TEST

/* ---- edge cases of the input -------------------------------------------------------------- */

START_TEST(test_tokenizer_edge_inputs)
{
    sm_vocab *g = gpt2_tiny(), *l = llama_tiny();
    size_t n = 99;
    /* empty text: nothing, or only BOS (no dummy prefix for nothing, as llama.cpp) */
    ck_assert_int_eq(sm_vocab_tokenize(g, "", 0, 0, NULL, 0, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(sm_vocab_tokenize(g, NULL, 0, 0, NULL, 0, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    EXPECT_IDS(l, "", 1, 1);
    ck_assert_int_eq(sm_vocab_tokenize(l, "", 0, 0, NULL, 0, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    /* only spaces */
    EXPECT_IDS(g, "    ", 0, G_GG, G_GG);
    EXPECT_IDS(l, "   ", 0, L_SP, L_SP, L_SP, L_SP);
    /* round trips over awkward inputs, including every byte value */
    static const char *const texts[] = {"  ",
                                        "\n",
                                        "a\xff\xfe b",
                                        "\xf0\x9f\xa6\x99\xf0\x9f",
                                        "\xc0\x80 overlong",
                                        "x\xed\xa0\x80 surrogate"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        expect_round_trip(g, texts[i], strlen(texts[i]));
        expect_round_trip(l, texts[i], strlen(texts[i]));
    }
    char all[256];
    for (int b = 0; b < 256; b++)
        all[b] = (char)b;
    expect_round_trip(g, all, sizeof all);
    expect_round_trip(l, all, sizeof all);
    sm_vocab_free(g);
    sm_vocab_free(l);
}
END_TEST

/* A long input: 1 MiB of one letter is a single 1 MiB piece for gpt2 (the merge heap's worst
 * case) and 1 Mi symbols for llama. The counts follow from the merges by hand. */
START_TEST(test_tokenizer_long_input)
{
    sm_vocab *g = gpt2_tiny(), *l = llama_tiny();
    size_t len = (size_t)1 << 20;
    char *text = malloc(len);
    ck_assert_ptr_nonnull(text);
    memset(text, 'a', len);
    size_t n = 0;
    ck_assert_int_eq(sm_vocab_tokenize(g, text, len, 0, NULL, 0, &n), SM_E_RANGE);
    ck_assert_uint_eq(n, len / 4); /* all aaaa */
    int32_t *ids = malloc(len * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    ck_assert_int_eq(sm_vocab_tokenize(g, text, len, 0, ids, len, &n), SM_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(ids[i], G_AAAA);
    /* llama: ▁ then a^(2^20): aa pairs merge leftmost first -> ▁ then 2^19 aa */
    ck_assert_int_eq(sm_vocab_tokenize(l, text, len, 1, ids, len, &n), SM_OK);
    ck_assert_uint_eq(n, 2 + len / 2);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], L_SP);
    for (size_t i = 2; i < n; i++)
        ck_assert_int_eq(ids[i], L_AA);
    /* mixed text, many pieces */
    for (size_t i = 0; i < len; i++)
        text[i] = "ab c\n\xff\xc3\xa9 "[i % 9];
    expect_round_trip(g, text, len);
    expect_round_trip(l, text, len);
    free(ids);
    free(text);
    sm_vocab_free(g);
    sm_vocab_free(l);
}
END_TEST

/* Row 20 and the output contract: sizes are size_t end to end, a short buffer is SM_E_RANGE
 * with the needed count and nothing written past it. */
START_TEST(test_tokenizer_output_bounds)
{
    sm_vocab *g = gpt2_tiny();
    int32_t ids[8];
    for (int i = 0; i < 8; i++)
        ids[i] = -7;
    size_t n = 0;
    /* "a b c d" = a, Ġb... 4 pieces -> 7 byte tokens (no merges apply but Ġ+letter stay) */
    ck_assert_int_eq(sm_vocab_tokenize(g, "a b c d", 7, 0, ids, 3, &n), SM_E_RANGE);
    ck_assert_uint_eq(n, 7);
    ck_assert_int_eq(ids[0], 'a');
    ck_assert_int_eq(ids[1], ' ');
    ck_assert_int_eq(ids[2], 'b');
    for (int i = 3; i < 8; i++)
        ck_assert_int_eq(ids[i], -7);
    ck_assert_int_eq(sm_vocab_tokenize(g, "a b c d", 7, 0, ids, 7, &n), SM_OK);
    ck_assert_uint_eq(n, 7);
    ck_assert_int_eq(ids[7], -7);
    /* lengths no buffer can back are refused before the text is read (a 1-byte buffer here) */
    ck_assert_int_eq(sm_vocab_tokenize(g, "x", SIZE_MAX, 0, ids, 8, &n), SM_E_NOMEM);
    ck_assert_int_eq(sm_vocab_tokenize(g, "x", SIZE_MAX / 2, 0, ids, 8, &n), SM_E_NOMEM);
    /* bad arguments */
    ck_assert_int_eq(sm_vocab_tokenize(NULL, "x", 1, 0, ids, 8, &n), SM_E_INVAL);
    ck_assert_int_eq(sm_vocab_tokenize(g, NULL, 1, 0, ids, 8, &n), SM_E_INVAL);
    ck_assert_int_eq(sm_vocab_tokenize(g, "x", 1, 0, NULL, 8, &n), SM_E_INVAL);
    ck_assert_int_eq(sm_vocab_tokenize(g, "x", 1, 0, ids, 8, NULL), SM_E_INVAL);
    sm_vocab_free(g);
}
END_TEST

/* ---- malformed vocabularies (GGUF-HARDENING.md rows 14-19) -------------------------------- */

static const char *const three[] = {"a", "b", "c"};

START_TEST(test_tokenizer_row14_length_mismatch)
{
    const float sc2[] = {0, 0};
    const int32_t ty4[] = {1, 1, 1, 1};
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", sc2, 2);
    expect_load_fail(w, SM_E_FORMAT, "scores shorter", "tokenizer.ggml.scores", "2 elements");
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", ty4, 4);
    expect_load_fail(w, SM_E_FORMAT, "token_type longer", "tokenizer.ggml.token_type",
                     "4 elements");
}
END_TEST

START_TEST(test_tokenizer_row15_element_types)
{
    const uint8_t u8[3] = {1, 2, 3};
    const int16_t i16[3] = {1, 2, 3};
    const uint32_t u32[3] = {1, 2, 3};
    struct {
        const char *key;
        uint32_t elem;
        const void *data;
        const char *type_name;
    } cases[] = {{"tokenizer.ggml.scores", SM_GGUF_U8, u8, "u8"},
                 {"tokenizer.ggml.scores", SM_GGUF_I16, i16, "i16"},
                 {"tokenizer.ggml.scores", SM_GGUF_STRING, NULL, "string"},
                 {"tokenizer.ggml.token_type", SM_GGUF_U32, u32, "u32"},
                 {"tokenizer.ggml.tokens", SM_GGUF_U32, u32, "u32"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sm_gw *w = sm_gw_create(3);
        sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
        if (strcmp(cases[c].key, "tokenizer.ggml.tokens") != 0)
            sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
        if (cases[c].elem == SM_GGUF_STRING)
            sm_gw_kv_arr_str(w, cases[c].key, three, 3);
        else
            sm_gw_kv_arr(w, cases[c].key, cases[c].elem, cases[c].data, 3);
        expect_load_fail(w, SM_E_FORMAT, cases[c].type_name, cases[c].key, cases[c].type_name);
    }
    /* a scalar where an array belongs, and a NaN score */
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_str(w, "tokenizer.ggml.tokens", "abc");
    expect_load_fail(w, SM_E_FORMAT, "scalar tokens", "tokenizer.ggml.tokens", "string");
    const float nan_sc[3] = {0.0f, __builtin_nanf(""), 0.0f};
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", nan_sc, 3);
    expect_load_fail(w, SM_E_FORMAT, "NaN score", "tokenizer.ggml.scores[1]", "NaN");
    const int32_t bad_type[3] = {1, 7, 1};
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", bad_type, 3);
    expect_load_fail(w, SM_E_FORMAT, "token type 7", "tokenizer.ggml.token_type[1]", "7");
}
END_TEST

START_TEST(test_tokenizer_row16_special_ids)
{
    /* n_vocab 1, no special keys: the llama defaults bos 1 and eos 2 do not fit -> none */
    const char *const one[] = {"▁a"};
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", one, 1);
    sm_vocab *v = load_writer_ok(w);
    ck_assert_int_eq(sm_vocab_bos(v), -1);
    ck_assert_int_eq(sm_vocab_eos(v), -1);
    ck_assert_int_eq(sm_vocab_unk(v), 0);
    EXPECT_IDS(v, "a", 1, 0); /* no BOS to add, then ▁a */
    sm_vocab_free(v);
    /* explicit ids must name a token */
    struct {
        const char *key;
        int is_i32;
        int64_t value;
        const char *shown;
    } cases[] = {{"tokenizer.ggml.bos_token_id", 1, -1, "-1"},
                 {"tokenizer.ggml.bos_token_id", 0, (int64_t)1 << 31, "2147483648"},
                 {"tokenizer.ggml.eos_token_id", 0, 3, "= 3"},
                 {"tokenizer.ggml.unknown_token_id", 0, 4000000000, "4000000000"},
                 {"tokenizer.ggml.padding_token_id", 1, 3, "= 3"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        w = sm_gw_create(3);
        sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
        sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
        if (cases[c].is_i32)
            sm_gw_kv_i32(w, cases[c].key, (int32_t)cases[c].value);
        else
            sm_gw_kv_u32(w, cases[c].key, (uint32_t)cases[c].value);
        expect_load_fail(w, SM_E_FORMAT, cases[c].key, cases[c].key, cases[c].shown);
    }
}
END_TEST

START_TEST(test_tokenizer_row17_byte_tokens)
{
    static const char *const bad[] = {"<0x-1>", "<0xZZ>", "<0x100>", "<0x>",
                                      "<0x4>",  "<0X41>", "<0x41",   "0x41>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(sm_tok_parse_byte_token(bad[i], strlen(bad[i])) == -1, "'%s' parsed", bad[i]);
        /* typed BYTE: refused */
        const char *toks[3] = {"<unk>", "a", bad[i]};
        const int32_t types[3] = {SM_TOKEN_UNKNOWN, SM_TOKEN_NORMAL, SM_TOKEN_BYTE};
        sm_gw *w = sm_gw_create(3);
        sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
        sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
        sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, 3);
        expect_load_fail(w, SM_E_FORMAT, bad[i], "tokenizer.ggml.tokens[2]", "BYTE");
        /* typed NORMAL: ordinary text, never a byte */
        const int32_t normal[3] = {SM_TOKEN_UNKNOWN, SM_TOKEN_NORMAL, SM_TOKEN_NORMAL};
        w = sm_gw_create(3);
        sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
        sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
        sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", normal, 3);
        sm_vocab *v = load_writer_ok(w);
        char buf[16];
        size_t n = 0;
        ck_assert_int_eq(sm_vocab_token_to_piece(v, 2, buf, sizeof buf, &n), SM_OK);
        ck_assert_uint_eq(n, strlen(bad[i]));
        ck_assert(memcmp(buf, bad[i], n) == 0);
        sm_vocab_free(v);
    }
    ck_assert_int_eq(sm_tok_parse_byte_token("<0x0A>", 6), 0x0A);
    ck_assert_int_eq(sm_tok_parse_byte_token("<0xff>", 6), 0xFF);
    /* without token_type, strict "<0xNN>" texts are the byte tokens: "\xff" -> <0xFF> */
    const char *toks[4] = {"<unk>", "<0xFF>", "<0x-1>", "\xe2\x96\x81"};
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", toks, 4);
    sm_vocab *v = load_writer_ok(w);
    EXPECT_IDS(v, "\xff", 0, 3, 1);
    EXPECT_IDS(v, "\xfe", 0, 3, 0); /* no byte token: <unk> */
    sm_vocab_free(v);
}
END_TEST

/* Row 18: SentencePiece's precompiled_charsmap is not read, so short blobs cannot be misread. */
START_TEST(test_tokenizer_row18_charsmap_ignored)
{
    const uint8_t blob[3] = {1, 2, 3};
    for (size_t len = 0; len <= 3; len++) {
        sm_gw *w = llama_writer(l_pieces, l_scores, sizeof l_scores / sizeof l_scores[0]);
        sm_gw_kv_arr(w, "tokenizer.ggml.precompiled_charsmap", SM_GGUF_U8, blob, len);
        sm_vocab *v = load_writer_ok(w);
        EXPECT_IDS(v, "abc", 0, L_SPA, L_BC);
        sm_vocab_free(v);
    }
}
END_TEST

/* A GGUF string array written by hand, so elements may hold NULs. */
static void kv_raw_str_array(sm_gw *w, const char *key, const char *const *s, const size_t *len,
                             size_t n)
{
    size_t total = 4 + 8;
    for (size_t i = 0; i < n; i++)
        total += 8 + len[i];
    uint8_t *b = malloc(total), *p = b;
    ck_assert_ptr_nonnull(b);
    uint32_t elem = SM_GGUF_STRING;
    uint64_t count = n;
    for (int k = 0; k < 4; k++)
        *p++ = (uint8_t)(elem >> (8 * k));
    for (int k = 0; k < 8; k++)
        *p++ = (uint8_t)(count >> (8 * k));
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 8; k++)
            *p++ = (uint8_t)((uint64_t)len[i] >> (8 * k));
        memcpy(p, s[i], len[i]);
        p += len[i];
    }
    sm_gw_kv_raw(w, key, SM_GGUF_ARRAY, b, total);
    free(b);
}

START_TEST(test_tokenizer_row19_piece_buffers)
{
    static const char *const toks[] = {"<unk>", "a\0b", "\xff\xfe\x80", "\xe2\x96\x81long\0tail",
                                       "a"};
    static const size_t lens[] = {5, 3, 3, 12, 1};
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    kv_raw_str_array(w, "tokenizer.ggml.tokens", toks, lens, 5);
    sm_vocab *v = load_writer_ok(w);
    /* a NUL inside a token is part of its text, found by length */
    ck_assert_int_eq(sm_vocab_find(v, "a\0b", 3), 1);
    ck_assert_int_eq(sm_vocab_find(v, "a", 1), 4);
    char buf[32];
    size_t n = 0;
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 1, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(buf, "a\0b", 3) == 0);
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 2, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(buf, "\xff\xfe\x80", 3) == 0);
    /* a buffer too small: the needed size, and nothing past cap */
    for (size_t cap = 0; cap < 10; cap++) {
        memset(buf, '#', sizeof buf);
        ck_assert_int_eq(sm_vocab_token_to_piece(v, 3, cap ? buf : NULL, cap, &n), SM_E_RANGE);
        ck_assert_uint_eq(n, 10); /* " long\0tail" */
        ck_assert(memcmp(buf, " long\0tail", cap) == 0);
        for (size_t i = cap; i < sizeof buf; i++)
            ck_assert_int_eq(buf[i], '#');
    }
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 3, buf, 10, &n), SM_OK);
    ck_assert(memcmp(buf, " long\0tail", 10) == 0);
    /* bad ids */
    ck_assert_int_eq(sm_vocab_token_to_piece(v, -1, buf, sizeof buf, &n), SM_E_RANGE);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 5, buf, sizeof buf, &n), SM_E_RANGE);
    ck_assert_int_eq(sm_vocab_token_to_piece(v, INT32_MAX, buf, sizeof buf, &n), SM_E_RANGE);
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 0, NULL, 4, &n), SM_E_INVAL);
    sm_vocab_free(v);

    /* gpt2 token text that is not UTF-8, or outside the byte alphabet, is copied as it is */
    static const char *const gx[] = {"\xff\xfe", "\xe4\xb8\xad"};
    static const char *const gm[] = {"a b"};
    v = load_writer_ok(gpt2_writer(gx, 2, gm, 0));
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 256, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(memcmp(buf, "\xff\xfe", 2) == 0);
    ck_assert_int_eq(sm_vocab_token_to_piece(v, 257, buf, sizeof buf, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(memcmp(buf, "\xe4\xb8\xad", 3) == 0);
    sm_vocab_free(v);
}
END_TEST

START_TEST(test_tokenizer_model_and_merges)
{
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "bert");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    expect_load_fail(w, SM_E_UNSUPPORTED, "bert", "'bert'", "tokenizer.ggml.model");
    w = sm_gw_create(3);
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    expect_load_fail(w, SM_E_NOT_FOUND, "no model", "tokenizer.ggml.model", NULL);
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    expect_load_fail(w, SM_E_NOT_FOUND, "no tokens", "tokenizer.ggml.tokens", NULL);
    w = sm_gw_create(3);
    sm_gw_kv_u32(w, "tokenizer.ggml.model", 2);
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    expect_load_fail(w, SM_E_FORMAT, "model as u32", "tokenizer.ggml.model", NULL);
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 0);
    expect_load_fail(w, SM_E_FORMAT, "zero tokens", "tokenizer.ggml.tokens", "0 tokens");
    /* gpt2 needs merges, each naming tokens */
    w = sm_gw_create(3);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", three, 3);
    expect_load_fail(w, SM_E_FORMAT, "no merges", "tokenizer.ggml.merges", NULL);
    /* ...but an empty list is a legitimate byte-level vocabulary (the built-in models' one):
     * each byte stays its own token */
    sm_vocab *v = load_writer_ok(gpt2_writer(NULL, 0, NULL, 0));
    EXPECT_IDS(v, " the\n", 0, ' ', 't', 'h', 'e', '\n');
    sm_vocab_free(v);
    static const char *const m_left[] = {"Ġ t", "中 b"};
    w = gpt2_writer(g_extra, 1, m_left, 2);
    expect_load_fail(w, SM_E_FORMAT, "unknown left", "tokenizer.ggml.merges[1]", "left part");
    static const char *const m_result[] = {"x y"};
    w = gpt2_writer(g_extra, 1, m_result, 1);
    expect_load_fail(w, SM_E_FORMAT, "unknown result", "tokenizer.ggml.merges[0]", "'xy'");
    static const char *const m_nospace[] = {"Ġt"};
    w = gpt2_writer(g_extra, 1, m_nospace, 1);
    expect_load_fail(w, SM_E_FORMAT, "no space", "tokenizer.ggml.merges[0]", "space");
    static const char *const m_trailing[] = {"Ġ "};
    w = gpt2_writer(g_extra, 1, m_trailing, 1);
    expect_load_fail(w, SM_E_FORMAT, "empty right", "tokenizer.ggml.merges[0]", NULL);
    static const char *const m_dup[] = {"h e", "h e"};
    v = load_writer_ok(gpt2_writer(g_extra, 2, m_dup, 2));
    EXPECT_IDS(v, "he", 0, G_HE);
    sm_vocab_free(v);
}
END_TEST

/* ---- suite -------------------------------------------------------------------------------- */

static Suite *tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *alg = tcase_create("algorithms");
    tcase_set_timeout(alg, 60);
    tcase_add_test(alg, test_tokenizer_utf8_all_code_points);
    tcase_add_test(alg, test_tokenizer_unicode_classes);
    tcase_add_test(alg, test_tokenizer_unicode_white_space);
    tcase_add_test(alg, test_tokenizer_unicode_version);
    tcase_add_test(alg, test_tokenizer_gpt2_pieces);
    tcase_add_test(alg, test_tokenizer_gpt2_merges_by_rank);
    tcase_add_test(alg, test_tokenizer_gpt2_pieces_to_bytes);
    tcase_add_test(alg, test_tokenizer_llama_merges_by_score);
    tcase_add_test(alg, test_tokenizer_llama_pieces);
    tcase_add_test(alg, test_tokenizer_edge_inputs);
    tcase_add_test(alg, test_tokenizer_long_input);
    tcase_add_test(alg, test_tokenizer_output_bounds);
    tcase_add_test(alg, test_tokenizer_tiny_vs_textbook);
    suite_add_tcase(s, alg);
    TCase *bad = tcase_create("malformed");
    tcase_add_test(bad, test_tokenizer_row14_length_mismatch);
    tcase_add_test(bad, test_tokenizer_row15_element_types);
    tcase_add_test(bad, test_tokenizer_row16_special_ids);
    tcase_add_test(bad, test_tokenizer_row17_byte_tokens);
    tcase_add_test(bad, test_tokenizer_row18_charsmap_ignored);
    tcase_add_test(bad, test_tokenizer_row19_piece_buffers);
    tcase_add_test(bad, test_tokenizer_model_and_merges);
    suite_add_tcase(s, bad);
    if (fixtures() != NULL) {
        TCase *fx = tcase_create("fixtures");
        tcase_set_timeout(fx, 60);
        tcase_add_test(fx, test_tokenizer_reference_fixture);
        suite_add_tcase(s, fx);
    } else {
        printf("# SKIP the reference-id test (tokenizer/reference.jsonl): SM_FIXTURES is not "
               "set; configure --with-fixtures=DIR or export SM_FIXTURES=DIR\n");
    }
    return s;
}

int main(void)
{
    return sm_test_run(tokenizer_suite());
}
