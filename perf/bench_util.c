/* SPDX-License-Identifier: MIT */
/* bench_util.c: output formats, escaping, statistics, clock and progress line (bench_util.h). */
#include "config.h"

#include "bench_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int sm_bench_fmt_parse(const char *s)
{
    if (!s)
        return -1;
    if (!strcmp(s, "md"))
        return SM_BENCH_MD;
    if (!strcmp(s, "csv"))
        return SM_BENCH_CSV;
    if (!strcmp(s, "json"))
        return SM_BENCH_JSON;
    return -1;
}

uint64_t sm_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sm_bench_json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7F)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f); /* UTF-8 passes through: JSON text is UTF-8 */
    }
    fputc('"', f);
}

void sm_bench_csv_str(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void sm_bench_json_num(FILE *f, double v, int digits)
{
    if (!isfinite(v))
        fputs("null", f);
    else
        fprintf(f, "%.*g", digits, v);
}

double sm_bench_mean(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / (double)n : NAN;
}

double sm_bench_sd(const double *v, size_t n)
{
    if (n < 2)
        return 0;
    double m = sm_bench_mean(v, n), s = 0;
    for (size_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sm_bench_median(const double *v, size_t n)
{
    double tmp[4096];
    if (n == 0 || n > sizeof tmp / sizeof tmp[0])
        return NAN;
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

void sm_bench_progress_init(sm_bench_progress *p, size_t total, int allow)
{
    memset(p, 0, sizeof *p);
    p->total = total;
    p->enabled = allow && isatty(STDERR_FILENO);
}

void sm_bench_progress_show(sm_bench_progress *p, const char *what)
{
    if (!p->enabled)
        return;
    char line[160];
    int w = snprintf(line, sizeof line, "[%zu/%zu] %s", p->done + 1, p->total, what);
    if (w < 0)
        return;
    if (w >= (int)sizeof line)
        w = (int)sizeof line - 1;
    /* Blank what a longer previous line left behind. */
    fprintf(stderr, "\r%s%*s", line, p->last_width > w ? p->last_width - w : 0, "");
    fflush(stderr);
    p->last_width = w;
}

void sm_bench_progress_step(sm_bench_progress *p)
{
    p->done++;
}

void sm_bench_progress_clear(sm_bench_progress *p)
{
    if (!p->enabled || p->last_width == 0)
        return;
    fprintf(stderr, "\r%*s\r", p->last_width, "");
    fflush(stderr);
    p->last_width = 0;
}
