/* SPDX-License-Identifier: MIT */
/* json_read.h: a strict JSON (RFC 8259) reader into a tree, for sm-bench --compare. */
#ifndef SM_PERF_JSON_READ_H
#define SM_PERF_JSON_READ_H

#include <stddef.h>

/*
 * Strict means: one value, surrounded only by whitespace (space, tab, CR, LF); no comments,
 * trailing commas, single quotes, NaN/Infinity, leading zeros, leading '+' or '.'; strings
 * are valid UTF-8 with no raw control characters, and \u escapes must form whole code points
 * (a lone surrogate is an error); a member name may not repeat within an object (RFC 8259
 * leaves duplicates to the reader: we refuse them, since either choice would hide a field).
 * One liberty: a leading UTF-8 byte order mark is skipped, as RFC 8259 section 8.1 allows.
 * A number whose magnitude exceeds a double is an error; one too small for a double becomes
 * 0 or a subnormal, as strtod rounds it.
 */

typedef enum sm_json_type {
    SM_JSON_NULL = 0,
    SM_JSON_FALSE,
    SM_JSON_TRUE,
    SM_JSON_NUMBER,
    SM_JSON_STRING,
    SM_JSON_ARRAY,
    SM_JSON_OBJECT
} sm_json_type;

typedef struct sm_json sm_json;
typedef struct sm_json_member sm_json_member;

/* One value. Strings and member names are NUL-terminated copies, decoded to UTF-8; len counts
 * their bytes, which may include a NUL spelled \u0000. */
struct sm_json {
    sm_json_type type;
    int line, col;  /* where the value starts in the text: 1-based line, 1-based character */
    double num;     /* SM_JSON_NUMBER */
    char *str;      /* SM_JSON_STRING */
    size_t len;     /* string bytes, or the number of array items or object members */
    sm_json *items; /* SM_JSON_ARRAY: len values */
    sm_json_member *members; /* SM_JSON_OBJECT: len members, in text order */
};

struct sm_json_member {
    char *key;
    size_t key_len;
    int key_line, key_col; /* where the name starts */
    sm_json value;
};

/* Caps on untrusted input; a zero field takes its default. The depth cap also bounds the
 * recursion of the parser and of sm_json_free. */
typedef struct sm_json_limits {
    size_t max_bytes;  /* text length (default 64 MiB) */
    size_t max_depth;  /* nested arrays and objects (default 64) */
    size_t max_values; /* values in the whole tree (default 1M): bounds the memory a small text
                          of many tiny values ("[0,0,0,...]") can make the tree take */
} sm_json_limits;

/* Where and why parsing failed. line and col are 1-based; col counts characters (UTF-8 code
 * points, a tab as one), so it matches an editor's column. Both are 0 for an error that has no
 * position (the text is over the size limit). */
typedef struct sm_json_error {
    int line, col;
    char msg[200]; /* what was expected and what was found, e.g. "expected ',' or ']' after an
                      array item, found '}'" */
} sm_json_error;

/**
 * Parses @p len bytes of @p text (no NUL needed; a NUL byte is an error) into a tree.
 * @param lim NULL for the defaults.
 * @param out on success the root, to be released with sm_json_free; NULL on failure.
 * @param err on failure, the position and the reason (may be NULL).
 * @return SM_OK; SM_E_FORMAT for text that is not JSON, SM_E_RANGE when a limit is exceeded
 *         (both with @p err filled in), SM_E_NOMEM, SM_E_INVAL for NULL text or out.
 */
int sm_json_parse(const char *text, size_t len, const sm_json_limits *lim, sm_json **out,
                  sm_json_error *err);

/* Releases a tree from sm_json_parse; NULL is a no-op. */
void sm_json_free(sm_json *root);

/* "null", "false", "true", "a number", "a string", "an array", "an object": for messages. */
const char *sm_json_type_name(sm_json_type t);

/* The value of member @p key of object @p v; NULL when v is not an object or has no such key. */
const sm_json *sm_json_get(const sm_json *v, const char *key);

/* Item @p i of array @p v; NULL when v is not an array or i is out of range. */
const sm_json *sm_json_at(const sm_json *v, size_t i);

/* 0 and the number in @p out; -1 when v is NULL or not a number. */
int sm_json_number(const sm_json *v, double *out);

/* 0 and the value in @p out when v is a number with an integral value within +-2^53 (where
 * every integer is exact in a double); -1 otherwise. */
int sm_json_int(const sm_json *v, long long *out);

/* The string's bytes (NUL-terminated) and their count in @p len (may be NULL); NULL when v is
 * NULL or not a string. */
const char *sm_json_string(const sm_json *v, size_t *len);

#endif /* SM_PERF_JSON_READ_H */
