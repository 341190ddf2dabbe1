/* SPDX-License-Identifier: MIT */
/* test_gguf.c: the GGUF parser (src/gguf.c) against files built by the independent test writer
 * (round trips of every value and tensor type), the malformed-file corpus of
 * ../shared/GGUF-HARDENING.md rows 1-13, truncations and random mutations, the shared fixture
 * models, and the file map (src/mapfile.c). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gguf.h"
#include "gguf_writer.h"
#include "mapfile.h"
#include "sm_test.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* The writer's bytes; frees the writer. */
static uint8_t *finish(sm_gw *w, size_t *n)
{
    uint8_t *b = NULL;
    ck_assert_int_eq(sm_gw_bytes(w, &b, n), 0);
    sm_gw_free(w);
    return b;
}

static sm_gguf *parse_ok(const uint8_t *b, size_t n)
{
    sm_gguf *g = NULL;
    char err[512] = "";
    sm_status st = sm_gguf_parse(b, n, &g, err, sizeof err);
    ck_assert_msg(st == SM_OK, "parse: %s: %s", sm_status_name(st), err);
    ck_assert_ptr_nonnull(g);
    return g;
}

/* Parses and expects @p want with a message holding every non-NULL needle. */
__attribute__((unused)) static void expect_fail(const uint8_t *b, size_t n, sm_status want,
                                                const char *what, const char *needle1,
                                                const char *needle2)
{
    sm_gguf *g = (sm_gguf *)&g; /* must be reset to NULL */
    char err[512] = "";
    sm_status st = sm_gguf_parse(b, n, &g, err, sizeof err);
    ck_assert_msg(st == want, "%s: got %s (%s), want %s", what, sm_status_name(st), err,
                  sm_status_name(want));
    ck_assert_msg(g == NULL, "%s: out not NULL on failure", what);
    ck_assert_msg(needle1 == NULL || strstr(err, needle1) != NULL, "%s: '%s' not in \"%s\"", what,
                  needle1, err);
    ck_assert_msg(needle2 == NULL || strstr(err, needle2) != NULL, "%s: '%s' not in \"%s\"", what,
                  needle2, err);
}

/* Little-endian reads, written here independently of the parser. */
static uint64_t le_get(const uint8_t *p, int n_bytes)
{
    uint64_t v = 0;
    for (int i = n_bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void le_put(uint8_t *p, uint64_t v, int n_bytes)
{
    for (int i = 0; i < n_bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Bytes of one block of the tensor types the tests use, from the ggml block definitions. */
static size_t type_bytes(uint32_t type, int64_t n_elems)
{
    switch (type) {
    case 0:
        return (size_t)n_elems * 4; /* F32 */
    case 1:
        return (size_t)n_elems * 2; /* F16 */
    case 2:
        return (size_t)n_elems / 32 * 18; /* Q4_0 */
    case 8:
        return (size_t)n_elems / 32 * 34; /* Q8_0 */
    case 12:
        return (size_t)n_elems / 256 * 144; /* Q4_K */
    case 14:
        return (size_t)n_elems / 256 * 210; /* Q6_K */
    case 24:
        return (size_t)n_elems; /* I8 */
    case 30:
        return (size_t)n_elems * 2; /* BF16 */
    case 39:
        return (size_t)n_elems / 32 * 17; /* MXFP4 */
    default:
        ck_abort_msg("type %u not in the test table", type);
        return 0;
    }
}

/* ---- round trips: every value type ------------------------------------------------------- */

/* One key of each fixed-size type, with its value as the file must hold it. */
typedef struct scalar_case {
    const char *key;
    uint32_t type;
    int bytes;
    uint64_t bits; /* the little-endian value */
} scalar_case;

START_TEST(test_gguf_scalars_round_trip)
{
    const float f = 1.5f;
    const double d = -3.25;
    uint32_t fbits;
    uint64_t dbits;
    memcpy(&fbits, &f, 4);
    memcpy(&dbits, &d, 8);
    const scalar_case cases[] = {
        {"v.u8", SM_GGUF_U8, 1, 200},
        {"v.i8", SM_GGUF_I8, 1, (uint8_t)-100},
        {"v.u16", SM_GGUF_U16, 2, 60000},
        {"v.i16", SM_GGUF_I16, 2, (uint16_t)-30000},
        {"v.u32", SM_GGUF_U32, 4, 4000000000u},
        {"v.i32", SM_GGUF_I32, 4, (uint32_t)-2000000000},
        {"v.f32", SM_GGUF_F32, 4, fbits},
        {"v.bool", SM_GGUF_BOOL, 1, 1},
        {"v.u64", SM_GGUF_U64, 8, ((uint64_t)1 << 63) + 5},
        {"v.i64", SM_GGUF_I64, 8, (uint64_t) - ((int64_t)1 << 62)},
        {"v.f64", SM_GGUF_F64, 8, dbits},
    };
    const size_t n_cases = sizeof cases / sizeof cases[0];
    for (uint32_t version = 2; version <= 3; version++) {
        sm_gw *w = sm_gw_create(version);
        for (size_t i = 0; i < n_cases; i++) {
            uint8_t host[8];
            le_put(host, cases[i].bits, cases[i].bytes); /* this host is little-endian */
            sm_gw_kv_scalar(w, cases[i].key, cases[i].type, host);
        }
        sm_gw_kv_str(w, "v.str", "hello, gguf");
        sm_gw_kv_str(w, "v.empty", "");
        size_t n;
        uint8_t *b = finish(w, &n);
        sm_gguf *g = parse_ok(b, n);
        ck_assert_uint_eq(g->version, version);
        ck_assert_uint_eq(g->n_kv, n_cases + 2);
        ck_assert_uint_eq(g->n_tensors, 0);
        ck_assert_uint_eq(g->alignment, 32);
        for (size_t i = 0; i < n_cases; i++) {
            ck_assert_ptr_eq(&g->kv[i], sm_gguf_find(g, cases[i].key));
            ck_assert(sm_gguf_str_eq(g->kv[i].key, cases[i].key));
            ck_assert_uint_eq(g->kv[i].type, cases[i].type);
            ck_assert_uint_eq(g->kv[i].elem_type, cases[i].type);
            ck_assert_uint_eq(g->kv[i].n, 1);
            ck_assert_uint_eq(le_get(g->kv[i].data, cases[i].bytes), cases[i].bits);
        }
        sm_gguf_str s = {0};
        ck_assert_int_eq(sm_gguf_get_str(g, "v.str", &s, NULL, 0), SM_OK);
        ck_assert(s.n == 11 && memcmp(s.p, "hello, gguf", 11) == 0);
        ck_assert_int_eq(sm_gguf_get_str(g, "v.empty", &s, NULL, 0), SM_OK);
        ck_assert_uint_eq(s.n, 0);
        ck_assert_ptr_null(sm_gguf_find(g, "v.missing"));
        ck_assert_ptr_null(sm_gguf_find(g, "v.u"));
        sm_gguf_free(g);
        free(b);
    }
}
END_TEST

/* Typed getters: each integer type through get_int, ranges, type errors and NOT_FOUND. */
START_TEST(test_gguf_typed_getters)
{
    sm_gw *w = sm_gw_create(3);
    uint8_t u8 = 250;
    int8_t i8 = -7;
    uint16_t u16 = 65535;
    int16_t i16 = -32768;
    int64_t i64 = INT64_MIN;
    double f64 = 0.125;
    sm_gw_kv_scalar(w, "u8", SM_GGUF_U8, &u8);
    sm_gw_kv_scalar(w, "i8", SM_GGUF_I8, &i8);
    sm_gw_kv_scalar(w, "u16", SM_GGUF_U16, &u16);
    sm_gw_kv_scalar(w, "i16", SM_GGUF_I16, &i16);
    sm_gw_kv_u32(w, "u32", 4294967295u);
    sm_gw_kv_i32(w, "i32", -5);
    sm_gw_kv_u64(w, "u64.big", UINT64_MAX);
    sm_gw_kv_u64(w, "u64", 12345678901234ull);
    sm_gw_kv_scalar(w, "i64", SM_GGUF_I64, &i64);
    sm_gw_kv_bool(w, "yes", 1);
    sm_gw_kv_bool(w, "no", 0);
    sm_gw_kv_f32(w, "f32", 0.5f);
    sm_gw_kv_scalar(w, "f64", SM_GGUF_F64, &f64);
    sm_gw_kv_f32(w, "nan", NAN);
    sm_gw_kv_f32(w, "inf", -INFINITY);
    double huge = 1e300, inf64 = INFINITY;
    sm_gw_kv_scalar(w, "f64.huge", SM_GGUF_F64, &huge);
    sm_gw_kv_scalar(w, "f64.inf", SM_GGUF_F64, &inf64);
    sm_gw_kv_str(w, "str", "x");
    const int32_t ints[] = {1, -2, 3};
    sm_gw_kv_arr_i32(w, "arr", ints, 3);
    size_t n;
    uint8_t *b = finish(w, &n);
    sm_gguf *g = parse_ok(b, n);

    static const struct {
        const char *key;
        int64_t want;
    } ok[] = {{"u8", 250},
              {"i8", -7},
              {"u16", 65535},
              {"i16", -32768},
              {"u32", 4294967295ll},
              {"i32", -5},
              {"u64", 12345678901234ll},
              {"i64", INT64_MIN},
              {"yes", 1},
              {"no", 0}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 42;
        char err[256] = "";
        sm_status st = sm_gguf_get_int(g, ok[i].key, INT64_MIN, INT64_MAX, &v, err, sizeof err);
        ck_assert_msg(st == SM_OK, "%s: %s", ok[i].key, err);
        ck_assert_int_eq(v, ok[i].want);
    }
    char err[256] = "";
    int64_t v = 42;
    /* range: the bounds are inclusive */
    ck_assert_int_eq(sm_gguf_get_int(g, "u8", 250, 250, &v, err, sizeof err), SM_OK);
    v = 42;
    ck_assert_int_eq(sm_gguf_get_int(g, "u8", 0, 249, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_int_eq(v, 42); /* untouched on failure */
    ck_assert_ptr_nonnull(strstr(err, "'u8'"));
    ck_assert_ptr_nonnull(strstr(err, "250"));
    ck_assert_ptr_nonnull(strstr(err, "249"));
    ck_assert_int_eq(sm_gguf_get_int(g, "i32", 0, 10, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "-5"));
    ck_assert_int_eq(sm_gguf_get_int(g, "u64.big", 0, INT64_MAX, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "18446744073709551615"));
    /* type errors */
    ck_assert_int_eq(sm_gguf_get_int(g, "f32", 0, 10, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "'f32'"));
    ck_assert_ptr_nonnull(strstr(err, "f32"));
    ck_assert_int_eq(sm_gguf_get_int(g, "str", 0, 10, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "string"));
    ck_assert_int_eq(sm_gguf_get_int(g, "arr", 0, 10, &v, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "array"));
    ck_assert_int_eq(v, 42);
    /* not found */
    ck_assert_int_eq(sm_gguf_get_int(g, "nope", 0, 10, &v, err, sizeof err), SM_E_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(err, "'nope'"));
    float f = 7.0f;
    ck_assert_int_eq(sm_gguf_get_f32(g, "nope", &f, err, sizeof err), SM_E_NOT_FOUND);
    sm_gguf_str s = {0};
    ck_assert_int_eq(sm_gguf_get_str(g, "nope", &s, err, sizeof err), SM_E_NOT_FOUND);
    const sm_gguf_kv *kv = NULL;
    ck_assert_int_eq(sm_gguf_get_arr(g, "nope", SM_GGUF_I32, &kv, err, sizeof err), SM_E_NOT_FOUND);
    /* floats */
    ck_assert_int_eq(sm_gguf_get_f32(g, "f32", &f, err, sizeof err), SM_OK);
    ck_assert(f == 0.5f);
    ck_assert_int_eq(sm_gguf_get_f32(g, "f64", &f, err, sizeof err), SM_OK);
    ck_assert(f == 0.125f);
    f = 7.0f;
    static const char *const bad_f[] = {"nan", "inf", "f64.huge", "f64.inf"};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(sm_gguf_get_f32(g, bad_f[i], &f, err, sizeof err), SM_E_FORMAT);
        ck_assert_ptr_nonnull(strstr(err, bad_f[i]));
        ck_assert(f == 7.0f);
    }
    ck_assert_int_eq(sm_gguf_get_f32(g, "u32", &f, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "u32"));
    /* strings and arrays */
    ck_assert_int_eq(sm_gguf_get_str(g, "u8", &s, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_nonnull(strstr(err, "u8"));
    ck_assert_int_eq(sm_gguf_get_arr(g, "arr", SM_GGUF_I32, &kv, err, sizeof err), SM_OK);
    ck_assert_int_eq(sm_gguf_arr_i32(kv, 1), -2);
    kv = NULL;
    ck_assert_int_eq(sm_gguf_get_arr(g, "arr", SM_GGUF_F32, &kv, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_null(kv);
    ck_assert_ptr_nonnull(strstr(err, "'arr'"));
    ck_assert_ptr_nonnull(strstr(err, "i32"));
    ck_assert_ptr_nonnull(strstr(err, "f32"));
    ck_assert_int_eq(sm_gguf_get_arr(g, "str", SM_GGUF_STRING, &kv, err, sizeof err), SM_E_FORMAT);
    sm_gguf_free(g);
    free(b);
}
END_TEST

/* Arrays of every element type, read back through the accessors and as raw bytes. */
START_TEST(test_gguf_arrays_round_trip)
{
    static const uint32_t elem_types[] = {SM_GGUF_U8,  SM_GGUF_I8,  SM_GGUF_U16, SM_GGUF_I16,
                                          SM_GGUF_U32, SM_GGUF_I32, SM_GGUF_F32, SM_GGUF_BOOL,
                                          SM_GGUF_U64, SM_GGUF_I64, SM_GGUF_F64};
    static const int elem_bytes[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 8, 8};
    enum { N_T = sizeof elem_types / sizeof elem_types[0], N_E = 5 };
    static const char *const strs[] = {"", "a", "héllo", "tab\tand\nnewline", "<0x0A>", "last"};
    const float fs[] = {0.0f, -1.5f, 3.0e-8f, 65504.0f, -0.0f};
    sm_gw *w = sm_gw_create(3);
    uint8_t raw[N_T][N_E * 8];
    for (size_t t = 0; t < N_T; t++) {
        for (int i = 0; i < N_E * elem_bytes[t]; i++)
            raw[t][i] = (uint8_t)(t * 31 + i * 7 + 1);
        if (elem_types[t] == SM_GGUF_BOOL)
            for (int i = 0; i < N_E; i++)
                raw[t][i] = (uint8_t)(i & 1);
        if (elem_types[t] == SM_GGUF_F32)
            memcpy(raw[t], fs, sizeof fs);
        char key[32];
        snprintf(key, sizeof key, "arr.%s", sm_gguf_vtype_name(elem_types[t]));
        sm_gw_kv_arr(w, key, elem_types[t], raw[t], N_E);
    }
    sm_gw_kv_arr_str(w, "arr.string", strs, 6);
    sm_gw_kv_arr_str(w, "arr.string.empty", strs, 0);
    sm_gw_kv_arr_f32(w, "arr.f32.empty", fs, 0);
    size_t n;
    uint8_t *b = finish(w, &n);
    sm_gguf *g = parse_ok(b, n);
    char err[256];
    for (size_t t = 0; t < N_T; t++) {
        char key[32];
        snprintf(key, sizeof key, "arr.%s", sm_gguf_vtype_name(elem_types[t]));
        const sm_gguf_kv *kv = NULL;
        ck_assert_int_eq(sm_gguf_get_arr(g, key, elem_types[t], &kv, err, sizeof err), SM_OK);
        ck_assert_uint_eq(kv->type, SM_GGUF_ARRAY);
        ck_assert_uint_eq(kv->elem_type, elem_types[t]);
        ck_assert_uint_eq(kv->n, N_E);
        ck_assert_mem_eq(kv->data, raw[t], (size_t)(N_E * elem_bytes[t]));
        for (int i = 0; i < N_E; i++) {
            if (elem_types[t] == SM_GGUF_U8)
                ck_assert_uint_eq(sm_gguf_arr_u8(kv, i), raw[t][i]);
            if (elem_types[t] == SM_GGUF_I32)
                ck_assert_int_eq(sm_gguf_arr_i32(kv, i), (int32_t)le_get(raw[t] + 4 * i, 4));
            if (elem_types[t] == SM_GGUF_F32)
                ck_assert(memcmp(&(float){sm_gguf_arr_f32(kv, i)}, &fs[i], 4) == 0);
        }
    }
    const sm_gguf_kv *kv = NULL;
    ck_assert_int_eq(sm_gguf_get_arr(g, "arr.string", SM_GGUF_STRING, &kv, err, sizeof err), SM_OK);
    ck_assert_uint_eq(kv->n, 6);
    const uint8_t *cur = kv->data;
    for (int i = 0; i < 6; i++) {
        sm_gguf_str s = sm_gguf_arr_next_str(&cur);
        ck_assert_msg(sm_gguf_str_eq(s, strs[i]), "string %d", i);
    }
    /* The walk ends exactly where the next record begins. */
    ck_assert_ptr_eq(cur + 8, (const uint8_t *)sm_gguf_find(g, "arr.string.empty")->key.p);
    ck_assert_int_eq(sm_gguf_get_arr(g, "arr.string.empty", SM_GGUF_STRING, &kv, err, sizeof err),
                     SM_OK);
    ck_assert_uint_eq(kv->n, 0);
    ck_assert_int_eq(sm_gguf_get_arr(g, "arr.f32.empty", SM_GGUF_F32, &kv, err, sizeof err), SM_OK);
    ck_assert_uint_eq(kv->n, 0);
    sm_gguf_free(g);
    free(b);
}
END_TEST

/* ---- round trips: tensors ----------------------------------------------------------------- */

typedef struct tensor_case {
    const char *name;
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[4];
} tensor_case;

static const tensor_case tensor_cases[] = {
    {"token_embd.weight", 0, 2, {4, 3, 1, 1}},
    {"a", 1, 1, {7, 1, 1, 1}},
    {"blk.0.attn_q.weight", 2, 2, {64, 2, 1, 1}},
    {"blk.0.ffn_down.weight", 8, 3, {32, 3, 2, 1}},
    {"k4", 12, 2, {256, 1, 1, 1}},
    {"k6", 14, 4, {256, 1, 2, 1}},
    {"bytes", 24, 1, {5, 1, 1, 1}},
    {"bf", 30, 2, {3, 3, 1, 1}},
    {"mx", 39, 1, {64, 1, 1, 1}},
    {"a.name.of.exactly.sixty.three.bytes.is.the.longest.allowed.wxyz", 0, 1, {1, 1, 1, 1}},
};
enum { N_TENSOR_CASES = sizeof tensor_cases / sizeof tensor_cases[0] };

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131 + seed * 17 + (i >> 8)) ^ seed);
}

static void tensors_round_trip(uint32_t version, uint32_t alignment, int write_key)
{
    ck_assert_uint_eq(strlen(tensor_cases[N_TENSOR_CASES - 1].name), SM_GGUF_NAME_MAX - 1);
    sm_gw *w = sm_gw_create(version);
    sm_gw_set_alignment(w, alignment);
    sm_gw_kv_str(w, "general.architecture", "test");
    if (write_key)
        sm_gw_kv_u32(w, "general.alignment", alignment);
    uint8_t *data[N_TENSOR_CASES];
    size_t bytes[N_TENSOR_CASES];
    for (size_t i = 0; i < N_TENSOR_CASES; i++) {
        const tensor_case *c = &tensor_cases[i];
        bytes[i] = type_bytes(c->type, c->ne[0] * c->ne[1] * c->ne[2] * c->ne[3]);
        data[i] = malloc(bytes[i]);
        fill(data[i], bytes[i], (uint32_t)i);
        sm_gw_tensor(w, c->name, c->type, c->n_dims, c->ne, data[i], bytes[i]);
    }
    size_t n;
    uint8_t *b = finish(w, &n);
    sm_gguf *g = parse_ok(b, n);
    ck_assert_uint_eq(g->version, version);
    ck_assert_uint_eq(g->alignment, alignment);
    ck_assert_uint_eq(g->n_tensors, N_TENSOR_CASES);
    ck_assert_uint_eq(g->data_offset % alignment, 0);
    ck_assert_ptr_eq(g->base, b);
    ck_assert_uint_eq(g->size, n);
    uint64_t expect_offset = 0;
    for (size_t i = 0; i < N_TENSOR_CASES; i++) {
        const tensor_case *c = &tensor_cases[i];
        const sm_gguf_tensor *t = sm_gguf_find_tensor(g, c->name);
        ck_assert_ptr_eq(t, &g->tensors[i]);
        ck_assert_str_eq(t->name, c->name);
        ck_assert_uint_eq(t->type, c->type);
        ck_assert_uint_eq(t->n_dims, c->n_dims);
        for (int d = 0; d < 4; d++)
            ck_assert_int_eq(t->ne[d], c->ne[d]);
        ck_assert_uint_eq(t->n_bytes, bytes[i]);
        ck_assert_uint_eq(t->offset, expect_offset);
        ck_assert_ptr_eq(t->data, b + g->data_offset + t->offset);
        ck_assert_mem_eq(t->data, data[i], bytes[i]);
        expect_offset = (t->offset + bytes[i] + alignment - 1) / alignment * alignment;
        free(data[i]);
    }
    ck_assert_uint_eq(
        g->data_offset + g->tensors[N_TENSOR_CASES - 1].offset + bytes[N_TENSOR_CASES - 1], n);
    ck_assert_ptr_null(sm_gguf_find_tensor(g, "missing"));
    ck_assert_str_eq(sm_gguf_type_name(12), "Q4_K");
    sm_gguf_free(g);
    free(b);
}

START_TEST(test_gguf_tensors_round_trip)
{
    tensors_round_trip(3, 32, 0);
    tensors_round_trip(3, 32, 1);
    tensors_round_trip(2, 32, 0);
    tensors_round_trip(3, 64, 1);
    tensors_round_trip(2, 64, 1);
    tensors_round_trip(3, 1, 1);
    tensors_round_trip(3, 4096, 1);
}
END_TEST

/* The data section starts at the end of the tensor infos when that is already aligned: the
 * padding is 0, not a whole alignment. A key's length moves the infos' end through every
 * residue, so one of the lengths lands exactly on a multiple of 32. */
START_TEST(test_gguf_data_start_exactly_aligned)
{
    int seen_aligned = 0;
    for (int len = 0; len < 32; len++) {
        char value[40];
        memset(value, 'v', (size_t)len);
        value[len] = '\0';
        sm_gw *w = sm_gw_create(3);
        sm_gw_kv_str(w, "pad", value);
        const int64_t ne[1] = {8};
        const float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        sm_gw_tensor(w, "x", 0, 1, ne, x, sizeof x);
        size_t n;
        uint8_t *b = finish(w, &n);
        /* header 24 + kv (8 + 3 + 4 + 8 + len) + tensor info (8 + 1 + 4 + 8 + 4 + 8) */
        size_t infos_end = 24 + 23 + (size_t)len + 33;
        size_t want = (infos_end + 31) / 32 * 32;
        seen_aligned |= infos_end % 32 == 0;
        sm_gguf *g = parse_ok(b, n);
        ck_assert_uint_eq(g->data_offset, want);
        ck_assert_mem_eq(g->tensors[0].data, x, sizeof x);
        sm_gguf_free(g);
        free(b);
    }
    ck_assert(seen_aligned);
}
END_TEST

/* Row 13: 0 tensors and 0 kv is a valid, empty file (the model layer rejects it). */
START_TEST(test_gguf_empty_file_parses)
{
    for (uint32_t version = 2; version <= 3; version++) {
        size_t n;
        uint8_t *b = finish(sm_gw_create(version), &n);
        sm_gguf *g = parse_ok(b, n);
        ck_assert_uint_eq(g->n_kv, 0);
        ck_assert_uint_eq(g->n_tensors, 0);
        ck_assert_ptr_null(sm_gguf_find(g, "general.architecture"));
        ck_assert_ptr_null(sm_gguf_find_tensor(g, "x"));
        ck_assert_uint_le(g->data_offset, n);
        sm_gguf_free(g);
        /* exactly the 24-byte header, no padding */
        g = parse_ok(b, 24);
        ck_assert_uint_eq(g->data_offset, 24);
        sm_gguf_free(g);
        free(b);
    }
    sm_gguf_free(NULL);
}
END_TEST

START_TEST(test_gguf_type_names)
{
    ck_assert_str_eq(sm_gguf_type_name(0), "F32");
    ck_assert_str_eq(sm_gguf_type_name(8), "Q8_0");
    ck_assert_str_eq(sm_gguf_type_name(39), "MXFP4");
    static const uint32_t removed[] = {4, 5, 31, 32, 33, 36, 37, 38, 40, 41, 1000, UINT32_MAX};
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++)
        ck_assert_ptr_null(sm_gguf_type_name(removed[i]));
    ck_assert_str_eq(sm_gguf_vtype_name(SM_GGUF_U32), "u32");
    ck_assert_str_eq(sm_gguf_vtype_name(SM_GGUF_STRING), "string");
    ck_assert_str_eq(sm_gguf_vtype_name(SM_GGUF_ARRAY), "array");
    ck_assert_str_eq(sm_gguf_vtype_name(13), "unknown");
}
END_TEST

/* ---- suite -------------------------------------------------------------------------------- */

static Suite *gguf_suite(void)
{
    Suite *s = suite_create("gguf");
    TCase *rt = tcase_create("round_trip");
    tcase_add_test(rt, test_gguf_scalars_round_trip);
    tcase_add_test(rt, test_gguf_typed_getters);
    tcase_add_test(rt, test_gguf_arrays_round_trip);
    tcase_add_test(rt, test_gguf_tensors_round_trip);
    tcase_add_test(rt, test_gguf_data_start_exactly_aligned);
    tcase_add_test(rt, test_gguf_empty_file_parses);
    tcase_add_test(rt, test_gguf_type_names);
    suite_add_tcase(s, rt);
    return s;
}

int main(void)
{
    return sm_test_run(gguf_suite());
}
