/* SPDX-License-Identifier: MIT */
/* test_sampler.c: the sampler against a naive reference (full sort, plain softmax) and
 * hand-computed cases: greedy, top-k, top-p, min-p, the repetition penalty, seeds, the drawn
 * distribution, parameter errors. */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "sampler.h"
#include "sm_test.h"

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static double uniform(uint64_t *x)
{
    return (double)(next_rand(x) >> 11) * 0x1.0p-53;
}

/* Everything off but temperature 1: each test turns on what it checks. */
static sm_sampler_params plain_params(void)
{
    sm_sampler_params p;
    sm_sampler_params_init(&p);
    p.temperature = 1.0f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    return p;
}

static sm_sampler *make(const sm_sampler_params *p, int n_vocab)
{
    sm_sampler *s = NULL;
    ck_assert_int_eq(sm_sampler_create(p, n_vocab, &s), SM_OK);
    ck_assert_ptr_nonnull(s);
    return s;
}

static int cmp_id(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* ---- the naive reference ---------------------------------------------------------------- */

typedef struct rc {
    float l;
    int32_t id;
} rc;

static int rc_cmp(const void *a, const void *b)
{
    const rc *x = a, *y = b;
    if (x->l != y->l)
        return x->l > y->l ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Steps 1-5 written the obvious way; the ids kept, ascending, into ids; returns their count. */
static int ref_filter(const float *logits, int n, const int32_t *acc, int n_acc,
                      const sm_sampler_params *p, int32_t *ids)
{
    int32_t *win = malloc(((size_t)n_acc + 1) * sizeof *win);
    int n_win = 0;
    for (int i = 0; i < n_acc; i++) {
        if (acc[i] >= 0 && acc[i] < n)
            win[n_win++] = acc[i];
    }
    int first = n_win > p->repeat_last_n ? n_win - p->repeat_last_n : 0;
    rc *c = malloc((size_t)n * sizeof *c);
    int m = 0;
    for (int i = 0; i < n; i++) {
        float l = logits[i];
        int recent = 0;
        for (int j = first; j < n_win; j++)
            recent |= win[j] == i;
        if (recent)
            l = l > 0 ? l / p->repeat_penalty : l * p->repeat_penalty;
        if (!isnan(l))
            c[m++] = (rc){l, i};
    }
    qsort(c, (size_t)m, sizeof *c, rc_cmp);
    if (m > 0 && !(p->temperature > 0))
        m = 1;
    if (m > 0 && p->temperature > 0) {
        if (p->top_k > 0 && p->top_k < m)
            m = p->top_k;
        double z = 0, cum = 0;
        for (int i = 0; i < m; i++)
            z += exp((double)c[i].l - c[0].l);
        for (int i = 0; p->top_p < 1 && i < m; i++) {
            cum += exp((double)c[i].l - c[0].l) / z;
            if (cum >= p->top_p)
                m = i + 1;
        }
        z = 0;
        for (int i = 0; i < m; i++)
            z += exp((double)c[i].l - c[0].l);
        int k = 0;
        while (k < m && exp((double)c[k].l - c[0].l) / z >= p->min_p * (1.0 / z))
            k++;
        m = k;
    }
    for (int i = 0; i < m; i++)
        ids[i] = c[i].id;
    qsort(ids, (size_t)m, sizeof *ids, cmp_id);
    free(c);
    free(win);
    return m;
}

/* The sampler's candidate ids, ascending, into ids; returns their count. */
static int sut_filter(sm_sampler *s, const float *logits, int n, int32_t *ids)
{
    const sm_sampler_cand *c;
    int m = -1;
    ck_assert_int_eq(sm_sampler_filter(s, logits, n, &c, &m), SM_OK);
    for (int i = 0; i < m; i++)
        ids[i] = c[i].id;
    qsort(ids, (size_t)m, sizeof *ids, cmp_id);
    return m;
}

static void assert_same_set(const int32_t *a, int na, const int32_t *b, int nb, const char *what)
{
    ck_assert_msg(na == nb, "%s: %d candidates, the reference keeps %d", what, na, nb);
    for (int i = 0; i < na; i++)
        ck_assert_msg(a[i] == b[i], "%s: candidate %d is id %d, reference %d", what, i, a[i], b[i]);
}

/* ---- greedy ----------------------------------------------------------------------------- */

/* Random logits on a coarse grid (many ties) with NaNs: the lowest id of the maximum wins. */
START_TEST(test_sampler_greedy_is_argmax)
{
    uint64_t rng = 7;
    float logits[100];
    for (int trial = 0; trial < 300; trial++) {
        sm_sampler_params p = plain_params();
        p.temperature = trial % 2 ? 0.0f : -1.0f;
        p.top_k = trial % 3; /* ignored when greedy */
        int n = 1 + (int)(next_rand(&rng) % 100), want = -1;
        for (int i = 0; i < n; i++) {
            logits[i] = next_rand(&rng) % 8 == 0 ? NAN : (float)(next_rand(&rng) % 7) * 0.5f;
            if (!isnan(logits[i]) && (want < 0 || logits[i] > logits[want]))
                want = i;
        }
        sm_sampler *s = make(&p, n);
        int32_t tok = -5;
        ck_assert_int_eq(sm_sample(s, logits, n, &tok), want < 0 ? SM_E_RANGE : SM_OK);
        if (want >= 0)
            ck_assert_msg(tok == want, "trial %d: token %d, argmax %d", trial, tok, want);
        sm_sampler_free(s);
    }
    sm_sampler_params p = plain_params();
    p.temperature = 0;
    sm_sampler *s = make(&p, 4);
    float all_nan[4] = {NAN, NAN, NAN, NAN}, infs[4] = {1, INFINITY, NAN, INFINITY};
    float neg[4] = {-INFINITY, -INFINITY, NAN, -INFINITY};
    int32_t tok;
    ck_assert_int_eq(sm_sample(s, all_nan, 4, &tok), SM_E_RANGE);
    ck_assert_int_eq(sm_sample(s, infs, 4, &tok), SM_OK);
    ck_assert_int_eq(tok, 1); /* +inf is the maximum; lowest id among several */
    ck_assert_int_eq(sm_sample(s, neg, 4, &tok), SM_OK);
    ck_assert_int_eq(tok, 0); /* -inf is a number: all equal, lowest id */
    sm_sampler_free(s);
}
END_TEST

/* Non-greedy: +inf logits share all the mass, NaN is never drawn. */
START_TEST(test_sampler_infinite_logits_share_the_mass)
{
    sm_sampler_params p = plain_params();
    sm_sampler *s = make(&p, 4);
    float logits[4] = {INFINITY, 50, INFINITY, NAN};
    int seen[4] = {0};
    for (int i = 0; i < 400; i++) {
        int32_t tok = -1;
        ck_assert_int_eq(sm_sample(s, logits, 4, &tok), SM_OK);
        ck_assert_msg(tok == 0 || tok == 2, "drew %d", tok);
        seen[tok]++;
    }
    ck_assert(seen[0] > 0 && seen[2] > 0);
    sm_sampler_free(s);
    /* An infinite temperature is uniform over the finite logits; -inf stays impossible. */
    p.temperature = INFINITY;
    s = make(&p, 4);
    const float spread[4] = {0, -INFINITY, 5, -3};
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 400; i++) {
        int32_t tok = -1;
        ck_assert_int_eq(sm_sample(s, spread, 4, &tok), SM_OK);
        ck_assert_msg(tok == 0 || tok == 2 || tok == 3, "drew %d", tok);
        seen[tok]++;
    }
    ck_assert(seen[0] > 50 && seen[2] > 50 && seen[3] > 50);
    sm_sampler_free(s);
}
END_TEST

/* ---- top-k, top-p, min-p ---------------------------------------------------------------- */

/* Close logits so that each of the k kept tokens is drawn often: all of them appear, no
 * other ever does. */
START_TEST(test_sampler_top_k_keeps_the_k_highest)
{
    const float logits[10] = {0.50f, 0.90f, 0.10f, 0.85f, 0.88f, 0.30f, 0.95f, 0.20f, 0.40f, 0.8f};
    const int in_set[10] = {0, 1, 0, 1, 1, 0, 1, 0, 0, 0};
    int seen[10] = {0};
    sm_sampler_params p = plain_params();
    p.top_k = 4;
    for (uint64_t seed = 0; seed < 50; seed++) {
        p.seed = seed;
        sm_sampler *s = make(&p, 10);
        for (int i = 0; i < 40; i++) {
            int32_t tok = -1;
            ck_assert_int_eq(sm_sample(s, logits, 10, &tok), SM_OK);
            ck_assert_msg(tok >= 0 && tok < 10 && in_set[tok], "seed %d drew %d", (int)seed, tok);
            seen[tok]++;
        }
        sm_sampler_free(s);
    }
    for (int i = 0; i < 10; i++)
        ck_assert_msg(!in_set[i] || seen[i] > 0, "token %d never drawn", i);
    /* Ties at the boundary go to the lower id, and the kept ones come best first. */
    const float tied[5] = {1, 2, 2, 2, 0};
    p.top_k = 2;
    sm_sampler *s = make(&p, 5);
    const sm_sampler_cand *c;
    int n = 0;
    ck_assert_int_eq(sm_sampler_filter(s, tied, 5, &c, &n), SM_OK);
    ck_assert_int_eq(n, 2);
    ck_assert(c[0].id == 1 && c[1].id == 2);
    sm_sampler_free(s);
}
END_TEST

/* Probabilities 0.5, 0.25, 0.15, 0.1 (ids 2, 0, 3, 1): the prefix reaching top_p is kept. */
START_TEST(test_sampler_top_p_keeps_the_smallest_prefix)
{
    const float logits[4] = {logf(0.25f), logf(0.1f), logf(0.5f), logf(0.15f)};
    const struct {
        float top_p;
        int n;
        int32_t ids[4];
    } cases[] = {{0.45f, 1, {2}},          {0.7f, 2, {0, 2}},       {0.85f, 3, {0, 2, 3}},
                 {0.95f, 4, {0, 1, 2, 3}}, {1.0f, 4, {0, 1, 2, 3}}, {0.01f, 1, {2}}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sm_sampler_params p = plain_params();
        p.top_p = cases[k].top_p;
        sm_sampler *s = make(&p, 4);
        int32_t ids[4];
        int n = sut_filter(s, logits, 4, ids);
        assert_same_set(ids, n, cases[k].ids, cases[k].n, "top_p");
        sm_sampler_free(s);
    }
    /* An exact boundary: four equal tokens, 0.25 each; 0.5 is reached by the first two. */
    const float flat[4] = {0, 0, 0, 0};
    const int32_t two[2] = {0, 1};
    sm_sampler_params p = plain_params();
    p.top_p = 0.5f;
    sm_sampler *s = make(&p, 4);
    int32_t ids[4];
    int n = sut_filter(s, flat, 4, ids);
    assert_same_set(ids, n, two, 2, "top_p at the boundary");
    sm_sampler_free(s);
    /* 300 equal logits, some -0: more than the first 256 are needed, and -0 equals +0, so the
     * kept 285 (0.95) are the lowest ids. */
    float zeros[300] = {0};
    int32_t many[300], low[285];
    for (int i = 0; i < 285; i++)
        low[i] = i;
    zeros[10] = zeros[20] = zeros[30] = -0.0f;
    p.top_p = 0.95f;
    s = make(&p, 300);
    n = sut_filter(s, zeros, 300, many);
    assert_same_set(many, n, low, 285, "top_p over signed zeros");
    sm_sampler_free(s);
}
END_TEST

/* Probabilities 0.4, 0.2, 0.1, 0.05, 0.25: min_p keeps p >= min_p * 0.4. */
START_TEST(test_sampler_min_p_keeps_the_expected_set)
{
    const float logits[5] = {logf(0.4f), logf(0.2f), logf(0.1f), logf(0.05f), logf(0.25f)};
    const struct {
        float min_p;
        int n;
        int32_t ids[5];
    } cases[] = {{0.3f, 3, {0, 1, 4}}, {0.6f, 2, {0, 4}}, {1.0f, 1, {0}}, {0.2f, 4, {0, 1, 2, 4}}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sm_sampler_params p = plain_params();
        p.min_p = cases[k].min_p;
        sm_sampler *s = make(&p, 5);
        int32_t ids[5];
        int n = sut_filter(s, logits, 5, ids);
        assert_same_set(ids, n, cases[k].ids, cases[k].n, "min_p");
        sm_sampler_free(s);
    }
}
END_TEST

/* Random vectors with ties and NaNs, random steps and history, against the reference. */
START_TEST(test_sampler_filters_match_the_reference)
{
    uint64_t rng = 99;
    enum { N_MAX = 300 };
    float logits[N_MAX];
    int32_t acc[40], got[N_MAX], want[N_MAX];
    for (int trial = 0; trial < 2000; trial++) {
        int n = 1 + (int)(next_rand(&rng) % N_MAX), n_acc = (int)(next_rand(&rng) % 40);
        float grid = trial % 2 ? 0.25f : 0.001f;
        for (int i = 0; i < n; i++)
            logits[i] =
                next_rand(&rng) % 50 == 0 ? NAN : (float)(next_rand(&rng) % 40) * grid - 3.0f;
        for (int i = 0; i < n_acc; i++)
            acc[i] = (int32_t)(next_rand(&rng) % (uint64_t)(n + 3)) - 1; /* some out of range */
        sm_sampler_params p = plain_params();
        p.top_k = (int)(next_rand(&rng) % 4 == 0 ? 0 : next_rand(&rng) % 60);
        p.top_p = next_rand(&rng) % 3 == 0 ? 1.0f : (float)(0.02 + 0.97 * uniform(&rng));
        p.min_p = next_rand(&rng) % 3 == 0 ? 0.0f : (float)(0.5 * uniform(&rng));
        p.repeat_penalty = (float[]){1.0f, 1.3f, 0.7f}[next_rand(&rng) % 3];
        p.repeat_last_n = (int[]){0, 4, 16}[next_rand(&rng) % 3];
        p.temperature = trial % 10 == 0 ? 0.0f : 1.0f;
        sm_sampler *s = make(&p, n);
        for (int i = 0; i < n_acc; i++)
            sm_sampler_accept(s, acc[i]);
        int nw = ref_filter(logits, n, acc, n_acc, &p, want);
        if (nw == 0) {
            int32_t tok;
            ck_assert_int_eq(sm_sample(s, logits, n, &tok), SM_E_RANGE);
        } else {
            char what[128];
            snprintf(what, sizeof what, "trial %d (n %d top_k %d top_p %g min_p %g)", trial, n,
                     p.top_k, p.top_p, p.min_p);
            int ng = sut_filter(s, logits, n, got);
            assert_same_set(got, ng, want, nw, what);
        }
        sm_sampler_free(s);
    }
}
END_TEST

/* top_p alone on a 50000-token vocabulary: peaked (the best 256 hold top_p) and flat (they do
 * not, so the whole vocabulary is sorted) give the reference's set. */
START_TEST(test_sampler_top_p_large_vocab_matches_the_reference)
{
    enum { N = 50000 };
    float *logits = malloc(N * sizeof *logits);
    int32_t *got = malloc(N * sizeof *got), *want = malloc(N * sizeof *want);
    uint64_t rng = 1234 + (uint64_t)_i;
    for (int i = 0; i < N; i++)
        logits[i] = (float)uniform(&rng);
    if (_i == 0) {
        for (int i = 0; i < 30; i++)
            logits[next_rand(&rng) % N] += 12.0f;
    }
    const float top_ps[] = {0.5f, 0.9f, 0.95f};
    for (int k = 0; k < 3; k++) {
        sm_sampler_params p = plain_params();
        p.top_p = top_ps[k];
        sm_sampler *s = make(&p, N);
        int ng = sut_filter(s, logits, N, got), nw = ref_filter(logits, N, NULL, 0, &p, want);
        ck_assert(_i == 1 || ng < 256); /* the peaked case takes the short path */
        assert_same_set(got, ng, want, nw, _i == 0 ? "peaked" : "flat");
        sm_sampler_free(s);
    }
    free(want);
    free(got);
    free(logits);
}
END_TEST

/* ---- repetition penalty ----------------------------------------------------------------- */

START_TEST(test_sampler_repetition_penalty_hand_computed)
{
    const float logits[6] = {2.0f, -1.0f, 0.5f, -0.5f, 3.0f, 1.0f};
    sm_sampler_params p = plain_params();
    p.repeat_penalty = 2.0f;
    p.repeat_last_n = 3;
    sm_sampler *s = make(&p, 6);
    /* Window of 3: 4 falls out; 1 twice is penalized once; 99 and -1 are ignored. */
    const int32_t acc[] = {4, 0, 1, 99, 1, -1};
    for (size_t i = 0; i < sizeof acc / sizeof acc[0]; i++)
        sm_sampler_accept(s, acc[i]);
    const float want[6] = {1.0f, -2.0f, 0.5f, -0.5f, 3.0f, 1.0f};
    const sm_sampler_cand *c;
    int n = 0;
    ck_assert_int_eq(sm_sampler_filter(s, logits, 6, &c, &n), SM_OK);
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < n; i++)
        ck_assert_msg(c[i].logit == want[c[i].id], "id %d: %g, want %g", c[i].id,
                      (double)c[i].logit, (double)want[c[i].id]);
    sm_sampler_reset(s, 0); /* empties the history */
    ck_assert_int_eq(sm_sampler_filter(s, logits, 6, &c, &n), SM_OK);
    for (int i = 0; i < n; i++)
        ck_assert(c[i].logit == logits[c[i].id]);
    sm_sampler_free(s);
    /* Greedy sees the penalty: 2.0 / 2 falls below 1.5. */
    p.temperature = 0;
    s = make(&p, 2);
    const float two[2] = {2.0f, 1.5f};
    int32_t tok = -1;
    ck_assert_int_eq(sm_sample(s, two, 2, &tok), SM_OK);
    ck_assert_int_eq(tok, 0);
    sm_sampler_accept(s, 0);
    ck_assert_int_eq(sm_sample(s, two, 2, &tok), SM_OK);
    ck_assert_int_eq(tok, 1);
    sm_sampler_free(s);
}
END_TEST

/* ---- the generator ---------------------------------------------------------------------- */

static void draw(sm_sampler *s, const float *logits, int n, int32_t *out, int count)
{
    for (int i = 0; i < count; i++)
        ck_assert_int_eq(sm_sample(s, logits, n, &out[i]), SM_OK);
}

START_TEST(test_sampler_seed_repeats_the_sequence)
{
    float flat[16] = {0};
    int32_t a[200], b[200], c[200];
    sm_sampler_params p = plain_params();
    p.seed = 42;
    sm_sampler *s1 = make(&p, 16), *s2 = make(&p, 16);
    p.seed = 43;
    sm_sampler *s3 = make(&p, 16);
    draw(s1, flat, 16, a, 200);
    draw(s2, flat, 16, b, 200);
    draw(s3, flat, 16, c, 200);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert(memcmp(a, c, sizeof a) != 0);
    sm_sampler_reset(s1, 42);
    draw(s1, flat, 16, b, 200);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    sm_sampler_free(s3);
    sm_sampler_free(s2);
    sm_sampler_free(s1);
}
END_TEST

/* 20000 draws from p = (0.1, 0.2, 0.3, 0.4) at temperature 1 and 0.5 (p^2, normalized):
 * chi-square with 3 degrees of freedom below 25 (p ~ 2e-5 for a right sampler; a wrong
 * temperature gives thousands). The seed is fixed, so this cannot flake. */
START_TEST(test_sampler_draws_follow_the_softmax)
{
    const double prob[4] = {0.1, 0.2, 0.3, 0.4};
    const float temps[2] = {1.0f, 0.5f};
    float logits[4];
    double q[4], z = 0;
    for (int i = 0; i < 4; i++) {
        logits[i] = (float)log(prob[i]);
        z += q[i] = pow(prob[i], 1.0 / temps[_i]);
    }
    sm_sampler_params p = plain_params();
    p.temperature = temps[_i];
    p.seed = 2026;
    sm_sampler *s = make(&p, 4);
    enum { DRAWS = 20000 };
    int count[4] = {0};
    for (int i = 0; i < DRAWS; i++) {
        int32_t tok = -1;
        ck_assert_int_eq(sm_sample(s, logits, 4, &tok), SM_OK);
        count[tok]++;
    }
    double chi2 = 0;
    for (int i = 0; i < 4; i++) {
        double e = DRAWS * q[i] / z;
        chi2 += (count[i] - e) * (count[i] - e) / e;
    }
    ck_assert_msg(chi2 < 25.0, "T %g: chi2 %g (counts %d %d %d %d)", (double)temps[_i], chi2,
                  count[0], count[1], count[2], count[3]);
    sm_sampler_free(s);
}
END_TEST

/* ---- parameters and arguments ----------------------------------------------------------- */

static char last_log[1024];

static void keep_log(void *user_data, sm_log_level level, const char *message)
{
    (void)user_data;
    (void)level;
    snprintf(last_log, sizeof last_log, "%s", message);
}

START_TEST(test_sampler_rejects_bad_params)
{
    sm_sampler_params d;
    sm_sampler_params_init(&d);
    ck_assert(d.seed == 0 && d.temperature == 0.8f && d.top_k == 40 && d.top_p == 0.95f);
    ck_assert(d.min_p == 0.05f && d.repeat_penalty == 1.0f && d.repeat_last_n == 64);
    /* Each case is the defaults with one field out of its range. */
    const struct {
        const char *field;
        float value;
    } bad[] = {
        {"temperature", NAN},   {"top_k", -1},           {"top_p", 0},
        {"top_p", 1.01f},       {"top_p", NAN},          {"min_p", -0.01f},
        {"min_p", 1.01f},       {"min_p", NAN},          {"repeat_penalty", 0},
        {"repeat_penalty", -1}, {"repeat_penalty", NAN}, {"repeat_penalty", INFINITY},
        {"repeat_last_n", -1},
    };
    sm_set_log(keep_log, NULL);
    sm_sampler *s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sm_sampler_params p = d;
        const char *f = bad[i].field;
        float v = bad[i].value;
        if (!strcmp(f, "temperature"))
            p.temperature = v;
        else if (!strcmp(f, "top_k"))
            p.top_k = (int)v;
        else if (!strcmp(f, "top_p"))
            p.top_p = v;
        else if (!strcmp(f, "min_p"))
            p.min_p = v;
        else if (!strcmp(f, "repeat_penalty"))
            p.repeat_penalty = v;
        else
            p.repeat_last_n = (int)v;
        last_log[0] = '\0';
        s = (sm_sampler *)&d; /* any non-NULL value: a failure must set it to NULL */
        ck_assert_int_eq(sm_sampler_create(&p, 8, &s), SM_E_INVAL);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(last_log, f), "case %zu: log \"%s\"", i, last_log);
    }
    ck_assert_int_eq(sm_sampler_create(&d, 0, &s), SM_E_INVAL);
    ck_assert_msg(strstr(last_log, "n_vocab 0"), "log \"%s\"", last_log);
    sm_set_log(NULL, NULL);
    ck_assert_int_eq(sm_sampler_create(&d, 8, NULL), SM_E_INVAL);
    /* The edges of each range are accepted; NULL params are the defaults. */
    sm_sampler_params edge = plain_params();
    edge.temperature = INFINITY;
    edge.min_p = 1.0f;
    edge.repeat_last_n = 0;
    s = make(&edge, 1);
    sm_sampler_free(s);
    s = make(NULL, 8);
    sm_sampler_free(s);
    sm_sampler_free(NULL);
}
END_TEST

START_TEST(test_sampler_checks_arguments_and_keeps_logits)
{
    sm_sampler_params p;
    sm_sampler_params_init(&p);
    p.repeat_penalty = 1.5f;
    sm_sampler *s = make(&p, 8);
    float logits[8] = {1, -2, 3, NAN, 0.5f, -0.25f, 2, 2}, copy[8];
    memcpy(copy, logits, sizeof logits);
    sm_sampler_accept(s, 2);
    sm_sampler_accept(s, 1);
    int32_t tok = -1;
    ck_assert_int_eq(sm_sample(s, logits, 7, &tok), SM_E_INVAL);
    ck_assert_int_eq(sm_sample(s, logits, 9, &tok), SM_E_INVAL);
    ck_assert_int_eq(sm_sample(s, NULL, 8, &tok), SM_E_INVAL);
    ck_assert_int_eq(sm_sample(s, logits, 8, NULL), SM_E_INVAL);
    ck_assert_int_eq(sm_sample(NULL, logits, 8, &tok), SM_E_INVAL);
    ck_assert_int_eq(tok, -1);
    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(sm_sample(s, logits, 8, &tok), SM_OK);
        ck_assert(tok >= 0 && tok < 8 && tok != 3);
    }
    ck_assert(memcmp(logits, copy, sizeof logits) == 0);
    sm_sampler_accept(NULL, 1);
    sm_sampler_reset(NULL, 1);
    sm_sampler_free(s);
}
END_TEST

static Suite *sampler_suite(void)
{
    Suite *s = suite_create("sampler");
    TCase *steps = tcase_create("steps");
    tcase_add_test(steps, test_sampler_greedy_is_argmax);
    tcase_add_test(steps, test_sampler_infinite_logits_share_the_mass);
    tcase_add_test(steps, test_sampler_top_k_keeps_the_k_highest);
    tcase_add_test(steps, test_sampler_top_p_keeps_the_smallest_prefix);
    tcase_add_test(steps, test_sampler_min_p_keeps_the_expected_set);
    tcase_add_test(steps, test_sampler_filters_match_the_reference);
    tcase_add_loop_test(steps, test_sampler_top_p_large_vocab_matches_the_reference, 0, 2);
    tcase_add_test(steps, test_sampler_repetition_penalty_hand_computed);
    tcase_set_timeout(steps, 60);
    suite_add_tcase(s, steps);
    TCase *rng = tcase_create("generator");
    tcase_add_test(rng, test_sampler_seed_repeats_the_sequence);
    tcase_add_loop_test(rng, test_sampler_draws_follow_the_softmax, 0, 2);
    suite_add_tcase(s, rng);
    TCase *api = tcase_create("api");
    tcase_add_test(api, test_sampler_rejects_bad_params);
    tcase_add_test(api, test_sampler_checks_arguments_and_keeps_logits);
    suite_add_tcase(s, api);
    return s;
}

int main(void)
{
    return sm_test_run(sampler_suite());
}
