/* SPDX-License-Identifier: MIT */
/* perplexity.c: sm-run --perplexity: the text of a file, tokenized, scored in windows of n_ctx
 * tokens as llama.cpp's llama-perplexity does (each window from an empty cache, BOS first when
 * the model's tokenizer adds one, only the second half of each window scored so that every
 * scored token has at least n_ctx / 2 tokens of context). Two implementations that agree on the
 * model agree on this number to its last digits. */
#include "config.h"

#include "cli/perplexity.h"

#include "cli/readfile.h"
#include "cli/tokens.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int32_t *tokenize_all(const sm_model *m, const char *path, const char *text, size_t len,
                             size_t *n_out)
{
    int32_t *toks = NULL;
    sm_status st = sm_cli_tokenize(m, text, len, &toks, n_out);
    if (st != SM_OK)
        fprintf(stderr, "sm-run: %s: cannot tokenize: %s\n", path, sm_strerror(st));
    return toks;
}

/* -log softmax(logits)[target], in double. */
static double nll(const float *logits, size_t n_vocab, int32_t target)
{
    double mx = logits[0];
    for (size_t i = 1; i < n_vocab; i++)
        if (logits[i] > mx)
            mx = logits[i];
    double sum = 0;
    for (size_t i = 0; i < n_vocab; i++)
        sum += exp((double)logits[i] - mx);
    return log(sum) + mx - (double)logits[target];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sm_cli_perplexity(const sm_cli_args *args, sm_model *m, sm_context *ctx, size_t n_batch)
{
    size_t len = 0, n_tok = 0;
    char *text = sm_cli_read_file(args->file, &len);
    if (!text)
        return 1;
    int32_t *toks = tokenize_all(m, args->file, text, len, &n_tok);
    free(text);
    if (!toks)
        return 1;
    size_t n_ctx = (size_t)sm_context_n_ctx(ctx), n_vocab = (size_t)sm_model_n_vocab(m);
    size_t n_chunks = n_tok / n_ctx, first = n_ctx / 2;
    if (n_ctx < 4) {
        fprintf(stderr,
                "sm-run: --ctx-size %zu is too small for --perplexity: a window needs at "
                "least 4 tokens\n",
                n_ctx);
        free(toks);
        return 1;
    }
    if (n_chunks == 0) {
        fprintf(stderr,
                "sm-run: %s: %zu tokens, fewer than one window of %zu (use a smaller "
                "--ctx-size)\n",
                args->file, n_tok, n_ctx);
        free(toks);
        return 1;
    }
    int32_t bos = sm_model_token_bos(m);
    int add_bos = sm_model_add_bos(m) && bos >= 0;
    fprintf(stderr,
            "sm-run: perplexity over %zu tokens of %s: %zu windows of %zu, scoring %zu "
            "tokens each\n",
            n_tok, args->file, n_chunks, n_ctx, n_ctx - 1 - first);
    double sum = 0, sum2 = 0, t_eval = 0;
    size_t count = 0;
    int rc = 0;
    for (size_t c = 0; c < n_chunks && rc == 0; c++) {
        int32_t *w = toks + c * n_ctx;
        int32_t saved = w[0];
        if (add_bos)
            w[0] = bos;
        sm_context_reset(ctx);
        double t0 = now_s();
        /* The context keeps the logits of one call of at most n_batch tokens: score each
         * call's positions before the next. */
        for (size_t off = 0; off < n_ctx && rc == 0;) {
            size_t step = n_ctx - off < n_batch ? n_ctx - off : n_batch;
            sm_status st = sm_eval(ctx, w + off, (int)step);
            if (st != SM_OK) {
                fprintf(stderr, "sm-run: %s: evaluation failed: %s\n", args->file,
                        sm_context_errmsg(ctx));
                rc = 1;
                break;
            }
            for (size_t i = 0; i < step; i++) {
                size_t pos = off + i;
                if (pos < first || pos + 1 >= n_ctx)
                    continue;
                double v = nll(sm_get_logits(ctx, (int)i), n_vocab, w[pos + 1]);
                sum += v;
                sum2 += v * v;
                count++;
            }
            off += step;
        }
        t_eval += now_s() - t0;
        w[0] = saved;
        if (rc == 0 && count > 0)
            fprintf(stderr, "[%zu/%zu] %.4f\n", c + 1, n_chunks, exp(sum / (double)count));
    }
    free(toks);
    if (rc != 0)
        return rc;
    double mean = sum / (double)count;
    double var = count > 1 ? (sum2 / (double)count - mean * mean) / (double)(count - 1) : 0;
    double ppl = exp(mean);
    printf("perplexity: %.4f +/- %.4f (%zu tokens scored in %zu windows of %zu)\n", ppl,
           ppl * sqrt(var > 0 ? var : 0), count, n_chunks, n_ctx);
    fprintf(stderr, "sm-run: evaluated %zu tokens in %.3f s (%.1f tokens/s)\n", n_chunks * n_ctx,
            t_eval, (double)(n_chunks * n_ctx) / t_eval);
    return 0;
}
