/* SPDX-License-Identifier: MIT */
/* test_textout.c: the generation text stream: stop sequences across pieces, whole UTF-8
 * characters, cancellation, and a random check against a plain search of the whole text. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sm_test.h"
#include "src/textout.h"

/* What the callback saw: every call's text, concatenated, and the calls' boundaries. */
typedef struct seen {
    char text[4096];
    size_t len;
    int calls;
    int cancel_after; /* return nonzero on this call (0 = never) */
} seen;

static int collect(void *ud, const char *text, size_t len)
{
    seen *s = ud;
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_le(s->len + len, sizeof s->text);
    memcpy(s->text + s->len, text, len);
    s->len += len;
    s->calls++;
    return s->cancel_after && s->calls == s->cancel_after;
}

static void start(sm_textout *t, seen *s, const char *const *stop, int n_stop)
{
    memset(s, 0, sizeof *s);
    char err[128];
    ck_assert_int_eq(sm_textout_init(t, stop, n_stop, collect, s, err, sizeof err), SM_OK);
}

static void assert_seen(const seen *s, const char *want)
{
    ck_assert_msg(s->len == strlen(want) && memcmp(s->text, want, s->len) == 0,
                  "emitted '%.*s', want '%s'", (int)s->len, s->text, want);
}

START_TEST(test_stop_across_pieces)
{
    static const char *const stop[] = {"lo W"};
    sm_textout t;
    seen s;
    start(&t, &s, stop, 1);
    ck_assert_int_eq(sm_textout_push(&t, "Hel", 3), 0);
    assert_seen(&s, "He"); /* "l" may begin "lo W" */
    ck_assert_int_eq(sm_textout_push(&t, "lo W", 4), 1);
    assert_seen(&s, "Hel"); /* the stop and what follows it in the piece are dropped */
    sm_textout_fini(&t);
}
END_TEST

START_TEST(test_false_start_is_released)
{
    static const char *const stop[] = {"\n\n", "END"};
    sm_textout t;
    seen s;
    start(&t, &s, stop, 2);
    ck_assert_int_eq(sm_textout_push(&t, "a\n", 2), 0);
    assert_seen(&s, "a");
    ck_assert_int_eq(sm_textout_push(&t, "b", 1), 0);
    assert_seen(&s, "a\nb");
    ck_assert_int_eq(sm_textout_push(&t, "EN", 2), 0);
    assert_seen(&s, "a\nb");
    ck_assert_int_eq(sm_textout_push(&t, "D!", 2), 1);
    assert_seen(&s, "a\nb");
    sm_textout_fini(&t);
}
END_TEST

START_TEST(test_earliest_stop_wins)
{
    static const char *const stop[] = {"cd", "bcdef"};
    sm_textout t;
    seen s;
    start(&t, &s, stop, 2);
    /* "bcdef" is held back as a possible prefix until "cd" completes inside it */
    ck_assert_int_eq(sm_textout_push(&t, "ab", 2), 0);
    ck_assert_int_eq(sm_textout_push(&t, "c", 1), 0);
    ck_assert_int_eq(sm_textout_push(&t, "d", 1), 1);
    assert_seen(&s, "ab");
    sm_textout_fini(&t);
}
END_TEST

START_TEST(test_utf8_held_until_whole)
{
    sm_textout t;
    seen s;
    start(&t, &s, NULL, 0);
    sm_textout_push(&t, "a\xc3", 2);
    assert_seen(&s, "a");
    sm_textout_push(&t, "\xa9", 1);
    assert_seen(&s, "a\xc3\xa9");
    sm_textout_push(&t, "\xe2\x82", 2);
    assert_seen(&s, "a\xc3\xa9");
    sm_textout_push(&t, "\xac\xf0\x9f\x98", 4);
    assert_seen(&s, "a\xc3\xa9\xe2\x82\xac");
    sm_textout_push(&t, "\x80", 1);
    assert_seen(&s, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* invalid bytes pass at once: a lead byte followed by a non-continuation, a lone
     * continuation, bytes that never start a character */
    sm_textout_push(&t, "\xc3x\x80\xff", 4);
    assert_seen(&s, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3x\x80\xff");
    /* an unfinished character at the end comes out on flush */
    sm_textout_push(&t, "\xe2", 1);
    ck_assert_uint_eq(s.len, 14);
    sm_textout_flush(&t);
    ck_assert_uint_eq(s.len, 15);
    ck_assert_int_eq((unsigned char)s.text[14], 0xe2);
    ck_assert_uint_eq(t.n_emitted, 15);
    sm_textout_fini(&t);
}
END_TEST

START_TEST(test_cancel_stops_emitting)
{
    sm_textout t;
    seen s;
    start(&t, &s, NULL, 0);
    s.cancel_after = 2;
    sm_textout_push(&t, "one", 3);
    ck_assert_int_eq(t.cancelled, 0);
    sm_textout_push(&t, "two", 3);
    ck_assert_int_eq(t.cancelled, 1);
    sm_textout_push(&t, "three", 5);
    sm_textout_flush(&t);
    ck_assert_int_eq(s.calls, 2);
    assert_seen(&s, "onetwo");
    sm_textout_fini(&t);
}
END_TEST

START_TEST(test_bad_stops_rejected)
{
    sm_textout t;
    char err[128];
    static const char *const empty[] = {"ok", ""};
    ck_assert_int_eq(sm_textout_init(&t, empty, 2, collect, NULL, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "stop sequence 1 is empty"));
    static const char *const null[] = {NULL};
    ck_assert_int_eq(sm_textout_init(&t, null, 1, collect, NULL, err, sizeof err), SM_E_INVAL);
    ck_assert_int_eq(sm_textout_init(&t, NULL, 1, collect, NULL, err, sizeof err), SM_E_INVAL);
    ck_assert_int_eq(sm_textout_init(&t, NULL, -1, collect, NULL, err, sizeof err), SM_E_INVAL);
}
END_TEST

/* The earliest start of a stop sequence inside text[0, len), or len when there is none. */
static size_t plain_search(const char *text, size_t len, const char *const *stop, int n_stop)
{
    size_t best = len;
    for (int k = 0; k < n_stop; k++) {
        size_t sl = strlen(stop[k]);
        for (size_t at = 0; at + sl <= len && at < best; at++)
            if (memcmp(text + at, stop[k], sl) == 0)
                best = at;
    }
    return best;
}

static uint64_t next(uint64_t *r)
{
    *r = *r * 6364136223846793005u + 1442695040888963407u;
    return *r >> 33;
}

/* Random texts over a 3-letter alphabet cut into random pieces, with random stops. The
 * expectation, by a plain search of prefixes: generation stops after the first piece whose end
 * makes the text so far contain a stop sequence, and the output is the text before the
 * earliest one. Checks holding back against an independent model of it. */
START_TEST(test_random_against_plain_search)
{
    uint64_t r = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        char text[200], stops[3][6];
        const char *stop[3];
        size_t len = 1 + next(&r) % sizeof text, cut[sizeof text + 1], n_cut = 0;
        for (size_t i = 0; i < len; i++)
            text[i] = (char)('a' + next(&r) % 3);
        for (size_t n = 0; n < len;) {
            size_t k = 1 + next(&r) % 4;
            n += k < len - n ? k : len - n;
            cut[n_cut++] = n;
        }
        int n_stop = iter % 4;
        for (int k = 0; k < n_stop; k++) {
            size_t sl = 1 + next(&r) % 5;
            for (size_t i = 0; i < sl; i++)
                stops[k][i] = (char)('a' + next(&r) % 3);
            stops[k][sl] = '\0';
            stop[k] = stops[k];
        }
        size_t want = len, want_pushes = n_cut;
        for (size_t j = 0; j < n_cut && want == len; j++) {
            size_t at = plain_search(text, cut[j], stop, n_stop);
            if (at < cut[j]) {
                want = at;
                want_pushes = j + 1;
            }
        }
        sm_textout t;
        seen s;
        start(&t, &s, stop, n_stop);
        size_t pushes = 0;
        int stopped = 0;
        for (size_t j = 0; j < n_cut && !stopped; j++, pushes++) {
            size_t from = j ? cut[j - 1] : 0;
            stopped = sm_textout_push(&t, text + from, cut[j] - from);
        }
        if (!stopped)
            sm_textout_flush(&t);
        ck_assert_int_eq(stopped, want < len);
        ck_assert_uint_eq(pushes, want_pushes);
        ck_assert_msg(s.len == want && memcmp(s.text, text, want) == 0,
                      "iteration %d: emitted %zu bytes, want %zu", iter, s.len, want);
        sm_textout_fini(&t);
    }
}
END_TEST

static Suite *textout_suite(void)
{
    Suite *s = suite_create("textout");
    TCase *tc = tcase_create("textout");
    tcase_add_test(tc, test_stop_across_pieces);
    tcase_add_test(tc, test_false_start_is_released);
    tcase_add_test(tc, test_earliest_stop_wins);
    tcase_add_test(tc, test_utf8_held_until_whole);
    tcase_add_test(tc, test_cancel_stops_emitting);
    tcase_add_test(tc, test_bad_stops_rejected);
    tcase_add_test(tc, test_random_against_plain_search);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(textout_suite());
}
