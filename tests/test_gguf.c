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

#include "cli/gguf_writer.h"
#include "gguf.h"
#include "mapfile.h"
#include "sm_test.h"
#include "sm_test_raw.h"

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
static void expect_fail(const uint8_t *b, size_t n, sm_status want, const char *what,
                        const char *needle1, const char *needle2)
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

/* ---- the malformed corpus (GGUF-HARDENING.md rows 1-13) --------------------------------- */

/* Value types and tensor types by number, as the spec numbers them. */
enum { VT_U32 = 4, VT_I32 = 5, VT_STRING = 8, VT_ARRAY = 9, VT_U64 = 10 };
enum { T_F32 = 0, T_Q4_0 = 2, T_Q8_0 = 8, T_Q4_K = 12, T_I8 = 24 };

/* The valid base most cases start from: one key and one 16-element F32 tensor. */
static void valid_base(sm_gw *w)
{
    sm_gw_kv_str(w, "general.architecture", "test");
    const int64_t ne[1] = {16};
    float x[16] = {0};
    sm_gw_tensor(w, "w", T_F32, 1, ne, x, sizeof x);
}

static void build_valid(sm_gw *w, uint64_t arg)
{
    (void)arg;
    valid_base(w);
}

static void build_n_tensors(sm_gw *w, uint64_t arg)
{
    valid_base(w);
    sm_gw_set_counts(w, arg, 1);
}

static void build_n_kv(sm_gw *w, uint64_t arg)
{
    valid_base(w);
    sm_gw_set_counts(w, 1, arg);
}

/* A key whose length field says @p arg, followed by "abc", type u32 and a value. */
static void build_key_len(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 8);
    raw_text(&r, "abc");
    raw_le(&r, VT_U32, 4);
    raw_le(&r, 7, 4);
    sm_gw_kv_bytes(w, r.p, r.n);
    free(r.p);
}

/* A string value whose length field says @p arg, followed by 3 bytes. */
static void build_str_len(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 8);
    raw_text(&r, "abc");
    sm_gw_kv_raw(w, "general.name", VT_STRING, r.p, r.n);
    free(r.p);
}

/* An array of @p arg u64 followed by 16 bytes. */
static void build_arr_count(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_U64, 4);
    raw_le(&r, arg, 8);
    raw_le(&r, 1, 8);
    raw_le(&r, 2, 8);
    sm_gw_kv_raw(w, "arr", VT_ARRAY, r.p, r.n);
    free(r.p);
}

/* A string array of @p arg strings, holding one. */
static void build_str_arr_count(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_STRING, 4);
    raw_le(&r, arg, 8);
    raw_le(&r, 1, 8);
    raw_text(&r, "a");
    sm_gw_kv_raw(w, "tokenizer.ggml.tokens", VT_ARRAY, r.p, r.n);
    free(r.p);
}

/* A string array whose second string claims @p arg bytes. */
static void build_str_arr_elem(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, VT_STRING, 4);
    raw_le(&r, 2, 8);
    raw_le(&r, 2, 8);
    raw_text(&r, "ab");
    raw_le(&r, arg, 8);
    raw_text(&r, "xyz");
    sm_gw_kv_raw(w, "tokenizer.ggml.tokens", VT_ARRAY, r.p, r.n);
    free(r.p);
}

/* Arrays of arrays nested @p arg deep around an array of one u32. */
static void build_nested(sm_gw *w, uint64_t arg)
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
}

static void build_kv_type(sm_gw *w, uint64_t arg)
{
    const uint8_t v[8] = {0};
    sm_gw_kv_raw(w, "k", (uint32_t)arg, v, sizeof v);
}

static void build_arr_elem_type(sm_gw *w, uint64_t arg)
{
    raw r = raw_new(64);
    raw_le(&r, arg, 4);
    raw_le(&r, 1, 8);
    raw_le(&r, 0, 8);
    sm_gw_kv_raw(w, "k", VT_ARRAY, r.p, r.n);
    free(r.p);
}

/* One tensor info written raw, with 4 KiB of data behind it. */
static void raw_tensor(sm_gw *w, const char *name, uint32_t n_dims, const int64_t *ne,
                       uint32_t type, uint64_t offset)
{
    uint64_t ne_u[4];
    size_t n_ne = n_dims < 4 ? n_dims : 4;
    for (size_t d = 0; d < n_ne; d++)
        ne_u[d] = (uint64_t)ne[d];
    sm_gw_tensor_raw(w, name, n_dims, ne_u, n_ne, type, offset);
}

static void add_data(sm_gw *w, size_t n)
{
    uint8_t *z = calloc(1, n);
    sm_gw_data(w, z, n);
    free(z);
}

static void build_tensor_type(sm_gw *w, uint64_t arg)
{
    const int64_t ne[1] = {256};
    raw_tensor(w, "t", 1, ne, (uint32_t)arg, 0);
    add_data(w, 4096);
}

static void build_dup_key(sm_gw *w, uint64_t arg)
{
    (void)arg;
    sm_gw_kv_u32(w, "dup", 1);
    sm_gw_kv_str(w, "other", "x");
    sm_gw_kv_str(w, "dup", "again");
}

static void build_dup_tensor(sm_gw *w, uint64_t arg)
{
    (void)arg;
    const int64_t ne[1] = {8};
    const float x[8] = {0};
    sm_gw_tensor(w, "w", T_F32, 1, ne, x, sizeof x);
    sm_gw_tensor(w, "v", T_F32, 1, ne, x, sizeof x);
    sm_gw_tensor(w, "w", T_F32, 1, ne, x, sizeof x);
}

/* A tensor whose name is @p arg bytes of 'n' (0 = empty). */
static void build_name_len(sm_gw *w, uint64_t arg)
{
    char name[300];
    memset(name, 'n', (size_t)arg);
    name[arg] = '\0';
    const int64_t ne[1] = {8};
    const float x[8] = {0};
    sm_gw_tensor(w, name, T_F32, 1, ne, x, sizeof x);
}

static void build_n_dims(sm_gw *w, uint64_t arg)
{
    const int64_t ne[4] = {4, 1, 1, 1};
    raw_tensor(w, "t", (uint32_t)arg, ne, T_F32, 0);
    add_data(w, 4096);
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
    /* 6: element count overflows int64 (#27203); 7: bytes = 2^64 (F32 stride 4); 8: 4-D
     * product 2^64 */
    {4, {INT64_MAX, 2, 1, 1}, T_I8},
    {1, {(int64_t)1 << 62, 1, 1, 1}, T_F32},
    {4, {65536, 65536, 65536, 65536}, T_F32},
    /* 9-11: rows not a multiple of the block */
    {1, {33, 1, 1, 1}, T_Q4_0},
    {1, {1, 1, 1, 1}, T_Q8_0},
    {2, {255, 2, 1, 1}, T_Q4_K},
};

static void build_shape(sm_gw *w, uint64_t arg)
{
    const shape *s = &shapes[arg];
    raw_tensor(w, "blk.0.attn_q.weight", s->n_dims, s->ne, s->type, 0);
    add_data(w, 4096);
}

/* Two tensors of 2^61 F32 (2^63 bytes each): the second one's end passes 2^64. */
static void build_sum_overflow(sm_gw *w, uint64_t arg)
{
    (void)arg;
    const int64_t ne[1] = {(int64_t)1 << 61};
    raw_tensor(w, "a", 1, ne, T_F32, 0);
    raw_tensor(w, "b", 1, ne, T_F32, (uint64_t)1 << 63);
    add_data(w, 4096);
}

/* general.alignment = arg as u32, over the valid base (laid out with 32). */
static void build_alignment(sm_gw *w, uint64_t arg)
{
    sm_gw_kv_u32(w, "general.alignment", (uint32_t)arg);
    valid_base(w);
}

/* general.alignment = 32 stored as another type. */
static void build_alignment_type(sm_gw *w, uint64_t arg)
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
    valid_base(w);
}

/* Two 16-element F32 tensors "t0" and "t1" (64 bytes each) at the offsets of case @p arg, with
 * 192 bytes of data behind them. */
static const uint64_t offset_pairs[][2] = {
    {0, 32},              /* 0: overlap */
    {0, 128},             /* 1: gap */
    {8, 72},              /* 2: not a multiple of the alignment */
    {64, 0},              /* 3: out of order */
    {UINT64_MAX - 31, 0}, /* 4: offset + size wraps */
    {0, 64},              /* 5: valid offsets but t1 ends past the data (128 > 96) */
};

static void build_offsets(sm_gw *w, uint64_t arg)
{
    const int64_t ne[1] = {16};
    raw_tensor(w, "t0", 1, ne, T_F32, offset_pairs[arg][0]);
    raw_tensor(w, "t1", 1, ne, T_F32, offset_pairs[arg][1]);
    add_data(w, arg == 5 ? 96 : 192);
}

typedef struct bad_case {
    const char *name;
    void (*build)(sm_gw *w, uint64_t arg);
    void (*patch)(uint8_t *b, size_t *n, uint64_t arg);
    uint64_t arg;
    sm_status want;
    const char *needle1; /* the key, tensor or field */
    const char *needle2; /* the bad value */
} bad_case;

#define P62 ((uint64_t)1 << 62)
#define F   SM_E_FORMAT
#define U   SM_E_UNSUPPORTED

static const bad_case bad_cases[] = {
    /* row 1: header counts */
    {"n_tensors 2^62", build_n_tensors, NULL, P62, F, "n_tensors", "4611686018427387904"},
    {"n_kv 2^62", build_n_kv, NULL, P62, F, "n_kv", "4611686018427387904"},
    {"n_tensors -1", build_n_tensors, NULL, UINT64_MAX, F, "n_tensors", "-1"},
    {"n_kv -1", build_n_kv, NULL, UINT64_MAX, F, "n_kv", "-1"},
    {"n_kv 3 with 1 record", build_n_kv, NULL, 3, F, "kv 2", "empty"},
    {"n_tensors 2 with 1 record", build_n_tensors, NULL, 2, F, "tensor 1", "empty"},
    /* row 2: strings */
    {"key length UINT64_MAX", build_key_len, NULL, UINT64_MAX, F, "key length",
     "18446744073709551615"},
    {"key length 2^63", build_key_len, NULL, (uint64_t)1 << 63, F, "key length",
     "9223372036854775808"},
    {"key length 2^30 + 1", build_key_len, NULL, ((uint64_t)1 << 30) + 1, F, "key length",
     "1073741825"},
    {"key length past EOF", build_key_len, NULL, 1000, F, "key length 1000", "past the end"},
    {"zero-length key", build_key_len, NULL, 0, F, "kv 0", "key is empty"},
    {"string value length UINT64_MAX", build_str_len, NULL, UINT64_MAX, F, "general.name",
     "18446744073709551615"},
    {"string value truncated", build_str_len, NULL, 100, F, "general.name", "length 100"},
    /* row 3: arrays */
    {"array of 2^61 u64", build_arr_count, NULL, (uint64_t)1 << 61, F, "'arr'",
     "2305843009213693952"},
    {"array count*8 wraps", build_arr_count, NULL, ((uint64_t)1 << 61) + 1, F, "'arr'",
     "2305843009213693953"},
    {"array of 2^29 u64 past EOF", build_arr_count, NULL, (uint64_t)1 << 29, F, "'arr'",
     "536870912"},
    {"string array count > remaining/8", build_str_arr_count, NULL, 100, F, "tokenizer.ggml.tokens",
     "100 strings"},
    {"string array element past EOF", build_str_arr_elem, NULL, 1000, F, "tokenizer.ggml.tokens",
     "array string 1 length 1000"},
    /* row 4: nesting */
    {"array of array", build_nested, NULL, 1, F, "'nest'", "nested arrays"},
    {"arrays nested 10^5 deep", build_nested, NULL, 100000, F, "'nest'", "nested arrays"},
    /* row 5: unknown types */
    {"kv type 13", build_kv_type, NULL, 13, F, "'k'", "value type 13"},
    {"kv type 0xFFFFFFFF", build_kv_type, NULL, 0xFFFFFFFFu, F, "'k'", "4294967295"},
    {"array element type 13", build_arr_elem_type, NULL, 13, F, "'k'", "element type 13"},
    {"tensor type -1", build_tensor_type, NULL, 0xFFFFFFFFu, U, "'t'", "-1"},
    {"tensor type 40 (GGML_TYPE_COUNT)", build_tensor_type, NULL, 40, U, "'t'", "type 40"},
    {"tensor type 4 (removed Q4_2)", build_tensor_type, NULL, 4, U, "'t'", "type 4 "},
    {"tensor type 31 (removed Q4_0_4_4)", build_tensor_type, NULL, 31, U, "'t'", "type 31"},
    {"tensor type 38 (removed IQ4_NL_8_8)", build_tensor_type, NULL, 38, U, "'t'", "type 38"},
    /* row 6: empty, duplicate and long names */
    {"duplicate key", build_dup_key, NULL, 0, F, "'dup'", "kv 0"},
    {"duplicate tensor name", build_dup_tensor, NULL, 0, F, "'w'", "tensor 0"},
    {"tensor name 64 bytes", build_name_len, NULL, 64, F, "nnnnnnnnnnnnnnnn", "64 bytes"},
    {"tensor name 200 bytes", build_name_len, NULL, 200, F, "nnnnnnnnnnnnnnnn", "200 bytes"},
    {"empty tensor name", build_name_len, NULL, 0, F, "tensor 0", "empty"},
    /* row 7: n_dims */
    {"n_dims 5", build_n_dims, NULL, 5, F, "'t'", "n_dims 5"},
    {"n_dims 255", build_n_dims, NULL, 255, F, "'t'", "n_dims 255"},
    {"n_dims 2^32-1", build_n_dims, NULL, UINT32_MAX, F, "'t'", "n_dims 4294967295"},
    {"n_dims 0", build_n_dims, NULL, 0, F, "'t'", "n_dims 0"},
    /* row 8: zero and negative extents */
    {"ne[0] = 0", build_shape, NULL, 0, F, "blk.0.attn_q.weight", "ne[0] = 0"},
    {"ne[1] = 0", build_shape, NULL, 1, F, "blk.0.attn_q.weight", "ne[1] = 0"},
    {"ne[2] = 0", build_shape, NULL, 2, F, "blk.0.attn_q.weight", "ne[2] = 0"},
    {"ne[3] = 0", build_shape, NULL, 3, F, "blk.0.attn_q.weight", "ne[3] = 0"},
    {"ne[0] = -1", build_shape, NULL, 4, F, "blk.0.attn_q.weight", "ne[0] = -1"},
    {"ne[1] = INT64_MIN", build_shape, NULL, 5, F, "blk.0.attn_q.weight",
     "ne[1] = -9223372036854775808"},
    /* row 9: size overflow */
    {"elements (INT64_MAX, 2) I8", build_shape, NULL, 6, F, "blk.0.attn_q.weight",
     "9223372036854775807 x 2"},
    {"bytes 2^62 x 4", build_shape, NULL, 7, F, "blk.0.attn_q.weight", "4611686018427387904"},
    {"4-D product 2^64", build_shape, NULL, 8, F, "blk.0.attn_q.weight", "65536 x 65536"},
    {"sizes summing past 2^64", build_sum_overflow, NULL, 0, F, "'b'", "9223372036854775808"},
    /* row 10: block multiples */
    {"Q4_0 ne[0] = 33", build_shape, NULL, 9, F, "blk.0.attn_q.weight", "ne[0] = 33"},
    {"Q8_0 ne[0] = 1", build_shape, NULL, 10, F, "blk.0.attn_q.weight", "ne[0] = 1"},
    {"Q4_K ne[0] = 255", build_shape, NULL, 11, F, "blk.0.attn_q.weight", "ne[0] = 255"},
    /* row 11: alignment */
    {"alignment 0", build_alignment, NULL, 0, F, "general.alignment", "alignment 0"},
    {"alignment 3", build_alignment, NULL, 3, F, "general.alignment", "alignment 3"},
    {"alignment 24", build_alignment, NULL, 24, F, "general.alignment", "alignment 24"},
    {"alignment 2^31", build_alignment, NULL, (uint64_t)1 << 31, F, "data section",
     "alignment 2147483648"},
    {"alignment as i32", build_alignment_type, NULL, VT_I32, F, "general.alignment", "i32"},
    {"alignment as u64", build_alignment_type, NULL, VT_U64, F, "general.alignment", "u64"},
    {"alignment as string", build_alignment_type, NULL, VT_STRING, F, "general.alignment",
     "string"},
    /* row 12: offsets and the data section */
    {"tensors overlap", build_offsets, NULL, 0, F, "'t1'", "offset 32"},
    {"gap between tensors", build_offsets, NULL, 1, F, "'t1'", "offset 128"},
    {"offset not aligned", build_offsets, NULL, 2, F, "'t0'", "offset 8 "},
    {"tensors out of order", build_offsets, NULL, 3, F, "'t0'", "offset 64"},
    {"offset + size wraps", build_offsets, NULL, 4, F, "'t0'", "18446744073709551584"},
    {"tensor data past the end", build_offsets, NULL, 5, F, "'t1'", "[64, 128)"},
    {"file truncated by 1 byte", build_valid, raw_patch_drop_last, 1, F, "'w'", "[0, 64)"},
    /* row 13: header */
    {"version 0", build_valid, raw_patch_version, 0, F, "version 0", "byte 4"},
    {"version 1", build_valid, raw_patch_version, 1, F, "version 1", "v1"},
    {"version 4", build_valid, raw_patch_version, 4, U, "version 4", "v3"},
    {"version 0x03000000 (big-endian)", build_valid, raw_patch_version, 0x03000000u, F,
     "version 50331648", "big-endian"},
    {"bad magic", build_valid, raw_patch_magic, 0, F, "magic", "47 47 4d 4c"},
    {"file of 23 bytes", build_valid, raw_patch_cut_to, 23, F, "header", "23 bytes"},
    {"file of 0 bytes", build_valid, raw_patch_cut_to, 0, F, "header", "0 bytes"},
};

#undef F
#undef U

/* Builds case @p i, patches it, and returns an exact-size copy (so ASan sees any over-read). */
static uint8_t *bad_case_bytes(const bad_case *c, size_t *n)
{
    sm_gw *w = sm_gw_create(3);
    c->build(w, c->arg);
    uint8_t *b = finish(w, n);
    if (c->patch != NULL)
        c->patch(b, n, c->arg);
    uint8_t *exact = malloc(*n ? *n : 1);
    memcpy(exact, b, *n);
    free(b);
    return exact;
}

START_TEST(test_gguf_malformed_corpus)
{
    const bad_case *c = &bad_cases[_i];
    size_t n;
    uint8_t *b = bad_case_bytes(c, &n);
    expect_fail(b, n, c->want, c->name, c->needle1, c->needle2);
    free(b);
}
END_TEST

/* The corpus cases' bases are valid files: each failure is the one change, not a typo. */
START_TEST(test_gguf_corpus_controls_parse)
{
    static const struct {
        void (*build)(sm_gw *w, uint64_t arg);
        uint64_t arg;
    } ok[] = {{build_valid, 0},        {build_n_kv, 1},         {build_str_arr_elem, 3},
              {build_name_len, 63},    {build_alignment, 32},   {build_alignment, 1},
              {build_tensor_type, 39}, {build_tensor_type, 12}, {build_key_len, 3}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sm_gw *w = sm_gw_create(3);
        ok[i].build(w, ok[i].arg);
        size_t n;
        uint8_t *b = finish(w, &n);
        sm_gguf_free(parse_ok(b, n));
        free(b);
    }
}
END_TEST

/* 2^31 is a power of two, so a file without tensors may carry it (no data section needed). */
START_TEST(test_gguf_huge_alignment_without_tensors)
{
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_u32(w, "general.alignment", (uint32_t)1 << 31);
    size_t n;
    uint8_t *b = finish(w, &n);
    sm_gguf *g = parse_ok(b, n);
    ck_assert_uint_eq(g->alignment, (uint32_t)1 << 31);
    ck_assert_uint_eq(g->data_offset, n);
    sm_gguf_free(g);
    free(b);
}
END_TEST

/* A key length of exactly the file size + 1. */
START_TEST(test_gguf_key_length_file_size_plus_one)
{
    sm_gw *w = sm_gw_create(3);
    build_key_len(w, 0);
    size_t n;
    uint8_t *b = finish(w, &n);
    le_put(b + 24, n + 1, 8);
    char value[32];
    snprintf(value, sizeof value, "length %zu", n + 1);
    expect_fail(b, n, SM_E_FORMAT, "key length = file size + 1", "key", value);
    free(b);
}
END_TEST

/* ---- truncations and mutations ------------------------------------------------------------ */

/* A small file touching every record kind: scalars, a string, arrays, three tensors. */
static uint8_t *small_valid_file(size_t *n)
{
    sm_gw *w = sm_gw_create(3);
    sm_gw_kv_str(w, "general.architecture", "llama");
    sm_gw_kv_u32(w, "llama.block_count", 2);
    sm_gw_kv_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    sm_gw_kv_u32(w, "general.alignment", 64);
    sm_gw_set_alignment(w, 64);
    static const char *const toks[] = {"<unk>", "a", "bc"};
    const float scores[3] = {0, -1, -2};
    const int32_t types[3] = {2, 1, 1};
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", scores, 3);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, 3);
    uint8_t data[256];
    fill(data, sizeof data, 5);
    const int64_t ne_a[2] = {4, 3}, ne_b[1] = {32}, ne_c[2] = {32, 2};
    sm_gw_tensor(w, "token_embd.weight", T_F32, 2, ne_a, data, 48);
    sm_gw_tensor(w, "q8", T_Q8_0, 1, ne_b, data, 34);
    sm_gw_tensor(w, "q4", T_Q4_0, 2, ne_c, data, 36);
    return finish(w, n);
}

/* Reads everything a parsed file points at, so ASan catches a view outside the buffer. */
static unsigned touch_all(const sm_gguf *g)
{
    unsigned sum = 0;
    for (uint64_t i = 0; i < g->n_kv; i++) {
        const sm_gguf_kv *kv = &g->kv[i];
        for (uint64_t k = 0; k < kv->key.n; k++)
            sum += (uint8_t)kv->key.p[k];
        if (kv->type == SM_GGUF_ARRAY && kv->elem_type == SM_GGUF_STRING) {
            const uint8_t *cur = kv->data;
            for (uint64_t j = 0; j < kv->n; j++) {
                sm_gguf_str s = sm_gguf_arr_next_str(&cur);
                sum += s.n > 0 ? (uint8_t)s.p[0] + (uint8_t)s.p[s.n - 1] : 0;
            }
        } else if (kv->type == SM_GGUF_STRING) {
            sum += kv->str.n > 0 ? (uint8_t)kv->str.p[kv->str.n - 1] : 0;
        } else if (kv->type == SM_GGUF_ARRAY && kv->n > 0) {
            sum += sm_gguf_arr_u8(kv, 0);
        } else if (kv->type != SM_GGUF_ARRAY) {
            sum += kv->data[0];
        }
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const uint8_t *d = g->tensors[i].data;
        sum += d[0] + d[g->tensors[i].n_bytes - 1];
    }
    return sum;
}

START_TEST(test_gguf_every_truncation_fails)
{
    size_t n;
    uint8_t *b = small_valid_file(&n);
    sm_gguf_free(parse_ok(b, n));
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *part = malloc(cut ? cut : 1);
        memcpy(part, b, cut);
        sm_gguf *g = NULL;
        char err[512] = "";
        sm_status st = sm_gguf_parse(part, cut, &g, err, sizeof err);
        ck_assert_msg(st == SM_E_FORMAT, "cut at %zu of %zu: %s (%s)", cut, n, sm_status_name(st),
                      err);
        ck_assert_ptr_null(g);
        ck_assert_msg(err[0] != '\0', "cut at %zu: no message", cut);
        free(part);
    }
    free(b);
}
END_TEST

START_TEST(test_gguf_random_mutations_never_crash)
{
    size_t n;
    uint8_t *b = small_valid_file(&n);
    uint8_t *m = malloc(n);
    uint64_t x = 0x2545f4914f6cdd1dull;
    int n_ok = 0;
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(m, b, n);
        int n_flips = 1 + iter % 3; /* mostly single bytes, some pairs and triples */
        for (int f = 0; f < n_flips; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Half the flips hit the header and metadata, where the structure lives. */
            size_t pos = (size_t)(x >> 8) % (iter & 1 ? n : 300);
            m[pos] ^= (uint8_t)(1 + (x & 0xfe));
        }
        sm_gguf *g = NULL;
        char err[512] = "";
        sm_status st = sm_gguf_parse(m, n, &g, err, sizeof err);
        if (st == SM_OK) {
            n_ok++;
            (void)touch_all(g);
            sm_gguf_free(g);
        } else {
            ck_assert_ptr_null(g);
            ck_assert(st == SM_E_FORMAT || st == SM_E_UNSUPPORTED);
            ck_assert(err[0] != '\0');
        }
    }
    /* Flips inside tensor data and string bytes leave the file valid. */
    ck_assert_int_gt(n_ok, 0);
    free(m);
    free(b);
}
END_TEST

/* ---- the shared fixture models ---------------------------------------------------------- */

/* Facts about one fixture that hold for any well-formed model GGUF: the architecture is a
 * string, there are tensors, and token_embd.weight is (embedding_length, n_vocab) where
 * n_vocab is the token list's length. */
static void check_fixture(const char *path)
{
    sm_mapfile mf;
    char err[512] = "";
    sm_status st = sm_mapfile_open(path, 1, 0, &mf, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s", path, err);
    sm_gguf *g = NULL;
    st = sm_gguf_parse(mf.data, mf.size, &g, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s: %s: %s", path, sm_status_name(st), err);
    sm_gguf_str arch;
    ck_assert_msg(sm_gguf_get_str(g, "general.architecture", &arch, err, sizeof err) == SM_OK,
                  "%s: %s", path, err);
    ck_assert_msg(sm_gguf_str_eq(arch, "llama") || sm_gguf_str_eq(arch, "gpt2"),
                  "%s: architecture '%.*s'", path, (int)arch.n, arch.p);
    ck_assert_uint_gt(g->n_tensors, 0);
    char key[64];
    snprintf(key, sizeof key, "%.*s.embedding_length", (int)arch.n, arch.p);
    int64_t n_embd = 0;
    ck_assert_msg(sm_gguf_get_int(g, key, 1, 1 << 20, &n_embd, err, sizeof err) == SM_OK, "%s: %s",
                  path, err);
    const sm_gguf_kv *tokens = NULL;
    ck_assert_msg(sm_gguf_get_arr(g, "tokenizer.ggml.tokens", SM_GGUF_STRING, &tokens, err,
                                  sizeof err) == SM_OK,
                  "%s: %s", path, err);
    const sm_gguf_tensor *t = sm_gguf_find_tensor(g, "token_embd.weight");
    ck_assert_msg(t != NULL, "%s: no token_embd.weight", path);
    ck_assert_uint_eq(t->n_dims, 2);
    ck_assert_int_eq(t->ne[0], n_embd);
    ck_assert_int_eq(t->ne[1], (int64_t)tokens->n);
    /* Every tensor lies inside the file and the last one ends within an alignment of it. */
    const sm_gguf_tensor *last = &g->tensors[g->n_tensors - 1];
    uint64_t end = g->data_offset + last->offset + last->n_bytes;
    ck_assert_uint_le(end, mf.size);
    ck_assert_uint_lt(mf.size - end, g->alignment);
    (void)touch_all(g);
    sm_gguf_free(g);
    sm_mapfile_close(&mf);
}

START_TEST(test_gguf_fixture_models)
{
    const char *root = getenv("SM_FIXTURES");
    if (root == NULL || root[0] == '\0') {
        fprintf(stderr, "test_gguf: SM_FIXTURES is not set: fixture models not checked "
                        "(configure --with-fixtures=DIR or set SM_FIXTURES)\n");
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models", root);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "SM_FIXTURES=%s but %s cannot be opened: %s", root, dir,
                  strerror(errno));
    int n_checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".gguf") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        check_fixture(path);
        n_checked++;
    }
    closedir(d);
    ck_assert_msg(n_checked > 0, "no *.gguf in %s", dir);
}
END_TEST

/* ---- the file map ------------------------------------------------------------------------- */

/* A scratch directory for the map tests, removed by unmap_teardown. */
static char tmp_dir[64];

static void map_setup(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/sm-test-gguf-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmp_dir, name);
}

static void map_teardown(void)
{
    static const char *const names[] = {"model.gguf", "empty.gguf"};
    char p[128];
    for (size_t i = 0; i < 2; i++) {
        tmp_path(p, sizeof p, names[i]);
        unlink(p);
    }
    rmdir(tmp_dir);
}

START_TEST(test_mapfile_mmap_and_copy_agree)
{
    size_t n;
    uint8_t *b = small_valid_file(&n);
    char path[128];
    tmp_path(path, sizeof path, "model.gguf");
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    for (int use_mmap = 0; use_mmap <= 1; use_mmap++) {
        for (int use_mlock = 0; use_mlock <= 1; use_mlock++) {
            sm_mapfile m;
            char err[512] = "";
            sm_status st = sm_mapfile_open(path, use_mmap, use_mlock, &m, err, sizeof err);
            ck_assert_msg(st == SM_OK, "mmap %d mlock %d: %s", use_mmap, use_mlock, err);
            ck_assert_uint_eq(m.size, n);
            ck_assert_int_eq(m.mapped, use_mmap);
            ck_assert(use_mlock || !m.locked);
            ck_assert_mem_eq(m.data, b, n);
            ck_assert_uint_eq((uintptr_t)m.data % 64, 0); /* a copy is 64-aligned, a map paged */
            sm_gguf *g = parse_ok(m.data, m.size);
            ck_assert_ptr_eq(g->tensors[0].data, (const uint8_t *)m.data + g->data_offset);
            sm_gguf_free(g);
            sm_mapfile_close(&m);
            ck_assert_ptr_null(m.data);
            ck_assert_uint_eq(m.size, 0);
            sm_mapfile_close(&m); /* a closed (zeroed) map closes again harmlessly */
        }
    }
    free(b);
}
END_TEST

static void expect_io_error(const char *path, int use_mmap, const char *needle)
{
    sm_mapfile m = {(const void *)&m, 77, 5, 5}; /* must stay untouched */
    char err[512] = "";
    sm_status st = sm_mapfile_open(path, use_mmap, 0, &m, err, sizeof err);
    ck_assert_msg(st == SM_E_IO, "%s: %s (%s)", path, sm_status_name(st), err);
    ck_assert_msg(strstr(err, path) != NULL, "path not in \"%s\"", err);
    ck_assert_msg(strstr(err, needle) != NULL, "'%s' not in \"%s\"", needle, err);
    ck_assert_uint_eq(m.size, 77);
}

START_TEST(test_mapfile_errors_name_the_path)
{
    char missing[128], empty[128];
    tmp_path(missing, sizeof missing, "missing.gguf");
    tmp_path(empty, sizeof empty, "empty.gguf");
    FILE *f = fopen(empty, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fclose(f), 0);
    for (int use_mmap = 0; use_mmap <= 1; use_mmap++) {
        expect_io_error(missing, use_mmap, strerror(ENOENT));
        expect_io_error(tmp_dir, use_mmap, "not a regular file");
        expect_io_error(empty, use_mmap, "empty");
    }
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

    TCase *bad = tcase_create("malformed");
    tcase_set_timeout(bad, 120);
    tcase_add_loop_test(bad, test_gguf_malformed_corpus, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(bad, test_gguf_corpus_controls_parse);
    tcase_add_test(bad, test_gguf_huge_alignment_without_tensors);
    tcase_add_test(bad, test_gguf_key_length_file_size_plus_one);
    tcase_add_test(bad, test_gguf_every_truncation_fails);
    tcase_add_test(bad, test_gguf_random_mutations_never_crash);
    suite_add_tcase(s, bad);

    TCase *fix = tcase_create("fixtures");
    tcase_set_timeout(fix, 60);
    tcase_add_test(fix, test_gguf_fixture_models);
    suite_add_tcase(s, fix);

    TCase *map = tcase_create("mapfile");
    tcase_add_checked_fixture(map, map_setup, map_teardown);
    tcase_add_test(map, test_mapfile_mmap_and_copy_agree);
    tcase_add_test(map, test_mapfile_errors_name_the_path);
    suite_add_tcase(s, map);
    return s;
}

int main(void)
{
    return sm_test_run(gguf_suite());
}
