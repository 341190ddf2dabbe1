/* SPDX-License-Identifier: MIT */
/* sm_test_tmp.h: a fresh temporary file for tests that write models, topologies or text.
 * mkstemp is POSIX: include config.h (which asks for it) before this header. */
#ifndef SM_TEST_TMP_H
#define SM_TEST_TMP_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Creates an empty file "$TMPDIR/<prefix>XXXXXX" (/tmp without TMPDIR) and writes its name to
 * @p path; the caller unlinks it. */
static inline void sm_test_make_temp(char *path, size_t len, const char *prefix)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/%sXXXXXX", dir != NULL && *dir != '\0' ? dir : "/tmp", prefix);
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp %s: errno %d", path, errno);
    close(fd);
}

#endif /* SM_TEST_TMP_H */
