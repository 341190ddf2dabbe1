/* SPDX-License-Identifier: MIT */
/* bench_model.c: sm-bench's model runs (bench_model.h). Each test runs on a fresh KV cache
 * (llama-bench's tg starts at position 0 too), with a fixed pseudo-random token trace, so runs
 * of one build and of two builds see identical work. Only sm_eval calls are timed. */
#include "config.h"

#include "bench_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/builtin.h"
#include "cli/exitcode.h"
#include "cli/profile_report.h"

#define BUILTIN_PREFIX "builtin:"

static int is_builtin(const char *model)
{
    return strncmp(model, BUILTIN_PREFIX, strlen(BUILTIN_PREFIX)) == 0;
}

int sm_bench_tests_for(const sm_bench_args *a, const char *model, sm_bench_test *out, int cap)
{
    int n = 0;
    if (!a->tests_given) {
        /* The seed profiler's workload on built-ins (a 10-token prompt, 25 generated);
         * llama-bench's defaults on files. */
        static const sm_bench_test builtin[] = {{10, 0}, {0, 25}, {10, 25}};
        static const sm_bench_test file[] = {{512, 0}, {0, 128}};
        const sm_bench_test *d = is_builtin(model) ? builtin : file;
        int nd = is_builtin(model) ? 3 : 2;
        for (int i = 0; i < nd && n < cap; i++)
            out[n++] = d[i];
        return n;
    }
    for (int i = 0; i < a->n_n_prompt && n < cap; i++)
        out[n++] = (sm_bench_test){a->n_prompt[i], 0};
    for (int i = 0; i < a->n_n_gen && n < cap; i++)
        out[n++] = (sm_bench_test){0, a->n_gen[i]};
    for (int i = 0; i < a->n_pg && n < cap; i++)
        out[n++] = (sm_bench_test){a->pg[i].n_prompt, a->pg[i].n_gen};
    return n;
}

static void test_name(const sm_bench_test *t, char *buf, size_t n)
{
    if (t->n_gen == 0)
        snprintf(buf, n, "pp%d", t->n_prompt);
    else if (t->n_prompt == 0)
        snprintf(buf, n, "tg%d", t->n_gen);
    else
        snprintf(buf, n, "pp%d+tg%d", t->n_prompt, t->n_gen);
}

static const char *placement_name(sm_placement p)
{
    return p == SM_PLACEMENT_SPREAD ? "spread" : "compact";
}

static const char *numa_name(sm_numa_policy p)
{
    return p == SM_NUMA_INTERLEAVE ? "interleave" : p == SM_NUMA_REPLICATE ? "replicate" : "none";
}

static const char *pin_name(sm_pinning p)
{
    return p == SM_PINNING_OFF ? "off" : p == SM_PINNING_STRICT ? "strict" : "on";
}

static uint64_t peak_rss(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024u : 0;
}

/* "gpt2 3.3M F32": llama-bench's model_type is the architecture, a size label and the type. */
static void model_type(const sm_model *m, char *buf, size_t n)
{
    double p = (double)sm_model_n_params(m);
    const char *unit = p >= 1e9 ? "B" : p >= 1e6 ? "M" : "K";
    double v = p >= 1e9 ? p * 1e-9 : p >= 1e6 ? p * 1e-6 : p * 1e-3;
    snprintf(buf, n, "%s %.*f%s %s", sm_model_arch(m), v < 10 ? 1 : 0, v, unit,
             sm_model_weight_type(m));
}

static int load(const sm_bench_args *a, const char *name, sm_model **m)
{
    char err[1024] = "";
    sm_model_params mp;
    sm_model_params_init(&mp);
    mp.use_mmap = !a->no_mmap;
    mp.errbuf = err;
    mp.errbuf_len = sizeof err;
    sm_status st = is_builtin(name)
                       ? sm_cli_builtin_load(name + strlen(BUILTIN_PREFIX), &mp, m, err, sizeof err)
                       : sm_model_load(name, &mp, m);
    if (st != SM_OK) {
        fprintf(stderr, "sm-bench: %s: %s\n", name, err[0] ? err : sm_strerror(st));
        return SM_EXIT_MODEL;
    }
    return SM_EXIT_OK;
}

/* Sums of the counters over the workers, to difference across the timed runs. */
typedef struct counters {
    uint64_t heap, steals_local, steals_remote;
    int heap_counted;
} counters;

static counters read_counters(const sm_sched *s)
{
    counters c = {0, 0, 0, 1};
    for (int w = 0; w < sm_sched_n_workers(s); w++) {
        sm_worker_stats ws;
        sm_alloc_stats as;
        if (sm_sched_stats(s, w, &ws) == SM_OK) {
            c.steals_local += ws.steals_local;
            c.steals_remote += ws.steals_remote;
        }
        if (sm_sched_alloc_stats(s, w, &as) == SM_OK) {
            c.heap += as.heap_allocated_bytes;
            c.heap_counted &= as.heap_counted;
        } else {
            c.heap_counted = 0;
        }
    }
    return c;
}

/* What one (model, configuration) shares: the model, its scheduler, its context. */
typedef struct run_env {
    const sm_bench_args *a;
    const char *name;
    sm_model *m;
    sm_sched *s;
    sm_context *c;
    const int32_t *trace;
    sm_bench_result proto; /* the fields every test of this configuration shares */
    sm_bench_writer *w;
    sm_bench_progress *progress;
    const volatile sig_atomic_t *interrupted;
    /* --profile: the report's destination, the sampler whose cost it reports (sampling runs
     * only when profiling, outside the timed part), and what sampling took. */
    FILE *profile_out;
    sm_sampler *sampler;
    uint64_t sample_ns, sample_calls;
} run_env;

/* One run of @p t on an empty cache: its wall time in ns, or -1 when sm_eval failed. With
 * --profile, each generated token is also sampled, as a real decode would, and the sampling's
 * time is taken out of the run's (it is reported apart). */
static double run_once(run_env *e, const sm_bench_test *t)
{
    sm_context *c = e->c;
    uint64_t sampling = 0;
    sm_context_reset(c);
    uint64_t t0 = sm_bench_now_ns();
    if (t->n_prompt > 0 && sm_eval(c, e->trace, t->n_prompt) != SM_OK)
        return -1;
    for (int g = 0; g < t->n_gen; g++) {
        if (sm_eval(c, &e->trace[t->n_prompt + g], 1) != SM_OK)
            return -1;
        if (e->sampler) {
            uint64_t s0 = sm_bench_now_ns();
            int32_t tok;
            sm_sample(e->sampler, sm_get_logits(c, -1), sm_model_n_vocab(e->m), &tok);
            sampling += sm_bench_now_ns() - s0;
            e->sample_calls++;
        }
    }
    e->sample_ns += sampling;
    return (double)(sm_bench_now_ns() - t0 - sampling);
}

/* --profile's report of one test's timed runs: a heading naming the test and configuration,
 * then the tables of sm_cli_profile_print. Returns 0, or -1 when out of memory. */
static int print_profile(run_env *e, const sm_bench_result *r)
{
    size_t n = sm_context_profile(e->c, NULL, 0);
    sm_profile_entry *entries = malloc((n ? n : 1) * sizeof *entries);
    if (!entries) {
        fprintf(stderr, "sm-bench: out of memory for the profile\n");
        return -1;
    }
    n = sm_context_profile(e->c, entries, n);
    double wall = 0;
    for (int i = 0; i < r->n_samples; i++)
        wall += r->samples_ns[i];
    fprintf(e->profile_out,
            "\n## Profile: %s, %s, %d thread%s, placement %s, pin %s, numa %s (%d timed runs)\n\n",
            e->name, r->test, r->n_threads, r->n_threads == 1 ? "" : "s", r->placement, r->pinning,
            r->numa, r->n_samples);
    sm_cli_profile_print(e->profile_out, entries, n, e->sample_ns, e->sample_calls,
                         (uint64_t)wall + e->sample_ns);
    free(entries);
    return 0;
}

static int run_test(run_env *e, const sm_bench_test *t)
{
    const sm_bench_args *a = e->a;
    sm_bench_result r = e->proto;
    double samples[SM_BENCH_MAX_REPS];
    test_name(t, r.test, sizeof r.test);
    r.n_prompt = t->n_prompt;
    r.n_gen = t->n_gen;
    time_t now = time(NULL);
    strftime(r.test_time, sizeof r.test_time, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char what[160];
    snprintf(what, sizeof what, "%s %s t=%d %s", e->name, r.test, r.n_threads, r.placement);
    sm_bench_progress_show(e->progress, what);
    if (a->warmup && run_once(e, t) < 0)
        goto eval_failed;
    if (e->profile_out) {
        sm_context_profile_reset(e->c);
        e->sample_ns = e->sample_calls = 0;
    }
    counters before = read_counters(e->s);
    for (int i = 0; i < a->reps; i++) {
        if (*e->interrupted) {
            sm_bench_progress_clear(e->progress);
            return SM_EXIT_INTERRUPTED;
        }
        snprintf(what, sizeof what, "%s %s t=%d %s: run %d/%d", e->name, r.test, r.n_threads,
                 r.placement, i + 1, a->reps);
        sm_bench_progress_show(e->progress, what);
        if ((samples[i] = run_once(e, t)) < 0)
            goto eval_failed;
    }
    counters after = read_counters(e->s);
    double tokens = (double)a->reps * (t->n_prompt + t->n_gen);
    r.samples_ns = samples;
    r.n_samples = a->reps;
    r.heap_counted = before.heap_counted && after.heap_counted;
    r.heap_bytes_per_token = (double)(after.heap - before.heap) / tokens;
    r.steals_local = (double)(after.steals_local - before.steals_local) / a->reps;
    r.steals_remote = (double)(after.steals_remote - before.steals_remote) / a->reps;
    r.peak_rss_bytes = peak_rss();
    sm_bench_progress_step(e->progress);
    sm_bench_progress_clear(e->progress);
    if (e->profile_out && print_profile(e, &r) != 0)
        return SM_EXIT_RUNTIME;
    if (sm_bench_writer_row(e->w, &r) != 0) {
        fprintf(stderr, "sm-bench: cannot write the results\n");
        return SM_EXIT_RUNTIME;
    }
    return SM_EXIT_OK;
eval_failed:
    sm_bench_progress_clear(e->progress);
    fprintf(stderr, "sm-bench: %s: %s: sm_eval failed: %s\n", e->name, r.test,
            sm_context_errmsg(e->c));
    return SM_EXIT_RUNTIME;
}

/* Every test on one configuration. */
static int run_config(run_env *e, const sm_bench_test *tests, int n_tests, int n_ctx, int n_batch,
                      sm_numa_policy numa)
{
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.sched = e->s;
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.kv_type = e->a->kv_type;
    cp.numa = numa;
    cp.profile = e->profile_out != NULL;
    if (sm_context_create(e->m, &cp, &e->c) != SM_OK) {
        fprintf(stderr,
                "sm-bench: %s: cannot create a context of %d positions (numa %s); run with -v "
                "for the reason\n",
                e->name, n_ctx, numa_name(numa));
        return SM_EXIT_RUNTIME;
    }
    sm_context_mem mem;
    e->proto.context_bytes =
        sm_context_mem_stats(e->c, &mem) == SM_OK ? mem.arena_capacity_bytes : 0;
    e->proto.numa = numa_name(numa);
    int rc = SM_EXIT_OK;
    for (int i = 0; i < n_tests && rc == SM_EXIT_OK; i++)
        rc = run_test(e, &tests[i]);
    sm_context_free(e->c);
    e->c = NULL;
    return rc;
}

int sm_bench_run_model(const sm_bench_args *a, int index, sm_bench_writer *w,
                       sm_bench_progress *progress, FILE *profile_out,
                       const volatile sig_atomic_t *interrupted)
{
    const char *name = a->models[index];
    sm_bench_test tests[3 * SM_BENCH_MAX_LIST];
    int n_tests = sm_bench_tests_for(a, name, tests, (int)(sizeof tests / sizeof tests[0]));
    run_env e = {.a = a,
                 .name = name,
                 .w = w,
                 .progress = progress,
                 .interrupted = interrupted,
                 .profile_out = a->profile ? profile_out : NULL};
    int rc = load(a, name, &e.m);
    if (rc != SM_EXIT_OK)
        return rc;
    /* The context holds the longest test; a test longer than the model's context is refused
     * before anything runs, naming both. */
    int n_ctx = 1, n_batch = 1, n_ctx_train = sm_model_n_ctx_train(e.m);
    for (int i = 0; i < n_tests; i++) {
        int need = tests[i].n_prompt + tests[i].n_gen;
        if (need > n_ctx_train) {
            char tn[48];
            test_name(&tests[i], tn, sizeof tn);
            fprintf(stderr,
                    "sm-bench: %s: test %s needs %d positions, more than the model's context "
                    "of %d\n",
                    name, tn, need, n_ctx_train);
            sm_model_free(e.m);
            return SM_EXIT_USAGE;
        }
        n_ctx = need > n_ctx ? need : n_ctx;
        n_batch = tests[i].n_prompt > n_batch ? tests[i].n_prompt : n_batch;
    }
    int32_t *trace = malloc((size_t)n_ctx * sizeof *trace);
    if (!trace) {
        fprintf(stderr, "sm-bench: out of memory\n");
        sm_model_free(e.m);
        return SM_EXIT_RUNTIME;
    }
    uint64_t x = 0x9E3779B97F4A7C15u; /* xorshift64: a fixed trace of valid ids */
    for (int i = 0; i < n_ctx; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        trace[i] = (int32_t)(x % (uint64_t)sm_model_n_vocab(e.m));
    }
    e.trace = trace;
    if (e.profile_out) {
        /* sm-run's default sampler: what a user's decode would pay per token. */
        sm_sampler_params sp;
        sm_sampler_params_init(&sp);
        if (sm_sampler_create(&sp, sm_model_n_vocab(e.m), &e.sampler) != SM_OK) {
            fprintf(stderr, "sm-bench: out of memory for a sampler\n");
            free(trace);
            sm_model_free(e.m);
            return SM_EXIT_RUNTIME;
        }
    }
    e.proto = (sm_bench_result){.model_filename = name,
                                .model_size = sm_model_size_bytes(e.m),
                                .model_n_params = sm_model_n_params(e.m),
                                .n_batch = n_batch,
                                .type_kv = a->kv_type == SM_KV_F16 ? "f16" : "f32",
                                .use_mmap = !a->no_mmap && !is_builtin(name),
                                .isa = sm_kernels_isa(),
                                .version = sm_version_string()};
    model_type(e.m, e.proto.model_type, sizeof e.proto.model_type);
    if (a->verbose)
        fprintf(stderr, "sm-bench: %s: %s, %d layers, width %d, vocabulary %d, context %d\n", name,
                e.proto.model_type, sm_model_n_layer(e.m), sm_model_n_embd(e.m),
                sm_model_n_vocab(e.m), n_ctx_train);
    for (int ti = 0; ti < a->n_threads && rc == SM_EXIT_OK; ti++)
        for (int pl = 0; pl < a->n_placement && rc == SM_EXIT_OK; pl++)
            for (int pi = 0; pi < a->n_pinning && rc == SM_EXIT_OK; pi++) {
                sm_sched_params sp;
                sm_sched_params_init(&sp);
                sp.n_threads = a->threads[ti];
                sp.placement = a->placement[pl];
                sp.pinning = a->pinning[pi];
                if (sm_sched_create(&sp, &e.s) != SM_OK) {
                    fprintf(stderr,
                            "sm-bench: cannot start %d workers (placement %s, pin %s); run with "
                            "-v for the reason\n",
                            a->threads[ti], placement_name(sp.placement), pin_name(sp.pinning));
                    rc = SM_EXIT_RUNTIME;
                    break;
                }
                e.proto.n_threads = sm_sched_n_workers(e.s);
                e.proto.placement = placement_name(sp.placement);
                e.proto.pinning = pin_name(sp.pinning);
                e.proto.topology = sm_sched_topology_string(e.s);
                for (int ni = 0; ni < a->n_numa && rc == SM_EXIT_OK; ni++)
                    rc = run_config(&e, tests, n_tests, n_ctx, n_batch, a->numa[ni]);
                sm_sched_free(e.s);
                e.s = NULL;
            }
    sm_sampler_free(e.sampler);
    free(trace);
    sm_model_free(e.m);
    return rc;
}
