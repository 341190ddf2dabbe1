/* SPDX-License-Identifier: MIT */
/* json_read.c: the strict JSON reader (json_read.h): a recursive-descent parser that checks the
 * RFC 8259 grammar itself and keeps the position of every value for error messages. */
#include "config.h"

#include "json_read.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smallmind.h"

enum {
    DEFAULT_MAX_BYTES = 64 << 20,
    DEFAULT_MAX_DEPTH = 64,
    DEFAULT_MAX_VALUES = 1 << 20,
};

typedef struct reader {
    const unsigned char *p, *end;
    int line, col; /* of *p */
    size_t n_values;
    sm_json_limits lim;
    sm_json_error *err;
} reader;

/* ---- positions and errors --------------------------------------------------------------- */

/* Moves past one byte. A column is a character, so only bytes that start one count: a
 * continuation byte (10xxxxxx) belongs to the character already counted. */
static void adv(reader *r)
{
    if (*r->p == '\n') {
        r->line++;
        r->col = 1;
    } else if ((*r->p & 0xC0) != 0x80) {
        r->col++;
    }
    r->p++;
}

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n'))
        adv(r);
}

/* Length of the well-formed UTF-8 sequence at p (1..4), or 0 when it is not one: overlong
 * forms, UTF-16 surrogates (U+D800..DFFF) and code points past U+10FFFF are refused, per the
 * table of well-formed byte sequences in the Unicode standard (chapter 3, table 3-7). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    }
    return n;
}

/* What is at the cursor, for "found ..." in messages. */
static void describe(const reader *r, char *buf, size_t len)
{
    if (r->p >= r->end) {
        snprintf(buf, len, "end of input");
        return;
    }
    unsigned c = *r->p;
    size_t n = utf8_len(r->p, r->end);
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, len, "'%c'", (char)c);
    else if (n > 1)
        snprintf(buf, len, "'%.*s'", (int)n, (const char *)r->p);
    else
        snprintf(buf, len, "byte 0x%02X", c);
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
fail_at(reader *r, int line, int col, int status, const char *fmt, ...)
{
    if (r->err) {
        r->err->line = line;
        r->err->col = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err->msg, sizeof r->err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* "expected <what>, found <what is at the cursor>", at the cursor. */
static int expected(reader *r, const char *what)
{
    char found[32];
    describe(r, found, sizeof found);
    return fail_at(r, r->line, r->col, SM_E_FORMAT, "expected %s, found %s", what, found);
}

/* ---- the tree --------------------------------------------------------------------------- */

static void free_value(sm_json *v)
{
    switch (v->type) {
    case SM_JSON_STRING:
        free(v->str);
        break;
    case SM_JSON_ARRAY:
        for (size_t i = 0; i < v->len; i++)
            free_value(&v->items[i]);
        free(v->items);
        break;
    case SM_JSON_OBJECT:
        for (size_t i = 0; i < v->len; i++) {
            free(v->members[i].key);
            free_value(&v->members[i].value);
        }
        free(v->members);
        break;
    default:
        break;
    }
    v->type = SM_JSON_NULL;
    v->len = 0;
}

/* Makes room for one more element of @p size bytes in *arr (holding n of *cap). */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return SM_OK;
    size_t cap2 = *cap ? *cap * 2 : 4;
    if (cap2 > SIZE_MAX / size)
        return SM_E_NOMEM;
    void *p = realloc(*arr, cap2 * size);
    if (!p)
        return SM_E_NOMEM;
    *arr = p;
    *cap = cap2;
    return SM_OK;
}

/* ---- scalars ---------------------------------------------------------------------------- */

static int parse_literal(reader *r, sm_json *v, const char *word, sm_json_type type)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) {
        char what[40];
        snprintf(what, sizeof what, "'%s'", word);
        /* Point at the first byte that differs, where the reader's eye should go. */
        for (size_t i = 0; i < n && r->p < r->end && *r->p == (unsigned char)word[i]; i++)
            adv(r);
        return expected(r, what);
    }
    for (size_t i = 0; i < n; i++)
        adv(r);
    v->type = type;
    return SM_OK;
}

static int digits(reader *r, const char *after)
{
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') {
        char what[48];
        snprintf(what, sizeof what, "a digit after %s", after);
        return expected(r, what);
    }
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        adv(r);
    return SM_OK;
}

/* strtod after the grammar has been checked here: strtod alone would also take hex, "inf",
 * "nan", leading '+' or '.', and whitespace. It reads the locale's decimal point, so the '.' is
 * swapped for it in a copy (a program that called setlocale would otherwise read "1.5" as 1). */
static int to_double(reader *r, const unsigned char *s, size_t n, int line, int col, double *out)
{
    const char *dp = localeconv()->decimal_point;
    size_t dp_len = dp && *dp ? strlen(dp) : 1;
    char small[128], *buf = small;
    if (n + dp_len + 1 > sizeof small) {
        buf = malloc(n + dp_len + 1);
        if (!buf)
            return SM_E_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            memcpy(buf + k, dp && *dp ? dp : ".", dp_len);
            k += dp_len;
        } else {
            buf[k++] = (char)s[i];
        }
    }
    buf[k] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    int whole = end == buf + k;
    if (buf != small)
        free(buf);
    if (!whole)
        return fail_at(r, line, col, SM_E_FORMAT, "number not readable by strtod");
    if (isinf(d))
        return fail_at(r, line, col, SM_E_FORMAT, "number %.*s is out of range for a double",
                       n > 40 ? 40 : (int)n, (const char *)s);
    *out = d;
    return SM_OK;
}

/* number = [ "-" ] ( "0" / digit1-9 *digit ) [ "." 1*digit ] [ ( "e" / "E" ) [ "+" / "-" ]
 * 1*digit ], RFC 8259 section 6. */
static int parse_number(reader *r, sm_json *v)
{
    const unsigned char *start = r->p;
    int line = r->line, col = r->col, st;
    if (*r->p == '-')
        adv(r);
    if (r->p < r->end && *r->p == '0') {
        adv(r);
        if (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            return fail_at(r, r->line, r->col, SM_E_FORMAT,
                           "leading zeros are not allowed in a number");
    } else if ((st = digits(r, "'-'")) != SM_OK) {
        return st;
    }
    if (r->p < r->end && *r->p == '.') {
        adv(r);
        if ((st = digits(r, "the decimal point")) != SM_OK)
            return st;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        adv(r);
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            adv(r);
        if ((st = digits(r, "the exponent mark")) != SM_OK)
            return st;
    }
    if ((st = to_double(r, start, (size_t)(r->p - start), line, col, &v->num)) != SM_OK)
        return st;
    v->type = SM_JSON_NUMBER;
    return SM_OK;
}

/* ---- strings ---------------------------------------------------------------------------- */

static int hex4(reader *r, unsigned *out)
{
    unsigned u = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = r->p < r->end ? *r->p : 0, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return expected(r, "a hex digit in a \\u escape");
        u = u * 16 + d;
        adv(r);
    }
    *out = u;
    return SM_OK;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The code point of a \u escape (the backslash is behind the cursor, 'u' at it), joining a
 * UTF-16 surrogate pair spelled as two escapes. */
static int parse_u_escape(reader *r, int line, int col, unsigned *cp)
{
    int st;
    unsigned hi, lo;
    adv(r); /* 'u' */
    if ((st = hex4(r, &hi)) != SM_OK)
        return st;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail_at(r, line, col, SM_E_FORMAT,
                       "\\u%04X is a low surrogate without a high surrogate before it", hi);
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = hi;
        return SM_OK;
    }
    if ((size_t)(r->end - r->p) < 2 || r->p[0] != '\\' || r->p[1] != 'u')
        return fail_at(r, line, col, SM_E_FORMAT,
                       "\\u%04X is a high surrogate without a \\uDC00-\\uDFFF escape after it", hi);
    adv(r);
    adv(r);
    if ((st = hex4(r, &lo)) != SM_OK)
        return st;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail_at(r, line, col, SM_E_FORMAT,
                       "\\u%04X is a high surrogate followed by \\u%04X, not by a low surrogate",
                       hi, lo);
    *cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
    return SM_OK;
}

/* One escape sequence (cursor at the backslash) appended to o; *n grows by its bytes. */
static int parse_escape(reader *r, char *o, size_t *n)
{
    int line = r->line, col = r->col;
    adv(r); /* '\\' */
    if (r->p >= r->end)
        return expected(r, "an escape character after '\\'");
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = *r->p ? strchr(from, *r->p) : NULL;
    if (hit) {
        o[(*n)++] = to[hit - from];
        adv(r);
        return SM_OK;
    }
    if (*r->p != 'u')
        return expected(r, "one of \" \\ / b f n r t u after '\\'");
    unsigned cp = 0;
    int st = parse_u_escape(r, line, col, &cp);
    if (st == SM_OK)
        *n += put_utf8(o + *n, cp);
    return st;
}

/* A string (cursor at its opening quote) into a fresh NUL-terminated buffer. */
static int parse_string(reader *r, char **out, size_t *out_len)
{
    int line = r->line, col = r->col;
    /* Decoding never lengthens the text (an escape of 2, 6 or 12 bytes gives 1, 1-3 or 4), so
     * the bytes up to the closing quote bound the buffer. */
    const unsigned char *q = r->p + 1;
    while (q < r->end && *q != '"')
        q += *q == '\\' && q + 1 < r->end ? 2 : 1;
    char *o = malloc((size_t)(q - r->p));
    if (!o)
        return SM_E_NOMEM;
    size_t n = 0;
    int st = SM_OK;
    adv(r); /* '"' */
    for (;;) {
        if (r->p >= r->end) {
            st = fail_at(r, r->line, r->col, SM_E_FORMAT,
                         "end of input in the string that starts at line %d, column %d", line, col);
            break;
        }
        unsigned c = *r->p;
        if (c == '"') {
            adv(r);
            break;
        }
        if (c == '\\') {
            if ((st = parse_escape(r, o, &n)) != SM_OK)
                break;
            continue;
        }
        if (c < 0x20) {
            st = fail_at(r, r->line, r->col, SM_E_FORMAT,
                         "control character U+%04X in a string (it must be escaped)", c);
            break;
        }
        size_t k = utf8_len(r->p, r->end);
        if (k == 0) {
            st = fail_at(r, r->line, r->col, SM_E_FORMAT,
                         "byte 0x%02X in a string does not start a valid UTF-8 sequence", c);
            break;
        }
        for (size_t i = 0; i < k; i++) {
            o[n++] = (char)*r->p;
            adv(r);
        }
    }
    if (st != SM_OK) {
        free(o);
        return st;
    }
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return SM_OK;
}

/* ---- containers ------------------------------------------------------------------------- */

static int parse_value(reader *r, sm_json *v, size_t depth);

static int parse_array(reader *r, sm_json *v, size_t depth)
{
    size_t cap = 0;
    int st;
    v->type = SM_JSON_ARRAY;
    adv(r); /* '[' */
    skip_ws(r);
    if (r->p < r->end && *r->p == ']') {
        adv(r);
        return SM_OK;
    }
    for (;;) {
        if ((st = grow((void **)&v->items, &cap, v->len, sizeof *v->items)) != SM_OK)
            return st;
        /* Counted before it is parsed, so that free_value releases a half-made item too. */
        sm_json *item = &v->items[v->len++];
        memset(item, 0, sizeof *item);
        if ((st = parse_value(r, item, depth)) != SM_OK)
            return st;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            adv(r);
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            adv(r);
            return SM_OK;
        }
        return expected(r, "',' or ']' after an array item");
    }
}

static int cmp_member(const void *a, const void *b)
{
    const sm_json_member *x = *(const sm_json_member *const *)a;
    const sm_json_member *y = *(const sm_json_member *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    return (x > y) - (x < y); /* equal names stay in text order */
}

/* Refuses a member name that repeats, at its second appearance. Sorting costs n log n, where
 * comparing every pair would let a large object cost n^2. */
static int check_duplicates(reader *r, const sm_json *v)
{
    if (v->len < 2)
        return SM_OK;
    const sm_json_member **m = malloc(v->len * sizeof *m);
    if (!m)
        return SM_E_NOMEM;
    for (size_t i = 0; i < v->len; i++)
        m[i] = &v->members[i];
    qsort(m, v->len, sizeof *m, cmp_member);
    const sm_json_member *first = NULL, *dup = NULL;
    for (size_t i = 1; i < v->len; i++) {
        if (m[i]->key_len == m[i - 1]->key_len &&
            !memcmp(m[i]->key, m[i - 1]->key, m[i]->key_len)) {
            /* Among all repeats, report the one that comes first in the text. */
            if (!dup || m[i] < dup) {
                dup = m[i];
                first = m[i - 1];
            }
        }
    }
    free(m);
    if (!dup)
        return SM_OK;
    return fail_at(r, dup->key_line, dup->key_col, SM_E_FORMAT,
                   "member name \"%.60s\" repeats (first at line %d, column %d)", dup->key,
                   first->key_line, first->key_col);
}

static int parse_member(reader *r, sm_json_member *m, size_t depth)
{
    int st;
    if (r->p >= r->end || *r->p != '"')
        return expected(r, "a member name (a string)");
    m->key_line = r->line;
    m->key_col = r->col;
    if ((st = parse_string(r, &m->key, &m->key_len)) != SM_OK)
        return st;
    skip_ws(r);
    if (r->p >= r->end || *r->p != ':') {
        char what[96];
        snprintf(what, sizeof what, "':' after member name \"%.60s\"", m->key);
        return expected(r, what);
    }
    adv(r);
    return parse_value(r, &m->value, depth);
}

static int parse_object(reader *r, sm_json *v, size_t depth)
{
    size_t cap = 0;
    int st;
    v->type = SM_JSON_OBJECT;
    adv(r); /* '{' */
    skip_ws(r);
    if (r->p < r->end && *r->p == '}') {
        adv(r);
        return SM_OK;
    }
    for (;;) {
        if ((st = grow((void **)&v->members, &cap, v->len, sizeof *v->members)) != SM_OK)
            return st;
        sm_json_member *m = &v->members[v->len++]; /* counted first, as in parse_array */
        memset(m, 0, sizeof *m);
        if ((st = parse_member(r, m, depth)) != SM_OK)
            return st;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            adv(r);
            skip_ws(r);
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            adv(r);
            return check_duplicates(r, v);
        }
        return expected(r, "',' or '}' after an object member");
    }
}

/* Parses one value into *v (zeroed by the caller). On failure *v may hold a partial tree,
 * always in a state free_value can release (the caller's free of the root does it). */
static int parse_value(reader *r, sm_json *v, size_t depth)
{
    skip_ws(r);
    v->line = r->line;
    v->col = r->col;
    if (r->p >= r->end)
        return expected(r, "a value");
    if (++r->n_values > r->lim.max_values)
        return fail_at(r, r->line, r->col, SM_E_RANGE, "more than %zu values (the limit)",
                       r->lim.max_values);
    switch (*r->p) {
    case '{':
    case '[':
        if (depth + 1 > r->lim.max_depth)
            return fail_at(r, r->line, r->col, SM_E_RANGE,
                           "arrays and objects nested deeper than %zu (the limit)",
                           r->lim.max_depth);
        return *r->p == '{' ? parse_object(r, v, depth + 1) : parse_array(r, v, depth + 1);
    case '"': {
        int st = parse_string(r, &v->str, &v->len);
        if (st == SM_OK)
            v->type = SM_JSON_STRING;
        return st;
    }
    case 't':
        return parse_literal(r, v, "true", SM_JSON_TRUE);
    case 'f':
        return parse_literal(r, v, "false", SM_JSON_FALSE);
    case 'n':
        return parse_literal(r, v, "null", SM_JSON_NULL);
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return parse_number(r, v);
        return expected(r, "a value (object, array, string, number, true, false or null)");
    }
}

/* ---- entry points ----------------------------------------------------------------------- */

int sm_json_parse(const char *text, size_t len, const sm_json_limits *lim, sm_json **out,
                  sm_json_error *err)
{
    if (out)
        *out = NULL;
    if (!text || !out)
        return SM_E_INVAL;
    reader r = {.p = (const unsigned char *)text,
                .end = (const unsigned char *)text + len,
                .line = 1,
                .col = 1,
                .err = err};
    if (lim)
        r.lim = *lim;
    if (!r.lim.max_bytes)
        r.lim.max_bytes = DEFAULT_MAX_BYTES;
    if (!r.lim.max_depth)
        r.lim.max_depth = DEFAULT_MAX_DEPTH;
    if (!r.lim.max_values)
        r.lim.max_values = DEFAULT_MAX_VALUES;
    if (len > r.lim.max_bytes)
        return fail_at(&r, 0, 0, SM_E_RANGE, "%zu bytes of text, more than the limit of %zu", len,
                       r.lim.max_bytes);
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        r.p += 3; /* a byte order mark: allowed to be skipped, RFC 8259 section 8.1 */
    sm_json *root = calloc(1, sizeof *root);
    if (!root)
        return SM_E_NOMEM;
    int st = parse_value(&r, root, 0);
    if (st == SM_OK) {
        skip_ws(&r);
        if (r.p < r.end)
            st = expected(&r, "end of input after the top-level value");
    }
    if (st != SM_OK) {
        if (st == SM_E_NOMEM)
            fail_at(&r, r.line, r.col, st, "out of memory");
        sm_json_free(root);
        return st;
    }
    *out = root;
    return SM_OK;
}

void sm_json_free(sm_json *root)
{
    if (!root)
        return;
    free_value(root);
    free(root);
}

const char *sm_json_type_name(sm_json_type t)
{
    switch (t) {
    case SM_JSON_NULL:
        return "null";
    case SM_JSON_FALSE:
        return "false";
    case SM_JSON_TRUE:
        return "true";
    case SM_JSON_NUMBER:
        return "a number";
    case SM_JSON_STRING:
        return "a string";
    case SM_JSON_ARRAY:
        return "an array";
    case SM_JSON_OBJECT:
        return "an object";
    }
    return "an unknown type";
}

const sm_json *sm_json_get(const sm_json *v, const char *key)
{
    if (!v || v->type != SM_JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < v->len; i++) {
        const sm_json_member *m = &v->members[i];
        if (m->key_len == n && !memcmp(m->key, key, n))
            return &m->value;
    }
    return NULL;
}

const sm_json *sm_json_at(const sm_json *v, size_t i)
{
    if (!v || v->type != SM_JSON_ARRAY || i >= v->len)
        return NULL;
    return &v->items[i];
}

int sm_json_number(const sm_json *v, double *out)
{
    if (!v || v->type != SM_JSON_NUMBER)
        return -1;
    *out = v->num;
    return 0;
}

int sm_json_int(const sm_json *v, long long *out)
{
    const double exact = 9007199254740992.0; /* 2^53 */
    if (!v || v->type != SM_JSON_NUMBER || v->num != floor(v->num) || fabs(v->num) > exact)
        return -1;
    *out = (long long)v->num;
    return 0;
}

const char *sm_json_string(const sm_json *v, size_t *len)
{
    if (!v || v->type != SM_JSON_STRING)
        return NULL;
    if (len)
        *len = v->len;
    return v->str;
}
