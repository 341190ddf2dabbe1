/* SPDX-License-Identifier: MIT */
/* gguf_writer.h: a test-only GGUF writer. It builds valid files (tiny models, vocabularies) and,
 * through its raw calls, deliberately malformed ones for the hardening corpus. It is written from
 * the GGUF specification, independently of src/gguf.c, so a round trip checks the parser.
 *
 * Usage: create, add key/values and tensors in the order they should appear, then take the
 * bytes (sm_gw_bytes) or write a file (sm_gw_write_file). Tensor data is copied at add time and
 * laid out contiguously, each tensor at the next multiple of the alignment. Errors (out of
 * memory, bad arguments) are sticky: the call that produces the output reports them. */
#ifndef SM_TEST_GGUF_WRITER_H
#define SM_TEST_GGUF_WRITER_H

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

/* The file's bytes in a malloc'd buffer the caller frees. 0 on success, -1 on a sticky error. */
int sm_gw_bytes(sm_gw *w, uint8_t **out, size_t *size);

/* Writes the file; 0 on success, -1 on error (errno set). */
int sm_gw_write_file(sm_gw *w, const char *path);

#endif /* SM_TEST_GGUF_WRITER_H */
