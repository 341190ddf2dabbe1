/* SPDX-License-Identifier: MIT */
/* errbuf.h: writing an error's detail into a caller's buffer (the err/err_len pairs of the
 * internal interfaces and the errbuf of the load parameters). */
#ifndef SM_ERRBUF_H
#define SM_ERRBUF_H

#include <stddef.h>

#include "smallmind.h"

/* Formats the detail into @p err (truncated, always terminated; nothing when err is NULL or
 * err_len is 0) and returns @p status, so a failure path is one statement. */
sm_status sm_errbuf_set(char *err, size_t err_len, sm_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* SM_ERRBUF_H */
