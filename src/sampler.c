/* SPDX-License-Identifier: MIT */
/* sampler.c: the public sampler: repetition penalty, greedy, top-k, top-p, min-p, temperature. */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sampler.h"

/* top-p with top-k off first looks at this many of the best candidates only: with a peaked
 * distribution (the usual case) they hold top_p of the mass, and selecting them costs
 * O(n log 256) instead of a sort of the whole vocabulary (radix, the fallback). */
enum { TOP_P_FIRST = 256 };

/* The largest n_vocab and repeat_last_n taken: the largest vocabulary and the longest context a
 * model may have (SM_ARCH_MAX_VOCAB, SM_ARCH_MAX_CTX in arch_common.h). Larger values are
 * refused, since the sampler sizes its buffers by them at create: a huge integer would
 * otherwise ask for gigabytes, or (a 32-bit size_t) wrap into a small buffer. */
enum { SAMPLER_MAX = 1 << 24 };

struct sm_sampler {
    sm_sampler_params p;
    int n_vocab;
    uint64_t rng[4];       /* xoshiro256** state */
    sm_sampler_cand *cand; /* n_vocab: the working copy of the logits */
    sm_sampler_cand *tmp;  /* n_vocab: selections and the radix sort's other buffer */
    double *w;             /* n_vocab: the weights of the final draw, computed once */
    uint8_t *mark;         /* n_vocab: set while the penalty runs, for distinct tokens */
    int32_t *hist;         /* ring of the last repeat_last_n accepted tokens */
    int hist_len, hist_next;
};

void sm_sampler_params_init(sm_sampler_params *params)
{
    if (!params)
        return;
    *params = (sm_sampler_params){.seed = 0,
                                  .temperature = 0.8f,
                                  .top_k = 40,
                                  .top_p = 0.95f,
                                  .min_p = 0.05f,
                                  .repeat_penalty = 1.0f,
                                  .repeat_last_n = 64};
}

/* splitmix64 spreads any seed (0 included) over the four words xoshiro needs, none all zero
 * (Vigna's recommended seeding). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro256ss(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void sm_sampler_reset(sm_sampler *s, uint64_t seed)
{
    if (!s)
        return;
    for (int i = 0; i < 4; i++)
        s->rng[i] = splitmix64(&seed);
    s->hist_len = s->hist_next = 0;
}

/* Logs the first field out of its range, by name with its value; 0 when all are valid. */
static int bad(const char *name, double value, const char *rule)
{
    sm_log(SM_LOG_ERROR, "sm_sampler_create: %s %g: must be %s", name, value, rule);
    return -1;
}

/* The same for an integer field, shown exactly (%g would round 2147483647). */
static int bad_int(const char *name, int value, const char *rule)
{
    sm_log(SM_LOG_ERROR, "sm_sampler_create: %s %d: must be %s", name, value, rule);
    return -1;
}

static int check_params(const sm_sampler_params *p, int n_vocab)
{
    if (n_vocab < 1 || n_vocab > SAMPLER_MAX)
        return bad_int("n_vocab", n_vocab, "in [1, 16777216]");
    if (isnan(p->temperature))
        return bad("temperature", p->temperature, "a number (<= 0 = greedy)");
    if (p->top_k < 0)
        return bad_int("top_k", p->top_k, ">= 0 (0 = off)");
    if (!(p->top_p > 0 && p->top_p <= 1))
        return bad("top_p", p->top_p, "in (0, 1] (1 = off)");
    if (!(p->min_p >= 0 && p->min_p <= 1))
        return bad("min_p", p->min_p, "in [0, 1] (0 = off)");
    if (!(p->repeat_penalty > 0 && isfinite(p->repeat_penalty)))
        return bad("repeat_penalty", p->repeat_penalty, "finite and > 0 (1 = off)");
    if (p->repeat_last_n < 0 || p->repeat_last_n > SAMPLER_MAX)
        return bad_int("repeat_last_n", p->repeat_last_n, "in [0, 16777216] (0 = off)");
    return 0;
}

sm_status sm_sampler_create(const sm_sampler_params *params, int n_vocab, sm_sampler **out)
{
    sm_sampler_params defaults;
    if (!params) {
        sm_sampler_params_init(&defaults);
        params = &defaults;
    }
    if (!out)
        return SM_E_INVAL;
    *out = NULL;
    if (check_params(params, n_vocab) != 0)
        return SM_E_INVAL;
    sm_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return SM_E_NOMEM;
    s->p = *params;
    s->n_vocab = n_vocab;
    s->cand = malloc((size_t)n_vocab * sizeof *s->cand);
    s->tmp = malloc((size_t)n_vocab * sizeof *s->tmp);
    s->w = malloc((size_t)n_vocab * sizeof *s->w);
    s->mark = calloc((size_t)n_vocab, 1);
    /* +1: malloc(0) may return NULL, which would read as a failure when the penalty is off. */
    s->hist = malloc(((size_t)params->repeat_last_n + 1) * sizeof *s->hist);
    if (!s->cand || !s->tmp || !s->w || !s->mark || !s->hist) {
        sm_sampler_free(s);
        return SM_E_NOMEM;
    }
    sm_sampler_reset(s, params->seed);
    *out = s;
    return SM_OK;
}

void sm_sampler_free(sm_sampler *s)
{
    if (!s)
        return;
    free(s->hist);
    free(s->mark);
    free(s->w);
    free(s->tmp);
    free(s->cand);
    free(s);
}

void sm_sampler_accept(sm_sampler *s, int32_t token)
{
    if (!s || token < 0 || token >= s->n_vocab || s->p.repeat_last_n == 0)
        return;
    s->hist[s->hist_next] = token;
    s->hist_next = (s->hist_next + 1) % s->p.repeat_last_n;
    if (s->hist_len < s->p.repeat_last_n)
        s->hist_len++;
}

/* The total order of candidates: higher logit first, then lower id, so every selection and
 * sort below has one answer whatever the input order. */
static int better(sm_sampler_cand a, sm_sampler_cand b)
{
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

/* Unsigned keys in the opposite order of the floats they come from: larger logit, smaller
 * key. Negative floats' bits are flipped, positive ones get the sign bit, then all inverted. */
static uint32_t down_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? u : ~(u | 0x80000000u);
}

static void swap(sm_sampler_cand *a, sm_sampler_cand *b)
{
    sm_sampler_cand t = *a;
    *a = *b;
    *b = t;
}

/* Sifts h[i] down a heap of n whose root is the worst element. */
static void sift_down(sm_sampler_cand *h, int n, int i)
{
    for (;;) {
        int w = i, l = 2 * i + 1, r = l + 1;
        if (l < n && better(h[w], h[l]))
            w = l;
        if (r < n && better(h[w], h[r]))
            w = r;
        if (w == i)
            return;
        swap(&h[i], &h[w]);
        i = w;
    }
}

/* Writes the k best of src[0, n) to dst[0, k), sorted best first, in O(n log k): a heap of
 * the k best so far with the worst at its root, then a heapsort of it. */
static void select_top(sm_sampler_cand *dst, const sm_sampler_cand *src, int n, int k)
{
    memcpy(dst, src, (size_t)k * sizeof *dst);
    for (int i = k / 2 - 1; i >= 0; i--)
        sift_down(dst, k, i);
    for (int j = k; j < n; j++) {
        if (better(src[j], dst[0])) {
            dst[0] = src[j];
            sift_down(dst, k, 0);
        }
    }
    for (int end = k - 1; end > 0; end--) {
        swap(&dst[0], &dst[end]);
        sift_down(dst, end, 0);
    }
}

/* Sorts c[0, n), which is in id order, best first, with tmp as the other buffer: a stable LSD
 * radix sort, 4 passes of 8 bits over a key that orders the logits downwards, so equal logits
 * stay in id order. NaN is gone and -0 was made +0 by load(), so equal logits have equal
 * bits. A heapsort here (mispredicted comparisons) made a top-p-only sm_sample of 50000 flat
 * logits take about 11 ms; with this it takes about 2 ms. */
static void radix_sort(sm_sampler_cand *c, sm_sampler_cand *tmp, int n)
{
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = {0};
        for (int i = 0; i < n; i++)
            count[((down_key(c[i].logit) >> shift) & 0xff) + 1]++;
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (int i = 0; i < n; i++)
            tmp[count[(down_key(c[i].logit) >> shift) & 0xff]++] = c[i];
        sm_sampler_cand *t = c; /* an even number of passes ends in the caller's c */
        c = tmp;
        tmp = t;
    }
}

/* exp((l - max) / t) in double, with l == max giving 1 so that an infinite maximum shares the
 * mass among its equals instead of making NaN, and an infinite gap giving 0. */
static double weight(float l, float max, double t)
{
    if (l == max)
        return 1.0;
    double d = (double)l - (double)max;
    return d == -INFINITY ? 0.0 : exp(d / t);
}

static float max_logit(const sm_sampler_cand *c, int n, int sorted)
{
    float m = c[0].logit;
    for (int i = 1; !sorted && i < n; i++)
        m = c[i].logit > m ? c[i].logit : m;
    return m;
}

/* The length of the shortest prefix of c[0, n) whose probabilities (normalizer z) sum to
 * top_p, or 0 when even all n fall short. */
static int top_p_prefix(const sm_sampler_cand *c, int n, float max, double z, double top_p)
{
    double cum = 0;
    for (int i = 0; i < n; i++) {
        cum += weight(c[i].logit, max, 1.0) / z;
        if (cum >= top_p)
            return i + 1;
    }
    return 0;
}

/* Copies the logits, applies the penalty once per distinct recent token, drops NaNs. */
static int load(sm_sampler *s, const float *logits)
{
    sm_sampler_cand *c = s->cand;
    for (int i = 0; i < s->n_vocab; i++)
        c[i] = (sm_sampler_cand){logits[i] + 0.0f, i}; /* + 0: -0 becomes +0 */
    float pen = s->p.repeat_penalty;
    if (pen != 1.0f) {
        for (int i = 0; i < s->hist_len; i++) {
            int32_t id = s->hist[i];
            if (s->mark[id])
                continue;
            s->mark[id] = 1;
            c[id].logit = c[id].logit > 0 ? c[id].logit / pen : c[id].logit * pen;
        }
        for (int i = 0; i < s->hist_len; i++)
            s->mark[s->hist[i]] = 0;
    }
    int n = 0;
    for (int i = 0; i < s->n_vocab; i++) {
        if (!isnan(c[i].logit))
            c[n++] = c[i];
    }
    return n;
}

/* Steps 1-5 of sm_sample. *sorted says whether the candidates are in best-first order. */
static sm_status filter(sm_sampler *s, const float *logits, int n_vocab, int *n_out, int *sorted)
{
    if (!s || !logits || n_vocab != s->n_vocab)
        return SM_E_INVAL;
    int n = load(s, logits);
    if (n == 0)
        return SM_E_RANGE;
    sm_sampler_cand *c = s->cand;
    const sm_sampler_params *p = &s->p;
    *sorted = 0;
    if (!(p->temperature > 0)) {
        int best = 0;
        for (int i = 1; i < n; i++)
            best = better(c[i], c[best]) ? i : best;
        c[0] = c[best];
        *n_out = 1;
        return SM_OK;
    }
    if (p->top_k > 0 && p->top_k < n) {
        select_top(s->tmp, c, n, p->top_k);
        n = p->top_k;
        memcpy(c, s->tmp, (size_t)n * sizeof *c);
        *sorted = 1;
    }
    if (p->top_p < 1.0f) {
        /* The normalizer is summed in the current order before any selection, so the fast
         * prefix and the full sort's prefix are bit-identical: both give the same set. */
        float max = max_logit(c, n, *sorted);
        double z = 0;
        for (int i = 0; i < n; i++)
            z += weight(c[i].logit, max, 1.0);
        int keep;
        if (*sorted) {
            keep = top_p_prefix(c, n, max, z, p->top_p);
        } else {
            /* c stays in id order for radix_sort, which needs it for its ties. */
            int first = n < TOP_P_FIRST ? n : TOP_P_FIRST;
            select_top(s->tmp, c, n, first);
            keep = top_p_prefix(s->tmp, first, max, z, p->top_p);
            if (keep > 0 || first == n) {
                memcpy(c, s->tmp, (size_t)(keep > 0 ? keep : n) * sizeof *c);
            } else {
                radix_sort(c, s->tmp, n);
                keep = top_p_prefix(c, n, max, z, p->top_p);
            }
        }
        *sorted = 1;
        n = keep > 0 ? keep : n; /* rounding may leave the sum just short of top_p */
    }
    if (p->min_p > 0) {
        /* p_i >= min_p * p_max  <=>  exp(l_i - l_max) >= min_p; order is kept. */
        float max = max_logit(c, n, *sorted);
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (weight(c[i].logit, max, 1.0) >= p->min_p)
                c[m++] = c[i];
        }
        n = m;
    }
    *n_out = n;
    return SM_OK;
}

sm_status sm_sampler_filter(sm_sampler *s, const float *logits, int n_vocab,
                            const sm_sampler_cand **cands, int *n_cands)
{
    int n, sorted;
    if (!cands || !n_cands)
        return SM_E_INVAL;
    sm_status st = filter(s, logits, n_vocab, &n, &sorted);
    if (st != SM_OK)
        return st;
    *cands = s->cand;
    *n_cands = n;
    return SM_OK;
}

sm_status sm_sample(sm_sampler *s, const float *logits, int n_vocab, int32_t *token)
{
    int n, sorted;
    if (!token)
        return SM_E_INVAL;
    sm_status st = filter(s, logits, n_vocab, &n, &sorted);
    if (st != SM_OK)
        return st;
    const sm_sampler_cand *c = s->cand;
    if (!(s->p.temperature > 0)) {
        *token = c[0].id;
        return SM_OK;
    }
    /* One draw per call, even with one candidate left, so the generator's position depends
     * only on the number of calls. 53 bits: every double in [0, 1) on a 2^-53 grid. */
    double u = (double)(xoshiro256ss(s->rng) >> 11) * 0x1.0p-53;
    float max = max_logit(c, n, sorted);
    double t = s->p.temperature, total = 0;
    for (int i = 0; i < n; i++)
        total += s->w[i] = weight(c[i].logit, max, t);
    double target = u * total, cum = 0;
    int pick = 0;
    for (int i = 0; i < n; i++) {
        cum += s->w[i];
        if (s->w[i] > 0)
            pick = i; /* the guard: the last positive weight, should rounding miss the target */
        if (cum > target)
            break;
    }
    *token = c[pick].id;
    return SM_OK;
}
