/* SPDX-License-Identifier: MIT */
/* test_forward_ref.c: the runtime's forward pass (src/) against the deliberately plain reference
 * in tests/ref_forward.c (double accumulation, written independently of src/ and kernels/), on
 * seeded tiny models of both architectures and every weight type written by the test writer,
 * with every kernel table; and bit-identical logits for 1, 2, 3, 4 and 8 threads on each. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernels/kernels.h"
#include "ref_forward.h"
#include "sm_test.h"
#include "sm_test_forward.h"
#include "sm_test_model.h"
#include "sm_test_region.h"
#include "sm_test_tmp.h"
#include "smallmind.h"
#include "src/context.h"
#include "tiny_model.h"

/* Tolerances against the reference, which keeps activations exact and sums in double (logits
 * here are O(1)), its GELU through fp16 as the runtime's (kernels.h):
 * - F32 and F16 weights: the runtime keeps activations in f32; only summation order differs.
 *   Measured up to 2e-6 (every table); held to TOL_FLOAT.
 * - GPT-2 with F32 and F16 weights: the same, but a GELU input the runtime computes an ulp or
 *   two off the double one may round to the neighbouring fp16, which moves the logits of its
 *   position and the later ones by up to a few 1e-4. Measured up to 4.0e-4 absolute and
 *   4.3e-5 of the logits' RMS; held to TOL_GELU16 and REL_GELU16. Against a GELU in double the
 *   RMS is 2.8e-4: the RMS bound still tells the two GELUs apart.
 * - Quantized weights: the runtime quantizes each matmul's input, to Q8_0 blocks of 32 (Q8_0,
 *   Q4_0 weights) or Q8_K blocks of 256 (Q4_K, Q6_K), as GGUF runtimes do. That rounding,
 *   up to 1/254 of a block's largest value per element, is the whole difference: measured at
 *   most 0.074 (Q8_0 blocks) and 0.128 (Q8_K blocks) absolute, and 1.8% / 2.8% of the logits'
 *   RMS. Held to TOL_Q8_0 / TOL_Q8_K absolute and REL_Q8_0 / REL_Q8_K in RMS. A wrong block
 *   layout, scale or row is O(1) off and fails both. */
#define TOL_FLOAT  1e-4
#define TOL_GELU16 1e-3
#define REL_GELU16 1e-4
#define TOL_Q8_0   0.1
#define TOL_Q8_K   0.2
#define REL_Q8_0   0.03
#define REL_Q8_K   0.05
#define N_TOKENS   24

static const struct wcase {
    sm_ref_arch arch;
    uint32_t wtype;
    const char *name;
} cases[] = {
    {SM_REF_LLAMA, 0, "llama F32"},   {SM_REF_LLAMA, 1, "llama F16"},
    {SM_REF_LLAMA, 8, "llama Q8_0"},  {SM_REF_LLAMA, 2, "llama Q4_0"},
    {SM_REF_LLAMA, 12, "llama Q4_K"}, {SM_REF_LLAMA, 14, "llama Q6_K"},
    {SM_REF_GPT2, 0, "gpt2 F32"},     {SM_REF_GPT2, 1, "gpt2 F16"},
    {SM_REF_GPT2, 8, "gpt2 Q8_0"},    {SM_REF_GPT2, 2, "gpt2 Q4_0"},
    {SM_REF_GPT2, 12, "gpt2 Q4_K"},   {SM_REF_GPT2, 14, "gpt2 Q6_K"},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void make_spec(const struct wcase *c, sm_tm_spec *s)
{
    sm_tm_spec_default(s, c->arch);
    s->wtype = c->wtype;
    s->seed = 1000 + (uint64_t)c->wtype * 7 + (uint64_t)c->arch;
    if (c->wtype == 12 || c->wtype == 14) {
        /* K-quant rows are whole 256-element blocks */
        s->n_embd = 256;
        s->n_ff = 512;
        s->n_vocab = 256;
    }
    if (c->arch == SM_REF_LLAMA && c->wtype == 2)
        s->tied = 1; /* one llama case with the output tied to the embedding */
}

/* Writes the model to a temporary file and loads it. */
static sm_model *load_tiny(const sm_tm_model *tm)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    ck_assert_int_eq(sm_tm_gguf_bytes(tm, &bytes, &size), 0);
    sm_model *m = sm_test_load_bytes(bytes, size, "sm_test_fwdref_");
    free(bytes);
    return m;
}

static void tokens_for(int n_vocab, int32_t *t)
{
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < N_TOKENS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t[i] = (int32_t)(x % (uint64_t)n_vocab);
    }
}

static void eval_logits(sm_context *c, const int32_t *t, size_t n_vocab, float *out)
{
    sm_test_eval_all(c, t, N_TOKENS, n_vocab, out);
}

START_TEST(test_forward_ref_agrees)
{
    const struct wcase *wc = &cases[_i];
    sm_tm_spec spec;
    make_spec(wc, &spec);
    sm_tm_model *tm = NULL;
    char err[512];
    ck_assert_msg(sm_tm_build(&spec, &tm, err, sizeof err) == 0, "%s: %s", wc->name, err);
    size_t nv = (size_t)tm->hp.n_vocab, nl = N_TOKENS * nv;
    int32_t toks[N_TOKENS];
    tokens_for(tm->hp.n_vocab, toks);
    float *ref = malloc(nl * sizeof *ref), *got = malloc(nl * sizeof *got);
    ck_assert_ptr_nonnull(ref);
    ck_assert_ptr_nonnull(got);
    sm_ref_opts opts = {.gelu_fp16 = 1};
    ck_assert_msg(
        sm_ref_forward(&tm->hp, sm_tm_lookup, tm, &opts, toks, N_TOKENS, ref, err, sizeof err) == 0,
        "%s: reference: %s", wc->name, err);
    sm_model *m = load_tiny(tm);
    sm_sched *s = sm_test_make_sched(2, SM_TOPOLOGY_SYSTEM, NULL, 0);
    sm_context_params cp;
    sm_context_params_init(&cp);
    cp.sched = s;
    cp.logits_all = 1;
    sm_context *c = NULL;
    ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
    sm_context_set_fork_min_work(c, 0);
    int kq = wc->wtype == 12 || wc->wtype == 14, fl = wc->wtype == 0 || wc->wtype == 1;
    int g16 = fl && wc->arch == SM_REF_GPT2;
    double tol = g16 ? TOL_GELU16 : fl ? TOL_FLOAT : kq ? TOL_Q8_K : TOL_Q8_0;
    double rel_tol = g16 ? REL_GELU16 : fl ? TOL_FLOAT : kq ? REL_Q8_K : REL_Q8_0;
    for (int isa = 0; isa < SM_ISA_COUNT; isa++) {
        const sm_kernels *kt = sm_kernels_table((sm_isa)isa);
        if (!kt)
            continue;
        sm_context_set_kernels(c, kt);
        eval_logits(c, toks, nv, got);
        double worst = 0, sd = 0, sr = 0;
        size_t at = 0;
        for (size_t i = 0; i < nl; i++) {
            double d = fabs((double)got[i] - (double)ref[i]);
            sd += d * d;
            sr += (double)ref[i] * ref[i];
            if (!(d <= worst))
                worst = d, at = i;
        }
        double rel = sqrt(sd / sr);
        printf("# %s [%s]: max |diff| %.3g, RMS of diff / RMS of logits %.3g\n", wc->name, kt->name,
               worst, rel);
        ck_assert_msg(rel <= rel_tol, "%s [%s]: relative RMS difference %.4g (tolerance %g)",
                      wc->name, kt->name, rel, rel_tol);
        ck_assert_msg(worst <= tol,
                      "%s [%s]: max |diff| %.4g at token %zu logit %zu (got %.7g, reference "
                      "%.7g; tolerance %g)",
                      wc->name, kt->name, worst, at / nv, at % nv, (double)got[at], (double)ref[at],
                      tol);
    }
    sm_context_free(c);
    sm_sched_free(s);
    sm_model_free(m);
    sm_tm_free(tm);
    free(ref);
    free(got);
}
END_TEST

START_TEST(test_forward_ref_bit_identical_across_threads)
{
    const struct wcase *wc = &cases[_i];
    sm_tm_spec spec;
    make_spec(wc, &spec);
    sm_tm_model *tm = NULL;
    char err[512];
    ck_assert_msg(sm_tm_build(&spec, &tm, err, sizeof err) == 0, "%s: %s", wc->name, err);
    int32_t toks[N_TOKENS];
    tokens_for(tm->hp.n_vocab, toks);
    sm_model *m = load_tiny(tm);
    sm_test_logits_identical_across_threads(m, toks, N_TOKENS, wc->name);
    sm_model_free(m);
    sm_tm_free(tm);
}
END_TEST

/* sm_context_mem_stats: the KV cache's size follows from the shapes (independently of how the
 * context lays it out), both element types; the arenas hold at least it; nothing is copied
 * without a placement; evaluation moves no bytes beyond what create took. */
START_TEST(test_forward_ref_mem_stats)
{
    sm_tm_spec spec;
    make_spec(&cases[0], &spec);
    sm_tm_model *tm = NULL;
    char err[512];
    ck_assert_msg(sm_tm_build(&spec, &tm, err, sizeof err) == 0, "%s", err);
    sm_model *m = load_tiny(tm);
    size_t n_kv_dim = (size_t)spec.n_embd / (size_t)spec.n_head * (size_t)spec.n_head_kv;
    for (int kv = 0; kv < 2; kv++) {
        sm_context_params cp;
        sm_context_params_init(&cp);
        cp.n_threads = 1;
        cp.n_ctx = 48;
        cp.kv_type = kv ? SM_KV_F16 : SM_KV_F32;
        sm_context *c = NULL;
        ck_assert_int_eq(sm_context_create(m, &cp, &c), SM_OK);
        sm_context_mem before, after;
        ck_assert_int_eq(sm_context_mem_stats(c, &before), SM_OK);
        uint64_t want_kv = 2u * (uint64_t)spec.n_layer * 48u * n_kv_dim * (kv ? 2u : 4u);
        ck_assert_uint_eq(before.kv_bytes, want_kv);
        ck_assert_uint_ge(before.arena_used_bytes, want_kv);
        ck_assert_uint_le(before.arena_used_bytes, before.arena_capacity_bytes);
        ck_assert_uint_ge(before.arena_high_water_bytes, before.arena_used_bytes);
        ck_assert_uint_eq(before.weight_copy_bytes, 0);
        int32_t toks[N_TOKENS];
        tokens_for(tm->hp.n_vocab, toks);
        ck_assert_int_eq(sm_eval(c, toks, N_TOKENS), SM_OK);
        ck_assert_int_eq(sm_context_mem_stats(c, &after), SM_OK);
        ck_assert_uint_eq(after.arena_capacity_bytes, before.arena_capacity_bytes);
        ck_assert_uint_eq(after.kv_bytes, want_kv);
        ck_assert_int_eq(sm_context_mem_stats(c, NULL), SM_E_INVAL);
        ck_assert_int_eq(sm_context_mem_stats(NULL, &after), SM_E_INVAL);
        sm_context_free(c);
    }
    sm_model_free(m);
    sm_tm_free(tm);
}
END_TEST

static Suite *forward_ref_suite(void)
{
    Suite *s = suite_create("forward_ref");
    TCase *tc = tcase_create("forward_ref");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_forward_ref_agrees, 0, N_CASES);
    tcase_add_loop_test(tc, test_forward_ref_bit_identical_across_threads, 0, N_CASES);
    tcase_add_test(tc, test_forward_ref_mem_stats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(forward_ref_suite());
}
