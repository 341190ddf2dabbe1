/* SPDX-License-Identifier: MIT */
/* model.h: the loaded model (struct sm_model): hyper-parameters and weight views, checked
 * against each other at load, then immutable. The architecture files fill it (arch_*.c). */
#ifndef SM_MODEL_H
#define SM_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/quant.h"
#include "smallmind.h"
#include "src/gguf.h"
#include "src/mapfile.h"

typedef enum sm_arch { SM_ARCH_LLAMA = 0, SM_ARCH_GPT2 = 1 } sm_arch;

/* A weight matrix W [n_out][n_in] (GGUF ne = {n_in, n_out}), rows row_bytes apart, in its
 * stored type. A view into the model's bytes. */
typedef struct sm_weight {
    const void *data;
    sm_type type;
    size_t n_in;
    size_t n_out;
    size_t row_bytes;
    /* A copy in x16_kt's x16 layout (kernels.h), made at load (repack.c), or NULL: matmuls on
     * that table read it instead of data. */
    const void *x16;
    size_t x16_stride;
    const struct sm_kernels *x16_kt;
} sm_weight;

/* One transformer block. Vectors are F32 views (length in the comment); NULL when the
 * architecture has no such tensor. */
typedef struct sm_layer {
    const float *attn_norm;    /* [n_embd] */
    const float *attn_norm_b;  /* [n_embd], gpt2 */
    sm_weight wq;              /* [n_embd] x n_embd, llama */
    sm_weight wk;              /* [n_embd] x n_kv_dim, llama */
    sm_weight wv;              /* [n_embd] x n_kv_dim, llama */
    sm_weight wqkv;            /* [n_embd] x 3 n_embd (rows Q, then K, then V), gpt2 */
    const float *bqkv;         /* [3 n_embd], gpt2 */
    const float *bq, *bk, *bv; /* gpt2: views of bqkv; wq, wk, wv are views of wqkv's rows */
    sm_weight wo;              /* [n_embd] x n_embd */
    const float *bo;           /* [n_embd], gpt2 */
    const float *ffn_norm;     /* [n_embd] */
    const float *ffn_norm_b;   /* [n_embd], gpt2 */
    sm_weight w_gate;          /* [n_embd] x n_ff, llama */
    sm_weight w_up;            /* [n_embd] x n_ff */
    const float *b_up;         /* [n_ff], gpt2 */
    sm_weight w_down;          /* [n_ff] x n_embd */
    const float *b_down;       /* [n_embd], gpt2 */
} sm_layer;

/* Hyper-parameters, each validated against the others and against the tensors. */
typedef struct sm_hparams {
    size_t n_vocab;
    size_t n_ctx_train;
    size_t n_embd;
    size_t n_layer;
    size_t n_head;
    size_t n_head_kv;
    size_t n_ff;
    size_t head_dim; /* n_embd / n_head */
    size_t n_kv_dim; /* head_dim * n_head_kv */
    size_t n_rot;    /* rotated dims per head, llama (even, <= head_dim) */
    float rope_base; /* llama */
    float norm_eps;  /* RMSNorm (llama) or LayerNorm (gpt2) epsilon */
} sm_hparams;

struct sm_model {
    atomic_int refs; /* the caller's reference plus one per context */
    sm_mapfile file;
    sm_gguf *gguf;
    sm_arch arch;
    sm_hparams hp;
    sm_weight tok_embd;      /* [n_embd] x n_vocab (any matmul type) */
    sm_weight pos_embd;      /* [n_embd] x n_ctx_train, gpt2 (F32 or F16) */
    const float *out_norm;   /* [n_embd] */
    const float *out_norm_b; /* [n_embd], gpt2 */
    sm_weight output;        /* [n_embd] x n_vocab; equals tok_embd when tied */
    sm_layer *layers;        /* [n_layer] */
    uint64_t n_params;       /* elements of every tensor */
    uint64_t n_bytes;        /* bytes of every tensor */
    sm_type weight_type;     /* the type holding most matrix elements */
    int output_tied;         /* 1: output is the token embedding */
    struct sm_vocab *vocab;  /* the tokenizer, NULL when the file has none */
};

/* Loading context passed to the architecture binders: the parsed file, the path for messages
 * and the error buffer. */
typedef struct sm_load {
    const sm_gguf *g;
    const char *path;
    const char *arch_name; /* key prefix: "llama" or "gpt2" */
    char *err;
    size_t err_len;
} sm_load;

/* Reads an integer hyper-parameter "<arch>.<suffix>" within [min, max]; absent keys are
 * SM_E_FORMAT unless @p def >= 0, which is then used. */
sm_status sm_load_hparam(const sm_load *ld, const char *suffix, int64_t min, int64_t max,
                         int64_t def, size_t *out);

/* Reads a float hyper-parameter "<arch>.<suffix>" that must be > 0 and finite; absent keys take
 * @p def when def > 0, else are SM_E_FORMAT. */
sm_status sm_load_hparam_f32(const sm_load *ld, const char *suffix, float def, float *out);

/* Binds a weight matrix: the tensor must exist, be 2-D with ne = {n_in, n_out}, and of a type
 * the matmul kernels take (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K), rows a multiple of its block. */
sm_status sm_load_matrix(const sm_load *ld, const char *name, size_t n_in, size_t n_out,
                         sm_weight *out);

/* Binds an F32 vector of @p n elements (1-D, ne = {n}). */
sm_status sm_load_vector(const sm_load *ld, const char *name, size_t n, const float **out);

/* Whether the file has a tensor of that name. */
int sm_load_has(const sm_load *ld, const char *name);

/* The architecture binders: read the hyper-parameters and bind every tensor of @p m. */
sm_status sm_arch_llama_load(const sm_load *ld, sm_model *m);
sm_status sm_arch_gpt2_load(const sm_load *ld, sm_model *m);

/* Takes a reference (contexts). */
void sm_model_retain(sm_model *m);

#endif /* SM_MODEL_H */
