/* SPDX-License-Identifier: MIT */
/* sm_test_raw.h: little-endian integers (written independently of the parser) and raw byte
 * strings, for tests that write GGUF records by hand (test_gguf.c, test_malformed.c). */
#ifndef SM_TEST_RAW_H
#define SM_TEST_RAW_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void le_put(uint8_t *p, uint64_t v, int n_bytes)
{
    for (int i = 0; i < n_bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t le_get(const uint8_t *p, int n_bytes)
{
    uint64_t v = 0;
    for (int i = n_bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A raw byte string for hand-made records; the caller sizes it (raw_new) for all it appends. */
typedef struct raw {
    uint8_t *p;
    size_t n;
} raw;

static inline raw raw_new(size_t cap)
{
    raw r = {malloc(cap), 0};
    ck_assert_ptr_nonnull(r.p);
    return r;
}

static inline void raw_le(raw *r, uint64_t v, int n_bytes)
{
    le_put(r->p + r->n, v, n_bytes);
    r->n += (size_t)n_bytes;
}

static inline void raw_text(raw *r, const char *s)
{
    memcpy(r->p + r->n, s, strlen(s));
    r->n += strlen(s);
}

/* Patches of a whole written file (b, *n bytes), the arg of a bad-file case: */

/* the version field (bytes 4-7) set to arg; */
static inline void raw_patch_version(uint8_t *b, size_t *n, uint64_t arg)
{
    (void)n;
    le_put(b + 4, arg, 4);
}

/* the magic replaced by ggml's older "GGML"; */
static inline void raw_patch_magic(uint8_t *b, size_t *n, uint64_t arg)
{
    (void)n;
    (void)arg;
    memcpy(b, "GGML", 4);
}

/* the file cut to arg bytes; */
static inline void raw_patch_cut_to(uint8_t *b, size_t *n, uint64_t arg)
{
    (void)b;
    *n = (size_t)arg;
}

/* its last arg bytes dropped. */
static inline void raw_patch_drop_last(uint8_t *b, size_t *n, uint64_t arg)
{
    (void)b;
    *n -= arg;
}

#endif /* SM_TEST_RAW_H */
