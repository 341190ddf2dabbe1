/* SPDX-License-Identifier: MIT */
/* slab.h: the node slab provider, sm_mem: large blocks ("slabs") of memory on a chosen NUMA
 * node, which sm_arena carves up. Two backends implement it, and configure picks one:
 *   je.c  (--with-arena-backend=jemalloc, the default): one explicit jemalloc arena per node,
 *         slabs from mallocx(MALLOCX_ARENA | MALLOCX_TCACHE_NONE | MALLOCX_ALIGN(64)), returned
 *         with sdallocx; the only file that includes jemalloc.h;
 *   sys.c (--with-arena-backend=malloc): posix_memalign and free, which valgrind's memcheck and
 *         ASan can see (they cannot see inside jemalloc's arenas).
 * Both bind each slab to its node through membind.c, falling back to first touch by the
 * calling thread when the kernel refuses, and both touch every page of a new slab from the
 * calling thread. The thread that takes a slab therefore decides where it lives when binding is
 * refused: take scratch slabs from the pinned worker that owns them. */
#ifndef SM_ALLOC_SLAB_H
#define SM_ALLOC_SLAB_H

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>

#include "smallmind.h"

/* Slabs start on a 64-byte boundary: a cache line, and the widest vector load (AVX-512). */
#define SM_SLAB_ALIGN 64

typedef struct sm_mem sm_mem;

/**
 * Creates a provider with one pool per NUMA node of @p topo (logical indices 0..n-1).
 * @param topo borrowed: must outlive the provider. A synthetic or XML topology works (its
 *             nodes all share this machine's memory, unbound).
 * @return SM_OK; SM_E_NOMEM; SM_E_SYS when the allocator refuses to create a pool; a reason
 *         naming the node and the error goes to @p err.
 */
sm_status sm_mem_create(hwloc_topology_t topo, sm_mem **out, char *err, size_t err_len);

/* Frees the provider; every slab must have been returned first. NULL is a no-op. */
void sm_mem_free(sm_mem *mem);

/* The number of NUMA nodes (pools). */
int sm_mem_n_nodes(const sm_mem *mem);

/* The topology the provider was created from (borrowed from the creator). */
hwloc_topology_t sm_mem_topology(const sm_mem *mem);

/**
 * Takes a slab of @p size bytes (> 0), SM_SLAB_ALIGN-aligned, from node @p node's pool, binds
 * it to the node (or leaves it to first touch, see membind.h) and touches every page of it
 * from the calling thread. Its contents are unspecified.
 * @return SM_OK with the slab in @p out; SM_E_INVAL (bad node or size 0); SM_E_NOMEM. A
 *         reason naming the node and the size goes to @p err.
 * Thread-safe.
 */
sm_status sm_mem_slab_get(sm_mem *mem, int node, size_t size, void **out, char *err,
                          size_t err_len);

/* Returns a slab from sm_mem_slab_get with the same @p node and @p size. Any thread. A NULL
 * slab is a no-op. */
void sm_mem_slab_put(sm_mem *mem, int node, void *slab, size_t size);

/* Bytes of slabs currently held from node @p node's pool (0 for a bad node). Thread-safe. */
uint64_t sm_mem_node_bytes(const sm_mem *mem, int node);

/* The node whose pool the allocator itself says @p slab came from (jemalloc: the arena that
 * owns it, through arenas.lookup), -1 when it cannot tell: always in the malloc backend, which
 * has one heap for all nodes. For tests and debugging; one allocator query per call. */
int sm_mem_slab_pool(const sm_mem *mem, const void *slab);

/* Whether slabs are bound to their node (1) or left to first touch (0): 0 on a synthetic or
 * XML topology and after the kernel refused a binding. Thread-safe. */
int sm_mem_binds(const sm_mem *mem);

/**
 * The calling thread's cumulative heap counters: bytes it has allocated and deallocated through
 * any allocation call (malloc as well as slabs), read through the returned pointers at any
 * later time (jemalloc's thread.allocatedp / thread.deallocatedp). The counters belong to the
 * thread and live as long as it does; reading them from another thread is racy unless a
 * synchronization (a region's join) orders the reads after the writes.
 * @return SM_OK; SM_E_UNSUPPORTED in the malloc backend, which has no such counters.
 */
sm_status sm_mem_thread_counters(const uint64_t **allocated, const uint64_t **deallocated);

#endif /* SM_ALLOC_SLAB_H */
