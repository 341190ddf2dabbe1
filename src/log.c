/* SPDX-License-Identifier: MIT */
/* log.c: the process-wide log sink (one of the two mutable globals STYLE.md 3.1 allows). */
#include "config.h"

#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A mutex rather than two atomics: the sink and its user_data must change together, or a
 * concurrent message could reach the new function with the old pointer. Logging is rare
 * (load errors, warnings), so the lock is never contended in practice. */
static pthread_mutex_t sm_log_lock = PTHREAD_MUTEX_INITIALIZER;
static sm_log_fn sm_log_sink;
static void *sm_log_user_data;

void sm_set_log(sm_log_fn fn, void *user_data)
{
    pthread_mutex_lock(&sm_log_lock);
    sm_log_sink = fn;
    sm_log_user_data = user_data;
    pthread_mutex_unlock(&sm_log_lock);
}

void sm_log(sm_log_level level, const char *fmt, ...)
{
    pthread_mutex_lock(&sm_log_lock);
    sm_log_fn fn = sm_log_sink;
    void *user_data = sm_log_user_data;
    pthread_mutex_unlock(&sm_log_lock);
    if (fn == NULL)
        return;

    /* The sink runs outside the lock so that a slow sink never serializes other threads'
     * logging behind it. */
    char message[SM_LOG_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (n < 0) {
        snprintf(message, sizeof message, "(unformattable log message: %s)", fmt);
        n = (int)strlen(message);
    } else if ((size_t)n >= sizeof message) {
        memcpy(message + sizeof message - 4, "...", 4);
        n = (int)sizeof message - 1;
    }
    while (n > 0 && message[n - 1] == '\n')
        message[--n] = '\0';
    fn(user_data, level, message);
}
