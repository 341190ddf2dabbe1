/* SPDX-License-Identifier: MIT */
/* test_bench_kernels.c: `sm-bench --kernels` (perf/bench_kernels.c) in its quick form: the JSON
 * is one array whose objects carry every documented field at every thread count, the CSV and md
 * outputs have their shape, every kernel agrees with its reference, and bad option values are
 * refused with code 2. No figure is asserted beyond being positive. */
#include "config.h"

#include <ctype.h>
#include <math.h>

#include "kernels/kernels.h"
#include "perf/bench_kernels.h"
#include "sm_test.h"
#include "sm_test_tmp.h"

/* ---- a JSON reader for flat objects (the output's only shape) ------------------------------ */

enum { J_MAX_FIELDS = 40, J_MAX_STR = 200, J_MAX_KEY = 32 };

typedef enum jkind { J_STR, J_NUM, J_NULL, J_BOOL } jkind;

typedef struct jval {
    jkind kind;
    int is_int; /* a number written without fraction or exponent */
    double num;
    char str[J_MAX_STR];
} jval;

typedef struct jobj {
    int n;
    char key[J_MAX_FIELDS][J_MAX_KEY];
    jval val[J_MAX_FIELDS];
} jobj;

static const char *j_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* A string without its quotes into out (escapes decoded; \u as '?'); NULL on bad syntax. */
static const char *j_str(const char *p, char *out, size_t len)
{
    size_t n = 0;
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        char c = *p++;
        if (c == '\0' || (unsigned char)c < 0x20)
            return NULL;
        if (c == '\\') {
            c = *p++;
            if (c == 'n')
                c = '\n';
            else if (c == 't')
                c = '\t';
            else if (c == 'u') {
                for (int i = 0; i < 4; i++)
                    if (!isxdigit((unsigned char)*p++))
                        return NULL;
                c = '?';
            } else if (c != '"' && c != '\\' && c != '/')
                return NULL;
        }
        if (n + 1 < len)
            out[n++] = c;
    }
    out[n] = '\0';
    return p + 1;
}

static const char *j_val(const char *p, jval *v)
{
    memset(v, 0, sizeof *v);
    if (*p == '"') {
        v->kind = J_STR;
        return j_str(p, v->str, sizeof v->str);
    }
    static const char *const words[] = {"null", "true", "false"};
    for (int i = 0; i < 3; i++)
        if (!strncmp(p, words[i], strlen(words[i]))) {
            v->kind = i == 0 ? J_NULL : J_BOOL;
            return p + strlen(words[i]);
        }
    char *end = NULL;
    v->kind = J_NUM;
    v->num = strtod(p, &end);
    if (end == p)
        return NULL;
    v->is_int = strcspn(p, ".eE,}") >= (size_t)(end - p);
    return end;
}

static const char *j_obj(const char *p, jobj *o)
{
    o->n = 0;
    if (*p++ != '{')
        return NULL;
    p = j_ws(p);
    if (*p == '}')
        return p + 1;
    for (;;) {
        if (o->n == J_MAX_FIELDS)
            return NULL;
        p = j_str(j_ws(p), o->key[o->n], J_MAX_KEY);
        if (!p || *(p = j_ws(p)) != ':')
            return NULL;
        p = j_val(j_ws(p + 1), &o->val[o->n++]);
        if (!p)
            return NULL;
        p = j_ws(p);
        if (*p == '}')
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

/* The whole text as one array of flat objects; @return how many, or -1 for anything else. */
static int j_array(const char *p, jobj *objs, int max)
{
    int n = 0;
    p = j_ws(p);
    if (*p++ != '[')
        return -1;
    p = j_ws(p);
    if (*p != ']') {
        for (;;) {
            if (n == max || !(p = j_obj(j_ws(p), &objs[n++])))
                return -1;
            p = j_ws(p);
            if (*p == ']')
                break;
            if (*p++ != ',')
                return -1;
        }
    }
    return *j_ws(p + 1) == '\0' ? n : -1;
}

static const jval *j_get(const jobj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->key[i], key))
            return &o->val[i];
    return NULL;
}

/* ---- running the tables -------------------------------------------------------------------- */

/* Runs the tables into a temporary file and returns its text (caller frees) and the code. */
static char *run_to_text(sm_bench_kernels_opts *o, int *rc)
{
    char path[256];
    sm_test_make_temp(path, sizeof path, "sm_bench_kernels_");
    FILE *f = fopen(path, "w+");
    ck_assert_ptr_nonnull(f);
    o->out = f;
    char err[256] = "unset";
    *rc = sm_bench_kernels_run(o, err, sizeof err);
    ck_assert_msg(*rc != 2, "sm_bench_kernels_run refused its options: %s", err);
    long len = ftell(f);
    ck_assert_int_gt(len, 0);
    char *text = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(text);
    rewind(f);
    ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

static const char *const required[] = {"kernel",     "type",     "isa",       "m",
                                       "n",          "k",        "n_threads", "median_us",
                                       "gflops",     "gbps",     "ref_name",  "ref_median_us",
                                       "ref_gflops", "ref_gbps", "ratio",     "check"};
static const char *const types[] = {"f32", "f16", "q8_0", "q4_0", "q4_K", "q6_K"};

static double num_of(const jobj *o, const char *key)
{
    const jval *v = j_get(o, key);
    ck_assert_msg(v && v->kind == J_NUM, "field %s is not a number", key);
    return v->num;
}

static const char *str_of(const jobj *o, const char *key)
{
    const jval *v = j_get(o, key);
    ck_assert_msg(v && v->kind == J_STR, "field %s is not a string", key);
    return v->str;
}

static int is_null(const jobj *o, const char *key)
{
    const jval *v = j_get(o, key);
    return v && v->kind == J_NULL;
}

/* One object's fields against what its kernel promises. */
static void check_object(const jobj *o, const char *isa)
{
    for (size_t f = 0; f < sizeof required / sizeof required[0]; f++)
        ck_assert_msg(j_get(o, required[f]), "an object lacks field %s", required[f]);
    static const char *const ints[] = {"m", "n", "k", "n_threads"};
    for (int i = 0; i < 4; i++) {
        const jval *v = j_get(o, ints[i]);
        ck_assert_msg(v->kind == J_NUM && v->is_int && v->num >= 0, "%s is not an integer",
                      ints[i]);
    }
    ck_assert_str_eq(str_of(o, "isa"), isa);
    ck_assert_str_eq(str_of(o, "check"), "ok");
    ck_assert_double_gt(num_of(o, "median_us"), 0);
    const char *kernel = str_of(o, "kernel");
    if (!strcmp(kernel, "sgemm")) {
        ck_assert_double_gt(num_of(o, "gflops"), 0);
        ck_assert(is_null(o, "gbps"));
        ck_assert_str_eq(str_of(o, "type"), "f32");
#ifdef SM_HAVE_OPENBLAS
        ck_assert_str_eq(str_of(o, "ref_name"), "openblas");
        ck_assert_double_gt(num_of(o, "ref_gflops"), 0);
#endif
    } else if (!strcmp(kernel, "gemv")) {
        ck_assert_double_gt(num_of(o, "gbps"), 0);
        ck_assert_double_eq(num_of(o, "m"), 1);
        ck_assert_str_eq(str_of(o, "ref_name"), "memread");
        ck_assert_double_gt(num_of(o, "ref_gbps"), 0);
        ck_assert(is_null(o, "ref_gflops"));
    } else {
        ck_assert_str_eq(str_of(o, "ref_name"), "ref");
        ck_assert_double_gt(num_of(o, "ref_median_us"), 0);
        ck_assert_double_eq(num_of(o, "k"), 0);
        ck_assert(is_null(o, "gflops") && is_null(o, "gbps"));
    }
}

START_TEST(test_bench_kernels_json_has_every_field_per_thread_count)
{
    static const int counts[] = {1, 2};
    sm_bench_kernels_opts o = {
        .threads = counts, .n_threads = 2, .quick = 1, .reps = 1, .fmt = SM_BENCH_JSON};
    int rc;
    char *text = run_to_text(&o, &rc);
    ck_assert_msg(rc == 0, "a kernel disagreed with its reference (code %d)", rc);
    static jobj objs[512];
    int n = j_array(text, objs, 512);
    ck_assert_msg(n > 0, "not a JSON array of flat objects:\n%s", text);
    const char *isa = sm_kernels_get()->name;
    for (int i = 0; i < n; i++)
        check_object(&objs[i], isa);
    // Every thread count has the SGEMM table and both GEMV shapes of every type.
    for (int c = 0; c < 2; c++) {
        int sgemm = 0, gemv[6] = {0}, ops = 0;
        for (int i = 0; i < n; i++) {
            if (num_of(&objs[i], "n_threads") != counts[c])
                continue;
            const char *kernel = str_of(&objs[i], "kernel");
            sgemm += !strcmp(kernel, "sgemm");
            for (int t = 0; t < 6; t++)
                gemv[t] += !strcmp(kernel, "gemv") && !strcmp(str_of(&objs[i], "type"), types[t]);
            ops += !strcmp(kernel, "gelu") || !strcmp(kernel, "softmax");
        }
        ck_assert_msg(sgemm > 0, "no sgemm rows at %d threads", counts[c]);
        for (int t = 0; t < 6; t++)
            ck_assert_msg(gemv[t] == 2, "%d gemv %s rows at %d threads, expected 2", gemv[t],
                          types[t], counts[c]);
        ck_assert_msg(ops == 2, "gelu and softmax missing at %d threads", counts[c]);
    }
    free(text);
}
END_TEST

/* Counts the fields of one CSV line without quoted fields (none here: no OpenBLAS detail). */
static int csv_fields(const char *line, size_t len)
{
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == ',';
    return n;
}

START_TEST(test_bench_kernels_csv_has_a_header_and_one_line_per_row)
{
    static const int counts[] = {2};
    sm_bench_kernels_opts o = {.threads = counts,
                               .n_threads = 1,
                               .quick = 1,
                               .reps = 1,
                               .only = "gemv",
                               .type = "q4_K",
                               .fmt = SM_BENCH_CSV};
    int rc;
    char *text = run_to_text(&o, &rc);
    ck_assert_int_eq(rc, 0);
    const char *p = text;
    int lines = 0, header_fields = 0;
    while (*p) {
        size_t len = strcspn(p, "\n");
        if (lines == 0) {
            header_fields = csv_fields(p, len);
            for (size_t f = 0; f < sizeof required / sizeof required[0]; f++)
                ck_assert_msg(memmem(p, len, required[f], strlen(required[f])), "header lacks %s",
                              required[f]);
        } else {
            ck_assert_int_eq(csv_fields(p, len), header_fields);
            ck_assert_msg(!strncmp(p, "gemv,q4_K,", 10), "line %d: %.*s", lines, (int)len, p);
        }
        lines++;
        p += len + (p[len] == '\n');
    }
    ck_assert_int_eq(lines, 1 + 2); // the header and both shapes
    free(text);
}
END_TEST

START_TEST(test_bench_kernels_md_has_a_table_per_group)
{
    sm_bench_kernels_opts o = {.quick = 1, .reps = 1, .only = "ops", .fmt = SM_BENCH_MD};
    int rc;
    char *text = run_to_text(&o, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(text, "### Element-wise ops"));
    ck_assert_ptr_nonnull(strstr(text, "| gelu | 1x"));
    ck_assert_ptr_null(strstr(text, "### SGEMM"));
    ck_assert_ptr_null(strstr(text, "### GEMV"));
    free(text);
}
END_TEST

/* Each bad value: code 2, and a message naming the option, the value and what is accepted. */
START_TEST(test_bench_kernels_bad_options_return_2)
{
    static const struct {
        const char *only, *type, *table, *option, *value, *accepted;
    } bad[] = {
        {NULL, NULL, "sse9", "--table", "sse9", "avx512"},
        {"attn", NULL, NULL, "--only", "attn", "sgemm, gemv, ops"},
        {NULL, "q5_0", NULL, "--type", "q5_0", "q4_K"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sm_bench_kernels_opts o = {.quick = 1,
                                   .only = bad[i].only,
                                   .type = bad[i].type,
                                   .table = bad[i].table,
                                   .fmt = SM_BENCH_JSON};
        char err[256] = "";
        sm_test_capture cap;
        sm_test_capture_begin(&cap, 1);
        int rc = sm_bench_kernels_run(&o, err, sizeof err);
        long printed = sm_test_capture_end(&cap);
        ck_assert_int_eq(rc, 2);
        ck_assert_int_eq(printed, 0); // nothing measured, nothing written
        ck_assert_msg(strstr(err, bad[i].option) && strstr(err, bad[i].value) &&
                          strstr(err, bad[i].accepted),
                      "message: %s", err);
    }
}
END_TEST

static Suite *bench_kernels_suite(void)
{
    Suite *s = suite_create("bench_kernels");
    TCase *out = tcase_create("output");
    // Quick runs take a second or two; sanitizer builds several times that.
    tcase_set_timeout(out, 120);
    tcase_add_test(out, test_bench_kernels_json_has_every_field_per_thread_count);
    tcase_add_test(out, test_bench_kernels_csv_has_a_header_and_one_line_per_row);
    tcase_add_test(out, test_bench_kernels_md_has_a_table_per_group);
    suite_add_tcase(s, out);
    TCase *opts = tcase_create("options");
    tcase_add_test(opts, test_bench_kernels_bad_options_return_2);
    suite_add_tcase(s, opts);
    return s;
}

int main(void)
{
    return sm_test_run(bench_kernels_suite());
}
