/* SPDX-License-Identifier: MIT */
/* test_profile.c: the per-op profile (sm_context_profile): off costs nothing observable (no
 * entries); on, the logits are bit-identical to off; the calls, bytes and flops of every
 * (op, layer) equal what the model's shapes and the evaluations imply, counted here from the
 * spec alone; times add up to at most the wall time; reset; the split of mixed-type matmul
 * regions and of a region's wall time; and the markdown report (sm_cli_profile_print). No
 * timing is asserted beyond "the parts do not exceed the whole". */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/builtin.h"
#include "cli/profile_report.h"
#include "kernels/kernels.h"
#include "ref_quant.h"
#include "sm_test.h"
#include "sm_test_model.h"
#include "sm_test_region.h"
#include "smallmind.h"
#include "src/context.h"
#include "src/ops.h"
#include "src/profile.h"
#include "tiny_model.h"

/* ---- models ----------------------------------------------------------------------------- */

static const struct pcase {
    sm_ref_arch arch;
    uint32_t wtype;
    int tied;
    sm_kv_type kv;
    const char *name;
} cases[] = {
    {SM_REF_GPT2, SM_RQ_F32, 1, SM_KV_F32, "gpt2 F32"},
    {SM_REF_GPT2, SM_RQ_Q8_0, 1, SM_KV_F16, "gpt2 Q8_0, f16 cache"},
    {SM_REF_LLAMA, SM_RQ_F16, 0, SM_KV_F32, "llama F16"},
    {SM_REF_LLAMA, SM_RQ_Q4_0, 1, SM_KV_F16, "llama Q4_0 tied, f16 cache"},
    {SM_REF_LLAMA, SM_RQ_Q4_K, 0, SM_KV_F32, "llama Q4_K"},
    {SM_REF_LLAMA, SM_RQ_Q6_K, 0, SM_KV_F16, "llama Q6_K, f16 cache"},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void make_spec(const struct pcase *c, sm_tm_spec *s)
{
    sm_tm_spec_default(s, c->arch);
    s->wtype = c->wtype;
    s->tied = c->tied;
    s->seed = 77 + c->wtype;
    if (c->wtype == SM_RQ_Q4_K || c->wtype == SM_RQ_Q6_K) {
        s->n_embd = 256; /* K-quant rows are whole blocks of 256 */
        s->n_ff = 512;
        s->n_vocab = 256;
    }
}

static sm_model *load_spec(const sm_tm_spec *spec)
{
    sm_tm_model *tm = NULL;
    char err[512];
    ck_assert_msg(sm_tm_build(spec, &tm, err, sizeof err) == 0, "%s", err);
    uint8_t *bytes = NULL;
    size_t size = 0;
    ck_assert_int_eq(sm_tm_gguf_bytes(tm, &bytes, &size), 0);
    sm_model *m = sm_test_load_bytes(bytes, size, "sm_test_profile_");
    free(bytes);
    sm_tm_free(tm);
    return m;
}

static sm_context *make_ctx(sm_model *m, sm_sched *s, int profile, sm_kv_type kv, int logits_all)
{
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.sched = s;
    cp.profile = profile;
    cp.kv_type = kv;
    cp.logits_all = logits_all;
    sm_context *c = NULL;
    sm_status st = sm_context_create(m, &cp, &c);
    ck_assert_msg(st == SM_OK, "sm_context_create: %s", sm_status_name(st));
    /* Every op through the scheduler when there are several workers: the regions, and their
     * sched wait, are then a function of the shapes. */
    sm_context_set_fork_min_work(c, 0);
    return c;
}

static void tokens_for(int n_vocab, int32_t *t, int n)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (int32_t)(x % (uint64_t)n_vocab);
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the expectation, from the spec alone ------------------------------------------------- */

/* Bytes of a row of n elements of a GGUF type (the block sizes of the GGUF format). */
static uint64_t row_bytes(uint32_t type, uint64_t n)
{
    switch (type) {
    case SM_RQ_F32:
        return 4 * n;
    case SM_RQ_F16:
        return 2 * n;
    case SM_RQ_Q8_0:
        return n / 32 * 34;
    case SM_RQ_Q4_0:
        return n / 32 * 18;
    case SM_RQ_Q4_K:
        return n / 256 * 144;
    case SM_RQ_Q6_K:
        return n / 256 * 210;
    }
    ck_abort_msg("type %u", type);
    return 0;
}

static const char *matmul_name(uint32_t type)
{
    switch (type) {
    case SM_RQ_F32:
        return "matmul f32";
    case SM_RQ_F16:
        return "matmul f16";
    case SM_RQ_Q8_0:
        return "matmul q8_0";
    case SM_RQ_Q4_0:
        return "matmul q4_0";
    case SM_RQ_Q4_K:
        return "matmul q4_K";
    case SM_RQ_Q6_K:
        return "matmul q6_K";
    }
    ck_abort_msg("type %u", type);
    return NULL;
}

#define MAX_LAYERS 4
#define MAX_OPS    16

/* What one (op, layer) must show. */
typedef struct want {
    const char *op;
    uint64_t calls, bytes, flops;
    int check_bytes, check_flops;
} want;

typedef struct expect {
    want w[MAX_LAYERS + 1][MAX_OPS]; /* [layer + 1] */
    int n[MAX_LAYERS + 1];
} expect;

static want *want_at(expect *x, int layer, const char *op)
{
    int r = layer + 1;
    for (int i = 0; i < x->n[r]; i++)
        if (!strcmp(x->w[r][i].op, op))
            return &x->w[r][i];
    ck_assert_int_lt(x->n[r], MAX_OPS);
    want *w = &x->w[r][x->n[r]++];
    memset(w, 0, sizeof *w);
    w->op = op;
    return w;
}

static void add_calls(expect *x, int layer, const char *op, uint64_t calls)
{
    if (calls)
        want_at(x, layer, op)->calls += calls;
}

static void add_matmul(expect *x, int layer, uint32_t type, uint64_t calls, uint64_t bytes,
                       uint64_t flops)
{
    want *w = want_at(x, layer, matmul_name(type));
    w->calls += calls;
    w->bytes += bytes;
    w->flops += flops;
    w->check_bytes = w->check_flops = 1;
}

/* One evaluation step of n tokens at position pos0, logits of the last token only, on
 * n_workers workers with every op forced through the scheduler. */
static void expect_step(expect *x, const sm_tm_spec *s, sm_kv_type kv, uint64_t pos0, uint64_t n,
                        int n_workers)
{
    int gpt2 = s->arch == SM_REF_GPT2, f16 = kv == SM_KV_F16;
    uint64_t E = (uint64_t)s->n_embd, F = (uint64_t)s->n_ff, V = (uint64_t)s->n_vocab;
    uint64_t hd = E / (uint64_t)s->n_head, kvd = hd * (uint64_t)s->n_head_kv;
    uint32_t wt = s->wtype;
    /* GPT-2's output is always the token embedding; LLaMA's when tied. */
    uint32_t out_t = gpt2 || s->tied ? s->embd_type : wt;
    int quant_w = wt != SM_RQ_F32 && wt != SM_RQ_F16;
    int quant_out = out_t != SM_RQ_F32 && out_t != SM_RQ_F16;
    int par = n_workers > 1;     /* matmuls and attention are regions */
    int par_rows = par && n > 1; /* row ops of a single token run on the caller */
    uint64_t rows_per_block = 2 + (quant_w ? 4 : 0) + (!gpt2 || f16 ? 1 : 0);

    /* Outside the blocks: embedding, (LLaMA) the cos/sin table, the final norm and (for the
     * last token only) its quantization and the logits. */
    add_calls(x, -1, "embed", 1);
    add_calls(x, -1, "rope", gpt2 ? 0 : 1);
    add_calls(x, -1, "norm", 1);
    add_calls(x, -1, "quantize", quant_out ? 1 : 0);
    add_matmul(x, -1, out_t, 1, V * row_bytes(out_t, E), 2 * E * V);
    add_calls(x, -1, "sched wait", (par ? 1 : 0) + (!gpt2 && par_rows ? 1 : 0));

    for (int l = 0; l < s->n_layer; l++) {
        /* Four matmul regions: QKV, output, up (with gate), down. */
        uint64_t wbytes, wflops;
        if (gpt2) {
            wbytes = 3 * E * row_bytes(wt, E) + E * row_bytes(wt, E) + F * row_bytes(wt, E) +
                     E * row_bytes(wt, F);
            wflops = 2 * n * (3 * E * E + E * E + E * F + F * E);
        } else {
            wbytes = (E + 2 * kvd) * row_bytes(wt, E) + E * row_bytes(wt, E) +
                     2 * F * row_bytes(wt, E) + E * row_bytes(wt, F);
            wflops = 2 * n * ((E + 2 * kvd) * E + E * E + 2 * F * E + F * E);
        }
        add_matmul(x, l, wt, 4, wbytes, wflops);
        add_calls(x, l, "norm", 2);
        add_calls(x, l, "quantize", quant_w ? 4 : 0);
        add_calls(x, l, "rope", gpt2 ? 0 : 1);
        add_calls(x, l, "kv store", gpt2 && f16 ? 1 : 0);
        want *a = want_at(x, l, "attention");
        a->calls++;
        a->bytes += 2 * (pos0 + n) * kvd * (f16 ? 2 : 4);
        a->flops += 4 * hd * (uint64_t)s->n_head * (n * pos0 + n * (n + 1) / 2);
        a->check_bytes = a->check_flops = 1;
        add_calls(x, l, "sched wait", (par ? 5 : 0) + (par_rows ? rows_per_block : 0));
    }
}

/* The profile of @p c against @p x: the same set of (op, layer), each as expected, in layer
 * order; returns the sum of their times. */
static uint64_t check_profile(const sm_context *c, expect *x, const char *what)
{
    size_t n_want = 0;
    for (int r = 0; r <= MAX_LAYERS; r++)
        n_want += (size_t)x->n[r];
    sm_profile_entry e[(MAX_LAYERS + 1) * MAX_OPS];
    size_t n = sm_context_profile(c, e, sizeof e / sizeof e[0]);
    ck_assert_msg(n == n_want, "%s: %zu entries, expected %zu", what, n, n_want);
    ck_assert_uint_eq(sm_context_profile(c, NULL, 0), n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(i == 0 || e[i].layer >= e[i - 1].layer, "%s: entries out of layer order",
                      what);
        ck_assert_int_ge(e[i].layer, -1);
        ck_assert_int_lt(e[i].layer, MAX_LAYERS);
        int r = e[i].layer + 1, k = 0;
        while (k < x->n[r] && strcmp(x->w[r][k].op, e[i].op) != 0)
            k++;
        ck_assert_msg(k < x->n[r], "%s: unexpected entry %s at layer %d", what, e[i].op,
                      e[i].layer);
        const want *w = &x->w[r][k];
        ck_assert_msg(e[i].calls == w->calls, "%s: %s layer %d: %llu calls, expected %llu", what,
                      e[i].op, e[i].layer, (unsigned long long)e[i].calls,
                      (unsigned long long)w->calls);
        if (w->check_bytes)
            ck_assert_msg(e[i].bytes == w->bytes, "%s: %s layer %d: %llu bytes, expected %llu",
                          what, e[i].op, e[i].layer, (unsigned long long)e[i].bytes,
                          (unsigned long long)w->bytes);
        if (w->check_flops)
            ck_assert_msg(e[i].flops == w->flops, "%s: %s layer %d: %llu flops, expected %llu",
                          what, e[i].op, e[i].layer, (unsigned long long)e[i].flops,
                          (unsigned long long)w->flops);
        if (!strcmp(e[i].op, "sched wait"))
            ck_assert(e[i].bytes == 0 && e[i].flops == 0);
        sum += e[i].ns;
    }
    return sum;
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(test_profile_off_has_no_entries)
{
    sm_tm_spec spec;
    make_spec(&cases[0], &spec);
    sm_model *m = load_spec(&spec);
    sm_sched *s = sm_test_make_sched(1, SM_TOPOLOGY_SYSTEM, NULL, 0);
    sm_context *c = make_ctx(m, s, 0, SM_KV_F32, 0);
    int32_t t[4];
    tokens_for(spec.n_vocab, t, 4);
    ck_assert_int_eq(sm_eval(c, t, 4), SM_OK);
    sm_profile_entry e[4];
    memset(e, 0xAB, sizeof e);
    ck_assert_uint_eq(sm_context_profile(c, e, 4), 0);
    ck_assert_uint_eq(((unsigned char *)e)[0], 0xAB); /* nothing written */
    sm_context_profile_reset(c);                      /* a no-op */
    ck_assert_uint_eq(sm_context_profile(NULL, e, 4), 0);
    sm_context_profile_reset(NULL);
    sm_context_free(c);

    sm_context_params cp;
    sm_context_params_init(&cp);
    ck_assert_int_eq(cp.profile, 0);
    cp.sched = s;
    cp.profile = 2;
    ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_E_INVAL);
    sm_sched_free(s);
    sm_model_free(m);
}
END_TEST

/* Profiling only reads clocks: every position's logits, 1 and 2 workers, equal without it. */
START_TEST(test_profile_logits_bit_identical)
{
    const struct pcase *pc = &cases[_i];
    sm_tm_spec spec;
    make_spec(pc, &spec);
    sm_model *m = load_spec(&spec);
    enum { N = 20 };
    int32_t t[N];
    tokens_for(spec.n_vocab, t, N);
    size_t nv = (size_t)spec.n_vocab;
    float *off = malloc(N * nv * sizeof *off), *on = malloc(N * nv * sizeof *on);
    ck_assert_ptr_nonnull(off);
    ck_assert_ptr_nonnull(on);
    for (int workers = 1; workers <= 2; workers++) {
        sm_sched *s = sm_test_make_sched(workers, SM_TOPOLOGY_SYSTEM, NULL, 0);
        for (int profile = 0; profile <= 1; profile++) {
            sm_context *c = make_ctx(m, s, profile, pc->kv, 1);
            /* a prompt, then decoding: regions of many tokens and of one */
            ck_assert_int_eq(sm_eval(c, t, N - 4), SM_OK);
            float *out = profile ? on : off;
            for (int i = 0; i < N - 4; i++)
                memcpy(out + (size_t)i * nv, sm_get_logits(c, i), nv * sizeof *out);
            for (int i = N - 4; i < N; i++) {
                ck_assert_int_eq(sm_eval(c, t + i, 1), SM_OK);
                memcpy(out + (size_t)i * nv, sm_get_logits(c, -1), nv * sizeof *out);
            }
            if (profile)
                ck_assert_uint_gt(sm_context_profile(c, NULL, 0), 0);
            else
                ck_assert_uint_eq(sm_context_profile(c, NULL, 0), 0);
            sm_context_free(c);
        }
        ck_assert_msg(memcmp(off, on, N * nv * sizeof *on) == 0,
                      "%s, %d workers: logits differ with profiling on", pc->name, workers);
        sm_sched_free(s);
    }
    free(off);
    free(on);
    sm_model_free(m);
}
END_TEST

/* A prompt of 7 tokens then 3 decoded ones, on 1 and 2 workers: every (op, layer) as the
 * shapes imply; the times sum to at most the wall time around the evaluations; reset; and the
 * same counts again after it for one more token. */
START_TEST(test_profile_counts_match_shapes)
{
    const struct pcase *pc = &cases[_i / 2];
    int workers = 1 + _i % 2;
    char what[96];
    snprintf(what, sizeof what, "%s, %d workers", pc->name, workers);
    sm_tm_spec spec;
    make_spec(pc, &spec);
    ck_assert_int_le(spec.n_layer, MAX_LAYERS);
    sm_model *m = load_spec(&spec);
    sm_sched *s = sm_test_make_sched(workers, SM_TOPOLOGY_SYSTEM, NULL, 0);
    sm_context *c = make_ctx(m, s, 1, pc->kv, 0);
    ck_assert_uint_eq(sm_context_profile(c, NULL, 0), 0); /* nothing evaluated yet */
    enum { N_PROMPT = 7, N_DECODE = 3 };
    int32_t t[N_PROMPT + N_DECODE];
    tokens_for(spec.n_vocab, t, N_PROMPT + N_DECODE);
    expect x;
    memset(&x, 0, sizeof x);
    uint64_t t0 = now_ns();
    ck_assert_int_eq(sm_eval(c, t, N_PROMPT), SM_OK);
    expect_step(&x, &spec, pc->kv, 0, N_PROMPT, workers);
    for (int i = 0; i < N_DECODE; i++) {
        ck_assert_int_eq(sm_eval(c, t + N_PROMPT + i, 1), SM_OK);
        expect_step(&x, &spec, pc->kv, N_PROMPT + (uint64_t)i, 1, workers);
    }
    uint64_t wall = now_ns() - t0;
    uint64_t sum = check_profile(c, &x, what);
    ck_assert_msg(sum <= wall, "%s: entries sum to %llu ns, more than the %llu ns wall time", what,
                  (unsigned long long)sum, (unsigned long long)wall);
    ck_assert_uint_gt(sum, 0);

    /* cap smaller than the count: the first entries only, the count still whole */
    sm_profile_entry all[(MAX_LAYERS + 1) * MAX_OPS], few[4];
    size_t n = sm_context_profile(c, all, sizeof all / sizeof all[0]);
    memset(few, 0xCD, sizeof few);
    ck_assert_uint_eq(sm_context_profile(c, few, 3), n);
    for (int i = 0; i < 3; i++) /* field by field: the padding after layer is not copied */
        ck_assert(few[i].op == all[i].op && few[i].layer == all[i].layer &&
                  few[i].calls == all[i].calls && few[i].ns == all[i].ns &&
                  few[i].bytes == all[i].bytes && few[i].flops == all[i].flops);
    ck_assert_uint_eq(((unsigned char *)&few[3])[0], 0xCD);

    sm_context_profile_reset(c);
    ck_assert_uint_eq(sm_context_profile(c, NULL, 0), 0);
    /* the KV cache is untouched by the reset: one more token at the next position */
    ck_assert_int_eq(sm_eval(c, t, 1), SM_OK);
    memset(&x, 0, sizeof x);
    expect_step(&x, &spec, pc->kv, N_PROMPT + N_DECODE, 1, workers);
    check_profile(c, &x, what);

    sm_context_free(c);
    sm_sched_free(s);
    sm_model_free(m);
}
END_TEST

/* The counters are taken at create: decoding with profiling on still allocates nothing (after
 * a warm-up generation has sized the workers' scratch), on 1 and 2 threads, with a built-in
 * model as sm-bench runs it. */
START_TEST(test_profile_decode_allocates_nothing)
{
    sm_model *m = NULL;
    char err[256];
    ck_assert_msg(sm_cli_builtin_load("small", NULL, &m, err, sizeof err) == SM_OK, "%s", err);
    const int32_t prompt[] = {'p', 'r', 'o', 'f'}; /* token i is byte i */
    for (int threads = 1; threads <= 2; threads++) {
        sm_context_params cp;
        sm_context_params_init(&cp);
        cp.n_threads = threads;
        cp.profile = 1;
        sm_context *c = NULL;
        ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
        sm_sampler *smp = NULL;
        ck_assert_int_eq(sm_sampler_create(NULL, sm_model_n_vocab(m), &smp), SM_OK);
        sm_generate_params gp;
        sm_generate_params_init(&gp);
        sm_generate_result r;
        for (int n_predict = 8; n_predict <= 40; n_predict += 32) {
            gp.n_predict = n_predict;
            sm_context_reset(c);
            ck_assert_int_eq(sm_generate(c, smp, prompt, 4, &gp, &r), SM_OK);
        }
        ck_assert_int_eq(r.n_generated, 40);
        ck_assert_uint_gt(sm_context_profile(c, NULL, 0), 0);
        if (r.decode_heap_counted)
            ck_assert_msg(r.decode_heap_bytes == 0,
                          "%d threads: %llu heap bytes decoding 40 tokens", threads,
                          (unsigned long long)r.decode_heap_bytes);
        sm_sampler_free(smp);
        sm_context_free(c);
    }
    sm_model_free(m);
}
END_TEST

/* A region of an F32 and a Q8_0 matrix of the same shape: one call of each type, their
 * weights' bytes and flops, and the region's time split evenly (equal flops). */
START_TEST(test_profile_mixed_region_split)
{
    enum { N_IN = 64, N_OUT = 48, N_TOK = 3 };
    static _Alignas(64) float wf[N_OUT * N_IN], xf[N_TOK * N_IN], y1[N_TOK * N_OUT],
        y2[N_TOK * N_OUT];
    static _Alignas(64) uint8_t wq[N_OUT * (N_IN / 32) * 34], xq[N_TOK * (N_IN / 32) * 34];
    for (size_t i = 0; i < N_OUT * N_IN; i++)
        wf[i] = (float)(i % 7) - 3;
    for (size_t i = 0; i < N_TOK * N_IN; i++)
        xf[i] = (float)(i % 5) - 2;
    memset(wq, 0, sizeof wq); /* scale 0 (fp16 zero), quants 0: a valid all-zero Q8_0 matrix */
    memset(xq, 0, sizeof xq);
    sm_weight a = {
        .data = wf, .type = SM_TYPE_F32, .n_in = N_IN, .n_out = N_OUT, .row_bytes = N_IN * 4};
    sm_weight b = {.data = wq,
                   .type = SM_TYPE_Q8_0,
                   .n_in = N_IN,
                   .n_out = N_OUT,
                   .row_bytes = N_IN / 32 * 34};
    sm_mm mm[2] = {
        {.w = &a, .x = xf, .x_stride = N_IN * 4, .y = y1, .y_stride = N_OUT},
        {.w = &b, .x = xq, .x_stride = N_IN / 32 * 34, .y = y2, .y_stride = N_OUT},
    };
    sm_profile *p = NULL;
    ck_assert_int_eq(sm_profile_create(1, &p), SM_OK);
    sm_exec ex = {.kt = sm_kernels_get(), .n_workers = 1, .prof = p};
    p->layer = 0;
    sm_op_matmuls(&ex, mm, 2, N_TOK);
    sm_profile_entry e[8];
    ck_assert_uint_eq(sm_profile_copy(p, e, 8), 2);
    ck_assert_str_eq(e[0].op, "matmul f32");
    ck_assert_str_eq(e[1].op, "matmul q8_0");
    uint64_t flops = 2ull * N_IN * N_OUT * N_TOK;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(e[i].layer, 0);
        ck_assert_uint_eq(e[i].calls, 1);
        ck_assert_uint_eq(e[i].flops, flops);
    }
    ck_assert_uint_eq(e[0].bytes, (uint64_t)N_OUT * N_IN * 4);
    ck_assert_uint_eq(e[1].bytes, (uint64_t)N_OUT * (N_IN / 32) * 34);
    uint64_t d = e[0].ns > e[1].ns ? e[0].ns - e[1].ns : e[1].ns - e[0].ns;
    ck_assert_uint_le(d, 1);
    sm_profile_free(p);
}
END_TEST

/* The pieces of the bookkeeping, on hand-made figures. */
START_TEST(test_profile_split_and_region)
{
    uint64_t out[4];
    sm_profile_split(10, (const uint64_t[]){1, 1, 1}, 3, out);
    ck_assert(out[0] == 3 && out[1] == 3 && out[2] == 4);
    sm_profile_split(1000, (const uint64_t[]){3, 0, 1}, 3, out);
    ck_assert(out[0] == 750 && out[1] == 0 && out[2] == 250);
    sm_profile_split(7, (const uint64_t[]){0, 0}, 2, out);
    ck_assert(out[0] == 7 && out[1] == 0);
    /* big figures: the parts still sum exactly */
    uint64_t big[3] = {4000000000000ull, 3, 1234567890123ull};
    sm_profile_split(999999999937ull, big, 3, out);
    ck_assert_uint_eq(out[0] + out[1] + out[2], 999999999937ull);

    sm_profile *p = NULL;
    ck_assert_int_eq(sm_profile_create(2, &p), SM_OK);
    p->layer = 1;
    /* 2 workers busy 120 ns in all over a 100 ns region: 60 the op's, 40 the wait's */
    ck_assert_uint_eq(sm_profile_region(p, 100, 120, 2), 60);
    /* busy beyond the wall time (clock skew between threads): all of it the op's */
    ck_assert_uint_eq(sm_profile_region(p, 100, 250, 2), 100);
    sm_profile_entry e[4];
    ck_assert_uint_eq(sm_profile_copy(p, e, 4), 1);
    ck_assert_str_eq(e[0].op, "sched wait");
    ck_assert_int_eq(e[0].layer, 1);
    ck_assert_uint_eq(e[0].calls, 2);
    ck_assert_uint_eq(e[0].ns, 40);
    sm_profile_reset(p);
    ck_assert_uint_eq(sm_profile_copy(p, e, 4), 0);
    sm_profile_free(p);
}
END_TEST

/* ---- the report --------------------------------------------------------------------------- */

#define MAX_ROWS  16
#define MAX_CELLS 10

typedef struct table {
    int n_rows;
    char cell[MAX_ROWS][MAX_CELLS][48];
} table;

/* The body rows of the markdown table under the heading that starts with @p heading. */
static void read_table(const char *text, const char *heading, table *t)
{
    memset(t, 0, sizeof *t);
    const char *at = strstr(text, heading);
    ck_assert_msg(at != NULL, "no heading \"%s\" in:\n%s", heading, text);
    at = strchr(at, '\n');
    while (at && at[1] != '|') /* to the header row */
        at = strchr(at + 1, '\n');
    ck_assert_ptr_nonnull(at);
    at = strchr(at + 1, '\n'); /* the separator row */
    at = strchr(at + 1, '\n'); /* the first body row */
    while (at && at[1] == '|') {
        const char *line = at + 1, *end = strchr(line, '\n');
        ck_assert_int_lt(t->n_rows, MAX_ROWS);
        int nc = 0;
        for (const char *p = line + 1; p < end && nc < MAX_CELLS;) {
            const char *bar = memchr(p, '|', (size_t)(end - p));
            if (!bar)
                break;
            const char *b = p, *e = bar;
            while (b < e && *b == ' ')
                b++;
            while (e > b && e[-1] == ' ')
                e--;
            snprintf(t->cell[t->n_rows][nc++], 48, "%.*s", (int)(e - b), b);
            p = bar + 1;
        }
        t->n_rows++;
        at = end;
    }
}

static void expect_row(const table *t, int r, const char *const *cells, int n)
{
    ck_assert_int_lt(r, t->n_rows);
    for (int i = 0; i < n; i++)
        if (cells[i])
            ck_assert_msg(!strcmp(t->cell[r][i], cells[i]),
                          "row %d cell %d: \"%s\", expected \"%s\"", r, i, t->cell[r][i], cells[i]);
}

static char *print_to_string(const sm_profile_entry *e, size_t n, uint64_t sample_ns,
                             uint64_t sample_calls, uint64_t total_ns)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    sm_cli_profile_print(f, e, n, sample_ns, sample_calls, total_ns);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* Hand-made entries, 10 ms in all, sampling 0.25 ms, over a 12.5 ms run: every share is a
 * round figure (matmul f32 8 ms = 64 %, other 2.5 ms = 20 %). */
static const sm_profile_entry report_entries[] = {
    {"norm", -1, 5, 500000, 0, 0},
    {"matmul f32", 0, 10, 6000000, 12000000, 24000000},
    {"attention", 0, 10, 1000000, 3000000, 0},
    {"matmul f32", 1, 10, 2000000, 12000000, 24000000},
    {"rope", 1, 5, 250000, 0, 0},
};
#define N_REPORT ((size_t)(sizeof report_entries / sizeof report_entries[0]))

START_TEST(test_profile_report_tables)
{
    char *out = print_to_string(report_entries, N_REPORT, 250000, 5, 12500000);
    table t;

    read_table(out, "### Hot paths", &t);
    ck_assert_int_eq(t.n_rows, 6);
    /* #, op, layer, calls, ms, share, us/call, GB/s, GFLOP/s */
    expect_row(
        &t, 0,
        (const char *[]){"1", "matmul f32", "0", "10", "6.000", "48.0", "600.00", "2.00", "4.00"},
        9);
    expect_row(&t, 1, (const char *[]){"2", "matmul f32", "1", "10", "2.000", "16.0"}, 6);
    expect_row(&t, 2,
               (const char *[]){"3", "attention", "0", "10", "1.000", "8.0", "100.00", "3.00", "-"},
               9);
    expect_row(&t, 3, (const char *[]){"4", "norm", "outside", "5", "0.500", "4.0"}, 6);
    /* a tie at 0.25 ms: by name */
    expect_row(&t, 4, (const char *[]){"5", "rope", "1", "5", "0.250", "2.0"}, 6);
    expect_row(&t, 5, (const char *[]){"6", "sampling", "-", "5", "0.250", "2.0", "50.00"}, 7);

    read_table(out, "### Time per op kind", &t);
    ck_assert_int_eq(t.n_rows, 7);
    /* op, calls, ms, share, us/call, GB/s, GFLOP/s */
    expect_row(&t, 0,
               (const char *[]){"matmul f32", "20", "8.000", "64.0", "400.00", "3.00", "6.00"}, 7);
    expect_row(&t, 1, (const char *[]){"attention", "10", "1.000", "8.0"}, 4);
    expect_row(&t, 2, (const char *[]){"norm", "5", "0.500", "4.0", "100.00", "-", "-"}, 7);
    expect_row(&t, 3, (const char *[]){"rope", "5", "0.250", "2.0"}, 4);
    expect_row(&t, 4, (const char *[]){"sampling", "5", "0.250", "2.0"}, 4);
    expect_row(&t, 5, (const char *[]){"other (unaccounted)", "-", "2.500", "20.0"}, 4);
    expect_row(&t, 6, (const char *[]){"total", "-", "12.500", "100.0"}, 4);

    read_table(out, "### Time per layer", &t);
    ck_assert_int_eq(t.n_rows, 3);
    /* layer, calls, ms, share, most expensive op, its ms */
    expect_row(&t, 0, (const char *[]){"outside", "5", "0.500", "4.0", "norm", "0.500"}, 6);
    expect_row(&t, 1, (const char *[]){"0", "20", "7.000", "56.0", "matmul f32", "6.000"}, 6);
    expect_row(&t, 2, (const char *[]){"1", "15", "2.250", "18.0", "matmul f32", "2.000"}, 6);
    free(out);
}
END_TEST

/* Without a total the shares are of the entries' sum and there is no "other"; without
 * sampling there is no sampling row; only the 10 most expensive pairs are hot paths. */
START_TEST(test_profile_report_no_total)
{
    sm_profile_entry e[12];
    for (int i = 0; i < 12; i++)
        e[i] = (sm_profile_entry){"norm", i, 1, (uint64_t)(i + 1) * 1000, 0, 0};
    char *out = print_to_string(e, 12, 0, 0, 0); /* 78 us in all */
    table t;
    read_table(out, "### Hot paths", &t);
    ck_assert_int_eq(t.n_rows, 10);
    expect_row(&t, 0, (const char *[]){"1", "norm", "11", "1", "0.012", "15.4"}, 6);
    expect_row(&t, 9, (const char *[]){"10", "norm", "2", "1", "0.003", "3.8"}, 6);
    read_table(out, "### Time per op kind", &t);
    ck_assert_int_eq(t.n_rows, 2);
    expect_row(&t, 0, (const char *[]){"norm", "12", "0.078", "100.0", "6.50"}, 5);
    expect_row(&t, 1, (const char *[]){"total", "-", "0.078", "100.0"}, 4);
    read_table(out, "### Time per layer", &t);
    ck_assert_int_eq(t.n_rows, 12); /* no entries outside the blocks: no "outside" row */
    expect_row(&t, 0, (const char *[]){"0", "1", "0.001"}, 3);
    free(out);
}
END_TEST

static Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("context");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_profile_off_has_no_entries);
    tcase_add_loop_test(tc, test_profile_logits_bit_identical, 0, N_CASES);
    tcase_add_loop_test(tc, test_profile_counts_match_shapes, 0, 2 * N_CASES);
    tcase_add_test(tc, test_profile_decode_allocates_nothing);
    suite_add_tcase(s, tc);
    TCase *tb = tcase_create("bookkeeping");
    tcase_add_test(tb, test_profile_mixed_region_split);
    tcase_add_test(tb, test_profile_split_and_region);
    suite_add_tcase(s, tb);
    TCase *tr = tcase_create("report");
    tcase_add_test(tr, test_profile_report_tables);
    tcase_add_test(tr, test_profile_report_no_total);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    return sm_test_run(profile_suite());
}
