/* SPDX-License-Identifier: MIT */
/* place.h: where the weights live on a multi-node machine (sm-run --numa none|interleave|
 * replicate). The plan is a pure function of the workers' nodes, the nodes' free memory and
 * the weights' size, so tests check it for machines we do not have; applying it is separate.
 *
 * Policies:
 *   none       the weights stay in the read-only mmap, placed by whoever faults each page in.
 *   interleave the mapped weights' pages are spread round-robin over the nodes that host
 *              workers: every worker sees the same mix of local and remote reads, and all the
 *              nodes' memory controllers serve them.
 *   replicate  one copy of the weights per node that hosts workers, in memory bound to that
 *              node; each worker reads its own node's copy, so every weight read is local.
 *              Needs the weights' size free on each of those nodes, else it is refused.
 * With fewer than two nodes hosting workers every policy is a no-op: there is nothing to
 * spread over, and a single copy would only duplicate the mapping on the node it already uses. */
#ifndef SM_ALLOC_PLACE_H
#define SM_ALLOC_PLACE_H

#include <hwloc.h>
#include <stddef.h>
#include <stdint.h>

#include "slab.h"
#include "smallmind.h"

typedef enum sm_place_policy {
    SM_PLACE_NONE = 0,
    SM_PLACE_INTERLEAVE = 1,
    SM_PLACE_REPLICATE = 2
} sm_place_policy;

/* "none", "interleave", "replicate"; "unknown" for anything else (static strings). */
const char *sm_place_policy_name(sm_place_policy policy);

/* What the plan is computed from. Arrays are borrowed for the call. */
typedef struct sm_place_input {
    int n_nodes;                     /* NUMA nodes of the machine (logical indices) */
    const uint64_t *node_free_bytes; /* [n_nodes] memory free on each node */
    int n_workers;
    const int *worker_node; /* [n_workers] each worker's node (sm_plan_worker.node) */
    uint64_t weight_bytes;  /* size of the weights to place */
} sm_place_input;

typedef struct sm_place_plan {
    sm_place_policy policy;    /* as asked */
    sm_place_policy effective; /* as done: SM_PLACE_NONE when fewer than 2 nodes host workers */
    int n_nodes;
    int n_used;       /* nodes hosting at least one worker */
    int *used;        /* [n_used] those nodes, ascending: the interleave set */
    int n_copies;     /* replicate: n_used; otherwise 0 */
    int *copy_node;   /* [n_copies] the node holding copy c (= used[c]) */
    int *node_copy;   /* [n_nodes] the copy node n holds, -1 for none */
    int n_workers;    /* as in the input */
    int *worker_copy; /* [n_workers] the copy worker w reads; -1: it reads the mapping */
    uint64_t weight_bytes;
} sm_place_plan;

/**
 * Computes the plan for @p policy.
 * @return SM_OK; SM_E_INVAL (a bad policy, count or node index); SM_E_NOMEM when replicate's
 *         copies do not fit (the message names the node, the bytes needed and the bytes free)
 *         or when the plan cannot be allocated. The reason goes to @p err.
 * Pure: no system calls; thread-safe.
 */
sm_status sm_place_plan_build(const sm_place_input *in, sm_place_policy policy, sm_place_plan **out,
                              char *err, size_t err_len);

void sm_place_plan_free(sm_place_plan *plan);

/**
 * Memory free on each of the @p n_nodes nodes of @p topo, into @p free_bytes: on this machine
 * the kernel's MemFree per node (/sys/devices/system/node/nodeN/meminfo); for a synthetic or
 * XML topology, or when that file cannot be read, the node's memory size as the topology
 * gives it (synthetic: "numa(memory=4GB)"), 0 when it gives none.
 */
void sm_place_node_free(hwloc_topology_t topo, uint64_t *free_bytes, int n_nodes);

/* Weights placed by sm_place_apply: the copies (replicate) and who reads which. */
typedef struct sm_placed sm_placed;

/**
 * Carries out @p plan on the mapped weights [map, map + bytes) (bytes = plan->weight_bytes):
 *   interleave: the mapping's pages get an interleave policy over plan->used, and the calling
 *     thread faults every page in under the same policy (a file's page-cache pages follow the
 *     faulting thread's policy, not the mapping's). Pages already in the page cache stay where
 *     they are. A refusal by the kernel is logged as a warning, not an error.
 *   replicate: each copy is taken from @p mem on its node and filled by a thread bound to that
 *     node's CPUs, so the copy lies there by first touch even where memory binding is refused.
 *   none, or a no-op plan: nothing.
 * @p plan is borrowed until sm_placed_free. @return SM_OK; SM_E_NOMEM; SM_E_SYS (no thread).
 */
sm_status sm_place_apply(sm_mem *mem, const sm_place_plan *plan, const void *map, size_t bytes,
                         sm_placed **out, char *err, size_t err_len);

/* The weights worker @p worker reads: its node's copy, or @p map itself. Valid until
 * sm_placed_free. */
const void *sm_placed_weights(const sm_placed *placed, int worker, const void *map);

/* Bytes of the copies made (replicate), 0 otherwise or for NULL. */
uint64_t sm_placed_copy_bytes(const sm_placed *placed);

/* Returns the copies to their provider. NULL is a no-op. */
void sm_placed_free(sm_placed *placed);

#endif /* SM_ALLOC_PLACE_H */
