/* SPDX-License-Identifier: MIT */
/* gen.c: sm-run's text generation (see gen.h). */
#include "config.h"

#include "cli/gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/escape.h"
#include "cli/exitcode.h"
#include "cli/readfile.h"
#include "cli/tokens.h"

typedef struct gen_io {
    const volatile sig_atomic_t *interrupted;
    int write_errno; /* nonzero once writing stdout failed */
    char last;       /* the last byte written */
} gen_io;

/* stdout carries the text alone, flushed per piece so a pipe reader sees each token as it
 * comes; a failed write (closed pipe, full disk) stops generation. */
static int on_piece(void *user_data, const char *text, size_t len)
{
    gen_io *io = user_data;
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        io->write_errno = errno ? errno : EIO;
        return 1;
    }
    io->last = text[len - 1];
    return *io->interrupted != 0;
}

static int should_stop(void *user_data)
{
    const gen_io *io = user_data;
    return *io->interrupted != 0;
}

/* A seed nobody chose: different per run, printed so the run can be repeated. */
static uint64_t fresh_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x =
        (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    x ^= x >> 31;
    return x & INT64_MAX; /* so that --seed can take it back */
}

/* The prompt's text (malloc'd, *len bytes), or NULL after printing why. */
static char *prompt_text(const sm_cli_args *a, const char *default_prompt, size_t *len)
{
    if (a->file)
        return sm_cli_read_file(a->file, len); /* a file is taken as it is: no escapes */
    const char *src = a->prompt ? a->prompt : default_prompt ? default_prompt : "";
    char *text = strdup(src);
    if (!text) {
        fprintf(stderr, "sm-run: out of memory\n");
        return NULL;
    }
    *len = a->prompt && a->escape ? sm_cli_unescape(text) : strlen(text);
    return text;
}

static int32_t *tokenize(const sm_model *m, const char *text, size_t len, size_t *n)
{
    int32_t *toks = NULL;
    sm_status st = sm_cli_tokenize(m, text, len, &toks, n);
    if (st != SM_OK)
        fprintf(stderr, "sm-run: cannot tokenize the prompt: %s\n", sm_strerror(st));
    return toks;
}

static sm_sampler *make_sampler(const sm_cli_args *a, const sm_model *m, int n_ctx, uint64_t seed)
{
    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    sp.seed = seed;
    sp.temperature = a->temp;
    sp.top_k = a->top_k;
    sp.top_p = a->top_p;
    sp.min_p = a->min_p;
    sp.repeat_penalty = a->repeat_penalty;
    sp.repeat_last_n = a->repeat_last_n < 0 ? n_ctx : a->repeat_last_n;
    sm_sampler *s = NULL;
    sm_status st = sm_sampler_create(&sp, sm_model_n_vocab(m), &s);
    if (st != SM_OK)
        fprintf(stderr, "sm-run: cannot make the sampler: %s\n", sm_strerror(st));
    return s;
}

int sm_cli_generate(const sm_cli_args *a, sm_model *m, sm_context *ctx, const char *default_prompt,
                    const volatile sig_atomic_t *interrupted, sm_cli_report *r)
{
    int rc = SM_EXIT_RUNTIME;
    size_t len = 0, n_prompt = 0;
    char *stops[SM_CLI_MAX_STOP] = {0};
    int32_t *toks = NULL;
    sm_sampler *smp = NULL;
    char *text = prompt_text(a, default_prompt, &len);
    if (!text)
        goto out;
    if (!(toks = tokenize(m, text, len, &n_prompt)))
        goto out;
    if (n_prompt == 0) {
        fprintf(stderr,
                "sm-run: the model has no BOS token to start from: give a prompt with -p or -f\n");
        rc = SM_EXIT_USAGE;
        goto out;
    }
    int n_ctx = sm_context_n_ctx(ctx);
    if (n_prompt > (size_t)n_ctx) {
        fprintf(stderr,
                "sm-run: the prompt is %zu tokens, longer than the context of %d (raise "
                "--ctx-size; the model was trained with %d)\n",
                n_prompt, n_ctx, sm_model_n_ctx_train(m));
        goto out;
    }
    r->seed = a->seed >= 0 ? (uint64_t)a->seed : fresh_seed();
    fprintf(stderr,
            "sm-run: sampler seed %" PRIu64 ", temp %.3f, top_k %d, top_p %.3f, min_p %.3f, "
            "repeat_penalty %.3f, repeat_last_n %d; prompt %zu tokens\n",
            r->seed, (double)a->temp, a->top_k, (double)a->top_p, (double)a->min_p,
            (double)a->repeat_penalty, a->repeat_last_n, n_prompt);
    if (!(smp = make_sampler(a, m, n_ctx, r->seed)))
        goto out;
    for (int i = 0; i < a->n_stop; i++) {
        if (!(stops[i] = strdup(a->stop[i]))) {
            fprintf(stderr, "sm-run: out of memory\n");
            goto out;
        }
        size_t n = a->escape ? sm_cli_unescape(stops[i]) : strlen(stops[i]);
        if (n == 0 || strlen(stops[i]) != n) {
            fprintf(stderr, "sm-run: --stop '%s': %s after its escapes\n", a->stop[i],
                    n ? "a NUL byte" : "empty");
            rc = SM_EXIT_USAGE;
            goto out;
        }
    }
    gen_io io = {.interrupted = interrupted};
    sm_generate_params gp;
    sm_generate_params_init(&gp);
    gp.n_predict = a->n_predict < 0 ? -1 : a->n_predict;
    gp.stop = (const char *const *)stops;
    gp.n_stop = a->n_stop;
    gp.on_piece = on_piece;
    gp.should_stop = should_stop;
    gp.user_data = &io;
    sm_status st = sm_generate(ctx, smp, toks, (int)n_prompt, &gp, &r->gen);
    r->interrupted = *interrupted != 0;
    r->text_open_line = r->gen.n_bytes > 0 && io.last != '\n';
    if (io.write_errno) {
        fprintf(stderr, "sm-run: error writing to standard output: %s\n", strerror(io.write_errno));
    } else if (st != SM_OK) {
        fprintf(stderr, "sm-run: generation failed: %s\n", sm_context_errmsg(ctx));
    } else {
        rc = r->interrupted ? SM_EXIT_INTERRUPTED : SM_EXIT_OK;
    }
out:
    for (int i = 0; i < a->n_stop; i++)
        free(stops[i]);
    sm_sampler_free(smp);
    free(toks);
    free(text);
    return rc;
}
