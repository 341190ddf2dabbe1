/* SPDX-License-Identifier: MIT */
/* tokenizer.h: vocabularies and the two tokenizers (GPT-2 byte-level BPE, LLaMA SentencePiece
 * BPE): text to token ids and token ids back to bytes. Internal for now (not SM_API).
 *
 * Policies (each one a row of ../shared/GGUF-HARDENING.md, decided here once):
 * - Row 14: tokenizer.ggml.scores and tokenizer.ggml.token_type, when present, must have exactly
 *   as many elements as tokenizer.ggml.tokens; otherwise SM_E_FORMAT naming both counts.
 * - Row 15: element types are checked before any element is read: tokens and merges must be
 *   string arrays, scores an f32 array, token_type an i32 array (SM_E_FORMAT naming the key and
 *   the type found). Scores must not be NaN; token types must be 0..6.
 * - Row 16: a special-token id given by a key must be < n_tokens (SM_E_FORMAT naming the key and
 *   value). A DEFAULT id (key absent) that does not fit the vocabulary disables that special
 *   token (getter returns -1): the file said nothing wrong, it only lacks the token. Defaults
 *   follow llama.cpp: llama bos 1, eos 2, unk 0; gpt2 none.
 * - Row 17: a byte token is exactly "<0xNN>" with two hex digits (either case). A token typed
 *   BYTE (6) whose text is anything else ("<0x-1>", "<0xZZ>", "<0x100>", "<0x>") is
 *   SM_E_FORMAT; untyped or NORMAL tokens with such text are ordinary text. Without a
 *   token_type array, llama tokens whose text is strictly "<0xNN>" are the byte tokens. The
 *   first byte token for a byte wins.
 * - gpt2 merges: "left right" split at the first space after the first byte; left, right and
 *   their concatenation must all be tokens, else SM_E_FORMAT naming the merge. A repeated pair
 *   keeps its first (lowest) rank. Duplicate token texts: the first id wins the text lookup.
 * - Row 19: a token's text is bytes: it may hold NULs or invalid UTF-8; nothing assumes a
 *   terminator, and sm_vocab_token_to_piece never writes past the caller's capacity.
 * - Row 20: every length is a size_t; no int conversion anywhere. A text_len whose scratch
 *   size would overflow is SM_E_NOMEM before a byte is read. (A "negative n_tokens_max" cannot
 *   be expressed: out_cap is a size_t.) Nothing is sized from the vocab_size keys.
 * - Round trips: gpt2 gives back any bytes exactly. llama gives back the text after the
 *   dummy-prefix space, except that a U+2581 in the text comes back as a space (SentencePiece
 *   writes spaces as U+2581, so the two are one symbol).
 * - Allocations: sm_vocab_tokenize allocates its scratch per call and frees it before returning:
 *   symbols and a merge heap (40-byte entries), linear in the longest word (gpt2) or the text
 *   (llama), a few hundred bytes per input byte at worst.
 *
 * Out of scope for now: special-token parsing in the text (control and user-defined tokens are
 * never matched from text; they come from add_bos or the caller), tokenizer.ggml.pre variants
 * other than GPT-2's regex, and the SentencePiece precompiled_charsmap (row 18: not read). */
#ifndef SM_TOKENIZER_H
#define SM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "gguf.h"
#include "smallmind.h"

typedef struct sm_vocab sm_vocab;

/* tokenizer.ggml.model */
typedef enum sm_vocab_kind {
    SM_VOCAB_GPT2 = 1, /* "gpt2": byte-level BPE with ranked merges */
    SM_VOCAB_LLAMA = 2 /* "llama": SentencePiece BPE with scores and byte fallback */
} sm_vocab_kind;

/* tokenizer.ggml.token_type values (llama.cpp's llama_token_type). */
typedef enum sm_token_type {
    SM_TOKEN_UNDEFINED = 0,
    SM_TOKEN_NORMAL = 1,
    SM_TOKEN_UNKNOWN = 2,
    SM_TOKEN_CONTROL = 3,
    SM_TOKEN_USER_DEFINED = 4,
    SM_TOKEN_UNUSED = 5,
    SM_TOKEN_BYTE = 6
} sm_token_type;

/**
 * Builds a vocabulary from the tokenizer.ggml.* keys of a parsed GGUF (see the policies above).
 * The vocabulary copies what it needs: @p g may be freed afterwards.
 * @return SM_OK with *out set; SM_E_FORMAT (message names the key, element, type or value);
 *         SM_E_UNSUPPORTED for a tokenizer.ggml.model other than "gpt2" and "llama" (named);
 *         SM_E_NOT_FOUND when tokenizer.ggml.model or tokenizer.ggml.tokens is absent;
 *         SM_E_NOMEM.
 */
sm_status sm_vocab_load(const sm_gguf *g, sm_vocab **out, char *err, size_t err_len);

/* A vocabulary described in memory, for loaders other than GGUF and for tests. Arrays are
 * borrowed for the call only. Special ids are final: -1 = none, else must be < n_tokens. */
typedef struct sm_vocab_desc {
    sm_vocab_kind kind;
    size_t n_tokens;
    const sm_gguf_str *tokens; /* n_tokens texts */
    const float *scores;       /* n_tokens, or NULL (all 0) */
    const int32_t *types;      /* n_tokens, or NULL (all SM_TOKEN_UNDEFINED) */
    size_t n_merges;           /* gpt2 */
    const sm_gguf_str *merges; /* n_merges "left right", rank = index */
    int64_t bos, eos, unk, pad;
    int add_bos;          /* the file's preference (tokenizer.ggml.add_bos_token) */
    int add_space_prefix; /* llama: prepend the dummy-prefix space */
} sm_vocab_desc;

/* Validates and builds from @p d; same errors as sm_vocab_load. */
sm_status sm_vocab_build(const sm_vocab_desc *d, sm_vocab **out, char *err, size_t err_len);

/* NULL is a no-op. */
void sm_vocab_free(sm_vocab *v);

sm_vocab_kind sm_vocab_get_kind(const sm_vocab *v);
int32_t sm_vocab_n_tokens(const sm_vocab *v);
/* Special tokens: an id < n_tokens, or -1 when the vocabulary has none. */
int32_t sm_vocab_bos(const sm_vocab *v);
int32_t sm_vocab_eos(const sm_vocab *v);
int32_t sm_vocab_unk(const sm_vocab *v);
int32_t sm_vocab_pad(const sm_vocab *v);
/* Whether the file asks for BOS at the start of a prompt (tokenizer.ggml.add_bos_token;
 * default 1 for llama, 0 for gpt2). */
int sm_vocab_wants_bos(const sm_vocab *v);
/* The id whose text is exactly the n bytes at s (O(1): a hash table built at load), or -1. */
int32_t sm_vocab_find(const sm_vocab *v, const char *s, size_t n);
/* The type of token @p id (SM_TOKEN_UNDEFINED for an id out of range). */
sm_token_type sm_vocab_token_type(const sm_vocab *v, int32_t id);
/* The score of token @p id (0 for an id out of range, or when the file has no scores). */
float sm_vocab_token_score(const sm_vocab *v, int32_t id);
/* The stored text of @p id (bytes, not terminated), or {NULL, 0} for an id out of range.
 * Borrowed: valid until sm_vocab_free. */
sm_gguf_str sm_vocab_token_text(const sm_vocab *v, int32_t id);

/**
 * Turns @p text_len bytes of text (any bytes: invalid UTF-8 becomes byte tokens) into ids.
 * With @p add_bos nonzero and a vocabulary that has a BOS, the BOS id comes first.
 * @param out receives at most @p out_cap ids; may be NULL when out_cap is 0 (size query).
 * @param n_out always set on SM_OK and SM_E_RANGE: the number of ids the text needs.
 * @return SM_OK; SM_E_RANGE when out_cap < *n_out (out holds the first out_cap ids);
 *         SM_E_INVAL for NULL arguments; SM_E_NOMEM (also for a text_len so large that the
 *         scratch size would overflow); SM_E_UNSUPPORTED when a byte has neither a token nor
 *         an unknown token to stand for it.
 */
sm_status sm_vocab_tokenize(const sm_vocab *v, const char *text, size_t text_len, int add_bos,
                            int32_t *out, size_t out_cap, size_t *n_out);

/**
 * The bytes token @p id stands for: gpt2 maps each character back through the byte-level table
 * (characters outside it, and invalid UTF-8, are copied as they are); llama turns U+2581 into a
 * space and "<0xNN>" byte tokens into that byte. Control tokens give an empty piece.
 * No terminator is written.
 * @param n_out set on SM_OK and SM_E_RANGE: the piece's length (0 for a bad id).
 * @return SM_OK; SM_E_RANGE for an id out of range or cap < *n_out (nothing is written past
 *         cap); SM_E_INVAL for NULL arguments (buf may be NULL when cap is 0).
 */
sm_status sm_vocab_token_to_piece(const sm_vocab *v, int32_t id, char *buf, size_t cap,
                                  size_t *n_out);

#endif /* SM_TOKENIZER_H */
