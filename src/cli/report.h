/* SPDX-License-Identifier: MIT */
/* report.h: what sm-run measured, printed for people (stderr) or as one JSON object
 * (--timings-json). */
#ifndef SM_CLI_REPORT_H
#define SM_CLI_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "smallmind.h"

typedef struct sm_cli_report {
    const char *model; /* the file, or "builtin:NAME" */
    const char *arch;
    const char *weight_type;
    uint64_t n_params;
    uint64_t size_bytes;
    int n_threads;
    const char *placement;
    const char *numa;
    const char *isa;
    const char *topology;
    int n_ctx;
    uint64_t seed;
    double load_ms;
    sm_generate_result gen;
    sm_context_mem mem;
    uint64_t scratch_high_water_bytes; /* summed over workers */
    uint64_t steals_local;
    uint64_t steals_remote;
    uint64_t peak_rss_bytes;
    int interrupted;
    int text_open_line; /* the generated text did not end with a newline */
} sm_cli_report;

/* Fills the fields that come from the scheduler, the context and the process (steals, scratch,
 * memory, peak RSS) at the end of a run. */
void sm_cli_report_collect(sm_cli_report *r, const sm_sched *sched, const sm_context *ctx);

/* The banner: model, architecture, parameters, weight type, threads, placement, kernels. */
void sm_cli_report_banner(const sm_cli_report *r, FILE *out);

/* The timings lines, llama.cpp-like ("prompt eval time = ..."). */
void sm_cli_report_timings(const sm_cli_report *r, FILE *out);

/* One JSON object and a newline. Returns 0, or -1 when writing failed. */
int sm_cli_report_json(const sm_cli_report *r, FILE *out);

/* "limit", "eos", "stop", "context full", "cancelled". */
const char *sm_cli_stop_reason_name(sm_stop_reason reason);

#endif /* SM_CLI_REPORT_H */
