/* SPDX-License-Identifier: MIT */
/* profile_report.c: the per-op profile as markdown tables (see profile_report.h). */
#include "config.h"

#include "cli/profile_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define N_HOT 10

/* A row of a table: one entry, an op summed over layers, or the sampling (layer NO_LAYER). */
enum { NO_LAYER = -2 };

typedef struct row {
    const char *op;
    int layer;
    uint64_t calls, ns, bytes, flops;
} row;

/* Most time first; ties by op name, then layer, so equal inputs print equally. */
static int by_time(const void *pa, const void *pb)
{
    const row *a = pa, *b = pb;
    if (a->ns != b->ns)
        return a->ns > b->ns ? -1 : 1;
    int c = strcmp(a->op, b->op);
    if (c)
        return c;
    return (a->layer > b->layer) - (a->layer < b->layer);
}

static void add_to(row *r, const sm_profile_entry *e)
{
    r->calls += e->calls;
    r->ns += e->ns;
    r->bytes += e->bytes;
    r->flops += e->flops;
}

static void layer_name(char *buf, size_t len, int layer)
{
    if (layer == NO_LAYER)
        snprintf(buf, len, "-");
    else if (layer < 0)
        snprintf(buf, len, "outside");
    else
        snprintf(buf, len, "%d", layer);
}

/* calls | ms | share % | us/call | GB/s | GFLOP/s, each cell followed by " |". Bytes per
 * nanosecond are GB/s, flops per nanosecond GFLOP/s. */
static void print_figures(FILE *f, const row *r, uint64_t denom)
{
    fprintf(f, " %" PRIu64 " | %.3f |", r->calls, (double)r->ns / 1e6);
    if (denom)
        fprintf(f, " %.1f |", 100.0 * (double)r->ns / (double)denom);
    else
        fputs(" - |", f);
    if (r->calls)
        fprintf(f, " %.2f |", (double)r->ns / 1e3 / (double)r->calls);
    else
        fputs(" - |", f);
    if (r->bytes && r->ns)
        fprintf(f, " %.2f |", (double)r->bytes / (double)r->ns);
    else
        fputs(" - |", f);
    if (r->flops && r->ns)
        fprintf(f, " %.2f |", (double)r->flops / (double)r->ns);
    else
        fputs(" - |", f);
    fputc('\n', f);
}

static void print_hot(FILE *f, row *rows, size_t n, uint64_t denom)
{
    qsort(rows, n, sizeof *rows, by_time);
    fprintf(f, "### Hot paths: the %d most expensive (op, layer)\n\n", N_HOT);
    fputs("| # | op | layer | calls | ms | share % | us/call | GB/s | GFLOP/s |\n", f);
    fputs("|--:|:---|:--|--:|--:|--:|--:|--:|--:|\n", f);
    for (size_t i = 0; i < n && i < N_HOT; i++) {
        char layer[32];
        layer_name(layer, sizeof layer, rows[i].layer);
        fprintf(f, "| %zu | %s | %s |", i + 1, rows[i].op, layer);
        print_figures(f, &rows[i], denom);
    }
    fputc('\n', f);
}

/* Sums @p rows (n entries, then possibly the sampling) by op name into @p kinds. */
static size_t sum_kinds(const sm_profile_entry *e, size_t n, const row *sampling, row *kinds)
{
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nk && strcmp(kinds[k].op, e[i].op) != 0)
            k++;
        if (k == nk)
            kinds[nk++] = (row){.op = e[i].op, .layer = NO_LAYER};
        add_to(&kinds[k], &e[i]);
    }
    if (sampling)
        kinds[nk++] = *sampling;
    return nk;
}

static void print_kinds(FILE *f, row *kinds, size_t nk, uint64_t accounted, uint64_t total_ns,
                        uint64_t denom)
{
    qsort(kinds, nk, sizeof *kinds, by_time);
    fputs("### Time per op kind\n\n", f);
    fputs("| op | calls | ms | share % | us/call | GB/s | GFLOP/s |\n", f);
    fputs("|:---|--:|--:|--:|--:|--:|--:|\n", f);
    for (size_t i = 0; i < nk; i++) {
        fprintf(f, "| %s |", kinds[i].op);
        print_figures(f, &kinds[i], denom);
    }
    if (total_ns) {
        uint64_t other = total_ns > accounted ? total_ns - accounted : 0;
        fprintf(f, "| other (unaccounted) | - | %.3f | %.1f | - | - | - |\n", (double)other / 1e6,
                100.0 * (double)other / (double)total_ns);
    }
    fprintf(f, "| total | - | %.3f | %s | - | - | - |\n",
            (double)(total_ns ? total_ns : accounted) / 1e6, denom ? "100.0" : "-");
    fputc('\n', f);
}

static void print_layers(FILE *f, const sm_profile_entry *e, size_t n, uint64_t denom)
{
    int max_layer = -1;
    for (size_t i = 0; i < n; i++)
        if (e[i].layer > max_layer)
            max_layer = e[i].layer;
    fputs("### Time per layer\n\n", f);
    fputs("| layer | calls | ms | share % | most expensive op | its ms |\n", f);
    fputs("|:--|--:|--:|--:|:---|--:|\n", f);
    for (int l = -1; l <= max_layer; l++) {
        row sum = {.op = "", .layer = l};
        const sm_profile_entry *top = NULL;
        for (size_t i = 0; i < n; i++) {
            if (e[i].layer != l && !(l == -1 && e[i].layer < -1))
                continue;
            add_to(&sum, &e[i]);
            if (!top || e[i].ns > top->ns || (e[i].ns == top->ns && strcmp(e[i].op, top->op) < 0))
                top = &e[i];
        }
        if (!top)
            continue;
        char layer[32];
        layer_name(layer, sizeof layer, l);
        fprintf(f, "| %s | %" PRIu64 " | %.3f | ", layer, sum.calls, (double)sum.ns / 1e6);
        if (denom)
            fprintf(f, "%.1f", 100.0 * (double)sum.ns / (double)denom);
        else
            fputc('-', f);
        fprintf(f, " | %s | %.3f |\n", top->op, (double)top->ns / 1e6);
    }
    fputs("\nLayer \"outside\": the embedding, the final norm and the logits.\n\n", f);
}

void sm_cli_profile_print(FILE *f, const sm_profile_entry *e, size_t n, uint64_t sample_ns,
                          uint64_t sample_calls, uint64_t total_ns)
{
    int sampled = sample_ns || sample_calls;
    row sampling = {.op = "sampling", .layer = NO_LAYER, .calls = sample_calls, .ns = sample_ns};
    row *rows = malloc((n + 1) * sizeof *rows), *kinds = malloc((n + 1) * sizeof *kinds);
    if (!rows || !kinds) {
        fputs("(profile: out of memory for the report)\n", f);
        free(rows);
        free(kinds);
        return;
    }
    uint64_t accounted = sampled ? sample_ns : 0;
    for (size_t i = 0; i < n; i++) {
        rows[i] = (row){.op = e[i].op, .layer = e[i].layer < -1 ? -1 : e[i].layer};
        add_to(&rows[i], &e[i]);
        accounted += e[i].ns;
    }
    size_t nr = n;
    if (sampled)
        rows[nr++] = sampling;
    uint64_t denom = total_ns ? total_ns : accounted;
    print_hot(f, rows, nr, denom);
    size_t nk = sum_kinds(e, n, sampled ? &sampling : NULL, kinds);
    print_kinds(f, kinds, nk, accounted, total_ns, denom);
    print_layers(f, e, n, denom);
    free(rows);
    free(kinds);
}
