/* SPDX-License-Identifier: MIT */
/* bench_kernels_out.c: the kernel tables' rows as md, csv or json (bench_kernels_out.h). */
#include "config.h"

#include "bench_kernels_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int row_cmp(const void *pa, const void *pb)
{
    const sm_bk_row *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    return (a->thread_ix > b->thread_ix) - (a->thread_ix < b->thread_ix);
}

/* Writes a row's fields as JSON members or CSV fields; with header set, their names as the CSV
 * header. The field order is the order of the calls in bk_put_row. */
typedef struct bk_sink {
    FILE *f;
    sm_bench_fmt fmt;
    int header;
    int n; /* fields written on this line */
} bk_sink;

static int bk_put_name(bk_sink *k, const char *name)
{
    if (k->n++)
        fputc(',', k->f);
    if (k->fmt == SM_BENCH_JSON) {
        sm_bench_json_str(k->f, name);
        fputc(':', k->f);
    } else if (k->header) {
        fputs(name, k->f);
    }
    return !k->header;
}

static void bk_put_str(bk_sink *k, const char *name, const char *s)
{
    if (!bk_put_name(k, name))
        return;
    if (k->fmt == SM_BENCH_JSON)
        sm_bench_json_str(k->f, s);
    else
        sm_bench_csv_str(k->f, s);
}

static void bk_put_int(bk_sink *k, const char *name, size_t v)
{
    if (bk_put_name(k, name))
        fprintf(k->f, "%zu", v);
}

/* NaN: JSON null, an empty CSV field. */
static void bk_put_num(bk_sink *k, const char *name, double v)
{
    if (!bk_put_name(k, name))
        return;
    if (k->fmt == SM_BENCH_JSON)
        sm_bench_json_num(k->f, v, 6);
    else if (isfinite(v))
        fprintf(k->f, "%.6g", v);
}

static void bk_put_row(bk_sink *k, const sm_bk_tables *r, const sm_bk_row *row)
{
    k->n = 0;
    bk_put_str(k, "kernel", row->kernel);
    bk_put_str(k, "type", row->type);
    bk_put_str(k, "isa", r->isa);
    bk_put_int(k, "m", row->m);
    bk_put_int(k, "n", row->n);
    bk_put_int(k, "k", row->k);
    bk_put_int(k, "n_threads", (size_t)row->n_threads);
    bk_put_int(k, "reps", (size_t)r->reps);
    bk_put_num(k, "median_us", row->median_us);
    bk_put_num(k, "gflops", row->gflops);
    bk_put_num(k, "gbps", row->gbps);
    bk_put_str(k, "ref_name", row->ref_name);
    bk_put_num(k, "ref_median_us", row->ref_median_us);
    bk_put_num(k, "ref_gflops", row->ref_gflops);
    bk_put_num(k, "ref_gbps", row->ref_gbps);
    bk_put_num(k, "ratio", row->ratio);
    bk_put_str(k, "check", row->check);
    bk_put_num(k, "err_of_tol", row->err_of_tol);
    int blas = row->ref_name && !strcmp(row->ref_name, "openblas");
    bk_put_str(k, "ref_detail", blas ? r->ref_detail : NULL);
}

static void bk_write_json(const sm_bk_tables *r, FILE *f)
{
    bk_sink k = {f, SM_BENCH_JSON, 0, 0};
    fputc('[', f);
    for (size_t i = 0; i < r->n_rows; i++) {
        fputs(i ? ",\n  {" : "\n  {", f);
        bk_put_row(&k, r, &r->rows[i]);
        fputc('}', f);
    }
    fputs("\n]\n", f);
}

static void bk_write_csv(const sm_bk_tables *r, FILE *f)
{
    bk_sink k = {f, SM_BENCH_CSV, 1, 0};
    sm_bk_row none = {0};
    bk_put_row(&k, r, &none);
    fputc('\n', f);
    k.header = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        bk_put_row(&k, r, &r->rows[i]);
        fputc('\n', f);
    }
}

/* Three significant digits or so, fixed notation; "-" for a missing value. */
static void bk_md_num(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("-", f);
    else if (fabs(v) >= 100)
        fprintf(f, "%.0f", v);
    else if (fabs(v) >= 10)
        fprintf(f, "%.1f", v);
    else if (fabs(v) >= 1)
        fprintf(f, "%.2f", v);
    else
        fprintf(f, "%.3g", v);
}

static void bk_md_cells(FILE *f, const double *v, size_t n, const sm_bk_row *row)
{
    for (size_t i = 0; i < n; i++) {
        fputs(" | ", f);
        bk_md_num(f, v[i]);
    }
    fprintf(f, " | %s |\n", row->check);
}

static void bk_md_header(const sm_bk_tables *r, FILE *f, sm_bk_group g)
{
    const char *isa = r->isa;
    if (g == SM_BK_SGEMM)
        fprintf(f,
                "### SGEMM, GFLOP/s: y[M][N] = x[M][K] W[N][K]^T\n\n"
                "| M x N x K | threads | %s | OpenBLAS | ratio | %s µs | check |\n"
                "|---|--:|--:|--:|--:|--:|---|\n",
                isa, isa);
    else if (g == SM_BK_GEMV)
        fprintf(f,
                "### GEMV, GB/s of weight bytes, one token (memread: a plain read of the same "
                "bytes)\n\n"
                "| type | N x K | threads | %s | memread | ratio | %s µs | GFLOP/s | check |\n"
                "|---|---|--:|--:|--:|--:|--:|--:|---|\n",
                isa, isa);
    else
        fprintf(f,
                "### Element-wise ops, µs per call (M rows of N floats)\n\n"
                "| op | M x N | threads | %s | ref | speedup | check |\n"
                "|---|---|--:|--:|--:|--:|---|\n",
                isa);
}

static void bk_write_md(const sm_bk_tables *r, FILE *f)
{
    fprintf(f, "## Kernels: table %s, median of %d repetitions%s\n\n", r->isa, r->reps,
            r->quick ? " (quick: small shapes, short loops; figures not meaningful)" : "");
    for (size_t i = 0; i < r->n_rows;) {
        sm_bk_group g = r->rows[i].group;
        if (g == SM_BK_SGEMM)
            fprintf(f, "OpenBLAS: %s\n\n",
                    r->ref_detail[0] ? r->ref_detail
                                     : "not found by configure (small products checked against "
                                       "the ref table)");
        bk_md_header(r, f, g);
        for (; i < r->n_rows && r->rows[i].group == g; i++) {
            const sm_bk_row *w = &r->rows[i];
            if (g == SM_BK_SGEMM) {
                fprintf(f, "| %zux%zux%zu | %d", w->m, w->n, w->k, w->n_threads);
                double v[] = {w->gflops, w->ref_gflops, w->ratio, w->median_us};
                bk_md_cells(f, v, 4, w);
            } else if (g == SM_BK_GEMV) {
                fprintf(f, "| %s | %zux%zu | %d", w->type, w->n, w->k, w->n_threads);
                double v[] = {w->gbps, w->ref_gbps, w->ratio, w->median_us, w->gflops};
                bk_md_cells(f, v, 5, w);
            } else {
                fprintf(f, "| %s | %zux%zu | %d", w->kernel, w->m, w->n, w->n_threads);
                double v[] = {w->median_us, w->ref_median_us, w->ratio};
                bk_md_cells(f, v, 3, w);
            }
        }
        fputc('\n', f);
    }
}

void sm_bench_kernels_sort(sm_bk_tables *t)
{
    qsort(t->rows, t->n_rows, sizeof *t->rows, row_cmp);
}

void sm_bench_kernels_write(const sm_bk_tables *t, sm_bench_fmt fmt, FILE *f)
{
    if (fmt == SM_BENCH_JSON)
        bk_write_json(t, f);
    else if (fmt == SM_BENCH_CSV)
        bk_write_csv(t, f);
    else
        bk_write_md(t, f);
    fflush(f);
}
