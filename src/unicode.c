/* SPDX-License-Identifier: MIT */
/* unicode.c: bounded UTF-8 decoding/encoding and the pre-tokenizer's character classes. */
#include "unicode.h"

size_t sm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        v = b0 & 0x1Fu;
        min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        v = b0 & 0x0Fu;
        min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        v = b0 & 0x07u;
        min = 0x10000;
    } else {
        /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
        *cp = SM_UTF8_INVALID;
        return 1;
    }
    if (len > n) {
        *cp = SM_UTF8_INVALID;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0u) != 0x80u) {
            *cp = SM_UTF8_INVALID;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    /* overlong forms, UTF-16 surrogates and values past U+10FFFF are not characters */
    if (v < min || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF) {
        *cp = SM_UTF8_INVALID;
        return 1;
    }
    *cp = v;
    return len;
}

size_t sm_utf8_encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return 0;
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp <= 0x10FFFF) {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/* White_Space from Unicode's PropList.txt: short and stable since Unicode 6.3, so it is listed
 * here rather than generated (Python's unicodedata does not expose the property, and
 * str.isspace() also accepts U+001C..U+001F, which White_Space does not). */
static int is_white_space(uint32_t cp)
{
    if (cp <= 0x20)
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85)
        return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

sm_uclass sm_unicode_class(uint32_t cp)
{
    /* ASCII without the table: nearly all of most inputs */
    if (cp < 0x80) {
        if ((cp | 0x20u) >= 'a' && (cp | 0x20u) <= 'z')
            return SM_UCLASS_LETTER;
        if (cp >= '0' && cp <= '9')
            return SM_UCLASS_NUMBER;
        return is_white_space(cp) ? SM_UCLASS_SPACE : SM_UCLASS_OTHER;
    }
    if (is_white_space(cp))
        return SM_UCLASS_SPACE;
    size_t lo = 0, hi = sm_unicode_n_ranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < sm_unicode_ranges[mid].lo)
            hi = mid;
        else if (cp > sm_unicode_ranges[mid].hi)
            lo = mid + 1;
        else
            return sm_unicode_ranges[mid].cls;
    }
    return SM_UCLASS_OTHER;
}
