/* SPDX-License-Identifier: MIT */
/* context.c: sm_context: creation (every buffer sized once, in one arena on worker 0's node),
 * sm_eval's checks and its cut into steps of n_batch tokens, the logits, and the profile's
 * readers (the counters are profile.c's). */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc/place.h"
#include "sched/mem.h"
#include "src/context.h"
#include "src/log.h"
#include "src/profile.h"

/* The default most tokens per step: big enough that prefill runs as GEMM tiles of 64 tokens on
 * every worker, small enough that the activations of a step stay a few MiB for small models. */
#define SM_DEFAULT_N_BATCH 512

void sm_context_params_init(sm_context_params *params)
{
    if (!params)
        return;
    memset(params, 0, sizeof *params);
    params->kv_type = SM_KV_F32;
}

static sm_status fail_with(sm_context *ctx, sm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sm_status fail_with(sm_context *ctx, sm_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    sm_log(SM_LOG_ERROR, "%s", ctx->errmsg);
    return st;
}

/* Every buffer the context carves from its arena, in one list so sizing and carving agree. */
typedef struct carve {
    void **dst;
    size_t bytes;
} carve;

/* Size arithmetic that saturates at SIZE_MAX instead of wrapping: a saturated size is refused
 * by check_memory, so no product of hyper-parameters and user parameters can wrap into a small
 * allocation (on 32-bit hosts the bounds of arch_common.h alone do not prevent it). */
static size_t mul_sat(size_t a, size_t b)
{
    size_t r;
    return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

static size_t mul3_sat(size_t a, size_t b, size_t c)
{
    return mul_sat(mul_sat(a, b), c);
}

static size_t add_sat(size_t a, size_t b)
{
    size_t r;
    return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

static size_t round64(size_t n)
{
    return n > SIZE_MAX - 63 ? SIZE_MAX : (n + 63) & ~(size_t)63;
}

static int plan_buffers(sm_context *ctx, carve *c)
{
    const sm_hparams *hp = &ctx->model->hp;
    sm_acts *a = &ctx->a;
    size_t B = ctx->n_batch, f = sizeof(float);
    size_t max_in = hp->n_ff > hp->n_embd ? hp->n_ff : hp->n_embd;
    size_t kv_elem = ctx->kv.f16 ? 2 : 4;
    a->xq8_0_stride = round64(sm_type_row_bytes(SM_TYPE_Q8_0, max_in));
    /* Q8_K rows need n_in % 256 == 0; only K-quant weights (whose rows the parser checked are
     * whole blocks) use them, so round the buffer up to a whole block. */
    a->xq8_K_stride = round64(sm_type_row_bytes(SM_TYPE_Q8_K, (max_in + 255) / 256 * 256));
    int n = 0;
    c[n++] = (carve){&ctx->kv.k, mul3_sat(hp->n_layer, ctx->kv.layer_elems, kv_elem)};
    c[n++] = (carve){&ctx->kv.v, mul3_sat(hp->n_layer, ctx->kv.layer_elems, kv_elem)};
    c[n++] = (carve){(void **)&a->x, mul3_sat(B, hp->n_embd, f)};
    c[n++] = (carve){(void **)&a->xn, mul3_sat(B, hp->n_embd, f)};
    c[n++] = (carve){&a->xq8_0, mul_sat(B, a->xq8_0_stride)};
    c[n++] = (carve){&a->xq8_0e, mul_sat(B, a->xq8_0_stride)};
    c[n++] = (carve){&a->xq8_K, mul_sat(B, a->xq8_K_stride)};
    c[n++] = (carve){(void **)&a->q, mul3_sat(B, hp->n_embd, f)};
    c[n++] = (carve){(void **)&a->k, ctx->kv.f16 ? mul3_sat(B, hp->n_kv_dim, f) : 0};
    c[n++] = (carve){(void **)&a->v, ctx->kv.f16 ? mul3_sat(B, hp->n_kv_dim, f) : 0};
    c[n++] = (carve){(void **)&a->att, mul3_sat(B, hp->n_embd, f)};
    c[n++] = (carve){(void **)&a->tmp, mul3_sat(B, hp->n_embd, f)};
    c[n++] = (carve){(void **)&a->ff, mul3_sat(B, hp->n_ff, f)};
    c[n++] = (carve){(void **)&a->ff2, mul3_sat(B, hp->n_ff, f)};
    c[n++] = (carve){(void **)&a->rope_cs, mul3_sat(B, hp->n_rot ? hp->n_rot : 1, f)};
    c[n++] = (carve){(void **)&a->pos, mul_sat(B, sizeof(int32_t))};
    c[n++] = (carve){(void **)&a->logits, mul3_sat(ctx->n_logit_rows, hp->n_vocab, f)};
    return n;
}

/* The arena capacity the buffers of @p c need (SIZE_MAX when it does not fit a size_t). */
static size_t arena_bytes(const carve *c, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total = add_sat(total, add_sat(round64(c[i].bytes), 64));
    return total;
}

/* The machine's physical memory in bytes, or 0 when the system does not say. */
static uint64_t phys_mem_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t bytes;
    if (pages <= 0 || page <= 0 || __builtin_mul_overflow((uint64_t)pages, (uint64_t)page, &bytes))
        return 0;
    return bytes;
}

/* Refuses, before anything is allocated, a context whose KV cache and activations cannot exist:
 * more bytes than size_t holds, or than the machine's physical memory (a context that would
 * only fit in swap is useless, and with overcommit the failure would come as the OOM killer
 * during sm_eval instead of an error here). Names every factor of the KV cache's size. */
static sm_status check_memory(sm_context *ctx)
{
    carve c[24];
    int n = plan_buffers(ctx, c);
    size_t total = arena_bytes(c, n);
    size_t kv = add_sat(c[0].bytes, c[1].bytes);
    uint64_t phys = phys_mem_bytes();
    if (total != SIZE_MAX && (phys == 0 || total <= phys))
        return SM_OK;
    const sm_hparams *hp = &ctx->model->hp;
    char limit[96];
    if (total == SIZE_MAX)
        snprintf(limit, sizeof limit, "more than a size_t can count");
    else
        snprintf(limit, sizeof limit, "more than the %" PRIu64 " bytes of physical memory", phys);
    return fail_with(ctx, SM_E_NOMEM,
                     "sm_context_create: n_ctx %zu needs a KV cache of %s%zu bytes (2 x %zu "
                     "layers x %zu positions x %zu KV dims x %d bytes) and %s%zu bytes in all, %s; "
                     "lower n_ctx (or use kv_type SM_KV_F16)",
                     ctx->n_ctx, kv == SIZE_MAX ? "over " : "", kv, hp->n_layer, ctx->n_ctx,
                     hp->n_kv_dim, ctx->kv.f16 ? 2 : 4, total == SIZE_MAX ? "over " : "", total,
                     limit);
}

static sm_status make_arena(sm_context *ctx, int node)
{
    carve c[24];
    int n = plan_buffers(ctx, c);
    size_t total = arena_bytes(c, n); /* check_memory ruled out saturation */
    char err[256];
    /* The whole capacity as the first slab: the KV cache and activations are all used by the
     * first evaluation anyway, and taking them now keeps sm_eval free of allocation. */
    sm_status st = sm_arena_create(sm_sched_mem(ctx->sched), "context", node, total, total,
                                   &ctx->arena, err, sizeof err);
    if (st != SM_OK)
        return fail_with(ctx, st, "context: %s", err);
    for (int i = 0; i < n; i++) {
        *c[i].dst = sm_arena_alloc(ctx->arena, c[i].bytes ? c[i].bytes : 64, 0);
        if (!*c[i].dst)
            return fail_with(ctx, SM_E_NOMEM, "context: %s", sm_arena_errmsg(ctx->arena));
    }
    return SM_OK;
}

/* Carries out the weight placement policy for this context's workers (alloc/place.h). The
 * data section is what gets placed: every matrix lies in it, so a worker's copy is the mapping
 * shifted by one offset. */
static sm_status place_weights(sm_context *ctx, sm_numa_policy policy)
{
    if (policy == SM_NUMA_NONE)
        return SM_OK;
    sm_mem *mem = sm_sched_mem(ctx->sched);
    int n_nodes = sm_mem_n_nodes(mem), n_workers = ctx->ex.n_workers;
    uint64_t *node_free = calloc((size_t)n_nodes, sizeof *node_free);
    int *worker_node = calloc((size_t)n_workers, sizeof *worker_node);
    sm_status st = SM_E_NOMEM;
    char err[256];
    if (!node_free || !worker_node) {
        fail_with(ctx, st, "context: out of memory for the weight placement");
        goto out;
    }
    for (int w = 0; w < n_workers; w++) {
        sm_worker_info wi;
        sm_sched_worker_info(ctx->sched, w, &wi);
        worker_node[w] = wi.node;
    }
    sm_place_node_free(sm_mem_topology(mem), node_free, n_nodes);
    const sm_model *m = ctx->model;
    const char *map = (const char *)m->file.data + m->gguf->data_offset;
    size_t bytes = m->file.size - (size_t)m->gguf->data_offset;
    sm_place_input in = {.n_nodes = n_nodes,
                         .node_free_bytes = node_free,
                         .n_workers = n_workers,
                         .worker_node = worker_node,
                         .weight_bytes = bytes};
    st = sm_place_plan_build(&in, (sm_place_policy)policy, &ctx->plan, err, sizeof err);
    if (st == SM_OK)
        st = sm_place_apply(mem, ctx->plan, map, bytes, &ctx->placed, err, sizeof err);
    if (st != SM_OK) {
        fail_with(ctx, st, "context: weight placement %s: %s",
                  sm_place_policy_name((sm_place_policy)policy), err);
        goto out;
    }
    ctx->ex.placed = ctx->placed;
    ctx->ex.map = map;
out:
    free(node_free);
    free(worker_node);
    return st;
}

const struct sm_placed *sm_context_placed(const sm_context *ctx)
{
    return ctx->placed;
}

static sm_status check_params(const sm_model *m, const sm_context_params *p, char *err, size_t len)
{
    if (p->n_ctx < 0 || (size_t)p->n_ctx > m->hp.n_ctx_train)
        return snprintf(err, len, "n_ctx %d: must be in [0, %zu] (0 = the model's)", p->n_ctx,
                        m->hp.n_ctx_train),
               SM_E_INVAL;
    if (p->n_batch < 0)
        return snprintf(err, len, "n_batch %d: must be >= 0 (0 = default)", p->n_batch), SM_E_INVAL;
    if (p->kv_type != SM_KV_F32 && p->kv_type != SM_KV_F16)
        return snprintf(err, len, "kv_type %d: must be SM_KV_F32 or SM_KV_F16", (int)p->kv_type),
               SM_E_INVAL;
    if (p->numa != SM_NUMA_NONE && p->numa != SM_NUMA_INTERLEAVE && p->numa != SM_NUMA_REPLICATE)
        return snprintf(err, len, "numa %d: must be SM_NUMA_NONE, _INTERLEAVE or _REPLICATE",
                        (int)p->numa),
               SM_E_INVAL;
    if (p->n_threads < 0)
        return snprintf(err, len, "n_threads %d: must be >= 0", p->n_threads), SM_E_INVAL;
    if (p->profile != 0 && p->profile != 1)
        return snprintf(err, len, "profile %d: must be 0 or 1", p->profile), SM_E_INVAL;
    return SM_OK;
}

sm_status sm_context_create(sm_model *model, const sm_context_params *params, sm_context **out)
{
    sm_context_params defaults;
    if (!params) {
        sm_context_params_init(&defaults);
        params = &defaults;
    }
    if (!model || !out)
        return SM_E_INVAL;
    char err[256];
    sm_status st = check_params(model, params, err, sizeof err);
    if (st != SM_OK) {
        sm_log(SM_LOG_ERROR, "sm_context_create: %s", err);
        return st;
    }
    sm_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return SM_E_NOMEM;
    sm_model_retain(model);
    ctx->model = model;
    const sm_hparams *hp = &model->hp;
    ctx->n_ctx = params->n_ctx ? (size_t)params->n_ctx : hp->n_ctx_train;
    ctx->n_batch = params->n_batch ? (size_t)params->n_batch : SM_DEFAULT_N_BATCH;
    if (ctx->n_batch > ctx->n_ctx)
        ctx->n_batch = ctx->n_ctx;
    ctx->logits_all = params->logits_all != 0;
    ctx->n_logit_rows = ctx->logits_all ? ctx->n_batch : 1;
    ctx->kv.f16 = params->kv_type == SM_KV_F16;
    ctx->kv.layer_elems = mul_sat(ctx->n_ctx, hp->n_kv_dim);
    if ((st = check_memory(ctx)) != SM_OK)
        goto fail;

    if (params->sched) {
        ctx->sched = params->sched;
    } else {
        sm_sched_params sp;
        sm_sched_params_init(&sp);
        sp.n_threads = params->n_threads;
        if ((st = sm_sched_create(&sp, &ctx->sched)) != SM_OK)
            goto fail;
        ctx->own_sched = 1;
    }
    ctx->ex.sched = ctx->sched;
    ctx->ex.kt = sm_kernels_get();
    ctx->ex.n_workers = sm_sched_n_workers(ctx->sched);
    ctx->ex.fork_min_work = 65536;
    sm_worker_info wi;
    if ((st = sm_sched_worker_info(ctx->sched, 0, &wi)) != SM_OK)
        goto fail;
    if ((st = make_arena(ctx, wi.node)) != SM_OK)
        goto fail;
    if (params->profile && (st = sm_profile_create(hp->n_layer, &ctx->ex.prof)) != SM_OK) {
        fail_with(ctx, st, "context: out of memory for the profile of %zu layers", hp->n_layer);
        goto fail;
    }
    if ((st = place_weights(ctx, params->numa)) != SM_OK)
        goto fail;
    if ((st = sm_arena_create(sm_sched_mem(ctx->sched), "inline scratch", wi.node,
                              SM_SCHED_DEFAULT_SCRATCH_BYTES, SM_SCHED_SCRATCH_FIRST_BYTES,
                              &ctx->ex.inline_scratch, err, sizeof err)) != SM_OK) {
        fail_with(ctx, st, "context: %s", err);
        goto fail;
    }
    *out = ctx;
    return SM_OK;
fail:
    sm_context_free(ctx);
    return st;
}

void sm_context_free(sm_context *ctx)
{
    if (!ctx)
        return;
    sm_arena_free(ctx->ex.inline_scratch);
    sm_arena_free(ctx->arena);
    sm_profile_free(ctx->ex.prof);
    sm_placed_free(ctx->placed);
    sm_place_plan_free(ctx->plan);
    if (ctx->own_sched)
        sm_sched_free(ctx->sched);
    sm_model_free(ctx->model);
    free(ctx);
}

void sm_context_reset(sm_context *ctx)
{
    ctx->n_past = 0;
    ctx->have_logits = 0;
    ctx->n_last = 0;
    ctx->errmsg[0] = '\0';
}

int sm_context_n_ctx(const sm_context *ctx)
{
    return (int)ctx->n_ctx;
}

int sm_context_n_past(const sm_context *ctx)
{
    return (int)ctx->n_past;
}

const char *sm_context_errmsg(const sm_context *ctx)
{
    return ctx->errmsg;
}

sm_status sm_context_mem_stats(const sm_context *ctx, sm_context_mem *out)
{
    if (!ctx || !out)
        return SM_E_INVAL;
    sm_arena_stats as, is;
    sm_arena_get_stats(ctx->arena, &as);
    sm_arena_get_stats(ctx->ex.inline_scratch, &is);
    size_t kv_elem = ctx->kv.f16 ? 2 : 4;
    *out = (sm_context_mem){
        .arena_capacity_bytes = (uint64_t)as.slab_bytes + is.slab_bytes,
        .arena_used_bytes = (uint64_t)as.used_bytes + is.used_bytes,
        .arena_high_water_bytes = (uint64_t)as.high_water_bytes + is.high_water_bytes,
        .kv_bytes = 2 * (uint64_t)ctx->model->hp.n_layer * ctx->kv.layer_elems * kv_elem,
        .weight_copy_bytes = sm_placed_copy_bytes(ctx->placed),
    };
    return SM_OK;
}

size_t sm_context_profile(const sm_context *ctx, sm_profile_entry *out, size_t cap)
{
    if (!ctx || !ctx->ex.prof)
        return 0;
    return sm_profile_copy(ctx->ex.prof, out, out ? cap : 0);
}

void sm_context_profile_reset(sm_context *ctx)
{
    if (ctx && ctx->ex.prof)
        sm_profile_reset(ctx->ex.prof);
}

void sm_context_set_fork_min_work(sm_context *ctx, size_t work)
{
    ctx->ex.fork_min_work = work;
}

void sm_context_set_kernels(sm_context *ctx, const sm_kernels *kt)
{
    ctx->ex.kt = kt;
}

sm_status sm_eval(sm_context *ctx, const int32_t *tokens, int n_tokens)
{
    if (!ctx)
        return SM_E_INVAL;
    ctx->errmsg[0] = '\0';
    if (!tokens || n_tokens < 1)
        return fail_with(ctx, SM_E_INVAL, "sm_eval: %s",
                         !tokens ? "tokens is NULL" : "n_tokens must be >= 1");
    size_t n = (size_t)n_tokens;
    const sm_hparams *hp = &ctx->model->hp;
    /* The counts first: a count that cannot fit is refused before the ids are read, so an
     * n_tokens larger than the caller's array (INT_MAX by mistake) is an error, not a read
     * past the array. */
    if (n > ctx->n_ctx - ctx->n_past)
        return fail_with(ctx, SM_E_RANGE,
                         "sm_eval: %zu tokens after %zu evaluated exceed the context of %zu "
                         "positions",
                         n, ctx->n_past, ctx->n_ctx);
    if (ctx->logits_all && n > ctx->n_batch)
        return fail_with(ctx, SM_E_RANGE,
                         "sm_eval: %zu tokens with logits_all exceed n_batch %zu (call once per "
                         "n_batch tokens)",
                         n, ctx->n_batch);
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || (size_t)tokens[i] >= hp->n_vocab)
            return fail_with(ctx, SM_E_RANGE,
                             "sm_eval: token %zu is %" PRId32 ", outside the vocabulary [0, %zu)",
                             i, tokens[i], hp->n_vocab);
    size_t start = ctx->n_past;
    ctx->have_logits = 0;
    for (size_t off = 0; off < n; off += ctx->n_batch) {
        size_t step = n - off < ctx->n_batch ? n - off : ctx->n_batch;
        sm_status st = sm_forward(ctx, tokens + off, step);
        if (st != SM_OK) {
            ctx->n_past = start;
            sm_log(SM_LOG_ERROR, "%s", ctx->errmsg);
            return st;
        }
        ctx->n_past += step;
    }
    ctx->n_last = n;
    ctx->have_logits = 1;
    return SM_OK;
}

const float *sm_get_logits(sm_context *ctx, int i)
{
    if (!ctx)
        return NULL;
    if (!ctx->have_logits) {
        snprintf(ctx->errmsg, sizeof ctx->errmsg,
                 "sm_get_logits: no evaluation since the "
                 "context was created or reset");
        return NULL;
    }
    size_t n_vocab = ctx->model->hp.n_vocab;
    if (i == -1)
        return ctx->a.logits + (ctx->logits_all ? (ctx->n_last - 1) * n_vocab : 0);
    if (!ctx->logits_all || i < 0 || (size_t)i >= ctx->n_last) {
        snprintf(ctx->errmsg, sizeof ctx->errmsg, "sm_get_logits: index %d: %s", i,
                 ctx->logits_all ? "outside the last call's tokens"
                                 : "only -1 (the last token) without logits_all");
        return NULL;
    }
    return ctx->a.logits + (size_t)i * n_vocab;
}
