/* SPDX-License-Identifier: MIT */
/* sm-run: the command-line front end. stdout carries only what was asked for (the generated
 * text, help, version, a perplexity, a plan); every diagnostic goes to stderr. Exit statuses
 * are in cli/exitcode.h and sm-run(1). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/builtin.h"
#include "cli/exitcode.h"
#include "cli/gen.h"
#include "cli/perplexity.h"
#include "cli/report.h"
#include "cli/topology.h"
#include "smallmind.h"

/* The model sm-run runs when no --model is given, and the prompt it starts from. */
#define SM_RUN_BUILTIN        "medium"
#define SM_RUN_BUILTIN_PROMPT "Once upon a time"

/* Set by the SIGINT handler, read between tokens. A signal handler can only talk to the
 * program through a global of this type. */
static volatile sig_atomic_t sm_run_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    sm_run_interrupted = 1;
}

/* The first Ctrl-C asks generation to stop (timings are still printed); SA_RESETHAND makes a
 * second one kill the process as usual, in case something does not stop. Caught from the
 * start, so a Ctrl-C during the load stops generation before its first token; SA_RESTART
 * keeps it from failing a read in progress (a prompt from a slow pipe). */
static void catch_sigint(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

/* A full disk or closed pipe must not pass silently as success (sm-run --help > /dev/full). */
static int finish_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sm-run: error writing to standard output: %s\n", strerror(errno));
        return rc == SM_EXIT_OK ? SM_EXIT_RUNTIME : rc;
    }
    return rc;
}

typedef struct log_ctx {
    int verbose;
} log_ctx;

/* The library says why a call failed through its log: errors and warnings always reach
 * stderr, its information lines only with --verbose. */
static void log_to_stderr(void *user_data, sm_log_level level, const char *message)
{
    const log_ctx *lc = user_data;
    if (level == SM_LOG_ERROR)
        fprintf(stderr, "sm-run: error: %s\n", message);
    else if (level == SM_LOG_WARN)
        fprintf(stderr, "sm-run: warning: %s\n", message);
    else if (lc->verbose)
        fprintf(stderr, "sm-run: %s\n", message);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static const char *numa_name(sm_numa_policy p)
{
    return p == SM_NUMA_INTERLEAVE ? "interleave" : p == SM_NUMA_REPLICATE ? "replicate" : "none";
}

/* The file, or the built-in model when there is none. Exit status on failure. */
static int load_model(const sm_cli_args *a, sm_model **m, sm_cli_report *r)
{
    char err[1024] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = !a->no_mmap;
    mp.use_mlock = a->mlock;
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    double t0 = now_ms();
    sm_status st;
    if (a->model) {
        r->model = a->model;
        st = sm_model_load(a->model, &mp, m);
    } else {
        r->model = "builtin:" SM_RUN_BUILTIN;
        fprintf(stderr,
                "sm-run: no --model given: running the built-in model '%s' (GPT-2 architecture, "
                "one token per byte); its weights are synthetic, so its text is noise\n",
                SM_RUN_BUILTIN);
        st = sm_cli_builtin_load(SM_RUN_BUILTIN, &mp, m, err, sizeof err);
        if (st != SM_OK)
            fprintf(stderr, "sm-run: error: %s\n", err);
    }
    r->load_ms = now_ms() - t0;
    /* a failed sm_model_load already logged err through log_to_stderr */
    return st == SM_OK ? SM_EXIT_OK : SM_EXIT_MODEL;
}

/* -b, or min(512, the context), and never more than the context. */
static int batch_size(const sm_cli_args *a, const sm_model *m)
{
    int n_ctx = a->n_ctx ? a->n_ctx : sm_model_n_ctx_train(m);
    int n = a->n_batch ? a->n_batch : 512;
    return n < n_ctx ? n : n_ctx;
}

static int make_context(const sm_cli_args *a, sm_model *m, sm_sched **sched, sm_context **ctx,
                        sm_cli_report *r)
{
    sm_sched_params sp;
    sm_sched_params_init(&sp);
    sp.n_threads = a->n_threads;
    sp.placement = a->placement;
    sm_status st = sm_sched_create(&sp, sched);
    if (st != SM_OK) {
        fprintf(stderr, "sm-run: cannot start %d workers: %s\n", a->n_threads, sm_strerror(st));
        return SM_EXIT_RUNTIME;
    }
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.sched = *sched;
    cp.n_ctx = a->n_ctx;
    cp.kv_type = a->kv_type;
    cp.numa = a->numa;
    /* --perplexity scores every position of a window; generation needs the last only */
    cp.logits_all = a->perplexity;
    int n_ctx = a->n_ctx ? a->n_ctx : sm_model_n_ctx_train(m);
    cp.n_batch = batch_size(a, m);
    if ((st = sm_context_create(m, &cp, ctx)) != SM_OK) {
        fprintf(stderr, "sm-run: cannot create a context of %d positions: %s\n", n_ctx,
                sm_strerror(st));
        /* SM_E_INVAL: an option the model cannot take (--ctx-size beyond its training) */
        return st == SM_E_INVAL ? SM_EXIT_USAGE : SM_EXIT_RUNTIME;
    }
    r->arch = sm_model_arch(m);
    r->weight_type = sm_model_weight_type(m);
    r->n_params = sm_model_n_params(m);
    r->size_bytes = sm_model_size_bytes(m);
    r->n_threads = sm_sched_n_workers(*sched);
    r->placement = a->placement == SM_PLACEMENT_SPREAD ? "spread" : "compact";
    r->numa = numa_name(a->numa);
    r->isa = sm_kernels_isa();
    r->topology = sm_sched_topology_string(*sched);
    r->n_ctx = sm_context_n_ctx(*ctx);
    return SM_EXIT_OK;
}

/* --timings-json FILE, or "-" for stdout after the text (on a line of its own). */
static int write_json(const sm_cli_args *a, const sm_cli_report *r)
{
    if (strcmp(a->timings_json, "-") == 0) {
        if (r->text_open_line)
            fputc('\n', stdout);
        return sm_cli_report_json(r, stdout) == 0 ? SM_EXIT_OK : SM_EXIT_RUNTIME;
    }
    FILE *f = fopen(a->timings_json, "w");
    if (!f) {
        fprintf(stderr, "sm-run: --timings-json %s: %s\n", a->timings_json, strerror(errno));
        return SM_EXIT_RUNTIME;
    }
    int bad = sm_cli_report_json(r, f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "sm-run: --timings-json %s: write failed\n", a->timings_json);
        return SM_EXIT_RUNTIME;
    }
    return SM_EXIT_OK;
}

static int run_model(const sm_cli_args *a)
{
    sm_cli_report r = {0};
    sm_model *m = NULL;
    sm_sched *sched = NULL;
    sm_context *ctx = NULL;
    if (!a->perplexity)
        catch_sigint();
    int rc = load_model(a, &m, &r);
    if (rc != SM_EXIT_OK)
        return rc;
    if ((rc = make_context(a, m, &sched, &ctx, &r)) != SM_EXIT_OK)
        goto out;
    sm_cli_report_banner(&r, stderr);
    if (a->verbose)
        sm_cli_print_plan(sched, a->placement, stderr);
    if (a->perplexity) {
        rc = sm_cli_perplexity(a, m, ctx, (size_t)batch_size(a, m)) == 0 ? SM_EXIT_OK
                                                                         : SM_EXIT_RUNTIME;
        goto out;
    }
    rc = sm_cli_generate(a, m, ctx, a->model ? NULL : SM_RUN_BUILTIN_PROMPT, &sm_run_interrupted,
                         &r);
    if (rc == SM_EXIT_OK || rc == SM_EXIT_INTERRUPTED) {
        sm_cli_report_collect(&r, sched, ctx);
        sm_cli_report_timings(&r, stderr);
        if (a->timings_json) {
            int jrc = write_json(a, &r);
            if (rc == SM_EXIT_OK)
                rc = jrc;
        }
    }
out:
    sm_context_free(ctx);
    sm_sched_free(sched);
    sm_model_free(m);
    return finish_stdout(rc);
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
        return finish_stdout(SM_EXIT_OK);
    }
    if (args.version) {
        printf("sm-run (SmallMind) %s\nlibsmallmind %s\n", SM_VERSION_STRING, sm_version_string());
        return finish_stdout(SM_EXIT_OK);
    }
    log_ctx lc = {.verbose = args.verbose};
    sm_set_log(log_to_stderr, &lc);
    if (args.topology) {
        sm_status st = sm_cli_print_topology(&args, stdout);
        if (st != SM_OK) {
            fprintf(stderr, "sm-run: cannot make the placement plan: %s\n", sm_strerror(st));
            return SM_EXIT_RUNTIME;
        }
        return finish_stdout(SM_EXIT_OK);
    }
    return run_model(&args);
}
