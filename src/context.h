/* SPDX-License-Identifier: MIT */
/* context.h: struct sm_context, the evaluation state of one sequence: the KV cache, the
 * activation buffers for one step of up to n_batch tokens, and the logits. Everything is sized
 * at create, in one arena, so evaluation never allocates (DESIGN.md, "Memory"). */
#ifndef SM_CONTEXT_H
#define SM_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "alloc/arena.h"
#include "src/model.h"
#include "src/ops.h"

/* Activations of one step; every [B] is n_batch tokens, rows contiguous. */
typedef struct sm_acts {
    float *x;     /* [B][n_embd] the residual stream */
    float *xn;    /* [B][n_embd] normalised input of the next matmuls */
    void *xq8_0;  /* [B][xq8_0_stride] an input quantized for Q4_0 weights (quant_q8_0) */
    void *xq8_0e; /* [B][xq8_0_stride] the same for Q8_0 weights (quant_q8_0_even) */
    size_t xq8_0_stride;
    void *xq8_K; /* [B][xq8_K_stride] an input quantized for Q4_K/Q6_K weights */
    size_t xq8_K_stride;
    float *q;       /* [B][n_embd] queries */
    float *k;       /* [B][n_kv_dim] keys of the step before they enter an f16 cache */
    float *v;       /* [B][n_kv_dim] values, likewise */
    float *att;     /* [B][n_embd] attention output, all heads */
    float *tmp;     /* [B][n_embd] staging of residual matmuls */
    float *ff;      /* [B][n_ff] feed-forward hidden state */
    float *ff2;     /* [B][n_ff] staging of the up projection (llama) */
    float *rope_cs; /* [B][n_rot] cos/sin per token (llama) */
    int32_t *pos;   /* [B] positions of the step's tokens (gpt2 position embeddings) */
    float *logits;  /* [n_logit_rows][n_vocab] */
} sm_acts;

/* The KV cache: for layer l, keys at k + l * layer_elems, position p at + p * n_kv_dim
 * (elements of 4 bytes for f32, 2 for f16); values alike. */
typedef struct sm_kvcache {
    void *k;
    void *v;
    size_t layer_elems; /* n_ctx * n_kv_dim */
    int f16;
} sm_kvcache;

struct sm_context {
    sm_model *model; /* a reference (sm_model_retain) */
    sm_sched *sched;
    int own_sched;
    sm_exec ex;
    sm_arena *arena; /* KV cache and activations */
    sm_kvcache kv;
    sm_acts a;
    size_t n_ctx;
    size_t n_batch;
    size_t n_past;
    size_t n_logit_rows; /* rows of a.logits: n_batch with logits_all, else 1 */
    int logits_all;
    size_t n_last;              /* tokens of the last successful sm_eval call */
    struct sm_place_plan *plan; /* weight placement (NULL: none asked) */
    struct sm_placed *placed;   /* its copies, read through ex.placed */
    int have_logits;
    char errmsg[512];
};

/* Evaluates one step of n (<= n_batch) tokens at position ctx->n_past (ids already checked),
 * writing the logits of the last token, or of all n with logits_all, into a.logits. The
 * caller advances n_past. Returns SM_OK or SM_E_NOMEM when a scratch arena ran out (reason in
 * ctx->errmsg). */
sm_status sm_forward(sm_context *ctx, const int32_t *tokens, size_t n);

/* Internal: sets the work below which ops run on the caller (see sm_exec.fork_min_work); 0
 * sends every op through the scheduler, which the determinism tests use. */
void sm_context_set_fork_min_work(sm_context *ctx, size_t work);

/* Internal: the kernel table the context's ops use (default sm_kernels_get()), so tests can
 * run the forward pass on every table. */
void sm_context_set_kernels(sm_context *ctx, const sm_kernels *kt);

/* Internal: the placed weights, for tests (NULL without a placement). */
const struct sm_placed *sm_context_placed(const sm_context *ctx);

#endif /* SM_CONTEXT_H */
