/* SPDX-License-Identifier: MIT */
/* ref_forward.h: the test-side reference forward pass (LLaMA and GPT-2), the oracle the
 * runtime's forward pass is checked against. Deliberately plain: one loop nest per op, double
 * accumulation, every activation of every position kept, no KV cache tricks. It uses nothing
 * from src/ or kernels/ for its maths: weights arrive dequantized through a lookup callback.
 *
 * Conventions (GGUF / llama.cpp): a matrix W with extents ne = [n_in, n_out] is row-major
 * [n_out][n_in], y = W x. LLaMA: RMSNorm, RoPE in the "normal" GGUF pairing (x[2i], x[2i+1])
 * rotated by pos * base^(-2i / n_rot) over the first n_rot dimensions of each head, grouped
 * query attention (n_head / n_head_kv query heads per KV head), SwiGLU, output.weight or the
 * token embedding (tied). GPT-2: LayerNorm with bias, learned positions, fused QKV (+ bias)
 * split by rows as Q | K | V, GELU (tanh form), biased MLP, tied output. */
#ifndef SM_TEST_REF_FORWARD_H
#define SM_TEST_REF_FORWARD_H

#include <stddef.h>
#include <stdint.h>

typedef enum sm_ref_arch {
    SM_REF_LLAMA = 0,
    SM_REF_GPT2 = 1,
} sm_ref_arch;

typedef struct sm_ref_hparams {
    sm_ref_arch arch;
    int n_embd;
    int n_layer;
    int n_head;
    int n_head_kv; /* GPT-2: n_head */
    int n_ff;
    int n_vocab;
    int n_ctx; /* positions beyond it are refused */
    int n_rot; /* LLaMA: rotated dimensions per head (<= head size, even) */
    float rope_base;
    float norm_eps; /* RMSNorm (LLaMA) or LayerNorm (GPT-2) epsilon */
} sm_ref_hparams;

/* One weight as the file means it: ne[0] * ne[1] * ne[2] * ne[3] floats (unused extents 1),
 * and the type it was stored in, which decides the activation rounding a runtime applies. */
typedef struct sm_ref_weight {
    const float *f;
    int64_t ne[4];
    uint32_t type; /* GGUF type id */
} sm_ref_weight;

/* Finds the tensor @p name; 0 and *out set when present, -1 when absent. */
typedef int (*sm_ref_lookup_fn)(void *ctx, const char *name, sm_ref_weight *out);

typedef struct sm_ref_opts {
    /* Emulate the activation rounding GGUF runtimes apply before a matmul: Q8_0 blocks (see
     * sm_rq_q8_0_roundtrip) for Q8_0 and Q4_0 weights, Q8_K blocks (sm_rq_q8_K_roundtrip) for
     * Q4_K and Q6_K, fp16 for F16 weights; F32 weights leave activations exact. 0: every
     * activation stays exact. */
    int emulate_act;
    /* GPT-2: GELU through fp16 (input and result rounded to fp16) as ggml's CPU backend does
     * with its default lookup table; 0: GELU in double. */
    int gelu_fp16;
} sm_ref_opts;

/**
 * Logits of every position of @p tokens evaluated in one causal batch from an empty cache:
 * row i (n_vocab floats of @p logits) is the prediction after tokens 0..i at positions 0..i.
 * Every tensor the architecture needs is looked up by its GGUF name and its extents checked.
 * @return 0; -1 with a message in @p err (a missing or misshapen tensor, a token outside the
 *         vocabulary, too many tokens, bad hyper-parameters, out of memory).
 */
int sm_ref_forward(const sm_ref_hparams *hp, sm_ref_lookup_fn lookup, void *ctx,
                   const sm_ref_opts *opts, const int32_t *tokens, int n_tokens, float *logits,
                   char *err, size_t err_len);

#endif /* SM_TEST_REF_FORWARD_H */
