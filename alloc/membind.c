/* SPDX-License-Identifier: MIT */
/* membind.c: binding slabs and mappings to NUMA nodes through hwloc, with the warn-once
 * fallback to first touch, and reading back where pages are. */
#include "config.h"

#include "membind.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"

sm_status sm_membind_init(sm_membind *mb, hwloc_topology_t topo, char *err, size_t err_len)
{
    int n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    if (n <= 0)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "memory: the topology has no NUMA node");
    mb->topo = topo;
    mb->n_nodes = n;
    mb->this_system = hwloc_topology_is_thissystem(topo);
    atomic_init(&mb->refused, 0);
    return SM_OK;
}

static hwloc_const_nodeset_t node_set(hwloc_topology_t topo, int node)
{
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)node);
    return obj != NULL ? obj->nodeset : NULL;
}

int sm_membind_slab(sm_membind *mb, void *p, size_t size, int node)
{
    /* relaxed: refused only switches binding off; a racing caller that still tries once more
     * gets the same refusal and loses the exchange below, so nothing is published by it. */
    if (!mb->this_system || atomic_load_explicit(&mb->refused, memory_order_relaxed) != 0)
        return 0;
    hwloc_const_nodeset_t set = node_set(mb->topo, node);
    if (set == NULL)
        return 0;
    errno = 0;
    if (hwloc_set_area_membind(mb->topo, p, size, set, HWLOC_MEMBIND_BIND,
                               HWLOC_MEMBIND_BYNODESET) == 0)
        return 1;
    int e = errno != 0 ? errno : EINVAL;
    int none = 0;
    if (atomic_compare_exchange_strong_explicit(&mb->refused, &none, e, memory_order_relaxed,
                                                memory_order_relaxed))
        sm_log(SM_LOG_WARN,
               "memory: binding slabs to NUMA node %d refused (%s); slabs are placed by the "
               "first touch of their owner thread from now on",
               node, strerror(e));
    return 0;
}

void sm_membind_place(sm_membind *mb, void *p, size_t size, int node)
{
    int bound = sm_membind_slab(mb, p, size, node);
    sm_membind_touch(p, size);
#ifdef SM_DEBUG
    int where = -1;
    if (bound && sm_membind_locate(mb->topo, p, size, &where) == 0 && where != node)
        sm_log(SM_LOG_WARN, "memory: slab of %zu bytes bound to NUMA node %d lies on node %d", size,
               node, where);
#else
    (void)bound;
#endif
}

int sm_membind_active(const sm_membind *mb)
{
    return mb->this_system && atomic_load_explicit(&mb->refused, memory_order_relaxed) == 0;
}

void sm_membind_touch(void *p, size_t size)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    unsigned char *c = p;
    if (size == 0)
        return;
    /* The first byte, then the first byte of every later page the range reaches. */
    c[0] = 0;
    size_t off = page - ((uintptr_t)c % page);
    for (; off < size; off += page)
        c[off] = 0;
}

int sm_membind_locate(hwloc_topology_t topo, const void *p, size_t size, int *node)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set == NULL)
        return ENOMEM;
    errno = 0;
    if (hwloc_get_area_memlocation(topo, p, size, set, HWLOC_MEMBIND_BYNODESET) < 0) {
        int e = errno != 0 ? errno : ENOSYS;
        hwloc_bitmap_free(set);
        return e;
    }
    *node = -1;
    if (hwloc_bitmap_weight(set) == 1) {
        hwloc_obj_t obj =
            hwloc_get_numanode_obj_by_os_index(topo, (unsigned)hwloc_bitmap_first(set));
        if (obj != NULL)
            *node = (int)obj->logical_index;
    }
    hwloc_bitmap_free(set);
    return 0;
}

/* The nodeset of @p nodes (logical indices), or NULL (ENOMEM, or EINVAL for a bad index). */
static hwloc_bitmap_t nodes_set(hwloc_topology_t topo, const int *nodes, int n_nodes, int *e)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (set == NULL) {
        *e = ENOMEM;
        return NULL;
    }
    for (int i = 0; i < n_nodes; i++) {
        hwloc_const_nodeset_t one = node_set(topo, nodes[i]);
        if (one == NULL || hwloc_bitmap_or(set, set, one) < 0) {
            *e = one == NULL ? EINVAL : ENOMEM;
            hwloc_bitmap_free(set);
            return NULL;
        }
    }
    return set;
}

int sm_membind_thread_interleave(hwloc_topology_t topo, const int *nodes, int n_nodes,
                                 hwloc_bitmap_t saved_set, hwloc_membind_policy_t *saved_policy)
{
    int e = 0;
    hwloc_bitmap_t set = nodes_set(topo, nodes, n_nodes, &e);
    if (set == NULL)
        return e;
    int flags = HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET;
    errno = 0;
    if (hwloc_get_membind(topo, saved_set, saved_policy, flags) < 0 ||
        hwloc_set_membind(topo, set, HWLOC_MEMBIND_INTERLEAVE, flags) < 0) {
        e = errno != 0 ? errno : ENOSYS;
        hwloc_bitmap_free(set);
        return e;
    }
    hwloc_bitmap_free(set);
    return 0;
}

void sm_membind_thread_restore(hwloc_topology_t topo, hwloc_const_bitmap_t saved_set,
                               hwloc_membind_policy_t saved_policy)
{
    /* Best effort: the policy was ours to set a moment ago, so the OS accepts it back; if not,
     * the thread merely keeps interleaving its later allocations. */
    (void)hwloc_set_membind(topo, saved_set, saved_policy,
                            HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
}

int sm_membind_area_interleave(hwloc_topology_t topo, const void *p, size_t size, const int *nodes,
                               int n_nodes)
{
    int e = 0;
    hwloc_bitmap_t set = nodes_set(topo, nodes, n_nodes, &e);
    if (set == NULL)
        return e;
    errno = 0;
    int rc = hwloc_set_area_membind(topo, p, size, set, HWLOC_MEMBIND_INTERLEAVE,
                                    HWLOC_MEMBIND_BYNODESET);
    e = rc < 0 ? (errno != 0 ? errno : ENOSYS) : 0;
    hwloc_bitmap_free(set);
    return e;
}

sm_status sm_membind_check_slab(const sm_membind *mb, int node, size_t size, char *err,
                                size_t err_len)
{
    if (node < 0 || node >= mb->n_nodes)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "memory: NUMA node %d is not in [0, %d)",
                             node, mb->n_nodes);
    if (size == 0)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "memory: slab of 0 bytes on node %d", node);
    return SM_OK;
}
