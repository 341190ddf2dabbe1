/* SPDX-License-Identifier: MIT */
/* sys.c: the malloc slab provider (slab.h), built with --with-arena-backend=malloc: slabs from
 * posix_memalign, so valgrind's memcheck and the sanitizers see every byte the arenas use. */
#include "config.h"

#include "slab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "membind.h"

struct sm_mem {
    sm_membind mb;
    size_t page;
    _Atomic uint64_t *held; /* [mb.n_nodes]: bytes of slabs out, per node */
};

sm_status sm_mem_create(hwloc_topology_t topo, sm_mem **out, char *err, size_t err_len)
{
    sm_mem *m = calloc(1, sizeof *m);
    if (m == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "memory: no memory for the provider");
    sm_status st = sm_membind_init(&m->mb, topo, err, err_len);
    if (st != SM_OK)
        goto fail;
    m->held = calloc((size_t)m->mb.n_nodes, sizeof *m->held);
    if (m->held == NULL) {
        st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "memory: no memory for %d node pools",
                           m->mb.n_nodes);
        goto fail;
    }
    for (int i = 0; i < m->mb.n_nodes; i++)
        atomic_init(&m->held[i], 0);
    long ps = sysconf(_SC_PAGESIZE);
    m->page = ps > 0 ? (size_t)ps : 4096;
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
    free(m->held);
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
    /* Whole pages, page-aligned: binding works on pages, and the C library's heap puts other
     * objects, bound nowhere in particular, right next to a block. */
    size_t padded = size + (m->page - 1);
    if (padded < size)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "memory: slab of %zu bytes on node %d", size,
                             node);
    padded -= padded % m->page;
    void *p = NULL;
    int rc = posix_memalign(&p, m->page, padded);
    if (rc != 0)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM,
                             "memory: no slab of %zu bytes on NUMA node %d (posix_memalign: %s)",
                             size, node, strerror(rc));
    sm_membind_place(&m->mb, p, padded, node);
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
    free(slab);
}

uint64_t sm_mem_node_bytes(const sm_mem *m, int node)
{
    if (node < 0 || node >= m->mb.n_nodes)
        return 0;
    return atomic_load_explicit(&m->held[node], memory_order_relaxed);
}

int sm_mem_slab_pool(const sm_mem *m, const void *slab)
{
    (void)m;
    (void)slab;
    return -1;
}

int sm_mem_binds(const sm_mem *m)
{
    return sm_membind_active(&m->mb);
}

sm_status sm_mem_thread_counters(const uint64_t **allocated, const uint64_t **deallocated)
{
    (void)allocated;
    (void)deallocated;
    return SM_E_UNSUPPORTED;
}
