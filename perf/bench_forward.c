/* SPDX-License-Identifier: MIT */
/* bench_forward.c: model-level speed through the public API only: load time, peak RSS, prompt
 * processing (one sm_eval of P tokens) and generation (G single-token sm_eval calls) in tokens/s
 * for a list of thread counts, medians of R repetitions. Token ids are a fixed pseudo-random
 * trace, so runs compare like with like; tokenization and sampling are not timed. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "smallmind.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_forward -m MODEL [-t 1,2] [-p PROMPT_TOKENS] [-n GEN_TOKENS] "
                    "[-r REPS] [--no-mmap]\n");
}

int main(int argc, char **argv)
{
    const char *model = NULL, *threads = "1,2";
    int n_prompt = 128, n_gen = 64, reps = 5, use_mmap = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-mmap")) {
            use_mmap = 0;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "-m"))
            model = v;
        else if (!strcmp(a, "-t"))
            threads = v;
        else if (!strcmp(a, "-p"))
            n_prompt = atoi(v);
        else if (!strcmp(a, "-n"))
            n_gen = atoi(v);
        else if (!strcmp(a, "-r"))
            reps = atoi(v);
        else {
            usage();
            return 2;
        }
        i++;
    }
    if (!model || n_prompt < 1 || n_gen < 1 || reps < 1 || reps > 100) {
        usage();
        return 2;
    }
    char err[1024];
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = use_mmap;
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_model *m = NULL;
    double t0 = now_s();
    if (sm_model_load(model, &mp, &m) != SM_OK) {
        fprintf(stderr, "bench_forward: %s\n", err);
        return 1;
    }
    double load_ms = 1e3 * (now_s() - t0);
    long rss_load = peak_rss_kib();
    int n_vocab = sm_model_n_vocab(m);
    if (n_prompt + n_gen > sm_model_n_ctx_train(m)) {
        fprintf(stderr, "bench_forward: %d + %d tokens exceed the model's context %d\n", n_prompt,
                n_gen, sm_model_n_ctx_train(m));
        return 2;
    }
    int32_t *toks = malloc((size_t)(n_prompt + n_gen) * sizeof *toks);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < n_prompt + n_gen; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        toks[i] = (int32_t)(x % (uint64_t)n_vocab);
    }
    printf("model: %s (%s, %llu parameters, %s, %.1f MiB)\n", model, sm_model_arch(m),
           (unsigned long long)sm_model_n_params(m), sm_model_weight_type(m),
           (double)sm_model_size_bytes(m) / (1 << 20));
    printf("load: %.1f ms (%s), peak RSS after load %.1f MiB\n", load_ms,
           use_mmap ? "mmap" : "read", (double)rss_load / 1024);
    printf("| threads | pp%d tok/s | tg%d tok/s |\n|---:|---:|---:|\n", n_prompt, n_gen);
    char *list = strdup(threads);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        sm_sched_params sp;
        sm_sched_params_init(&sp);
        sp.n_threads = atoi(tok);
        sm_sched *s = NULL;
        if (sm_sched_create(&sp, &s) != SM_OK) {
            fprintf(stderr, "bench_forward: cannot create %s workers\n", tok);
            return 1;
        }
        sm_context_params cp;
        sm_context_params_init(&cp);
        cp.sched = s;
        cp.n_ctx = n_prompt + n_gen;
        sm_context *c = NULL;
        if (sm_context_create(m, &cp, &c) != SM_OK) {
            fprintf(stderr, "bench_forward: cannot create a context\n");
            return 1;
        }
        double pp[100], tg[100];
        for (int r = -1; r < reps; r++) { /* r = -1: warm-up, not counted */
            sm_context_reset(c);
            double a = now_s();
            if (sm_eval(c, toks, n_prompt) != SM_OK)
                return 1;
            double b = now_s();
            for (int g = 0; g < n_gen; g++)
                if (sm_eval(c, &toks[n_prompt + g], 1) != SM_OK)
                    return 1;
            double e = now_s();
            if (r >= 0) {
                pp[r] = n_prompt / (b - a);
                tg[r] = n_gen / (e - b);
            }
        }
        printf("| %d | %.1f | %.1f |\n", sm_sched_n_workers(s), median(pp, reps), median(tg, reps));
        fflush(stdout);
        sm_context_free(c);
        sm_sched_free(s);
    }
    printf("peak RSS: %.1f MiB\n", (double)peak_rss_kib() / 1024);
    free(list);
    free(toks);
    sm_model_free(m);
    return 0;
}
