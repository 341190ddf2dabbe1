/* SPDX-License-Identifier: MIT */
/* errbuf.c: see errbuf.h. */
#include "config.h"

#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>

sm_status sm_errbuf_set(char *err, size_t err_len, sm_status status, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}
