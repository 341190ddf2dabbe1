/* SPDX-License-Identifier: MIT */
/* generate.c: sm_generate, the generation loop: the prompt in steps, then sample, emit, evaluate
 * one token at a time until a limit, EOS, a stop sequence, a full context or a cancel. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smallmind.h"
#include "src/context.h"
#include "src/log.h"
#include "src/textout.h"

void sm_generate_params_init(sm_generate_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_predict = -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static sm_status fail(sm_context *ctx, sm_status st, const char *msg)
{
    snprintf(ctx->errmsg, sizeof ctx->errmsg, "sm_generate: %s", msg);
    sm_log(SM_LOG_ERROR, "%s", ctx->errmsg);
    return st;
}

/* Heap bytes allocated so far by every worker's thread (the caller is worker 0); 0 and
 * *counted = 0 when the build cannot count them. */
static uint64_t heap_total(const sm_sched *s, int *counted)
{
    uint64_t sum = 0;
    *counted = 1;
    for (int w = 0; w < sm_sched_n_workers(s); w++) {
        sm_alloc_stats as;
        if (sm_sched_alloc_stats(s, w, &as) != SM_OK || !as.heap_counted) {
            *counted = 0;
            return 0;
        }
        sum += as.heap_allocated_bytes;
    }
    return sum;
}

static int cancelled(const sm_generate_params *p)
{
    return p->should_stop && p->should_stop(p->user_data) != 0;
}

/* A token's text into *buf, growing it when the token is longer than any seen so far (so at
 * most a few times per call, never per token in the steady state). */
static sm_status piece_of(const sm_model *m, int32_t tok, char **buf, size_t *cap, size_t *n)
{
    sm_status st = sm_token_to_piece(m, tok, *buf, *cap, n);
    /* An id the tokenizer does not have (and the sampler drew from the logits, so the
     * embedding does) is a padding row, which the loader allows: it has no text. */
    if (st == SM_E_RANGE && *n == 0)
        return SM_OK;
    if (st == SM_E_RANGE && *n > *cap) {
        char *p = realloc(*buf, *n);
        if (!p)
            return SM_E_NOMEM;
        *buf = p;
        *cap = *n;
        st = sm_token_to_piece(m, tok, *buf, *cap, n);
    }
    return st;
}

/* Evaluates the prompt a step at a time so that should_stop is polled during a long prompt. */
static sm_status eval_prompt(sm_context *ctx, sm_sampler *smp, const int32_t *prompt, int n,
                             const sm_generate_params *p, sm_generate_result *res)
{
    int step = (int)ctx->n_batch;
    for (int off = 0; off < n; off += step) {
        if (cancelled(p)) {
            res->stop_reason = SM_STOP_CANCELLED;
            return SM_OK;
        }
        int k = n - off < step ? n - off : step;
        sm_status st = sm_eval(ctx, prompt + off, k);
        if (st != SM_OK)
            return st;
        for (int i = 0; i < k; i++)
            sm_sampler_accept(smp, prompt[off + i]);
        res->n_prompt += k;
    }
    return SM_OK;
}

sm_status sm_generate(sm_context *ctx, sm_sampler *smp, const int32_t *prompt, int n_prompt,
                      const sm_generate_params *params, sm_generate_result *out)
{
    if (!ctx)
        return SM_E_INVAL;
    ctx->errmsg[0] = '\0';
    if (!smp || !prompt || n_prompt < 1)
        return fail(ctx, SM_E_INVAL,
                    !smp      ? "sampler is NULL"
                    : !prompt ? "prompt is NULL"
                              : "n_prompt must be >= 1");
    sm_generate_params defaults;
    if (!params) {
        sm_generate_params_init(&defaults);
        params = &defaults;
    }
    if ((size_t)n_prompt > ctx->n_ctx - ctx->n_past) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "a prompt of %d tokens does not fit in the %zu positions left of a context of "
                 "%zu",
                 n_prompt, ctx->n_ctx - ctx->n_past, ctx->n_ctx);
        return fail(ctx, SM_E_RANGE, msg);
    }
    char why[160] = "";
    sm_textout text;
    sm_status st = sm_textout_init(&text, params->stop, params->n_stop, params->on_piece,
                                   params->user_data, why, sizeof why);
    if (st != SM_OK)
        return fail(ctx, st, st == SM_E_NOMEM ? "out of memory" : why);

    const sm_model *m = ctx->model;
    int n_vocab = sm_model_n_vocab(m);
    int32_t eos = sm_model_token_eos(m);
    size_t piece_cap = 256, n_piece = 0;
    char *piece = malloc(piece_cap);
    sm_generate_result res = {.stop_reason = SM_STOP_LIMIT};
    double t0 = now_ms(), t_gen = 0;
    uint64_t heap0 = 0;
    int ended_on_stop = 0;
    if (!piece) {
        st = fail(ctx, SM_E_NOMEM, "out of memory");
        goto done;
    }
    if ((st = eval_prompt(ctx, smp, prompt, n_prompt, params, &res)) != SM_OK ||
        res.stop_reason == SM_STOP_CANCELLED)
        goto timed;
    t_gen = now_ms();
    res.prompt_ms = t_gen - t0;
    for (;;) {
        if (params->n_predict >= 0 && res.n_generated >= params->n_predict) {
            res.stop_reason = SM_STOP_LIMIT;
            break;
        }
        int32_t tok;
        st = sm_sample(smp, sm_get_logits(ctx, -1), n_vocab, &tok);
        if (st != SM_OK) {
            fail(ctx, st,
                 st == SM_E_INVAL ? "the sampler was made for another vocabulary size"
                                  : "no token can be sampled (every logit is NaN)");
            break;
        }
        if (res.n_generated == 0) {
            res.first_token_ms = now_ms() - t0;
            heap0 = heap_total(ctx->sched, &res.decode_heap_counted);
        }
        sm_sampler_accept(smp, tok);
        if (tok == eos) {
            res.stop_reason = SM_STOP_EOS;
            break;
        }
        res.n_generated++;
        if ((st = piece_of(m, tok, &piece, &piece_cap, &n_piece)) != SM_OK) {
            fail(ctx, st, "cannot read a token's text");
            break;
        }
        int r = sm_textout_push(&text, piece, n_piece);
        if (r < 0) {
            st = fail(ctx, SM_E_NOMEM, "out of memory");
            break;
        }
        if (r == 1) {
            ended_on_stop = 1;
            res.stop_reason = SM_STOP_SEQUENCE;
            break;
        }
        if (text.cancelled || cancelled(params)) {
            res.stop_reason = SM_STOP_CANCELLED;
            break;
        }
        if (params->n_predict >= 0 && res.n_generated >= params->n_predict)
            continue; /* the limit, without evaluating a token nobody will use */
        if (ctx->n_past == ctx->n_ctx) {
            res.stop_reason = SM_STOP_CTX_FULL;
            break;
        }
        if ((st = sm_eval(ctx, &tok, 1)) != SM_OK)
            break;
    }
    /* Text held back for a stop sequence that never came is the model's output all the same;
     * after an error the caller still gets what was generated. */
    if (!ended_on_stop)
        sm_textout_flush(&text);
    if (res.decode_heap_counted) {
        int counted;
        uint64_t heap1 = heap_total(ctx->sched, &counted);
        res.decode_heap_bytes = heap1 - heap0;
    }
timed:
    res.generate_ms = t_gen > 0 ? now_ms() - t_gen : 0;
    if (res.prompt_ms == 0 && t_gen == 0)
        res.prompt_ms = now_ms() - t0;
done:
    res.n_bytes = text.n_emitted;
    sm_textout_fini(&text);
    free(piece);
    if (out)
        *out = res;
    return st;
}
