/* SPDX-License-Identifier: MIT */
/* bench_compare.c: `sm-bench --compare BASE.json NEW.json` (bench_compare.h): reads two
 * `sm-bench -o json` files, pairs their results and judges each pair from its samples. */
#include "config.h"

#include "bench_compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "smallmind.h"

/*
 * The verdict, and why it has two parts.
 *
 * sm-bench repeats each test r times in one process, so samples_ts shows the noise *within* a
 * process. Between processes there is more: on the shared 2-vCPU development VM, 15 runs of
 * the same binary (bench_forward, 35M-parameter Q8_0 model, medians of 5, 2026-11-24) gave
 * 2-thread pp128 medians from 2135 to 2433 tok/s and tg64 from 885 to 1015 tok/s: up to 15%
 * apart. A run's repetitions share its process and cannot show that drift, so a test on the
 * samples alone (Mann-Whitney, Welch) would call such a pair "slower" with a tiny p-value when
 * each run is steady: the samples picture one process, not the machine between processes.
 *
 * So a pair is "slower" or "faster" only when both hold:
 *  1. Effect: the ratio of the means, new/base, lies beyond the noise floor, a factor of
 *        max(1.25, exp(2 * sqrt(sb^2 + sn^2)))
 *     either way, where sb and sn are the standard deviations of the logarithms of each run's
 *     samples (about their relative spread). 1.25 covers the drift between processes seen
 *     above (15%) with a margin for busier days, and still catches what --compare is for:
 *     the scalar kernels (SM_KERNELS=ref) ran 5-9 times slower on that model, and the seed's
 *     TensorAdd regression was 3.5 times. The spread term raises the floor for runs that are
 *     noisy within themselves: two single draws from such runs differ by up to twice their
 *     combined spread about 95% of the time, with nothing changed. The floor is symmetric in
 *     the logarithm, so swapping the two files swaps "slower" and "faster" and nothing else;
 *     "slower" thus always means new/base < 0.8.
 *  2. Evidence: a two-sided Mann-Whitney rank test of the two sets of samples gives p < 0.05,
 *     with its direction agreeing with the ratio. Ranks rather than Welch's t because
 *     benchmark samples have outliers (a neighbour's burst hits one repetition) and are not
 *     normal; the test is exact (all arrangements counted) for up to 60 samples without ties,
 *     and the normal approximation with the tie correction otherwise. It guards against a
 *     ratio carried by a few wild samples while most samples of the two runs overlap.
 * With few samples the rank test cannot reach p < 0.05 at all: its smallest p is
 * 2 / C(m + k, m), 0.10 for 3 against 3 and 1 for 1 against 1. Then the floor decides alone
 * and the output says so (basis "floor only"; a dagger in the md table); a single-sample run
 * has no spread, so its floor is the 1.25 factor.
 *
 * --fail-on-regression PCT counts a pair when it is "slower" and 1 - new/base > PCT/100: a
 * PCT under 20 thus fails on every "slower" verdict.
 */
static const double FLOOR_MIN = 1.25; /* the least factor that can count as a change */
static const double FLOOR_SPREAD_K = 2.0;
static const double ALPHA = 0.05;
/* Exact up to 60 samples: the counts reach C(60, 30) = 1.2e17, past 2^53, but only their
 * ratios matter and those keep about 14 digits; the work (60 * 30 * 1365 steps) is small. */
enum { EXACT_MAX_SAMPLES = 60 };

static const size_t MAX_FILE_BYTES = (size_t)64 << 20;

typedef enum verdict { V_WITHIN = 0, V_FASTER, V_SLOWER } verdict;

static const char *verdict_name(verdict v)
{
    return v == V_FASTER ? "faster" : v == V_SLOWER ? "slower" : "within noise";
}

/* One result object of a file; the strings are borrowed from the file's tree. */
typedef struct result {
    const char *model, *test, *placement, *numa;
    const char *pinning; /* optional in the file (older runs): "on", sm-bench's default */
    long long n_threads;
    double *samples; /* samples_ts, n of them, all > 0 */
    size_t n;
    double mean, sd;
    size_t index; /* in the file's array */
    int paired;
} result;

typedef struct bench_file {
    const char *path;
    sm_json *root;
    result *res;
    size_t n;
    const char *version, *isa; /* of the first result, when present: shown in the md header */
} bench_file;

/* What decided a verdict (the "basis" column of csv and json). */
static const char *const BASIS_FLOOR = "floor";           /* the ratio is within the floor */
static const char *const BASIS_FLOOR_ONLY = "floor only"; /* beyond it; too few samples to test */
static const char *const BASIS_RANK = "floor and rank test";

typedef struct judgement {
    double ratio; /* mean new / mean base */
    double floor; /* the factor the ratio had to exceed either way */
    double p;     /* two-sided rank test p-value; NAN when too few samples for the test */
    const char *basis;
    verdict v;
} judgement;

typedef struct row {
    const result *base, *cur; /* either may be NULL: a test in one file only */
    judgement j;
} row;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return 4;
}

/* ---- reading ---------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            set_err(err, err_len, "%s: out of memory", path);
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            set_err(err, err_len, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (n < cap) {
            fclose(f);
            *len = n;
            return buf;
        }
        if (cap > MAX_FILE_BYTES) {
            set_err(err, err_len, "%s: larger than %zu MiB, not an sm-bench result file", path,
                    MAX_FILE_BYTES >> 20);
            break;
        }
        char *b2 = realloc(buf, cap * 2);
        if (!b2)
            free(buf);
        buf = b2;
        cap *= 2;
    }
    free(buf);
    fclose(f);
    return NULL;
}

/* A required string member, with no NUL inside (it goes into C strings and tables). */
static int get_str(const bench_file *bf, size_t i, const sm_json *obj, const char *key,
                   const char **out, char *err, size_t err_len)
{
    const sm_json *v = sm_json_get(obj, key);
    size_t len;
    if (!v)
        return set_err(err, err_len, "%s:%d:%d: result [%zu] has no \"%s\" field", bf->path,
                       obj->line, obj->col, i, key);
    const char *s = sm_json_string(v, &len);
    if (!s || strlen(s) != len)
        return set_err(err, err_len, "%s:%d:%d: result [%zu]: \"%s\" is %s, expected a string%s",
                       bf->path, v->line, v->col, i, key, sm_json_type_name(v->type),
                       s ? " without NUL characters" : "");
    *out = s;
    return 0;
}

/* samples_ts: a non-empty array of positive numbers (tokens per second). */
static int get_samples(const bench_file *bf, size_t i, const sm_json *obj, result *r, char *err,
                       size_t err_len)
{
    const sm_json *v = sm_json_get(obj, "samples_ts");
    if (!v)
        return set_err(err, err_len, "%s:%d:%d: result [%zu] has no \"samples_ts\" field", bf->path,
                       obj->line, obj->col, i);
    if (v->type != SM_JSON_ARRAY || v->len == 0)
        return set_err(err, err_len,
                       "%s:%d:%d: result [%zu]: \"samples_ts\" is %s, expected a non-empty array "
                       "of numbers",
                       bf->path, v->line, v->col, i,
                       v->type == SM_JSON_ARRAY ? "empty" : sm_json_type_name(v->type));
    r->samples = malloc(v->len * sizeof *r->samples);
    if (!r->samples)
        return set_err(err, err_len, "%s: out of memory", bf->path);
    for (size_t k = 0; k < v->len; k++) {
        const sm_json *x = sm_json_at(v, k);
        if (sm_json_number(x, &r->samples[k]) != 0 || !(r->samples[k] > 0))
            return set_err(err, err_len,
                           "%s:%d:%d: result [%zu]: \"samples_ts\" item %zu is %s, expected a "
                           "positive number (tokens per second)",
                           bf->path, x->line, x->col, i, k,
                           x->type == SM_JSON_NUMBER ? "not positive" : sm_json_type_name(x->type));
    }
    r->n = v->len;
    r->mean = sm_bench_mean(r->samples, r->n);
    r->sd = sm_bench_sd(r->samples, r->n);
    return 0;
}

static int read_result(const bench_file *bf, size_t i, result *r, char *err, size_t err_len)
{
    const sm_json *obj = sm_json_at(bf->root, i);
    if (obj->type != SM_JSON_OBJECT)
        return set_err(err, err_len, "%s:%d:%d: result [%zu] is %s, expected an object", bf->path,
                       obj->line, obj->col, i, sm_json_type_name(obj->type));
    r->index = i;
    if (get_str(bf, i, obj, "model_filename", &r->model, err, err_len) ||
        get_str(bf, i, obj, "test", &r->test, err, err_len) ||
        get_str(bf, i, obj, "placement", &r->placement, err, err_len) ||
        get_str(bf, i, obj, "numa", &r->numa, err, err_len))
        return 4;
    r->pinning = "on";
    if (sm_json_get(obj, "pinning") && get_str(bf, i, obj, "pinning", &r->pinning, err, err_len))
        return 4;
    const sm_json *t = sm_json_get(obj, "n_threads");
    if (!t)
        return set_err(err, err_len, "%s:%d:%d: result [%zu] has no \"n_threads\" field", bf->path,
                       obj->line, obj->col, i);
    if (sm_json_int(t, &r->n_threads) != 0 || r->n_threads < 1)
        return set_err(err, err_len,
                       "%s:%d:%d: result [%zu]: \"n_threads\" is %s, expected a positive integer",
                       bf->path, t->line, t->col, i,
                       t->type == SM_JSON_NUMBER ? "not a positive integer"
                                                 : sm_json_type_name(t->type));
    return get_samples(bf, i, obj, r, err, err_len);
}

static int cmp_key(const result *a, const result *b)
{
    int c = strcmp(a->model, b->model);
    if (!c)
        c = strcmp(a->test, b->test);
    if (!c)
        c = (a->n_threads > b->n_threads) - (a->n_threads < b->n_threads);
    if (!c)
        c = strcmp(a->placement, b->placement);
    if (!c)
        c = strcmp(a->numa, b->numa);
    if (!c)
        c = strcmp(a->pinning, b->pinning);
    return c;
}

static int cmp_key_only(const void *a, const void *b)
{
    return cmp_key(*(const result *const *)a, *(const result *const *)b);
}

static int cmp_key_ptr(const void *a, const void *b)
{
    const result *x = *(const result *const *)a, *y = *(const result *const *)b;
    int c = cmp_key(x, y);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The file's results sorted by key (into @p sorted), refusing a key that repeats: pairing
 * would have to guess which of the two to use. */
static int sort_results(const bench_file *bf, const result **sorted, char *err, size_t err_len)
{
    for (size_t i = 0; i < bf->n; i++)
        sorted[i] = &bf->res[i];
    qsort(sorted, bf->n, sizeof *sorted, cmp_key_ptr);
    for (size_t i = 1; i < bf->n; i++) {
        if (cmp_key(sorted[i - 1], sorted[i]) == 0) {
            const sm_json *o = sm_json_at(bf->root, sorted[i]->index);
            return set_err(err, err_len,
                           "%s:%d:%d: result [%zu] repeats result [%zu]: same model_filename, "
                           "test, n_threads, placement, numa and pinning",
                           bf->path, o->line, o->col, sorted[i]->index, sorted[i - 1]->index);
        }
    }
    return 0;
}

static void bench_file_fini(bench_file *bf)
{
    for (size_t i = 0; bf->res && i < bf->n; i++)
        free(bf->res[i].samples);
    free(bf->res);
    sm_json_free(bf->root);
}

static int bench_file_load(bench_file *bf, const char *path, char *err, size_t err_len)
{
    memset(bf, 0, sizeof *bf);
    bf->path = path;
    size_t len = 0;
    char *text = slurp(path, &len, err, err_len);
    if (!text)
        return 4;
    sm_json_limits lim = {.max_bytes = MAX_FILE_BYTES};
    sm_json_error je;
    int st = sm_json_parse(text, len, &lim, &bf->root, &je);
    free(text);
    if (st == SM_E_NOMEM || st == SM_E_INVAL)
        return set_err(err, err_len, "%s: out of memory", path);
    if (st != 0)
        return set_err(err, err_len, "%s:%d:%d: %s", path, je.line, je.col, je.msg);
    if (bf->root->type != SM_JSON_ARRAY)
        return set_err(err, err_len,
                       "%s:%d:%d: the text is %s, expected an array of results (sm-bench -o json)",
                       path, bf->root->line, bf->root->col, sm_json_type_name(bf->root->type));
    bf->n = bf->root->len;
    bf->res = calloc(bf->n ? bf->n : 1, sizeof *bf->res);
    if (!bf->res)
        return set_err(err, err_len, "%s: out of memory", path);
    for (size_t i = 0; i < bf->n; i++) {
        if (read_result(bf, i, &bf->res[i], err, err_len))
            return 4;
    }
    if (bf->n) {
        const sm_json *first = sm_json_at(bf->root, 0);
        bf->version = sm_json_string(sm_json_get(first, "version"), NULL);
        bf->isa = sm_json_string(sm_json_get(first, "isa"), NULL);
    }
    return 0;
}

/* ---- the verdict ------------------------------------------------------------------------ */

/* Standard deviation of ln(v): the run's relative spread, on the scale the ratio lives on. */
static double log_sd(const double *v, size_t n)
{
    if (n < 2)
        return 0;
    double *l = malloc(n * sizeof *l);
    if (!l)
        return NAN;
    for (size_t i = 0; i < n; i++)
        l[i] = log(v[i]);
    double sd = sm_bench_sd(l, n);
    free(l);
    return sd;
}

typedef struct ranked {
    double x;
    int is_new;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->x, y = ((const ranked *)b)->x;
    return (x > y) - (x < y);
}

/* P(U <= u) for the U of a group of k among N = m + k values with no ties, counting every
 * arrangement: cnt[j][s] = subsets of size j of the ranks seen so far with rank sum s. */
static double exact_cdf(size_t m, size_t k, double u)
{
    size_t n = m + k, smax = k * (2 * n - k + 1) / 2;
    double *cnt = calloc((k + 1) * (smax + 1), sizeof *cnt);
    if (!cnt)
        return NAN;
    cnt[0] = 1;
    for (size_t rank = 1; rank <= n; rank++) {
        for (size_t j = rank < k ? rank : k; j >= 1; j--) {
            for (size_t s = smax; s >= rank; s--)
                cnt[j * (smax + 1) + s] += cnt[(j - 1) * (smax + 1) + s - rank];
        }
    }
    double below = 0, total = 0, base = (double)(k * (k + 1) / 2);
    for (size_t s = 0; s <= smax; s++) {
        double c = cnt[k * (smax + 1) + s];
        total += c;
        if ((double)s - base <= u + 1e-9)
            below += c;
    }
    free(cnt);
    return below / total;
}

/* Two-sided p of the Mann-Whitney U test of base (m values) against new (k values), and U of
 * the new group (pairs in which new beats base, ties counting half) in *u_new. */
static double mann_whitney(const double *b, size_t m, const double *c, size_t k, double *u_new)
{
    size_t n = m + k;
    ranked *a = malloc(n * sizeof *a);
    if (!a)
        return 1; /* no room to rank: no evidence, so the verdict stays "within noise" */
    for (size_t i = 0; i < m; i++)
        a[i] = (ranked){b[i], 0};
    for (size_t i = 0; i < k; i++)
        a[m + i] = (ranked){c[i], 1};
    qsort(a, n, sizeof *a, cmp_ranked);
    double rank_sum = 0, ties = 0; /* sum of t^3 - t over groups of t equal values */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && a[j].x == a[i].x)
            j++;
        double t = (double)(j - i), mid = 0.5 * (double)(i + 1 + j); /* the mean of ranks i+1..j */
        for (size_t q = i; q < j; q++)
            rank_sum += a[q].is_new ? mid : 0;
        ties += t * t * t - t;
        i = j;
    }
    free(a);
    double mk = (double)m * (double)k;
    *u_new = rank_sum - (double)k * (double)(k + 1) / 2;
    if (ties == 0 && n <= EXACT_MAX_SAMPLES) {
        double lo = exact_cdf(m, k, *u_new), hi = exact_cdf(m, k, mk - *u_new);
        double p = 2 * (lo < hi ? lo : hi); /* U's distribution is symmetric about mk/2 */
        return p < 1 ? p : 1;
    }
    double var = mk / 12 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1)));
    if (!(var > 0))
        return 1; /* every value equal: no evidence either way */
    double z = (fabs(*u_new - mk / 2) - 0.5) / sqrt(var); /* 0.5: continuity correction */
    return z > 0 ? erfc(z / sqrt(2.0)) : 1;
}

/* The smallest two-sided p the exact test can give for m against k: 2 / C(m + k, m). */
static double min_p(size_t m, size_t k)
{
    double c = 1;
    for (size_t i = 1; i <= m; i++)
        c = c * (double)(k + i) / (double)i;
    return 2 / c;
}

static judgement judge(const result *b, const result *c)
{
    judgement j = {.ratio = c->mean / b->mean, .p = NAN, .basis = BASIS_FLOOR, .v = V_WITHIN};
    double sb = log_sd(b->samples, b->n), sn = log_sd(c->samples, c->n);
    double floor_log = log(FLOOR_MIN), spread = FLOOR_SPREAD_K * sqrt(sb * sb + sn * sn);
    if (!(spread <= floor_log))
        floor_log = isnan(spread) ? INFINITY : spread;
    j.floor = exp(floor_log);
    /* p is reported whenever the test can decide, also for a ratio within the floor: a tiny p
     * there is the drift between processes, visible in the csv and json. */
    verdict by_rank = V_WITHIN;
    if (min_p(b->n, c->n) < ALPHA) {
        double mk = (double)b->n * (double)c->n, u_new = mk / 2;
        j.p = mann_whitney(b->samples, b->n, c->samples, c->n, &u_new);
        by_rank = u_new < mk / 2 ? V_SLOWER : u_new > mk / 2 ? V_FASTER : V_WITHIN;
    }
    double d = log(j.ratio);
    if (fabs(d) <= floor_log)
        return j;
    verdict by_ratio = d < 0 ? V_SLOWER : V_FASTER;
    if (isnan(j.p)) {
        j.basis = BASIS_FLOOR_ONLY;
        j.v = by_ratio;
    } else {
        j.basis = BASIS_RANK;
        if (j.p < ALPHA && by_rank == by_ratio)
            j.v = by_ratio;
    }
    return j;
}

/* ---- output ----------------------------------------------------------------------------- */

/* A Markdown table cell: '|' would end the cell and a line break the row. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static const result *any_side(const row *r)
{
    return r->base ? r->base : r->cur;
}

static const char *basis(const row *r)
{
    return r->base && r->cur ? r->j.basis : "";
}

static const char *row_verdict(const row *r)
{
    if (!r->cur)
        return "only in base";
    if (!r->base)
        return "only in new";
    return verdict_name(r->j.v);
}

static void write_md(FILE *f, const bench_file *bf, const bench_file *nf, const row *rows,
                     size_t n_rows)
{
    int extra = 0; /* placement, numa and pin columns, when the rows do not all share them */
    for (size_t i = 1; i < n_rows; i++) {
        const result *a = any_side(&rows[0]), *b = any_side(&rows[i]);
        extra |= strcmp(a->placement, b->placement) || strcmp(a->numa, b->numa) ||
                 strcmp(a->pinning, b->pinning);
    }
    const bench_file *files[2] = {bf, nf};
    for (int i = 0; i < 2; i++) {
        fprintf(f, "%s: %s", i ? "new" : "base", files[i]->path);
        if (files[i]->version || files[i]->isa)
            fprintf(f, " (version %s, isa %s)", files[i]->version ? files[i]->version : "?",
                    files[i]->isa ? files[i]->isa : "?");
        fputs("\n", f);
    }
    fprintf(f, "\n| model | threads | test |%s base t/s | new t/s | ratio | verdict |\n",
            extra ? " placement | numa | pin |" : "");
    fprintf(f, "|---|---:|---|%s---:|---:|---:|---|\n", extra ? "---|---|---|" : "");
    int dagger = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        if (!r->base || !r->cur)
            continue;
        fputs("| ", f);
        md_cell(f, r->base->model);
        fprintf(f, " | %lld | ", r->base->n_threads);
        md_cell(f, r->base->test);
        if (extra) {
            fputs(" | ", f);
            md_cell(f, r->base->placement);
            fputs(" | ", f);
            md_cell(f, r->base->numa);
            fputs(" | ", f);
            md_cell(f, r->base->pinning);
        }
        int thr = r->j.basis == BASIS_FLOOR_ONLY;
        dagger |= thr;
        fprintf(f, " | %.2f ± %.2f | %.2f ± %.2f | %.3f | %s%s |\n", r->base->mean, r->base->sd,
                r->cur->mean, r->cur->sd, r->j.ratio, verdict_name(r->j.v), thr ? " †" : "");
    }
    int only = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        if (r->base && r->cur)
            continue;
        const result *x = any_side(r);
        fprintf(f, "%sOnly in %s: ", only++ ? "" : "\n", r->base ? bf->path : nf->path);
        md_cell(f, x->model);
        fprintf(f, ", %lld thread%s, ", x->n_threads, x->n_threads == 1 ? "" : "s");
        md_cell(f, x->test);
        if (extra) {
            fputs(", placement ", f);
            md_cell(f, x->placement);
            fputs(", numa ", f);
            md_cell(f, x->numa);
            fputs(", pin ", f);
            md_cell(f, x->pinning);
        }
        fputs("\n", f);
    }
    fprintf(f,
            "\nratio = new/base mean t/s. slower/faster: the ratio is beyond the noise floor "
            "(x%.2f, or twice the runs' combined spread when that is larger) and a rank test of "
            "the samples agrees (Mann-Whitney, p < %.2f).\n",
            FLOOR_MIN, ALPHA);
    if (dagger)
        fputs("† too few samples for the rank test: the noise floor alone decides.\n", f);
}

static void write_csv(FILE *f, const row *rows, size_t n_rows)
{
    fputs("model_filename,n_threads,test,placement,numa,pinning,base_avg_ts,base_stddev_ts,base_n,"
          "new_avg_ts,new_stddev_ts,new_n,ratio,noise_floor,p_value,basis,verdict\n",
          f);
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        const result *x = any_side(r), *side[2] = {r->base, r->cur};
        sm_bench_csv_str(f, x->model);
        fprintf(f, ",%lld,", x->n_threads);
        sm_bench_csv_str(f, x->test);
        fputc(',', f);
        sm_bench_csv_str(f, x->placement);
        fputc(',', f);
        sm_bench_csv_str(f, x->numa);
        fputc(',', f);
        sm_bench_csv_str(f, x->pinning);
        for (int s = 0; s < 2; s++) {
            if (side[s])
                fprintf(f, ",%.6g,%.6g,%zu", side[s]->mean, side[s]->sd, side[s]->n);
            else
                fputs(",,,", f);
        }
        if (r->base && r->cur) {
            fprintf(f, ",%.6g,%.6g,", r->j.ratio, r->j.floor);
            if (!isnan(r->j.p))
                fprintf(f, "%.6g", r->j.p);
        } else {
            fputs(",,,", f);
        }
        fprintf(f, ",%s,%s\n", basis(r), row_verdict(r));
    }
}

static void json_side(FILE *f, const char *name, const result *x)
{
    fprintf(f, ", \"%s_avg_ts\": ", name);
    sm_bench_json_num(f, x ? x->mean : NAN, 6);
    fprintf(f, ", \"%s_stddev_ts\": ", name);
    sm_bench_json_num(f, x ? x->sd : NAN, 6);
    fprintf(f, ", \"%s_n\": ", name);
    if (x)
        fprintf(f, "%zu", x->n);
    else
        fputs("null", f);
}

static void write_json(FILE *f, const row *rows, size_t n_rows)
{
    fputs("[\n", f);
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        const result *x = any_side(r);
        int both = r->base && r->cur;
        fputs("  {\"model_filename\": ", f);
        sm_bench_json_str(f, x->model);
        fprintf(f, ", \"n_threads\": %lld, \"test\": ", x->n_threads);
        sm_bench_json_str(f, x->test);
        fputs(", \"placement\": ", f);
        sm_bench_json_str(f, x->placement);
        fputs(", \"numa\": ", f);
        sm_bench_json_str(f, x->numa);
        fputs(", \"pinning\": ", f);
        sm_bench_json_str(f, x->pinning);
        json_side(f, "base", r->base);
        json_side(f, "new", r->cur);
        fputs(", \"ratio\": ", f);
        sm_bench_json_num(f, both ? r->j.ratio : NAN, 6);
        fputs(", \"noise_floor\": ", f);
        sm_bench_json_num(f, both ? r->j.floor : NAN, 6);
        fputs(", \"p_value\": ", f);
        sm_bench_json_num(f, both ? r->j.p : NAN, 6);
        fputs(", \"basis\": ", f);
        sm_bench_json_str(f, both ? basis(r) : NULL);
        fputs(", \"verdict\": ", f);
        sm_bench_json_str(f, row_verdict(r));
        fprintf(f, "}%s\n", i + 1 < n_rows ? "," : "");
    }
    fputs("]\n", f);
}

/* ---- the comparison --------------------------------------------------------------------- */

/* Rows: every base result in file order, paired when NEW has its key, then NEW's unpaired. */
static int make_rows(bench_file *bf, bench_file *nf, row *rows, size_t *n_rows, char *err,
                     size_t err_len)
{
    const result **sb = malloc((bf->n + 1) * sizeof *sb), **sn = malloc((nf->n + 1) * sizeof *sn);
    int st = 4;
    if (!sb || !sn) {
        set_err(err, err_len, "out of memory");
        goto done;
    }
    if (sort_results(bf, sb, err, err_len) || sort_results(nf, sn, err, err_len))
        goto done;
    size_t k = 0;
    for (size_t i = 0; i < bf->n; i++) {
        const result *key = &bf->res[i];
        const result **hit = bsearch(&key, sn, nf->n, sizeof *sn, cmp_key_only);
        rows[k] = (row){.base = key};
        if (hit) {
            rows[k].cur = *hit;
            ((result *)*hit)->paired = 1;
            rows[k].j = judge(key, *hit);
        }
        k++;
    }
    for (size_t i = 0; i < nf->n; i++) {
        if (!nf->res[i].paired)
            rows[k++] = (row){.cur = &nf->res[i]};
    }
    *n_rows = k;
    st = 0;
done:
    free(sb);
    free(sn);
    return st;
}

/* Says on stderr which pairs are slower than --fail-on-regression allows; 1 if any. */
static int check_regressions(const sm_bench_compare_opts *o, const row *rows, size_t n_rows)
{
    int failed = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const row *r = &rows[i];
        if (!r->base || !r->cur || r->j.v != V_SLOWER || 1 - r->j.ratio <= o->fail_pct / 100)
            continue;
        fprintf(stderr,
                "sm-bench: --fail-on-regression %g: %s, %lld thread%s, %s (placement %s, numa "
                "%s): %.1f%% slower (new/base %.3f)\n",
                o->fail_pct, r->base->model, r->base->n_threads, r->base->n_threads == 1 ? "" : "s",
                r->base->test, r->base->placement, r->base->numa, 100 * (1 - r->j.ratio),
                r->j.ratio);
        failed = 1;
    }
    return failed;
}

int sm_bench_compare(const sm_bench_compare_opts *o, char *err, size_t err_len)
{
    if (err && err_len)
        err[0] = '\0';
    if (!o || !o->base_path || !o->new_path)
        return set_err(err, err_len, "--compare needs two files: BASE.json NEW.json");
    FILE *out = o->out ? o->out : stdout;
    bench_file bf, nf;
    row *rows = NULL;
    size_t n_rows = 0;
    int st = bench_file_load(&bf, o->base_path, err, err_len);
    if (st) {
        bench_file_fini(&bf);
        return st;
    }
    st = bench_file_load(&nf, o->new_path, err, err_len);
    if (st)
        goto done;
    rows = malloc((bf.n + nf.n + 1) * sizeof *rows);
    if (!rows) {
        st = set_err(err, err_len, "out of memory");
        goto done;
    }
    if ((st = make_rows(&bf, &nf, rows, &n_rows, err, err_len)) != 0)
        goto done;
    if (o->fmt == SM_BENCH_CSV)
        write_csv(out, rows, n_rows);
    else if (o->fmt == SM_BENCH_JSON)
        write_json(out, rows, n_rows);
    else
        write_md(out, &bf, &nf, rows, n_rows);
    fflush(out);
    st = o->fail_pct >= 0 ? check_regressions(o, rows, n_rows) : 0;
done:
    free(rows);
    bench_file_fini(&nf);
    bench_file_fini(&bf);
    return st;
}
