/* SPDX-License-Identifier: MIT */
/* gguf_writer.c: a GGUF writer for the tests and the built-in models, written from the GGUF
 * specification (see gguf_writer.h). Every field is serialized little-endian byte by byte. */
#include "config.h"

#include "cli/gguf_writer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GGUF value type ids, from the specification (kept here rather than taken from src/gguf.h, so
 * the writer stays independent of the parser). */
enum {
    GW_U8 = 0,
    GW_I8 = 1,
    GW_U16 = 2,
    GW_I16 = 3,
    GW_U32 = 4,
    GW_I32 = 5,
    GW_F32 = 6,
    GW_BOOL = 7,
    GW_STRING = 8,
    GW_ARRAY = 9,
    GW_U64 = 10,
    GW_I64 = 11,
    GW_F64 = 12,
};

/* A growable byte buffer. */
typedef struct gw_buf {
    uint8_t *p;
    size_t n;
    size_t cap;
} gw_buf;

struct sm_gw {
    uint32_t version;
    uint32_t alignment;
    int failed; /* sticky */
    gw_buf kv;  /* the serialized key/value records */
    gw_buf ti;  /* the serialized tensor infos */
    gw_buf data;
    uint64_t n_kv;
    uint64_t n_tensors;
    int counts_overridden;
    uint64_t n_kv_header;
    uint64_t n_tensors_header;
};

static void put(sm_gw *w, gw_buf *b, const void *bytes, size_t n)
{
    if (w->failed)
        return;
    if (b->cap - b->n < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n) {
            if (cap > SIZE_MAX / 2) {
                w->failed = 1;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL) {
            w->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->n, bytes, n);
    b->n += n;
}

/* An unsigned integer of @p n_bytes (<= 8), least significant byte first. */
static void put_le(sm_gw *w, gw_buf *b, uint64_t v, size_t n_bytes)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n_bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    put(w, b, tmp, n_bytes);
}

static void put_u32(sm_gw *w, gw_buf *b, uint32_t v)
{
    put_le(w, b, v, 4);
}

static void put_u64(sm_gw *w, gw_buf *b, uint64_t v)
{
    put_le(w, b, v, 8);
}

static void put_str(sm_gw *w, gw_buf *b, const char *s)
{
    size_t n = strlen(s);
    put_u64(w, b, n);
    put(w, b, s, n);
}

static void put_zeros(sm_gw *w, gw_buf *b, size_t n)
{
    static const uint8_t zeros[64];
    while (n > 0 && !w->failed) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        put(w, b, zeros, k);
        n -= k;
    }
}

/* Bytes of one element of a fixed-size value type; 0 for string, array and unknown ids. */
static size_t scalar_bytes(uint32_t type)
{
    switch (type) {
    case GW_U8:
    case GW_I8:
    case GW_BOOL:
        return 1;
    case GW_U16:
    case GW_I16:
        return 2;
    case GW_U32:
    case GW_I32:
    case GW_F32:
        return 4;
    case GW_U64:
    case GW_I64:
    case GW_F64:
        return 8;
    default:
        return 0;
    }
}

/* One element read from host memory and written little-endian. */
static void put_elem(sm_gw *w, gw_buf *b, const void *src, size_t n_bytes)
{
    uint64_t v = 0;
    switch (n_bytes) {
    case 1: {
        uint8_t x;
        memcpy(&x, src, 1);
        v = x;
        break;
    }
    case 2: {
        uint16_t x;
        memcpy(&x, src, 2);
        v = x;
        break;
    }
    case 4: {
        uint32_t x;
        memcpy(&x, src, 4);
        v = x;
        break;
    }
    default:
        memcpy(&v, src, 8);
        break;
    }
    put_le(w, b, v, n_bytes);
}

sm_gw *sm_gw_create(uint32_t version)
{
    sm_gw *w = calloc(1, sizeof *w);
    if (w != NULL) {
        w->version = version;
        w->alignment = 32;
    }
    return w;
}

void sm_gw_free(sm_gw *w)
{
    if (w == NULL)
        return;
    free(w->kv.p);
    free(w->ti.p);
    free(w->data.p);
    free(w);
}

void sm_gw_set_alignment(sm_gw *w, uint32_t alignment)
{
    if (alignment == 0)
        w->failed = 1;
    else
        w->alignment = alignment;
}

void sm_gw_set_counts(sm_gw *w, uint64_t n_tensors, uint64_t n_kv)
{
    w->counts_overridden = 1;
    w->n_tensors_header = n_tensors;
    w->n_kv_header = n_kv;
}

/* ---- key/values --------------------------------------------------------------------------- */

static void kv_head(sm_gw *w, const char *key, uint32_t type)
{
    put_str(w, &w->kv, key);
    put_u32(w, &w->kv, type);
    w->n_kv++;
}

void sm_gw_kv_scalar(sm_gw *w, const char *key, uint32_t type, const void *value)
{
    size_t n = scalar_bytes(type);
    if (n == 0) {
        w->failed = 1;
        return;
    }
    kv_head(w, key, type);
    put_elem(w, &w->kv, value, n);
}

void sm_gw_kv_u32(sm_gw *w, const char *key, uint32_t v)
{
    sm_gw_kv_scalar(w, key, GW_U32, &v);
}

void sm_gw_kv_i32(sm_gw *w, const char *key, int32_t v)
{
    sm_gw_kv_scalar(w, key, GW_I32, &v);
}

void sm_gw_kv_u64(sm_gw *w, const char *key, uint64_t v)
{
    sm_gw_kv_scalar(w, key, GW_U64, &v);
}

void sm_gw_kv_f32(sm_gw *w, const char *key, float v)
{
    sm_gw_kv_scalar(w, key, GW_F32, &v);
}

void sm_gw_kv_bool(sm_gw *w, const char *key, int v)
{
    uint8_t b = v != 0;
    sm_gw_kv_scalar(w, key, GW_BOOL, &b);
}

void sm_gw_kv_str(sm_gw *w, const char *key, const char *v)
{
    kv_head(w, key, GW_STRING);
    put_str(w, &w->kv, v);
}

void sm_gw_kv_arr(sm_gw *w, const char *key, uint32_t elem_type, const void *elems, size_t n)
{
    size_t size = scalar_bytes(elem_type);
    if (size == 0) {
        w->failed = 1;
        return;
    }
    kv_head(w, key, GW_ARRAY);
    put_u32(w, &w->kv, elem_type);
    put_u64(w, &w->kv, n);
    for (size_t i = 0; i < n; i++)
        put_elem(w, &w->kv, (const uint8_t *)elems + i * size, size);
}

void sm_gw_kv_arr_str(sm_gw *w, const char *key, const char *const *v, size_t n)
{
    kv_head(w, key, GW_ARRAY);
    put_u32(w, &w->kv, GW_STRING);
    put_u64(w, &w->kv, n);
    for (size_t i = 0; i < n; i++)
        put_str(w, &w->kv, v[i]);
}

void sm_gw_kv_arr_f32(sm_gw *w, const char *key, const float *v, size_t n)
{
    sm_gw_kv_arr(w, key, GW_F32, v, n);
}

void sm_gw_kv_arr_i32(sm_gw *w, const char *key, const int32_t *v, size_t n)
{
    sm_gw_kv_arr(w, key, GW_I32, v, n);
}

void sm_gw_kv_raw(sm_gw *w, const char *key, uint32_t type, const void *bytes, size_t n)
{
    kv_head(w, key, type);
    put(w, &w->kv, bytes, n);
}

void sm_gw_kv_bytes(sm_gw *w, const void *bytes, size_t n)
{
    put(w, &w->kv, bytes, n);
    w->n_kv++;
}

/* ---- tensors ------------------------------------------------------------------------------ */

void sm_gw_tensor_raw(sm_gw *w, const char *name, uint32_t n_dims, const uint64_t *ne, size_t n_ne,
                      uint32_t type, uint64_t offset)
{
    put_str(w, &w->ti, name);
    put_u32(w, &w->ti, n_dims);
    for (size_t d = 0; d < n_ne; d++)
        put_u64(w, &w->ti, ne[d]);
    put_u32(w, &w->ti, type);
    put_u64(w, &w->ti, offset);
    w->n_tensors++;
}

void sm_gw_tensor(sm_gw *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne,
                  const void *data, size_t n_bytes)
{
    if (n_dims > 8) {
        w->failed = 1;
        return;
    }
    /* Each tensor starts at the next multiple of the alignment within the data section. */
    size_t a = w->alignment;
    put_zeros(w, &w->data, (a - w->data.n % a) % a);
    uint64_t ne_u[8];
    for (uint32_t d = 0; d < n_dims; d++)
        ne_u[d] = (uint64_t)ne[d];
    sm_gw_tensor_raw(w, name, n_dims, ne_u, n_dims, type, w->data.n);
    put(w, &w->data, data, n_bytes);
}

void sm_gw_data(sm_gw *w, const void *bytes, size_t n)
{
    put(w, &w->data, bytes, n);
}

uint64_t sm_gw_data_size(const sm_gw *w)
{
    return w->data.n;
}

/* ---- output ------------------------------------------------------------------------------- */

int sm_gw_bytes(sm_gw *w, uint8_t **out, size_t *size)
{
    gw_buf b = {0};
    put(w, &b, "GGUF", 4);
    put_u32(w, &b, w->version);
    put_u64(w, &b, w->counts_overridden ? w->n_tensors_header : w->n_tensors);
    put_u64(w, &b, w->counts_overridden ? w->n_kv_header : w->n_kv);
    put(w, &b, w->kv.p, w->kv.n);
    put(w, &b, w->ti.p, w->ti.n);
    /* The data section begins at the next multiple of the alignment (no padding if aligned). */
    size_t a = w->alignment;
    put_zeros(w, &b, (a - b.n % a) % a);
    put(w, &b, w->data.p, w->data.n);
    if (w->failed) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *size = b.n;
    return 0;
}

int sm_gw_write_file(sm_gw *w, const char *path)
{
    uint8_t *bytes;
    size_t n;
    if (sm_gw_bytes(w, &bytes, &n) != 0) {
        errno = ENOMEM;
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        free(bytes);
        return -1;
    }
    size_t written = fwrite(bytes, 1, n, f);
    int saved = errno;
    int closed = fclose(f);
    free(bytes);
    if (written != n) {
        errno = saved != 0 ? saved : EIO;
        return -1;
    }
    return closed == 0 ? 0 : -1;
}
