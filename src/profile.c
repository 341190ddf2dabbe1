/* SPDX-License-Identifier: MIT */
/* profile.c: the per-op profile's counter table (see profile.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/profile.h"

/* Indexed by sm_prof_op; the names are ABI (sm_profile_entry.op), so tools can match them. */
static const char *const op_names[SM_PROF_N_OPS] = {
    [SM_PROF_MATMUL_F32] = "matmul f32",
    [SM_PROF_MATMUL_F16] = "matmul f16",
    [SM_PROF_MATMUL_Q8_0] = "matmul q8_0",
    [SM_PROF_MATMUL_Q4_0] = "matmul q4_0",
    [SM_PROF_MATMUL_Q4_K] = "matmul q4_K",
    [SM_PROF_MATMUL_Q6_K] = "matmul q6_K",
    [SM_PROF_ATTENTION] = "attention",
    [SM_PROF_NORM] = "norm",
    [SM_PROF_ROPE] = "rope",
    [SM_PROF_KV_STORE] = "kv store",
    [SM_PROF_ACTIVATION] = "activation",
    [SM_PROF_QUANTIZE] = "quantize",
    [SM_PROF_EMBED] = "embed",
    [SM_PROF_SCHED_WAIT] = "sched wait",
};

sm_status sm_profile_create(size_t n_layer, sm_profile **out)
{
    sm_profile *p = calloc(1, sizeof *p);
    if (!p)
        return SM_E_NOMEM;
    p->cells = calloc((n_layer + 1) * SM_PROF_N_OPS, sizeof *p->cells);
    if (!p->cells) {
        free(p);
        return SM_E_NOMEM;
    }
    p->n_layer = n_layer;
    p->layer = -1;
    *out = p;
    return SM_OK;
}

void sm_profile_free(sm_profile *p)
{
    if (!p)
        return;
    free(p->cells);
    free(p);
}

void sm_profile_reset(sm_profile *p)
{
    memset(p->cells, 0, (p->n_layer + 1) * SM_PROF_N_OPS * sizeof *p->cells);
}

const char *sm_profile_op_name(sm_prof_op op)
{
    return (unsigned)op < SM_PROF_N_OPS ? op_names[op] : "unknown";
}

sm_prof_op sm_profile_matmul_op(sm_type t)
{
    switch (t) {
    case SM_TYPE_F16:
        return SM_PROF_MATMUL_F16;
    case SM_TYPE_Q8_0:
        return SM_PROF_MATMUL_Q8_0;
    case SM_TYPE_Q4_0:
        return SM_PROF_MATMUL_Q4_0;
    case SM_TYPE_Q4_K:
        return SM_PROF_MATMUL_Q4_K;
    case SM_TYPE_Q6_K:
        return SM_PROF_MATMUL_Q6_K;
    case SM_TYPE_F32:
    case SM_TYPE_Q8_K: /* never a weight type (the loader refuses it) */
        break;
    }
    return SM_PROF_MATMUL_F32;
}

uint64_t sm_profile_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static sm_prof_cell *cell(sm_profile *p, sm_prof_op op)
{
    return &p->cells[(size_t)(p->layer + 1) * SM_PROF_N_OPS + (size_t)op];
}

void sm_profile_add(sm_profile *p, sm_prof_op op, uint64_t ns, uint64_t bytes, uint64_t flops)
{
    sm_prof_cell *c = cell(p, op);
    c->calls++;
    c->ns += ns;
    c->bytes += bytes;
    c->flops += flops;
}

uint64_t sm_profile_region(sm_profile *p, uint64_t wall_ns, uint64_t busy_ns, int n_workers)
{
    uint64_t own = n_workers > 0 ? busy_ns / (uint64_t)n_workers : wall_ns;
    if (own > wall_ns)
        own = wall_ns; /* the clocks of different threads can disagree by a few ns */
    sm_profile_add(p, SM_PROF_SCHED_WAIT, wall_ns - own, 0, 0);
    return own;
}

void sm_profile_split(uint64_t ns, const uint64_t *weight, size_t n, uint64_t *out)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += weight[i];
    if (n == 0)
        return;
    if (total == 0) {
        memset(out, 0, n * sizeof *out);
        out[0] = ns;
        return;
    }
    /* Cumulative boundaries, so the parts are never negative and end exactly at ns. */
    uint64_t cum = 0, prev = 0;
    for (size_t i = 0; i < n; i++) {
        cum += weight[i];
        uint64_t end = cum == total ? ns : (uint64_t)((double)ns * ((double)cum / (double)total));
        if (end < prev)
            end = prev;
        if (end > ns)
            end = ns;
        out[i] = end - prev;
        prev = end;
    }
}

size_t sm_profile_copy(const sm_profile *p, sm_profile_entry *out, size_t cap)
{
    size_t n = 0;
    for (size_t row = 0; row <= p->n_layer; row++)
        for (int op = 0; op < SM_PROF_N_OPS; op++) {
            const sm_prof_cell *c = &p->cells[row * SM_PROF_N_OPS + (size_t)op];
            if (c->calls == 0)
                continue;
            if (n < cap)
                out[n] = (sm_profile_entry){.op = op_names[op],
                                            .layer = (int)row - 1,
                                            .calls = c->calls,
                                            .ns = c->ns,
                                            .bytes = c->bytes,
                                            .flops = c->flops};
            n++;
        }
    return n;
}
