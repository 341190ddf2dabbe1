/* SPDX-License-Identifier: MIT */
/* forward.c: one evaluation step of a LLaMA or GPT-2 model over a batch of tokens, written as
 * the model's maths: embed, then per block norm -> QKV -> RoPE -> attention -> output projection
 * (+ residual) -> norm -> feed-forward (+ residual), then the final norm and the logits. Each
 * line is one op of ops.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/kernels.h"
#include "sched/mem.h"
#include "src/context.h"

/* ------------------------------------------------------------------------------------------ */
/* Row operations (per token) */

/* Normalisation of rows [t0, t1) of src into dst (RMSNorm with w, or LayerNorm with w, b). */
typedef struct norm_job {
    const sm_kernels *kt;
    const float *src;
    float *dst;
    size_t n, stride;
    const float *w, *b;
    float eps;
} norm_job;

static void norm_rows(void *ctx, size_t t0, size_t t1, sm_arena *scratch)
{
    (void)scratch;
    const norm_job *j = ctx;
    for (size_t t = t0; t < t1; t++) {
        const float *x = j->src + t * j->stride;
        float *y = j->dst + t * j->stride;
        if (j->b)
            j->kt->layernorm(j->n, x, j->w, j->b, j->eps, y);
        else
            j->kt->rmsnorm(j->n, x, j->w, j->eps, y);
    }
}

static inline void op_norm(sm_context *ctx, const float *src, float *dst, size_t n_tok,
                           const float *w, const float *b)
{
    const sm_hparams *hp = &ctx->model->hp;
    norm_job j = {.kt = ctx->ex.kt,
                  .src = src,
                  .dst = dst,
                  .n = hp->n_embd,
                  .stride = hp->n_embd,
                  .w = w,
                  .b = b,
                  .eps = hp->norm_eps};
    sm_rows_op op = {.fn = norm_rows,
                     .work_per_token = 4 * hp->n_embd,
                     .kind = SM_PROF_NORM,
                     .bytes_per_token = 2 * hp->n_embd * sizeof(float)};
    sm_op_rows(&ctx->ex, &op, n_tok, &j);
}

/* Quantization of rows of an f32 input for the matmul kernels' x type. */
typedef struct quant_job {
    sm_k_quant_fn quant;
    const float *src;
    size_t n, src_stride;
    void *dst;
    size_t dst_stride;
} quant_job;

static void quant_rows(void *ctx, size_t t0, size_t t1, sm_arena *scratch)
{
    (void)scratch;
    const quant_job *j = ctx;
    for (size_t t = t0; t < t1; t++)
        j->quant(j->src + t * j->src_stride, (char *)j->dst + t * j->dst_stride, j->n);
}

/* The quantized copies of a region's input, one per activation quantizer
 * (sm_kernels_quant_x): Q8_0 for Q4_0 weights, Q8_0 rounded half to even for Q8_0 weights,
 * Q8_K for the K-quants. */
enum { XQ_Q8_0, XQ_Q8_0_EVEN, XQ_Q8_K, XQ_NONE };

static int xq_of(sm_type w)
{
    switch (w) {
    case SM_TYPE_Q4_0:
        return XQ_Q8_0;
    case SM_TYPE_Q8_0:
        return XQ_Q8_0_EVEN;
    case SM_TYPE_Q4_K:
    case SM_TYPE_Q6_K:
        return XQ_Q8_K;
    default:
        return XQ_NONE;
    }
}

/* The x operand of the matmuls in one region: the f32 rows themselves, or a quantized copy.
 * Each copy is made once per region, however many matrices use it. */
typedef struct xin {
    const float *f32;
    size_t n, stride; /* n_in, floats between rows */
    int have[XQ_NONE];
} xin;

static void x_for(sm_context *ctx, xin *in, const sm_weight *w, size_t n_tok, const void **x,
                  size_t *x_stride)
{
    int q = xq_of(w->type);
    if (q == XQ_NONE) {
        *x = in->f32;
        *x_stride = in->stride * sizeof(float);
        return;
    }
    sm_type xt = sm_type_matmul_x(w->type);
    void *buf = q == XQ_Q8_0 ? ctx->a.xq8_0 : q == XQ_Q8_0_EVEN ? ctx->a.xq8_0e : ctx->a.xq8_K;
    size_t stride = q == XQ_Q8_K ? ctx->a.xq8_K_stride : ctx->a.xq8_0_stride;
    if (!in->have[q]) {
        quant_job j = {.quant = sm_kernels_quant_x(ctx->ex.kt, w->type),
                       .src = in->f32,
                       .n = in->n,
                       .src_stride = in->stride,
                       .dst = buf,
                       .dst_stride = stride};
        sm_rows_op op = {.fn = quant_rows,
                         .work_per_token = 2 * in->n,
                         .kind = SM_PROF_QUANTIZE,
                         .bytes_per_token = in->n * sizeof(float) + sm_type_row_bytes(xt, in->n)};
        sm_op_rows(&ctx->ex, &op, n_tok, &j);
        in->have[q] = 1;
    }
    *x = buf;
    *x_stride = stride;
}

/* RoPE on the step's queries and keys (llama), and the move of keys and values into an f16
 * cache. */
typedef struct qk_job {
    sm_context *ctx;
    float *k, *v; /* the step's rows (the cache itself when f32) */
    size_t kv_stride;
    void *ck, *cv; /* f16 cache rows of the step's first token, when f16 */
} qk_job;

static void qk_rows(void *c, size_t t0, size_t t1, sm_arena *scratch)
{
    (void)scratch;
    const qk_job *j = c;
    sm_context *ctx = j->ctx;
    const sm_hparams *hp = &ctx->model->hp;
    const sm_kernels *kt = ctx->ex.kt;
    for (size_t t = t0; t < t1; t++) {
        float *k = j->k + t * j->kv_stride;
        if (ctx->model->arch == SM_ARCH_LLAMA) {
            const float *cs = ctx->a.rope_cs + t * hp->n_rot;
            kt->rope(hp->n_head, hp->head_dim, hp->head_dim, hp->n_rot, 0, cs,
                     ctx->a.q + t * hp->n_embd);
            kt->rope(hp->n_head_kv, hp->head_dim, hp->head_dim, hp->n_rot, 0, cs, k);
        }
        if (ctx->kv.f16) {
            sm_fp16 *dk = (sm_fp16 *)j->ck + t * hp->n_kv_dim;
            sm_fp16 *dv = (sm_fp16 *)j->cv + t * hp->n_kv_dim;
            const float *v = j->v + t * j->kv_stride;
            for (size_t i = 0; i < hp->n_kv_dim; i++) {
                dk[i] = sm_fp32_to_fp16(k[i]);
                dv[i] = sm_fp32_to_fp16(v[i]);
            }
        }
    }
}

typedef struct rope_job {
    const sm_hparams *hp;
    float *cs;
    size_t pos0;
} rope_job;

static void rope_cache_rows(void *c, size_t t0, size_t t1, sm_arena *scratch)
{
    (void)scratch;
    const rope_job *j = c;
    for (size_t t = t0; t < t1; t++)
        sm_rope_cache(j->pos0 + t, j->hp->n_rot, j->hp->rope_base, j->cs + t * j->hp->n_rot);
}

/* SwiGLU on its own, when gate and up could not share a tile: ff = silu(ff) * ff2. */
typedef struct swiglu_job {
    const sm_kernels *kt;
    float *ff;
    const float *ff2;
    size_t n_ff;
} swiglu_job;

static void swiglu_rows(void *c, size_t t0, size_t t1, sm_arena *scratch)
{
    (void)scratch;
    const swiglu_job *j = c;
    for (size_t t = t0; t < t1; t++)
        j->kt->swiglu(j->n_ff, j->ff + t * j->n_ff, j->ff2 + t * j->n_ff, j->ff + t * j->n_ff);
}

/* ------------------------------------------------------------------------------------------ */
/* Blocks */

static void *cache_row(const sm_kvcache *kv, void *base, size_t layer, size_t pos, size_t n_kv_dim)
{
    size_t elem = kv->f16 ? 2 : 4;
    return (char *)base + (layer * kv->layer_elems + pos * n_kv_dim) * elem;
}

static void attention_block(sm_context *ctx, size_t il, size_t n)
{
    const sm_model *m = ctx->model;
    const sm_hparams *hp = &m->hp;
    const sm_layer *L = &m->layers[il];
    sm_acts *a = &ctx->a;
    size_t pos0 = ctx->n_past;

    op_norm(ctx, a->x, a->xn, n, L->attn_norm, L->attn_norm_b);
    xin in = {.f32 = a->xn, .n = hp->n_embd, .stride = hp->n_embd};
    /* Keys and values go straight into an f32 cache; an f16 cache takes them after RoPE. */
    float *k = ctx->kv.f16 ? a->k : cache_row(&ctx->kv, ctx->kv.k, il, pos0, hp->n_kv_dim);
    float *v = ctx->kv.f16 ? a->v : cache_row(&ctx->kv, ctx->kv.v, il, pos0, hp->n_kv_dim);
    sm_mm mm[3] = {
        {.w = &L->wq, .y = a->q, .y_stride = hp->n_embd, .bias = L->bq},
        {.w = &L->wk, .y = k, .y_stride = hp->n_kv_dim, .bias = L->bk},
        {.w = &L->wv, .y = v, .y_stride = hp->n_kv_dim, .bias = L->bv},
    };
    for (int i = 0; i < 3; i++)
        x_for(ctx, &in, mm[i].w, n, &mm[i].x, &mm[i].x_stride);
    sm_op_matmuls(&ctx->ex, mm, 3, n);

    if (m->arch == SM_ARCH_LLAMA || ctx->kv.f16) {
        qk_job j = {.ctx = ctx, .k = k, .v = v, .kv_stride = hp->n_kv_dim};
        /* RoPE reads and writes the rows of q and k; the f16 store reads k and v and writes
         * half as many bytes. */
        size_t f = sizeof(float), kvd = hp->n_kv_dim;
        int rope = m->arch == SM_ARCH_LLAMA;
        sm_rows_op op = {.fn = qk_rows,
                         .work_per_token = 4 * (hp->n_embd + kvd),
                         .kind = rope ? SM_PROF_ROPE : SM_PROF_KV_STORE,
                         .bytes_per_token = (rope ? 2 * (hp->n_embd + kvd) * f : 0) +
                                            (ctx->kv.f16 ? 2 * kvd * (f + 2) : 0)};
        if (ctx->kv.f16) {
            j.ck = cache_row(&ctx->kv, ctx->kv.k, il, pos0, hp->n_kv_dim);
            j.cv = cache_row(&ctx->kv, ctx->kv.v, il, pos0, hp->n_kv_dim);
        }
        sm_op_rows(&ctx->ex, &op, n, &j);
    }

    sm_attn at = {.n_head = hp->n_head,
                  .n_head_kv = hp->n_head_kv,
                  .head_dim = hp->head_dim,
                  .q = a->q,
                  .q_stride = hp->n_embd,
                  .k = cache_row(&ctx->kv, ctx->kv.k, il, 0, hp->n_kv_dim),
                  .v = cache_row(&ctx->kv, ctx->kv.v, il, 0, hp->n_kv_dim),
                  .kv_stride = hp->n_kv_dim,
                  .kv_f16 = ctx->kv.f16,
                  .out = a->att,
                  .out_stride = hp->n_embd,
                  .scale = (float)(1.0 / sqrt((double)hp->head_dim))};
    sm_op_attention(&ctx->ex, &at, pos0, n);

    xin ain = {.f32 = a->att, .n = hp->n_embd, .stride = hp->n_embd};
    sm_mm o = {.w = &L->wo,
               .y = a->tmp,
               .y_stride = hp->n_embd,
               .res = a->x,
               .res_stride = hp->n_embd,
               .bias = L->bo,
               .epilogue = SM_MM_RESIDUAL};
    x_for(ctx, &ain, o.w, n, &o.x, &o.x_stride);
    sm_op_matmuls(&ctx->ex, &o, 1, n);
}

static void ffn_block(sm_context *ctx, size_t il, size_t n)
{
    const sm_model *m = ctx->model;
    const sm_hparams *hp = &m->hp;
    const sm_layer *L = &m->layers[il];
    sm_acts *a = &ctx->a;

    op_norm(ctx, a->x, a->xn, n, L->ffn_norm, L->ffn_norm_b);
    xin in = {.f32 = a->xn, .n = hp->n_embd, .stride = hp->n_embd};
    sm_mm up;
    if (m->arch == SM_ARCH_LLAMA) {
        /* Gate and up in one tile: both row blocks are computed, then SwiGLU is applied while
         * they are still in cache. */
        up = (sm_mm){.w = &L->w_gate,
                     .w2 = &L->w_up,
                     .y = a->ff,
                     .y2 = a->ff2,
                     .y_stride = hp->n_ff,
                     .epilogue = SM_MM_SWIGLU};
        /* SWIGLU tiles feed both matrices the same x: they must share its quantizer. */
        if (xq_of(L->w_gate.type) != xq_of(L->w_up.type)) {
            sm_mm gu[2] = {{.w = &L->w_gate, .y = a->ff, .y_stride = hp->n_ff},
                           {.w = &L->w_up, .y = a->ff2, .y_stride = hp->n_ff}};
            x_for(ctx, &in, gu[0].w, n, &gu[0].x, &gu[0].x_stride);
            x_for(ctx, &in, gu[1].w, n, &gu[1].x, &gu[1].x_stride);
            sm_op_matmuls(&ctx->ex, gu, 2, n);
            swiglu_job sj = {.kt = ctx->ex.kt, .ff = a->ff, .ff2 = a->ff2, .n_ff = hp->n_ff};
            sm_rows_op op = {.fn = swiglu_rows,
                             .work_per_token = 4 * hp->n_ff,
                             .kind = SM_PROF_ACTIVATION,
                             .bytes_per_token = 3 * hp->n_ff * sizeof(float)};
            sm_op_rows(&ctx->ex, &op, n, &sj);
            goto down;
        }
    } else {
        up = (sm_mm){.w = &L->w_up,
                     .y = a->ff,
                     .y_stride = hp->n_ff,
                     .bias = L->b_up,
                     .epilogue = SM_MM_GELU};
    }
    x_for(ctx, &in, up.w, n, &up.x, &up.x_stride);
    sm_op_matmuls(&ctx->ex, &up, 1, n);
down:;
    xin fin = {.f32 = a->ff, .n = hp->n_ff, .stride = hp->n_ff};
    sm_mm down = {.w = &L->w_down,
                  .y = a->tmp,
                  .y_stride = hp->n_embd,
                  .res = a->x,
                  .res_stride = hp->n_embd,
                  .bias = L->b_down,
                  .epilogue = SM_MM_RESIDUAL};
    x_for(ctx, &fin, down.w, n, &down.x, &down.x_stride);
    sm_op_matmuls(&ctx->ex, &down, 1, n);
}

/* ------------------------------------------------------------------------------------------ */
/* The step */

/* The token rows (and GPT-2's position rows, added), on the caller: a copy of n rows. */
static inline void embed_rows(sm_context *ctx, const int32_t *tokens, size_t n)
{
    const sm_model *m = ctx->model;
    const sm_hparams *hp = &m->hp;
    sm_acts *a = &ctx->a;
    const sm_kernels *kt = ctx->ex.kt;
    sm_kernels_embed(kt, m->tok_embd.type, m->tok_embd.data, m->tok_embd.row_bytes, hp->n_embd,
                     tokens, n, a->x, hp->n_embd);
    for (size_t t = 0; t < n; t++)
        a->pos[t] = (int32_t)(ctx->n_past + t);
    if (m->arch == SM_ARCH_GPT2) {
        sm_kernels_embed(kt, m->pos_embd.type, m->pos_embd.data, m->pos_embd.row_bytes, hp->n_embd,
                         a->pos, n, a->tmp, hp->n_embd);
        kt->add(n * hp->n_embd, a->x, a->tmp, a->x);
    }
}

/* bytes: the rows read and written; GPT-2 adds its position rows, written to a->tmp and then
 * read with x to write x again. */
__attribute__((noinline, cold)) static void embed_profiled(sm_context *ctx, const int32_t *tokens,
                                                           size_t n)
{
    const sm_model *m = ctx->model;
    uint64_t row = m->hp.n_embd * sizeof(float);
    uint64_t bytes = n * (m->tok_embd.row_bytes + row);
    if (m->arch == SM_ARCH_GPT2)
        bytes += n * (m->pos_embd.row_bytes + row + 3 * row);
    uint64_t t0 = sm_profile_now();
    embed_rows(ctx, tokens, n);
    sm_profile_add(ctx->ex.prof, SM_PROF_EMBED, sm_profile_now() - t0, bytes, 0);
}

static void embed(sm_context *ctx, const int32_t *tokens, size_t n)
{
    const sm_model *m = ctx->model;
    const sm_hparams *hp = &m->hp;
    sm_acts *a = &ctx->a;
    if (ctx->ex.prof)
        embed_profiled(ctx, tokens, n);
    else
        embed_rows(ctx, tokens, n);
    if (m->arch == SM_ARCH_LLAMA) {
        rope_job j = {.hp = hp, .cs = a->rope_cs, .pos0 = ctx->n_past};
        /* sin and cos in double cost ~40 ns a pair */
        sm_rows_op op = {.fn = rope_cache_rows,
                         .work_per_token = 20 * hp->n_rot,
                         .kind = SM_PROF_ROPE,
                         .bytes_per_token = hp->n_rot * sizeof(float)};
        sm_op_rows(&ctx->ex, &op, n, &j);
    }
}

static void logits(sm_context *ctx, size_t n)
{
    const sm_model *m = ctx->model;
    const sm_hparams *hp = &m->hp;
    sm_acts *a = &ctx->a;
    size_t first = ctx->logits_all ? 0 : n - 1, rows = n - first;
    float *x = a->x + first * hp->n_embd;
    op_norm(ctx, x, a->xn, rows, m->out_norm, m->out_norm_b);
    xin in = {.f32 = a->xn, .n = hp->n_embd, .stride = hp->n_embd};
    sm_mm o = {.w = &m->output, .y = a->logits, .y_stride = hp->n_vocab};
    x_for(ctx, &in, o.w, rows, &o.x, &o.x_stride);
    sm_op_matmuls(&ctx->ex, &o, 1, rows);
}

/* Tells the profile which block the next ops belong to (-1: outside the blocks). */
static void prof_layer(sm_context *ctx, int layer)
{
    if (ctx->ex.prof)
        ctx->ex.prof->layer = layer;
}

sm_status sm_forward(sm_context *ctx, const int32_t *tokens, size_t n)
{
    prof_layer(ctx, -1);
    embed(ctx, tokens, n);
    for (size_t il = 0; il < ctx->model->hp.n_layer; il++) {
        prof_layer(ctx, (int)il);
        attention_block(ctx, il, n);
        ffn_block(ctx, il, n);
    }
    prof_layer(ctx, -1);
    logits(ctx, n);
    /* Scratch exhaustion in a task cannot stop the region; it is reported here. */
    for (int w = -1; w < ctx->ex.n_workers; w++) {
        sm_arena *sc = w < 0 ? ctx->ex.inline_scratch : sm_sched_scratch(ctx->sched, w);
        if (sm_arena_status(sc) != SM_OK) {
            snprintf(ctx->errmsg, sizeof ctx->errmsg, "scratch arena %s: %s", sm_arena_name(sc),
                     sm_arena_errmsg(sc));
            return sm_arena_status(sc);
        }
    }
    return SM_OK;
}
