/* SPDX-License-Identifier: MIT */
/* repack.c: Q8_0 and Q4_0 weight matrices copied at load into the x16 layout of the kernel
 * table (kernels.h, sm_k_pack_fn): 16 rows per record, their codes transposed so that the
 * AVX-512 VNNI kernel gives each vector lane one row. Row-major, that kernel must transpose
 * every block of 16 rows as it goes; for a one-token product (generation) there is nothing to
 * share that work with, and it streamed Q8_0 weights at 16 GB/s against 26 for the previous
 * row-major kernel (whose arithmetic made prompts 1.7x slower). The copy costs the matrices'
 * size again in memory. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "src/log.h"
#include "src/repack.h"

/* Calls fn on every weight that a matmul reads: the layers' and the output (the token
 * embedding's own rows stay row-major for lookups; gpt2's fused wqkv is read through its
 * wq/wk/wv views). */
static void each_weight(sm_model *m, void (*fn)(sm_weight *w, void *ctx), void *ctx)
{
    for (size_t i = 0; i < m->hp.n_layer; i++) {
        sm_layer *l = &m->layers[i];
        sm_weight *ws[] = {&l->wq, &l->wk, &l->wv, &l->wo, &l->w_gate, &l->w_up, &l->w_down};
        for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++)
            if (ws[k]->data)
                fn(ws[k], ctx);
    }
    if (m->output.data)
        fn(&m->output, ctx);
}

typedef struct pack_ctx {
    const sm_kernels *kt;
    size_t bytes, failed;
} pack_ctx;

static void pack_one(sm_weight *w, void *c)
{
    pack_ctx *p = c;
    sm_k_pack_fn pack = sm_kernels_pack_x16(p->kt, w->type);
    if (!pack || w->n_in % 32)
        return;
    size_t bytes = sm_x16_bytes(w->type, w->n_out, w->n_in);
    void *dst = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!dst) {
        p->failed++;
        return;
    }
    pack(w->data, w->row_bytes, w->n_out, w->n_in, dst);
    w->x16 = dst;
    w->x16_stride = sm_x16_group_bytes(w->type, w->n_in);
    w->x16_kt = p->kt;
    p->bytes += bytes;
}

void sm_model_repack(sm_model *m)
{
    const char *env = getenv("SM_REPACK");
    if (env && !strcmp(env, "0"))
        return;
    pack_ctx p = {.kt = sm_kernels_get()};
    each_weight(m, pack_one, &p);
    if (p.bytes)
        sm_log(SM_LOG_INFO, "weights repacked for the %s kernels: %zu bytes", p.kt->name, p.bytes);
    if (p.failed)
        sm_log(SM_LOG_WARN, "%zu weight matrices stay row-major: out of memory for their copy",
               p.failed);
}

static void free_one(sm_weight *w, void *c)
{
    (void)c;
    free((void *)w->x16);
    w->x16 = NULL;
}

void sm_model_repack_free(sm_model *m)
{
    if (m->layers)
        each_weight(m, free_one, NULL);
}
