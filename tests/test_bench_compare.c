/* SPDX-License-Identifier: MIT */
/* test_bench_compare.c: sm-bench --compare (perf/bench_compare.h) on small sm-bench-like JSON
 * files: verdicts for identical, scaled, jittered and drifted runs, --fail-on-regression, the
 * rank test's p against a brute-force count, pairing, the three formats, and bad files. */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "perf/bench_compare.h"
#include "perf/json_read.h"
#include "sm_test.h"
#include "sm_test_tmp.h"

/* One result object as sm-bench -o json writes it. */
typedef struct entry {
    const char *model, *test;
    int threads;
    const char *placement, *numa;
    const double *samples;
    size_t n;
} entry;

static void write_entry(FILE *f, const entry *e)
{
    double mean = sm_bench_mean(e->samples, e->n), sd = sm_bench_sd(e->samples, e->n);
    fputs("  {\n    \"model_filename\": ", f);
    sm_bench_json_str(f, e->model);
    fprintf(f,
            ",\n    \"model_type\": \"llama 35M Q8_0\",\n    \"model_size\": 49742720,\n"
            "    \"model_n_params\": 35463680,\n    \"n_threads\": %d,\n    \"n_prompt\": 512,\n"
            "    \"n_gen\": 0,\n    \"test\": ",
            e->threads);
    sm_bench_json_str(f, e->test);
    fprintf(f, ",\n    \"avg_ts\": %.17g,\n    \"stddev_ts\": %.17g,\n    \"samples_ts\": [", mean,
            sd);
    for (size_t i = 0; i < e->n; i++)
        fprintf(f, "%s%.17g", i ? ", " : "", e->samples[i]);
    fputs("],\n    \"placement\": ", f);
    sm_bench_json_str(f, e->placement ? e->placement : "compact");
    fputs(",\n    \"numa\": ", f);
    sm_bench_json_str(f, e->numa ? e->numa : "off");
    fputs(",\n    \"isa\": \"avx2\",\n    \"topology\": \"Machine:1 Core:2 PU:2\",\n"
          "    \"version\": \"0.1.0\",\n    \"heap_bytes_per_token\": 0,\n"
          "    \"steals_local\": 12, \"steals_remote\": 0,\n"
          "    \"a_field_from_the_future\": {\"x\": [1, 2]}\n  }",
          f);
}

static void write_file(char *path, size_t len, const entry *e, size_t n)
{
    sm_test_make_temp(path, len, "sm-cmp-");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("[\n", f);
    for (size_t i = 0; i < n; i++) {
        write_entry(f, &e[i]);
        fputs(i + 1 < n ? ",\n" : "\n", f);
    }
    fputs("]\n", f);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(char *path, size_t len, const char *text)
{
    sm_test_make_temp(path, len, "sm-cmp-");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* The output of one comparison, and what it returned. */
typedef struct outcome {
    int rc;
    char text[16384];
    char err[512];
    long stderr_bytes;
} outcome;

static void run_compare(const char *base, const char *cur, sm_bench_fmt fmt, double fail_pct,
                        outcome *o)
{
    FILE *out = tmpfile();
    ck_assert_ptr_nonnull(out);
    sm_bench_compare_opts opts = {
        .base_path = base, .new_path = cur, .fail_pct = fail_pct, .fmt = fmt, .out = out};
    sm_test_capture cap;
    sm_test_capture_begin(&cap, 2);
    o->rc = sm_bench_compare(&opts, o->err, sizeof o->err);
    o->stderr_bytes = sm_test_capture_end(&cap);
    rewind(out);
    size_t n = fread(o->text, 1, sizeof o->text - 1, out);
    o->text[n] = '\0';
    fclose(out);
}

/* Compares two single-test runs and returns the one row of the JSON output (parsed; the
 * caller frees *root). */
static const sm_json *compare_one(const double *b, size_t nb, const double *c, size_t nc,
                                  double fail_pct, int *rc, sm_json **root)
{
    char pb[256], pc[256];
    entry eb = {"m.gguf", "pp512", 2, NULL, NULL, b, nb};
    entry ec = {"m.gguf", "pp512", 2, NULL, NULL, c, nc};
    write_file(pb, sizeof pb, &eb, 1);
    write_file(pc, sizeof pc, &ec, 1);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_JSON, fail_pct, &o);
    unlink(pb);
    unlink(pc);
    *rc = o.rc;
    ck_assert_msg(o.rc == 0 || o.rc == 1, "rc %d: %s", o.rc, o.err);
    sm_json_error e;
    ck_assert_msg(sm_json_parse(o.text, strlen(o.text), NULL, root, &e) == 0,
                  "output is not JSON (%d:%d: %s):\n%s", e.line, e.col, e.msg, o.text);
    ck_assert_uint_eq((*root)->len, 1);
    return sm_json_at(*root, 0);
}

static const char *verdict_of(const double *b, size_t nb, const double *c, size_t nc, char *buf,
                              size_t len)
{
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(b, nb, c, nc, -1, &rc, &root);
    ck_assert_int_eq(rc, 0);
    snprintf(buf, len, "%s", sm_json_string(sm_json_get(row, "verdict"), NULL));
    sm_json_free(root);
    return buf;
}

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Uniform in [-1, 1). */
static double unit_rand(uint64_t *x)
{
    return (double)(next_rand(x) >> 11) / 4503599627370496.0 - 1.0;
}

static const double BASE5[] = {250.1, 251.3, 249.6, 250.8, 252.0};

static void scaled(const double *v, size_t n, double k, double *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = v[i] * k;
}

/* ---- verdicts --------------------------------------------------------------------------- */

START_TEST(test_bench_compare_identical_runs_are_within_noise)
{
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(BASE5, 5, BASE5, 5, 0, &rc, &root);
    ck_assert_int_eq(rc, 0); /* even with --fail-on-regression 0 */
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "within noise");
    double ratio, p;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "ratio"), &ratio), 0);
    ck_assert_double_eq_tol(ratio, 1, 1e-9);
    /* Identical sets: U = mk/2, so the two-sided p is 1. */
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "p_value"), &p), 0);
    ck_assert_double_eq_tol(p, 1, 1e-9);
    sm_json_free(root);
}
END_TEST

START_TEST(test_bench_compare_half_speed_is_slower_and_fails_by_pct)
{
    double half[5];
    scaled(BASE5, 5, 0.5, half);
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(BASE5, 5, half, 5, 10, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "slower");
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "basis"), NULL), "floor and rank test");
    ck_assert_int_eq(rc, 1); /* 50% slower > 10% */
    double ratio;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "ratio"), &ratio), 0);
    ck_assert_double_eq_tol(ratio, 0.5, 1e-6);
    sm_json_free(root);

    char pb[256], pc[256];
    entry eb = {"m.gguf", "tg128", 1, NULL, NULL, BASE5, 5};
    entry ec = {"m.gguf", "tg128", 1, NULL, NULL, half, 5};
    write_file(pb, sizeof pb, &eb, 1);
    write_file(pc, sizeof pc, &ec, 1);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_MD, 10, &o);
    ck_assert_int_eq(o.rc, 1);
    ck_assert_int_gt(o.stderr_bytes, 0); /* which pair, on stderr */
    run_compare(pb, pc, SM_BENCH_MD, 60, &o);
    ck_assert_int_eq(o.rc, 0); /* 50% slower <= 60% */
    ck_assert_int_eq(o.stderr_bytes, 0);
    ck_assert_ptr_nonnull(strstr(o.text, "| slower |"));
    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 0); /* off */
    run_compare(pc, pb, SM_BENCH_MD, 0, &o);
    ck_assert_int_eq(o.rc, 0); /* the other way round it is faster: nothing to fail */
    ck_assert_ptr_nonnull(strstr(o.text, "| faster |"));
    unlink(pb);
    unlink(pc);
}
END_TEST

START_TEST(test_bench_compare_double_speed_is_faster)
{
    double twice[5];
    scaled(BASE5, 5, 2, twice);
    char v[32];
    ck_assert_str_eq(verdict_of(BASE5, 5, twice, 5, v, sizeof v), "faster");
}
END_TEST

/* Both runs drawn from one distribution with +-8% uniform jitter: never a verdict, over 200
 * seeded trials at 5 and at 10 samples a run. The same jitter around half the speed: always
 * "slower". */
START_TEST(test_bench_compare_jitter_is_within_noise)
{
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t n = _i ? 10 : 5;
    char v[32];
    for (int trial = 0; trial < 100; trial++) {
        double b[10], c[10], slow[10];
        for (size_t i = 0; i < n; i++) {
            b[i] = 300 * (1 + 0.08 * unit_rand(&rng));
            c[i] = 300 * (1 + 0.08 * unit_rand(&rng));
            slow[i] = 150 * (1 + 0.08 * unit_rand(&rng));
        }
        ck_assert_msg(!strcmp(verdict_of(b, n, c, n, v, sizeof v), "within noise"),
                      "trial %d, %zu samples: %s", trial, n, v);
        ck_assert_msg(!strcmp(verdict_of(b, n, slow, n, v, sizeof v), "slower"),
                      "trial %d, %zu samples: %s", trial, n, v);
    }
}
END_TEST

/* Two processes on the shared VM: each run tight (+-1%), the second 12% lower as a whole.
 * The rank test alone would call that slower (p = 2/252); the floor does not. A 35% drop
 * with the same spread is slower. */
START_TEST(test_bench_compare_drift_between_processes_is_within_noise)
{
    double drifted[5], dropped[5];
    scaled(BASE5, 5, 0.88, drifted);
    scaled(BASE5, 5, 0.65, dropped);
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(BASE5, 5, drifted, 5, 5, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "within noise");
    ck_assert_int_eq(rc, 0);
    double p;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "p_value"), &p), 0);
    ck_assert_double_eq_tol(p, 2.0 / 252, 1e-6);
    sm_json_free(root);
    char v[32];
    ck_assert_str_eq(verdict_of(BASE5, 5, dropped, 5, v, sizeof v), "slower");
}
END_TEST

/* A mean moved by one wild sample (x1.52) is not a verdict: the spread it brings raises the
 * floor past the ratio (the log-spread of the new run is about 0.57, so the floor is near
 * exp(2 * 0.57) = 3.1). */
START_TEST(test_bench_compare_one_outlier_is_within_noise)
{
    const double c[] = {250.4, 251.0, 249.9, 250.6, 900.0};
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(BASE5, 5, c, 5, -1, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "within noise");
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "basis"), NULL), "floor");
    double ratio, fl;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "ratio"), &ratio), 0);
    ck_assert_double_gt(ratio, 1.5);
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "noise_floor"), &fl), 0);
    ck_assert_double_gt(fl, 2.5);
    ck_assert_double_lt(fl, 3.5);
    sm_json_free(root);
}
END_TEST

START_TEST(test_bench_compare_few_samples_use_the_floor_only)
{
    const double b1[] = {100}, c1[] = {50}, c2[] = {90}, c3[] = {130};
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(b1, 1, c1, 1, 10, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "slower");
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "basis"), NULL), "floor only");
    ck_assert_int_eq(sm_json_get(row, "p_value")->type, SM_JSON_NULL);
    ck_assert_int_eq(rc, 1);
    sm_json_free(root);
    char v[32];
    ck_assert_str_eq(verdict_of(b1, 1, c2, 1, v, sizeof v), "within noise");
    ck_assert_str_eq(verdict_of(b1, 1, c3, 1, v, sizeof v), "faster");
    /* 3 against 3: the rank test's smallest p is 0.1, so the floor decides. */
    const double b3[] = {100, 101, 99}, c3s[] = {60, 61, 59};
    row = compare_one(b3, 3, c3s, 3, -1, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "slower");
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "basis"), NULL), "floor only");
    sm_json_free(root);
    /* 4 against 4 can reach 2/70 < 0.05: the test takes part. */
    const double b4[] = {100, 101, 99, 100.5}, c4[] = {60, 61, 59, 60.5};
    row = compare_one(b4, 4, c4, 4, -1, &rc, &root);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "basis"), NULL), "floor and rank test");
    double p;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "p_value"), &p), 0);
    ck_assert_double_eq_tol(p, 2.0 / 70, 1e-6);
    sm_json_free(root);
}
END_TEST

/* The exact p against a brute-force count over every way to split the pooled samples into
 * groups of the two sizes: p = 2 min(P(U <= u), P(U >= u)), capped at 1. */
static double brute_force_p(const double *b, size_t m, const double *c, size_t k)
{
    double all[16];
    size_t n = m + k;
    memcpy(all, b, m * sizeof *b);
    memcpy(all + m, c, k * sizeof *c);
    double u_obs = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < k; j++)
            u_obs += c[j] > b[i];
    }
    double le = 0, ge = 0, total = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        if ((size_t)__builtin_popcount(mask) != k)
            continue;
        double u = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < n; j++) {
                if (!(mask >> i & 1) && (mask >> j & 1))
                    u += all[j] > all[i];
            }
        }
        total++;
        le += u <= u_obs;
        ge += u >= u_obs;
    }
    double p = 2 * (le < ge ? le : ge) / total;
    return p < 1 ? p : 1;
}

START_TEST(test_bench_compare_exact_p_matches_brute_force)
{
    uint64_t rng = 77 + (uint64_t)_i;
    size_t m = 4 + (size_t)_i % 3, k = 5 + (size_t)_i % 4;
    double b[8], c[8];
    for (size_t i = 0; i < m; i++)
        b[i] = 200 + 20 * unit_rand(&rng);
    for (size_t i = 0; i < k; i++)
        c[i] = 190 + 20 * unit_rand(&rng);
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(b, m, c, k, -1, &rc, &root);
    double p;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "p_value"), &p), 0);
    double want = brute_force_p(b, m, c, k);
    ck_assert_msg(fabs(p - want) <= 1e-5 * want, "%zu vs %zu: p %g, brute force %g", m, k, p, want);
    sm_json_free(root);
}
END_TEST

/* Ties everywhere: the normal approximation with the tie correction. Five 100s against five
 * 50s: U = 0, mean 12.5, variance 25/12 * (11 - 240/90) = 17.36, z = (12.5 - 0.5)/4.167 =
 * 2.880, two-sided p = erfc(2.880/sqrt 2) = 0.00398 (by hand). */
START_TEST(test_bench_compare_ties_use_the_normal_approximation)
{
    const double b[] = {100, 100, 100, 100, 100}, c[] = {50, 50, 50, 50, 50};
    int rc;
    sm_json *root;
    const sm_json *row = compare_one(b, 5, c, 5, -1, &rc, &root);
    double p;
    ck_assert_int_eq(sm_json_number(sm_json_get(row, "p_value"), &p), 0);
    ck_assert_double_eq_tol(p, 0.00398, 0.00002);
    ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), "slower");
    sm_json_free(root);
}
END_TEST

/* ---- pairing and formats ---------------------------------------------------------------- */

START_TEST(test_bench_compare_pairs_by_key_and_lists_unpaired)
{
    static const double s100[] = {100, 101, 99, 100, 100.5}, s200[] = {200, 202, 198, 201, 199};
    static const double s50[] = {50, 50.5, 49.5, 50, 50.2};
    /* Same test at 1 and 2 threads, in opposite orders; a placement only the base has; a test
     * only each side has. Mispairing the thread counts would show 2x either way. */
    const entry base[] = {
        {"m.gguf", "pp512", 1, NULL, NULL, s100, 5},
        {"m.gguf", "pp512", 2, NULL, NULL, s200, 5},
        {"m.gguf", "tg128", 2, NULL, NULL, s100, 5},
        {"m.gguf", "pp512", 2, "scatter", NULL, s200, 5},
    };
    const entry cur[] = {
        {"m.gguf", "pp512", 2, NULL, NULL, s200, 5},
        {"m.gguf", "pp10+tg25", 2, NULL, NULL, s50, 5},
        {"m.gguf", "pp512", 1, NULL, NULL, s100, 5},
    };
    char pb[256], pc[256];
    write_file(pb, sizeof pb, base, 4);
    write_file(pc, sizeof pc, cur, 3);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_JSON, 10, &o);
    ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.err);
    sm_json *root;
    ck_assert_int_eq(sm_json_parse(o.text, strlen(o.text), NULL, &root, NULL), 0);
    ck_assert_uint_eq(root->len, 5);
    const char *want_test[] = {"pp512", "pp512", "tg128", "pp512", "pp10+tg25"};
    const long long want_threads[] = {1, 2, 2, 2, 2};
    const char *want_verdict[] = {"within noise", "within noise", "only in base", "only in base",
                                  "only in new"};
    for (size_t i = 0; i < 5; i++) {
        const sm_json *row = sm_json_at(root, i);
        long long t;
        ck_assert_str_eq(sm_json_string(sm_json_get(row, "test"), NULL), want_test[i]);
        ck_assert_int_eq(sm_json_int(sm_json_get(row, "n_threads"), &t), 0);
        ck_assert_int_eq(t, want_threads[i]);
        ck_assert_str_eq(sm_json_string(sm_json_get(row, "verdict"), NULL), want_verdict[i]);
    }
    ck_assert_str_eq(sm_json_string(sm_json_get(sm_json_at(root, 3), "placement"), NULL),
                     "scatter");
    ck_assert_int_eq(sm_json_get(sm_json_at(root, 2), "new_avg_ts")->type, SM_JSON_NULL);
    ck_assert_int_eq(sm_json_get(sm_json_at(root, 4), "base_avg_ts")->type, SM_JSON_NULL);
    sm_json_free(root);

    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 0);
    char line[512];
    snprintf(line, sizeof line, "Only in %s: m.gguf, 2 threads, tg128", pb);
    ck_assert_msg(strstr(o.text, line) != NULL, "no '%s' in:\n%s", line, o.text);
    snprintf(line, sizeof line, "Only in %s: m.gguf, 2 threads, pp10+tg25", pc);
    ck_assert_msg(strstr(o.text, line) != NULL, "no '%s' in:\n%s", line, o.text);
    /* The rows differ in placement, so the table shows it. */
    ck_assert_ptr_nonnull(strstr(o.text, "| model | threads | test | placement | numa | pin |"));
    /* no "pinning" field in these files: taken as "on", sm-bench's default */
    ck_assert_ptr_nonnull(strstr(o.text, "| m.gguf | 1 | pp512 | compact | off | on | 100.10 ± "));
    unlink(pb);
    unlink(pc);
}
END_TEST

START_TEST(test_bench_compare_md_and_csv_tables)
{
    double half[5];
    scaled(BASE5, 5, 0.5, half);
    const entry base[] = {{"dir/a|b.gguf", "pp512", 2, NULL, NULL, BASE5, 5},
                          {"x,y.gguf", "tg128", 1, NULL, NULL, BASE5, 5}};
    const entry cur[] = {{"dir/a|b.gguf", "pp512", 2, NULL, NULL, half, 5},
                         {"x,y.gguf", "tg128", 1, NULL, NULL, BASE5, 5}};
    char pb[256], pc[256];
    write_file(pb, sizeof pb, base, 2);
    write_file(pc, sizeof pc, cur, 2);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 0);
    ck_assert_ptr_nonnull(
        strstr(o.text, "| model | threads | test | base t/s | new t/s | ratio | verdict |\n"));
    ck_assert_ptr_nonnull(strstr(o.text, "(version 0.1.0, isa avx2)"));
    /* 250.76 = the mean of BASE5; its sd by hand: sqrt(3.612 / 4) = 0.9503. */
    ck_assert_msg(strstr(o.text, "| dir/a\\|b.gguf | 2 | pp512 | 250.76 ± 0.95 | 125.38 ± 0.48 | "
                                 "0.500 | slower |") != NULL,
                  "%s", o.text);
    ck_assert_ptr_nonnull(strstr(o.text, "| x,y.gguf | 1 | tg128 | 250.76 ± 0.95 | 250.76 ± "
                                         "0.95 | 1.000 | within noise |"));
    ck_assert_ptr_null(strstr(o.text, "Only in"));

    run_compare(pb, pc, SM_BENCH_CSV, -1, &o);
    ck_assert_int_eq(o.rc, 0);
    const char *header = "model_filename,n_threads,test,placement,numa,pinning,base_avg_ts,"
                         "base_stddev_ts,base_n,new_avg_ts,new_stddev_ts,new_n,ratio,noise_floor,"
                         "p_value,basis,verdict\n";
    ck_assert_int_eq(strncmp(o.text, header, strlen(header)), 0);
    const char *r1 = o.text + strlen(header);
    const char *r1_start = "dir/a|b.gguf,2,pp512,compact,off,on,250.76,";
    ck_assert_msg(!strncmp(r1, r1_start, strlen(r1_start)), "%s", r1);
    ck_assert_ptr_nonnull(strstr(r1, ",0.5,1.25,0.00793651,floor and rank test,slower\n"));
    ck_assert_ptr_nonnull(strstr(r1, "\n\"x,y.gguf\",1,tg128,compact,off,on,250.76,"));
    ck_assert_ptr_nonnull(strstr(r1, ",1,1.25,1,floor,within noise\n"));
    unlink(pb);
    unlink(pc);
}
END_TEST

/* "pinning" is part of the key (sm-bench --pin on,off writes both): the same test pinned and
 * unpinned are two rows, each paired with its own, not a repeated key. */
START_TEST(test_bench_compare_pinning_is_part_of_the_key)
{
    static const char text[] =
        "[{\"model_filename\": \"m\", \"test\": \"tg8\", \"n_threads\": 2, \"placement\": "
        "\"compact\", \"numa\": \"none\", \"pinning\": \"on\", \"samples_ts\": [100, 101, 99]},\n"
        " {\"model_filename\": \"m\", \"test\": \"tg8\", \"n_threads\": 2, \"placement\": "
        "\"compact\", \"numa\": \"none\", \"pinning\": \"off\", \"samples_ts\": [50, 51, 49]}]\n";
    static const char slow_off[] =
        "[{\"model_filename\": \"m\", \"test\": \"tg8\", \"n_threads\": 2, \"placement\": "
        "\"compact\", \"numa\": \"none\", \"pinning\": \"off\", \"samples_ts\": [25, 25, 25]},\n"
        " {\"model_filename\": \"m\", \"test\": \"tg8\", \"n_threads\": 2, \"placement\": "
        "\"compact\", \"numa\": \"none\", \"pinning\": \"on\", \"samples_ts\": [100, 101, 99]}]\n";
    char pb[256], pc[256];
    write_text(pb, sizeof pb, text);
    write_text(pc, sizeof pc, slow_off);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_CSV, -1, &o);
    ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.err);
    /* pinned: 100 against 100; unpinned: 50 against 25 (mispaired, one would read 4x or 1/4) */
    ck_assert_ptr_nonnull(strstr(o.text, "\nm,2,tg8,compact,none,on,100,1,3,100,1,3,1,"));
    ck_assert_ptr_nonnull(strstr(o.text, "\nm,2,tg8,compact,none,off,50,1,3,25,0,3,0.5,"));
    unlink(pb);
    unlink(pc);
}
END_TEST

/* ---- bad files -------------------------------------------------------------------------- */

START_TEST(test_bench_compare_missing_field_names_it)
{
    char pb[256], pc[256];
    entry e = {"m.gguf", "pp512", 2, NULL, NULL, BASE5, 5};
    write_file(pb, sizeof pb, &e, 1);
    /* The second result lacks samples_ts. */
    write_text(pc, sizeof pc,
               "[{\"model_filename\": \"m.gguf\", \"test\": \"pp512\", \"n_threads\": 2, "
               "\"placement\": \"compact\", \"numa\": \"off\", \"samples_ts\": [1]},\n"
               " {\"model_filename\": \"m.gguf\", \"test\": \"tg128\", \"n_threads\": 2, "
               "\"placement\": \"compact\", \"numa\": \"off\", \"avg_ts\": 5}]");
    static outcome o;
    run_compare(pb, pc, SM_BENCH_MD, 10, &o);
    ck_assert_int_eq(o.rc, 4);
    char want[600];
    snprintf(want, sizeof want, "%s:2:2: result [1] has no \"samples_ts\" field", pc);
    ck_assert_msg(strstr(o.err, want) != NULL, "'%s' lacks '%s'", o.err, want);
    ck_assert_int_eq(o.text[0], '\0'); /* no table from a bad file */
    unlink(pc);

    write_text(pc, sizeof pc,
               "[{\"model_filename\": \"m.gguf\", \"test\": \"pp512\", \"n_threads\": \"2\", "
               "\"placement\": \"compact\", \"numa\": \"off\", \"samples_ts\": [1]}]");
    run_compare(pb, pc, SM_BENCH_MD, 10, &o);
    ck_assert_int_eq(o.rc, 4);
    snprintf(want, sizeof want,
             "%s:1:61: result [0]: \"n_threads\" is a string, expected a positive integer", pc);
    ck_assert_msg(strstr(o.err, want) != NULL, "'%s' lacks '%s'", o.err, want);
    unlink(pc);

    write_text(pc, sizeof pc,
               "[{\"model_filename\": \"m.gguf\", \"test\": \"pp512\", \"n_threads\": 2, "
               "\"placement\": \"compact\", \"numa\": \"off\", \"samples_ts\": [1, -3]}]");
    run_compare(pb, pc, SM_BENCH_MD, 10, &o);
    ck_assert_int_eq(o.rc, 4);
    ck_assert_msg(strstr(o.err, "\"samples_ts\" item 1 is not positive") != NULL, "%s", o.err);
    unlink(pc);

    write_text(pc, sizeof pc, "{\"results\": []}");
    run_compare(pb, pc, SM_BENCH_MD, 10, &o);
    ck_assert_int_eq(o.rc, 4);
    ck_assert_msg(strstr(o.err, "is an object, expected an array of results") != NULL, "%s", o.err);
    unlink(pc);
    unlink(pb);
}
END_TEST

START_TEST(test_bench_compare_malformed_json_gives_file_and_position)
{
    char pb[256], pc[256];
    entry e = {"m.gguf", "pp512", 2, NULL, NULL, BASE5, 5};
    write_file(pc, sizeof pc, &e, 1);
    write_text(pb, sizeof pb, "[\n  {\"model_filename\": \"m.gguf\",\n   \"test\" \"pp512\"}\n]\n");
    static outcome o;
    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 4);
    char want[600];
    snprintf(want, sizeof want, "%s:3:11: expected ':' after member name \"test\"", pb);
    ck_assert_msg(strstr(o.err, want) != NULL, "'%s' lacks '%s'", o.err, want);
    unlink(pb);

    snprintf(pb, sizeof pb, "/nonexistent-dir/sm-cmp-base.json");
    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 4);
    ck_assert_msg(strstr(o.err, "/nonexistent-dir/sm-cmp-base.json: cannot open") != NULL, "%s",
                  o.err);
    unlink(pc);
}
END_TEST

START_TEST(test_bench_compare_repeated_key_is_refused)
{
    char pb[256], pc[256];
    const entry e[] = {{"m.gguf", "pp512", 2, NULL, NULL, BASE5, 5},
                       {"m.gguf", "tg128", 2, NULL, NULL, BASE5, 5},
                       {"m.gguf", "pp512", 2, NULL, NULL, BASE5, 5}};
    write_file(pb, sizeof pb, e, 3);
    write_file(pc, sizeof pc, e, 1);
    static outcome o;
    run_compare(pb, pc, SM_BENCH_MD, -1, &o);
    ck_assert_int_eq(o.rc, 4);
    ck_assert_msg(strstr(o.err, "result [2] repeats result [0]") != NULL, "%s", o.err);
    unlink(pb);
    unlink(pc);
}
END_TEST

static Suite *bench_compare_suite(void)
{
    Suite *s = suite_create("bench_compare");
    TCase *tc = tcase_create("verdict");
    tcase_add_test(tc, test_bench_compare_identical_runs_are_within_noise);
    tcase_add_test(tc, test_bench_compare_half_speed_is_slower_and_fails_by_pct);
    tcase_add_test(tc, test_bench_compare_double_speed_is_faster);
    tcase_add_loop_test(tc, test_bench_compare_jitter_is_within_noise, 0, 2);
    tcase_add_test(tc, test_bench_compare_drift_between_processes_is_within_noise);
    tcase_add_test(tc, test_bench_compare_one_outlier_is_within_noise);
    tcase_add_test(tc, test_bench_compare_few_samples_use_the_floor_only);
    tcase_add_loop_test(tc, test_bench_compare_exact_p_matches_brute_force, 0, 6);
    tcase_add_test(tc, test_bench_compare_ties_use_the_normal_approximation);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("output");
    tcase_add_test(tc, test_bench_compare_pairs_by_key_and_lists_unpaired);
    tcase_add_test(tc, test_bench_compare_md_and_csv_tables);
    tcase_add_test(tc, test_bench_compare_pinning_is_part_of_the_key);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_test(tc, test_bench_compare_missing_field_names_it);
    tcase_add_test(tc, test_bench_compare_malformed_json_gives_file_and_position);
    tcase_add_test(tc, test_bench_compare_repeated_key_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(bench_compare_suite());
}
