/* SPDX-License-Identifier: MIT */
/* membind.h: the NUMA side of the slab providers (both backends): which nodes a topology has,
 * binding a slab's pages to one, the warn-once fallback to first touch, and asking where pages
 * really are. The only alloc/ code that calls hwloc's memory functions. */
#ifndef SM_ALLOC_MEMBIND_H
#define SM_ALLOC_MEMBIND_H

#include <hwloc.h>
#include <stdatomic.h>
#include <stddef.h>

#include "smallmind.h"

#if HWLOC_API_VERSION < 0x00020000
#error "SmallMind needs hwloc >= 2.0 (NUMA nodes as memory children, nodesets)"
#endif

/**
 * The binding state one slab provider (sm_mem) shares among its callers.
 *
 * Binding is attempted only on a topology of this machine: the nodes of a synthetic or XML
 * topology do not exist here, and hwloc would report a binding to them as a success that did
 * nothing. On the first refusal (EPERM under a seccomp profile or in some containers, ENOSYS
 * on kernels without NUMA, EXDEV...) one warning is logged and binding stops for good: the
 * pages then land by first touch, which is why every slab is touched by the thread that takes
 * it (its pinned owner, for the workers' scratch arenas).
 */
typedef struct sm_membind {
    hwloc_topology_t topo; /* borrowed: outlives the provider */
    int n_nodes;           /* NUMA nodes of the topology, by logical index */
    int this_system;       /* the topology describes this machine: binding means something */
    atomic_int refused;    /* 0, or the errno of the first refusal (binding is off from then) */
} sm_membind;

/* Fills @p mb for @p topo. SM_E_INVAL (with a reason in @p err) when the topology has no NUMA
 * node at all, which hwloc 2 never produces for a loaded topology. */
sm_status sm_membind_init(sm_membind *mb, hwloc_topology_t topo, char *err, size_t err_len);

/* Checks a slab request against the topology: SM_OK, or SM_E_INVAL with the reason in @p err
 * (a node outside [0, n_nodes), or 0 bytes). Shared by both slab providers (je.c, sys.c). */
sm_status sm_membind_check_slab(const sm_membind *mb, int node, size_t size, char *err,
                                size_t err_len);

/**
 * Binds the pages that hold [p, p + size) to node @p node (logical index). Whole pages are
 * bound, so the neighbours of an unaligned slab move with it: callers give slabs from one
 * node's pool only, whose neighbours belong to the same node.
 * @return 1 when the pages are bound; 0 when they are left to first touch (not this machine,
 *         or the kernel refused now or before; the first refusal is logged as a warning).
 * Thread-safe.
 */
int sm_membind_slab(sm_membind *mb, void *p, size_t size, int node);

/**
 * What both backends do with a new slab: bind it (sm_membind_slab), then touch every page from
 * the calling thread (sm_membind_touch). Builds with --enable-debug then ask where the pages
 * landed and log a warning when a bound slab is not on its node.
 */
void sm_membind_place(sm_membind *mb, void *p, size_t size, int node);

/* 1 while slabs are being bound: this machine's topology and no refusal so far. */
int sm_membind_active(const sm_membind *mb);

/* Writes one byte per page of [p, p + size), so the calling thread faults every page in now:
 * first touch places them (when unbound) and later users take no page faults. */
void sm_membind_touch(void *p, size_t size);

/**
 * Where the pages of [p, p + size) are (hwloc_get_area_memlocation, by nodeset).
 * @param node receives the logical index of the node holding them, or -1 when they are spread
 *             over several nodes or none is known (pages never touched).
 * @return 0, or the errno of the failure (ENOSYS where the OS cannot tell).
 */
int sm_membind_locate(hwloc_topology_t topo, const void *p, size_t size, int *node);

/**
 * Sets the calling thread's memory policy to interleave pages over @p nodes (logical indices),
 * and saves the previous policy into @p saved_set / @p saved_policy for
 * sm_membind_thread_restore. Page-cache pages of a file mapping follow the faulting thread's
 * policy, not the mapping's, which is why weights are interleaved this way.
 * @return 0, or the errno of the refusal (then nothing changed).
 */
int sm_membind_thread_interleave(hwloc_topology_t topo, const int *nodes, int n_nodes,
                                 hwloc_bitmap_t saved_set, hwloc_membind_policy_t *saved_policy);
void sm_membind_thread_restore(hwloc_topology_t topo, hwloc_const_bitmap_t saved_set,
                               hwloc_membind_policy_t saved_policy);

/* Interleaves the pages of the mapping [p, p + size) over @p nodes (logical indices): covers
 * the private (copied-on-write) pages; see sm_membind_thread_interleave for the page cache.
 * @return 0, or the errno of the refusal. */
int sm_membind_area_interleave(hwloc_topology_t topo, const void *p, size_t size, const int *nodes,
                               int n_nodes);

#endif /* SM_ALLOC_MEMBIND_H */
