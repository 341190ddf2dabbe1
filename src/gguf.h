/* SPDX-License-Identifier: MIT */
/* gguf.h: the GGUF v2/v3 parser. It validates a whole file held in memory (a read-only map or a
 * buffer) and describes its metadata and tensors as views into those bytes, copying nothing.
 *
 * The layout it accepts (little-endian; every count and offset is distrusted and checked):
 *   1. magic "GGUF" (4 bytes), version (u32: 2 or 3), n_tensors (u64), n_kv (u64);
 *   2. n_kv records: key (string), value type (u32), value;
 *      a string is a u64 length then that many bytes (no terminator);
 *      an array is an element type (u32, never ARRAY), a u64 count, then the elements;
 *   3. n_tensors records: name (string), n_dims (u32), n_dims u64 extents (fastest first),
 *      type (u32, a ggml type id), offset (u64, from the start of the data section);
 *   4. padding to `general.alignment` (a u32 power of two; 32 when absent), then the data
 *      section: tensor i at data + offset_i, each offset equal to the aligned running sum of the
 *      sizes before it (tensors contiguous and in order, as every writer lays them out).
 * Every rule of ../shared/GGUF-HARDENING.md rows 1-13 is enforced here; the model and tokenizer
 * layers check the meaning of keys (rows 14-22).
 *
 * After a successful parse, the accessors below trust the structure: they never re-validate
 * lengths, which is why they are only valid on an sm_gguf the parser returned. */
#ifndef SM_GGUF_H
#define SM_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "smallmind.h"

/* Metadata value types, as GGUF numbers them. */
typedef enum sm_gguf_vtype {
    SM_GGUF_U8 = 0,
    SM_GGUF_I8 = 1,
    SM_GGUF_U16 = 2,
    SM_GGUF_I16 = 3,
    SM_GGUF_U32 = 4,
    SM_GGUF_I32 = 5,
    SM_GGUF_F32 = 6,
    SM_GGUF_BOOL = 7,
    SM_GGUF_STRING = 8,
    SM_GGUF_ARRAY = 9,
    SM_GGUF_U64 = 10,
    SM_GGUF_I64 = 11,
    SM_GGUF_F64 = 12,
    SM_GGUF_VTYPE_COUNT = 13
} sm_gguf_vtype;

/* The longest tensor name, terminator included, as ggml's GGML_MAX_NAME: names of 64 bytes or
 * more are rejected. */
#define SM_GGUF_NAME_MAX 64

/* The limits ggml applies (gguf.cpp), so that a file we accept is one llama.cpp accepts too. */
#define SM_GGUF_MAX_STRING_BYTES  ((uint64_t)1 << 30)
#define SM_GGUF_MAX_ARRAY_ELEMS   ((uint64_t)1 << 30)
#define SM_GGUF_DEFAULT_ALIGNMENT 32u

/* A string inside the file: n bytes at p, not NUL-terminated, possibly not valid UTF-8. */
typedef struct sm_gguf_str {
    const char *p;
    uint64_t n;
} sm_gguf_str;

/* One metadata record. For a scalar, n = 1 and data points at the value's bytes (unaligned: read
 * it through the accessors). For a string, str is the value. For an array, elem_type is the
 * element type, n the count and data the first element (for strings: the first u64 length). */
typedef struct sm_gguf_kv {
    sm_gguf_str key;
    sm_gguf_vtype type;
    sm_gguf_vtype elem_type; /* == type for a scalar */
    uint64_t n;
    const uint8_t *data;
    sm_gguf_str str; /* type == SM_GGUF_STRING only */
} sm_gguf_kv;

/* One tensor. ne[d] for d >= n_dims is 1, so ne[0] * ne[1] * ne[2] * ne[3] is the element count
 * (checked not to overflow int64). type is a ggml type id the parser knows the block layout of
 * (sm_gguf_type_name names it); whether the runtime can compute with it is the model's check. */
typedef struct sm_gguf_tensor {
    char name[SM_GGUF_NAME_MAX]; /* NUL-terminated copy */
    uint32_t n_dims;             /* 1..4 */
    int64_t ne[4];               /* each >= 1 */
    uint32_t type;
    uint64_t offset;  /* from the start of the data section; a multiple of the alignment */
    uint64_t n_bytes; /* the exact size its type and extents need */
    const void *data; /* base + data_offset + offset, inside the buffer */
} sm_gguf_tensor;

typedef struct sm_gguf {
    uint32_t version;
    uint32_t alignment;
    uint64_t n_kv;
    uint64_t n_tensors;
    const sm_gguf_kv *kv;          /* n_kv records, in file order */
    const sm_gguf_tensor *tensors; /* n_tensors records, in file order */
    uint64_t data_offset;          /* file offset of the data section (the file size in a
                                      file without tensors whose padding is missing) */
    const uint8_t *base;           /* the buffer given to sm_gguf_parse (borrowed) */
    size_t size;
} sm_gguf;

/**
 * Parses and validates @p size bytes at @p data.
 * @param data borrowed: must stay valid and unchanged for the life of the result.
 * @return SM_OK with *out set; SM_E_FORMAT for any malformed field, SM_E_UNSUPPORTED for a
 *         tensor type id ggml does not define (or a version above 3), SM_E_NOMEM. The reason
 *         goes to @p err: it names the field, key or tensor, the bad value and the byte offset
 *         in the file ("tensor 'blk.0.attn_q.weight' (tensor 3 at byte 1180): offset 1234 is not
 *         a multiple of the alignment 32"). Allocations are bounded by the bytes the file holds
 *         (no count is trusted before it is checked against the bytes remaining).
 */
sm_status sm_gguf_parse(const void *data, size_t size, sm_gguf **out, char *err, size_t err_len);

/* Frees what sm_gguf_parse allocated (not the buffer). NULL is a no-op. */
void sm_gguf_free(sm_gguf *g);

/* The record with key @p key, or NULL. Keys are unique (the parser checks). */
const sm_gguf_kv *sm_gguf_find(const sm_gguf *g, const char *key);

/* The tensor named @p name, or NULL. Names are unique (the parser checks). */
const sm_gguf_tensor *sm_gguf_find_tensor(const sm_gguf *g, const char *name);

/**
 * Typed reads of a key, for the model and tokenizer loaders. A missing key is SM_E_NOT_FOUND
 * (callers with a default check for it); a present key of the wrong type, or whose value falls
 * outside [min, max], is SM_E_FORMAT with a message naming the key, its type and value.
 * get_int accepts any integer type (U8..I64) and BOOL; get_f32 accepts F32 and F64 (and
 * rejects NaN and infinities); get_str accepts STRING; get_arr accepts an array of @p elem_type.
 * Out-parameters are written only on success.
 */
sm_status sm_gguf_get_int(const sm_gguf *g, const char *key, int64_t min, int64_t max, int64_t *out,
                          char *err, size_t err_len);
sm_status sm_gguf_get_f32(const sm_gguf *g, const char *key, float *out, char *err, size_t err_len);
sm_status sm_gguf_get_str(const sm_gguf *g, const char *key, sm_gguf_str *out, char *err,
                          size_t err_len);
sm_status sm_gguf_get_arr(const sm_gguf *g, const char *key, sm_gguf_vtype elem_type,
                          const sm_gguf_kv **out, char *err, size_t err_len);

/* Element i (< kv->n) of a numeric array, read through memcpy (metadata is unaligned). The
 * element type must be the one named; the parser guarantees the bytes exist. */
float sm_gguf_arr_f32(const sm_gguf_kv *kv, uint64_t i);
int32_t sm_gguf_arr_i32(const sm_gguf_kv *kv, uint64_t i);
uint8_t sm_gguf_arr_u8(const sm_gguf_kv *kv, uint64_t i);

/* Walks a string array: start with *cursor = kv->data, and each call returns the next element
 * and advances *cursor. Valid for at most kv->n calls on a validated string array. */
sm_gguf_str sm_gguf_arr_next_str(const uint8_t **cursor);

/* The ggml name of a tensor type id ("F32", "Q4_K", ...), or NULL for an id ggml does not
 * define. */
const char *sm_gguf_type_name(uint32_t type);

/* The name of a value type ("u32", "string", "array"), or "unknown". */
const char *sm_gguf_vtype_name(uint32_t vtype);

/* Whether key equals the NUL-terminated @p s. */
int sm_gguf_str_eq(sm_gguf_str a, const char *s);

#endif /* SM_GGUF_H */
