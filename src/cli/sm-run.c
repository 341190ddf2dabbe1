/* SPDX-License-Identifier: MIT */
/* sm-run: the command-line front end. stdout carries only what was asked for (help, version,
 * later generated text); every diagnostic goes to stderr. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/args.h"
#include "cli/perplexity.h"
#include "cli/topology.h"
#include "smallmind.h"

enum { SM_EXIT_OK = 0, SM_EXIT_ERROR = 1, SM_EXIT_USAGE = 2 };

/* A full disk or closed pipe must not pass silently as success (sm-run --help > /dev/full). */
static int finish_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("sm-run: error writing to standard output");
        return SM_EXIT_ERROR;
    }
    return SM_EXIT_OK;
}

/* The library says why a call failed through its log; errors and warnings go to stderr. */
static void log_to_stderr(void *user_data, sm_log_level level, const char *message)
{
    (void)user_data;
    if (level == SM_LOG_ERROR)
        fprintf(stderr, "sm-run: error: %s\n", message);
    else if (level == SM_LOG_WARN)
        fprintf(stderr, "sm-run: warning: %s\n", message);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

/* Loads the model, makes the workers and a context, and runs the asked-for job. */
static int run_model(const sm_cli_args *args)
{
    char err[1024] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = !args->no_mmap;
    mp.use_mlock = args->mlock;
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    double t0 = now_ms();
    sm_status st = sm_model_load(args->model, &mp, &m);
    if (st != SM_OK)
        return SM_EXIT_ERROR; /* the log callback printed err */
    fprintf(stderr,
            "sm-run: %s: %s, %" PRIu64 " parameters, %s, %d layers, n_embd %d, vocab %d, "
            "trained context %d; loaded in %.1f ms\n",
            args->model, sm_model_arch(m), sm_model_n_params(m), sm_model_weight_type(m),
            sm_model_n_layer(m), sm_model_n_embd(m), sm_model_n_vocab(m), sm_model_n_ctx_train(m),
            now_ms() - t0);

    int rc = SM_EXIT_ERROR;
    sm_sched *sched = NULL;
    sm_context *ctx = NULL;
    sm_sched_params sp;
    sm_sched_params_init(&sp);
    sp.n_threads = args->n_threads;
    sp.placement = args->placement;
    if ((st = sm_sched_create(&sp, &sched)) != SM_OK) {
        fprintf(stderr, "sm-run: cannot start the workers: %s\n", sm_strerror(st));
        goto out;
    }
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.sched = sched;
    cp.n_ctx = args->n_ctx;
    cp.kv_type = args->kv_type;
    cp.numa = args->numa;
    cp.logits_all = 1;
    int n_ctx = args->n_ctx ? args->n_ctx : sm_model_n_ctx_train(m);
    cp.n_batch = args->n_batch ? args->n_batch : (n_ctx < 512 ? n_ctx : 512);
    if (cp.n_batch > n_ctx)
        cp.n_batch = n_ctx;
    if ((st = sm_context_create(m, &cp, &ctx)) != SM_OK) {
        fprintf(stderr, "sm-run: cannot create a context of %d positions: %s\n", n_ctx,
                sm_strerror(st));
        goto out;
    }
    fprintf(stderr, "sm-run: %d workers; %s\n", sm_sched_n_workers(sched),
            sm_sched_topology_string(sched));
    rc = sm_cli_perplexity(args, m, ctx, (size_t)cp.n_batch) == 0 ? SM_EXIT_OK : SM_EXIT_ERROR;
    if (rc == SM_EXIT_OK)
        rc = finish_stdout();
out:
    sm_context_free(ctx);
    sm_sched_free(sched);
    sm_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    sm_cli_args args;
    char err[256];

    if (sm_cli_parse(argc, argv, &args, err, sizeof err) != SM_OK) {
        fprintf(stderr, "sm-run: %s\nTry 'sm-run --help' for more information.\n", err);
        return SM_EXIT_USAGE;
    }
    if (args.help) {
        sm_cli_print_help(stdout, "sm-run");
        return finish_stdout();
    }
    if (args.version) {
        printf("sm-run (SmallMind) %s\nlibsmallmind %s\n", SM_VERSION_STRING, sm_version_string());
        return finish_stdout();
    }
    sm_set_log(log_to_stderr, NULL);
    if (args.topology) {
        sm_status st = sm_cli_print_topology(&args, stdout);
        if (st != SM_OK) {
            fprintf(stderr, "sm-run: cannot make the placement plan: %s\n", sm_strerror(st));
            return SM_EXIT_ERROR;
        }
        return finish_stdout();
    }
    if (!args.model || !args.perplexity) {
        fprintf(stderr,
                "sm-run: nothing to do: %s\n"
                "Try 'sm-run --help' for more information.\n",
                args.model ? "text generation is not in this release; pass --perplexity -f FILE"
                           : "pass --model FILE --perplexity -f FILE, or --topology");
        return SM_EXIT_USAGE;
    }
    return run_model(&args);
}
