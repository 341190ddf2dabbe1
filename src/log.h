/* SPDX-License-Identifier: MIT */
/* log.h: internal logging entry point; messages reach the sink set by sm_set_log, or nowhere. */
#ifndef SM_LOG_H
#define SM_LOG_H

#include "smallmind.h"

/* The longest message delivered, terminator included; longer ones are cut and end in "...".
 * Messages name a file, key or tensor and a value, so 1 KiB is ample and fits on the stack. */
#define SM_LOG_MAX_BYTES 1024

/* Formats and delivers one message. Costs one uncontended lock and no formatting when no sink
 * is set, so callers need not guard calls; still, keep it off per-tile hot paths. */
void sm_log(sm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SM_LOG_H */
