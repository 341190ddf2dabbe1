/* SPDX-License-Identifier: MIT */
/* ref_forward.c: the reference LLaMA and GPT-2 forward pass (see ref_forward.h): loops over
 * dequantized weights with double accumulation, every position recomputed from scratch. */
#include "config.h"

#include "ref_forward.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_quant.h"

typedef struct rf {
    const sm_ref_hparams *hp;
    sm_ref_lookup_fn lookup;
    void *ctx;
    int emulate_act;
    int gelu_fp16;
    char *err;
    size_t err_len;
    float *xf; /* n_in floats: one activation row as the runtime would round it */
} rf;

static int rf_fail(rf *r, const char *fmt, ...)
{
    if (r->err && r->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->err_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Looks up @p name and checks it has extents [ne0, ne1] (ne1 = 1 for a vector). */
static int rf_get(rf *r, const char *name, int64_t ne0, int64_t ne1, sm_ref_weight *w)
{
    if (r->lookup(r->ctx, name, w) != 0)
        return rf_fail(r, "tensor '%s' is missing", name);
    if (w->ne[0] != ne0 || w->ne[1] != ne1 || w->ne[2] != 1 || w->ne[3] != 1)
        return rf_fail(r, "tensor '%s' has extents [%lld, %lld, %lld, %lld], expected [%lld, %lld]",
                       name, (long long)w->ne[0], (long long)w->ne[1], (long long)w->ne[2],
                       (long long)w->ne[3], (long long)ne0, (long long)ne1);
    if (!w->f)
        return rf_fail(r, "tensor '%s' has no data", name);
    return 0;
}

static int rf_get_blk(rf *r, int layer, const char *what, int64_t ne0, int64_t ne1,
                      sm_ref_weight *w)
{
    char name[96];
    snprintf(name, sizeof name, "blk.%d.%s", layer, what);
    return rf_get(r, name, ne0, ne1, w);
}

/* ---- ops ---------------------------------------------------------------------------------- */

static double rf_round_fp16(double x)
{
    return sm_rq_fp16_to_fp32(sm_rq_fp32_to_fp16((float)x));
}

/* y[t] = W x[t] (+ b) for t < n_tok; x rows of n_in = W.ne[0], y rows of n_out = W.ne[1].
 * With emulation, each x row is first rounded as a runtime feeding W's dot product would:
 * to f32 always (the runtime's activations are f32), then to Q8_0 or Q8_K blocks or fp16. */
static void rf_matmul(rf *r, const sm_ref_weight *w, const sm_ref_weight *b, const double *x,
                      int n_tok, double *y)
{
    size_t n_in = (size_t)w->ne[0], n_out = (size_t)w->ne[1];
    for (int t = 0; t < n_tok; t++) {
        const double *xt = x + (size_t)t * n_in;
        double *yt = y + (size_t)t * n_out;
        for (size_t i = 0; i < n_in; i++)
            r->xf[i] = (float)xt[i];
        if (r->emulate_act) {
            if ((w->type == SM_RQ_Q8_0 || w->type == SM_RQ_Q4_0) && n_in % 32 == 0)
                sm_rq_q8_0_roundtrip(r->xf, n_in, r->xf);
            else if ((w->type == SM_RQ_Q4_K || w->type == SM_RQ_Q6_K) && n_in % 256 == 0)
                sm_rq_q8_K_roundtrip(r->xf, n_in, r->xf);
            else if (w->type == SM_RQ_F16)
                for (size_t i = 0; i < n_in; i++)
                    r->xf[i] = (float)rf_round_fp16(r->xf[i]);
        }
        for (size_t o = 0; o < n_out; o++) {
            const float *row = w->f + o * n_in;
            double acc = 0.0;
            if (r->emulate_act) {
                for (size_t i = 0; i < n_in; i++)
                    acc += (double)row[i] * (double)r->xf[i];
            } else {
                for (size_t i = 0; i < n_in; i++)
                    acc += (double)row[i] * xt[i];
            }
            yt[o] = acc + (b ? (double)b->f[o] : 0.0);
        }
    }
}

static void rf_rmsnorm(const double *x, const float *w, int n, double eps, double *y)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += x[i] * x[i];
    double s = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++)
        y[i] = x[i] * s * (double)w[i];
}

static void rf_layernorm(const double *x, const float *w, const float *b, int n, double eps,
                         double *y)
{
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    double s = 1.0 / sqrt(var / n + eps);
    for (int i = 0; i < n; i++)
        y[i] = (x[i] - mean) * s * (double)w[i] + (double)b[i];
}

/* Rotates each of n_heads heads (head_dim apart) of v by position pos, pairs (2i, 2i + 1). */
static void rf_rope(double *v, int n_heads, int head_dim, int n_rot, int pos, double base)
{
    for (int h = 0; h < n_heads; h++) {
        double *p = v + (size_t)h * head_dim;
        for (int i = 0; i < n_rot / 2; i++) {
            double theta = pos * pow(base, -2.0 * i / n_rot);
            double c = cos(theta), s = sin(theta);
            double x0 = p[2 * i], x1 = p[2 * i + 1];
            p[2 * i] = x0 * c - x1 * s;
            p[2 * i + 1] = x0 * s + x1 * c;
        }
    }
}

/* Causal softmax attention. q rows of n_head * hd (stride q_stride), k and v rows of
 * n_head_kv * hd (strides kv_stride); out rows of n_head * hd. Query head h reads KV head
 * h / (n_head / n_head_kv). @p score holds n_tok doubles. */
static void rf_attention(const sm_ref_hparams *hp, const double *q, size_t q_stride,
                         const double *k, const double *v, size_t kv_stride, int n_tok, double *out,
                         double *score)
{
    int hd = hp->n_embd / hp->n_head, group = hp->n_head / hp->n_head_kv;
    double scale = 1.0 / sqrt((double)hd);
    for (int t = 0; t < n_tok; t++) {
        for (int h = 0; h < hp->n_head; h++) {
            const double *qh = q + (size_t)t * q_stride + (size_t)h * hd;
            size_t koff = (size_t)(h / group) * hd;
            double max = -INFINITY;
            for (int s = 0; s <= t; s++) {
                const double *kh = k + (size_t)s * kv_stride + koff;
                double dot = 0.0;
                for (int i = 0; i < hd; i++)
                    dot += qh[i] * kh[i];
                score[s] = dot * scale;
                max = fmax(max, score[s]);
            }
            double sum = 0.0;
            for (int s = 0; s <= t; s++) {
                score[s] = exp(score[s] - max);
                sum += score[s];
            }
            double *oh = out + (size_t)t * hp->n_embd + (size_t)h * hd;
            for (int i = 0; i < hd; i++)
                oh[i] = 0.0;
            for (int s = 0; s <= t; s++) {
                const double *vh = v + (size_t)s * kv_stride + koff;
                double p = score[s] / sum;
                for (int i = 0; i < hd; i++)
                    oh[i] += p * vh[i];
            }
        }
    }
}

static double rf_silu(double x)
{
    return x / (1.0 + exp(-x));
}

static double rf_gelu(double x)
{
    const double c = 0.7978845608028654; /* sqrt(2 / pi) */
    return 0.5 * x * (1.0 + tanh(c * (x + 0.044715 * x * x * x)));
}

/* GELU as ggml's CPU backend computes it by default (GGML_GELU_FP16): a table indexed by the
 * input rounded to fp16, holding fp16 results; inputs at or beyond +-10 pass through (x) or
 * give 0. */
static double rf_gelu_fp16(double x)
{
    float xf = (float)x;
    if (xf <= -10.0f)
        return 0.0;
    if (xf >= 10.0f)
        return xf;
    return rf_round_fp16(rf_gelu(rf_round_fp16(xf)));
}

/* ---- architectures ------------------------------------------------------------------------ */

typedef struct rf_bufs {
    double *x;     /* [n_tok][n_embd] residual stream */
    double *h;     /* [n_tok][n_embd] normed input of a sub-layer */
    double *a;     /* [n_tok][3 * n_embd] projections (Q | K | V rows) */
    double *att;   /* [n_tok][n_embd] attention output */
    double *o;     /* [n_tok][n_embd] sub-layer output */
    double *f1;    /* [n_tok][n_ff] */
    double *f2;    /* [n_tok][n_ff] */
    double *score; /* [n_tok] */
    double *lg;    /* [n_tok][n_vocab] */
} rf_bufs;

static int rf_llama_layers(rf *r, rf_bufs *B, int n_tok)
{
    const sm_ref_hparams *hp = r->hp;
    int E = hp->n_embd, hd = E / hp->n_head, kvd = hd * hp->n_head_kv, F = hp->n_ff;
    size_t stride = (size_t)E + 2 * (size_t)kvd;
    for (int l = 0; l < hp->n_layer; l++) {
        sm_ref_weight an, wq, wk, wv, wo, fn, wg, wu, wd;
        if (rf_get_blk(r, l, "attn_norm.weight", E, 1, &an) ||
            rf_get_blk(r, l, "attn_q.weight", E, E, &wq) ||
            rf_get_blk(r, l, "attn_k.weight", E, kvd, &wk) ||
            rf_get_blk(r, l, "attn_v.weight", E, kvd, &wv) ||
            rf_get_blk(r, l, "attn_output.weight", E, E, &wo) ||
            rf_get_blk(r, l, "ffn_norm.weight", E, 1, &fn) ||
            rf_get_blk(r, l, "ffn_gate.weight", E, F, &wg) ||
            rf_get_blk(r, l, "ffn_up.weight", E, F, &wu) ||
            rf_get_blk(r, l, "ffn_down.weight", F, E, &wd))
            return -1;
        for (int t = 0; t < n_tok; t++)
            rf_rmsnorm(B->x + (size_t)t * E, an.f, E, hp->norm_eps, B->h + (size_t)t * E);
        /* Q, K, V side by side in one row per token: [Q (E) | K (kvd) | V (kvd)]. */
        double *q = B->f1, *k = B->f2, *v = B->o;
        rf_matmul(r, &wq, NULL, B->h, n_tok, q);
        rf_matmul(r, &wk, NULL, B->h, n_tok, k);
        rf_matmul(r, &wv, NULL, B->h, n_tok, v);
        for (int t = 0; t < n_tok; t++) {
            double *row = B->a + (size_t)t * stride;
            memcpy(row, q + (size_t)t * E, (size_t)E * sizeof *row);
            memcpy(row + E, k + (size_t)t * kvd, (size_t)kvd * sizeof *row);
            memcpy(row + E + kvd, v + (size_t)t * kvd, (size_t)kvd * sizeof *row);
            rf_rope(row, hp->n_head, hd, hp->n_rot, t, hp->rope_base);
            rf_rope(row + E, hp->n_head_kv, hd, hp->n_rot, t, hp->rope_base);
        }
        rf_attention(hp, B->a, stride, B->a + E, B->a + E + kvd, stride, n_tok, B->att, B->score);
        rf_matmul(r, &wo, NULL, B->att, n_tok, B->o);
        for (size_t i = 0; i < (size_t)n_tok * E; i++)
            B->x[i] += B->o[i];

        for (int t = 0; t < n_tok; t++)
            rf_rmsnorm(B->x + (size_t)t * E, fn.f, E, hp->norm_eps, B->h + (size_t)t * E);
        rf_matmul(r, &wg, NULL, B->h, n_tok, B->f1);
        rf_matmul(r, &wu, NULL, B->h, n_tok, B->f2);
        for (size_t i = 0; i < (size_t)n_tok * F; i++)
            B->f1[i] = rf_silu(B->f1[i]) * B->f2[i];
        rf_matmul(r, &wd, NULL, B->f1, n_tok, B->o);
        for (size_t i = 0; i < (size_t)n_tok * E; i++)
            B->x[i] += B->o[i];
    }
    return 0;
}

static int rf_gpt2_layers(rf *r, rf_bufs *B, int n_tok)
{
    const sm_ref_hparams *hp = r->hp;
    int E = hp->n_embd, F = hp->n_ff;
    for (int l = 0; l < hp->n_layer; l++) {
        sm_ref_weight an, ab, wqkv, bqkv, wo, bo, fn, fb, wu, bu, wd, bd;
        if (rf_get_blk(r, l, "attn_norm.weight", E, 1, &an) ||
            rf_get_blk(r, l, "attn_norm.bias", E, 1, &ab) ||
            rf_get_blk(r, l, "attn_qkv.weight", E, 3 * (int64_t)E, &wqkv) ||
            rf_get_blk(r, l, "attn_qkv.bias", 3 * (int64_t)E, 1, &bqkv) ||
            rf_get_blk(r, l, "attn_output.weight", E, E, &wo) ||
            rf_get_blk(r, l, "attn_output.bias", E, 1, &bo) ||
            rf_get_blk(r, l, "ffn_norm.weight", E, 1, &fn) ||
            rf_get_blk(r, l, "ffn_norm.bias", E, 1, &fb) ||
            rf_get_blk(r, l, "ffn_up.weight", E, F, &wu) ||
            rf_get_blk(r, l, "ffn_up.bias", F, 1, &bu) ||
            rf_get_blk(r, l, "ffn_down.weight", F, E, &wd) ||
            rf_get_blk(r, l, "ffn_down.bias", E, 1, &bd))
            return -1;
        for (int t = 0; t < n_tok; t++)
            rf_layernorm(B->x + (size_t)t * E, an.f, ab.f, E, hp->norm_eps, B->h + (size_t)t * E);
        rf_matmul(r, &wqkv, &bqkv, B->h, n_tok, B->a);
        size_t stride = 3 * (size_t)E;
        rf_attention(hp, B->a, stride, B->a + E, B->a + 2 * E, stride, n_tok, B->att, B->score);
        rf_matmul(r, &wo, &bo, B->att, n_tok, B->o);
        for (size_t i = 0; i < (size_t)n_tok * E; i++)
            B->x[i] += B->o[i];

        for (int t = 0; t < n_tok; t++)
            rf_layernorm(B->x + (size_t)t * E, fn.f, fb.f, E, hp->norm_eps, B->h + (size_t)t * E);
        rf_matmul(r, &wu, &bu, B->h, n_tok, B->f1);
        for (size_t i = 0; i < (size_t)n_tok * F; i++)
            B->f1[i] = r->gelu_fp16 ? rf_gelu_fp16(B->f1[i]) : rf_gelu(B->f1[i]);
        rf_matmul(r, &wd, &bd, B->f1, n_tok, B->o);
        for (size_t i = 0; i < (size_t)n_tok * E; i++)
            B->x[i] += B->o[i];
    }
    return 0;
}

static int rf_check_hparams(rf *r)
{
    const sm_ref_hparams *hp = r->hp;
    if (hp->n_embd < 1 || hp->n_layer < 0 || hp->n_head < 1 || hp->n_ff < 1 || hp->n_vocab < 1 ||
        hp->n_ctx < 1 || hp->n_embd % hp->n_head)
        return rf_fail(r,
                       "bad hyper-parameters: n_embd %d, n_layer %d, n_head %d, n_ff %d, "
                       "n_vocab %d, n_ctx %d",
                       hp->n_embd, hp->n_layer, hp->n_head, hp->n_ff, hp->n_vocab, hp->n_ctx);
    if (hp->n_head_kv < 1 || hp->n_head % hp->n_head_kv)
        return rf_fail(r, "n_head %d is not a multiple of n_head_kv %d", hp->n_head, hp->n_head_kv);
    if (hp->arch == SM_REF_GPT2 && hp->n_head_kv != hp->n_head)
        return rf_fail(r, "gpt2 needs n_head_kv == n_head, got %d and %d", hp->n_head_kv,
                       hp->n_head);
    int hd = hp->n_embd / hp->n_head;
    if (hp->arch == SM_REF_LLAMA && (hp->n_rot < 0 || hp->n_rot > hd || hp->n_rot % 2))
        return rf_fail(r, "n_rot %d must be even and at most the head size %d", hp->n_rot, hd);
    return 0;
}

int sm_ref_forward(const sm_ref_hparams *hp, sm_ref_lookup_fn lookup, void *ctx,
                   const sm_ref_opts *opts, const int32_t *tokens, int n_tok, float *logits,
                   char *err, size_t err_len)
{
    rf r = {.hp = hp, .lookup = lookup, .ctx = ctx, .err = err, .err_len = err_len};
    if (opts) {
        r.emulate_act = opts->emulate_act;
        r.gelu_fp16 = opts->gelu_fp16;
    }
    if (rf_check_hparams(&r))
        return -1;
    if (n_tok < 1 || n_tok > hp->n_ctx)
        return rf_fail(&r, "%d tokens: need 1 to n_ctx = %d", n_tok, hp->n_ctx);
    for (int t = 0; t < n_tok; t++)
        if (tokens[t] < 0 || tokens[t] >= hp->n_vocab)
            return rf_fail(&r, "token %d at position %d is outside the vocabulary of %d", tokens[t],
                           t, hp->n_vocab);

    size_t T = (size_t)n_tok, E = (size_t)hp->n_embd, F = (size_t)hp->n_ff;
    size_t V = (size_t)hp->n_vocab;
    size_t widest = F > 3 * E ? F : 3 * E;
    rf_bufs B = {
        calloc(T * E, sizeof(double)),      calloc(T * E, sizeof(double)),
        calloc(T * 3 * E, sizeof(double)),  calloc(T * E, sizeof(double)),
        calloc(T * widest, sizeof(double)), calloc(T * widest, sizeof(double)),
        calloc(T * widest, sizeof(double)), calloc(T, sizeof(double)),
        calloc(T * V, sizeof(double)),
    };
    r.xf = calloc(widest > V ? widest : V, sizeof(float));
    int rc = -1;
    if (!B.x || !B.h || !B.a || !B.att || !B.o || !B.f1 || !B.f2 || !B.score || !B.lg || !r.xf) {
        rf_fail(&r, "out of memory for %d tokens", n_tok);
        goto done;
    }

    sm_ref_weight tok, pos, onorm, obias, out;
    if (rf_get(&r, "token_embd.weight", (int64_t)E, (int64_t)V, &tok))
        goto done;
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < E; i++)
            B.x[t * E + i] = (double)tok.f[(size_t)tokens[t] * E + i];
    if (hp->arch == SM_REF_GPT2) {
        if (rf_get(&r, "position_embd.weight", (int64_t)E, hp->n_ctx, &pos))
            goto done;
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < E; i++)
                B.x[t * E + i] += (double)pos.f[t * E + i];
        if (rf_gpt2_layers(&r, &B, n_tok))
            goto done;
    } else {
        if (rf_llama_layers(&r, &B, n_tok))
            goto done;
    }

    if (rf_get(&r, "output_norm.weight", (int64_t)E, 1, &onorm))
        goto done;
    if (hp->arch == SM_REF_GPT2) {
        if (rf_get(&r, "output_norm.bias", (int64_t)E, 1, &obias))
            goto done;
        for (size_t t = 0; t < T; t++)
            rf_layernorm(B.x + t * E, onorm.f, obias.f, (int)E, hp->norm_eps, B.h + t * E);
    } else {
        for (size_t t = 0; t < T; t++)
            rf_rmsnorm(B.x + t * E, onorm.f, (int)E, hp->norm_eps, B.h + t * E);
    }
    /* A separate output matrix when the file has one; otherwise the token embedding (tied). */
    if (lookup(ctx, "output.weight", &out) == 0) {
        if (rf_get(&r, "output.weight", (int64_t)E, (int64_t)V, &out))
            goto done;
    } else {
        out = tok;
    }
    rf_matmul(&r, &out, NULL, B.h, n_tok, B.lg);
    for (size_t i = 0; i < T * V; i++)
        logits[i] = (float)B.lg[i];
    rc = 0;
done:
    free(B.x);
    free(B.h);
    free(B.a);
    free(B.att);
    free(B.o);
    free(B.f1);
    free(B.f2);
    free(B.score);
    free(B.lg);
    free(r.xf);
    return rc;
}
