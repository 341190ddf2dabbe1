/* SPDX-License-Identifier: MIT */
/* report.c: sm-run's banner, timings and --timings-json (see report.h). */
#include "config.h"

#include "cli/report.h"

#include <inttypes.h>
#include <sys/resource.h>

const char *sm_cli_stop_reason_name(sm_stop_reason reason)
{
    switch (reason) {
    case SM_STOP_LIMIT:
        return "limit";
    case SM_STOP_EOS:
        return "eos";
    case SM_STOP_SEQUENCE:
        return "stop";
    case SM_STOP_CTX_FULL:
        return "context full";
    case SM_STOP_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

void sm_cli_report_collect(sm_cli_report *r, const sm_sched *sched, const sm_context *ctx)
{
    r->scratch_high_water_bytes = r->steals_local = r->steals_remote = 0;
    for (int w = 0; sched && w < sm_sched_n_workers(sched); w++) {
        sm_worker_stats ws;
        sm_alloc_stats as;
        if (sm_sched_stats(sched, w, &ws) == SM_OK) {
            r->steals_local += ws.steals_local;
            r->steals_remote += ws.steals_remote;
        }
        if (sm_sched_alloc_stats(sched, w, &as) == SM_OK)
            r->scratch_high_water_bytes += as.scratch_high_water_bytes;
    }
    if (ctx)
        sm_context_mem_stats(ctx, &r->mem);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        r->peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u; /* Linux reports KiB */
}

static double per_s(double n, double ms)
{
    return ms > 0 ? 1e3 * n / ms : 0;
}

static double mib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

void sm_cli_report_banner(const sm_cli_report *r, FILE *out)
{
    fprintf(out,
            "sm-run: model %s: %s, %" PRIu64 " parameters (%.1f MiB), %s; loaded in %.1f ms\n"
            "sm-run: %d threads, placement %s, numa %s, kernels %s, context %d; %s\n",
            r->model, r->arch, r->n_params, mib(r->size_bytes), r->weight_type, r->load_ms,
            r->n_threads, r->placement, r->numa, r->isa, r->n_ctx, r->topology);
}

/* Heap bytes per token decoded after the first, or -1 when they were not counted. */
static double heap_per_token(const sm_generate_result *g)
{
    if (!g->decode_heap_counted)
        return -1;
    int n = g->n_generated > 1 ? g->n_generated - 1 : 1;
    return (double)g->decode_heap_bytes / n;
}

void sm_cli_report_timings(const sm_cli_report *r, FILE *out)
{
    const sm_generate_result *g = &r->gen;
    fprintf(out, "\n");
    fprintf(out, "sm-run: %-20s= %10.2f ms\n", "load time", r->load_ms);
    fprintf(out, "sm-run: %-20s= %10.2f ms / %5d tokens (%9.2f tokens per second)\n",
            "prompt eval time", g->prompt_ms, g->n_prompt, per_s(g->n_prompt, g->prompt_ms));
    fprintf(out, "sm-run: %-20s= %10.2f ms\n", "time to first token", g->first_token_ms);
    fprintf(out, "sm-run: %-20s= %10.2f ms / %5d tokens (%9.2f tokens per second)\n", "eval time",
            g->generate_ms, g->n_generated, per_s(g->n_generated, g->generate_ms));
    fprintf(out, "sm-run: stopped on %s%s; peak RSS %.1f MiB; context %.1f MiB (KV %.1f MiB)\n",
            sm_cli_stop_reason_name(g->stop_reason), r->interrupted ? " (interrupted)" : "",
            mib(r->peak_rss_bytes), mib(r->mem.arena_capacity_bytes), mib(r->mem.kv_bytes));
    double hpt = heap_per_token(g);
    if (hpt >= 0)
        fprintf(out, "sm-run: heap bytes per generated token: %.1f\n", hpt);
    else
        fprintf(out, "sm-run: heap bytes per generated token: not counted (malloc arena build)\n");
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

int sm_cli_report_json(const sm_cli_report *r, FILE *f)
{
    const sm_generate_result *g = &r->gen;
    fputs("{\"model\": ", f);
    json_str(f, r->model);
    fputs(", \"arch\": ", f);
    json_str(f, r->arch);
    fputs(", \"weight_type\": ", f);
    json_str(f, r->weight_type);
    fprintf(f, ", \"n_params\": %" PRIu64 ", \"model_size\": %" PRIu64 ", \"n_threads\": %d",
            r->n_params, r->size_bytes, r->n_threads);
    fputs(", \"placement\": ", f);
    json_str(f, r->placement);
    fputs(", \"numa\": ", f);
    json_str(f, r->numa);
    fputs(", \"isa\": ", f);
    json_str(f, r->isa);
    fputs(", \"topology\": ", f);
    json_str(f, r->topology);
    fputs(", \"version\": ", f);
    json_str(f, sm_version_string());
    fprintf(f,
            ", \"n_ctx\": %d, \"seed\": %" PRIu64 ", \"load_ms\": %.3f, \"n_prompt\": %d"
            ", \"prompt_ms\": %.3f, \"prompt_tok_s\": %.3f, \"first_token_ms\": %.3f"
            ", \"n_generated\": %d, \"generate_ms\": %.3f, \"generate_tok_s\": %.3f",
            r->n_ctx, r->seed, r->load_ms, g->n_prompt, g->prompt_ms,
            per_s(g->n_prompt, g->prompt_ms), g->first_token_ms, g->n_generated, g->generate_ms,
            per_s(g->n_generated, g->generate_ms));
    fputs(", \"stop_reason\": ", f);
    json_str(f, sm_cli_stop_reason_name(g->stop_reason));
    fprintf(f, ", \"interrupted\": %s, \"peak_rss_bytes\": %" PRIu64,
            r->interrupted ? "true" : "false", r->peak_rss_bytes);
    double hpt = heap_per_token(g);
    if (hpt >= 0)
        fprintf(f, ", \"heap_bytes_per_token\": %.3f", hpt);
    else
        fputs(", \"heap_bytes_per_token\": null", f);
    fprintf(f,
            ", \"context_bytes\": %" PRIu64 ", \"kv_bytes\": %" PRIu64
            ", \"weight_copy_bytes\": %" PRIu64 ", \"scratch_high_water_bytes\": %" PRIu64
            ", \"steals_local\": %" PRIu64 ", \"steals_remote\": %" PRIu64 "}\n",
            r->mem.arena_capacity_bytes, r->mem.kv_bytes, r->mem.weight_copy_bytes,
            r->scratch_high_water_bytes, r->steals_local, r->steals_remote);
    return ferror(f) ? -1 : 0;
}
