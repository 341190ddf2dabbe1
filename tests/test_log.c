/* SPDX-License-Identifier: MIT */
/* test_log.c: the log sink: silent by default, exact delivery, truncation, thread safety. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "log.h"
#include "sm_test.h"

typedef struct record {
    char tag;
    int calls;
    sm_log_level level;
    char message[2 * SM_LOG_MAX_BYTES];
} record;

static void record_sink(void *user_data, sm_log_level level, const char *message)
{
    record *r = user_data;
    r->calls++;
    r->level = level;
    snprintf(r->message, sizeof r->message, "%s", message);
}

static void reset_sink(void)
{
    sm_set_log(NULL, NULL);
}

START_TEST(test_log_is_silent_by_default)
{
    sm_test_capture out, err;
    sm_test_capture_begin(&out, STDOUT_FILENO);
    sm_test_capture_begin(&err, STDERR_FILENO);
    sm_log(SM_LOG_ERROR, "error %d", 1);
    sm_log(SM_LOG_WARN, "warning %s", "two");
    sm_log(SM_LOG_INFO, "info");
    sm_log(SM_LOG_DEBUG, "debug");
    long n_err = sm_test_capture_end(&err);
    long n_out = sm_test_capture_end(&out);
    ck_assert_int_eq(n_out, 0);
    ck_assert_int_eq(n_err, 0);
}
END_TEST

START_TEST(test_log_delivers_level_message_and_user_data)
{
    record r = {.tag = 'r'};
    sm_set_log(record_sink, &r);
    sm_log(SM_LOG_WARN, "tensor %s: offset %d not a multiple of %u", "blk.3.attn_q.weight", 1234,
           32u);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.level, SM_LOG_WARN);
    ck_assert_str_eq(r.message, "tensor blk.3.attn_q.weight: offset 1234 not a multiple of 32");
    sm_log(SM_LOG_DEBUG, "second");
    ck_assert_int_eq(r.calls, 2);
    ck_assert_int_eq(r.level, SM_LOG_DEBUG);
    ck_assert_str_eq(r.message, "second");
}
END_TEST

START_TEST(test_log_null_sink_silences_again)
{
    record r = {.tag = 'r'};
    sm_set_log(record_sink, &r);
    sm_log(SM_LOG_INFO, "one");
    sm_set_log(NULL, NULL);
    sm_log(SM_LOG_INFO, "two");
    ck_assert_int_eq(r.calls, 1);
    ck_assert_str_eq(r.message, "one");
}
END_TEST

START_TEST(test_log_cuts_long_messages_with_ellipsis)
{
    static char longtext[5000];
    memset(longtext, 'x', sizeof longtext - 1);
    record r = {.tag = 'r'};
    sm_set_log(record_sink, &r);
    sm_log(SM_LOG_ERROR, "%s", longtext);
    size_t len = strlen(r.message);
    ck_assert_uint_eq(len, SM_LOG_MAX_BYTES - 1);
    ck_assert_str_eq(r.message + len - 3, "...");
    ck_assert_uint_eq(strspn(r.message, "x"), len - 3);
}
END_TEST

START_TEST(test_log_keeps_a_message_that_just_fits)
{
    static char text[SM_LOG_MAX_BYTES];
    memset(text, 'y', SM_LOG_MAX_BYTES - 1);
    record r = {.tag = 'r'};
    sm_set_log(record_sink, &r);
    sm_log(SM_LOG_ERROR, "%s", text);
    ck_assert_str_eq(r.message, text);
}
END_TEST

START_TEST(test_log_strips_trailing_newlines)
{
    record r = {.tag = 'r'};
    sm_set_log(record_sink, &r);
    sm_log(SM_LOG_INFO, "line\n\n");
    ck_assert_str_eq(r.message, "line");
}
END_TEST

/* Concurrency: loggers run while the sink flips between two (fn, user_data) pairs. Each sink
 * checks that it received its own user_data; a torn update would pair A's function with B's
 * pointer. Run under --enable-sanitizers=thread this also checks for data races. */
enum { N_LOGGERS = 4, N_MESSAGES = 4000, N_SWITCHES = 2000 };

typedef struct tagged {
    char tag;
    atomic_int calls;
} tagged;

static atomic_int torn_pairs;

static void sink_a(void *user_data, sm_log_level level, const char *message)
{
    tagged *t = user_data;
    (void)level;
    (void)message;
    if (t->tag != 'A')
        atomic_fetch_add(&torn_pairs, 1);
    atomic_fetch_add(&t->calls, 1);
}

static void sink_b(void *user_data, sm_log_level level, const char *message)
{
    tagged *t = user_data;
    (void)level;
    (void)message;
    if (t->tag != 'B')
        atomic_fetch_add(&torn_pairs, 1);
    atomic_fetch_add(&t->calls, 1);
}

static void *logger(void *arg)
{
    (void)arg;
    for (int i = 0; i < N_MESSAGES; i++)
        sm_log(SM_LOG_DEBUG, "message %d", i);
    return NULL;
}

START_TEST(test_log_switching_sinks_under_load_never_tears)
{
    static tagged a = {.tag = 'A'}, b = {.tag = 'B'};
    atomic_store(&torn_pairs, 0);
    sm_set_log(sink_a, &a);
    pthread_t threads[N_LOGGERS];
    for (int i = 0; i < N_LOGGERS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, logger, NULL), 0);
    for (int i = 0; i < N_SWITCHES; i++) {
        if (i % 2)
            sm_set_log(sink_a, &a);
        else
            sm_set_log(sink_b, &b);
    }
    for (int i = 0; i < N_LOGGERS; i++)
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
    ck_assert_int_eq(atomic_load(&torn_pairs), 0);
    /* A sink was set throughout, so no message may be lost. */
    ck_assert_int_eq(atomic_load(&a.calls) + atomic_load(&b.calls), N_LOGGERS * N_MESSAGES);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    /* No fixture here: this must observe the state the library starts in. */
    TCase *fresh = tcase_create("default");
    tcase_add_test(fresh, test_log_is_silent_by_default);
    suite_add_tcase(s, fresh);

    TCase *sink = tcase_create("sink");
    tcase_add_checked_fixture(sink, reset_sink, reset_sink);
    tcase_add_test(sink, test_log_delivers_level_message_and_user_data);
    tcase_add_test(sink, test_log_null_sink_silences_again);
    tcase_add_test(sink, test_log_cuts_long_messages_with_ellipsis);
    tcase_add_test(sink, test_log_keeps_a_message_that_just_fits);
    tcase_add_test(sink, test_log_strips_trailing_newlines);
    suite_add_tcase(s, sink);

    TCase *threads = tcase_create("threads");
    tcase_add_checked_fixture(threads, reset_sink, reset_sink);
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, test_log_switching_sinks_under_load_never_tears);
    suite_add_tcase(s, threads);
    return s;
}

int main(void)
{
    return sm_test_run(log_suite());
}
