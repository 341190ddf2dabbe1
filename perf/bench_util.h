/* SPDX-License-Identifier: MIT */
/* bench_util.h: what sm-bench's parts share: the output format, text escaping for JSON and CSV,
 * sample statistics, a monotonic clock and the progress line on stderr. */
#ifndef SM_PERF_BENCH_UTIL_H
#define SM_PERF_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* -o md|csv|json */
typedef enum sm_bench_fmt { SM_BENCH_MD = 0, SM_BENCH_CSV = 1, SM_BENCH_JSON = 2 } sm_bench_fmt;

/* "md", "csv", "json" to the enum; -1 for anything else. */
int sm_bench_fmt_parse(const char *s);

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t sm_bench_now_ns(void);

/* @p s as a JSON string, quotes included (NULL prints null). */
void sm_bench_json_str(FILE *f, const char *s);

/* @p s as one CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote
 * or a line break; as is otherwise. */
void sm_bench_csv_str(FILE *f, const char *s);

/* A JSON number: %.*g with @p digits significant digits, or null for NaN and infinities, which
 * JSON cannot spell. */
void sm_bench_json_num(FILE *f, double v, int digits);

/* Statistics of n samples (n >= 1). sd is the sample standard deviation (n - 1 in the
 * denominator, as llama-bench reports it), 0 for one sample. */
double sm_bench_mean(const double *v, size_t n);
double sm_bench_sd(const double *v, size_t n);
/* The median; sorts a copy (at most 4096 samples), so v is left as it is. */
double sm_bench_median(const double *v, size_t n);

/* The progress line: "\r[done/total] what" on stderr, redrawn in place, only when stderr is a
 * terminal (a log file or a pipe gets nothing). */
typedef struct sm_bench_progress {
    int enabled;    /* isatty(2) at init, unless the caller turned it off */
    size_t done;    /* steps finished */
    size_t total;   /* steps in the run */
    int last_width; /* characters drawn last time, to blank the rest of the line */
} sm_bench_progress;

void sm_bench_progress_init(sm_bench_progress *p, size_t total, int allow);
/* Draws "[done+1/total] what" (what is running now); rate-limited by the caller's calls. */
void sm_bench_progress_show(sm_bench_progress *p, const char *what);
/* One step done. */
void sm_bench_progress_step(sm_bench_progress *p);
/* Erases the line so that the next output starts on a clean line. */
void sm_bench_progress_clear(sm_bench_progress *p);

#endif /* SM_PERF_BENCH_UTIL_H */
