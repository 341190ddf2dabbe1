/* SPDX-License-Identifier: MIT */
/* test_builtin.c: the programs' built-in models (src/cli/builtin.c): the table, the GGUF they
 * write (keys, GPT-2 byte spellings of the tokens), the models loaded from it (shapes as
 * specified, one token per byte both ways, finite, non-degenerate and reproducible logits on
 * 1 and 2 threads) and the errors. Unknown names are SM_E_NOT_FOUND, like an absent key. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/builtin.h"
#include "sm_test.h"
#include "smallmind.h"
#include "src/gguf.h"

/* The shapes the programs' documentation promises (sm-run's issue), restated here. */
typedef struct want_shape {
    const char *name;
    int n_vocab, n_ctx, n_embd, n_layer, n_head, n_ff;
} want_shape;

static const want_shape wanted[] = {
    {"medium", 512, 128, 256, 4, 8, 1024}, /* the seed profiler's vocabulary of 512 */
    {"small", 256, 64, 128, 2, 4, 512},
};
enum { N_WANTED = sizeof wanted / sizeof wanted[0] };

static sm_model *load_ok(const char *name, int use_mmap)
{
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = use_mmap; /* ignored: the bytes are in memory */
    char err[512] = "";
    sm_model *m = NULL;
    sm_status st = sm_cli_builtin_load(name, &mp, &m, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s (%s)", name, sm_status_name(st), err);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(test_builtin_table)
{
    ck_assert_uint_ge(sm_cli_builtin_count(), N_WANTED);
    ck_assert_str_eq(sm_cli_builtin_at(0)->name, "medium"); /* the default */
    ck_assert_ptr_null(sm_cli_builtin_at(sm_cli_builtin_count()));
    for (size_t i = 0; i < N_WANTED; i++) {
        const sm_cli_builtin_spec *s = sm_cli_builtin_find(wanted[i].name);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(s->n_vocab, wanted[i].n_vocab);
        ck_assert_int_eq(s->n_ctx, wanted[i].n_ctx);
        ck_assert_int_eq(s->n_embd, wanted[i].n_embd);
        ck_assert_int_eq(s->n_layer, wanted[i].n_layer);
        ck_assert_int_eq(s->n_head, wanted[i].n_head);
        ck_assert_int_eq(s->n_ff, wanted[i].n_ff);
    }
    for (size_t i = 0; i < sm_cli_builtin_count(); i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(sm_cli_builtin_at(i)->name, sm_cli_builtin_at(j)->name);
    ck_assert_ptr_null(sm_cli_builtin_find("Medium"));
    ck_assert_ptr_null(sm_cli_builtin_find(""));
    ck_assert_ptr_null(sm_cli_builtin_find(NULL));
    /* the names list, and its snprintf-like truncation */
    char buf[256];
    size_t n = sm_cli_builtin_names(buf, sizeof buf);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_msg(strncmp(buf, "medium, small", 13) == 0, "'%s'", buf);
    char cut[8];
    ck_assert_uint_eq(sm_cli_builtin_names(cut, sizeof cut), n);
    ck_assert_str_eq(cut, "medium,");
    ck_assert_uint_eq(sm_cli_builtin_names(NULL, 0), n);
}
END_TEST

/* Every built-in model loads with the table's shape and GPT-2's fixed traits. */
START_TEST(test_builtin_loads_as_specified)
{
    const sm_cli_builtin_spec *s = sm_cli_builtin_at((size_t)_i);
    sm_model *m = load_ok(s->name, _i % 2);
    ck_assert_str_eq(sm_model_arch(m), "gpt2");
    ck_assert_int_eq(sm_model_n_vocab(m), s->n_vocab);
    ck_assert_int_eq(sm_model_n_ctx_train(m), s->n_ctx);
    ck_assert_int_eq(sm_model_n_embd(m), s->n_embd);
    ck_assert_int_eq(sm_model_n_layer(m), s->n_layer);
    ck_assert_int_eq(sm_model_n_head(m), s->n_head);
    ck_assert_int_eq(sm_model_n_head_kv(m), s->n_head);
    ck_assert_str_eq(sm_model_weight_type(m), "F32");
    /* Elements by hand: token and position embeddings; per layer two LayerNorms (weight and
     * bias), QKV (E x 3E + 3E), output (E x E + E), up (E x F + F), down (F x E + E); the final
     * LayerNorm; no output matrix (tied). */
    uint64_t e = (uint64_t)s->n_embd, f = (uint64_t)s->n_ff;
    uint64_t per_layer = 4 * e + 3 * e * e + 3 * e + e * e + e + e * f + f + f * e + e;
    uint64_t want = e * (uint64_t)s->n_vocab + e * (uint64_t)s->n_ctx +
                    (uint64_t)s->n_layer * per_layer + 2 * e;
    ck_assert_uint_eq(sm_model_n_params(m), want);
    ck_assert_uint_eq(sm_model_size_bytes(m), 4 * want);
    char buf[512], name[64];
    snprintf(name, sizeof name, "smallmind-builtin-%s", s->name);
    ck_assert_int_ge(sm_model_meta_str(m, "general.name", buf, sizeof buf), 0);
    ck_assert_str_eq(buf, name);
    ck_assert_int_ge(sm_model_meta_str(m, "general.description", buf, sizeof buf), 0);
    ck_assert_msg(strstr(buf, "synthetic") != NULL, "'%s'", buf);
    ck_assert_int_ge(sm_model_meta_str(m, "tokenizer.ggml.merges", buf, sizeof buf), 0);
    char merges[32];
    snprintf(merges, sizeof merges, "[%d string]", s->n_vocab - 256);
    ck_assert_str_eq(buf, merges);
    ck_assert_int_eq(sm_model_token_bos(m), -1);
    ck_assert_int_eq(sm_model_token_eos(m), -1);
    ck_assert_int_eq(sm_model_add_bos(m), 0);
    sm_model_free(m);
}
END_TEST

/* Known spellings from GPT-2's encoder.py byte map, and the keys as llama.cpp writes them, read
 * from the GGUF with the library's parser. */
START_TEST(test_builtin_gguf_keys_and_token_spellings)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    char err[512] = "";
    const sm_cli_builtin_spec *s = sm_cli_builtin_find("small");
    ck_assert_int_eq(sm_cli_builtin_gguf(s, &bytes, &size, err, sizeof err), SM_OK);
    sm_gguf *g = NULL;
    ck_assert_msg(sm_gguf_parse(bytes, size, &g, err, sizeof err) == SM_OK, "%s", err);
    static const struct {
        const char *key;
        int64_t v;
    } ints[] = {
        {"gpt2.context_length", 64},      {"gpt2.embedding_length", 128},
        {"gpt2.block_count", 2},          {"gpt2.feed_forward_length", 512},
        {"gpt2.attention.head_count", 4}, {"general.file_type", 0},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        const sm_gguf_kv *kv = sm_gguf_find(g, ints[i].key);
        ck_assert_msg(kv != NULL && kv->type == SM_GGUF_U32, "%s: a u32 in real files",
                      ints[i].key);
        int64_t v = -1;
        ck_assert_int_eq(sm_gguf_get_int(g, ints[i].key, 0, INT64_MAX, &v, err, sizeof err), SM_OK);
        ck_assert_int_eq(v, ints[i].v);
    }
    ck_assert_ptr_null(sm_gguf_find(g, "tokenizer.ggml.bos_token_id"));
    ck_assert_ptr_null(sm_gguf_find(g, "tokenizer.ggml.eos_token_id"));
    ck_assert_ptr_null(sm_gguf_find_tensor(g, "output.weight")); /* tied, as in GPT-2 */
    const sm_gguf_kv *tok = sm_gguf_find(g, "tokenizer.ggml.tokens");
    ck_assert_ptr_nonnull(tok);
    ck_assert_uint_eq(tok->n, 256);
    sm_gguf_str t[256];
    const uint8_t *cursor = tok->data;
    for (int i = 0; i < 256; i++)
        t[i] = sm_gguf_arr_next_str(&cursor);
    static const struct {
        int byte;
        const char *text;
    } spell[] = {
        {'A', "A"},         {'!', "!"}, {'~', "~"}, {0x00, "\xC4\x80"}, /* U+0100 */
        {' ', "\xC4\xA0"},  /* U+0120 'Ġ', the first non-printable bytes are 0x00..0x20 */
        {'\n', "\xC4\x8A"}, /* U+010A 'Ċ' */
        {0x7F, "\xC4\xA1"}, /* U+0121, next come 0x7F..0xA0 */
        {0xA0, "\xC5\x82"}, /* U+0142 */
        {0xAD, "\xC5\x83"}, /* U+0143, the last one */
        {0xA1, "\xC2\xA1"}, /* printable Latin-1 stands for itself */
        {0xFF, "\xC3\xBF"},
    };
    for (size_t i = 0; i < sizeof spell / sizeof spell[0]; i++) {
        sm_gguf_str x = t[spell[i].byte];
        ck_assert_msg(x.n == strlen(spell[i].text) && memcmp(x.p, spell[i].text, x.n) == 0,
                      "token %d is spelled wrongly", spell[i].byte);
    }
    for (int i = 0; i < 256; i++)
        for (int j = 0; j < i; j++)
            ck_assert(!(t[i].n == t[j].n && memcmp(t[i].p, t[j].p, t[i].n) == 0));
    sm_gguf_free(g);
    /* the bytes are a pure function of the spec */
    uint8_t *again = NULL;
    size_t size2 = 0;
    ck_assert_int_eq(sm_cli_builtin_gguf(s, &again, &size2, err, sizeof err), SM_OK);
    ck_assert_uint_eq(size2, size);
    ck_assert(memcmp(bytes, again, size) == 0);
    free(again);
    free(bytes);
}
END_TEST

/* The merges as the programs' documentation states them (builtin.h), restated: rank k joins
 * merge_first[k / 16] and merge_second[k % 16] into token 256 + k. */
static const char merge_first[] = " etaoinsrhldcumfp";
static const char merge_second[] = "etaoinsrhldcumfp";

/* The rank of the pair (a, b) among a vocabulary's n_merges merges, or -1. */
static int merge_rank(unsigned char a, unsigned char b, int n_merges)
{
    const char *f = a ? strchr(merge_first, a) : NULL, *g = b ? strchr(merge_second, b) : NULL;
    if (!f || !g)
        return -1;
    int k = (int)(f - merge_first) * 16 + (int)(g - merge_second);
    return k < n_merges ? k : -1;
}

/* The expected tokens of @p text by the plainest BPE: while some adjacent pair of bytes (that no
 * merge has taken yet) has a merge, join the one of lowest rank, leftmost first. Merges only
 * join a space or a letter to a following letter, which GPT-2's pre-tokenizer never separates,
 * so no pre-tokenization is needed. */
static size_t expect_tokens(const unsigned char *text, size_t len, int n_merges, int32_t *out)
{
    int32_t *t = out;
    for (size_t i = 0; i < len; i++)
        t[i] = text[i];
    size_t n = len;
    for (;;) {
        int best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < n; i++) {
            if (t[i] > 255 || t[i + 1] > 255)
                continue;
            int r = merge_rank((unsigned char)t[i], (unsigned char)t[i + 1], n_merges);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                at = i;
            }
        }
        if (best < 0)
            return n;
        t[at] = 256 + best;
        memmove(t + at + 1, t + at + 2, (n - at - 2) * sizeof *t);
        n--;
    }
}

/* Any bytes, including NUL, invalid UTF-8 and every byte value, tokenize to the plain BPE's
 * tokens (one per byte for a 256-token vocabulary) and back to the same bytes. */
START_TEST(test_builtin_tokenize_round_trip)
{
    const sm_cli_builtin_spec *s = sm_cli_builtin_at((size_t)_i);
    sm_model *m = load_ok(s->name, 1);
    char text[256 + 128];
    size_t len = 0;
    for (int b = 0; b < 256; b++)
        text[len++] = (char)b;
    static const char tail[] = "\xC3\x28 \xE2\x82 \xF0\x9F\x98\x80\x00 hello  world\r\n\xFF"
                               " the cat sat on the mat, it's done";
    memcpy(text + len, tail, sizeof tail - 1); /* and the NUL before " hello" */
    len += sizeof tail - 1;
    int32_t toks[sizeof text], want[sizeof text];
    size_t n = 0;
    ck_assert_int_eq(sm_tokenize(m, text, len, 1, toks, sizeof text, &n), SM_OK);
    /* add_bos asked, but there is no BOS */
    size_t n_want = expect_tokens((const unsigned char *)text, len, s->n_vocab - 256, want);
    ck_assert_uint_eq(n, n_want);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(toks[i] == want[i], "%s: token %zu is %d, expected %d", s->name, i, toks[i],
                      want[i]);
    if (s->n_vocab > 256)
        ck_assert_uint_lt(n, len); /* the merges did something */
    char back[sizeof text];
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t nb = 0;
        ck_assert_int_eq(sm_token_to_piece(m, toks[i], back + at, sizeof back - at, &nb), SM_OK);
        ck_assert_uint_eq(nb, toks[i] < 256 ? 1 : 2);
        at += nb;
    }
    ck_assert_uint_eq(at, len);
    ck_assert(memcmp(back, text, len) == 0);
    sm_model_free(m);
}
END_TEST

/* One case by hand, on "medium" (512 tokens: all 256 merges): " the" is ' '+'t' (rank 1, token
 * 257) then "he": 'h' is merge_first[9], 'e' is merge_second[0], rank 144, token 400. */
START_TEST(test_builtin_merge_by_hand)
{
    sm_model *m = load_ok("medium", 1);
    int32_t toks[8];
    size_t n = 0;
    ck_assert_int_eq(sm_tokenize(m, " the", 4, 0, toks, 8, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(toks[0], 257);
    ck_assert_int_eq(toks[1], 400);
    sm_model_free(m);
}
END_TEST

enum { N_EVAL = 12 };

/* The logits of every position of a fixed byte string on a fresh model and context. */
static void all_logits(const char *name, int n_threads, float *out)
{
    sm_model *m = load_ok(name, 1);
    static const char text[] = "Once upon a\0 time";
    int32_t toks[N_EVAL];
    for (int i = 0; i < N_EVAL; i++)
        toks[i] = (unsigned char)text[i];
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = n_threads;
    cp.logits_all = 1;
    sm_context *c = NULL;
    ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
    ck_assert_msg(sm_eval(c, toks, N_EVAL) == SM_OK, "%s", sm_context_errmsg(c));
    size_t nv = (size_t)sm_model_n_vocab(m);
    for (int i = 0; i < N_EVAL; i++) {
        const float *l = sm_get_logits(c, i);
        ck_assert_ptr_nonnull(l);
        memcpy(out + (size_t)i * nv, l, nv * sizeof *l);
    }
    sm_context_free(c);
    sm_model_free(m);
}

/* Two loads, on 1 and on 2 threads, give the same bits; the logits are finite, O(1) and vary
 * with the token and the position (the model is not degenerate). */
START_TEST(test_builtin_logits_reproducible)
{
    const char *name = sm_cli_builtin_at((size_t)_i)->name;
    size_t nv = (size_t)sm_cli_builtin_at((size_t)_i)->n_vocab, nl = N_EVAL * nv;
    float *a = malloc(nl * sizeof *a), *b = malloc(nl * sizeof *b);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    all_logits(name, 1, a);
    all_logits(name, 2, b);
    ck_assert_msg(memcmp(a, b, nl * sizeof *a) == 0, "%s: 2 threads differ from 1", name);
    for (int p = 0; p < N_EVAL; p++) {
        const float *l = a + (size_t)p * nv;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < nv; i++) {
            ck_assert_msg(isfinite(l[i]), "%s: logit %zu at %d is %g", name, i, p, (double)l[i]);
            ck_assert_msg(fabsf(l[i]) < 100.0f, "%s: logit %zu at %d is %g", name, i, p,
                          (double)l[i]);
            sum += l[i];
            sq += (double)l[i] * l[i];
        }
        double var = sq / (double)nv - (sum / (double)nv) * (sum / (double)nv);
        ck_assert_msg(var > 0.01, "%s: position %d: flat logits (variance %g)", name, p, var);
        if (p > 0)
            ck_assert(memcmp(l, l - nv, nv * sizeof *l) != 0);
    }
    free(a);
    free(b);
}
END_TEST

START_TEST(test_builtin_errors)
{
    char err[256] = "";
    sm_model *m = NULL;
    ck_assert_int_eq(sm_cli_builtin_load("large", NULL, &m, err, sizeof err), SM_E_NOT_FOUND);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, "'large'") && strstr(err, "medium") && strstr(err, "small"), "'%s'",
                  err);
    ck_assert_int_eq(sm_cli_builtin_load("large", NULL, &m, NULL, 0), SM_E_NOT_FOUND);
    ck_assert_int_eq(sm_cli_builtin_load(NULL, NULL, &m, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "name"));
    ck_assert_int_eq(sm_cli_builtin_load("small", NULL, NULL, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "out"));
    ck_assert_ptr_null(m);
    /* a shape the table must not hold */
    sm_cli_builtin_spec bad = *sm_cli_builtin_find("small");
    bad.name = "odd";
    bad.n_head = 3;
    uint8_t *bytes = NULL;
    size_t size = 0;
    ck_assert_int_eq(sm_cli_builtin_gguf(&bad, &bytes, &size, err, sizeof err), SM_E_INVAL);
    ck_assert_msg(strstr(err, "'odd'") && strstr(err, "n_head 3"), "'%s'", err);
    ck_assert_ptr_null(bytes);
    /* the defaults and the caller's errbuf serve when err is NULL */
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mlock = 1; /* a refusal (RLIMIT_MEMLOCK) is only a warning */
    ck_assert_int_eq(sm_cli_builtin_load("small", &mp, &m, NULL, 0), SM_OK);
    sm_model_free(m);
}
END_TEST

static Suite *builtin_suite(void)
{
    Suite *s = suite_create("builtin");
    int n = (int)sm_cli_builtin_count();
    TCase *tc = tcase_create("builtin");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_builtin_table);
    tcase_add_loop_test(tc, test_builtin_loads_as_specified, 0, n);
    tcase_add_test(tc, test_builtin_gguf_keys_and_token_spellings);
    tcase_add_loop_test(tc, test_builtin_tokenize_round_trip, 0, n);
    tcase_add_test(tc, test_builtin_merge_by_hand);
    tcase_add_loop_test(tc, test_builtin_logits_reproducible, 0, n);
    tcase_add_test(tc, test_builtin_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(builtin_suite());
}
