/* SPDX-License-Identifier: MIT */
/* test_malformed.c: the malformed-model corpus of ../shared/GGUF-HARDENING.md through the
 * public API. One table lists every case with its row: a generated file (a valid tiny model with
 * one thing wrong) loaded from disk (sm_model_load, mmap) and from memory (sm_model_load_buffer),
 * or an API call with bad integers; each is held to its status and to the words its message must
 * hold (the key or tensor, and the bad value). Then: truncation of a valid model at every field
 * boundary (and one byte either side), each cut naming the field it cut; the resource bounds (a
 * KV cache larger than memory); and a check that every row 1..22 has a case.
 * test_gguf.c, test_model.c and test_tokenizer.c test the same rows against the layers below
 * (parser, binder, vocabulary); this file holds the whole library to them. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/gguf_writer.h"
#include "sm_test.h"
#include "sm_test_raw.h"
#include "sm_test_tmp.h"
#include "smallmind.h"

/* ---- GGUF numbers, from the specification -------------------------------------------------- */

enum {
    VT_U8 = 0,
    VT_I8 = 1,
    VT_U16 = 2,
    VT_I16 = 3,
    VT_U32 = 4,
    VT_I32 = 5,
    VT_F32 = 6,
    VT_BOOL = 7,
    VT_STRING = 8,
    VT_ARRAY = 9,
    VT_U64 = 10,
    VT_I64 = 11,
    VT_F64 = 12
};
enum { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q4_K = 12, T_I8 = 24 };
/* Token types, as llama.cpp numbers them. */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_BYTE = 6 };

/* ---- the base model ----------------------------------------------------------------------- */

/* A tiny llama: every case starts from it and changes one thing. The weights are zeros (the
 * loader never reads values), so the data section holds no structure a cut could hide in. */
typedef struct spec {
    const char *arch;
    int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, n_rot, n_vocab;
    int64_t tensor_layers;  /* layers whose tensors are written (-1: n_layer, capped at 4) */
    int64_t key_length;     /* llama.attention.key_length when > 0 */
    int64_t value_length;   /* llama.attention.value_length when > 0 */
    int64_t vocab_size_key; /* llama.vocab_size when > 0 */
    uint32_t wtype;         /* the matrices' type: T_F32 or T_Q4_0 */
    int tied;               /* no output.weight */
    int tokenizer;          /* write the base tokenizer */
    const char *reshape;    /* this tensor is written with extents reshape_ne */
    int64_t reshape_ne[2];
    const char *retype; /* this tensor is stored as type retype_to */
    uint32_t retype_to;
    int64_t n_ff_key; /* llama.feed_forward_length says this when > 0 (the tensors: n_ff) */
} spec;

static spec base_spec(void)
{
    spec s = {.arch = "llama",
              .n_embd = 32,
              .n_layer = 1,
              .n_head = 4,
              .n_head_kv = 2,
              .n_ff = 64,
              .n_ctx = 64,
              .n_rot = 8,
              .n_vocab = 16,
              .tensor_layers = -1,
              .wtype = T_F32,
              .tokenizer = 1};
    return s;
}

/* The base tokenizer: 16 SentencePiece tokens, one per embedding row. */
enum { N_TOK = 16 };
static const char *const base_tokens[N_TOK] = {
    "<unk>", "<s>", "</s>", "<0x0A>", "\u2581", "\u2581a", "a", "b",
    "c",     "ab",  "bc",   "abc",    "x",      "y",       "z", "xyz"};
static const int32_t base_types[N_TOK] = {
    TT_UNKNOWN, TT_CONTROL, TT_CONTROL, TT_BYTE,   TT_NORMAL, TT_NORMAL, TT_NORMAL, TT_NORMAL,
    TT_NORMAL,  TT_NORMAL,  TT_NORMAL,  TT_NORMAL, TT_NORMAL, TT_NORMAL, TT_NORMAL, TT_NORMAL};

static void base_scores(float *sc)
{
    for (int i = 0; i < N_TOK; i++)
        sc[i] = i < 4 ? 0.0f : -(float)i;
}

static void tokenizer_keys(sm_gw *w)
{
    float sc[N_TOK];
    base_scores(sc);
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", base_tokens, N_TOK);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", sc, N_TOK);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", base_types, N_TOK);
    sm_gw_kv_u32(w, "tokenizer.ggml.bos_token_id", 1);
    sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", 2);
}

static void model_keys(sm_gw *w, const spec *s)
{
    char key[128];
    sm_gw_kv_str(w, "general.architecture", s->arch);
    sm_gw_kv_str(w, "general.name", "malformed-base");
#define KEY(suffix) (snprintf(key, sizeof key, "%s.%s", s->arch, suffix), key)
    sm_gw_kv_u64(w, KEY("context_length"), (uint64_t)s->n_ctx);
    sm_gw_kv_u32(w, KEY("embedding_length"), (uint32_t)s->n_embd);
    sm_gw_kv_u64(w, KEY("block_count"), (uint64_t)s->n_layer);
    sm_gw_kv_u32(w, KEY("feed_forward_length"),
                 (uint32_t)(s->n_ff_key > 0 ? s->n_ff_key : s->n_ff));
    sm_gw_kv_u32(w, KEY("attention.head_count"), (uint32_t)s->n_head);
    sm_gw_kv_u32(w, KEY("attention.head_count_kv"), (uint32_t)s->n_head_kv);
    sm_gw_kv_u32(w, KEY("rope.dimension_count"), (uint32_t)s->n_rot);
    sm_gw_kv_f32(w, KEY("rope.freq_base"), 10000.0f);
    sm_gw_kv_f32(w, KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    if (s->key_length > 0)
        sm_gw_kv_u32(w, KEY("attention.key_length"), (uint32_t)s->key_length);
    if (s->value_length > 0)
        sm_gw_kv_u32(w, KEY("attention.value_length"), (uint32_t)s->value_length);
    if (s->vocab_size_key > 0)
        sm_gw_kv_u32(w, KEY("vocab_size"), (uint32_t)s->vocab_size_key);
#undef KEY
    if (s->tokenizer)
        tokenizer_keys(w);
}

/* Bytes of @p rows rows of @p ne0 elements of type @p type. */
static size_t tensor_bytes(uint32_t type, int64_t ne0, int64_t rows)
{
    size_t n = (size_t)ne0 * (size_t)rows;
    switch (type) {
    case T_Q4_0:
        return n / 32 * 18;
    case 6: /* Q5_0 */
        return n / 32 * 22;
    case T_F16:
        return 2 * n;
    default: /* F32; the cases with other types fail before their bytes matter */
        return 4 * n;
    }
}

static void add_tensor(sm_gw *w, const spec *s, const char *name, uint32_t type, int64_t ne0,
                       int64_t ne1)
{
    int64_t ne[2] = {ne0, ne1};
    if (s->reshape && strcmp(name, s->reshape) == 0) {
        ne[0] = s->reshape_ne[0];
        ne[1] = s->reshape_ne[1];
    }
    if (s->retype && strcmp(name, s->retype) == 0)
        type = s->retype_to;
    uint32_t n_dims = ne[1] ? 2 : 1;
    size_t bytes = tensor_bytes(type, ne[0], ne[1] ? ne[1] : 1);
    void *z = calloc(bytes ? bytes : 1, 1);
    ck_assert_ptr_nonnull(z);
    sm_gw_tensor(w, name, type, n_dims, ne, z, bytes);
    free(z);
}

static void model_tensors(sm_gw *w, const spec *s)
{
    int64_t e = s->n_embd, hd = s->n_head ? s->n_embd / s->n_head : 1;
    int64_t kv = hd * s->n_head_kv;
    int64_t layers = s->tensor_layers >= 0 ? s->tensor_layers : s->n_layer < 4 ? s->n_layer : 4;
    add_tensor(w, s, "token_embd.weight", s->wtype, e, s->n_vocab);
    for (int64_t l = 0; l < layers; l++) {
        char n[64];
#define T(suffix, type, a, b)                                                                      \
    (snprintf(n, sizeof n, "blk.%lld." suffix, (long long)l), add_tensor(w, s, n, type, a, b))
        T("attn_norm.weight", T_F32, e, 0);
        T("attn_q.weight", s->wtype, e, e);
        T("attn_k.weight", s->wtype, e, kv);
        T("attn_v.weight", s->wtype, e, kv);
        T("attn_output.weight", s->wtype, e, e);
        T("ffn_norm.weight", T_F32, e, 0);
        T("ffn_gate.weight", s->wtype, e, s->n_ff);
        T("ffn_up.weight", s->wtype, e, s->n_ff);
        T("ffn_down.weight", s->wtype, s->n_ff, e);
#undef T
    }
    add_tensor(w, s, "output_norm.weight", T_F32, e, 0);
    if (!s->tied)
        add_tensor(w, s, "output.weight", s->wtype, e, s->n_vocab);
}

static void build_spec(sm_gw *w, const spec *s)
{
    model_keys(w, s);
    model_tensors(w, s);
}

static uint8_t *gw_finish(sm_gw *w, size_t *n)
{
    uint8_t *b = NULL;
    ck_assert_int_eq(sm_gw_bytes(w, &b, n), 0);
    sm_gw_free(w);
    return b;
}

/* ---- loading, and the log ----------------------------------------------------------------- */

/* The last error the library logged (sm_context_create and sm_sampler_create report there). */
typedef struct log_capture {
    char last[1024];
    int n_errors;
} log_capture;

static void capture_log(void *user_data, sm_log_level level, const char *message)
{
    log_capture *c = user_data;
    if (level == SM_LOG_ERROR) {
        snprintf(c->last, sizeof c->last, "%s", message);
        c->n_errors++;
    }
}

static sm_status load_buffer(const uint8_t *b, size_t n, sm_model **m, char *msg, size_t len)
{
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.errbuf = msg;
    mp.errbuf_len = len;
    *m = NULL;
    return sm_model_load_buffer(b, n, &mp, m);
}

/* Writes the bytes to a temporary file and loads it (mmap, or read with @p use_mmap 0). */
static sm_status load_file(const uint8_t *b, size_t n, int use_mmap, sm_model **m, char *path,
                           size_t path_len, char *msg, size_t len)
{
    sm_test_make_temp(path, path_len, "sm_malformed_");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = use_mmap;
    mp.errbuf = msg;
    mp.errbuf_len = len;
    *m = NULL;
    sm_status st = sm_model_load(path, &mp, m);
    unlink(path);
    return st;
}

static sm_model *load_spec_ok(const spec *s)
{
    sm_gw *w = sm_gw_create(3);
    build_spec(w, s);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    char msg[512] = "";
    sm_model *m = NULL;
    sm_status st = load_buffer(b, n, &m, msg, sizeof msg);
    free(b);
    ck_assert_msg(st == SM_OK, "base model: %s (%s)", sm_status_name(st), msg);
    return m;
}

/* ---- rows 1-13: the container -------------------------------------------------------------- */

/* The base's record counts: 11 general and llama keys and 6 tokenizer keys; 12 tensors (the
 * embedding, 9 per layer, the final norm, the output). test_malformed_controls loads a file
 * whose header states them explicitly, so a miscount fails there. */
enum { BASE_N_KV = 17, BASE_N_TENSORS = 12 };

static void b_base(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    build_spec(w, &s);
}

static void b_n_tensors(sm_gw *w, uint64_t arg)
{
    b_base(w, 0);
    sm_gw_set_counts(w, arg, BASE_N_KV);
}

static void b_n_kv(sm_gw *w, uint64_t arg)
{
    b_base(w, 0);
    sm_gw_set_counts(w, BASE_N_TENSORS, arg);
}

/* One kv more than written and no tensors: the first tensor info is read as a key/value. */
static void b_n_kv_plus_one(sm_gw *w, uint64_t arg)
{
    (void)arg;
    b_base(w, 0);
    sm_gw_set_counts(w, 0, BASE_N_KV + 1);
}

/* A first record whose key length field says @p arg, followed by "abc", type u32, a value. */
static void b_key_len(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 8);
    raw_text(&r, "abc");
    raw_le(&r, VT_U32, 4);
    raw_le(&r, 7, 4);
    sm_gw_kv_bytes(w, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* general.description first, with a length field of @p arg and 3 bytes. */
static void b_str_len(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 8);
    raw_text(&r, "abc");
    sm_gw_kv_raw(w, "general.description", VT_STRING, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* A 300-byte string as the last key/value; the patch cuts the file in its middle. */
static void b_long_string_last(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    model_keys(w, &s);
    char text[301];
    memset(text, 's', 300);
    text[300] = '\0';
    sm_gw_kv_str(w, "general.description", text);
    model_tensors(w, &s);
}

/* Cuts the file after 150 of the 300 's' of b_long_string_last. */
static void p_cut_mid_string(uint8_t *b, size_t *n, uint64_t arg)
{
    (void)arg;
    size_t run = 0;
    for (size_t i = 0; i < *n; i++) {
        run = b[i] == 's' ? run + 1 : 0;
        if (run == 150) {
            *n = i + 1;
            return;
        }
    }
    ck_abort_msg("no string to cut");
}

/* An array of @p arg u64 holding two. */
static void b_arr_count(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_U64, 4);
    raw_le(&r, arg, 8);
    raw_le(&r, 1, 8);
    raw_le(&r, 2, 8);
    sm_gw_kv_raw(w, "arr", VT_ARRAY, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* tokenizer.ggml.tokens as an array of @p arg strings holding one, in place of the base's. */
static void b_tokens_count(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_STRING, 4);
    raw_le(&r, arg, 8);
    raw_le(&r, 1, 8);
    raw_text(&r, "a");
    sm_gw_kv_raw(w, "tokenizer.ggml.tokens", VT_ARRAY, r.p, r.n);
    free(r.p);
    spec s = base_spec();
    s.tokenizer = 0;
    build_spec(w, &s);
}

/* A string array whose second string claims @p arg bytes. */
static void b_str_arr_elem(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_STRING, 4);
    raw_le(&r, 2, 8);
    raw_le(&r, 2, 8);
    raw_text(&r, "ab");
    raw_le(&r, arg, 8);
    raw_text(&r, "xyz");
    sm_gw_kv_raw(w, "general.tags", VT_ARRAY, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* Arrays of arrays nested @p arg deep around an array of one u32. */
static void b_nested(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(arg * 12 + 64);
    for (uint64_t i = 0; i < arg; i++) {
        raw_le(&r, VT_ARRAY, 4);
        raw_le(&r, 1, 8);
    }
    raw_le(&r, VT_U32, 4);
    raw_le(&r, 1, 8);
    raw_le(&r, 7, 4);
    sm_gw_kv_raw(w, "nest", VT_ARRAY, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

static void b_kv_type(sm_gw *w, uint64_t arg)
{
    const uint8_t v[8] = {0};
    sm_gw_kv_raw(w, "k", (uint32_t)arg, v, sizeof v);
    b_base(w, 0);
}

static void b_arr_elem_type(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 4);
    raw_le(&r, 1, 8);
    raw_le(&r, 0, 8);
    sm_gw_kv_raw(w, "k", VT_ARRAY, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* A raw tensor info put first (offset 0 of the data), 4 KiB of data behind it, then the base's
 * tensors. The parser meets the raw one before any of the model's. */
static void raw_tensor_first(sm_gw *w, const char *name, uint32_t n_dims, const int64_t *ne,
                             uint32_t type, uint64_t offset)
{
    spec s = base_spec();
    model_keys(w, &s);
    uint64_t ne_u[4];
    size_t n_ne = n_dims < 4 ? n_dims : 4;
    for (size_t d = 0; d < n_ne; d++)
        ne_u[d] = (uint64_t)ne[d];
    sm_gw_tensor_raw(w, name, n_dims, ne_u, n_ne, type, offset);
    uint8_t *z = calloc(1, 4096);
    ck_assert_ptr_nonnull(z);
    sm_gw_data(w, z, 4096);
    free(z);
    model_tensors(w, &s);
}

static void b_tensor_type(sm_gw *w, uint64_t arg)
{
    const int64_t ne[1] = {256};
    raw_tensor_first(w, "t", 1, ne, (uint32_t)arg, 0);
}

/* A model whose blk.0.attn_q.weight is stored as ggml type @p arg (Q5_0 = 6 and F16 = 1 are
 * types ggml defines that the runtime does not compute with there). */
static void b_weight_type(sm_gw *w, uint64_t arg)
{
    spec s = base_spec();
    s.retype = arg == T_F16 ? "blk.0.attn_norm.weight" : "blk.0.attn_q.weight";
    s.retype_to = (uint32_t)arg;
    build_spec(w, &s);
}

static void b_arch(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    s.arch = "mamba";
    build_spec(w, &s);
}

static void b_dup_key(sm_gw *w, uint64_t arg)
{
    (void)arg;
    b_base(w, 0);
    sm_gw_kv_str(w, "general.architecture", "gpt2");
}

static void b_dup_tensor(sm_gw *w, uint64_t arg)
{
    (void)arg;
    b_base(w, 0);
    spec s = base_spec();
    add_tensor(w, &s, "token_embd.weight", T_F32, 32, 16);
}

/* A first tensor named by @p arg bytes of 'n' (0 = empty). */
static void b_name_len(sm_gw *w, uint64_t arg)
{
    char name[300];
    memset(name, 'n', (size_t)arg);
    name[arg] = '\0';
    const int64_t ne[1] = {8};
    raw_tensor_first(w, name, 1, ne, T_F32, 0);
}

static void b_n_dims(sm_gw *w, uint64_t arg)
{
    const int64_t ne[4] = {4, 1, 1, 1};
    raw_tensor_first(w, "t", (uint32_t)arg, ne, T_F32, 0);
}

/* Extents and a type for the shape cases (rows 8-10). */
typedef struct shape {
    uint32_t n_dims;
    int64_t ne[4];
    uint32_t type;
} shape;

static const shape shapes[] = {
    /* 0-3: a zero in each position; 4-5: negative */
    {4, {0, 2, 2, 2}, T_F32},
    {4, {2, 0, 2, 2}, T_F32},
    {4, {2, 2, 0, 2}, T_F32},
    {4, {2, 2, 2, 0}, T_F32},
    {1, {-1, 1, 1, 1}, T_F32},
    {2, {4, INT64_MIN, 1, 1}, T_F32},
    /* 6: element count overflows int64 (#27203); 7: bytes = 2^64 (F32, 4 bytes each); 8: a 4-D
     * product of 2^64 elements; 9: dim 2^42 + 1 (#18674) x 2^22 */
    {4, {INT64_MAX, 2, 1, 1}, T_I8},
    {1, {(int64_t)1 << 62, 1, 1, 1}, T_F32},
    {4, {65536, 65536, 65536, 65536}, T_F32},
    {2, {((int64_t)1 << 42) + 1, (int64_t)1 << 22, 1, 1}, T_I8},
    /* 10-12: rows not a multiple of the block */
    {1, {33, 1, 1, 1}, T_Q4_0},
    {1, {1, 1, 1, 1}, T_Q8_0},
    {2, {255, 2, 1, 1}, T_Q4_K},
};

static void b_shape(sm_gw *w, uint64_t arg)
{
    const shape *s = &shapes[arg];
    raw_tensor_first(w, "blk.9.attn_q.weight", s->n_dims, s->ne, s->type, 0);
}

/* The model's matrices as Q4_K, whose 256-element blocks a row of 32 cannot hold. */
static void b_model_q4k(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    s.wtype = T_Q4_K;
    build_spec(w, &s);
}

/* Two tensors of 2^61 F32 (2^63 bytes each): the second one's end passes 2^64. */
static void b_sum_overflow(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    model_keys(w, &s);
    const uint64_t ne[1] = {(uint64_t)1 << 61};
    sm_gw_tensor_raw(w, "a", 1, ne, 1, T_F32, 0);
    sm_gw_tensor_raw(w, "b", 1, ne, 1, T_F32, (uint64_t)1 << 63);
    model_tensors(w, &s);
}

/* general.alignment = arg as u32, first. */
static void b_alignment(sm_gw *w, uint64_t arg)
{
    sm_gw_kv_u32(w, "general.alignment", (uint32_t)arg);
    b_base(w, 0);
}

/* general.alignment = 32 stored as another type. */
static void b_alignment_type(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    if (arg == VT_STRING) {
        raw_le(&r, 2, 8);
        raw_text(&r, "32");
    } else {
        raw_le(&r, 32, arg == VT_U64 ? 8 : 4);
    }
    sm_gw_kv_raw(w, "general.alignment", (uint32_t)arg, r.p, r.n);
    free(r.p);
    b_base(w, 0);
}

/* A valid model laid out with alignment @p arg, which general.alignment states. */
static void b_alignment_ok(sm_gw *w, uint64_t arg)
{
    sm_gw_set_alignment(w, (uint32_t)arg);
    sm_gw_kv_u32(w, "general.alignment", (uint32_t)arg);
    b_base(w, 0);
}

/* Two 16-element F32 tensors "t0" and "t1" (64 bytes each) first, at the offsets of case @p arg
 * (192 bytes of data behind them), then the model's. */
static const uint64_t offset_pairs[][2] = {
    {0, 32},              /* 0: overlap */
    {0, 128},             /* 1: gap */
    {8, 72},              /* 2: not a multiple of the alignment */
    {64, 0},              /* 3: out of order */
    {UINT64_MAX - 31, 0}, /* 4: offset + size wraps */
};

static void b_offsets(sm_gw *w, uint64_t arg)
{
    spec s = base_spec();
    model_keys(w, &s);
    const uint64_t ne[1] = {16};
    sm_gw_tensor_raw(w, "t0", 1, ne, 1, T_F32, offset_pairs[arg][0]);
    sm_gw_tensor_raw(w, "t1", 1, ne, 1, T_F32, offset_pairs[arg][1]);
    uint8_t z[192] = {0};
    sm_gw_data(w, z, sizeof z);
    model_tensors(w, &s);
}

/* A Q8_0 tensor of 64 elements (68 bytes) whose neighbour starts 64 bytes after it: it would
 * read 4 of the neighbour's bytes (ik_llama PR #2437). */
static void b_short_reservation(sm_gw *w, uint64_t arg)
{
    (void)arg;
    spec s = base_spec();
    model_keys(w, &s);
    const uint64_t ne[1] = {64};
    sm_gw_tensor_raw(w, "q", 1, ne, 1, T_Q8_0, 0);
    sm_gw_tensor_raw(w, "next", 1, ne, 1, T_F32, 64);
    uint8_t z[512] = {0};
    sm_gw_data(w, z, sizeof z);
    model_tensors(w, &s);
}

/* A last tensor of 4 MiB whose bytes the file does not hold. */
static void b_tensor_past_end(sm_gw *w, uint64_t arg)
{
    (void)arg;
    b_base(w, 0);
    uint64_t at = (sm_gw_data_size(w) + 31) / 32 * 32;
    uint8_t z[32] = {0};
    sm_gw_data(w, z, (size_t)(at - sm_gw_data_size(w)));
    const uint64_t ne[1] = {(uint64_t)1 << 20};
    sm_gw_tensor_raw(w, "big", 1, ne, 1, T_F32, at);
}

static void b_empty(sm_gw *w, uint64_t arg)
{
    (void)w;
    (void)arg;
}

/* ---- rows 14-18: the tokenizer --------------------------------------------------------------
 */

/* The base model with the tokenizer keys written by the case. */
static void model_without_tokenizer(sm_gw *w, void (*tok)(sm_gw *w, uint64_t arg), uint64_t arg)
{
    spec s = base_spec();
    s.tokenizer = 0;
    model_keys(w, &s);
    tok(w, arg);
    model_tensors(w, &s);
}

/* tokens, and scores (arg 0: 15 of them) or token_type (arg 1: 17 of them). */
static void t_lengths(sm_gw *w, uint64_t arg)
{
    float sc[N_TOK + 1];
    base_scores(sc);
    int32_t ty[N_TOK + 1];
    memcpy(ty, base_types, sizeof base_types);
    ty[N_TOK] = TT_NORMAL;
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", base_tokens, N_TOK);
    if (arg == 0)
        sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", sc, N_TOK - 1);
    else
        sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", ty, N_TOK + 1);
}

static void b_tok_lengths(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_lengths, arg);
}

/* One tokenizer array with the wrong element type: arg = key index * 16 + element type. */
static const char *const tok_keys[] = {"tokenizer.ggml.scores", "tokenizer.ggml.token_type",
                                       "tokenizer.ggml.tokens"};

static void t_elem_type(sm_gw *w, uint64_t arg)
{
    const char *key = tok_keys[arg / 16];
    uint32_t elem = (uint32_t)(arg % 16);
    float sc[N_TOK];
    base_scores(sc);
    uint8_t zeros[N_TOK * 8] = {0};
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    if (strcmp(key, "tokenizer.ggml.tokens") != 0)
        sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", base_tokens, N_TOK);
    if (elem == VT_STRING)
        sm_gw_kv_arr_str(w, key, base_tokens, N_TOK);
    else
        sm_gw_kv_arr(w, key, elem, zeros, N_TOK);
}

static void b_tok_elem_type(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_elem_type, arg);
}

/* A special-token key: arg = key index * 2^40 + (i32: 2^39) + value bits. */
static const char *const special_keys[] = {
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id",
    "tokenizer.ggml.padding_token_id"};
#define SPECIAL(key, is_i32, v) ((uint64_t)(key) << 40 | (uint64_t)(is_i32) << 39 | (uint32_t)(v))

static void t_special(sm_gw *w, uint64_t arg)
{
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", base_tokens, N_TOK);
    const char *key = special_keys[arg >> 40];
    if (arg >> 39 & 1)
        sm_gw_kv_i32(w, key, (int32_t)(uint32_t)arg);
    else
        sm_gw_kv_u32(w, key, (uint32_t)arg);
}

static void b_special(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_special, arg);
}

/* A tokenizer of @p arg tokens and no special-token keys (the llama defaults apply). */
static void t_n_tokens(sm_gw *w, uint64_t arg)
{
    static const char *const many[N_TOK + 1] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                                "j", "k", "l", "m", "n", "o", "p", "q"};
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", many, (size_t)arg);
}

static void b_n_tokens(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_n_tokens, arg);
}

/* Token 3, typed BYTE, spelled as bad_bytes[arg]. */
static const char *const bad_bytes[] = {"<0x-1>", "<0xZZ>", "<0x100>", "<0x>"};

static void t_byte_token(sm_gw *w, uint64_t arg)
{
    const char *toks[N_TOK];
    memcpy(toks, base_tokens, sizeof toks);
    toks[3] = bad_bytes[arg];
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", toks, N_TOK);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", base_types, N_TOK);
}

static void b_byte_token(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_byte_token, arg);
}

/* The base tokenizer plus a precompiled_charsmap of @p arg bytes (1-3: short of the u32 a
 * reader would take as its header). */
static void b_charsmap(sm_gw *w, uint64_t arg)
{
    const uint8_t blob[3] = {0xff, 0xff, 0xff};
    b_base(w, 0);
    sm_gw_kv_arr(w, "tokenizer.ggml.precompiled_charsmap", VT_U8, blob, (size_t)arg);
}

/* A string array written by hand, so elements may hold NULs and invalid UTF-8. */
static void kv_raw_str_array(sm_gw *w, const char *key, const char *const *s, const size_t *len,
                             size_t n)
{
    size_t total = 4 + 8;
    for (size_t i = 0; i < n; i++)
        total += 8 + len[i];
    raw r = raw_new(total);
    raw_le(&r, VT_STRING, 4);
    raw_le(&r, n, 8);
    for (size_t i = 0; i < n; i++) {
        raw_le(&r, len[i], 8);
        memcpy(r.p + r.n, s[i], len[i]);
        r.n += len[i];
    }
    sm_gw_kv_raw(w, key, VT_ARRAY, r.p, r.n);
    free(r.p);
}

/* Row 19's vocabulary: a token with NULs inside, one of invalid UTF-8, a long one. */
static const char *const piece_tokens[] = {"<unk>",
                                           "<s>",
                                           "</s>",
                                           "a\0b\0",
                                           "\xff\xfe\x80",
                                           "\xc3",
                                           "abcdefghijklmnopqrstuvwxyz0123456789"};
static const size_t piece_lens[] = {5, 3, 4, 4, 3, 1, 36};
enum { N_PIECE = 7 };

static void t_pieces(sm_gw *w, uint64_t arg)
{
    (void)arg;
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    kv_raw_str_array(w, "tokenizer.ggml.tokens", piece_tokens, piece_lens, N_PIECE);
}

static void b_pieces(sm_gw *w, uint64_t arg)
{
    model_without_tokenizer(w, t_pieces, arg);
}

/* ---- row 21: hyper-parameters -------------------------------------------------------------- */

/* One field of the base spec changed: arg = field id * 2^48 + value. */
enum {
    HP_N_LAYER,
    HP_N_HEAD,
    HP_N_HEAD_KV,
    HP_N_CTX,
    HP_N_ROT,
    HP_KEY_LENGTH,
    HP_VALUE_LENGTH,
    HP_VOCAB_SIZE,
    HP_TENSOR_LAYERS,
    HP_N_FF_KEY,
};
#define HP(field, v) ((uint64_t)(field) << 48 | (uint64_t)(v))

static void b_hparam(sm_gw *w, uint64_t arg)
{
    spec s = base_spec();
    int64_t v = (int64_t)(arg & (((uint64_t)1 << 48) - 1));
    switch ((int)(arg >> 48)) {
    case HP_N_LAYER:
        s.n_layer = v;
        break;
    case HP_N_HEAD:
        s.n_head = v;
        break;
    case HP_N_HEAD_KV:
        s.n_head_kv = v;
        break;
    case HP_N_CTX:
        s.n_ctx = v;
        break;
    case HP_N_ROT:
        s.n_rot = v;
        break;
    case HP_KEY_LENGTH:
        s.key_length = v;
        break;
    case HP_VALUE_LENGTH:
        s.value_length = v;
        break;
    case HP_VOCAB_SIZE:
        s.vocab_size_key = v;
        break;
    case HP_TENSOR_LAYERS:
        s.n_layer = v, s.tensor_layers = 1; /* the key says v layers, the tensors 1 */
        break;
    case HP_N_FF_KEY: /* the key says v, the tensors 64 */
        s.n_ff_key = v;
        break;
    default:
        ck_abort_msg("hparam case %llu", (unsigned long long)arg);
    }
    build_spec(w, &s);
}

/* One tensor written with other extents: arg indexes reshapes. */
static const struct {
    const char *name;
    int64_t ne[2];
} reshapes[] = {
    {"token_embd.weight", {16, 16}},     /* 0: ne[0] is not n_embd */
    {"blk.0.attn_k.weight", {32, 32}},   /* 1: n_head_kv 2 means 16 rows */
    {"blk.0.ffn_down.weight", {32, 64}}, /* 2: transposed */
    {"output_norm.weight", {32, 1}},     /* 3: a vector stored as a 2-D tensor */
    {"output.weight", {32, 17}},         /* 4: one row more than token_embd */
};

static void b_reshape(sm_gw *w, uint64_t arg)
{
    spec s = base_spec();
    s.reshape = reshapes[arg].name;
    s.reshape_ne[0] = reshapes[arg].ne[0];
    s.reshape_ne[1] = reshapes[arg].ne[1];
    build_spec(w, &s);
}

/* ---- API cases ----------------------------------------------------------------------------- */

/* Row 2: a key length of exactly the file size + 1, the value named in the message. */
static sm_status a_key_len_file_plus_one(uint64_t arg, char *msg, size_t len)
{
    (void)arg;
    sm_gw *w = sm_gw_create(3);
    b_key_len(w, 3);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    le_put(b + 24, n + 1, 8);
    sm_model *m;
    sm_status st = load_buffer(b, n, &m, msg, len);
    free(b);
    char want[64];
    snprintf(want, sizeof want, "key length %zu at byte 24", n + 1);
    ck_assert_msg(strstr(msg, want) != NULL, "'%s' not in \"%s\"", want, msg);
    ck_assert_ptr_null(m);
    return st;
}

/* Row 19: token_to_piece of texts with NULs, invalid UTF-8 and more bytes than the buffer: the
 * needed size comes back with SM_E_RANGE and nothing is written past the buffer. */
static sm_status a_pieces(uint64_t arg, char *msg, size_t len)
{
    (void)arg;
    sm_gw *w = sm_gw_create(3);
    b_pieces(w, 0);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    sm_model *m;
    sm_status st = load_buffer(b, n, &m, msg, len);
    free(b);
    ck_assert_msg(st == SM_OK, "%s", msg);
    sm_status last = SM_OK;
    for (int32_t id = 3; id < N_PIECE; id++) {
        char buf[64];
        size_t got = 0;
        for (size_t cap = 0; cap <= piece_lens[id]; cap++) {
            memset(buf, '#', sizeof buf);
            st = sm_token_to_piece(m, id, cap ? buf : NULL, cap, &got);
            ck_assert_uint_eq(got, piece_lens[id]);
            ck_assert_int_eq(st, cap < piece_lens[id] ? SM_E_RANGE : SM_OK);
            ck_assert(memcmp(buf, piece_tokens[id], cap) == 0);
            for (size_t i = cap; i < sizeof buf; i++)
                ck_assert_int_eq(buf[i], '#');
            if (cap + 1 == piece_lens[id])
                last = st;
        }
    }
    /* ids outside the vocabulary */
    char buf[8];
    size_t got = 7;
    ck_assert_int_eq(sm_token_to_piece(m, -1, buf, sizeof buf, &got), SM_E_RANGE);
    ck_assert_int_eq(sm_token_to_piece(m, N_PIECE, buf, sizeof buf, &got), SM_E_RANGE);
    ck_assert_int_eq(sm_token_to_piece(m, INT32_MAX, buf, sizeof buf, &got), SM_E_RANGE);
    ck_assert_int_eq(sm_token_to_piece(m, INT32_MIN, buf, sizeof buf, &got), SM_E_RANGE);
    sm_model_free(m);
    return last;
}

/* Whether the build instruments memory (ASan, TSan, MSan): see a_tokenize_huge. */
static int under_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
    return 1;
#else
    return 0;
#endif
#else
    return 0;
#endif
}

/* Row 20: text lengths no buffer can back, refused before the text is read. arg 0: SIZE_MAX;
 * 1: SIZE_MAX / 2; 2: a text of INT32_MAX + 2 bytes that exists (zero pages mapped without
 * backing) under an address-space limit, so the tokenizer's scratch for it cannot be had. */
static sm_status a_tokenize_huge(uint64_t arg, char *msg, size_t len)
{
    (void)msg;
    (void)len;
    spec s = base_spec();
    sm_model *m = load_spec_ok(&s);
    int32_t ids[4];
    size_t got = 0;
    sm_status st;
    if (arg == 2 && under_sanitizer()) {
        /* A sanitizer reserves terabytes of shadow memory, which an address-space limit
         * breaks, and its allocator aborts on a huge request rather than returning NULL: run
         * the refused-before-allocating length instead, and say so. */
        printf("# SKIP text of INT32_MAX + 2 bytes under a sanitizer (RLIMIT_AS)\n");
        arg = 0;
    }
    if (arg < 2) {
        st = sm_tokenize(m, "a", arg == 0 ? SIZE_MAX : SIZE_MAX / 2, 0, ids, 4, &got);
    } else {
        size_t n = (size_t)INT32_MAX + 2;
        const char *text =
            mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        ck_assert(text != MAP_FAILED);
        /* The test runs in its own process (Check forks), so the limit ends with it. 1 GiB more
         * than now: far less than the tokenizer's scratch of tens of bytes per input byte. */
        struct rlimit rl;
        ck_assert_int_eq(getrlimit(RLIMIT_AS, &rl), 0);
        FILE *f = fopen("/proc/self/statm", "r");
        unsigned long pages = 0;
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fscanf(f, "%lu", &pages), 1);
        fclose(f);
        rl.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)1 << 30);
        ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
        st = sm_tokenize(m, text, n, 0, ids, 4, &got);
        munmap((void *)(uintptr_t)text, n);
    }
    sm_model_free(m);
    return st;
}

/* Row 20: the output count is a size_t filled also when the buffer is too small (and may be
 * NULL when n_max is 0); there is no signed n_tokens_max to pass negative. */
static sm_status a_tokenize_count(uint64_t arg, char *msg, size_t len)
{
    (void)arg;
    (void)msg;
    (void)len;
    spec s = base_spec();
    sm_model *m = load_spec_ok(&s);
    size_t got = 0;
    /* "abc abc": ▁ abc ▁ abc at most, at least 2 tokens; BOS first */
    sm_status st = sm_tokenize(m, "abc abc", 7, 1, NULL, 0, &got);
    ck_assert_uint_ge(got, 3);
    int32_t ids[16];
    for (int i = 0; i < 16; i++)
        ids[i] = -9;
    size_t need = got;
    ck_assert_int_eq(sm_tokenize(m, "abc abc", 7, 1, ids, 1, &got), SM_E_RANGE);
    ck_assert_uint_eq(got, need);
    ck_assert_int_eq(ids[0], 1);
    for (int i = 1; i < 16; i++)
        ck_assert_int_eq(ids[i], -9);
    ck_assert_int_eq(sm_tokenize(m, NULL, 5, 0, ids, 16, &got), SM_E_INVAL);
    sm_model_free(m);
    return st;
}

/* A context over the base model (n_threads 1), or the status, with the log's reason in msg. */
static sm_status make_context(sm_model *m, const sm_context_params *cp, sm_context **ctx, char *msg,
                              size_t len)
{
    log_capture cap = {"", 0};
    sm_set_log(capture_log, &cap);
    *ctx = NULL;
    sm_status st = sm_context_create(m, cp, ctx);
    sm_set_log(NULL, NULL);
    snprintf(msg, len, "%s", cap.last);
    return st;
}

/* Row 22: sm_context_create's integers. */
static sm_status a_context_params(uint64_t arg, char *msg, size_t len)
{
    spec s = base_spec();
    sm_model *m = load_spec_ok(&s);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    switch (arg) {
    case 0:
        cp.n_ctx = -1;
        break;
    case 1:
        cp.n_ctx = INT_MAX;
        break;
    case 2:
        cp.n_batch = -1;
        break;
    case 3:
        cp.n_batch = INT_MAX; /* taken as n_ctx */
        break;
    case 4:
        cp.n_threads = -1;
        break;
    case 5:
        cp.kv_type = (sm_kv_type)7;
        break;
    case 6:
        cp.n_ctx = INT_MIN;
        break;
    default:
        ck_abort();
    }
    sm_context *ctx;
    sm_status st = make_context(m, &cp, &ctx, msg, len);
    if (st == SM_OK)
        ck_assert_int_eq(sm_context_n_ctx(ctx), 64);
    else
        ck_assert_ptr_null(ctx);
    sm_context_free(ctx);
    sm_model_free(m);
    return st;
}

/* Row 22: sm_eval's and sm_get_logits' integers, the reason in sm_context_errmsg. */
static sm_status a_eval_params(uint64_t arg, char *msg, size_t len)
{
    spec s = base_spec();
    sm_model *m = load_spec_ok(&s);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    sm_context *ctx;
    ck_assert_int_eq(make_context(m, &cp, &ctx, msg, len), SM_OK);
    int32_t tok[1] = {5};
    sm_status st = SM_OK;
    switch (arg) {
    case 0:
        st = sm_eval(ctx, tok, -1);
        break;
    case 1:
        /* more tokens than the context holds: refused before any id is read, so a count
         * larger than the array cannot make the check itself read past it */
        st = sm_eval(ctx, tok, INT_MAX);
        break;
    case 2:
        tok[0] = -1;
        st = sm_eval(ctx, tok, 1);
        break;
    case 3:
        tok[0] = 16;
        st = sm_eval(ctx, tok, 1);
        break;
    case 4:
    case 5:
        /* sm_get_logits has no status: NULL with the reason in errmsg stands for SM_E_RANGE */
        ck_assert_int_eq(sm_eval(ctx, tok, 1), SM_OK);
        st = sm_get_logits(ctx, arg == 4 ? -2 : INT_MAX) == NULL ? SM_E_RANGE : SM_OK;
        break;
    default:
        ck_abort();
    }
    ck_assert_int_eq(sm_context_n_past(ctx), arg >= 4 ? 1 : 0);
    snprintf(msg, len, "%s", sm_context_errmsg(ctx));
    sm_context_free(ctx);
    sm_model_free(m);
    return st;
}

/* Row 22: sm_sampler_create's integers, the reason in the log. */
static sm_status a_sampler_params(uint64_t arg, char *msg, size_t len)
{
    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    int n_vocab = 16;
    switch (arg) {
    case 0:
        sp.top_k = -1;
        break;
    case 1:
        sp.top_k = INT_MAX; /* more than the vocabulary: all of it */
        break;
    case 2:
        sp.repeat_last_n = -1;
        break;
    case 3:
        sp.repeat_last_n = INT_MAX;
        break;
    case 4:
        n_vocab = 0;
        break;
    case 5:
        n_vocab = INT_MAX;
        break;
    case 6:
        sp.repeat_last_n = 1 << 24; /* the largest taken */
        break;
    default:
        ck_abort();
    }
    sp.temperature = 0; /* greedy, for the check below */
    log_capture cap = {"", 0};
    sm_set_log(capture_log, &cap);
    sm_sampler *smp = (sm_sampler *)&cap; /* must be reset to NULL on failure */
    sm_status st = sm_sampler_create(&sp, n_vocab, &smp);
    sm_set_log(NULL, NULL);
    snprintf(msg, len, "%s", cap.last);
    if (st == SM_OK) {
        /* greedy over a clear winner: the sampler works with the integer it was given */
        float logits[16] = {0};
        logits[11] = 5.0f;
        int32_t t = -1;
        ck_assert_int_eq(sm_sample(smp, logits, 16, &t), SM_OK);
        ck_assert_int_eq(t, 11);
        sm_sampler_accept(smp, t);
        sm_sampler_free(smp);
    } else {
        ck_assert_ptr_null(smp);
    }
    return st;
}

/* Row 22: sm_generate's n_predict (negative: no limit; huge: no limit either) and n_prompt. */
static sm_status a_generate_params(uint64_t arg, char *msg, size_t len)
{
    spec s = base_spec();
    s.n_ctx = 8;
    sm_model *m = load_spec_ok(&s);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    sm_context *ctx;
    ck_assert_int_eq(make_context(m, &cp, &ctx, msg, len), SM_OK);
    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    sp.temperature = 0;
    sm_sampler *smp;
    ck_assert_int_eq(sm_sampler_create(&sp, 16, &smp), SM_OK);
    sm_generate_params gp;
    sm_generate_params_init(&gp);
    const int32_t prompt[2] = {1, 5};
    int n_prompt = 2;
    if (arg == 0)
        gp.n_predict = -5;
    else if (arg == 1)
        gp.n_predict = INT_MAX;
    else
        n_prompt = arg == 2 ? -1 : INT_MIN;
    sm_generate_result res;
    memset(&res, 0, sizeof res);
    sm_status st = sm_generate(ctx, smp, prompt, n_prompt, &gp, &res);
    if (st == SM_OK) {
        /* zero weights: every logit equal, greedy picks id 0, never EOS (2), so the context
         * fills: 8 positions, 2 of them the prompt */
        ck_assert_int_eq(res.stop_reason, SM_STOP_CTX_FULL);
        ck_assert_int_eq(res.n_prompt, 2);
        ck_assert_int_le(res.n_generated, 7);
        ck_assert_int_ge(res.n_generated, 6);
    }
    snprintf(msg, len, "%s", sm_context_errmsg(ctx));
    sm_sampler_free(smp);
    sm_context_free(ctx);
    sm_model_free(m);
    return st;
}

/* Row 22: the sm-run argument parser (the CLI's half of the row; test_cli.sh runs sm-run). */
static const char *const cli_args[][3] = {
    {"sm-run", "-n", "-3"},
    {"sm-run", "--top-k", "-1"},
    {"sm-run", "-c", "-1"},
    {"sm-run", "-c", "99999999999999999999"},
    {"sm-run", "--repeat-last-n", "2147483647"},
    {"sm-run", "-t", "100000"},
    {"sm-run", "-b", "-7"},
    {"sm-run", "-n", "2147483648"},
};

static sm_status a_cli(uint64_t arg, char *msg, size_t len)
{
    sm_cli_args a;
    memset(&a, 0x5a, sizeof a);
    sm_cli_args before = a;
    sm_status st = sm_cli_parse(3, (char *const *)cli_args[arg], &a, msg, len);
    if (st != SM_OK)
        ck_assert(memcmp(&a, &before, sizeof a) == 0); /* out untouched on failure */
    return st;
}

/* Row 21: a KV cache larger than any machine's memory is refused at context creation, before
 * anything is allocated, naming its size. The model is valid: 1024 layers of n_embd 64, one
 * KV head of 64 dims, context_length 2^24 (both at the loader's limits), Q4_0 matrices: 8 TiB
 * of f32 cache (4 TiB f16) at the default n_ctx. arg 0: default n_ctx (f32); 1: f16; 2: n_ctx 64
 * (fits: the control). */
static sm_status a_kv_too_big(uint64_t arg, char *msg, size_t len)
{
    spec s = base_spec();
    s.n_embd = 64;
    s.n_head = 1;
    s.n_head_kv = 1;
    s.n_rot = 64;
    s.n_ff = 32;
    s.n_layer = 1024;
    s.tensor_layers = 1024;
    s.n_ctx = (int64_t)1 << 24;
    s.wtype = T_Q4_0;
    s.tied = 1;
    s.tokenizer = 0;
    sm_model *m = load_spec_ok(&s);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    cp.kv_type = arg == 1 ? SM_KV_F16 : SM_KV_F32;
    cp.n_ctx = arg == 2 ? 64 : 0;
    sm_context *ctx;
    sm_status st = make_context(m, &cp, &ctx, msg, len);
    /* the KV cache's size, computed here: 2 (K and V) x layers x positions x dims x bytes */
    uint64_t n_ctx = arg == 2 ? 64 : (uint64_t)1 << 24;
    uint64_t kv = 2 * 1024 * n_ctx * 64 * (arg == 1 ? 2 : 4);
    if (st == SM_OK) {
        sm_context_mem mem;
        ck_assert_int_eq(sm_context_mem_stats(ctx, &mem), SM_OK);
        ck_assert_uint_eq(mem.kv_bytes, kv);
    } else {
        char want[64];
        snprintf(want, sizeof want, "KV cache of %llu bytes", (unsigned long long)kv);
        ck_assert_msg(strstr(msg, want) != NULL, "'%s' not in \"%s\"", want, msg);
        ck_assert_ptr_null(ctx);
    }
    sm_context_free(ctx);
    sm_model_free(m);
    return st;
}

/* ---- a GGUF walker, for the truncations ---------------------------------------------------- */

/* Every field of a valid file in order, read from the specification (independently of
 * src/gguf.c), with what a parser must say when the file ends inside it. */
typedef enum fkind {
    F_HEADER,
    F_KEYLEN,
    F_KEYBYTES,
    F_VTYPE,
    F_SCALAR,
    F_STRLEN,
    F_STRBYTES,
    F_ETYPE,
    F_COUNT,
    F_NUMS,
    F_ASTRLEN,
    F_ASTRBYTES,
    F_TNAMELEN,
    F_TNAMEBYTES,
    F_NDIMS,
    F_EXTENT,
    F_TTYPE,
    F_TOFFSET,
    F_PAD,
    F_DATA
} fkind;

typedef struct field {
    fkind kind;
    size_t start, end; /* [start, end) */
    size_t rec;        /* kv or tensor index */
    size_t rec_at;     /* the record's first byte */
    char name[80];     /* the key or tensor name, once read */
    uint64_t count;    /* strings, keys: the length; arrays: the element count */
    uint64_t j;        /* array strings: the index; their length is len */
    uint64_t len;
    uint32_t type; /* scalars and numeric arrays: the value type */
    size_t aux;    /* strings: the length field's byte; arrays: the first element's */
} field;

typedef struct layout {
    field f[1024];
    size_t n;
    uint64_t n_kv, n_tensors;
    size_t infos_end, data_start;
} layout;

static const char *const vt_names[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                       "bool", "string", "array", "u64", "i64", "f64"};
static const int vt_bytes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static field *add_field(layout *l, fkind kind, size_t start, size_t end, const field *ctx)
{
    ck_assert_uint_lt(l->n, sizeof l->f / sizeof l->f[0]);
    field *f = &l->f[l->n++];
    if (ctx != NULL)
        *f = *ctx;
    else
        memset(f, 0, sizeof *f);
    f->kind = kind;
    f->start = start;
    f->end = end;
    return f;
}

/* Bytes of a tensor of @p elems elements of the types the corpus writes. */
static uint64_t walk_tensor_bytes(uint32_t type, uint64_t elems)
{
    switch (type) {
    case T_F32:
        return 4 * elems;
    case T_F16:
        return 2 * elems;
    case T_Q4_0:
        return elems / 32 * 18;
    case T_Q8_0:
        return elems / 32 * 34;
    default:
        ck_abort_msg("walker: type %u", type);
        return 0;
    }
}

static void walk(const uint8_t *b, size_t n, layout *l)
{
    memset(l, 0, sizeof *l);
    ck_assert_uint_ge(n, 24);
    add_field(l, F_HEADER, 0, 24, NULL);
    l->n_tensors = le_get(b + 8, 8);
    l->n_kv = le_get(b + 16, 8);
    size_t pos = 24, alignment = 32;
    for (uint64_t i = 0; i < l->n_kv; i++) {
        field c = {.rec = (size_t)i, .rec_at = pos};
        c.count = le_get(b + pos, 8);
        add_field(l, F_KEYLEN, pos, pos + 8, &c);
        pos += 8;
        add_field(l, F_KEYBYTES, pos, pos + (size_t)c.count, &c);
        snprintf(c.name, sizeof c.name, "%.*s", (int)c.count, (const char *)b + pos);
        pos += (size_t)c.count;
        uint32_t type = (uint32_t)le_get(b + pos, 4);
        add_field(l, F_VTYPE, pos, pos + 4, &c);
        pos += 4;
        if (type == VT_STRING) {
            c.aux = pos;
            c.count = le_get(b + pos, 8);
            add_field(l, F_STRLEN, pos, pos + 8, &c);
            add_field(l, F_STRBYTES, pos + 8, pos + 8 + (size_t)c.count, &c);
            pos += 8 + (size_t)c.count;
        } else if (type == VT_ARRAY) {
            uint32_t et = (uint32_t)le_get(b + pos, 4);
            add_field(l, F_ETYPE, pos, pos + 4, &c);
            c.count = le_get(b + pos + 4, 8);
            add_field(l, F_COUNT, pos + 4, pos + 12, &c);
            pos += 12;
            c.aux = pos;
            c.type = et;
            if (et == VT_STRING) {
                for (uint64_t j = 0; j < c.count; j++) {
                    c.j = j;
                    c.len = le_get(b + pos, 8);
                    add_field(l, F_ASTRLEN, pos, pos + 8, &c);
                    add_field(l, F_ASTRBYTES, pos + 8, pos + 8 + (size_t)c.len, &c);
                    pos += 8 + (size_t)c.len;
                }
            } else {
                size_t bytes = (size_t)c.count * (size_t)vt_bytes[et];
                add_field(l, F_NUMS, pos, pos + bytes, &c);
                pos += bytes;
            }
        } else {
            c.type = type;
            add_field(l, F_SCALAR, pos, pos + (size_t)vt_bytes[type], &c);
            if (strcmp(c.name, "general.alignment") == 0)
                alignment = (size_t)le_get(b + pos, 4);
            pos += (size_t)vt_bytes[type];
        }
    }
    uint64_t off[64], bytes[64];
    char names[64][80];
    ck_assert_uint_le(l->n_tensors, 64);
    for (uint64_t i = 0; i < l->n_tensors; i++) {
        field c = {.rec = (size_t)i, .rec_at = pos};
        c.count = le_get(b + pos, 8);
        add_field(l, F_TNAMELEN, pos, pos + 8, &c);
        add_field(l, F_TNAMEBYTES, pos + 8, pos + 8 + (size_t)c.count, &c);
        snprintf(c.name, sizeof c.name, "%.*s", (int)c.count, (const char *)b + pos + 8);
        snprintf(names[i], sizeof names[i], "%s", c.name);
        pos += 8 + (size_t)c.count;
        uint32_t n_dims = (uint32_t)le_get(b + pos, 4);
        add_field(l, F_NDIMS, pos, pos + 4, &c);
        pos += 4;
        uint64_t elems = 1;
        for (uint32_t d = 0; d < n_dims; d++) {
            elems *= le_get(b + pos, 8);
            add_field(l, F_EXTENT, pos, pos + 8, &c);
            pos += 8;
        }
        uint32_t type = (uint32_t)le_get(b + pos, 4);
        add_field(l, F_TTYPE, pos, pos + 4, &c);
        add_field(l, F_TOFFSET, pos + 4, pos + 12, &c);
        off[i] = le_get(b + pos + 4, 8);
        bytes[i] = walk_tensor_bytes(type, elems);
        pos += 12;
    }
    l->infos_end = pos;
    l->data_start = (pos + alignment - 1) / alignment * alignment;
    if (l->data_start > pos)
        add_field(l, F_PAD, pos, l->data_start, NULL);
    /* Each tensor's field runs from the end of the one before (the alignment gap included: a
     * cut there leaves this tensor short). */
    size_t prev_end = l->data_start;
    for (uint64_t i = 0; i < l->n_tensors; i++) {
        field c = {.rec = (size_t)i};
        memcpy(c.name, names[i], sizeof c.name);
        size_t end = l->data_start + (size_t)(off[i] + bytes[i]);
        add_field(l, F_DATA, prev_end, end, &c);
        prev_end = end;
    }
    ck_assert_uint_eq(prev_end, n); /* the walk accounts for every byte */
}

/* What the loader must say when the file is cut to @p cut bytes: two texts its message holds,
 * the record (or section) and the field with the cut. */
static void expect_cut(const layout *l, size_t cut, char *n1, char *n2, size_t len)
{
    if (cut < 24) {
        snprintf(n1, len, "header");
        snprintf(n2, len, "shorter than the 24-byte GGUF header");
        return;
    }
    /* Before any record, the counts are bounded by the bytes left: a key/value takes at least
     * 14 (a 1-byte key: 8 + 1, a type: 4, a 1-byte value) and a tensor info 33 (a 1-byte
     * name: 9, n_dims: 4, one extent: 8, type: 4, offset: 8). */
    uint64_t left = cut - 24;
    if (l->n_kv > left / 14 || l->n_tensors > left / 33 ||
        l->n_tensors * 33 > left - l->n_kv * 14) {
        snprintf(n1, len, "header");
        snprintf(n2, len, "cannot fit in the %llu bytes after the header",
                 (unsigned long long)left);
        return;
    }
    const field *f = NULL;
    for (size_t i = 0; i < l->n && f == NULL; i++)
        if (l->f[i].end > cut)
            f = &l->f[i];
    ck_assert_ptr_nonnull(f);
    switch (f->kind) {
    case F_KEYLEN:
    case F_KEYBYTES:
        snprintf(n1, len, "kv %zu at byte %zu", f->rec, f->rec_at);
        if (f->kind == F_KEYLEN)
            snprintf(n2, len, "key needs 8 bytes");
        else
            snprintf(n2, len, "key length %llu at byte %zu runs past the end",
                     (unsigned long long)f->count, f->rec_at);
        return;
    case F_TNAMELEN:
    case F_TNAMEBYTES:
        snprintf(n1, len, "tensor %zu at byte %zu", f->rec, f->rec_at);
        if (f->kind == F_TNAMELEN)
            snprintf(n2, len, "tensor name needs 8 bytes");
        else
            snprintf(n2, len, "tensor name length %llu at byte %zu runs past the end",
                     (unsigned long long)f->count, f->rec_at);
        return;
    case F_PAD:
        snprintf(n1, len, "data section");
        snprintf(n2, len, "past the end of the %zu-byte file", cut);
        return;
    case F_DATA:
        snprintf(n1, len, "tensor '%s' (tensor %zu)", f->name, f->rec);
        snprintf(n2, len, "file truncated?");
        return;
    case F_NDIMS:
    case F_EXTENT:
    case F_TTYPE:
    case F_TOFFSET:
        snprintf(n1, len, "tensor '%s' (tensor %zu at byte %zu)", f->name, f->rec, f->rec_at);
        snprintf(n2, len, "%s needs %d bytes",
                 f->kind == F_NDIMS    ? "n_dims"
                 : f->kind == F_EXTENT ? "extent"
                 : f->kind == F_TTYPE  ? "type"
                                       : "offset",
                 f->kind == F_NDIMS || f->kind == F_TTYPE ? 4 : 8);
        return;
    default:
        break;
    }
    snprintf(n1, len, "key '%s' (kv %zu at byte %zu)", f->name, f->rec, f->rec_at);
    switch (f->kind) {
    case F_VTYPE:
        snprintf(n2, len, "value type needs 4 bytes");
        break;
    case F_SCALAR:
        snprintf(n2, len, "%s needs %d bytes", vt_names[f->type], vt_bytes[f->type]);
        break;
    case F_STRLEN:
        snprintf(n2, len, "string value needs 8 bytes");
        break;
    case F_STRBYTES:
        snprintf(n2, len, "string value length %llu at byte %zu runs past the end",
                 (unsigned long long)f->count, f->aux);
        break;
    case F_ETYPE:
        snprintf(n2, len, "array element type needs 4 bytes");
        break;
    case F_COUNT:
        snprintf(n2, len, "array count needs 8 bytes");
        break;
    case F_NUMS:
        snprintf(n2, len, "array of %llu %s needs %llu bytes at byte %zu but only %zu remain",
                 (unsigned long long)f->count, vt_names[f->type],
                 (unsigned long long)(f->count * (uint64_t)vt_bytes[f->type]), f->aux,
                 cut - f->aux);
        break;
    case F_ASTRLEN:
    case F_ASTRBYTES:
        /* Before the first string, the count is checked against 8 bytes a string. */
        if ((cut - f->aux) / 8 < f->count)
            snprintf(n2, len, "array of %llu strings needs at least %llu bytes at byte %zu",
                     (unsigned long long)f->count, (unsigned long long)(f->count * 8), f->aux);
        else if (f->kind == F_ASTRLEN)
            snprintf(n2, len, "array string %llu needs 8 bytes", (unsigned long long)f->j);
        else
            snprintf(n2, len, "array string %llu length %llu at byte %zu runs past the end",
                     (unsigned long long)f->j, (unsigned long long)f->len, f->start - 8);
        break;
    default:
        ck_abort_msg("field kind %d", (int)f->kind);
    }
}

/* ---- the corpus ---------------------------------------------------------------------------- */

typedef struct mcase {
    int row; /* of GGUF-HARDENING.md */
    const char *name;
    /* a file case: built, then patched (may be NULL) */
    void (*build)(sm_gw *w, uint64_t arg);
    void (*patch)(uint8_t *b, size_t *n, uint64_t arg);
    /* an API case (build == NULL): runs and returns the status, the message in msg */
    sm_status (*api)(uint64_t arg, char *msg, size_t len);
    uint64_t arg;
    sm_status want;
    const char *needle1; /* the key, tensor or parameter */
    const char *needle2; /* the bad value */
} mcase;

#define P62 ((uint64_t)1 << 62)
#define F   SM_E_FORMAT
#define U   SM_E_UNSUPPORTED
#define OK  SM_OK
#define FILE_CASE(row, name, build, patch, arg, want, n1, n2)                                      \
    {                                                                                              \
        row, name, build, patch, NULL, arg, want, n1, n2                                           \
    }
#define API_CASE(row, name, fn, arg, want, n1, n2)                                                 \
    {                                                                                              \
        row, name, NULL, NULL, fn, arg, want, n1, n2                                               \
    }

static const mcase cases[] = {
    /* row 1: header counts drive allocation */
    FILE_CASE(1, "n_tensors 2^62", b_n_tensors, NULL, P62, F, "n_tensors 4611686018427387904",
              "cannot fit"),
    FILE_CASE(1, "n_kv 2^62", b_n_kv, NULL, P62, F, "n_kv 4611686018427387904", "cannot fit"),
    FILE_CASE(1, "n_tensors -1", b_n_tensors, NULL, UINT64_MAX, F, "n_tensors 18446744073709551615",
              "as int64: -1"),
    FILE_CASE(1, "n_kv -1", b_n_kv, NULL, UINT64_MAX, F, "n_kv 18446744073709551615",
              "as int64: -1"),
    FILE_CASE(1, "n_kv 2^20: more than the file holds", b_n_kv, NULL, 1 << 20, F, "n_kv 1048576",
              "cannot fit"),
    FILE_CASE(1, "n_tensors 2^20: more than the file holds", b_n_tensors, NULL, 1 << 20, F,
              "n_tensors 1048576", "cannot fit"),
    FILE_CASE(1, "n_tensors one more than written", b_n_tensors, NULL, BASE_N_TENSORS + 1, F,
              "tensor 12", "tensor name is empty"),
    FILE_CASE(1, "n_kv one more, n_tensors 0", b_n_kv_plus_one, NULL, 0, F, "token_embd.weight",
              "missing"),
    /* row 2: strings */
    FILE_CASE(2, "key length UINT64_MAX", b_key_len, NULL, UINT64_MAX, F,
              "key length 18446744073709551615", "exceeds the limit"),
    FILE_CASE(2, "key length 2^63", b_key_len, NULL, (uint64_t)1 << 63, F,
              "key length 9223372036854775808", "exceeds the limit"),
    FILE_CASE(2, "key length 2^30 + 1 (the limit + 1)", b_key_len, NULL, ((uint64_t)1 << 30) + 1, F,
              "key length 1073741825", "exceeds the limit"),
    FILE_CASE(2, "key length 2^29, past EOF", b_key_len, NULL, (uint64_t)1 << 29, F,
              "key length 536870912", "past the end"),
    API_CASE(2, "key length = file size + 1", a_key_len_file_plus_one, 0, F, "kv 0 at byte 24",
             "past the end"),
    FILE_CASE(2, "zero-length key", b_key_len, NULL, 0, F, "kv 0 at byte 24", "key is empty"),
    FILE_CASE(2, "string value length UINT64_MAX", b_str_len, NULL, UINT64_MAX, F,
              "general.description", "18446744073709551615"),
    FILE_CASE(2, "string value length 2^63", b_str_len, NULL, (uint64_t)1 << 63, F,
              "general.description", "9223372036854775808"),
    FILE_CASE(2, "string value length 10^6, 3 bytes left", b_str_len, NULL, 1000000, F,
              "general.description", "length 1000000"),
    FILE_CASE(2, "file cut in the middle of a string", b_long_string_last, p_cut_mid_string, 0, F,
              "general.description", "string value length 300"),
    /* row 3: arrays */
    FILE_CASE(3, "array of 2^61 u64", b_arr_count, NULL, (uint64_t)1 << 61, F, "'arr'",
              "2305843009213693952"),
    FILE_CASE(3, "array count * 8 wraps", b_arr_count, NULL, ((uint64_t)1 << 61) + 1, F, "'arr'",
              "2305843009213693953"),
    FILE_CASE(3, "array of 2^29 u64 past EOF", b_arr_count, NULL, (uint64_t)1 << 29, F, "'arr'",
              "array of 536870912 u64 needs 4294967296 bytes"),
    FILE_CASE(3, "tokens: 2^29 strings, count > remaining / 8", b_tokens_count, NULL,
              (uint64_t)1 << 29, F, "tokenizer.ggml.tokens", "array of 536870912 strings needs"),
    FILE_CASE(3, "tokens: 2^62 strings, over the limit", b_tokens_count, NULL, P62, F,
              "tokenizer.ggml.tokens", "exceeds the limit"),
    FILE_CASE(3, "string array element past EOF", b_str_arr_elem, NULL, 1000000, F, "general.tags",
              "array string 1 length 1000000"),
    /* row 4: nesting */
    FILE_CASE(4, "array of array", b_nested, NULL, 1, F, "'nest'", "nested arrays"),
    FILE_CASE(4, "arrays nested 10^5 deep", b_nested, NULL, 100000, F, "'nest'", "nested arrays"),
    /* row 5: unknown types */
    FILE_CASE(5, "kv type 13", b_kv_type, NULL, 13, F, "'k'", "value type 13"),
    FILE_CASE(5, "kv type 0xFFFFFFFF", b_kv_type, NULL, 0xFFFFFFFFu, F, "'k'", "0xffffffff"),
    FILE_CASE(5, "array element type 13", b_arr_elem_type, NULL, 13, F, "'k'", "element type 13"),
    FILE_CASE(5, "array element type 0xFFFFFFFF", b_arr_elem_type, NULL, 0xFFFFFFFFu, F, "'k'",
              "4294967295"),
    FILE_CASE(5, "tensor type -1", b_tensor_type, NULL, 0xFFFFFFFFu, U, "'t'", "as int32: -1"),
    FILE_CASE(5, "tensor type 40 (GGML_TYPE_COUNT)", b_tensor_type, NULL, 40, U, "'t'", "type 40"),
    FILE_CASE(5, "tensor type 4 (removed Q4_2)", b_tensor_type, NULL, 4, U, "'t'", "type 4 "),
    FILE_CASE(5, "tensor type 31 (removed Q4_0_4_4)", b_tensor_type, NULL, 31, U, "'t'", "type 31"),
    FILE_CASE(5, "weight of a type the runtime lacks (Q5_0)", b_weight_type, NULL, 6, U,
              "blk.0.attn_q.weight", "Q5_0"),
    FILE_CASE(5, "F16 norm vector", b_weight_type, NULL, T_F16, U, "blk.0.attn_norm.weight", "F16"),
    FILE_CASE(5, "unknown architecture", b_arch, NULL, 0, U, "general.architecture", "'mamba'"),
    /* row 6: empty and duplicate names */
    FILE_CASE(6, "\"\" key", b_key_len, NULL, 0, F, "kv 0", "key is empty (\"\")"),
    FILE_CASE(6, "key repeated", b_dup_key, NULL, 0, F, "duplicate key 'general.architecture'",
              "kv 0"),
    FILE_CASE(6, "tensor name repeated", b_dup_tensor, NULL, 0, F,
              "duplicate tensor name 'token_embd.weight'", "tensor 0"),
    FILE_CASE(6, "tensor name of 64 bytes", b_name_len, NULL, 64, F, "nnnnnnnnnnnnnnnn",
              "64 bytes"),
    FILE_CASE(6, "tensor name of 200 bytes", b_name_len, NULL, 200, F, "nnnnnnnnnnnnnnnn",
              "200 bytes"),
    FILE_CASE(6, "empty tensor name", b_name_len, NULL, 0, F, "tensor 0", "tensor name is empty"),
    /* row 7: n_dims */
    FILE_CASE(7, "n_dims 5", b_n_dims, NULL, 5, F, "'t'", "n_dims 5"),
    FILE_CASE(7, "n_dims 255", b_n_dims, NULL, 255, F, "'t'", "n_dims 255"),
    FILE_CASE(7, "n_dims 2^32-1", b_n_dims, NULL, UINT32_MAX, F, "'t'", "n_dims 4294967295"),
    FILE_CASE(7, "n_dims 0", b_n_dims, NULL, 0, F, "'t'", "n_dims 0"),
    /* row 8: zero and negative extents (0-element tensors are refused) */
    FILE_CASE(8, "ne[0] = 0", b_shape, NULL, 0, F, "blk.9.attn_q.weight", "ne[0] = 0"),
    FILE_CASE(8, "ne[1] = 0", b_shape, NULL, 1, F, "blk.9.attn_q.weight", "ne[1] = 0"),
    FILE_CASE(8, "ne[2] = 0", b_shape, NULL, 2, F, "blk.9.attn_q.weight", "ne[2] = 0"),
    FILE_CASE(8, "ne[3] = 0", b_shape, NULL, 3, F, "blk.9.attn_q.weight", "ne[3] = 0"),
    FILE_CASE(8, "ne[0] = -1", b_shape, NULL, 4, F, "blk.9.attn_q.weight", "ne[0] = -1"),
    FILE_CASE(8, "ne[1] = INT64_MIN", b_shape, NULL, 5, F, "blk.9.attn_q.weight",
              "ne[1] = -9223372036854775808"),
    /* row 9: element count and byte size overflow */
    FILE_CASE(9, "(INT64_MAX, 2) I8: the count overflows", b_shape, NULL, 6, F,
              "blk.9.attn_q.weight", "9223372036854775807 x 2"),
    FILE_CASE(9, "2^62 F32: 2^64 bytes", b_shape, NULL, 7, F, "blk.9.attn_q.weight",
              "overflow the byte size"),
    FILE_CASE(9, "4-D product of 2^64", b_shape, NULL, 8, F, "blk.9.attn_q.weight",
              "65536 x 65536 x 65536 x 65536"),
    FILE_CASE(9, "dim 2^42 + 1 x 2^22", b_shape, NULL, 9, F, "blk.9.attn_q.weight",
              "4398046511105 x 4194304"),
    FILE_CASE(9, "sizes summing past 2^64", b_sum_overflow, NULL, 0, F, "'b'",
              "9223372036854775808"),
    /* row 10: rows not a whole number of blocks */
    FILE_CASE(10, "Q4_0 with ne[0] = 33", b_shape, NULL, 10, F, "blk.9.attn_q.weight",
              "ne[0] = 33 is not a multiple of the Q4_0 block of 32"),
    FILE_CASE(10, "Q8_0 with ne[0] = 1", b_shape, NULL, 11, F, "blk.9.attn_q.weight",
              "ne[0] = 1 is not a multiple of the Q8_0 block of 32"),
    FILE_CASE(10, "Q4_K with ne[0] = 255", b_shape, NULL, 12, F, "blk.9.attn_q.weight",
              "ne[0] = 255 is not a multiple of the Q4_K block of 256"),
    FILE_CASE(10, "model matrices Q4_K with n_embd 32", b_model_q4k, NULL, 0, F,
              "token_embd.weight", "ne[0] = 32 is not a multiple of the Q4_K block of 256"),
    /* row 11: alignment */
    FILE_CASE(11, "alignment 0", b_alignment, NULL, 0, F, "general.alignment", "alignment 0 is"),
    FILE_CASE(11, "alignment 3", b_alignment, NULL, 3, F, "general.alignment", "alignment 3 is"),
    FILE_CASE(11, "alignment 24", b_alignment, NULL, 24, F, "general.alignment", "alignment 24 is"),
    FILE_CASE(11, "alignment 2^31", b_alignment, NULL, (uint64_t)1 << 31, F,
              "blk.0.attn_norm.weight", "not a multiple of the alignment 2147483648"),
    FILE_CASE(11, "alignment as i32", b_alignment_type, NULL, VT_I32, F, "general.alignment",
              "type i32, expected u32"),
    FILE_CASE(11, "alignment as u64", b_alignment_type, NULL, VT_U64, F, "general.alignment",
              "type u64, expected u32"),
    FILE_CASE(11, "alignment as string", b_alignment_type, NULL, VT_STRING, F, "general.alignment",
              "type string, expected u32"),
    FILE_CASE(11, "alignment 64, stated and used", b_alignment_ok, NULL, 64, OK, NULL, NULL),
    FILE_CASE(11, "alignment 4096, stated and used", b_alignment_ok, NULL, 4096, OK, NULL, NULL),
    /* row 12: tensor data outside the file, overlapping, out of order */
    FILE_CASE(12, "tensors overlap", b_offsets, NULL, 0, F, "'t1'", "offset 32"),
    FILE_CASE(12, "gap between tensors", b_offsets, NULL, 1, F, "'t1'", "offset 128"),
    FILE_CASE(12, "offset not a multiple of the alignment", b_offsets, NULL, 2, F, "'t0'",
              "offset 8 "),
    FILE_CASE(12, "tensors out of order", b_offsets, NULL, 3, F, "'t0'", "offset 64"),
    FILE_CASE(12, "offset + size wraps", b_offsets, NULL, 4, F, "'t0'", "18446744073709551584"),
    FILE_CASE(12, "a tensor reserved fewer bytes than its type needs", b_short_reservation, NULL, 0,
              F, "'next'", "overlaps the previous tensor, which ends at 96"),
    FILE_CASE(12, "last tensor's data past the end", b_tensor_past_end, NULL, 0, F, "'big'",
              "file truncated?"),
    FILE_CASE(12, "file truncated by 1 byte", b_base, raw_patch_drop_last, 1, F, "'output.weight'",
              "file truncated?"),
    /* row 13: header */
    FILE_CASE(13, "version 0", b_base, raw_patch_version, 0, F, "version 0", "byte 4"),
    FILE_CASE(13, "version 1", b_base, raw_patch_version, 1, F, "version 1", "v1 is obsolete"),
    FILE_CASE(13, "version 4", b_base, raw_patch_version, 4, U, "version 4", "newer than GGUF v3"),
    FILE_CASE(13, "version 0x03000000 (big-endian)", b_base, raw_patch_version, 0x03000000u, F,
              "version 50331648", "big-endian"),
    FILE_CASE(13, "bad magic", b_base, raw_patch_magic, 0, F, "magic", "47 47 4d 4c"),
    FILE_CASE(13, "file of 23 bytes", b_base, raw_patch_cut_to, 23, F, "header",
              "file is 23 bytes, shorter than the 24-byte GGUF header"),
    FILE_CASE(13, "file of 1 byte", b_base, raw_patch_cut_to, 1, F, "header", "file is 1 bytes"),
    FILE_CASE(13, "file of 0 bytes", b_base, raw_patch_cut_to, 0, SM_E_IO, "empty", "0 bytes"),
    FILE_CASE(13, "0 tensors and 0 kv", b_empty, NULL, 0, F, "general.architecture", "is missing"),
    /* row 14: tokenizer array lengths */
    FILE_CASE(14, "scores shorter than tokens", b_tok_lengths, NULL, 0, F, "tokenizer.ggml.scores",
              "has 15 elements but tokenizer.ggml.tokens has 16"),
    FILE_CASE(14, "token_type longer than tokens", b_tok_lengths, NULL, 1, F,
              "tokenizer.ggml.token_type", "has 17 elements but tokenizer.ggml.tokens has 16"),
    /* row 15: tokenizer element types checked before a read */
    FILE_CASE(15, "scores as u8", b_tok_elem_type, NULL, 0 * 16 + VT_U8, F, "tokenizer.ggml.scores",
              "array of u8, not of f32"),
    FILE_CASE(15, "scores as i16", b_tok_elem_type, NULL, 0 * 16 + VT_I16, F,
              "tokenizer.ggml.scores", "array of i16, not of f32"),
    FILE_CASE(15, "scores as strings", b_tok_elem_type, NULL, 0 * 16 + VT_STRING, F,
              "tokenizer.ggml.scores", "array of string, not of f32"),
    FILE_CASE(15, "token_type as u32", b_tok_elem_type, NULL, 1 * 16 + VT_U32, F,
              "tokenizer.ggml.token_type", "array of u32, not of i32"),
    FILE_CASE(15, "tokens as u32", b_tok_elem_type, NULL, 2 * 16 + VT_U32, F,
              "tokenizer.ggml.tokens", "array of u32, not of string"),
    /* row 16: special-token ids */
    FILE_CASE(16, "1 token, default bos 1 and eos 2: none", b_n_tokens, NULL, 1, OK, NULL, NULL),
    FILE_CASE(16, "bos_token_id -1", b_special, NULL, SPECIAL(0, 1, -1), F,
              "tokenizer.ggml.bos_token_id", "= -1 is not a token id"),
    FILE_CASE(16, "bos_token_id 2^31", b_special, NULL, SPECIAL(0, 0, (uint32_t)1 << 31), F,
              "tokenizer.ggml.bos_token_id", "= 2147483648 is not a token id"),
    FILE_CASE(16, "eos_token_id = n_tokens", b_special, NULL, SPECIAL(1, 0, N_TOK), F,
              "tokenizer.ggml.eos_token_id", "= 16 is not a token id (the vocabulary has 16"),
    FILE_CASE(16, "unknown_token_id 4000000000", b_special, NULL, SPECIAL(2, 0, 4000000000u), F,
              "tokenizer.ggml.unknown_token_id", "4000000000"),
    FILE_CASE(16, "padding_token_id -7", b_special, NULL, SPECIAL(3, 1, -7), F,
              "tokenizer.ggml.padding_token_id", "= -7"),
    FILE_CASE(16, "17 tokens for 16 embedding rows", b_n_tokens, NULL, N_TOK + 1, F,
              "tokenizer.ggml.tokens", "lists 17 tokens but tensor 'token_embd.weight' has 16"),
    /* row 17: byte-fallback tokens */
    FILE_CASE(17, "BYTE token \"<0x-1>\"", b_byte_token, NULL, 0, F, "tokenizer.ggml.tokens[3]",
              "BYTE"),
    FILE_CASE(17, "BYTE token \"<0xZZ>\"", b_byte_token, NULL, 1, F, "tokenizer.ggml.tokens[3]",
              "BYTE"),
    FILE_CASE(17, "BYTE token \"<0x100>\"", b_byte_token, NULL, 2, F, "tokenizer.ggml.tokens[3]",
              "BYTE"),
    FILE_CASE(17, "BYTE token \"<0x>\"", b_byte_token, NULL, 3, F, "tokenizer.ggml.tokens[3]",
              "BYTE"),
    /* row 18: SentencePiece's precompiled_charsmap is never read, so no length misleads */
    FILE_CASE(18, "charsmap of 0 bytes", b_charsmap, NULL, 0, OK, NULL, NULL),
    FILE_CASE(18, "charsmap of 1 byte", b_charsmap, NULL, 1, OK, NULL, NULL),
    FILE_CASE(18, "charsmap of 2 bytes", b_charsmap, NULL, 2, OK, NULL, NULL),
    FILE_CASE(18, "charsmap of 3 bytes", b_charsmap, NULL, 3, OK, NULL, NULL),
    /* row 19: token_to_piece buffers (no message: the status and the size are the contract) */
    API_CASE(19, "pieces with NULs, invalid UTF-8, longer than the buffer", a_pieces, 0, SM_E_RANGE,
             NULL, NULL),
    /* row 20: lengths past INT32_MAX; n_tokens_max is a size_t (no negative to pass) */
    API_CASE(20, "text length SIZE_MAX", a_tokenize_huge, 0, SM_E_NOMEM, NULL, NULL),
    API_CASE(20, "text length SIZE_MAX / 2", a_tokenize_huge, 1, SM_E_NOMEM, NULL, NULL),
    API_CASE(20, "text of INT32_MAX + 2 bytes, scratch unavailable", a_tokenize_huge, 2, SM_E_NOMEM,
             NULL, NULL),
    API_CASE(20, "n_max 0: the count alone", a_tokenize_count, 0, SM_E_RANGE, NULL, NULL),
    /* row 21: hyper-parameters */
    FILE_CASE(21, "block_count 0", b_hparam, NULL, HP(HP_N_LAYER, 0), F, "llama.block_count",
              "= 0 is outside [1, 1024]"),
    FILE_CASE(21, "block_count 10^6", b_hparam, NULL, HP(HP_N_LAYER, 1000000), F,
              "llama.block_count", "1000000"),
    FILE_CASE(21, "block_count 2, tensors of 1 layer", b_hparam, NULL, HP(HP_TENSOR_LAYERS, 2), F,
              "blk.1.attn_norm.weight", "missing"),
    FILE_CASE(21, "head_count 0", b_hparam, NULL, HP(HP_N_HEAD, 0), F, "llama.attention.head_count",
              "= 0"),
    FILE_CASE(21, "head_count_kv 3 of 4", b_hparam, NULL, HP(HP_N_HEAD_KV, 3), F,
              "llama.attention.head_count_kv", "is 3, which does not divide"),
    FILE_CASE(21, "embedding_length 32 % head_count 5", b_hparam, NULL, HP(HP_N_HEAD, 5), F,
              "llama.embedding_length", "is 32, not a multiple of llama.attention.head_count 5"),
    FILE_CASE(21, "key_length 16 (head size 8)", b_hparam, NULL, HP(HP_KEY_LENGTH, 16), U,
              "llama.attention.key_length", "is 16 but"),
    FILE_CASE(21, "key_length 64: head size > n_embd 32", b_hparam, NULL, HP(HP_KEY_LENGTH, 64), U,
              "llama.attention.key_length", "is 64 but"),
    FILE_CASE(21, "value_length 4 (head size 8)", b_hparam, NULL, HP(HP_VALUE_LENGTH, 4), U,
              "llama.attention.value_length", "is 4 but"),
    FILE_CASE(21, "context_length 2^40", b_hparam, NULL, HP(HP_N_CTX, (int64_t)1 << 40), F,
              "llama.context_length", "1099511627776"),
    FILE_CASE(21, "rope dims odd", b_hparam, NULL, HP(HP_N_ROT, 7), F, "llama.rope.dimension_count",
              "is 7"),
    FILE_CASE(21, "rope dims > head size", b_hparam, NULL, HP(HP_N_ROT, 16), F,
              "llama.rope.dimension_count", "is 16"),
    FILE_CASE(21, "vocab_size 17, 16 embedding rows", b_hparam, NULL, HP(HP_VOCAB_SIZE, 17), F,
              "llama.vocab_size", "is 17 but tensor 'token_embd.weight' has 16 rows"),
    FILE_CASE(21, "feed_forward_length 48, tensors of 64", b_hparam, NULL, HP(HP_N_FF_KEY, 48), F,
              "blk.0.ffn_gate.weight", "[32, 64, 1, 1]"),
    FILE_CASE(21, "token_embd shape != (n_embd, n_vocab)", b_reshape, NULL, 0, F,
              "token_embd.weight", "[16, 16, 1, 1]"),
    FILE_CASE(21, "attn_k rows != head size x head_count_kv", b_reshape, NULL, 1, F,
              "blk.0.attn_k.weight", "require [32, 16]"),
    FILE_CASE(21, "ffn_down transposed", b_reshape, NULL, 2, F, "blk.0.ffn_down.weight",
              "require [64, 32]"),
    FILE_CASE(21, "norm vector stored 2-D", b_reshape, NULL, 3, F, "output_norm.weight",
              "(2 dims); the hyper-parameters require [32]"),
    FILE_CASE(21, "output rows != n_vocab", b_reshape, NULL, 4, F, "output.weight",
              "require [32, 16]"),
    API_CASE(21, "KV cache of 8 TiB (f32)", a_kv_too_big, 0, SM_E_NOMEM, "physical memory",
             "2 x 1024 layers x 16777216 positions x 64 KV dims x 4 bytes"),
    API_CASE(21, "KV cache of 4 TiB (f16)", a_kv_too_big, 1, SM_E_NOMEM, "physical memory",
             "x 2 bytes"),
    API_CASE(21, "the same model with n_ctx 64 (control)", a_kv_too_big, 2, OK, NULL, NULL),
    /* row 22: integers from the API and the command line; the API has no keep/n_discard */
    API_CASE(22, "n_ctx -1", a_context_params, 0, SM_E_INVAL, "n_ctx -1", "[0, 64]"),
    API_CASE(22, "n_ctx INT_MAX", a_context_params, 1, SM_E_INVAL, "n_ctx 2147483647", "[0, 64]"),
    API_CASE(22, "n_ctx INT_MIN", a_context_params, 6, SM_E_INVAL, "n_ctx -2147483648", NULL),
    API_CASE(22, "n_batch -1", a_context_params, 2, SM_E_INVAL, "n_batch -1", ">= 0"),
    API_CASE(22, "n_batch INT_MAX: n_ctx", a_context_params, 3, OK, NULL, NULL),
    API_CASE(22, "n_threads -1", a_context_params, 4, SM_E_INVAL, "n_threads -1", ">= 0"),
    API_CASE(22, "kv_type 7", a_context_params, 5, SM_E_INVAL, "kv_type 7", NULL),
    API_CASE(22, "sm_eval n_tokens -1", a_eval_params, 0, SM_E_INVAL, "sm_eval",
             "n_tokens must be >= 1"),
    API_CASE(22, "sm_eval n_tokens INT_MAX", a_eval_params, 1, SM_E_RANGE, "2147483647 tokens",
             "exceed the context of 64"),
    API_CASE(22, "sm_eval token -1", a_eval_params, 2, SM_E_RANGE, "token 0 is -1", "[0, 16)"),
    API_CASE(22, "sm_eval token n_vocab", a_eval_params, 3, SM_E_RANGE, "token 0 is 16", "[0, 16)"),
    API_CASE(22, "sm_get_logits -2", a_eval_params, 4, SM_E_RANGE, "index -2", NULL),
    API_CASE(22, "sm_get_logits INT_MAX", a_eval_params, 5, SM_E_RANGE, "index 2147483647", NULL),
    API_CASE(22, "top_k -1", a_sampler_params, 0, SM_E_INVAL, "top_k -1", ">= 0"),
    API_CASE(22, "top_k INT_MAX: the whole vocabulary", a_sampler_params, 1, OK, NULL, NULL),
    API_CASE(22, "repeat_last_n -1", a_sampler_params, 2, SM_E_INVAL, "repeat_last_n -1", NULL),
    API_CASE(22, "repeat_last_n INT_MAX", a_sampler_params, 3, SM_E_INVAL,
             "repeat_last_n 2147483647", "[0, 16777216]"),
    API_CASE(22, "repeat_last_n 2^24", a_sampler_params, 6, OK, NULL, NULL),
    API_CASE(22, "sampler n_vocab 0", a_sampler_params, 4, SM_E_INVAL, "n_vocab 0", NULL),
    API_CASE(22, "sampler n_vocab INT_MAX", a_sampler_params, 5, SM_E_INVAL, "n_vocab 2147483647",
             "[1, 16777216]"),
    API_CASE(22, "n_predict -5: until the context is full", a_generate_params, 0, OK, NULL, NULL),
    API_CASE(22, "n_predict INT_MAX: until the context is full", a_generate_params, 1, OK, NULL,
             NULL),
    API_CASE(22, "n_prompt -1", a_generate_params, 2, SM_E_INVAL, "n_prompt", NULL),
    API_CASE(22, "n_prompt INT_MIN", a_generate_params, 3, SM_E_INVAL, "n_prompt", NULL),
    API_CASE(22, "sm-run -n -3", a_cli, 0, SM_E_INVAL, "n-predict", "-3"),
    API_CASE(22, "sm-run --top-k -1", a_cli, 1, SM_E_INVAL, "top-k", "-1"),
    API_CASE(22, "sm-run -c -1", a_cli, 2, SM_E_INVAL, "ctx-size", "-1"),
    API_CASE(22, "sm-run -c 10^20", a_cli, 3, SM_E_INVAL, "ctx-size", "99999999999999999999"),
    API_CASE(22, "sm-run --repeat-last-n INT_MAX", a_cli, 4, SM_E_INVAL, "repeat-last-n",
             "2147483647"),
    API_CASE(22, "sm-run -t 100000", a_cli, 5, SM_E_INVAL, "threads", "100000"),
    API_CASE(22, "sm-run -b -7", a_cli, 6, SM_E_INVAL, "batch-size", "-7"),
    API_CASE(22, "sm-run -n 2^31", a_cli, 7, SM_E_INVAL, "n-predict", "2147483648"),
};

#undef F
#undef U
#undef OK

enum { N_CASES = sizeof cases / sizeof cases[0] };

/* Rows of GGUF-HARDENING.md that do not apply to this library, with the reason. None today:
 * every row has cases above. (Inputs of a row that do not apply are said at the row's cases:
 * row 20's negative n_tokens_max, a size_t here; row 22's keep/n_discard, which the API does
 * not have.) */
static const char *const row_not_applicable[23] = {NULL};

/* What a loaded OK case must show: the model works. */
static void check_loaded(const mcase *c, sm_model *m)
{
    ck_assert_str_eq(sm_model_arch(m), "llama");
    ck_assert_int_eq(sm_model_n_vocab(m), 16);
    if (c->row == 16) {
        /* one token: the llama defaults (bos 1, eos 2) do not fit, so there are none */
        ck_assert_int_eq(sm_model_token_bos(m), -1);
        ck_assert_int_eq(sm_model_token_eos(m), -1);
    }
    if (c->row == 18) {
        int32_t ids[8];
        size_t n = 0;
        ck_assert_int_eq(sm_tokenize(m, "abc", 3, 0, ids, 8, &n), SM_OK);
        ck_assert_uint_ge(n, 1);
    }
}

static void expect_message(const mcase *c, const char *how, sm_status st, const char *msg)
{
    ck_assert_msg(st == c->want, "row %d, %s (%s): got %s, want %s (%s)", c->row, c->name, how,
                  sm_status_name(st), sm_status_name(c->want), msg);
    if (st == SM_OK)
        return;
    ck_assert_msg(c->needle1 == NULL || strstr(msg, c->needle1) != NULL,
                  "row %d, %s (%s): '%s' not in \"%s\"", c->row, c->name, how, c->needle1, msg);
    ck_assert_msg(c->needle2 == NULL || strstr(msg, c->needle2) != NULL,
                  "row %d, %s (%s): '%s' not in \"%s\"", c->row, c->name, how, c->needle2, msg);
}

START_TEST(test_malformed_case)
{
    const mcase *c = &cases[_i];
    char msg[1024] = "";
    if (c->build == NULL) {
        sm_status st = c->api(c->arg, msg, sizeof msg);
        expect_message(c, "API", st, msg);
        return;
    }
    sm_gw *w = sm_gw_create(3);
    c->build(w, c->arg);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    if (c->patch != NULL)
        c->patch(b, &n, c->arg);
    /* an exact-size copy, so an over-read of the buffer is one past an allocation */
    uint8_t *exact = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, b, n);
    free(b);
    /* from a file: mapped, and read */
    for (int use_mmap = 1; use_mmap >= 0; use_mmap--) {
        char path[512];
        sm_model *m = NULL;
        sm_status st = load_file(exact, n, use_mmap, &m, path, sizeof path, msg, sizeof msg);
        expect_message(c, use_mmap ? "file, mmap" : "file, read", st, msg);
        if (st == SM_OK) {
            check_loaded(c, m);
            sm_model_free(m);
        } else {
            ck_assert_ptr_null(m);
            ck_assert_msg(strstr(msg, path) != NULL, "%s: the path is not in \"%s\"", c->name, msg);
        }
    }
    /* from memory */
    sm_model *m = NULL;
    sm_status st = n > 0 ? load_buffer(exact, n, &m, msg, sizeof msg) : SM_E_IO;
    if (n == 0) /* sm_model_load_buffer takes no empty buffer: say so as the file does */
        snprintf(msg, sizeof msg, "<memory> is empty (0 bytes)");
    expect_message(c, "buffer", st, msg);
    if (st == SM_OK) {
        check_loaded(c, m);
        sm_model_free(m);
    } else if (n > 0) {
        ck_assert_ptr_null(m);
        ck_assert_msg(strncmp(msg, "<memory>: ", 10) == 0, "%s: \"%s\"", c->name, msg);
    }
    free(exact);
}
END_TEST

/* Every row 1..22 has a case, or a reason it does not apply; no case names another row. */
START_TEST(test_malformed_every_row_covered)
{
    int per_row[23] = {0};
    for (size_t i = 0; i < N_CASES; i++) {
        ck_assert_msg(cases[i].row >= 1 && cases[i].row <= 22, "case '%s': row %d", cases[i].name,
                      cases[i].row);
        per_row[cases[i].row]++;
    }
    for (int row = 1; row <= 22; row++)
        ck_assert_msg(per_row[row] > 0 || row_not_applicable[row] != NULL,
                      "GGUF-HARDENING.md row %d has no case and no reason", row);
    /* the table is in row order, so the list reads as the document */
    for (size_t i = 1; i < N_CASES; i++)
        ck_assert_msg(cases[i].row >= cases[i - 1].row, "case '%s' (row %d) after row %d",
                      cases[i].name, cases[i].row, cases[i - 1].row);
    printf("# %d cases over 22 rows:", (int)N_CASES);
    for (int row = 1; row <= 22; row++)
        printf(" %d:%d", row, per_row[row]);
    printf("\n");
}
END_TEST

/* The bases load: the base model, with its counts stated, and the builders' valid variants,
 * so each failure above is the one change. */
START_TEST(test_malformed_controls)
{
    void (*const ok[])(sm_gw * w, uint64_t arg) = {b_base, b_long_string_last};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sm_gw *w = sm_gw_create(3);
        ok[i](w, 0);
        if (i == 0)
            sm_gw_set_counts(w, BASE_N_TENSORS, BASE_N_KV);
        size_t n;
        uint8_t *b = gw_finish(w, &n);
        char msg[512] = "";
        sm_model *m;
        sm_status st = load_buffer(b, n, &m, msg, sizeof msg);
        ck_assert_msg(st == SM_OK, "control %zu: %s", i, msg);
        /* the base tokenizer works: "abc" is one piece after the space prefix */
        int32_t ids[8];
        size_t got = 0;
        ck_assert_int_eq(sm_tokenize(m, "abc", 3, 1, ids, 8, &got), SM_OK);
        ck_assert_int_eq(ids[0], 1);
        sm_model_free(m);
        free(b);
    }
    /* valid alternatives of the cases' knobs */
    spec s = base_spec();
    s.key_length = 8; /* the head size: taken */
    s.value_length = 8;
    sm_model_free(load_spec_ok(&s));
    s = base_spec();
    s.vocab_size_key = 16;
    sm_model_free(load_spec_ok(&s));
    s = base_spec();
    s.wtype = T_Q4_0;
    sm_model_free(load_spec_ok(&s));
}
END_TEST

/* ---- truncation at every field boundary ---------------------------------------------------- */

/* The base model cut at the start of every field, one byte before and one after (and the last
 * byte of each tensor's data): each prefix fails with SM_E_FORMAT, and the message names the
 * record and field that was cut, as expect_cut derives it from the specification. */
START_TEST(test_malformed_truncation_at_every_field)
{
    sm_gw *w = sm_gw_create(3);
    b_base(w, 0);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    static layout l;
    walk(b, n, &l);
    ck_assert_uint_eq(l.n_kv, BASE_N_KV);
    ck_assert_uint_eq(l.n_tensors, BASE_N_TENSORS);
    uint8_t *tried = calloc(n, 1);
    ck_assert_ptr_nonnull(tried);
    int n_cuts = 0, n_file_cuts = 0;
    for (size_t i = 0; i < l.n; i++) {
        const field *f = &l.f[i];
        size_t at[4] = {f->start - 1, f->start, f->start + 1, f->end - 1};
        for (int k = 0; k < 4; k++) {
            size_t cut = at[k];
            if (cut >= n || tried[cut] || (k == 0 && f->start == 0))
                continue;
            tried[cut] = 1;
            char n1[160], n2[160], msg[1024] = "";
            expect_cut(&l, cut, n1, n2, sizeof n1);
            /* an exact-size copy: a read past the cut is past the allocation */
            uint8_t *part = malloc(cut ? cut : 1);
            ck_assert_ptr_nonnull(part);
            memcpy(part, b, cut);
            sm_model *m = (sm_model *)&m;
            sm_status st = cut > 0 ? load_buffer(part, cut, &m, msg, sizeof msg) : SM_E_FORMAT;
            if (cut == 0) {
                /* no bytes at all is SM_E_IO (an empty file); tried through a file below */
                m = NULL;
                snprintf(msg, sizeof msg, "%s %s", n1, n2);
            }
            ck_assert_msg(st == SM_E_FORMAT, "cut at %zu of %zu (field %zu, kind %d): %s (%s)", cut,
                          n, i, (int)f->kind, sm_status_name(st), msg);
            ck_assert_ptr_null(m);
            ck_assert_msg(strstr(msg, n1) != NULL && strstr(msg, n2) != NULL,
                          "cut at %zu of %zu: \"%s\" should name \"%s\" and \"%s\"", cut, n, msg,
                          n1, n2);
            /* the data and padding cuts also through a file, mapped: the size is checked at
             * load, before any page is touched */
            if (f->kind == F_DATA || f->kind == F_PAD || cut < 24) {
                char path[512];
                st = load_file(part, cut, 1, &m, path, sizeof path, msg, sizeof msg);
                ck_assert_msg(st == (cut == 0 ? SM_E_IO : SM_E_FORMAT), "file cut at %zu: %s (%s)",
                              cut, sm_status_name(st), msg);
                ck_assert_msg(cut == 0 || (strstr(msg, n1) && strstr(msg, n2)),
                              "file cut at %zu: \"%s\" should name \"%s\" and \"%s\"", cut, msg, n1,
                              n2);
                n_file_cuts++;
            }
            free(part);
            n_cuts++;
        }
    }
    /* every field kind was cut (padding only exists when the infos end unaligned) */
    int kinds[F_DATA + 1] = {0};
    for (size_t i = 0; i < l.n; i++)
        kinds[l.f[i].kind]++;
    for (int k = F_HEADER; k <= F_DATA; k++)
        ck_assert_msg(kinds[k] > 0 || (k == F_PAD && l.data_start == l.infos_end),
                      "no field of kind %d", k);
    ck_assert_int_gt(n_cuts, 3 * (int)l.n / 2);
    printf("# %d cuts over %zu fields of a %zu-byte model (%d also from a mapped file)\n", n_cuts,
           l.n, n, n_file_cuts);
    free(tried);
    free(b);
}
END_TEST

/* Row 11's last input: a data section that starts exactly aligned has no padding (not a whole
 * alignment of it). A description's length moves the end of the tensor infos through every
 * residue of 32; the walker finds the one that lands on a multiple, and that file loads (the
 * writer put no padding, so a loader expecting 32 bytes of it would find the last tensor cut). */
START_TEST(test_malformed_data_start_exactly_aligned)
{
    int seen = 0;
    for (int pad = 0; pad < 32; pad++) {
        char text[40];
        memset(text, 'd', (size_t)pad);
        text[pad] = '\0';
        sm_gw *w = sm_gw_create(3);
        sm_gw_kv_str(w, "general.description", text);
        b_base(w, 0);
        size_t n;
        uint8_t *b = gw_finish(w, &n);
        static layout l;
        walk(b, n, &l);
        if (l.infos_end % 32 == 0) {
            ck_assert_uint_eq(l.data_start, l.infos_end);
            seen++;
        }
        char msg[512] = "";
        sm_model *m;
        sm_status st = load_buffer(b, n, &m, msg, sizeof msg);
        ck_assert_msg(st == SM_OK, "description of %d bytes: %s", pad, msg);
        sm_model_free(m);
        free(b);
    }
    ck_assert_int_eq(seen, 1);
}
END_TEST

/* A model file truncated after it was loaded: with use_mmap = 0 the bytes were copied, so the
 * model goes on working (a mapped model would SIGBUS on the lost pages, as documented in
 * smallmind.h; not tested: a crash is what it documents). */
START_TEST(test_malformed_truncated_after_load_no_mmap)
{
    sm_gw *w = sm_gw_create(3);
    b_base(w, 0);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    char path[512];
    sm_test_make_temp(path, sizeof path, "sm_malformed_");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = 0;
    sm_model *m = NULL;
    ck_assert_int_eq(sm_model_load(path, &mp, &m), SM_OK);
    ck_assert_int_eq(truncate(path, 24), 0);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.n_threads = 1;
    sm_context *ctx = NULL;
    ck_assert_int_eq(sm_context_create(m, &cp, &ctx), SM_OK);
    const int32_t tok[2] = {1, 6};
    ck_assert_int_eq(sm_eval(ctx, tok, 2), SM_OK);
    ck_assert_ptr_nonnull(sm_get_logits(ctx, -1));
    sm_context_free(ctx);
    sm_model_free(m);
    /* and loading the truncated file now is a clean error */
    char msg[512] = "";
    mp.use_mmap = 1;
    mp.errbuf = msg;
    mp.errbuf_len = sizeof msg;
    ck_assert_int_eq(sm_model_load(path, &mp, &m), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(msg, path));
    unlink(path);
    free(b);
}
END_TEST

static Suite *malformed_suite(void)
{
    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_malformed_case, 0, N_CASES);
    tcase_add_test(tc, test_malformed_every_row_covered);
    tcase_add_test(tc, test_malformed_controls);
    suite_add_tcase(s, tc);
    TCase *cut = tcase_create("truncation");
    tcase_set_timeout(cut, 120);
    tcase_add_test(cut, test_malformed_truncation_at_every_field);
    tcase_add_test(cut, test_malformed_data_start_exactly_aligned);
    tcase_add_test(cut, test_malformed_truncated_after_load_no_mmap);
    suite_add_tcase(s, cut);
    return s;
}

int main(void)
{
    return sm_test_run(malformed_suite());
}
