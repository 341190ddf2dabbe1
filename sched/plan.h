/* SPDX-License-Identifier: MIT */
/* plan.h: the placement plan, a pure function of a loaded hwloc topology and an allowed
 * cpuset: which PU each worker runs on, where that PU sits (core, L3, NUMA node), and the order
 * in which each worker tries its victims when stealing. No syscalls, no binding, no threads,
 * so tests check plans for machines we do not have (hwloc synthetic topologies and XML). */
#ifndef SM_SCHED_PLAN_H
#define SM_SCHED_PLAN_H

#include <hwloc.h>

#include "smallmind.h"

#if HWLOC_API_VERSION < 0x00020000
#error "SmallMind needs hwloc >= 2.0 (NUMA nodes as memory children, nodesets)"
#endif

/* Victims come in classes of increasing distance; a worker tries every victim of the classes
 * up to SM_PLAN_NODE (a "local round") before any remote one. */
enum sm_plan_distance {
    SM_PLAN_SAME_CORE = 0, /* an SMT sibling (use_smt), or a worker wrapped onto the same PU */
    SM_PLAN_SAME_L3 = 1,   /* another core under the same L3 */
    SM_PLAN_SAME_NODE = 2, /* another core of the same NUMA node, different L3 */
    SM_PLAN_REMOTE = 3     /* another NUMA node */
};

typedef struct sm_plan_worker {
    int pu_os;     /* OS index of the PU the worker is bound to (lstopo's P#) */
    int pu;        /* logical index of that PU (lstopo's L#) */
    int core;      /* logical index of its core */
    int l3;        /* logical index of its L3 cache, -1 when the topology has no L3 level */
    int node;      /* logical index of its NUMA node (hwloc 2: found through the PU's nodeset) */
    int n_victims; /* = n_workers - 1: every other worker, nearest first */
    int n_local;   /* victims [0, n_local) share this worker's node; [n_local, n_victims) do not */
    int *victims;  /* [n_victims] worker indices; points into sm_plan's storage */
} sm_plan_worker;

typedef struct sm_plan {
    int n_workers;
    int n_nodes;         /* NUMA nodes that host at least one worker */
    int n_allowed_pus;   /* PUs in (topology cpuset & allowed cpuset) */
    int n_allowed_cores; /* cores with at least one allowed PU */
    sm_plan_worker *w;   /* [n_workers] */
    char topology[160];  /* summary, e.g. "2 packages, 4 NUMA nodes, 4 L3, 32 cores, 64 PUs" */
} sm_plan;

typedef struct sm_plan_params {
    int n_threads;          /* 0 = one per allowed core (all allowed PUs of a core count once) */
    sm_placement placement; /* compact or spread, as in sm_sched_params */
    int use_smt; /* nonzero: a core's further PUs host workers after every core has one */
} sm_plan_params;

/**
 * Computes the plan.
 *
 * Rules (each asserted by tests/test_plan.c):
 * - Only PUs in @p allowed (and in the topology) are used; NULL means the topology's whole
 *   allowed cpuset (hwloc_topology_get_allowed_cpuset).
 * - Cores are ordered by logical index. Worker 0 gets the first allowed core.
 *   compact: fill a node's allowed cores in order, then the next node's.
 *   spread: round-robin over the nodes that have allowed cores (node 0 core 0, node 1 core 0,
 *   ..., node 0 core 1, ...).
 * - Each worker is placed on the first allowed PU of its core. Without use_smt, n_threads larger
 *   than the allowed cores wraps around (several workers per PU: oversubscription, legal).
 *   With use_smt, after every core has a worker the second allowed PU of each core is used, in
 *   the same order, then the third, ..., then it wraps.
 * - Victim order of worker i: all other workers sorted by (distance class, then cyclic
 *   distance of worker index from i: i+1, i+2, ... wrapping), so neighbours differ between
 *   workers and thieves do not all hit worker 0 first.
 *   n_local counts the victims whose class is below SM_PLAN_REMOTE.
 *
 * @return SM_OK; SM_E_INVAL (n_threads < 0, no allowed PU, empty topology), with a reason in
 *         @p err (always terminated when err_len > 0); SM_E_NOMEM.
 * Pure: reads the topology only; thread-safe on distinct topologies.
 */
sm_status sm_plan_build(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                        const sm_plan_params *params, sm_plan **out, char *err, size_t err_len);

/* Frees a plan from sm_plan_build; NULL is a no-op. */
void sm_plan_free(sm_plan *plan);

/* The distance class between two workers of a plan (enum sm_plan_distance); -1 when either
 * index is out of range. Different nodes are SM_PLAN_REMOTE even when the two share an L3
 * (sub-NUMA clustering), so victims [0, n_local) really are on the worker's node. Two workers
 * wrapped onto one PU (n_threads above the PUs used) are SM_PLAN_SAME_CORE. */
int sm_plan_distance(const sm_plan *plan, int a, int b);

#endif /* SM_SCHED_PLAN_H */
