/* SPDX-License-Identifier: MIT */
/* gguf.c: the GGUF v2/v3 parser and its accessors (see gguf.h for the layout and the contract). */
#include "config.h"

#include "gguf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

/* ---- ggml tensor types ------------------------------------------------------------------- */

/* Block layout of every ggml type id a GGUF file may hold (ggml.h's enum ggml_type up to
 * MXFP4 = 39). The holes (4, 5: Q4_2/Q4_3; 31-33: Q4_0_4_4...; 36-38: IQ4_NL_4_4...) are
 * types ggml removed from files: they are unknown, like ids >= 40. */
typedef struct type_layout {
    const char *name;
    uint32_t block_elems;
    uint32_t block_bytes;
} type_layout;

enum { TYPE_COUNT = 40 };

static const type_layout type_layouts[TYPE_COUNT] = {
    [0] = {"F32", 1, 4},         [1] = {"F16", 1, 2},         [2] = {"Q4_0", 32, 18},
    [3] = {"Q4_1", 32, 20},      [6] = {"Q5_0", 32, 22},      [7] = {"Q5_1", 32, 24},
    [8] = {"Q8_0", 32, 34},      [9] = {"Q8_1", 32, 36},      [10] = {"Q2_K", 256, 84},
    [11] = {"Q3_K", 256, 110},   [12] = {"Q4_K", 256, 144},   [13] = {"Q5_K", 256, 176},
    [14] = {"Q6_K", 256, 210},   [15] = {"Q8_K", 256, 292},   [16] = {"IQ2_XXS", 256, 66},
    [17] = {"IQ2_XS", 256, 74},  [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},
    [20] = {"IQ4_NL", 32, 18},   [21] = {"IQ3_S", 256, 110},  [22] = {"IQ2_S", 256, 82},
    [23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},         [25] = {"I16", 1, 2},
    [26] = {"I32", 1, 4},        [27] = {"I64", 1, 8},        [28] = {"F64", 1, 8},
    [29] = {"IQ1_M", 256, 56},   [30] = {"BF16", 1, 2},       [34] = {"TQ1_0", 256, 54},
    [35] = {"TQ2_0", 256, 66},   [39] = {"MXFP4", 32, 17},
};

static const type_layout *type_layout_of(uint32_t type)
{
    if (type >= TYPE_COUNT || type_layouts[type].name == NULL)
        return NULL;
    return &type_layouts[type];
}

const char *sm_gguf_type_name(uint32_t type)
{
    const type_layout *t = type_layout_of(type);
    return t != NULL ? t->name : NULL;
}

/* ---- metadata value types ---------------------------------------------------------------- */

static const char *const vtype_names[SM_GGUF_VTYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};

/* Bytes of one scalar of each type; 0 for STRING and ARRAY, whose size is in the file. */
static const uint8_t vtype_bytes[SM_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *sm_gguf_vtype_name(uint32_t vtype)
{
    return vtype < SM_GGUF_VTYPE_COUNT ? vtype_names[vtype] : "unknown";
}

/* ---- little-endian loads (metadata is unaligned, and the file is little-endian) ------------ */

static uint16_t load_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

static float load_f32(const uint8_t *p)
{
    uint32_t bits = load_u32(p);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static double load_f64(const uint8_t *p)
{
    uint64_t bits = load_u64(p);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* ---- the parser's cursor and its error reporting ------------------------------------------ */

typedef struct parser {
    const uint8_t *base;
    size_t size;
    size_t pos;
    char *err;
    size_t err_len;
    char where[192]; /* what is being read, prefixed to every message */
} parser;

/* Fails the parse: "<where>: <message>". Returns @p status. */
__attribute__((format(printf, 3, 4))) static sm_status fail(parser *ps, sm_status status,
                                                            const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sm_errbuf_set(ps->err, ps->err_len, status, "%s: %s", ps->where, msg);
}

/* A printable copy of a name from the file, for messages: at most 64 bytes shown, bytes
 * outside printable ASCII as '?', so a hostile key cannot inject control characters. */
static void printable(char *dst, size_t cap, const char *s, uint64_t n)
{
    size_t shown = n < 64 ? (size_t)n : 64;
    if (shown > cap - 4)
        shown = cap - 4;
    for (size_t i = 0; i < shown; i++)
        dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (shown < n)
        memcpy(dst + shown, "...", 4);
    else
        dst[shown] = '\0';
}

static size_t remaining(const parser *ps)
{
    return ps->size - ps->pos;
}

/* Checks that @p n bytes of @p field follow the cursor. */
static sm_status need(parser *ps, uint64_t n, const char *field)
{
    if (n <= remaining(ps))
        return SM_OK;
    return fail(ps, SM_E_FORMAT,
                "%s needs %llu bytes at byte %zu but the file ends at byte %zu (truncated)", field,
                (unsigned long long)n, ps->pos, ps->size);
}

static sm_status read_u32(parser *ps, const char *field, uint32_t *v)
{
    sm_status st = need(ps, 4, field);
    if (st == SM_OK) {
        *v = load_u32(ps->base + ps->pos);
        ps->pos += 4;
    }
    return st;
}

static sm_status read_u64(parser *ps, const char *field, uint64_t *v)
{
    sm_status st = need(ps, 8, field);
    if (st == SM_OK) {
        *v = load_u64(ps->base + ps->pos);
        ps->pos += 8;
    }
    return st;
}

/* A string: u64 length, then the bytes; the length is capped and checked against the file. */
static sm_status read_str(parser *ps, const char *field, sm_gguf_str *out)
{
    size_t at = ps->pos;
    uint64_t n;
    sm_status st = read_u64(ps, field, &n);
    if (st != SM_OK)
        return st;
    if (n > SM_GGUF_MAX_STRING_BYTES)
        return fail(ps, SM_E_FORMAT, "%s length %llu at byte %zu exceeds the limit of %llu bytes",
                    field, (unsigned long long)n, at, (unsigned long long)SM_GGUF_MAX_STRING_BYTES);
    if (n > remaining(ps))
        return fail(ps, SM_E_FORMAT,
                    "%s length %llu at byte %zu runs past the end of the file (%zu bytes remain)",
                    field, (unsigned long long)n, at, remaining(ps));
    out->p = (const char *)ps->base + ps->pos;
    out->n = n;
    ps->pos += (size_t)n;
    return SM_OK;
}

/* ---- name index: duplicate detection and O(1) lookups -------------------------------------- */

/* Open addressing over the entries' names; a slot holds an entry index + 1 (0 = empty). A hash
 * table rather than pairwise comparison, so a file with a million keys cannot make the parse
 * quadratic. */
typedef struct name_index {
    size_t *slot;
    size_t mask;
} name_index;

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
    return h;
}

static sm_status index_init(name_index *ix, uint64_t n)
{
    ix->slot = NULL;
    ix->mask = 0;
    if (n == 0)
        return SM_OK;
    size_t cap = 8;
    while (cap < 2 * n) /* n is bounded by the file size, so this cannot overflow */
        cap *= 2;
    ix->slot = calloc(cap, sizeof *ix->slot);
    ix->mask = cap - 1;
    return ix->slot != NULL ? SM_OK : SM_E_NOMEM;
}

/* The name of entry i of the keys (tensors = 0) or of the tensors (tensors = 1). */
static sm_gguf_str entry_name(const sm_gguf *g, int tensors, size_t i)
{
    if (!tensors)
        return g->kv[i].key;
    sm_gguf_str s = {g->tensors[i].name, strlen(g->tensors[i].name)};
    return s;
}

/* The slot holding name (s, n), or the empty slot where it would go. */
static size_t *index_probe(const name_index *ix, const sm_gguf *g, int tensors, const char *s,
                           size_t n)
{
    size_t i = (size_t)hash_name(s, n) & ix->mask;
    for (;; i = (i + 1) & ix->mask) {
        if (ix->slot[i] == 0)
            return &ix->slot[i];
        sm_gguf_str e = entry_name(g, tensors, ix->slot[i] - 1);
        if (e.n == n && memcmp(e.p, s, n) == 0)
            return &ix->slot[i];
    }
}

/* ---- the parsed file ---------------------------------------------------------------------- */

typedef struct gguf_impl {
    sm_gguf pub; /* first, so an sm_gguf * converts back */
    sm_gguf_kv *kv;
    sm_gguf_tensor *tensors;
    name_index keys;
    name_index names;
} gguf_impl;

void sm_gguf_free(sm_gguf *g)
{
    if (g == NULL)
        return;
    gguf_impl *im = (gguf_impl *)g;
    free(im->keys.slot);
    free(im->names.slot);
    free(im->kv);
    free(im->tensors);
    free(im);
}

/* ---- header ------------------------------------------------------------------------------- */

/* Smallest encodings of a record, used to bound the header counts before trusting them: a kv
 * has a non-empty key (8 + 1), a type (4) and at least one value byte; a tensor has a non-empty
 * name (8 + 1), n_dims (4), one extent (8), a type (4) and an offset (8). */
enum { MIN_KV_BYTES = 14, MIN_TENSOR_BYTES = 33, HEADER_BYTES = 24 };

static sm_status parse_header(parser *ps, sm_gguf *g)
{
    snprintf(ps->where, sizeof ps->where, "header");
    if (ps->size < HEADER_BYTES)
        return fail(ps, SM_E_FORMAT, "file is %zu bytes, shorter than the %d-byte GGUF header",
                    ps->size, HEADER_BYTES);
    const uint8_t *m = ps->base;
    if (memcmp(m, "GGUF", 4) != 0)
        return fail(ps, SM_E_FORMAT,
                    "magic at byte 0 is %02x %02x %02x %02x, not \"GGUF\" (47 47 55 46)", m[0],
                    m[1], m[2], m[3]);
    ps->pos = 4;
    uint32_t v;
    (void)read_u32(ps, "version", &v);
    if (v == 0)
        return fail(ps, SM_E_FORMAT, "version 0 at byte 4 is not a GGUF version");
    if ((v & 0xFFFFu) == 0)
        return fail(ps, SM_E_FORMAT,
                    "version %u (0x%08x) at byte 4 looks byte-swapped: a big-endian file? Only "
                    "little-endian GGUF is supported",
                    v, v);
    if (v == 1)
        return fail(ps, SM_E_FORMAT, "version 1 at byte 4: GGUF v1 is obsolete; convert the file");
    if (v > 3)
        return fail(ps, SM_E_UNSUPPORTED, "version %u at byte 4 is newer than GGUF v3", v);
    g->version = v;
    (void)read_u64(ps, "n_tensors", &g->n_tensors);
    (void)read_u64(ps, "n_kv", &g->n_kv);
    size_t left = remaining(ps);
    if (g->n_kv > left / MIN_KV_BYTES)
        return fail(ps, SM_E_FORMAT,
                    "n_kv %llu at byte 16 (as int64: %lld) cannot fit in the %zu bytes after the "
                    "header",
                    (unsigned long long)g->n_kv, (long long)g->n_kv, left);
    if (g->n_tensors > left / MIN_TENSOR_BYTES ||
        g->n_tensors * MIN_TENSOR_BYTES > left - g->n_kv * MIN_KV_BYTES)
        return fail(ps, SM_E_FORMAT,
                    "n_tensors %llu at byte 8 (as int64: %lld) cannot fit in the %zu bytes after "
                    "the header with %llu kv",
                    (unsigned long long)g->n_tensors, (long long)g->n_tensors, left,
                    (unsigned long long)g->n_kv);
    return SM_OK;
}

/* ---- key/value records -------------------------------------------------------------------- */

/* Skips an array's elements after its element type and count, checking every string. */
static sm_status parse_array_body(parser *ps, sm_gguf_kv *kv)
{
    if (kv->n > SM_GGUF_MAX_ARRAY_ELEMS)
        return fail(ps, SM_E_FORMAT, "array of %llu %s exceeds the limit of %llu elements",
                    (unsigned long long)kv->n, vtype_names[kv->elem_type],
                    (unsigned long long)SM_GGUF_MAX_ARRAY_ELEMS);
    kv->data = ps->base + ps->pos;
    if (kv->elem_type != SM_GGUF_STRING) {
        uint64_t bytes = kv->n * vtype_bytes[kv->elem_type]; /* <= 2^33: no overflow */
        if (bytes > remaining(ps))
            return fail(ps, SM_E_FORMAT,
                        "array of %llu %s needs %llu bytes at byte %zu but only %zu remain",
                        (unsigned long long)kv->n, vtype_names[kv->elem_type],
                        (unsigned long long)bytes, ps->pos, remaining(ps));
        ps->pos += (size_t)bytes;
        return SM_OK;
    }
    if (kv->n > remaining(ps) / 8)
        return fail(ps, SM_E_FORMAT,
                    "array of %llu strings needs at least %llu bytes at byte %zu but only %zu "
                    "remain",
                    (unsigned long long)kv->n, (unsigned long long)kv->n * 8, ps->pos,
                    remaining(ps));
    for (uint64_t i = 0; i < kv->n; i++) {
        sm_gguf_str s;
        char field[48];
        snprintf(field, sizeof field, "array string %llu", (unsigned long long)i);
        sm_status st = read_str(ps, field, &s);
        if (st != SM_OK)
            return st;
    }
    return SM_OK;
}

static sm_status parse_value(parser *ps, sm_gguf_kv *kv)
{
    size_t at = ps->pos;
    uint32_t type;
    sm_status st = read_u32(ps, "value type", &type);
    if (st != SM_OK)
        return st;
    if (type >= SM_GGUF_VTYPE_COUNT)
        return fail(ps, SM_E_FORMAT, "value type %u (0x%08x) at byte %zu is not a GGUF type", type,
                    type, at);
    kv->type = kv->elem_type = (sm_gguf_vtype)type;
    kv->n = 1;
    if (type == SM_GGUF_STRING) {
        st = read_str(ps, "string value", &kv->str);
        kv->data = (const uint8_t *)kv->str.p;
        return st;
    }
    if (type != SM_GGUF_ARRAY) {
        st = need(ps, vtype_bytes[type], vtype_names[type]);
        kv->data = ps->base + ps->pos;
        ps->pos += st == SM_OK ? vtype_bytes[type] : 0;
        return st;
    }
    at = ps->pos;
    uint32_t elem;
    st = read_u32(ps, "array element type", &elem);
    if (st == SM_OK && elem == SM_GGUF_ARRAY)
        return fail(ps, SM_E_FORMAT,
                    "array element type at byte %zu is array: nested arrays "
                    "are not supported",
                    at);
    if (st == SM_OK && elem >= SM_GGUF_VTYPE_COUNT)
        return fail(ps, SM_E_FORMAT,
                    "array element type %u (0x%08x) at byte %zu is not a GGUF type", elem, elem,
                    at);
    if (st == SM_OK)
        st = read_u64(ps, "array count", &kv->n);
    if (st != SM_OK)
        return st;
    kv->elem_type = (sm_gguf_vtype)elem;
    return parse_array_body(ps, kv);
}

static sm_status parse_kv(parser *ps, gguf_impl *im, uint64_t i)
{
    sm_gguf_kv *kv = &im->kv[i];
    size_t at = ps->pos;
    snprintf(ps->where, sizeof ps->where, "kv %llu at byte %zu", (unsigned long long)i, at);
    sm_status st = read_str(ps, "key", &kv->key);
    if (st != SM_OK)
        return st;
    if (kv->key.n == 0)
        return fail(ps, SM_E_FORMAT, "key is empty (\"\")");
    char name[80];
    printable(name, sizeof name, kv->key.p, kv->key.n);
    snprintf(ps->where, sizeof ps->where, "key '%s' (kv %llu at byte %zu)", name,
             (unsigned long long)i, at);
    size_t *slot = index_probe(&im->keys, &im->pub, 0, kv->key.p, (size_t)kv->key.n);
    if (*slot != 0)
        return fail(ps, SM_E_FORMAT, "duplicate key '%s': kv %zu has the same key", name,
                    *slot - 1);
    *slot = (size_t)i + 1;
    return parse_value(ps, kv);
}

/* general.alignment, when present: a u32 power of two. ggml accepts any power of two, while the
 * spec asks for a multiple of 8; we follow ggml (a file it loads, we load), so 1, 2 and 4 pass.
 * A huge value (2^31) passes here and fails later unless the file really holds the padding. */
static sm_status parse_alignment(parser *ps, gguf_impl *im)
{
    im->pub.alignment = SM_GGUF_DEFAULT_ALIGNMENT;
    const sm_gguf_kv *kv = sm_gguf_find(&im->pub, "general.alignment");
    if (kv == NULL)
        return SM_OK;
    snprintf(ps->where, sizeof ps->where, "key 'general.alignment' (kv %lld at byte %zu)",
             (long long)(kv - im->kv), (size_t)((const uint8_t *)kv->key.p - ps->base - 8));
    if (kv->type != SM_GGUF_U32)
        return fail(ps, SM_E_FORMAT, "general.alignment has type %s, expected u32",
                    vtype_names[kv->type]);
    uint32_t a = load_u32(kv->data);
    if (a == 0 || (a & (a - 1)) != 0)
        return fail(ps, SM_E_FORMAT, "general.alignment %u is not a non-zero power of two", a);
    im->pub.alignment = a;
    return SM_OK;
}

/* ---- tensor infos ------------------------------------------------------------------------- */

static sm_status parse_tensor_name(parser *ps, gguf_impl *im, uint64_t i, sm_gguf_tensor *t)
{
    size_t at = ps->pos;
    snprintf(ps->where, sizeof ps->where, "tensor %llu at byte %zu", (unsigned long long)i, at);
    sm_gguf_str s;
    sm_status st = read_str(ps, "tensor name", &s);
    if (st != SM_OK)
        return st;
    char name[80];
    printable(name, sizeof name, s.p, s.n);
    if (s.n == 0)
        return fail(ps, SM_E_FORMAT, "tensor name is empty (\"\")");
    if (s.n >= SM_GGUF_NAME_MAX)
        return fail(ps, SM_E_FORMAT, "tensor name '%s' is %llu bytes, the limit is %d", name,
                    (unsigned long long)s.n, SM_GGUF_NAME_MAX - 1);
    if (memchr(s.p, '\0', (size_t)s.n) != NULL)
        return fail(ps, SM_E_FORMAT, "tensor name '%s' contains a NUL byte", name);
    memcpy(t->name, s.p, (size_t)s.n);
    t->name[s.n] = '\0';
    snprintf(ps->where, sizeof ps->where, "tensor '%s' (tensor %llu at byte %zu)", t->name,
             (unsigned long long)i, at);
    size_t *slot = index_probe(&im->names, &im->pub, 1, s.p, (size_t)s.n);
    if (*slot != 0)
        return fail(ps, SM_E_FORMAT, "duplicate tensor name '%s': tensor %zu has the same name",
                    t->name, *slot - 1);
    *slot = (size_t)i + 1;
    return SM_OK;
}

static sm_status parse_tensor_dims(parser *ps, sm_gguf_tensor *t)
{
    size_t at = ps->pos;
    sm_status st = read_u32(ps, "n_dims", &t->n_dims);
    if (st != SM_OK)
        return st;
    if (t->n_dims == 0 || t->n_dims > 4)
        return fail(ps, SM_E_FORMAT, "n_dims %u at byte %zu is outside [1, 4]", t->n_dims, at);
    for (uint32_t d = 0; d < 4; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        uint64_t ne;
        at = ps->pos;
        st = read_u64(ps, "extent", &ne);
        if (st != SM_OK)
            return st;
        if ((int64_t)ne <= 0)
            return fail(ps, SM_E_FORMAT, "ne[%u] = %lld at byte %zu is not positive", d,
                        (long long)ne, at);
        t->ne[d] = (int64_t)ne;
    }
    return SM_OK;
}

/* The element count and byte size, overflow-checked, and the row length against the block. */
static sm_status tensor_size(parser *ps, const type_layout *tl, sm_gguf_tensor *t)
{
    int64_t elems = t->ne[0];
    int64_t rows = 1;
    if (__builtin_mul_overflow(rows, t->ne[1], &rows) ||
        __builtin_mul_overflow(rows, t->ne[2], &rows) ||
        __builtin_mul_overflow(rows, t->ne[3], &rows) ||
        __builtin_mul_overflow(elems, rows, &elems))
        return fail(ps, SM_E_FORMAT, "extents %lld x %lld x %lld x %lld overflow the element count",
                    (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                    (long long)t->ne[3]);
    if (t->ne[0] % tl->block_elems != 0)
        return fail(ps, SM_E_FORMAT, "ne[0] = %lld is not a multiple of the %s block of %u",
                    (long long)t->ne[0], tl->name, tl->block_elems);
    uint64_t row_bytes, bytes;
    if (__builtin_mul_overflow((uint64_t)t->ne[0] / tl->block_elems, tl->block_bytes, &row_bytes) ||
        __builtin_mul_overflow(row_bytes, (uint64_t)rows, &bytes) || bytes > SIZE_MAX)
        return fail(ps, SM_E_FORMAT,
                    "%lld x %lld x %lld x %lld %s elements overflow the byte size (%u bytes per "
                    "block of %u)",
                    (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
                    (long long)t->ne[3], tl->name, tl->block_bytes, tl->block_elems);
    t->n_bytes = bytes;
    return SM_OK;
}

/* x rounded up to a multiple of the power of two a, in *out; 0 on overflow. */
static int align_up(uint64_t x, uint64_t a, uint64_t *out)
{
    uint64_t y;
    if (__builtin_add_overflow(x, a - 1, &y))
        return 0;
    *out = y & ~(a - 1);
    return 1;
}

/* Each offset must be the aligned running sum of the sizes before it (*next): tensors
 * contiguous and in order, which rules out overlaps, gaps and misaligned data in one check. */
static sm_status check_offset(parser *ps, const sm_gguf_tensor *t, uint32_t alignment, size_t at,
                              uint64_t *next)
{
    uint64_t a = alignment;
    if (t->offset % a != 0)
        return fail(ps, SM_E_FORMAT,
                    "offset %llu at byte %zu is not a multiple of the "
                    "alignment %llu",
                    (unsigned long long)t->offset, at, (unsigned long long)a);
    if (t->offset < *next)
        return fail(ps, SM_E_FORMAT,
                    "offset %llu at byte %zu overlaps the previous tensor, which ends at %llu",
                    (unsigned long long)t->offset, at, (unsigned long long)*next);
    if (t->offset > *next)
        return fail(ps, SM_E_FORMAT,
                    "offset %llu at byte %zu leaves a gap: the previous tensors end at %llu "
                    "(tensors must be contiguous and in order)",
                    (unsigned long long)t->offset, at, (unsigned long long)*next);
    uint64_t end;
    if (__builtin_add_overflow(t->offset, t->n_bytes, &end) || !align_up(end, a, next))
        return fail(ps, SM_E_FORMAT, "offset %llu + size %llu overflows",
                    (unsigned long long)t->offset, (unsigned long long)t->n_bytes);
    return SM_OK;
}

static sm_status parse_tensor(parser *ps, gguf_impl *im, uint64_t i, uint64_t *next_offset)
{
    sm_gguf_tensor *t = &im->tensors[i];
    sm_status st = parse_tensor_name(ps, im, i, t);
    if (st == SM_OK)
        st = parse_tensor_dims(ps, t);
    if (st != SM_OK)
        return st;
    size_t at = ps->pos;
    st = read_u32(ps, "type", &t->type);
    if (st != SM_OK)
        return st;
    const type_layout *tl = type_layout_of(t->type);
    if (tl == NULL)
        return fail(ps, SM_E_UNSUPPORTED,
                    "type %u (as int32: %d) at byte %zu is not a ggml tensor type", t->type,
                    (int32_t)t->type, at);
    st = tensor_size(ps, tl, t);
    at = ps->pos;
    if (st == SM_OK)
        st = read_u64(ps, "offset", &t->offset);
    if (st == SM_OK)
        st = check_offset(ps, t, im->pub.alignment, at, next_offset);
    return st;
}

/* ---- data section ------------------------------------------------------------------------- */

/* The data section starts at the end of the tensor infos rounded up to the alignment (no
 * padding when already aligned) and every tensor's bytes must lie inside the file. Trailing
 * bytes after the last tensor are allowed. A file without tensors needs no data section: when
 * its padding would run past the end, data_offset is the file size. */
static sm_status place_data(parser *ps, gguf_impl *im)
{
    sm_gguf *g = &im->pub;
    uint64_t start;
    snprintf(ps->where, sizeof ps->where, "data section");
    if (!align_up(ps->pos, g->alignment, &start))
        return fail(ps, SM_E_FORMAT, "byte %zu padded to the alignment %u overflows", ps->pos,
                    g->alignment);
    if (start > ps->size) {
        if (g->n_tensors > 0)
            return fail(ps, SM_E_FORMAT,
                        "starts at byte %llu (tensor infos end at byte %zu, alignment %u), past "
                        "the end of the %zu-byte file",
                        (unsigned long long)start, ps->pos, g->alignment, ps->size);
        start = ps->size;
    }
    g->data_offset = start;
    uint64_t room = ps->size - start;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        sm_gguf_tensor *t = &im->tensors[i];
        if (t->offset > room || t->n_bytes > room - t->offset)
            return fail(ps, SM_E_FORMAT,
                        "tensor '%s' (tensor %llu): data [%llu, %llu) from byte %llu ends past "
                        "the data section's %llu bytes (file truncated?)",
                        t->name, (unsigned long long)i, (unsigned long long)t->offset,
                        (unsigned long long)(t->offset + t->n_bytes), (unsigned long long)start,
                        (unsigned long long)room);
        t->data = ps->base + start + t->offset;
    }
    return SM_OK;
}

/* ---- sm_gguf_parse ------------------------------------------------------------------------ */

static sm_status parse_body(parser *ps, gguf_impl *im)
{
    sm_gguf *g = &im->pub;
    sm_status st = SM_OK;
    /* The counts were bounded by the file size, so these allocations are too. */
    if (g->n_kv > 0 && (im->kv = calloc((size_t)g->n_kv, sizeof *im->kv)) == NULL)
        return SM_E_NOMEM;
    if (g->n_tensors > 0 &&
        (im->tensors = calloc((size_t)g->n_tensors, sizeof *im->tensors)) == NULL)
        return SM_E_NOMEM;
    g->kv = im->kv;
    g->tensors = im->tensors;
    if (index_init(&im->keys, g->n_kv) != SM_OK || index_init(&im->names, g->n_tensors) != SM_OK)
        return SM_E_NOMEM;
    for (uint64_t i = 0; i < g->n_kv && st == SM_OK; i++)
        st = parse_kv(ps, im, i);
    if (st == SM_OK)
        st = parse_alignment(ps, im);
    uint64_t next_offset = 0;
    for (uint64_t i = 0; i < g->n_tensors && st == SM_OK; i++)
        st = parse_tensor(ps, im, i, &next_offset);
    if (st == SM_OK)
        st = place_data(ps, im);
    return st;
}

sm_status sm_gguf_parse(const void *data, size_t size, sm_gguf **out, char *err, size_t err_len)
{
    if (out == NULL || (data == NULL && size > 0))
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_gguf_parse: NULL %s",
                             out == NULL ? "out" : "data");
    *out = NULL;
    parser ps = {.base = data, .size = size, .err = err, .err_len = err_len};
    gguf_impl *im = calloc(1, sizeof *im);
    if (im == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "gguf: out of memory");
    im->pub.base = data;
    im->pub.size = size;
    sm_status st = parse_header(&ps, &im->pub);
    if (st == SM_OK)
        st = parse_body(&ps, im);
    if (st == SM_E_NOMEM)
        sm_errbuf_set(err, err_len, st, "gguf: out of memory for %llu kv and %llu tensors",
                      (unsigned long long)im->pub.n_kv, (unsigned long long)im->pub.n_tensors);
    if (st != SM_OK) {
        sm_gguf_free(&im->pub);
        return st;
    }
    *out = &im->pub;
    return SM_OK;
}

/* ---- lookups ------------------------------------------------------------------------------ */

const sm_gguf_kv *sm_gguf_find(const sm_gguf *g, const char *key)
{
    const gguf_impl *im = (const gguf_impl *)g;
    if (g->n_kv == 0)
        return NULL;
    size_t *slot = index_probe(&im->keys, g, 0, key, strlen(key));
    return *slot != 0 ? &g->kv[*slot - 1] : NULL;
}

const sm_gguf_tensor *sm_gguf_find_tensor(const sm_gguf *g, const char *name)
{
    const gguf_impl *im = (const gguf_impl *)g;
    if (g->n_tensors == 0)
        return NULL;
    size_t *slot = index_probe(&im->names, g, 1, name, strlen(name));
    return *slot != 0 ? &g->tensors[*slot - 1] : NULL;
}

int sm_gguf_str_eq(sm_gguf_str a, const char *s)
{
    size_t n = strlen(s);
    return a.n == n && memcmp(a.p, s, n) == 0;
}

/* ---- typed reads -------------------------------------------------------------------------- */

static sm_status find_typed(const sm_gguf *g, const char *key, const sm_gguf_kv **kv, char *err,
                            size_t err_len)
{
    *kv = sm_gguf_find(g, key);
    if (*kv == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOT_FOUND, "key '%s' not found", key);
    return SM_OK;
}

static sm_status wrong_type(const sm_gguf_kv *kv, const char *key, const char *expected, char *err,
                            size_t err_len)
{
    if (kv->type == SM_GGUF_ARRAY)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "key '%s' is an array of %llu %s, expected %s", key,
                             (unsigned long long)kv->n, vtype_names[kv->elem_type], expected);
    return sm_errbuf_set(err, err_len, SM_E_FORMAT, "key '%s' has type %s, expected %s", key,
                         vtype_names[kv->type], expected);
}

sm_status sm_gguf_get_int(const sm_gguf *g, const char *key, int64_t min, int64_t max, int64_t *out,
                          char *err, size_t err_len)
{
    const sm_gguf_kv *kv;
    sm_status st = find_typed(g, key, &kv, err, err_len);
    if (st != SM_OK)
        return st;
    const uint8_t *p = kv->data;
    int64_t v;
    switch (kv->type) {
    case SM_GGUF_U8:
        v = p[0];
        break;
    case SM_GGUF_I8:
        v = (int8_t)p[0];
        break;
    case SM_GGUF_U16:
        v = load_u16(p);
        break;
    case SM_GGUF_I16:
        v = (int16_t)load_u16(p);
        break;
    case SM_GGUF_U32:
        v = load_u32(p);
        break;
    case SM_GGUF_I32:
        v = (int32_t)load_u32(p);
        break;
    case SM_GGUF_BOOL:
        v = p[0] != 0;
        break;
    case SM_GGUF_I64:
        v = (int64_t)load_u64(p);
        break;
    case SM_GGUF_U64:
        if (load_u64(p) > INT64_MAX)
            return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                                 "key '%s' (u64) = %llu is outside [%lld, %lld]", key,
                                 (unsigned long long)load_u64(p), (long long)min, (long long)max);
        v = (int64_t)load_u64(p);
        break;
    default:
        return wrong_type(kv, key, "an integer", err, err_len);
    }
    if (v < min || v > max)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT,
                             "key '%s' (%s) = %lld is outside [%lld, "
                             "%lld]",
                             key, vtype_names[kv->type], (long long)v, (long long)min,
                             (long long)max);
    *out = v;
    return SM_OK;
}

sm_status sm_gguf_get_f32(const sm_gguf *g, const char *key, float *out, char *err, size_t err_len)
{
    const sm_gguf_kv *kv;
    sm_status st = find_typed(g, key, &kv, err, err_len);
    if (st != SM_OK)
        return st;
    double v;
    if (kv->type == SM_GGUF_F32)
        v = load_f32(kv->data);
    else if (kv->type == SM_GGUF_F64)
        v = load_f64(kv->data);
    else
        return wrong_type(kv, key, "f32 or f64", err, err_len);
    /* An f64 beyond float's range would become an infinity: reject it like one. */
    if (!isfinite(v) || fabs(v) > 3.4028234663852886e38)
        return sm_errbuf_set(err, err_len, SM_E_FORMAT, "key '%s' (%s) = %g is not a finite f32",
                             key, vtype_names[kv->type], v);
    *out = (float)v;
    return SM_OK;
}

sm_status sm_gguf_get_str(const sm_gguf *g, const char *key, sm_gguf_str *out, char *err,
                          size_t err_len)
{
    const sm_gguf_kv *kv;
    sm_status st = find_typed(g, key, &kv, err, err_len);
    if (st != SM_OK)
        return st;
    if (kv->type != SM_GGUF_STRING)
        return wrong_type(kv, key, "string", err, err_len);
    *out = kv->str;
    return SM_OK;
}

sm_status sm_gguf_get_arr(const sm_gguf *g, const char *key, sm_gguf_vtype elem_type,
                          const sm_gguf_kv **out, char *err, size_t err_len)
{
    const sm_gguf_kv *kv;
    sm_status st = find_typed(g, key, &kv, err, err_len);
    if (st != SM_OK)
        return st;
    if (kv->type != SM_GGUF_ARRAY || kv->elem_type != elem_type) {
        char expected[32];
        snprintf(expected, sizeof expected, "an array of %s", sm_gguf_vtype_name(elem_type));
        return wrong_type(kv, key, expected, err, err_len);
    }
    *out = kv;
    return SM_OK;
}

/* ---- array elements ----------------------------------------------------------------------- */

float sm_gguf_arr_f32(const sm_gguf_kv *kv, uint64_t i)
{
    return load_f32(kv->data + 4 * i);
}

int32_t sm_gguf_arr_i32(const sm_gguf_kv *kv, uint64_t i)
{
    return (int32_t)load_u32(kv->data + 4 * i);
}

uint8_t sm_gguf_arr_u8(const sm_gguf_kv *kv, uint64_t i)
{
    return kv->data[i];
}

sm_gguf_str sm_gguf_arr_next_str(const uint8_t **cursor)
{
    sm_gguf_str s;
    s.n = load_u64(*cursor);
    s.p = (const char *)*cursor + 8;
    *cursor += 8 + s.n;
    return s;
}
