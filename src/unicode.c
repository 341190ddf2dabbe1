/* SPDX-License-Identifier: MIT */
/* unicode.c: bounded UTF-8 decoding/encoding and the pre-tokenizer's character classes. */
#include "unicode.h"

#include <utf8proc.h>

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

/* The White_Space property, from Unicode's PropList.txt: utf8proc has no accessor for it. The
 * list has not changed since Unicode 6.3 took U+180E out. Every entry has category Cc, Zs, Zl or
 * Zp, so only code points of those categories need the lookup. Sorted, for the early exit. */
static const uint32_t white_space[] = {
    0x0009, 0x000A, 0x000B, 0x000C, 0x000D, /* <control-0009>..<control-000D> */
    0x0020,                                 /* SPACE */
    0x0085,                                 /* <control-0085> (NEL) */
    0x00A0,                                 /* NO-BREAK SPACE */
    0x1680,                                 /* OGHAM SPACE MARK */
    0x2000, 0x2001, 0x2002, 0x2003, 0x2004, /* EN QUAD..THREE-PER-EM SPACE */
    0x2005, 0x2006, 0x2007, 0x2008, 0x2009, /* FOUR-PER-EM SPACE..THIN SPACE */
    0x200A,                                 /* HAIR SPACE */
    0x2028,                                 /* LINE SEPARATOR */
    0x2029,                                 /* PARAGRAPH SEPARATOR */
    0x202F,                                 /* NARROW NO-BREAK SPACE */
    0x205F,                                 /* MEDIUM MATHEMATICAL SPACE */
    0x3000,                                 /* IDEOGRAPHIC SPACE */
};

static int is_white_space(uint32_t cp)
{
    for (size_t i = 0; i < sizeof white_space / sizeof white_space[0] && white_space[i] <= cp; i++)
        if (white_space[i] == cp)
            return 1;
    return 0;
}

const char *sm_unicode_version(void)
{
    return utf8proc_unicode_version();
}

sm_uclass sm_unicode_class(uint32_t cp)
{
    /* ASCII without a library call: nearly all of most inputs */
    if (cp < 0x80) {
        if ((cp | 0x20u) >= 'a' && (cp | 0x20u) <= 'z')
            return SM_UCLASS_LETTER;
        if (cp >= '0' && cp <= '9')
            return SM_UCLASS_NUMBER;
        return is_white_space(cp) ? SM_UCLASS_SPACE : SM_UCLASS_OTHER;
    }
    /* utf8proc takes an int32 and gives unassigned, surrogate and out-of-range values category
     * Cn or Cs; checking first keeps SM_UTF8_INVALID from becoming -1 on the way. */
    if (cp > 0x10FFFF || !utf8proc_codepoint_valid((utf8proc_int32_t)cp))
        return SM_UCLASS_OTHER;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return SM_UCLASS_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return SM_UCLASS_NUMBER;
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return is_white_space(cp) ? SM_UCLASS_SPACE : SM_UCLASS_OTHER;
    default:
        return SM_UCLASS_OTHER;
    }
}
