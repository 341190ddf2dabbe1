/* SPDX-License-Identifier: MIT */
/* gguf_writer.h: a GGUF writer shared by the tests and the programs' built-in models
 * (builtin.c). It builds valid files (tiny models, vocabularies) and, through its raw calls,
 * deliberately malformed ones for the tests' hardening corpus. It is written from the GGUF
 * specification, independently of src/gguf.c, so a round trip checks the parser. It is not
 * part of the library: it lives in libsm_cli, which sm-run and the tests link.
 *
 * Usage: create, add key/values and tensors in the order they should appear, then take the
 * bytes (sm_gw_bytes) or write a file (sm_gw_write_file). Tensor data is copied at add time and
 * laid out contiguously, each tensor at the next multiple of the alignment. Errors (out of
 * memory, bad arguments) are sticky: the call that produces the output reports them. */
#ifndef SM_CLI_GGUF_WRITER_H
#define SM_CLI_GGUF_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct sm_gw sm_gw;

/* A writer for GGUF @p version (normally 3), alignment 32 until sm_gw_set_alignment. NULL when
 * out of memory. */
sm_gw *sm_gw_create(uint32_t version);
void sm_gw_free(sm_gw *w);

/* The alignment used to lay out the data section. It does not write general.alignment: add
 * that key yourself (sm_gw_kv_u32) when it is not 32, so tests can also write lying keys. */
void sm_gw_set_alignment(sm_gw *w, uint32_t alignment);

/* Typed key/values. Strings are NUL-terminated here and written without the terminator. */
void sm_gw_kv_u32(sm_gw *w, const char *key, uint32_t v);
void sm_gw_kv_i32(sm_gw *w, const char *key, int32_t v);
void sm_gw_kv_u64(sm_gw *w, const char *key, uint64_t v);
void sm_gw_kv_f32(sm_gw *w, const char *key, float v);
void sm_gw_kv_bool(sm_gw *w, const char *key, int v);
void sm_gw_kv_str(sm_gw *w, const char *key, const char *v);
void sm_gw_kv_arr_str(sm_gw *w, const char *key, const char *const *v, size_t n);
void sm_gw_kv_arr_f32(sm_gw *w, const char *key, const float *v, size_t n);
void sm_gw_kv_arr_i32(sm_gw *w, const char *key, const int32_t *v, size_t n);

/* A tensor of ggml type @p type with extents ne[0..n_dims) (fastest first) and @p n_bytes of
 * data, copied. */
void sm_gw_tensor(sm_gw *w, const char *name, uint32_t type, uint32_t n_dims, const int64_t *ne,
                  const void *data, size_t n_bytes);

/* ---- raw calls, for round trips of every type and for the malformed-file corpus ---------- */

/* A scalar of any fixed-size value type (u8..f64 except string and array; GGUF numbering as in
 * src/gguf.h's sm_gguf_vtype): @p value points at the value in host order. */
void sm_gw_kv_scalar(sm_gw *w, const char *key, uint32_t type, const void *value);

/* An array of @p n fixed-size elements of @p elem_type, host order. */
void sm_gw_kv_arr(sm_gw *w, const char *key, uint32_t elem_type, const void *elems, size_t n);

/* A key/value whose value is written verbatim: the key, then the u32 @p type, then @p n bytes.
 * Any type id, any bytes (lying lengths, nested arrays, truncated values). */
void sm_gw_kv_raw(sm_gw *w, const char *key, uint32_t type, const void *bytes, size_t n);

/* A whole key/value record written verbatim (@p n bytes), counted as one kv: for keys whose
 * length field lies or that are empty. */
void sm_gw_kv_bytes(sm_gw *w, const void *bytes, size_t n);

/* A tensor info written verbatim: name, n_dims, the @p n_ne extents in @p ne (n_ne may differ
 * from n_dims to build lying records), type and offset. No data is added: use sm_gw_data. */
void sm_gw_tensor_raw(sm_gw *w, const char *name, uint32_t n_dims, const uint64_t *ne, size_t n_ne,
                      uint32_t type, uint64_t offset);

/* Appends @p n bytes to the data section as they are (no alignment padding before them). */
void sm_gw_data(sm_gw *w, const void *bytes, size_t n);

/* The data section's current size: the offset the next sm_gw_data bytes will get. */
uint64_t sm_gw_data_size(const sm_gw *w);

/* Overrides the n_tensors and n_kv written in the header (instead of the true counts). */
void sm_gw_set_counts(sm_gw *w, uint64_t n_tensors, uint64_t n_kv);

/* The file's bytes in a malloc'd buffer the caller frees. 0 on success, -1 on a sticky error. */
int sm_gw_bytes(sm_gw *w, uint8_t **out, size_t *size);

/* Writes the file; 0 on success, -1 on error (errno set). */
int sm_gw_write_file(sm_gw *w, const char *path);

#endif /* SM_CLI_GGUF_WRITER_H */
