/* SPDX-License-Identifier: MIT */
/* tiny_model.h: seeded random LLaMA and GPT-2 models for the tests, every weight type: the
 * tensors as a GGUF file stores them (names, extents, quantized bytes) plus the floats they
 * mean (dequantized by ref_quant), which feed ref_forward. Values are a pure function of the
 * spec: tensor i draws from its own stream seeded by (seed, i), so a model built in memory and
 * one streamed to a file (sm_tm_write_file) hold the same bytes.
 *
 * Values: weight matrices ~ N(0, w_std) (default min(0.1, 1/sqrt(n_in)), which is the
 * fixtures' 0.1 for tiny models and keeps activations O(1) for wide ones), embeddings
 * N(0, 0.1), norm weights 1 + 0.1 N(0, 1), biases N(0, 0.05). */
#ifndef SM_TEST_TINY_MODEL_H
#define SM_TEST_TINY_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cli/gguf_writer.h"
#include "ref_forward.h"

typedef struct sm_tm_spec {
    sm_ref_arch arch;
    int n_embd;
    int n_layer;
    int n_head;
    int n_head_kv; /* GPT-2: must equal n_head */
    int n_ff;
    int n_vocab;
    int n_ctx;
    uint32_t wtype; /* GGUF type of the 2-D weight matrices (F32, F16, Q4_0, Q8_0, Q4_K, Q6_K) */
    uint32_t embd_type; /* GGUF type of token_embd.weight (F32 by default) */
    int tied;           /* LLaMA: 1 = no output.weight (the token embedding is the output); GPT-2
                           is always tied */
    float rope_base;
    float norm_eps;
    float w_std; /* weight matrices' standard deviation; 0 = min(0.1, 1/sqrt(n_in)) */
    uint64_t seed;
    int tokenizer; /* 1: a tokenizer too (tiny_vocab.c; n_vocab >= sm_tm_vocab_size); 0: none */
} sm_tm_spec;

/* One tensor as the file holds it, and (models built by sm_tm_build) the floats it means. */
typedef struct sm_tm_tensor {
    char name[64];
    uint32_t type;
    uint32_t n_dims;
    int64_t ne[4]; /* unused extents 1 */
    void *data;    /* n_bytes, the GGUF encoding */
    size_t n_bytes;
    float *f; /* ne[0] * ne[1] floats: data dequantized */
} sm_tm_tensor;

typedef struct sm_tm_model {
    sm_tm_spec spec;
    sm_ref_hparams hp;
    size_t n_tensors;
    sm_tm_tensor *tensors; /* in file order */
} sm_tm_model;

/* The fixtures' shapes for @p arch (dim 64, 2 layers, 4 heads, 2 KV heads for LLaMA, ffn 192
 * or 256, vocab 512, ctx 128), F32 weights, separate LLaMA output, base 10000, eps 1e-5,
 * seed 1. */
void sm_tm_spec_default(sm_tm_spec *s, sm_ref_arch arch);

/* 0 when @p s can be built: positive sizes, heads dividing n_embd, known types, and every
 * quantized row length (n_embd, n_ff) a multiple of its type's block; else -1 and why. */
int sm_tm_spec_check(const sm_tm_spec *s, char *err, size_t err_len);

/* The hyper-parameters ref_forward needs for a model of @p s (n_rot = head size). */
void sm_tm_hparams(const sm_tm_spec *s, sm_ref_hparams *hp);

/* Builds every tensor in memory. 0 with *out set (free with sm_tm_free), or -1 and why. */
int sm_tm_build(const sm_tm_spec *s, sm_tm_model **out, char *err, size_t err_len);
void sm_tm_free(sm_tm_model *m);

/* The lower level both of the above use: how many tensors (and elements in all) a model of
 * @p s has, and tensor
 * @p i generated alone (with its floats when @p with_floats), freed by sm_tm_tensor_clear. */
size_t sm_tm_n_tensors(const sm_tm_spec *s);
uint64_t sm_tm_n_params(const sm_tm_spec *s);
int sm_tm_gen_tensor(const sm_tm_spec *s, size_t i, int with_floats, sm_tm_tensor *t);
void sm_tm_tensor_clear(sm_tm_tensor *t);

/* An sm_ref_lookup_fn over a built model (@p ctx is the sm_tm_model). */
int sm_tm_lookup(void *ctx, const char *name, sm_ref_weight *out);

/* The tokenizer of sm_tm_spec.tokenizer: how many tokens it has, and its tokenizer.ggml.* keys.
 * LLaMA: SentencePiece with scores, <unk> <s> </s>, the 256 byte tokens <0xNN>, pieces, a
 * user-defined and an unused token. GPT-2: the 256 byte tokens, ranked merges several levels
 * deep, <|endoftext|> as BOS and EOS. */
size_t sm_tm_vocab_size(sm_ref_arch arch);
void sm_tm_add_vocab(sm_ref_arch arch, sm_gw *w);

/* The GGUF keys of a model of @p s (general.*, <arch>.*, the tokenizer's when s->tokenizer), then
 * its tensors, into @p w. */
void sm_tm_add_keys(const sm_tm_spec *s, sm_gw *w);
void sm_tm_add_tensors(const sm_tm_model *m, sm_gw *w);

/* The whole GGUF file of a built model in a malloc'd buffer. 0, or -1. */
int sm_tm_gguf_bytes(const sm_tm_model *m, uint8_t **out, size_t *size);

/* Generates and writes the model of @p s to @p path one tensor at a time, keeping no floats:
 * the way to make 100M+ parameter models for benchmarks. The file equals the bytes
 * sm_tm_gguf_bytes gives for the same spec. 0, or -1 and why. */
int sm_tm_write_file(const sm_tm_spec *s, const char *path, char *err, size_t err_len);

#endif /* SM_TEST_TINY_MODEL_H */
