/* SPDX-License-Identifier: MIT */
/* bench_result.c: sm-bench's results as markdown, CSV or JSON (bench_result.h). Field names
 * follow llama-bench's where it has one, so tools written for it read ours. */
#include "config.h"

#include "bench_result.h"

#include <assert.h>
#include <math.h>
#include <string.h>

double sm_bench_result_ts(const sm_bench_result *r, int i)
{
    double s = r->samples_ns[i] * 1e-9;
    return s > 0 ? (double)(r->n_prompt + r->n_gen) / s : NAN;
}

/* The samples' tokens/s, mean and sd (ts) and ns statistics. */
typedef struct stats {
    double ts[SM_BENCH_MAX_REPS];
    double avg_ts, sd_ts, avg_ns, sd_ns;
} stats;

static void compute(const sm_bench_result *r, stats *s)
{
    for (int i = 0; i < r->n_samples; i++)
        s->ts[i] = sm_bench_result_ts(r, i);
    size_t n = (size_t)r->n_samples;
    s->avg_ts = sm_bench_mean(s->ts, n);
    s->sd_ts = sm_bench_sd(s->ts, n);
    s->avg_ns = sm_bench_mean(r->samples_ns, n);
    s->sd_ns = sm_bench_sd(r->samples_ns, n);
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* llama-bench's size column: MiB or GiB with two decimals. */
static void fmt_size(char *buf, size_t n, uint64_t bytes)
{
    double mib = (double)bytes / (1024.0 * 1024.0);
    if (mib >= 1024.0)
        snprintf(buf, n, "%.2f GiB", mib / 1024.0);
    else
        snprintf(buf, n, "%.2f MiB", mib);
}

static void fmt_params(char *buf, size_t n, uint64_t p)
{
    if (p >= 1000000000u)
        snprintf(buf, n, "%.2f B", (double)p * 1e-9);
    else if (p >= 1000000u)
        snprintf(buf, n, "%.2f M", (double)p * 1e-6);
    else
        snprintf(buf, n, "%.2f K", (double)p * 1e-3);
}

/* ---- markdown ------------------------------------------------------------------------------ */

static void md_begin(sm_bench_writer *w)
{
    FILE *f = w->out;
    fputs("| model | size | params | type | threads |", f);
    if (w->show_placement)
        fputs(" placement |", f);
    if (w->show_numa)
        fputs(" numa |", f);
    if (w->show_pin)
        fputs(" pin |", f);
    fputs(" test | t/s |\n| --- | ---: | ---: | --- | ---: |", f);
    if (w->show_placement)
        fputs(" --- |", f);
    if (w->show_numa)
        fputs(" --- |", f);
    if (w->show_pin)
        fputs(" --- |", f);
    fputs(" --- | ---: |\n", f);
}

static void md_row(sm_bench_writer *w, const sm_bench_result *r, const stats *s)
{
    FILE *f = w->out;
    char size[32], params[32];
    fmt_size(size, sizeof size, r->model_size);
    fmt_params(params, sizeof params, r->model_n_params);
    /* the type column: the weight type, the last word of model_type */
    const char *type = strrchr(r->model_type, ' ');
    fprintf(f, "| %s | %s | %s | %s | %d |", basename_of(r->model_filename), size, params,
            type ? type + 1 : r->model_type, r->n_threads);
    if (w->show_placement)
        fprintf(f, " %s |", r->placement);
    if (w->show_numa)
        fprintf(f, " %s |", r->numa);
    if (w->show_pin)
        fprintf(f, " %s |", r->pinning);
    fprintf(f, " %s | %.2f ± %.2f |\n", r->test, s->avg_ts, s->sd_ts);
}

/* ---- CSV ----------------------------------------------------------------------------------- */

static const char csv_header[] =
    "model_filename,model_type,model_size,model_n_params,n_threads,placement,numa,pinning,"
    "n_batch,type_kv,use_mmap,n_prompt,n_gen,test,test_time,avg_ns,stddev_ns,avg_ts,stddev_ts,"
    "samples_ns,samples_ts,heap_bytes_per_token,steals_local,steals_remote,context_bytes,"
    "peak_rss_bytes,isa,topology,version\n";

/* A list of samples as one CSV field: space-separated, as llama-bench's "samples_ts". */
static void csv_samples(FILE *f, const double *v, int n, int digits)
{
    fputc('"', f);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.*g", i ? " " : "", digits, v[i]);
    fputc('"', f);
}

static void csv_row(sm_bench_writer *w, const sm_bench_result *r, const stats *s)
{
    FILE *f = w->out;
    sm_bench_csv_str(f, r->model_filename);
    fputc(',', f);
    sm_bench_csv_str(f, r->model_type);
    fprintf(f, ",%llu,%llu,%d,%s,%s,%s,%d,%s,%d,%d,%d,%s,%s,%.0f,%.0f,%.6g,%.6g,",
            (unsigned long long)r->model_size, (unsigned long long)r->model_n_params, r->n_threads,
            r->placement, r->numa, r->pinning, r->n_batch, r->type_kv, r->use_mmap, r->n_prompt,
            r->n_gen, r->test, r->test_time, s->avg_ns, s->sd_ns, s->avg_ts, s->sd_ts);
    csv_samples(f, r->samples_ns, r->n_samples, 12);
    fputc(',', f);
    csv_samples(f, s->ts, r->n_samples, 8);
    if (r->heap_counted)
        fprintf(f, ",%.6g", r->heap_bytes_per_token);
    else
        fputs(",", f);
    fprintf(f, ",%.6g,%.6g,%llu,%llu,%s,", r->steals_local, r->steals_remote,
            (unsigned long long)r->context_bytes, (unsigned long long)r->peak_rss_bytes, r->isa);
    sm_bench_csv_str(f, r->topology);
    fputc(',', f);
    sm_bench_csv_str(f, r->version);
    fputc('\n', f);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static void json_key(FILE *f, const char *k, int first)
{
    fprintf(f, "%s\n    \"%s\": ", first ? "" : ",", k);
}

static void json_s(FILE *f, const char *k, const char *v)
{
    json_key(f, k, 0);
    sm_bench_json_str(f, v);
}

static void json_u(FILE *f, const char *k, uint64_t v)
{
    json_key(f, k, 0);
    fprintf(f, "%llu", (unsigned long long)v);
}

static void json_d(FILE *f, const char *k, double v)
{
    json_key(f, k, 0);
    sm_bench_json_num(f, v, 10);
}

static void json_arr(FILE *f, const char *k, const double *v, int n, int digits)
{
    json_key(f, k, 0);
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        sm_bench_json_num(f, v[i], digits);
    }
    fputc(']', f);
}

static void json_row(sm_bench_writer *w, const sm_bench_result *r, const stats *s)
{
    FILE *f = w->out;
    fputs(w->rows ? ",\n  {" : "\n  {", f);
    json_key(f, "model_filename", 1);
    sm_bench_json_str(f, r->model_filename);
    json_s(f, "model_type", r->model_type);
    json_u(f, "model_size", r->model_size);
    json_u(f, "model_n_params", r->model_n_params);
    json_u(f, "n_threads", (uint64_t)r->n_threads);
    json_s(f, "placement", r->placement);
    json_s(f, "numa", r->numa);
    json_s(f, "pinning", r->pinning);
    json_u(f, "n_batch", (uint64_t)r->n_batch);
    json_s(f, "type_kv", r->type_kv);
    json_key(f, "use_mmap", 0);
    fputs(r->use_mmap ? "true" : "false", f);
    json_u(f, "n_prompt", (uint64_t)r->n_prompt);
    json_u(f, "n_gen", (uint64_t)r->n_gen);
    json_s(f, "test", r->test);
    json_s(f, "test_time", r->test_time);
    json_d(f, "avg_ns", s->avg_ns);
    json_d(f, "stddev_ns", s->sd_ns);
    json_d(f, "avg_ts", s->avg_ts);
    json_d(f, "stddev_ts", s->sd_ts);
    json_arr(f, "samples_ns", r->samples_ns, r->n_samples, 12);
    json_arr(f, "samples_ts", s->ts, r->n_samples, 10);
    if (r->heap_counted) {
        json_d(f, "heap_bytes_per_token", r->heap_bytes_per_token);
    } else {
        json_key(f, "heap_bytes_per_token", 0);
        fputs("null", f);
    }
    json_d(f, "steals_local", r->steals_local);
    json_d(f, "steals_remote", r->steals_remote);
    json_u(f, "context_bytes", r->context_bytes);
    json_u(f, "peak_rss_bytes", r->peak_rss_bytes);
    json_s(f, "isa", r->isa);
    json_s(f, "topology", r->topology);
    json_s(f, "version", r->version);
    fputs("\n  }", f);
}

/* ---- the writer ---------------------------------------------------------------------------- */

static int status_of(FILE *f)
{
    return ferror(f) ? -1 : 0;
}

int sm_bench_writer_begin(sm_bench_writer *w)
{
    w->rows = 0;
    if (w->fmt == SM_BENCH_MD)
        md_begin(w);
    else if (w->fmt == SM_BENCH_CSV)
        fputs(csv_header, w->out);
    else
        fputc('[', w->out);
    fflush(w->out);
    return status_of(w->out);
}

int sm_bench_writer_row(sm_bench_writer *w, const sm_bench_result *r)
{
    static_assert(SM_BENCH_MAX_REPS <= 4096, "sm_bench_median sorts at most 4096 samples");
    stats s;
    if (r->n_samples < 1 || r->n_samples > SM_BENCH_MAX_REPS)
        return -1;
    compute(r, &s);
    if (w->fmt == SM_BENCH_MD)
        md_row(w, r, &s);
    else if (w->fmt == SM_BENCH_CSV)
        csv_row(w, r, &s);
    else
        json_row(w, r, &s);
    w->rows++;
    fflush(w->out); /* a long run shows, and keeps, every finished row */
    return status_of(w->out);
}

int sm_bench_writer_end(sm_bench_writer *w)
{
    if (w->fmt == SM_BENCH_JSON)
        fputs(w->rows ? "\n]\n" : "]\n", w->out);
    fflush(w->out);
    return status_of(w->out);
}
