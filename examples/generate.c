/* SPDX-License-Identifier: MIT */
/* generate.c: the example program of libsmallmind(3). It continues a
 * prompt with a GGUF model and prints the text as it comes, with the
 * public API only. Build and run:
 *
 *   cc generate.c $(pkg-config --cflags --libs smallmind) -o generate
 *   ./generate MODEL [PROMPT [N_PREDICT [SEED]]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smallmind.h>

/* The library never prints: errors come back as status codes, and the
 * details (the file, key or value at fault) and warnings go to the log
 * sink the program installs. */
static void log_line(void *user_data, sm_log_level level,
                     const char *message)
{
    (void)user_data;
    if (level <= SM_LOG_WARN)
        fprintf(stderr, "smallmind: %s\n", message);
}

/* Receives the text of each generated token; nonzero would stop
 * generation. */
static int print_piece(void *user_data, const char *text, size_t len)
{
    (void)user_data;
    return fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: %s MODEL [PROMPT [N_PREDICT [SEED]]]\n",
                argv[0]);
        return 2;
    }
    const char *prompt = argc > 2 ? argv[2] : "Once upon a time";
    int n_predict = argc > 3 ? atoi(argv[3]) : 32;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;

    /* A shared library of another ABI than the header's would misread
     * every struct. */
    if ((sm_version() >> 16) != SM_VERSION_MAJOR) {
        fprintf(stderr, "libsmallmind %s loaded, built for %s\n",
                sm_version_string(), SM_VERSION_STRING);
        return 1;
    }
    sm_set_log(log_line, NULL);

    sm_model *model = NULL;
    sm_sampler *sampler = NULL;
    sm_context *ctx = NULL;
    int32_t *tokens = NULL;
    size_t n_tokens = 0;
    int rc = 1;

    sm_status st = sm_model_load(argv[1], NULL, &model);
    if (st != SM_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], sm_strerror(st));
        goto out;
    }

    /* Ask for the count first (no room: SM_E_RANGE), then tokenize into
     * a buffer that fits. */
    st = sm_tokenize(model, prompt, strlen(prompt),
                     sm_model_add_bos(model), NULL, 0, &n_tokens);
    if (st == SM_E_RANGE) {
        tokens = malloc(n_tokens * sizeof *tokens);
        st = tokens ? sm_tokenize(model, prompt, strlen(prompt),
                                  sm_model_add_bos(model), tokens,
                                  n_tokens, &n_tokens)
                    : SM_E_NOMEM;
    }
    if (st != SM_OK) {
        fprintf(stderr, "tokenize: %s\n", sm_strerror(st));
        goto out;
    }

    sm_sampler_params sp;
    sm_sampler_params_init(&sp);
    sp.seed = seed;
    st = sm_sampler_create(&sp, sm_model_n_vocab(model), &sampler);
    if (st != SM_OK) {
        fprintf(stderr, "sampler: %s\n", sm_strerror(st));
        goto out;
    }

    /* Defaults: the model's context length, and a scheduler of one
     * worker per core. */
    st = sm_context_create(model, NULL, &ctx);
    if (st != SM_OK) {
        fprintf(stderr, "context: %s\n", sm_strerror(st));
        goto out;
    }

    sm_generate_params gp;
    sm_generate_params_init(&gp);
    gp.n_predict = n_predict;
    gp.on_piece = print_piece;
    sm_generate_result res;
    st = sm_generate(ctx, sampler, tokens, (int)n_tokens, &gp, &res);
    if (st != SM_OK) {
        fprintf(stderr, "generate: %s\n", sm_context_errmsg(ctx));
        goto out;
    }
    static const char *const why[] = {"limit", "end of sequence",
                                      "stop sequence", "context full",
                                      "cancelled"};
    fprintf(stderr, "\n%d prompt tokens, %d generated in %.1f ms, ",
            res.n_prompt, res.n_generated, res.generate_ms);
    size_t r = (size_t)res.stop_reason;
    fprintf(stderr, "stopped by %s\n",
            r < sizeof why / sizeof *why ? why[r] : "a newer reason");
    rc = 0;
out:
    /* Freeing NULL is a no-op, so one exit path serves every failure.
     * The context holds a reference to the model: either may be freed
     * first. */
    sm_context_free(ctx);
    sm_sampler_free(sampler);
    sm_model_free(model);
    free(tokens);
    return rc;
}
