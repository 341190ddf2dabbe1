/* SPDX-License-Identifier: MIT */
/* test_model.c: sm_model_load's meaning checks (GGUF-HARDENING.md row 21: hyper-parameters
 * against each other and against every tensor's shape and type), its error reporting, the
 * getters and metadata lookup, and the mmap / read / mlock / buffer load paths. Files come
 * from the independent test writer (src/cli/gguf_writer.c) and the tiny-model generator. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/gguf_writer.h"
#include "sm_test.h"
#include "sm_test_model.h"
#include "sm_test_tmp.h"
#include "smallmind.h"
#include "tiny_model.h"

/* A tiny llama (or gpt2) description; each malformed case changes one thing. */
typedef struct mspec {
    const char *arch;
    int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, n_rot, n_vocab;
    int64_t embd_rows_ne0;     /* token_embd ne[0]; default n_embd */
    const char *drop_tensor;   /* a tensor left out */
    const char *retype_tensor; /* a tensor stored as retype (ggml id) */
    uint32_t retype;
    int block_count_as_string; /* llama.block_count stored as a string */
    int64_t vocab_size_key;    /* llama.vocab_size when > 0 */
    int tied;                  /* no output.weight */
    int ff_key_zero;           /* feed_forward_length says 0 (the tensors keep n_ff) */
    int n_tokens;              /* a llama tokenizer of this many tokens when > 0 */
    int has_eos_key;           /* tokenizer.ggml.eos_token_id = eos_id */
    int no_tokens_key;         /* the tokenizer without tokenizer.ggml.tokens */
    uint32_t eos_id;
} mspec;

static mspec default_llama(void)
{
    mspec s = {.arch = "llama",
               .n_embd = 32,
               .n_layer = 2,
               .n_head = 4,
               .n_head_kv = 2,
               .n_ff = 64,
               .n_ctx = 64,
               .n_rot = 8,
               .n_vocab = 40};
    return s;
}

static void add_tensor(sm_gw *w, const mspec *s, const char *name, int64_t ne0, int64_t ne1)
{
    if (s->drop_tensor && strcmp(name, s->drop_tensor) == 0)
        return;
    uint32_t type = 0;
    size_t n = (size_t)ne0 * (size_t)(ne1 ? ne1 : 1), bytes = 4 * n;
    if (s->retype_tensor && strcmp(name, s->retype_tensor) == 0) {
        type = s->retype;
        /* F16: 2 bytes an element; Q5_0 (6): blocks of 32 elements in 22 bytes */
        bytes = type == 1 ? 2 * n : n / 32 * 22;
    }
    int64_t ne[2] = {ne0, ne1};
    /* Zeros: the loader never reads weight values. */
    void *v = calloc(bytes ? bytes : 1, 1);
    ck_assert_ptr_nonnull(v);
    sm_gw_tensor(w, name, type, ne1 ? 2 : 1, ne, v, bytes);
    free(v);
}

/* Writes the model to a fresh temporary file; returns its path (static buffer). */
static const char *write_model(const mspec *s)
{
    static char path[256];
    sm_gw *w = sm_gw_create(3);
    ck_assert_ptr_nonnull(w);
    char key[128];
    sm_gw_kv_str(w, "general.architecture", s->arch);
    sm_gw_kv_str(w, "general.name", "test-model");
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", s->arch, suffix), key)
    sm_gw_kv_u64(w, KEY("context_length"), (uint64_t)s->n_ctx);
    sm_gw_kv_u32(w, KEY("embedding_length"), (uint32_t)s->n_embd);
    if (s->block_count_as_string)
        sm_gw_kv_str(w, KEY("block_count"), "2");
    else
        sm_gw_kv_u64(w, KEY("block_count"), (uint64_t)s->n_layer);
    sm_gw_kv_u32(w, KEY("feed_forward_length"), (uint32_t)(s->ff_key_zero ? 0 : s->n_ff));
    sm_gw_kv_u32(w, KEY("attention.head_count"), (uint32_t)s->n_head);
    if (strcmp(s->arch, "gpt2") != 0) {
        sm_gw_kv_u32(w, KEY("attention.head_count_kv"), (uint32_t)s->n_head_kv);
        sm_gw_kv_u32(w, KEY("rope.dimension_count"), (uint32_t)s->n_rot);
        sm_gw_kv_f32(w, KEY("rope.freq_base"), 10000.0f);
        sm_gw_kv_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    }
    if (s->vocab_size_key > 0)
        sm_gw_kv_u32(w, KEY("vocab_size"), (uint32_t)s->vocab_size_key);
#undef KEY
    if (s->n_tokens > 0) {
        static char text[64][16];
        const char *tokens[64];
        ck_assert_int_le(s->n_tokens, 64);
        for (int i = 0; i < s->n_tokens; i++) {
            snprintf(text[i], sizeof text[i], "t%d", i);
            tokens[i] = text[i];
        }
        sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
        if (!s->no_tokens_key)
            sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, (size_t)s->n_tokens);
        if (s->has_eos_key)
            sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", s->eos_id);
    }
    int64_t e = s->n_embd, hd = s->n_head ? s->n_embd / s->n_head : 1;
    int64_t kv = hd * s->n_head_kv;
    add_tensor(w, s, "token_embd.weight", s->embd_rows_ne0 ? s->embd_rows_ne0 : e, s->n_vocab);
    /* Layers as far as a sane count goes: a file claiming 10^6 layers is refused before any of
     * its tensors are looked at. */
    for (int64_t l = 0; l < s->n_layer && l < 4; l++) {
        char n[64];
#define T(suffix, a, b)                                                                            \
    (snprintf(n, sizeof n, "blk.%lld." suffix, (long long)l), add_tensor(w, s, n, a, b))
        T("attn_norm.weight", e, 0);
        T("attn_q.weight", e, e);
        T("attn_k.weight", e, kv);
        T("attn_v.weight", e, kv);
        T("attn_output.weight", e, e);
        T("ffn_norm.weight", e, 0);
        T("ffn_gate.weight", e, s->n_ff);
        T("ffn_up.weight", e, s->n_ff);
        T("ffn_down.weight", s->n_ff, e);
#undef T
    }
    add_tensor(w, s, "output_norm.weight", e, 0);
    if (!s->tied)
        add_tensor(w, s, "output.weight", e, s->n_vocab);
    sm_test_make_temp(path, sizeof path, "sm_test_model_");
    ck_assert_int_eq(sm_gw_write_file(w, path), 0);
    sm_gw_free(w);
    return path;
}

static sm_status load(const mspec *s, char *err, size_t len, sm_model **out)
{
    const char *path = write_model(s);
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = len;
    sm_status st = sm_model_load(path, &mp, out);
    unlink(path);
    return st;
}

START_TEST(test_model_valid_llama_and_getters)
{
    mspec s = default_llama();
    char err[512];
    sm_model *m = NULL;
    ck_assert_msg(load(&s, err, sizeof err, &m) == SM_OK, "%s", err);
    ck_assert_str_eq(sm_model_arch(m), "llama");
    ck_assert_int_eq(sm_model_n_vocab(m), 40);
    ck_assert_int_eq(sm_model_n_ctx_train(m), 64);
    ck_assert_int_eq(sm_model_n_embd(m), 32);
    ck_assert_int_eq(sm_model_n_layer(m), 2);
    ck_assert_int_eq(sm_model_n_head(m), 4);
    ck_assert_int_eq(sm_model_n_head_kv(m), 2);
    /* Elements, counted by hand: embedding and output 2 * 32 * 40, per layer two norms of 32,
     * q and o 32 * 32, k and v 32 * 16, gate, up and down 32 * 64; final norm 32. */
    uint64_t per_layer = 2 * 32 + 2 * 32 * 32 + 2 * 32 * 16 + 3 * 32 * 64;
    ck_assert_uint_eq(sm_model_n_params(m), 2 * 32 * 40 + 2 * per_layer + 32);
    ck_assert_uint_eq(sm_model_size_bytes(m), 4 * sm_model_n_params(m));
    ck_assert_str_eq(sm_model_weight_type(m), "F32");
    char buf[64];
    ck_assert_int_eq(sm_model_meta_str(m, "general.name", buf, sizeof buf), 10);
    ck_assert_str_eq(buf, "test-model");
    ck_assert_int_eq(sm_model_meta_str(m, "llama.block_count", buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "2");
    ck_assert_int_eq(sm_model_meta_str(m, "llama.rope.freq_base", buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "10000");
    /* cut like snprintf: the full length comes back */
    ck_assert_int_eq(sm_model_meta_str(m, "general.name", buf, 5), 10);
    ck_assert_str_eq(buf, "test");
    ck_assert_int_eq(sm_model_meta_str(m, "general.name", NULL, 0), 10);
    ck_assert_int_eq(sm_model_meta_str(m, "no.such.key", buf, sizeof buf), SM_E_NOT_FOUND);
    ck_assert_int_eq(sm_model_meta_str(m, NULL, buf, sizeof buf), SM_E_INVAL);
    /* no tokenizer in this file */
    size_t n = 0;
    ck_assert_int_eq(sm_tokenize(m, "hi", 2, 0, NULL, 0, &n), SM_E_UNSUPPORTED);
    ck_assert_int_eq(sm_model_token_bos(m), -1);
    sm_model_free(m);
    sm_model_free(NULL);
}
END_TEST

START_TEST(test_model_load_paths)
{
    mspec s = default_llama();
    const char *path = write_model(&s);
    for (int mode = 0; mode < 3; mode++) {
        sm_model_params mp;
        sm_model_params_init(&mp);
        mp.use_mmap = mode != 1;
        mp.use_mlock = mode == 2; /* a refusal (RLIMIT_MEMLOCK) is only a warning */
        sm_model *m = NULL;
        ck_assert_int_eq(sm_model_load(path, &mp, &m), SM_OK);
        ck_assert_int_eq(sm_model_n_layer(m), 2);
        sm_model_free(m);
    }
    unlink(path);
    char err[512];
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    ck_assert_int_eq(sm_model_load("/nonexistent/model.gguf", &mp, &m), SM_E_IO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/model.gguf"));
    ck_assert_ptr_null(m);
    ck_assert_int_eq(sm_model_load(NULL, &mp, &m), SM_E_INVAL);
    ck_assert_int_eq(sm_model_load("x", &mp, NULL), SM_E_INVAL);
}
END_TEST

/* One malformed model per check: the status, and words the message must contain (the key or
 * tensor and the bad value). */
typedef struct bad_case {
    const char *what;
    void (*mutate)(mspec *s);
    sm_status want;
    const char *needle1, *needle2;
} bad_case;

static void m_layers0(mspec *s)
{
    s->n_layer = 0;
}
static void m_layers_huge(mspec *s)
{
    s->n_layer = 1000000;
}
static void m_heads0(mspec *s)
{
    s->n_head = 0;
}
static void m_kv_not_dividing(mspec *s)
{
    s->n_head_kv = 3;
}
static void m_embd_not_multiple(mspec *s)
{
    s->n_head = 5;
}
static void m_ctx_huge(mspec *s)
{
    s->n_ctx = (int64_t)1 << 33;
}
static void m_rope_odd(mspec *s)
{
    s->n_rot = 7;
}
static void m_rope_too_big(mspec *s)
{
    s->n_rot = 16;
}
static void m_embd_shape(mspec *s)
{
    s->embd_rows_ne0 = 16;
}
static void m_vocab_key(mspec *s)
{
    s->vocab_size_key = 41;
}
static void m_missing_tensor(mspec *s)
{
    s->drop_tensor = "blk.1.ffn_down.weight";
}
static void m_unsupported_type(mspec *s)
{
    s->retype_tensor = "blk.0.attn_q.weight", s->retype = 6;
}
static void m_f16_norm(mspec *s)
{
    s->retype_tensor = "blk.0.attn_norm.weight", s->retype = 1;
}
static void m_arch(mspec *s)
{
    s->arch = "mamba";
}
static void m_key_type(mspec *s)
{
    s->block_count_as_string = 1;
}
static void m_ff0(mspec *s)
{
    s->ff_key_zero = 1;
}
static void m_tokens_past_embd(mspec *s)
{
    s->n_tokens = 41;
}
static void m_eos_past_tokens(mspec *s)
{
    s->n_tokens = 30, s->has_eos_key = 1, s->eos_id = 30;
}
static void m_no_tokens(mspec *s)
{
    s->n_tokens = 30, s->no_tokens_key = 1;
}

static const bad_case bad_cases[] = {
    {"n_layer 0", m_layers0, SM_E_FORMAT, "llama.block_count", "0"},
    {"n_layer 10^6", m_layers_huge, SM_E_FORMAT, "llama.block_count", "1000000"},
    {"n_head 0", m_heads0, SM_E_FORMAT, "llama.attention.head_count", "0"},
    {"n_head_kv 3 of 4", m_kv_not_dividing, SM_E_FORMAT, "head_count_kv", "3"},
    {"n_embd % n_head", m_embd_not_multiple, SM_E_FORMAT, "embedding_length", "32"},
    {"context_length 2^33", m_ctx_huge, SM_E_FORMAT, "llama.context_length", "8589934592"},
    {"rope dims odd", m_rope_odd, SM_E_FORMAT, "rope.dimension_count", "7"},
    {"rope dims > head_dim", m_rope_too_big, SM_E_FORMAT, "rope.dimension_count", "16"},
    {"token_embd shape", m_embd_shape, SM_E_FORMAT, "token_embd.weight", "16"},
    {"vocab_size key", m_vocab_key, SM_E_FORMAT, "vocab_size", "41"},
    {"missing tensor", m_missing_tensor, SM_E_FORMAT, "blk.1.ffn_down.weight", "missing"},
    {"unsupported weight type", m_unsupported_type, SM_E_UNSUPPORTED, "blk.0.attn_q.weight",
     "Q5_0"},
    {"F16 norm", m_f16_norm, SM_E_UNSUPPORTED, "blk.0.attn_norm.weight", "F16"},
    {"unknown architecture", m_arch, SM_E_UNSUPPORTED, "general.architecture", "mamba"},
    {"block_count as string", m_key_type, SM_E_FORMAT, "llama.block_count", "string"},
    {"n_ff 0", m_ff0, SM_E_FORMAT, "feed_forward_length", "0"},
    {"41 tokens, 40 embedding rows", m_tokens_past_embd, SM_E_FORMAT, "tokenizer.ggml.tokens",
     "41"},
    {"eos id = n_tokens < n_vocab", m_eos_past_tokens, SM_E_FORMAT, "tokenizer.ggml.eos_token_id",
     "30"},
    /* found by fuzz/fuzz_model_load: it was SM_E_NOT_FOUND, not a status of sm_model_load */
    {"tokenizer.ggml.model without tokens", m_no_tokens, SM_E_FORMAT, "tokenizer.ggml.tokens",
     "no "},
};

START_TEST(test_model_malformed)
{
    const bad_case *c = &bad_cases[_i];
    mspec s = default_llama();
    c->mutate(&s);
    char err[512] = "";
    sm_model *m = NULL;
    sm_status st = load(&s, err, sizeof err, &m);
    ck_assert_msg(st == c->want, "%s: got %s, want %s (%s)", c->what, sm_status_name(st),
                  sm_status_name(c->want), err);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, c->needle1) && strstr(err, c->needle2),
                  "%s: message '%s' should name '%s' and '%s'", c->what, err, c->needle1,
                  c->needle2);
    ck_assert_msg(strstr(err, "sm_test_model_"), "%s: message '%s' should name the file", c->what,
                  err);
}
END_TEST

/* A tied llama (no output.weight) loads and uses the embedding as the output. */
START_TEST(test_model_tied_output)
{
    mspec s = default_llama();
    s.tied = 1;
    char err[512];
    sm_model *m = NULL;
    ck_assert_msg(load(&s, err, sizeof err, &m) == SM_OK, "%s", err);
    sm_model_free(m);
}
END_TEST

/* The logits of a fixed token sequence on a fresh 1-thread context, into out[n_vocab]. */
static void last_logits(sm_model *m, float *out)
{
    static const int32_t toks[] = {3, 1, 4, 1, 5, 9, 2, 6};
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    sm_context *c = NULL;
    ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
    sm_status st = sm_eval(c, toks, (int)(sizeof toks / sizeof toks[0]));
    ck_assert_msg(st == SM_OK, "sm_eval: %s", sm_context_errmsg(c));
    const float *l = sm_get_logits(c, -1);
    ck_assert_ptr_nonnull(l);
    memcpy(out, l, (size_t)sm_model_n_vocab(m) * sizeof *out);
    sm_context_free(c);
}

static sm_model *load_file_bytes(const uint8_t *bytes, size_t size)
{
    return sm_test_load_bytes(bytes, size, "sm_test_model_");
}

/* The same bytes from a file and from a buffer give the same model: hyper-parameters and
 * logits; and the buffer is copied, so wiping and freeing it right after the load changes
 * nothing. Run for both architectures, with mlock on and off. */
START_TEST(test_model_load_buffer_equals_file)
{
    sm_tm_spec spec;
    sm_tm_spec_default(&spec, _i < 2 ? SM_REF_GPT2 : SM_REF_LLAMA);
    sm_tm_model *tm = NULL;
    char err[512];
    ck_assert_msg(sm_tm_build(&spec, &tm, err, sizeof err) == 0, "%s", err);
    uint8_t *bytes = NULL;
    size_t size = 0;
    ck_assert_int_eq(sm_tm_gguf_bytes(tm, &bytes, &size), 0);
    sm_tm_free(tm);

    sm_model *mf = load_file_bytes(bytes, size);
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    mp.use_mlock = _i % 2; /* a refusal (RLIMIT_MEMLOCK) is only a warning */
    sm_model *mb = NULL;
    sm_status st = sm_model_load_buffer(bytes, size, &mp, &mb);
    ck_assert_msg(st == SM_OK, "load from buffer: %s (%s)", sm_status_name(st), err);
    memset(bytes, 0xA5, size);
    free(bytes);

    ck_assert_str_eq(sm_model_arch(mb), sm_model_arch(mf));
    ck_assert_str_eq(sm_model_arch(mb), _i < 2 ? "gpt2" : "llama");
    ck_assert_int_eq(sm_model_n_vocab(mb), spec.n_vocab);
    ck_assert_int_eq(sm_model_n_ctx_train(mb), spec.n_ctx);
    ck_assert_int_eq(sm_model_n_embd(mb), spec.n_embd);
    ck_assert_int_eq(sm_model_n_layer(mb), spec.n_layer);
    ck_assert_int_eq(sm_model_n_head(mb), spec.n_head);
    ck_assert_int_eq(sm_model_n_head_kv(mb), sm_model_n_head_kv(mf));
    ck_assert_uint_eq(sm_model_n_params(mb), sm_tm_n_params(&spec));
    ck_assert_uint_eq(sm_model_n_params(mb), sm_model_n_params(mf));
    ck_assert_uint_eq(sm_model_size_bytes(mb), sm_model_size_bytes(mf));

    size_t nv = (size_t)spec.n_vocab;
    float *lf = malloc(nv * sizeof *lf), *lb = malloc(nv * sizeof *lb);
    ck_assert_ptr_nonnull(lf);
    ck_assert_ptr_nonnull(lb);
    last_logits(mf, lf);
    last_logits(mb, lb);
    ck_assert_msg(memcmp(lf, lb, nv * sizeof *lf) == 0, "logits from a buffer differ");
    free(lf);
    free(lb);
    sm_model_free(mf);
    sm_model_free(mb);
}
END_TEST

START_TEST(test_model_load_buffer_errors)
{
    char err[512];
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    static const uint8_t junk[64] = "PK\x03\x04 a zip, not a GGUF file";
    ck_assert_int_eq(sm_model_load_buffer(NULL, 16, &mp, &m), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "data"));
    ck_assert_int_eq(sm_model_load_buffer(junk, sizeof junk, &mp, NULL), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "out"));
    ck_assert_int_eq(sm_model_load_buffer(junk, 0, &mp, &m), SM_E_IO);
    ck_assert_ptr_nonnull(strstr(err, "<memory>"));
    ck_assert_ptr_null(m);
    /* NULL params: the defaults, and no message to read */
    ck_assert_int_eq(sm_model_load_buffer(junk, 0, NULL, &m), SM_E_IO);
    ck_assert_ptr_null(m);

    /* A well-formed container whose meaning is wrong, and bytes that are no container. */
    mspec s = default_llama();
    s.n_head = 0;
    const char *path = write_model(&s);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t cap = (size_t)1 << 20;
    uint8_t *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    unlink(path);
    ck_assert_uint_lt(n, cap);
    ck_assert_int_eq(sm_model_load_buffer(buf, n, &mp, &m), SM_E_FORMAT);
    ck_assert_msg(strstr(err, "<memory>") && strstr(err, "llama.attention.head_count"), "%s", err);
    ck_assert_int_eq(sm_model_load_buffer(junk, sizeof junk, &mp, &m), SM_E_FORMAT);
    ck_assert_msg(strstr(err, "<memory>"), "%s", err);
    ck_assert_int_eq(sm_model_load_buffer(buf, 20, &mp, &m), SM_E_FORMAT); /* cut short */
    ck_assert_msg(strstr(err, "<memory>"), "%s", err);
    ck_assert_ptr_null(m);
    free(buf);
}
END_TEST

/* Special-token ids are checked against the tokenizer's n_tokens (test_tokenizer.c, row 16), and
 * n_tokens against the embedding's n_vocab rows, so every id the model hands out has a row. The
 * tokenizer may be shorter than the embedding (padded rows). */
START_TEST(test_model_tokenizer_within_vocab)
{
    static const struct {
        int n_tokens;
        uint32_t eos;
    } ok[] = {{40, 39}, {30, 29}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        mspec s = default_llama();
        s.n_tokens = ok[i].n_tokens, s.has_eos_key = 1, s.eos_id = ok[i].eos;
        char err[512] = "";
        sm_model *m = NULL;
        ck_assert_msg(load(&s, err, sizeof err, &m) == SM_OK, "%d tokens: %s", s.n_tokens, err);
        ck_assert_int_eq(sm_model_n_vocab(m), 40);
        ck_assert_int_eq(sm_model_token_eos(m), (int32_t)ok[i].eos);
        ck_assert_int_eq(sm_model_token_bos(m), 1); /* llama's default, which fits */
        sm_model_free(m);
    }
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, test_model_valid_llama_and_getters);
    tcase_add_test(tc, test_model_load_paths);
    tcase_add_loop_test(tc, test_model_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_model_tied_output);
    tcase_add_test(tc, test_model_tokenizer_within_vocab);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("buffer");
    tcase_add_loop_test(tb, test_model_load_buffer_equals_file, 0, 4);
    tcase_add_test(tb, test_model_load_buffer_errors);
    suite_add_tcase(s, tb);
    return s;
}

int main(void)
{
    return sm_test_run(model_suite());
}
