/* SPDX-License-Identifier: MIT */
/* je.c: the jemalloc slab provider (slab.h): one explicit jemalloc arena per NUMA node. The
 * only file that includes jemalloc.h; no jemalloc arena index leaves it. */
#include "config.h"

#include "slab.h"

#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "log.h"
#include "membind.h"

/* A jemalloc arena index, wrapped so it is never mistaken for a node or a count. */
typedef struct je_arena {
    unsigned index;
} je_arena;

struct sm_mem {
    sm_membind mb;
    je_arena *arena;        /* [mb.n_nodes]: node i's pool */
    int n_created;          /* arenas created so far (all of them once create succeeded) */
    _Atomic uint64_t *held; /* [mb.n_nodes]: bytes of slabs out, per node */
    size_t destroy_mib[3];  /* "arena.<i>.destroy" translated once; [1] is patched per arena */
    size_t destroy_miblen;
};

/* Explicit arenas are only reached through MALLOCX_ARENA, never by a thread's automatic
 * choice, so they hold our slabs and nothing else. Without a tcache, every slab goes back to
 * its arena at once, which is also what arena.<i>.destroy requires (no tcache may hold any of
 * the arena's memory). */
static int slab_flags(je_arena a)
{
    return MALLOCX_ARENA(a.index) | MALLOCX_TCACHE_NONE | MALLOCX_ALIGN(SM_SLAB_ALIGN);
}

static sm_status create_arena(je_arena *out, int node, char *err, size_t err_len)
{
    unsigned index = 0;
    size_t len = sizeof index;
    int rc = mallctl("arenas.create", &index, &len, NULL, 0);
    /* A length other than sizeof(unsigned) means no arena was made (jemalloc(3)). */
    if (rc != 0 || len != sizeof index)
        return sm_errbuf_set(err, err_len, SM_E_SYS,
                             "memory: jemalloc arenas.create for NUMA node %d failed: %s%s", node,
                             rc != 0 ? strerror(rc) : "no index returned",
                             rc == EAGAIN ? " (arena limit reached)" : "");
    out->index = index;
    return SM_OK;
}

static void destroy_arenas(sm_mem *m)
{
    for (int i = 0; i < m->n_created; i++) {
        m->destroy_mib[1] = m->arena[i].index;
        int rc = mallctlbymib(m->destroy_mib, m->destroy_miblen, NULL, NULL, NULL, 0);
        if (rc != 0)
            sm_log(SM_LOG_DEBUG, "memory: destroying the jemalloc arena of node %d: %s", i,
                   strerror(rc));
    }
    m->n_created = 0;
}

sm_status sm_mem_create(hwloc_topology_t topo, sm_mem **out, char *err, size_t err_len)
{
    sm_mem *m = calloc(1, sizeof *m);
    if (m == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "memory: no memory for the provider");
    sm_status st = sm_membind_init(&m->mb, topo, err, err_len);
    if (st != SM_OK)
        goto fail;
    m->arena = calloc((size_t)m->mb.n_nodes, sizeof *m->arena);
    m->held = calloc((size_t)m->mb.n_nodes, sizeof *m->held);
    if (m->arena == NULL || m->held == NULL) {
        st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "memory: no memory for %d node pools",
                           m->mb.n_nodes);
        goto fail;
    }
    m->destroy_miblen = sizeof m->destroy_mib / sizeof m->destroy_mib[0];
    int rc = mallctlnametomib("arena.0.destroy", m->destroy_mib, &m->destroy_miblen);
    if (rc != 0) {
        st = sm_errbuf_set(err, err_len, SM_E_SYS, "memory: jemalloc has no arena.0.destroy: %s",
                           strerror(rc));
        goto fail;
    }
    for (int i = 0; i < m->mb.n_nodes; i++) {
        atomic_init(&m->held[i], 0);
        st = create_arena(&m->arena[i], i, err, err_len);
        if (st != SM_OK)
            goto fail;
        m->n_created++;
    }
    *out = m;
    return SM_OK;
fail:
    sm_mem_free(m);
    return st;
}

void sm_mem_free(sm_mem *m)
{
    if (m == NULL)
        return;
    destroy_arenas(m);
    free(m->held);
    free(m->arena);
    free(m);
}

int sm_mem_n_nodes(const sm_mem *m)
{
    return m->mb.n_nodes;
}

hwloc_topology_t sm_mem_topology(const sm_mem *m)
{
    return m->mb.topo;
}

sm_status sm_mem_slab_get(sm_mem *m, int node, size_t size, void **out, char *err, size_t err_len)
{
    sm_status st = sm_membind_check_slab(&m->mb, node, size, err, err_len);
    if (st != SM_OK)
        return st;
    void *p = mallocx(size, slab_flags(m->arena[node]));
    if (p == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM,
                             "memory: no slab of %zu bytes on NUMA node %d (jemalloc mallocx)",
                             size, node);
    sm_membind_place(&m->mb, p, size, node);
    atomic_fetch_add_explicit(&m->held[node], size, memory_order_relaxed);
    *out = p;
    return SM_OK;
}

void sm_mem_slab_put(sm_mem *m, int node, void *slab, size_t size)
{
    if (slab == NULL)
        return;
    if (node >= 0 && node < m->mb.n_nodes)
        atomic_fetch_sub_explicit(&m->held[node], size, memory_order_relaxed);
    /* The size lets jemalloc skip looking the extent up; the arena is implied by the slab. */
    sdallocx(slab, size, MALLOCX_TCACHE_NONE);
}

uint64_t sm_mem_node_bytes(const sm_mem *m, int node)
{
    if (node < 0 || node >= m->mb.n_nodes)
        return 0;
    return atomic_load_explicit(&m->held[node], memory_order_relaxed);
}

int sm_mem_slab_pool(const sm_mem *m, const void *slab)
{
    unsigned index = 0;
    size_t len = sizeof index;
    if (mallctl("arenas.lookup", &index, &len, (void *)&slab, sizeof slab) != 0 ||
        len != sizeof index)
        return -1;
    for (int i = 0; i < m->mb.n_nodes; i++) {
        if (m->arena[i].index == index)
            return i;
    }
    return -1;
}

int sm_mem_binds(const sm_mem *m)
{
    return sm_membind_active(&m->mb);
}

sm_status sm_mem_thread_counters(const uint64_t **allocated, const uint64_t **deallocated)
{
    uint64_t *a = NULL, *d = NULL;
    size_t la = sizeof a, ld = sizeof d;
    /* ENOENT when jemalloc was built without statistics (--disable-stats). */
    if (mallctl("thread.allocatedp", &a, &la, NULL, 0) != 0 || la != sizeof a ||
        mallctl("thread.deallocatedp", &d, &ld, NULL, 0) != 0 || ld != sizeof d)
        return SM_E_UNSUPPORTED;
    *allocated = a;
    *deallocated = d;
    return SM_OK;
}
