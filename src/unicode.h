/* SPDX-License-Identifier: MIT */
/* unicode.h: the little Unicode the tokenizers need: strict, bounded UTF-8 decoding and
 * encoding, and the character classes of the GPT-2 pre-tokenizer (\p{L}, \p{N}, \s). */
#ifndef SM_UNICODE_H
#define SM_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* The classes the GPT-2 pre-tokenizer tells apart, from utf8proc's Unicode character database. */
typedef enum sm_uclass {
    SM_UCLASS_OTHER = 0,  /* anything else, including bytes that are not valid UTF-8 */
    SM_UCLASS_LETTER = 1, /* general category L* (Lu Ll Lt Lm Lo) */
    SM_UCLASS_NUMBER = 2, /* general category N* (Nd Nl No) */
    SM_UCLASS_SPACE = 3   /* the White_Space property (PropList.txt) */
} sm_uclass;

/* The version of the Unicode character database the classes come from ("15.0.0"): utf8proc's,
 * so it follows the installed library, not this build. A static string. */
const char *sm_unicode_version(void);

/* What sm_utf8_decode reports for a byte that does not start a valid sequence. It is outside
 * the code point space, so it has no class. */
#define SM_UTF8_INVALID 0xFFFFFFFFu

/**
 * Decodes the character at s[0..n), n >= 1, reading no byte past n. A valid sequence (shortest
 * form, no surrogate, at most U+10FFFF) gives its length 1..4 and *cp; anything else gives 1
 * (that byte alone) and *cp = SM_UTF8_INVALID, so callers always advance.
 */
size_t sm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes the UTF-8 form of @p cp (<= U+10FFFF, not a surrogate) to out and returns its length,
 * or 0 (nothing written) for a value that is not a Unicode scalar value. */
size_t sm_utf8_encode(uint32_t cp, unsigned char out[4]);

/* The class of a code point (SM_UCLASS_OTHER for SM_UTF8_INVALID). */
sm_uclass sm_unicode_class(uint32_t cp);

#endif /* SM_UNICODE_H */
