/* SPDX-License-Identifier: MIT */
/* ops.c: the forward pass's parallel operations: fused matmul regions cut into tiles (row block
 * x token block), attention tasks per (head, query block), per-token row operations. */
#include "src/ops.h"

#include <stdatomic.h>

#include "alloc/place.h"
#include "sched/mem.h"
#include "sched/parallel.h"

/* Tokens per tile in prefill: the matmul kernels block tokens internally (GEMM_NT in
 * kernels/x86/avx512/matmul_f.c), so a tile of 64 tokens lets them reuse each packed weight
 * panel across many tokens while still giving several tiles per matrix for 2+ workers. */
#define SM_TILE_TOKENS 64
/* Rows of a tile are a multiple of this, so the kernels' 4- and 8-row register blocks are whole
 * except at the end of a matrix. */
#define SM_TILE_ROW_ALIGN 16
_Static_assert(SM_TILE_ROW_ALIGN % 16 == 0, "x16 weights need tiles on groups of 16 rows");
/* Query positions per attention task: enough to amortise the task, small enough that a long
 * prompt gives several tasks per head. */
#define SM_ATTN_QBLOCK 32

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

static sm_arena *scratch_of(const sm_exec *ex, int worker)
{
    return worker < 0 ? ex->inline_scratch : sm_sched_scratch(ex->sched, worker);
}

/* ------------------------------------------------------------------------------------------ */
/* Profiling (only when ex->prof is set; profile.h) */

/* A range body wrapped with a clock read on each side, summing the ranges' times over every
 * worker: the busy time the profile splits a region's wall time by. */
typedef struct timed_range {
    sm_range_fn fn;
    void *ctx;
    _Atomic uint64_t busy_ns;
} timed_range;

static void timed_range_run(void *ctx, size_t begin, size_t end, int worker)
{
    timed_range *t = ctx;
    uint64_t t0 = sm_profile_now();
    t->fn(t->ctx, begin, end, worker);
    /* Relaxed: the region's join, which must publish the ranges' outputs to the caller
     * anyway, also orders these adds before run_timed reads the sum. */
    atomic_fetch_add_explicit(&t->busy_ns, sm_profile_now() - t0, memory_order_relaxed);
}

/* The profiled paths are kept out of line, so the ops' untimed path stays as it was without
 * profiling: one test of ex->prof. */
#define SM_PROFILED_PATH __attribute__((noinline, cold))

/* Runs fn over [0, n) as the untimed path would (one region when @p parallel, else on the
 * caller), and returns the op's own time: the caller's wall time, less the region's sched wait,
 * which it adds to the profile. */
SM_PROFILED_PATH static uint64_t run_timed(const sm_exec *ex, int parallel, size_t n, size_t grain,
                                           sm_range_fn fn, void *ctx)
{
    uint64_t t0 = sm_profile_now();
    if (!parallel) {
        fn(ctx, 0, n, -1);
        return sm_profile_now() - t0;
    }
    timed_range t = {.fn = fn, .ctx = ctx};
    atomic_init(&t.busy_ns, 0);
    sm_parallel_for(ex->sched, 0, n, grain, timed_range_run, &t);
    uint64_t wall = sm_profile_now() - t0;
    return sm_profile_region(ex->prof, wall, atomic_load_explicit(&t.busy_ns, memory_order_relaxed),
                             ex->n_workers);
}

/* ------------------------------------------------------------------------------------------ */
/* Matmuls */

typedef struct mm_job {
    const sm_exec *ex;
    const sm_mm *mm;
    int n_mm;
    size_t n_tok;
    size_t rows;          /* rows per tile */
    size_t n_tb;          /* token blocks */
    size_t first_tile[4]; /* tile index where entry j starts; [n_mm] = total */
} mm_job;

static void mm_epilogue(const sm_kernels *kt, const sm_mm *m, size_t r0, size_t r1, size_t t0,
                        size_t t1)
{
    size_t n = r1 - r0;
    if (m->bias)
        kt->add_bias(t1 - t0, n, m->y_stride, m->y + t0 * m->y_stride + r0, m->bias + r0,
                     m->y + t0 * m->y_stride + r0);
    for (size_t t = t0; t < t1; t++) {
        float *y = m->y + t * m->y_stride + r0;
        switch (m->epilogue) {
        case SM_MM_STORE:
            break;
        case SM_MM_RESIDUAL: {
            float *res = m->res + t * m->res_stride + r0;
            kt->add(n, res, y, res);
            break;
        }
        case SM_MM_SWIGLU:
            kt->swiglu(n, y, m->y2 + t * m->y_stride + r0, y);
            break;
        case SM_MM_GELU:
            kt->gelu(n, y, y);
            break;
        }
    }
}

/* Where worker @p worker reads @p w: its node's copy under replicate, else the mapping. */
static const void *weight_data(const sm_exec *ex, const sm_weight *w, int worker)
{
    if (!ex->placed)
        return w->data;
    const char *base = sm_placed_weights(ex->placed, worker < 0 ? 0 : worker, ex->map);
    return base + ((const char *)w->data - ex->map);
}

/* One weight's product for a tile: its x16 copy (repack.c) when the context's table made it
 * and the weights are not placed per node (the placed copies are of the mapping), else its
 * rows. Both give the same bits (kernels.h); tiles start at multiples of SM_TILE_ROW_ALIGN,
 * which the x16 layout's groups of 16 rows need. */
static void mm_call(const sm_exec *ex, const sm_weight *w, int worker, const sm_mm *m, float *y,
                    size_t r0, size_t r1, size_t t0, size_t t1)
{
    if (w->x16 && w->x16_kt == ex->kt && !ex->placed) {
        sm_kernels_matmul_x16(ex->kt, w->type)(w->x16, w->x16_stride, m->x, m->x_stride, y,
                                               m->y_stride, w->n_in, r0, r1, t0, t1);
        return;
    }
    sm_kernels_matmul(ex->kt, w->type)(weight_data(ex, w, worker), w->row_bytes, m->x, m->x_stride,
                                       y, m->y_stride, w->n_in, r0, r1, t0, t1);
}

static void mm_tile(const mm_job *j, size_t tile, int worker)
{
    int e = 0;
    while (tile >= j->first_tile[e + 1])
        e++;
    const sm_mm *m = &j->mm[e];
    size_t local = tile - j->first_tile[e];
    size_t rb = local / j->n_tb, tb = local % j->n_tb;
    size_t r0 = rb * j->rows, r1 = r0 + j->rows < m->w->n_out ? r0 + j->rows : m->w->n_out;
    size_t t0 = tb * SM_TILE_TOKENS;
    size_t t1 = t0 + SM_TILE_TOKENS < j->n_tok ? t0 + SM_TILE_TOKENS : j->n_tok;
    const sm_kernels *kt = j->ex->kt;
    mm_call(j->ex, m->w, worker, m, m->y, r0, r1, t0, t1);
    if (m->epilogue == SM_MM_SWIGLU)
        mm_call(j->ex, m->w2, worker, m, m->y2, r0, r1, t0, t1);
    mm_epilogue(kt, m, r0, r1, t0, t1);
}

static void mm_range(void *ctx, size_t begin, size_t end, int worker)
{
    for (size_t i = begin; i < end; i++)
        mm_tile(ctx, i, worker);
}

/* The region timed, then its time given to the weight types in it in proportion to their
 * flops (a region mixes types when, say, V is Q6_K and Q, K are Q4_K), each type one call. */
SM_PROFILED_PATH static void mm_profiled(mm_job *j, int parallel, size_t tiles)
{
    uint64_t ns = run_timed(j->ex, parallel, tiles, 1, mm_range, j);
    sm_prof_op kind[6];
    uint64_t bytes[6] = {0}, flops[6] = {0}, part[6];
    size_t n_kind = 0;
    for (int e = 0; e < j->n_mm; e++) {
        const sm_mm *m = &j->mm[e];
        const sm_weight *ws[2] = {m->w, m->epilogue == SM_MM_SWIGLU ? m->w2 : NULL};
        for (int i = 0; i < 2 && ws[i]; i++) {
            sm_prof_op k = sm_profile_matmul_op(ws[i]->type);
            size_t at = 0;
            while (at < n_kind && kind[at] != k)
                at++;
            if (at == n_kind)
                kind[n_kind++] = k;
            bytes[at] += (uint64_t)ws[i]->n_out * ws[i]->row_bytes;
            flops[at] += 2 * (uint64_t)ws[i]->n_in * ws[i]->n_out * j->n_tok;
        }
    }
    sm_profile_split(ns, flops, n_kind, part);
    for (size_t i = 0; i < n_kind; i++)
        sm_profile_add(j->ex->prof, kind[i], part[i], bytes[i], flops[i]);
}

void sm_op_matmuls(const sm_exec *ex, const sm_mm *mm, int n_mm, size_t n_tok)
{
    mm_job j = {.ex = ex, .mm = mm, .n_mm = n_mm, .n_tok = n_tok};
    j.n_tb = div_up(n_tok, SM_TILE_TOKENS);
    size_t work = 0, rows_total = 0;
    for (int e = 0; e < n_mm; e++) {
        size_t per = mm[e].w->n_out * mm[e].w->n_in * (mm[e].epilogue == SM_MM_SWIGLU ? 2 : 1);
        work += per * n_tok;
        rows_total += mm[e].w->n_out;
    }
    /* About 4 tiles per worker over the whole region, so a late or slow worker's share can be
     * stolen; the row count only changes the tiling, never the results. */
    size_t want = 4 * (size_t)ex->n_workers;
    size_t rows = div_up(rows_total * j.n_tb, want);
    rows = div_up(rows, SM_TILE_ROW_ALIGN) * SM_TILE_ROW_ALIGN;
    if (rows > 1024)
        rows = 1024;
    j.rows = rows;
    size_t tiles = 0;
    for (int e = 0; e < n_mm; e++) {
        j.first_tile[e] = tiles;
        tiles += div_up(mm[e].w->n_out, rows) * j.n_tb;
    }
    j.first_tile[n_mm] = tiles;
    int parallel = work >= ex->fork_min_work && ex->n_workers > 1;
    if (ex->prof)
        mm_profiled(&j, parallel, tiles);
    else if (parallel)
        sm_parallel_for(ex->sched, 0, tiles, 1, mm_range, &j);
    else
        mm_range(&j, 0, tiles, -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Attention */

typedef struct attn_job {
    const sm_exec *ex;
    const sm_attn *a;
    size_t pos0, n_tok, n_qb;
} attn_job;

static void attn_task(const attn_job *j, size_t task, int worker)
{
    const sm_attn *a = j->a;
    size_t h = task / j->n_qb, qb = task % j->n_qb;
    size_t i0 = qb * SM_ATTN_QBLOCK;
    size_t n_q = i0 + SM_ATTN_QBLOCK < j->n_tok ? SM_ATTN_QBLOCK : j->n_tok - i0;
    size_t pos0 = j->pos0 + i0, n_pos = pos0 + n_q;
    size_t hk = h / (a->n_head / a->n_head_kv);
    sm_arena *sc = scratch_of(j->ex, worker);
    sm_arena_pos mark = sm_arena_mark(sc);
    float *scores = sm_arena_alloc(sc, n_pos * sizeof(float), 0);
    const float *k, *v;
    size_t kv_stride;
    if (a->kv_f16) {
        /* Widen this KV head's rows once per task; the kernel then reads them contiguously. */
        float *kf = sm_arena_alloc(sc, 2 * n_pos * a->head_dim * sizeof(float), 0);
        if (!scores || !kf)
            goto out;
        const uint16_t *k16 = (const uint16_t *)a->k + hk * a->head_dim;
        const uint16_t *v16 = (const uint16_t *)a->v + hk * a->head_dim;
        float *vf = kf + n_pos * a->head_dim;
        for (size_t p = 0; p < n_pos; p++) {
            j->ex->kt->dequant_f16(k16 + p * a->kv_stride, kf + p * a->head_dim, a->head_dim);
            j->ex->kt->dequant_f16(v16 + p * a->kv_stride, vf + p * a->head_dim, a->head_dim);
        }
        k = kf;
        v = vf;
        kv_stride = a->head_dim;
    } else {
        if (!scores)
            goto out;
        k = (const float *)a->k + hk * a->head_dim;
        v = (const float *)a->v + hk * a->head_dim;
        kv_stride = a->kv_stride;
    }
    j->ex->kt->attn(n_q, a->head_dim, pos0, a->scale, a->q + i0 * a->q_stride + h * a->head_dim,
                    a->q_stride, k, v, kv_stride, scores,
                    a->out + i0 * a->out_stride + h * a->head_dim, a->out_stride);
out:
    /* An exhausted scratch arena leaves its error in the arena for the context to report after
     * the region; the output rows of this task are then garbage and the evaluation fails. */
    sm_arena_rewind(sc, mark);
}

static void attn_range(void *ctx, size_t begin, size_t end, int worker)
{
    for (size_t i = begin; i < end; i++)
        attn_task(ctx, i, worker);
}

/* bytes: the layer's cache up to the last position, keys and values (each KV head is read by
 * its query heads' tasks, from cache after the first); flops: per head, query i attends to
 * pos0 + i + 1 positions, a dot product and a weighted sum of head_dim each. */
SM_PROFILED_PATH static void attn_profiled(attn_job *j, int parallel, size_t tasks)
{
    const sm_attn *a = j->a;
    uint64_t ns = run_timed(j->ex, parallel, tasks, 1, attn_range, j);
    uint64_t n_pos = j->pos0 + j->n_tok;
    uint64_t bytes = 2 * n_pos * a->n_head_kv * a->head_dim * (a->kv_f16 ? 2 : 4);
    uint64_t attended = (uint64_t)j->n_tok * j->pos0 + (uint64_t)j->n_tok * (j->n_tok + 1) / 2;
    uint64_t flops = 4 * (uint64_t)a->head_dim * a->n_head * attended;
    sm_profile_add(j->ex->prof, SM_PROF_ATTENTION, ns, bytes, flops);
}

void sm_op_attention(const sm_exec *ex, const sm_attn *a, size_t pos0, size_t n_tok)
{
    attn_job j = {.ex = ex, .a = a, .pos0 = pos0, .n_tok = n_tok};
    j.n_qb = div_up(n_tok, SM_ATTN_QBLOCK);
    size_t tasks = a->n_head * j.n_qb;
    /* Two passes (scores and values) over the cache for every head and query. */
    size_t work = 2 * a->n_head * n_tok * (pos0 + n_tok) * a->head_dim;
    int parallel = work >= ex->fork_min_work && ex->n_workers > 1;
    if (ex->prof)
        attn_profiled(&j, parallel, tasks);
    else if (parallel)
        sm_parallel_for(ex->sched, 0, tasks, 1, attn_range, &j);
    else
        attn_range(&j, 0, tasks, -1);
}

/* ------------------------------------------------------------------------------------------ */
/* Per-token rows */

typedef struct rows_job {
    const sm_exec *ex;
    sm_rows_fn fn;
    void *ctx;
} rows_job;

static void rows_range(void *ctx, size_t begin, size_t end, int worker)
{
    rows_job *j = ctx;
    j->fn(j->ctx, begin, end, scratch_of(j->ex, worker));
}

/* About 4 ranges per worker. */
static size_t rows_grain(const sm_exec *ex, size_t n_tok)
{
    return div_up(n_tok, 4 * (size_t)ex->n_workers);
}

SM_PROFILED_PATH static void rows_profiled(rows_job *j, const sm_rows_op *op, int parallel,
                                           size_t n_tok)
{
    const sm_exec *ex = j->ex;
    uint64_t ns = run_timed(ex, parallel, n_tok, rows_grain(ex, n_tok), rows_range, j);
    sm_profile_add(ex->prof, op->kind, ns, (uint64_t)n_tok * op->bytes_per_token, 0);
}

void sm_op_rows(const sm_exec *ex, const sm_rows_op *op, size_t n_tok, void *ctx)
{
    rows_job j = {.ex = ex, .fn = op->fn, .ctx = ctx};
    int parallel =
        n_tok * op->work_per_token >= ex->fork_min_work && ex->n_workers > 1 && n_tok > 1;
    if (ex->prof) {
        rows_profiled(&j, op, parallel, n_tok);
    } else if (parallel) {
        sm_parallel_for(ex->sched, 0, n_tok, rows_grain(ex, n_tok), rows_range, &j);
    } else {
        rows_range(&j, 0, n_tok, -1);
    }
}
