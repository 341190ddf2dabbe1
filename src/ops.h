/* SPDX-License-Identifier: MIT */
/* ops.h: the forward pass's operations over a batch of tokens, each one parallel region (or a
 * call on the caller's thread when it is too small to pay for a fork): fused matmuls split into
 * tiles, attention split into (head, query block) tasks, and per-token row operations.
 *
 * Determinism: every output element is computed by one kernel call whose order of operations
 * depends only on the shapes (kernels.h), and no tile or task splits a dot product or a
 * reduction; the tiling may change with the thread count, the results cannot. */
#ifndef SM_OPS_H
#define SM_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "alloc/arena.h"
#include "kernels/kernels.h"
#include "smallmind.h"
#include "src/model.h"
#include "src/profile.h"

/* The execution environment every op runs in. */
typedef struct sm_exec {
    sm_sched *sched;
    const sm_kernels *kt;
    int n_workers;
    sm_arena *inline_scratch; /* scratch for ops run on the caller, outside any region */
    /* Ops with less work than this (multiply-adds, or element operations for row ops) run on
     * the caller. A fork and join costs about 1 us on this machine's 2 cores (perf/README.md)
     * against ~1 ns per 16 multiply-adds, so 64K is roughly where a fork starts to pay.
     * Tests set it to 0 to force every op through the scheduler. */
    size_t fork_min_work;
    /* Weight placement (alloc/place.h): each worker reads matrices from its node's copy of the
     * data section at @p map; NULL when the weights are read where they are mapped. */
    const struct sm_placed *placed;
    const char *map;
    /* The per-op profile (profile.h), NULL when off: each op tests it once, and when it is
     * NULL does exactly what it would without profiling. */
    sm_profile *prof;
} sm_exec;

/* What a matmul does with W x after the kernel computed it, within each tile. */
typedef enum sm_mm_epilogue {
    SM_MM_STORE = 0,    /* y = W x (+ bias) */
    SM_MM_RESIDUAL = 1, /* res += W x (+ bias); y is the tile's staging buffer */
    SM_MM_SWIGLU = 2,   /* y = silu(W x) * (W2 x): W2 is the up projection (llama FFN) */
    SM_MM_GELU = 3      /* y = gelu(W x + bias) (gpt2 FFN) */
} sm_mm_epilogue;

/* One matmul of a fused region: y[t][r] for r < w->n_out, t < n_tok. */
typedef struct sm_mm {
    const sm_weight *w;
    const sm_weight *w2; /* SM_MM_SWIGLU: the up projection, same shape and x as w */
    const void *x;       /* the input, already in sm_type_matmul_x(w->type) */
    size_t x_stride;     /* bytes between tokens of x */
    float *y;            /* output (or staging for SM_MM_RESIDUAL) */
    size_t y_stride;     /* floats between tokens of y */
    float *res;          /* SM_MM_RESIDUAL: the residual stream */
    size_t res_stride;   /* floats */
    const float *bias;   /* [n_out] or NULL */
    float *y2;           /* SM_MM_SWIGLU: staging for the up projection, like y */
    sm_mm_epilogue epilogue;
} sm_mm;

/* Runs up to 3 matmuls over the same n_tok tokens as one parallel region (Q, K and V; gate and
 * up are one SWIGLU entry). */
void sm_op_matmuls(const sm_exec *ex, const sm_mm *mm, int n_mm, size_t n_tok);

/* Causal attention for n_tok queries at positions pos0 .. pos0 + n_tok - 1, one task per
 * (head, query block). q: [n_tok][q_stride] (head h at h * head_dim); out: [n_tok][out_stride].
 * The cache holds positions [0, pos0 + n_tok) of this layer; kv_f16 says its element type. */
typedef struct sm_attn {
    size_t n_head, n_head_kv, head_dim;
    const float *q;
    size_t q_stride;
    const void *k, *v; /* [n_ctx][kv_stride] of f32 or f16 */
    size_t kv_stride;  /* elements between positions */
    int kv_f16;
    float *out;
    size_t out_stride;
    float scale;
} sm_attn;
void sm_op_attention(const sm_exec *ex, const sm_attn *a, size_t pos0, size_t n_tok);

/* A per-token operation: fn(ctx, t0, t1, scratch) over token ranges, run as one region when
 * n_tok * work_per_token is at least fork_min_work. */
typedef void (*sm_rows_fn)(void *ctx, size_t t0, size_t t1, sm_arena *scratch);
typedef struct sm_rows_op {
    sm_rows_fn fn;
    size_t work_per_token;  /* element operations, for the fork decision */
    sm_prof_op kind;        /* the profile's op kind */
    size_t bytes_per_token; /* the profile's bytes: what a token's rows read and write */
} sm_rows_op;
void sm_op_rows(const sm_exec *ex, const sm_rows_op *op, size_t n_tok, void *ctx);

#endif /* SM_OPS_H */
