/* SPDX-License-Identifier: MIT */
/* tiny_vocab.c: the tokenizers a tiny model may carry (sm_tm_spec.tokenizer), so that tests,
 * gen_model and the fuzzers have real vocabularies without fixture files: a LLaMA SentencePiece
 * vocabulary (scores, byte fallback, special tokens) and a GPT-2 byte-level BPE one (the 256
 * byte tokens, merges several levels deep, <|endoftext|>). */
#include "config.h"

#include <stdio.h>

#include "tiny_model.h"

/* ---- LLaMA: SentencePiece pieces with scores, byte fallback and special tokens ------------- */

/* Ordinary pieces, most preferred first (score -index), so that merges happen in a known order:
 * single characters, the pairs and words built from them, multi-byte characters, runs of the
 * space mark (U+2581), and texts that look like byte tokens but are typed NORMAL (row 17: they
 * are ordinary text). */
// clang-format off
static const char *const spm_pieces[] = {
    "\xE2\x96\x81", "e", "t", "a", "o", "i", "n", "s", "h", "r", "d", "l", "u", "c", "m",
    "th", "he", "in", "er", "an", "on", "re", "ing", "ng", "nd", "the", "and",
    "\xE2\x96\x81t", "\xE2\x96\x81" "a", "\xE2\x96\x81th", "\xE2\x96\x81the", "\xE2\x96\x81o",
    "\xE2\x96\x81of", "\xE2\x96\x81" "an", "\xE2\x96\x81" "and", "\xE2\x96\x81i", "\xE2\x96\x81in",
    "\xE2\x96\x81s", "\xC3\xA9", "\xE6\x97\xA5", "\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC",
    "\xE2\x96\x81\xE6\x97\xA5\xE6\x9C\xAC", "\xE2\x96\x81\xE2\x96\x81",
    "\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81\xE2\x96\x81", "<0xZZ>", "<0x-1>", "<0x>"};
// clang-format on
enum { N_SPM_PIECES = sizeof spm_pieces / sizeof spm_pieces[0] };

/* Token layout: 0 <unk>, 1 <s>, 2 </s>, 3..258 the byte tokens <0x00>..<0xFF>, then the pieces,
 * then one user-defined and one unused token. */
enum { SPM_FIRST_BYTE = 3, SPM_FIRST_PIECE = SPM_FIRST_BYTE + 256 };
enum { SPM_N_TOKENS = SPM_FIRST_PIECE + N_SPM_PIECES + 2 };

/* llama.cpp's token types */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

static void add_spm_vocab(sm_gw *w)
{
    char bytes[256][8];
    const char *tokens[SPM_N_TOKENS];
    float scores[SPM_N_TOKENS];
    int32_t types[SPM_N_TOKENS];
    size_t n = 0;
    const struct {
        const char *text;
        int32_t type;
    } specials[] = {{"<unk>", TT_UNKNOWN}, {"<s>", TT_CONTROL}, {"</s>", TT_CONTROL}};
    for (size_t i = 0; i < 3; i++, n++) {
        tokens[n] = specials[i].text;
        types[n] = specials[i].type;
        scores[n] = 0.0f;
    }
    for (int b = 0; b < 256; b++, n++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        tokens[n] = bytes[b];
        types[n] = TT_BYTE;
        scores[n] = 0.0f;
    }
    for (size_t i = 0; i < N_SPM_PIECES; i++, n++) {
        tokens[n] = spm_pieces[i];
        types[n] = TT_NORMAL;
        scores[n] = -(float)i;
    }
    tokens[n] = "<|user|>";
    types[n] = TT_USER;
    scores[n++] = 0.0f;
    tokens[n] = "<unused0>";
    types[n] = TT_UNUSED;
    scores[n++] = 0.0f;
    sm_gw_kv_str(w, "tokenizer.ggml.model", "llama");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, n);
    sm_gw_kv_arr_f32(w, "tokenizer.ggml.scores", scores, n);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, n);
    sm_gw_kv_u32(w, "tokenizer.ggml.bos_token_id", 1);
    sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", 2);
    sm_gw_kv_u32(w, "tokenizer.ggml.unknown_token_id", 0);
}

/* ---- GPT-2: the 256 byte tokens, ranked merges (several levels deep) and <|endoftext|> ------ */

/* Merges as byte strings, left and right, in rank order; each one's concatenation becomes a
 * token. Words, a doubled space run, newlines and multi-byte characters (é, 日 in two steps);
 * " the" comes twice, from two merges (the first id wins the text lookup). */
// clang-format off
static const char *const bpe_merges[][2] = {
    {" ", "t"}, {"h", "e"}, {"i", "n"}, {" ", "a"}, {"e", "r"}, {"o", "n"}, {" t", "he"},
    {"r", "e"}, {"a", "n"}, {" ", "s"}, {"n", "g"}, {"in", "g"}, {" ", "o"}, {" o", "f"},
    {"n", "d"}, {" a", "nd"}, {" ", " "}, {"  ", "  "}, {"\n", "\n"}, {"\xC3", "\xA9"},
    {"\xE6", "\x97"}, {"\xE6\x97", "\xA5"}, {" ", "\xE6\x97\xA5"}, {"t", "h"}, {"th", "e"},
    {" ", "the"}};
// clang-format on
enum { N_BPE_MERGES = sizeof bpe_merges / sizeof bpe_merges[0] };
enum { BPE_N_TOKENS = 256 + N_BPE_MERGES + 1 };

/* GPT-2's byte-to-character map: printable bytes stand for themselves, the 68 others take
 * U+0100 upwards in byte order. */
static unsigned bpe_codepoint(unsigned char b)
{
    unsigned below = 0;
    for (unsigned c = 0; c < b; c++)
        below += !((c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || c >= 0xAE);
    int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    return printable ? b : 0x100 + below;
}

/* Spells the bytes of @p s in GPT-2's characters (at most 2 UTF-8 bytes each) into @p out. */
static void bpe_spell(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 3 < cap; p++) {
        unsigned cp = bpe_codepoint(*p);
        if (cp < 0x80) {
            out[n++] = (char)cp;
        } else {
            out[n++] = (char)(0xC0 | (cp >> 6));
            out[n++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    out[n] = '\0';
}

static void add_bpe_vocab(sm_gw *w)
{
    char text[BPE_N_TOKENS][32];
    char merge[N_BPE_MERGES][64];
    const char *tokens[BPE_N_TOKENS], *merges[N_BPE_MERGES];
    int32_t types[BPE_N_TOKENS];
    for (int b = 0; b < 256; b++) {
        char s[2] = {(char)b, 0};
        if (b == 0) {
            /* NUL cannot go through the C string above: U+0100 is byte 0's character */
            snprintf(text[0], sizeof text[0], "\xC4\x80");
        } else {
            bpe_spell(s, text[b], sizeof text[b]);
        }
        tokens[b] = text[b];
        types[b] = TT_NORMAL;
    }
    for (size_t k = 0; k < N_BPE_MERGES; k++) {
        char l[32], r[32], both[32];
        bpe_spell(bpe_merges[k][0], l, sizeof l);
        bpe_spell(bpe_merges[k][1], r, sizeof r);
        snprintf(both, sizeof both, "%s%s", bpe_merges[k][0], bpe_merges[k][1]);
        bpe_spell(both, text[256 + k], sizeof text[256 + k]);
        snprintf(merge[k], sizeof merge[k], "%s %s", l, r);
        merges[k] = merge[k];
        tokens[256 + k] = text[256 + k];
        types[256 + k] = TT_NORMAL;
    }
    tokens[BPE_N_TOKENS - 1] = "<|endoftext|>";
    types[BPE_N_TOKENS - 1] = TT_CONTROL;
    sm_gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
    sm_gw_kv_str(w, "tokenizer.ggml.pre", "gpt-2");
    sm_gw_kv_arr_str(w, "tokenizer.ggml.tokens", tokens, BPE_N_TOKENS);
    sm_gw_kv_arr_i32(w, "tokenizer.ggml.token_type", types, BPE_N_TOKENS);
    sm_gw_kv_arr_str(w, "tokenizer.ggml.merges", merges, N_BPE_MERGES);
    sm_gw_kv_u32(w, "tokenizer.ggml.eos_token_id", BPE_N_TOKENS - 1);
    sm_gw_kv_u32(w, "tokenizer.ggml.bos_token_id", BPE_N_TOKENS - 1);
}

size_t sm_tm_vocab_size(sm_ref_arch arch)
{
    return arch == SM_REF_GPT2 ? BPE_N_TOKENS : SPM_N_TOKENS;
}

void sm_tm_add_vocab(sm_ref_arch arch, sm_gw *w)
{
    if (arch == SM_REF_GPT2)
        add_bpe_vocab(w);
    else
        add_spm_vocab(w);
}
