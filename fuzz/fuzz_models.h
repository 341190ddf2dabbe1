/* SPDX-License-Identifier: MIT */
/* fuzz_models.h: tiny models with real vocabularies, built in memory for the fuzzers and their
 * seed corpora: a LLaMA with a SentencePiece vocabulary (scores, byte fallback, special tokens)
 * and a GPT-2 with a byte-level BPE vocabulary of multi-level merges, over seeded random weights
 * of any type (tests/tiny_model.h). They need no fixture files. */
#ifndef SM_FUZZ_MODELS_H
#define SM_FUZZ_MODELS_H

#include <stddef.h>
#include <stdint.h>

#include "ref_forward.h"
#include "smallmind.h"

/* The GGUF bytes of a tiny @p arch model whose weight matrices are of GGUF type @p wtype (F32,
 * F16, Q4_0, Q8_0, Q4_K, Q6_K), with its vocabulary when @p with_vocab (else no tokenizer keys,
 * as tests/tiny_model.h writes them). @p tied: LLaMA without output.weight. The buffer is the
 * caller's to free. 0, or -1 with the reason in @p err. */
int sm_fuzz_model_gguf(sm_ref_arch arch, uint32_t wtype, int with_vocab, int tied, uint8_t **out,
                       size_t *size, char *err, size_t err_len);

/* The tokenizer fuzzer's models, by slot (its input's first byte picks one):
 *   0  the built-in "small" (GPT-2, one token per byte, no merges)
 *   1  a built-in shape with every two-character merge builtin.c defines
 *   2  sm_fuzz_model_gguf's GPT-2 (multi-level merges, <|endoftext|>)
 *   3  sm_fuzz_model_gguf's LLaMA (SentencePiece, byte fallback, special tokens)
 *   4  $SM_FIXTURES/models/vocab-gpt2.gguf (50257 tokens), else the model of slot 2
 *   5  $SM_FIXTURES/models/vocab-llama.gguf (32000 tokens), else the model of slot 3
 * Slots 4 and 5 alias 2 and 3 when the fixtures are absent, so a corpus means the same kind of
 * tokenizer either way. 0 with every slot set, or -1 with the reason in @p err (and nothing to
 * free). */
enum { SM_FUZZ_TOK_SLOTS = 6 };
int sm_fuzz_tok_models(sm_model *slots[SM_FUZZ_TOK_SLOTS], char *err, size_t err_len);

/* Frees what sm_fuzz_tok_models loaded (each model once). */
void sm_fuzz_tok_models_free(sm_model *slots[SM_FUZZ_TOK_SLOTS]);

#endif /* SM_FUZZ_MODELS_H */
