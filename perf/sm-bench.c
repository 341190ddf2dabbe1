/* SPDX-License-Identifier: MIT */
/* sm-bench: tokens/s of models over thread counts and placements (llama-bench's shape), kernel
 * throughput (--kernels), and the comparison of two runs (--compare). Results on stdout; the
 * progress line and errors on stderr. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_args.h"
#include "bench_compare.h"
#include "bench_kernels.h"
#include "bench_model.h"
#include "bench_result.h"
#include "cli/exitcode.h"
#include "sm_version.h"
#include "smallmind.h"

/* Set by the SIGINT handler, polled between timed runs: Ctrl-C ends the run in progress, closes
 * the output (a JSON array stays valid) and exits 130. A handler can only talk to the program
 * through a volatile sig_atomic_t with static storage, hence this one global. */
static volatile sig_atomic_t sm_bench_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    sm_bench_interrupted = 1;
}

/* Forwards the library's log to stderr: warnings always, the rest with -v. Errors come back
 * as a status and a message, which sm-bench prints once, naming the model. */
static void log_to_stderr(void *user, sm_log_level level, const char *msg)
{
    const int *verbose = user;
    if (level == SM_LOG_WARN || *verbose)
        fprintf(stderr, "sm-bench: %s\n", msg);
}

static int run_models(const sm_bench_args *a)
{
    sm_bench_writer w = {.fmt = a->fmt,
                         .out = stdout,
                         .show_placement = a->n_placement > 1,
                         .show_numa = a->n_numa > 1,
                         .show_pin = a->n_pinning > 1};
    size_t steps = 0;
    for (int m = 0; m < a->n_models; m++) {
        sm_bench_test tests[3 * SM_BENCH_MAX_LIST];
        steps += (size_t)sm_bench_tests_for(a, a->models[m], tests,
                                            (int)(sizeof tests / sizeof tests[0]));
    }
    steps *=
        (size_t)a->n_threads * (size_t)a->n_placement * (size_t)a->n_pinning * (size_t)a->n_numa;
    sm_bench_progress progress;
    sm_bench_progress_init(&progress, steps, a->progress);
    if (sm_bench_writer_begin(&w) != 0) {
        fprintf(stderr, "sm-bench: cannot write the results\n");
        return SM_EXIT_RUNTIME;
    }
    /* --profile's reports are gathered and printed after the results, so that they do not
     * break the table; they follow it on stdout with markdown, else go to stderr so that CSV
     * and JSON stay parseable. */
    char *prof_text = NULL;
    size_t prof_len = 0;
    FILE *prof = a->profile ? open_memstream(&prof_text, &prof_len) : NULL;
    if (a->profile && !prof) {
        fprintf(stderr, "sm-bench: out of memory for the profile\n");
        return SM_EXIT_RUNTIME;
    }
    int rc = SM_EXIT_OK;
    for (int m = 0; m < a->n_models && rc == SM_EXIT_OK; m++)
        rc = sm_bench_run_model(a, m, &w, &progress, prof, &sm_bench_interrupted);
    if (rc == SM_EXIT_INTERRUPTED)
        fprintf(stderr, "sm-bench: interrupted; the finished tests are above\n");
    /* Close what was written even after a failure, so that the rows already measured stay
     * readable (a JSON array stays an array). */
    if (sm_bench_writer_end(&w) != 0 && rc == SM_EXIT_OK) {
        fprintf(stderr, "sm-bench: cannot write the results\n");
        rc = SM_EXIT_RUNTIME;
    }
    if (prof) {
        fclose(prof);
        FILE *to = a->fmt == SM_BENCH_MD ? stdout : stderr;
        fwrite(prof_text, 1, prof_len, to);
        if (fflush(to) != 0 && rc == SM_EXIT_OK) {
            fprintf(stderr, "sm-bench: cannot write the profile\n");
            rc = SM_EXIT_RUNTIME;
        }
        free(prof_text);
    }
    return rc;
}

int main(int argc, char **argv)
{
    sm_bench_args a;
    char err[512];
    if (sm_bench_parse(argc, argv, &a, err, sizeof err) != SM_OK) {
        fprintf(stderr, "sm-bench: %s\n", err);
        return SM_EXIT_USAGE;
    }
    if (a.help) {
        sm_bench_print_help(stdout, "sm-bench");
        return fflush(stdout) == 0 ? SM_EXIT_OK : SM_EXIT_RUNTIME;
    }
    if (a.version) {
        printf("sm-bench (SmallMind) %s\nlibsmallmind %s\nkernels %s\n", SM_VERSION_STRING,
               sm_version_string(), sm_kernels_isa());
        return fflush(stdout) == 0 ? SM_EXIT_OK : SM_EXIT_RUNTIME;
    }
    /* A closed pipe (sm-bench | head) is a write error to report, not a signal to die of. */
    signal(SIGPIPE, SIG_IGN);
    if (a.compare_base) {
        sm_bench_compare_opts co = {.base_path = a.compare_base,
                                    .new_path = a.compare_new,
                                    .fail_pct = a.fail_pct,
                                    .fmt = a.fmt,
                                    .out = stdout};
        int rc = sm_bench_compare(&co, err, sizeof err);
        if (rc == SM_EXIT_RUNTIME)
            fprintf(stderr, "sm-bench: %s\n", err);
        return rc;
    }
    sm_set_log(log_to_stderr, &a.verbose);
    if (a.kernels) {
        /* -t 0 (the default) is one worker per physical core, as for models: ask a default
         * scheduler how many that is. */
        for (int i = 0; i < a.n_threads; i++) {
            sm_sched *s = NULL;
            if (a.threads[i] == 0 && sm_sched_create(NULL, &s) == SM_OK) {
                a.threads[i] = sm_sched_n_workers(s);
                sm_sched_free(s);
            }
        }
        sm_bench_kernels_opts ko = {.threads = a.threads,
                                    .n_threads = (size_t)a.n_threads,
                                    .reps = a.reps,
                                    .quick = a.quick,
                                    .only = a.only,
                                    .type = a.type,
                                    .table = a.table,
                                    .fmt = a.fmt,
                                    .out = stdout,
                                    .progress = a.progress};
        int rc = sm_bench_kernels_run(&ko, err, sizeof err);
        if (rc == 2)
            fprintf(stderr, "sm-bench: %s\n", err);
        return rc;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND | SA_RESTART; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    return run_models(&a);
}
