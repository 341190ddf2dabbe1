/* SPDX-License-Identifier: MIT */
/* test_json_read.c: the strict JSON reader of sm-bench --compare (perf/json_read.h): values,
 * escapes and nesting it must accept, texts it must refuse with the right line:column, and its
 * limits. */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "perf/json_read.h"
#include "sm_test.h"
#include "smallmind.h"

static sm_json *parse_ok(const char *text)
{
    sm_json *root = NULL;
    sm_json_error e = {0};
    int st = sm_json_parse(text, strlen(text), NULL, &root, &e);
    ck_assert_msg(st == SM_OK, "'%s': status %d at %d:%d: %s", text, st, e.line, e.col, e.msg);
    ck_assert_ptr_nonnull(root);
    return root;
}

static double parse_number(const char *text)
{
    sm_json *root = parse_ok(text);
    double d = NAN;
    ck_assert_int_eq(sm_json_number(root, &d), 0);
    sm_json_free(root);
    return d;
}

/* ---- valid ------------------------------------------------------------------------------ */

START_TEST(test_json_read_literals_and_numbers)
{
    const char *lit[] = {"true", "false", "null"};
    const sm_json_type type[] = {SM_JSON_TRUE, SM_JSON_FALSE, SM_JSON_NULL};
    for (int i = 0; i < 3; i++) {
        sm_json *v = parse_ok(lit[i]);
        ck_assert_int_eq(v->type, type[i]);
        sm_json_free(v);
    }
    ck_assert_double_eq(parse_number(" 42 "), 42);
    ck_assert_double_eq(parse_number("0"), 0);
    double neg0 = parse_number("-0");
    ck_assert(neg0 == 0 && signbit(neg0));
    ck_assert_double_eq(parse_number("-12.5"), -12.5);
    ck_assert_double_eq(parse_number("1.5e3"), 1500);
    ck_assert_double_eq(parse_number("1E+2"), 100);
    ck_assert_double_eq(parse_number("-1e-2"), -0.01);
    ck_assert_double_eq(parse_number("0.000125"), 0.000125);
    ck_assert_double_eq(parse_number("1.7976931348623157e308"), 1.7976931348623157e308);
    /* Too small for a double: strtod's rounding to 0 is kept, as the header says. */
    ck_assert_double_eq(parse_number("1e-400"), 0);
    ck_assert_double_eq_tol(parse_number("123456789012345678901234567890"), 1.2345678901234568e29,
                            1e14);
    /* A long number goes through the heap copy rather than the stack buffer. */
    char longnum[300] = "1.";
    memset(longnum + 2, '5', 250);
    longnum[252] = '\0';
    ck_assert_double_eq_tol(parse_number(longnum), 1.5555555555555556, 1e-15);
}
END_TEST

START_TEST(test_json_read_int_getter)
{
    sm_json *v = parse_ok("[3, 3.0, 3.5, 9007199254740992, 9007199254740994, -0, \"3\"]");
    long long x = -1;
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 0), &x), 0);
    ck_assert_int_eq(x, 3);
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 1), &x), 0);
    ck_assert_int_eq(x, 3);
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 2), &x), -1);
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 3), &x), 0);
    ck_assert(x == 9007199254740992LL);
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 4), &x), -1); /* past 2^53 */
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 5), &x), 0);
    ck_assert_int_eq(x, 0);
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 6), &x), -1); /* a string */
    ck_assert_int_eq(sm_json_int(sm_json_at(v, 7), &x), -1); /* out of range */
    double d;
    ck_assert_int_eq(sm_json_number(sm_json_at(v, 6), &d), -1);
    ck_assert_int_eq(sm_json_number(NULL, &d), -1);
    sm_json_free(v);
}
END_TEST

START_TEST(test_json_read_string_escapes)
{
    sm_json *v = parse_ok("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", "
                          "\"\\uD83D\\uDE00\", \"x\\u0000y\", \"\xC3\xA9\xF0\x9F\x98\x80\", \"\"]");
    size_t len = 0;
    const char *s = sm_json_string(sm_json_at(v, 0), &len);
    ck_assert_uint_eq(len, 12);
    ck_assert_mem_eq(s, "a\"b\\c/d\b\f\n\r\t", 13);
    s = sm_json_string(sm_json_at(v, 1), &len);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(s, "\xC3\xA9\xE2\x82\xAC"); /* U+00E9, U+20AC in UTF-8 */
    s = sm_json_string(sm_json_at(v, 2), &len);
    ck_assert_uint_eq(len, 4);
    ck_assert_str_eq(s, "\xF0\x9F\x98\x80"); /* U+1F600 from its surrogate pair */
    s = sm_json_string(sm_json_at(v, 3), &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(s, "x\0y", 4);
    s = sm_json_string(sm_json_at(v, 4), &len); /* raw UTF-8 passes through */
    ck_assert_uint_eq(len, 6);
    ck_assert_str_eq(s, "\xC3\xA9\xF0\x9F\x98\x80");
    s = sm_json_string(sm_json_at(v, 5), &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(s, "");
    ck_assert_ptr_null(sm_json_string(v, &len));
    sm_json_free(v);
}
END_TEST

START_TEST(test_json_read_nesting_and_lookup)
{
    const char *text = "\xEF\xBB\xBF{\r\n\t\"a\" : [1, {\"b\": [[], {}]}],\n"
                       "  \"k\\u00e9y\": \"v\", \"c\": {\"d\": null}\n}";
    sm_json *v = parse_ok(text);
    ck_assert_int_eq(v->type, SM_JSON_OBJECT);
    ck_assert_uint_eq(v->len, 3);
    ck_assert_int_eq(v->line, 1);
    ck_assert_int_eq(v->col, 1); /* after the byte order mark */
    const sm_json *a = sm_json_get(v, "a");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(a->type, SM_JSON_ARRAY);
    ck_assert_uint_eq(a->len, 2);
    ck_assert_int_eq(a->line, 2);
    ck_assert_int_eq(a->col, 8);
    double d;
    ck_assert_int_eq(sm_json_number(sm_json_at(a, 0), &d), 0);
    ck_assert_double_eq(d, 1);
    const sm_json *b = sm_json_get(sm_json_at(a, 1), "b");
    ck_assert_int_eq(b->type, SM_JSON_ARRAY);
    ck_assert_uint_eq(b->len, 2);
    ck_assert_int_eq(sm_json_at(b, 0)->type, SM_JSON_ARRAY);
    ck_assert_uint_eq(sm_json_at(b, 0)->len, 0);
    ck_assert_int_eq(sm_json_at(b, 1)->type, SM_JSON_OBJECT);
    ck_assert_uint_eq(sm_json_at(b, 1)->len, 0);
    ck_assert_ptr_null(sm_json_at(b, 2));
    ck_assert_str_eq(sm_json_string(sm_json_get(v, "k\xC3\xA9y"), NULL), "v");
    ck_assert_int_eq(v->members[1].key_line, 3);
    ck_assert_int_eq(v->members[1].key_col, 3);
    ck_assert_int_eq(sm_json_get(sm_json_get(v, "c"), "d")->type, SM_JSON_NULL);
    ck_assert_ptr_null(sm_json_get(v, "missing"));
    ck_assert_ptr_null(sm_json_get(a, "a")); /* not an object */
    ck_assert_ptr_null(sm_json_at(v, 0));    /* not an array */
    sm_json_free(v);
    sm_json_free(NULL);
}
END_TEST

/* ---- invalid ---------------------------------------------------------------------------- */

typedef struct bad {
    const char *text;
    size_t len; /* 0: strlen(text) */
    int line, col;
    const char *says; /* a fragment of the message */
} bad;

static const bad bad_texts[] = {
    {"", 0, 1, 1, "expected a value"},
    {"   \n  ", 0, 2, 3, "expected a value, found end of input"},
    {"[1,]", 0, 1, 4, "expected a value"},
    {"[1 2]", 0, 1, 4, "expected ',' or ']' after an array item, found '2'"},
    {"[1", 0, 1, 3, "expected ',' or ']' after an array item, found end of input"},
    {"{\"a\" 1}", 0, 1, 6, "expected ':' after member name \"a\", found '1'"},
    {"{\"a\":1,}", 0, 1, 8, "expected a member name (a string), found '}'"},
    {"{1:2}", 0, 1, 2, "expected a member name"},
    {"{'a':1}", 0, 1, 2, "expected a member name (a string), found '''"},
    {"{\"a\":1 \"b\":2}", 0, 1, 8, "expected ',' or '}' after an object member"},
    {"01", 0, 1, 2, "leading zeros"},
    {"-", 0, 1, 2, "expected a digit after '-'"},
    {"-a", 0, 1, 2, "expected a digit after '-', found 'a'"},
    {"1.", 0, 1, 3, "expected a digit after the decimal point"},
    {"1.e5", 0, 1, 3, "expected a digit after the decimal point, found 'e'"},
    {"1e", 0, 1, 3, "expected a digit after the exponent mark"},
    {"1e+", 0, 1, 4, "expected a digit after the exponent mark"},
    {".5", 0, 1, 1, "expected a value"},
    {"+1", 0, 1, 1, "expected a value"},
    {"1e400", 0, 1, 1, "out of range for a double"},
    {"-1e400", 0, 1, 1, "out of range for a double"},
    {"NaN", 0, 1, 1, "expected a value"},
    {"Infinity", 0, 1, 1, "expected a value"},
    {"0x10", 0, 1, 2, "expected end of input after the top-level value, found 'x'"},
    {"tru", 0, 1, 4, "expected 'true', found end of input"},
    {"nul1", 0, 1, 4, "expected 'null', found '1'"},
    {"fals", 0, 1, 5, "expected 'false'"},
    {"True", 0, 1, 1, "expected a value"},
    {"[1] x", 0, 1, 5, "expected end of input after the top-level value, found 'x'"},
    {"[1]\0", 4, 1, 4, "found byte 0x00"},
    {"// c\n1", 0, 1, 1, "expected a value"},
    {"\"abc", 0, 1, 5, "end of input in the string that starts at line 1, column 1"},
    {"\"a\\x\"", 0, 1, 4, "expected one of \" \\ / b f n r t u after '\\', found 'x'"},
    {"\"a\\", 0, 1, 4, "expected an escape character after '\\', found end of input"},
    {"\"\\u12G4\"", 0, 1, 6, "expected a hex digit in a \\u escape, found 'G'"},
    {"\"\\uD800\"", 0, 1, 2, "\\uD800 is a high surrogate without"},
    {"\"\\uDC00\"", 0, 1, 2, "\\uDC00 is a low surrogate without a high surrogate"},
    {"\"\\uD800\\u0041\"", 0, 1, 2, "followed by \\u0041, not by a low surrogate"},
    {"\"a\tb\"", 0, 1, 3, "control character U+0009"},
    {"\"a\nb\"", 0, 1, 3, "control character U+000A"},
    {"\"\xC3\x28\"", 0, 1, 2, "byte 0xC3 in a string does not start a valid UTF-8"},
    {"\"\xC0\xAF\"", 0, 1, 2, "byte 0xC0"},         /* overlong '/' */
    {"\"\xED\xA0\x80\"", 0, 1, 2, "byte 0xED"},     /* a surrogate in UTF-8 */
    {"\"\xF4\x90\x80\x80\"", 0, 1, 2, "byte 0xF4"}, /* past U+10FFFF */
    {"\"\xE2\x82\"", 0, 1, 2, "byte 0xE2"},         /* cut short */
    {"[\n  1,\n  2\n  3\n]", 0, 4, 3, "expected ',' or ']' after an array item, found '3'"},
    /* Columns count characters: the 'x' is the 7th, though the 8th byte. */
    {"[\"\xC3\xA9\", x]", 0, 1, 7, "expected a value"},
    {"[1, \xC3\xA9]", 0, 1, 5, "found '\xC3\xA9'"},
    {"{\"a\": 1,\n \"b\": 2, \"a\": 3}", 0, 2, 10,
     "member name \"a\" repeats (first at line 1, column 2)"},
};

START_TEST(test_json_read_rejects_with_position)
{
    const bad *b = &bad_texts[_i];
    size_t len = b->len ? b->len : strlen(b->text);
    sm_json *root = (sm_json *)&root; /* must come back NULL */
    sm_json_error e = {0};
    int st = sm_json_parse(b->text, len, NULL, &root, &e);
    ck_assert_msg(st == SM_E_FORMAT, "'%s': status %d, expected SM_E_FORMAT", b->text, st);
    ck_assert_ptr_null(root);
    ck_assert_msg(e.line == b->line && e.col == b->col, "'%s': at %d:%d, expected %d:%d (%s)",
                  b->text, e.line, e.col, b->line, b->col, e.msg);
    ck_assert_msg(strstr(e.msg, b->says) != NULL, "'%s': message \"%s\" lacks \"%s\"", b->text,
                  e.msg, b->says);
    /* Without an error record the same text still fails, and nothing is written through it. */
    ck_assert_int_eq(sm_json_parse(b->text, len, NULL, &root, NULL), SM_E_FORMAT);
}
END_TEST

START_TEST(test_json_read_rejects_null_arguments)
{
    sm_json *root = NULL;
    ck_assert_int_eq(sm_json_parse(NULL, 0, NULL, &root, NULL), SM_E_INVAL);
    ck_assert_int_eq(sm_json_parse("1", 1, NULL, NULL, NULL), SM_E_INVAL);
}
END_TEST

/* ---- limits ----------------------------------------------------------------------------- */

static int parse_with(const char *text, const sm_json_limits *lim, sm_json_error *e)
{
    sm_json *root = NULL;
    int st = sm_json_parse(text, strlen(text), lim, &root, e);
    ck_assert(st == SM_OK ? root != NULL : root == NULL);
    sm_json_free(root);
    return st;
}

START_TEST(test_json_read_depth_limit)
{
    char text[300];
    sm_json_error e = {0};
    /* The default is 64: 64 nested arrays pass, 65 fail at the 65th '['. */
    for (int depth = 64; depth <= 65; depth++) {
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        text[2 * depth] = '\0';
        int st = parse_with(text, NULL, &e);
        if (depth == 64) {
            ck_assert_int_eq(st, SM_OK);
        } else {
            ck_assert_int_eq(st, SM_E_RANGE);
            ck_assert_int_eq(e.line, 1);
            ck_assert_int_eq(e.col, 65);
            ck_assert_ptr_nonnull(strstr(e.msg, "deeper than 64"));
        }
    }
    sm_json_limits lim = {.max_depth = 3};
    ck_assert_int_eq(parse_with("[{\"a\":[1]}]", &lim, &e), SM_OK);
    ck_assert_int_eq(parse_with("[{\"a\":[{}]}]", &lim, &e), SM_E_RANGE);
    ck_assert_int_eq(e.col, 8);
    /* Far deeper than the limit: refused without recursing that deep. */
    char *deep = malloc(200001);
    ck_assert_ptr_nonnull(deep);
    memset(deep, '[', 200000);
    deep[200000] = '\0';
    ck_assert_int_eq(parse_with(deep, NULL, &e), SM_E_RANGE);
    free(deep);
}
END_TEST

START_TEST(test_json_read_value_and_size_limits)
{
    sm_json_error e = {0};
    sm_json_limits lim = {.max_values = 3};
    ck_assert_int_eq(parse_with("[1, 2]", &lim, &e), SM_OK); /* the array and two numbers */
    ck_assert_int_eq(parse_with("[1, 2, 3]", &lim, &e), SM_E_RANGE);
    ck_assert_int_eq(e.line, 1);
    ck_assert_int_eq(e.col, 8);
    ck_assert_ptr_nonnull(strstr(e.msg, "more than 3 values"));
    ck_assert_int_eq(parse_with("{\"a\": {\"b\": 1}}", &lim, &e), SM_OK);
    ck_assert_int_eq(parse_with("{\"a\": {\"b\": [1]}}", &lim, &e), SM_E_RANGE);

    lim = (sm_json_limits){.max_bytes = 5};
    ck_assert_int_eq(parse_with("[1,2]", &lim, &e), SM_OK);
    ck_assert_int_eq(parse_with("[1,22]", &lim, &e), SM_E_RANGE);
    ck_assert_int_eq(e.line, 0);
    ck_assert_int_eq(e.col, 0);
    ck_assert_ptr_nonnull(strstr(e.msg, "6 bytes"));
}
END_TEST

/* Errors deep inside a tree release everything built so far (ASan/valgrind builds see leaks);
 * here: every prefix of a valid document fails cleanly and none crashes. */
START_TEST(test_json_read_every_prefix_fails_cleanly)
{
    const char *text = "{\"a\": [1, {\"b\": \"x\\u00e9\"}, [true, false, null]], \"c\": -1.5e2}";
    size_t n = strlen(text);
    for (size_t len = 0; len < n; len++) {
        sm_json *root = NULL;
        sm_json_error e = {0};
        int st = sm_json_parse(text, len, NULL, &root, &e);
        ck_assert_msg(st == SM_E_FORMAT, "prefix of %zu bytes: status %d", len, st);
        ck_assert_ptr_null(root);
        ck_assert_int_eq(e.line, 1);
        ck_assert_int_ge(e.col, 1);
        ck_assert_int_le(e.col, (int)len + 1);
    }
    sm_json *root = parse_ok(text);
    double d;
    ck_assert_int_eq(sm_json_number(sm_json_get(root, "c"), &d), 0);
    ck_assert_double_eq(d, -150);
    sm_json_free(root);
}
END_TEST

static Suite *json_read_suite(void)
{
    Suite *s = suite_create("json_read");
    TCase *tc = tcase_create("valid");
    tcase_add_test(tc, test_json_read_literals_and_numbers);
    tcase_add_test(tc, test_json_read_int_getter);
    tcase_add_test(tc, test_json_read_string_escapes);
    tcase_add_test(tc, test_json_read_nesting_and_lookup);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, test_json_read_rejects_with_position, 0,
                        (int)(sizeof bad_texts / sizeof bad_texts[0]));
    tcase_add_test(tc, test_json_read_rejects_null_arguments);
    tcase_add_test(tc, test_json_read_every_prefix_fails_cleanly);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_json_read_depth_limit);
    tcase_add_test(tc, test_json_read_value_and_size_limits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(json_read_suite());
}
