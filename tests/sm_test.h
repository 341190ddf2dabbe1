/* SPDX-License-Identifier: MIT */
/* sm_test.h: helpers shared by the Check test programs (TAP runner, stream capture). */
#ifndef SM_TEST_H
#define SM_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs one suite with TAP on stdout for automake's tap-driver.sh, one line per test, and
 * returns main's exit status: nonzero iff a test failed, so a crash of the runner still fails. */
static inline int sm_test_run(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Redirects a file descriptor (1 or 2) into an anonymous temporary file until
 * sm_test_capture_end, which returns how many bytes were written to it meanwhile. */
typedef struct sm_test_capture {
    int fd;
    int saved;
    FILE *tmp;
} sm_test_capture;

static inline void sm_test_capture_begin(sm_test_capture *c, int fd)
{
    fflush(NULL);
    c->fd = fd;
    c->tmp = tmpfile();
    ck_assert_ptr_nonnull(c->tmp);
    c->saved = dup(fd);
    ck_assert_int_ge(c->saved, 0);
    ck_assert_int_ge(dup2(fileno(c->tmp), fd), 0);
}

static inline long sm_test_capture_end(sm_test_capture *c)
{
    fflush(NULL);
    ck_assert_int_ge(dup2(c->saved, c->fd), 0);
    close(c->saved);
    struct stat st;
    ck_assert_int_eq(fstat(fileno(c->tmp), &st), 0);
    fclose(c->tmp);
    return (long)st.st_size;
}

#endif /* SM_TEST_H */
