/* SPDX-License-Identifier: MIT */
/* test_plan.c: the placement plan (sched/plan.c) on hwloc synthetic topologies, and topology
 * loading (sched/topo.c). Nothing is bound, so the tests run the same on any CI machine. */
#include "config.h"

#include <errno.h>
#include <hwloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sched/plan.h"
#include "sched/topo.h"
#include "sm_test.h"
#include "sm_test_tmp.h"

/* ---------------------------------------------------------------------------------------------
 * Fixtures: synthetic machines, loaded with hwloc directly (not sm_topo_load) so that a bug in
 * topo.c cannot hide one in plan.c.
 * ------------------------------------------------------------------------------------------ */

static hwloc_topology_t load_synthetic(const char *desc)
{
    hwloc_topology_t topo;
    ck_assert_int_eq(hwloc_topology_init(&topo), 0);
    ck_assert_msg(hwloc_topology_set_synthetic(topo, desc) == 0, "hwloc rejects fixture \"%s\"",
                  desc);
    ck_assert_int_eq(hwloc_topology_load(topo), 0);
    return topo;
}

static sm_plan *build(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int n_threads,
                      sm_placement placement, int use_smt)
{
    sm_plan_params params = {.n_threads = n_threads, .placement = placement, .use_smt = use_smt};
    sm_plan *plan = NULL;
    char err[256] = "";
    sm_status st = sm_plan_build(topo, allowed, &params, &plan, err, sizeof err);
    ck_assert_msg(st == SM_OK, "sm_plan_build: status %d (%s)", (int)st, err);
    ck_assert_ptr_nonnull(plan);
    return plan;
}

static void assert_pu_os(const sm_plan *plan, const int *expect, int n)
{
    ck_assert_int_eq(plan->n_workers, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(plan->w[i].pu_os == expect[i], "worker %d: pu_os %d, expected %d", i,
                      plan->w[i].pu_os, expect[i]);
}

static void assert_nodes(const sm_plan *plan, const int *expect, int n)
{
    ck_assert_int_eq(plan->n_workers, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(plan->w[i].node == expect[i], "worker %d: node %d, expected %d", i,
                      plan->w[i].node, expect[i]);
}

static void assert_victims(const sm_plan *plan, int worker, const int *expect, int n_local)
{
    const sm_plan_worker *w = &plan->w[worker];
    ck_assert_int_eq(w->n_victims, plan->n_workers - 1);
    ck_assert_msg(w->n_local == n_local, "worker %d: n_local %d, expected %d", worker, w->n_local,
                  n_local);
    for (int k = 0; k < w->n_victims; k++)
        ck_assert_msg(w->victims[k] == expect[k], "worker %d: victim #%d is %d, expected %d",
                      worker, k, w->victims[k], expect[k]);
}

/* The distance class of two workers, recomputed by the test from their fields: one node
 * apart is remote whatever else they share; then core, then L3. */
static int class_of(const sm_plan_worker *a, const sm_plan_worker *b)
{
    if (a->node != b->node)
        return SM_PLAN_REMOTE;
    if (a->core == b->core)
        return SM_PLAN_SAME_CORE;
    if (a->l3 >= 0 && a->l3 == b->l3)
        return SM_PLAN_SAME_L3;
    return SM_PLAN_SAME_NODE;
}

/* What every victim list must satisfy whatever the topology: a permutation of the other
 * workers; [0, n_local) on the worker's node, the rest remote; nearer classes first (so same
 * L3 before same node); within a class, cyclic order from the worker. */
static void assert_victim_invariants(const sm_plan *plan)
{
    int n = plan->n_workers;
    bool *seen = calloc((size_t)n, sizeof *seen);
    ck_assert_ptr_nonnull(seen);
    for (int i = 0; i < n; i++) {
        const sm_plan_worker *w = &plan->w[i];
        ck_assert_int_eq(w->n_victims, n - 1);
        ck_assert_int_ge(w->n_local, 0);
        ck_assert_int_le(w->n_local, w->n_victims);
        memset(seen, 0, (size_t)n * sizeof *seen);
        int prev_class = SM_PLAN_SAME_CORE, prev_dist = 0;
        for (int k = 0; k < w->n_victims; k++) {
            int v = w->victims[k];
            ck_assert_msg(v >= 0 && v < n && v != i && !seen[v],
                          "worker %d: victim #%d = %d repeats or is out of range", i, k, v);
            seen[v] = true;
            const sm_plan_worker *x = &plan->w[v];
            if (k < w->n_local)
                ck_assert_msg(x->node == w->node, "worker %d: local victim %d is remote", i, v);
            else
                ck_assert_msg(x->node != w->node, "worker %d: remote victim %d is local", i, v);
            int cls = class_of(w, x), dist = (v - i + n) % n;
            ck_assert_msg(cls > prev_class || (cls == prev_class && dist > prev_dist),
                          "worker %d: victim #%d = %d (class %d) out of order", i, k, v, cls);
            ck_assert_int_eq(sm_plan_distance(plan, i, v), cls);
            prev_class = cls;
            prev_dist = dist;
        }
    }
    free(seen);
}

/* ---------------------------------------------------------------------------------------------
 * Single-socket machines
 * ------------------------------------------------------------------------------------------ */

START_TEST(test_plan_one_socket_one_worker_per_core)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:1");
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    static const int pu_os[] = {0, 1, 2, 3};
    assert_pu_os(plan, pu_os, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(plan->w[i].pu, i);
        ck_assert_int_eq(plan->w[i].core, i);
        ck_assert_int_eq(plan->w[i].l3, 0);
        ck_assert_int_eq(plan->w[i].node, 0);
        ck_assert_int_eq(plan->w[i].n_local, 3);
    }
    ck_assert_int_eq(plan->n_nodes, 1);
    ck_assert_int_eq(plan->n_allowed_pus, 4);
    ck_assert_int_eq(plan->n_allowed_cores, 4);
    ck_assert_str_eq(plan->topology, "1 package, 1 NUMA node, 1 L3, 4 cores, 4 PUs");
    /* Cyclic order within one class: worker 2 tries 3 first, not worker 0. */
    static const int v2[] = {3, 0, 1};
    assert_victims(plan, 2, v2, 3);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_wraps_when_more_threads_than_cores)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:1");
    sm_plan *plan = build(topo, NULL, 6, SM_PLACEMENT_COMPACT, 0);
    static const int pu_os[] = {0, 1, 2, 3, 0, 1};
    assert_pu_os(plan, pu_os, 6);
    /* Worker 4 shares worker 0's PU, so it is worker 0's nearest victim. */
    ck_assert_int_eq(sm_plan_distance(plan, 0, 4), SM_PLAN_SAME_CORE);
    static const int v0[] = {4, 1, 2, 3, 5};
    assert_victims(plan, 0, v0, 5);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_smt_siblings_excluded_by_default)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:2");
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    static const int first_pus[] = {0, 2, 4, 6};
    assert_pu_os(plan, first_pus, 4);
    ck_assert_int_eq(plan->n_allowed_pus, 8);
    ck_assert_int_eq(plan->n_allowed_cores, 4);
    sm_plan_free(plan);

    /* Without use_smt, extra threads wrap onto the first PUs again, never onto siblings. */
    plan = build(topo, NULL, 8, SM_PLACEMENT_COMPACT, 0);
    static const int wrapped[] = {0, 2, 4, 6, 0, 2, 4, 6};
    assert_pu_os(plan, wrapped, 8);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_smt_siblings_used_after_all_cores)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:2");
    sm_plan *plan = build(topo, NULL, 10, SM_PLACEMENT_COMPACT, 1);
    static const int pu_os[] = {0, 2, 4, 6, 1, 3, 5, 7, 0, 2};
    assert_pu_os(plan, pu_os, 10);
    static const int cores[] = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1};
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(plan->w[i].core, cores[i]);
    sm_plan_free(plan);

    /* With 8 workers each PU has one: the SMT sibling comes first, then the L3 in cyclic
     * order. */
    plan = build(topo, NULL, 8, SM_PLACEMENT_COMPACT, 1);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 4), SM_PLAN_SAME_CORE);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 1), SM_PLAN_SAME_L3);
    static const int v0[] = {4, 1, 2, 3, 5, 6, 7};
    static const int v5[] = {1, 6, 7, 0, 2, 3, 4};
    assert_victims(plan, 0, v0, 7);
    assert_victims(plan, 5, v5, 7);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* n_threads = 0 counts cores, even with use_smt: the header says one per allowed core. */
START_TEST(test_plan_zero_threads_is_one_per_core_even_with_smt)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:2");
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 1);
    static const int pu_os[] = {0, 2, 4, 6};
    assert_pu_os(plan, pu_os, 4);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Two sockets: compact and spread, local-first victims
 * ------------------------------------------------------------------------------------------ */

START_TEST(test_plan_compact_fills_a_node_first)
{
    hwloc_topology_t topo = load_synthetic("pack:2 [numa] l3:1 core:4 pu:1");
    sm_plan *plan = build(topo, NULL, 6, SM_PLACEMENT_COMPACT, 0);
    static const int pu_os[] = {0, 1, 2, 3, 4, 5};
    static const int nodes[] = {0, 0, 0, 0, 1, 1};
    assert_pu_os(plan, pu_os, 6);
    assert_nodes(plan, nodes, 6);
    ck_assert_int_eq(plan->n_nodes, 2);
    /* Worker 4 (node 1): its node's other worker, then node 0 from 0 on (cyclic from 4). */
    static const int v4[] = {5, 0, 1, 2, 3};
    assert_victims(plan, 4, v4, 1);
    assert_victim_invariants(plan);
    sm_plan_free(plan);

    plan = build(topo, NULL, 3, SM_PLACEMENT_COMPACT, 0);
    ck_assert_int_eq(plan->n_nodes, 1);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_spread_round_robins_nodes)
{
    hwloc_topology_t topo = load_synthetic("pack:2 [numa] l3:1 core:4 pu:1");
    sm_plan *plan = build(topo, NULL, 6, SM_PLACEMENT_SPREAD, 0);
    static const int pu_os[] = {0, 4, 1, 5, 2, 6};
    static const int nodes[] = {0, 1, 0, 1, 0, 1};
    assert_pu_os(plan, pu_os, 6);
    assert_nodes(plan, nodes, 6);
    static const int v0[] = {2, 4, 1, 3, 5};
    assert_victims(plan, 0, v0, 2);
    assert_victim_invariants(plan);
    sm_plan_free(plan);

    plan = build(topo, NULL, 2, SM_PLACEMENT_SPREAD, 0);
    ck_assert_int_eq(plan->n_nodes, 2);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* Two L3s per node: same L3 before the rest of the node, the node before remote. */
START_TEST(test_plan_victims_same_l3_then_node_then_remote)
{
    hwloc_topology_t topo = load_synthetic("pack:2 [numa] l3:2 core:2 pu:2");
    sm_plan *plan = build(topo, NULL, 8, SM_PLACEMENT_COMPACT, 0);
    static const int pu_os[] = {0, 2, 4, 6, 8, 10, 12, 14};
    static const int l3[] = {0, 0, 1, 1, 2, 2, 3, 3};
    assert_pu_os(plan, pu_os, 8);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(plan->w[i].l3, l3[i]);
    static const int v0[] = {1, 2, 3, 4, 5, 6, 7};
    static const int v2[] = {3, 0, 1, 4, 5, 6, 7};
    static const int v5[] = {4, 6, 7, 0, 1, 2, 3};
    assert_victims(plan, 0, v0, 3);
    assert_victims(plan, 2, v2, 3);
    assert_victims(plan, 5, v5, 3);
    ck_assert_int_eq(sm_plan_distance(plan, 2, 3), SM_PLAN_SAME_L3);
    ck_assert_int_eq(sm_plan_distance(plan, 2, 0), SM_PLAN_SAME_NODE);
    ck_assert_int_eq(sm_plan_distance(plan, 2, 4), SM_PLAN_REMOTE);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* Sub-NUMA clustering: one L3 over two nodes. Sharing the L3 must not make the other node's
 * workers local, or the local round would reach remote memory. */
START_TEST(test_plan_l3_shared_across_nodes_is_remote)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 group:2 [numa] core:2 pu:1");
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    static const int nodes[] = {0, 0, 1, 1};
    assert_nodes(plan, nodes, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(plan->w[i].l3, 0);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 1), SM_PLAN_SAME_L3);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 2), SM_PLAN_REMOTE);
    static const int v3[] = {2, 0, 1};
    assert_victims(plan, 3, v3, 1);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_two_nodes_per_socket)
{
    /* The group level carries the NUMA node, so each package has two nodes. */
    hwloc_topology_t topo = load_synthetic("pack:2 group:2 [numa] l3:2 core:2 pu:2");
    ck_assert_int_eq(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE), 4);
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    ck_assert_int_eq(plan->n_workers, 16);
    ck_assert_int_eq(plan->n_nodes, 4);
    ck_assert_str_eq(plan->topology, "2 packages, 4 NUMA nodes, 8 L3, 16 cores, 32 PUs");
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(plan->w[i].node, i / 4);
        ck_assert_int_eq(plan->w[i].l3, i / 2);
        ck_assert_int_eq(plan->w[i].n_local, 3);
    }
    assert_victim_invariants(plan);
    sm_plan_free(plan);

    plan = build(topo, NULL, 5, SM_PLACEMENT_SPREAD, 0);
    static const int pu_os[] = {0, 8, 16, 24, 2};
    static const int nodes[] = {0, 1, 2, 3, 0};
    assert_pu_os(plan, pu_os, 5);
    assert_nodes(plan, nodes, 5);
    sm_plan_free(plan);

    /* Every PU used: the sibling, then the L3, then the node, then the rest. */
    plan = build(topo, NULL, 32, SM_PLACEMENT_COMPACT, 1);
    ck_assert_int_eq(plan->w[16].pu_os, 1);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 16), SM_PLAN_SAME_CORE);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 1), SM_PLAN_SAME_L3);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 2), SM_PLAN_SAME_NODE);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 4), SM_PLAN_REMOTE);
    ck_assert_int_eq(sm_plan_distance(plan, 0, 32), -1);
    ck_assert_int_eq(plan->w[0].victims[0], 16);
    ck_assert_int_eq(plan->w[0].n_local, 7); /* 1 sibling + 3 cores x 2 PUs */
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* OS numbering interleaved across packages, groups and cores, and NUMA OS indexes 0,2,1,3:
 * core, L3 and node must be logical indexes and pu_os the OS index. */
#define INTERLEAVED                                                                                \
    "pack:2 group:2 [numa(indexes=0,2,1,3)] l3:1 core:2 pu:2(indexes=pack:group:core)"

START_TEST(test_plan_interleaved_numbering_uses_logical_indexes)
{
    hwloc_topology_t topo = load_synthetic(INTERLEAVED);
    /* The fixture must really interleave, or this test proves nothing. */
    ck_assert_uint_eq(hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 1)->os_index, 2);
    ck_assert_uint_eq(hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, 2)->os_index, 4);

    /* Hand-worked from lstopo: core L#k's first PU is P#{0,4,2,6,1,5,3,7}[k]. */
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    static const int pu_os[] = {0, 4, 2, 6, 1, 5, 3, 7};
    static const int nodes[] = {0, 0, 1, 1, 2, 2, 3, 3};
    assert_pu_os(plan, pu_os, 8);
    assert_nodes(plan, nodes, 8);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(plan->w[i].core, i);
        ck_assert_int_eq(plan->w[i].pu, 2 * i);
        ck_assert_int_eq(plan->w[i].l3, i / 2);
    }
    assert_victim_invariants(plan);
    sm_plan_free(plan);

    plan = build(topo, NULL, 16, SM_PLACEMENT_SPREAD, 1);
    static const int spread_smt[] = {0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15};
    assert_pu_os(plan, spread_smt, 16);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Allowed cpusets
 * ------------------------------------------------------------------------------------------ */

START_TEST(test_plan_allowed_cpuset_restricts_cores)
{
    hwloc_topology_t topo = load_synthetic("pack:2 [numa] l3:1 core:4 pu:1");
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    ck_assert_ptr_nonnull(allowed);
    ck_assert_int_eq(hwloc_bitmap_set(allowed, 1), 0);
    ck_assert_int_eq(hwloc_bitmap_set(allowed, 2), 0);
    ck_assert_int_eq(hwloc_bitmap_set(allowed, 5), 0);

    sm_plan *plan = build(topo, allowed, 0, SM_PLACEMENT_COMPACT, 0);
    static const int compact[] = {1, 2, 5};
    static const int nodes[] = {0, 0, 1};
    assert_pu_os(plan, compact, 3);
    assert_nodes(plan, nodes, 3);
    ck_assert_int_eq(plan->n_allowed_pus, 3);
    ck_assert_int_eq(plan->n_allowed_cores, 3);
    assert_victim_invariants(plan);
    sm_plan_free(plan);

    plan = build(topo, allowed, 0, SM_PLACEMENT_SPREAD, 0);
    static const int spread[] = {1, 5, 2};
    assert_pu_os(plan, spread, 3);
    sm_plan_free(plan);

    /* A CPU the topology does not have is ignored, not an error. */
    hwloc_bitmap_only(allowed, 3);
    ck_assert_int_eq(hwloc_bitmap_set(allowed, 100), 0);
    plan = build(topo, allowed, 0, SM_PLACEMENT_COMPACT, 0);
    static const int only3[] = {3};
    assert_pu_os(plan, only3, 1);
    ck_assert_int_eq(plan->n_allowed_pus, 1);
    ck_assert_int_eq(plan->w[0].n_victims, 0);
    sm_plan_free(plan);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_allowed_cpuset_picks_first_allowed_pu_of_core)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:2");
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    ck_assert_ptr_nonnull(allowed);
    /* Core 0: only its sibling P#1; core 1: both; core 2: none; core 3: P#6. */
    static const unsigned bits[] = {1, 2, 3, 6};
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(hwloc_bitmap_set(allowed, bits[i]), 0);

    sm_plan *plan = build(topo, allowed, 0, SM_PLACEMENT_COMPACT, 0);
    static const int per_core[] = {1, 2, 6};
    assert_pu_os(plan, per_core, 3);
    ck_assert_int_eq(plan->n_allowed_pus, 4);
    ck_assert_int_eq(plan->n_allowed_cores, 3);
    sm_plan_free(plan);

    plan = build(topo, allowed, 5, SM_PLACEMENT_COMPACT, 1);
    static const int smt[] = {1, 2, 6, 3, 1};
    static const int cores[] = {0, 1, 3, 1, 0};
    assert_pu_os(plan, smt, 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(plan->w[i].core, cores[i]);
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_null_allowed_means_whole_topology)
{
    hwloc_topology_t topo = load_synthetic("pack:2 [numa] l3:2 core:2 pu:2");
    sm_plan *plan = build(topo, NULL, 0, SM_PLACEMENT_COMPACT, 0);
    ck_assert_int_eq(plan->n_allowed_pus, 16);
    ck_assert_int_eq(plan->n_allowed_cores, 8);
    ck_assert_int_eq(plan->n_workers, 8);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * An independent model of the rules, checked over every fixture, placement, SMT setting and a
 * range of thread counts. The model only covers symmetric machines whose nodes are at or above
 * the L3 level, which is what these fixtures are.
 * ------------------------------------------------------------------------------------------ */

typedef struct shape {
    const char *desc;
    int n_nodes;
    int cores_per_node;
    int cores_per_l3; /* 0: no L3 level */
    int pus_per_core;
    int (*pu_os)(int pu); /* OS index of logical PU pu; NULL when they are equal */
} shape;

/* INTERLEAVED puts the package in the lowest digit of the OS index, then the group, then the
 * core within its group, then the thread: OS = pack + 2 group + 4 core + 8 thread. */
static int interleaved_pu_os(int pu)
{
    int thread = pu % 2, core = (pu / 2) % 2, group = (pu / 4) % 2, pack = pu / 8;
    return pack + 2 * group + 4 * core + 8 * thread;
}

static const shape shapes[] = {
    {"pack:1 l3:1 core:4 pu:1", 1, 4, 4, 1, NULL},
    {"pack:1 l3:1 core:4 pu:2", 1, 4, 4, 2, NULL},
    {"pack:2 [numa] l3:1 core:4 pu:1", 2, 4, 4, 1, NULL},
    {"pack:2 [numa] l3:2 core:2 pu:2", 2, 4, 2, 2, NULL},
    {"pack:2 group:2 [numa] l3:2 core:2 pu:2", 4, 4, 2, 2, NULL},
    {INTERLEAVED, 4, 2, 2, 2, interleaved_pu_os},
    {"pack:2 [numa] core:3 pu:1", 2, 3, 0, 1, NULL},
};
#define N_SHAPES ((int)(sizeof shapes / sizeof shapes[0]))

typedef struct model_worker {
    int pu, pu_os, core, l3, node;
} model_worker;

static model_worker model_place(const shape *s, sm_placement placement, int use_smt, int i)
{
    int n_cores = s->n_nodes * s->cores_per_node;
    int n_slots = use_smt ? n_cores * s->pus_per_core : n_cores;
    int slot = i % n_slots;
    int k = slot % n_cores, thread = slot / n_cores;
    model_worker m;
    m.core = placement == SM_PLACEMENT_COMPACT
                 ? k
                 : (k % s->n_nodes) * s->cores_per_node + k / s->n_nodes;
    m.pu = m.core * s->pus_per_core + thread;
    m.pu_os = s->pu_os != NULL ? s->pu_os(m.pu) : m.pu;
    m.node = m.core / s->cores_per_node;
    m.l3 = s->cores_per_l3 > 0 ? m.core / s->cores_per_l3 : -1;
    return m;
}

static int model_class(const model_worker *a, const model_worker *b)
{
    if (a->node != b->node)
        return SM_PLAN_REMOTE;
    if (a->core == b->core)
        return SM_PLAN_SAME_CORE;
    if (a->l3 >= 0 && a->l3 == b->l3)
        return SM_PLAN_SAME_L3;
    return SM_PLAN_SAME_NODE;
}

static void check_against_model(hwloc_topology_t topo, const shape *s, sm_placement placement,
                                int use_smt, int n_threads)
{
    int n_cores = s->n_nodes * s->cores_per_node;
    int n = n_threads > 0 ? n_threads : n_cores;
    sm_plan *plan = build(topo, NULL, n_threads, placement, use_smt);
    ck_assert_int_eq(plan->n_workers, n);
    ck_assert_int_eq(plan->n_allowed_cores, n_cores);
    ck_assert_int_eq(plan->n_allowed_pus, n_cores * s->pus_per_core);
    model_worker *m = calloc((size_t)n, sizeof *m);
    int *victims = calloc((size_t)n, sizeof *victims);
    bool nodes_used[8] = {false};
    int n_nodes = 0;
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(victims);
    for (int i = 0; i < n; i++) {
        m[i] = model_place(s, placement, use_smt, i);
        const sm_plan_worker *w = &plan->w[i];
        ck_assert_msg(w->pu_os == m[i].pu_os && w->pu == m[i].pu && w->core == m[i].core &&
                          w->l3 == m[i].l3 && w->node == m[i].node,
                      "%s %s smt=%d n=%d worker %d: got pu %d P#%d core %d l3 %d node %d, "
                      "expected pu %d P#%d core %d l3 %d node %d",
                      s->desc, placement == SM_PLACEMENT_COMPACT ? "compact" : "spread", use_smt,
                      n_threads, i, w->pu, w->pu_os, w->core, w->l3, w->node, m[i].pu, m[i].pu_os,
                      m[i].core, m[i].l3, m[i].node);
        n_nodes += !nodes_used[m[i].node];
        nodes_used[m[i].node] = true;
    }
    ck_assert_int_eq(plan->n_nodes, n_nodes);
    for (int i = 0; i < n; i++) {
        int k = 0, n_local = 0;
        for (int cls = SM_PLAN_SAME_CORE; cls <= SM_PLAN_REMOTE; cls++) {
            for (int d = 1; d < n; d++) {
                if (model_class(&m[i], &m[(i + d) % n]) == cls)
                    victims[k++] = (i + d) % n;
            }
            if (cls == SM_PLAN_SAME_NODE)
                n_local = k;
        }
        assert_victims(plan, i, victims, n_local);
    }
    assert_victim_invariants(plan);
    free(victims);
    free(m);
    sm_plan_free(plan);
}

START_TEST(test_plan_matches_model)
{
    const shape *s = &shapes[_i];
    hwloc_topology_t topo = load_synthetic(s->desc);
    int n_cores = s->n_nodes * s->cores_per_node;
    int n_pus = n_cores * s->pus_per_core;
    const int counts[] = {0, 1, 3, n_cores - 1, n_cores, n_cores + 1, n_pus, 2 * n_pus + 3};
    for (int p = SM_PLACEMENT_COMPACT; p <= SM_PLACEMENT_SPREAD; p++) {
        for (int smt = 0; smt <= 1; smt++) {
            for (int c = 0; c < (int)(sizeof counts / sizeof counts[0]); c++)
                check_against_model(topo, s, (sm_placement)p, smt, counts[c]);
        }
    }
    hwloc_topology_destroy(topo);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------ */

START_TEST(test_plan_rejects_negative_threads)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:1");
    sm_plan_params params = {.n_threads = -1, .placement = SM_PLACEMENT_COMPACT};
    static sm_plan untouched;
    sm_plan *sentinel = &untouched, *plan = sentinel;
    char err[128] = "";
    ck_assert_int_eq(sm_plan_build(topo, NULL, &params, &plan, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_eq(plan, sentinel); /* out-params are written only on success */
    ck_assert_msg(strstr(err, "n_threads") != NULL && strstr(err, "-1") != NULL,
                  "message does not name n_threads -1: \"%s\"", err);

    /* A short buffer still gets a terminated message; none at all is not a crash. */
    char tiny[6];
    memset(tiny, 'x', sizeof tiny);
    ck_assert_int_eq(sm_plan_build(topo, NULL, &params, &plan, tiny, sizeof tiny), SM_E_INVAL);
    ck_assert_ptr_nonnull(memchr(tiny, '\0', sizeof tiny));
    ck_assert_int_eq(sm_plan_build(topo, NULL, &params, &plan, NULL, 0), SM_E_INVAL);

    params.n_threads = 1;
    params.placement = (sm_placement)7;
    ck_assert_int_eq(sm_plan_build(topo, NULL, &params, &plan, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_nonnull(strstr(err, "placement 7"));
    ck_assert_ptr_eq(plan, sentinel);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_rejects_cpuset_without_topology_pu)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:1");
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    ck_assert_ptr_nonnull(allowed);
    ck_assert_int_eq(hwloc_bitmap_set(allowed, 100), 0);
    sm_plan_params params = {.n_threads = 0, .placement = SM_PLACEMENT_COMPACT};
    sm_plan *plan = NULL;
    char err[128] = "";
    ck_assert_int_eq(sm_plan_build(topo, allowed, &params, &plan, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_null(plan);
    ck_assert_msg(strstr(err, "100") != NULL, "message does not name the cpuset: \"%s\"", err);

    hwloc_bitmap_zero(allowed);
    err[0] = '\0';
    ck_assert_int_eq(sm_plan_build(topo, allowed, &params, &plan, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_null(plan);
    ck_assert_int_gt((int)strlen(err), 0);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Loading topologies (topo.c)
 * ------------------------------------------------------------------------------------------ */

START_TEST(test_plan_topo_loads_synthetic)
{
    hwloc_topology_t topo = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_topo_load(SM_TOPOLOGY_SYNTHETIC, "pack:2 [numa] l3:1 core:4 pu:2", &topo,
                                  err, sizeof err),
                     SM_OK);
    ck_assert_int_eq(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE), 8);
    ck_assert_int_eq(hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE), 2);
    /* Another machine's masks are unknowable: the whole topology is allowed. */
    hwloc_bitmap_t allowed = sm_topo_allowed_cpuset(topo, SM_TOPOLOGY_SYNTHETIC);
    ck_assert_ptr_nonnull(allowed);
    ck_assert(hwloc_bitmap_isequal(allowed, hwloc_topology_get_allowed_cpuset(topo)));
    ck_assert_int_eq(hwloc_bitmap_weight(allowed), 16);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}
END_TEST

START_TEST(test_plan_topo_rejects_bad_synthetic)
{
    static const char bad[] = "pack:2 bogus:3 pu:1";
    hwloc_topology_t topo = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_topo_load(SM_TOPOLOGY_SYNTHETIC, bad, &topo, err, sizeof err), SM_E_FORMAT);
    ck_assert_ptr_null(topo);
    ck_assert_msg(strstr(err, bad) != NULL, "message does not name \"%s\": \"%s\"", bad, err);

    ck_assert_int_eq(sm_topo_load(SM_TOPOLOGY_SYNTHETIC, NULL, &topo, err, sizeof err), SM_E_INVAL);
    ck_assert_int_eq(sm_topo_load(SM_TOPOLOGY_XML, NULL, &topo, err, sizeof err), SM_E_INVAL);
    ck_assert_int_eq(sm_topo_load((sm_topology_source)9, "x", &topo, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_null(topo);
}
END_TEST

START_TEST(test_plan_topo_missing_xml_is_io_error)
{
    static const char path[] = "/nonexistent-smallmind-dir/topology.xml";
    hwloc_topology_t topo = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_topo_load(SM_TOPOLOGY_XML, path, &topo, err, sizeof err), SM_E_IO);
    ck_assert_ptr_null(topo);
    ck_assert_msg(strstr(err, path) != NULL, "message does not name the path: \"%s\"", err);
}
END_TEST

START_TEST(test_plan_topo_malformed_xml_is_format_error)
{
    char path[512];
    sm_test_make_temp(path, sizeof path, "sm_test_plan_");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not an hwloc topology\n", f);
    ck_assert_int_eq(fclose(f), 0);

    hwloc_topology_t topo = NULL;
    char err[768] = "";
    sm_status st = sm_topo_load(SM_TOPOLOGY_XML, path, &topo, err, sizeof err);
    unlink(path);
    ck_assert_int_eq(st, SM_E_FORMAT);
    ck_assert_ptr_null(topo);
    ck_assert_msg(strstr(err, path) != NULL, "message does not name the path: \"%s\"", err);
}
END_TEST

START_TEST(test_plan_topo_xml_round_trip)
{
    hwloc_topology_t synth = load_synthetic(INTERLEAVED);
    char path[512];
    sm_test_make_temp(path, sizeof path, "sm_test_plan_");
    ck_assert_int_eq(hwloc_topology_export_xml(synth, path, 0), 0);

    hwloc_topology_t topo = NULL;
    char err[768] = "";
    sm_status st = sm_topo_load(SM_TOPOLOGY_XML, path, &topo, err, sizeof err);
    unlink(path);
    ck_assert_msg(st == SM_OK, "sm_topo_load(XML): status %d (%s)", (int)st, err);
    static const hwloc_obj_type_t types[] = {HWLOC_OBJ_PACKAGE, HWLOC_OBJ_NUMANODE,
                                             HWLOC_OBJ_L3CACHE, HWLOC_OBJ_CORE, HWLOC_OBJ_PU};
    for (int t = 0; t < 5; t++)
        ck_assert_int_eq(hwloc_get_nbobjs_by_type(topo, types[t]),
                         hwloc_get_nbobjs_by_type(synth, types[t]));

    /* The same machine gives the same plan, OS numbering included. */
    sm_plan *a = build(synth, NULL, 16, SM_PLACEMENT_SPREAD, 1);
    sm_plan *b = build(topo, NULL, 16, SM_PLACEMENT_SPREAD, 1);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(a->w[i].pu_os, b->w[i].pu_os);
        ck_assert_int_eq(a->w[i].node, b->w[i].node);
    }
    ck_assert_str_eq(a->topology, b->topology);
    sm_plan_free(b);
    sm_plan_free(a);
    hwloc_topology_destroy(topo);
    hwloc_topology_destroy(synth);
}
END_TEST

START_TEST(test_plan_topo_online_cpus_positive)
{
    ck_assert_int_ge(sm_topo_online_cpus(), 1);
}
END_TEST

START_TEST(test_plan_topo_system_allowed_is_subset)
{
    hwloc_topology_t topo = NULL;
    char err[256] = "";
    sm_status st = sm_topo_load(SM_TOPOLOGY_SYSTEM, NULL, &topo, err, sizeof err);
    ck_assert_msg(st == SM_OK, "sm_topo_load(SYSTEM): status %d (%s)", (int)st, err);
    hwloc_bitmap_t allowed = sm_topo_allowed_cpuset(topo, SM_TOPOLOGY_SYSTEM);
    ck_assert_ptr_nonnull(allowed);
    ck_assert(!hwloc_bitmap_iszero(allowed));
    ck_assert(hwloc_bitmap_isincluded(allowed, hwloc_topology_get_topology_cpuset(topo)));

    /* This machine's plan uses only allowed PUs, one worker per allowed core. */
    sm_plan *plan = build(topo, allowed, 0, SM_PLACEMENT_COMPACT, 0);
    ck_assert_int_ge(plan->n_workers, 1);
    ck_assert_int_le(plan->n_workers, hwloc_bitmap_weight(allowed));
    for (int i = 0; i < plan->n_workers; i++)
        ck_assert(hwloc_bitmap_isset(allowed, (unsigned)plan->w[i].pu_os));
    assert_victim_invariants(plan);
    sm_plan_free(plan);
    hwloc_bitmap_free(allowed);
    hwloc_topology_destroy(topo);
}
END_TEST

/* Only refusals are tested: binding a real thread is sched.c's business, and a synthetic
 * topology's binding is a no-op that proves nothing. */
START_TEST(test_plan_topo_bind_rejects_unknown_pu)
{
    hwloc_topology_t topo = load_synthetic("pack:1 l3:1 core:4 pu:1");
    ck_assert_int_eq(sm_topo_bind_thread(topo, 1000), EINVAL);
    ck_assert_int_eq(sm_topo_bind_thread(topo, -1), EINVAL);
    sm_topo_restore_binding(topo, NULL);
    hwloc_topology_destroy(topo);
}
END_TEST

static Suite *plan_suite(void)
{
    Suite *s = suite_create("plan");

    TCase *map = tcase_create("map");
    tcase_add_test(map, test_plan_one_socket_one_worker_per_core);
    tcase_add_test(map, test_plan_wraps_when_more_threads_than_cores);
    tcase_add_test(map, test_plan_smt_siblings_excluded_by_default);
    tcase_add_test(map, test_plan_smt_siblings_used_after_all_cores);
    tcase_add_test(map, test_plan_zero_threads_is_one_per_core_even_with_smt);
    tcase_add_test(map, test_plan_interleaved_numbering_uses_logical_indexes);
    suite_add_tcase(s, map);

    TCase *order = tcase_create("order");
    tcase_add_test(order, test_plan_compact_fills_a_node_first);
    tcase_add_test(order, test_plan_spread_round_robins_nodes);
    tcase_add_test(order, test_plan_victims_same_l3_then_node_then_remote);
    tcase_add_test(order, test_plan_l3_shared_across_nodes_is_remote);
    tcase_add_test(order, test_plan_two_nodes_per_socket);
    tcase_add_loop_test(order, test_plan_matches_model, 0, N_SHAPES);
    suite_add_tcase(s, order);

    TCase *allowed = tcase_create("allowed");
    tcase_add_test(allowed, test_plan_allowed_cpuset_restricts_cores);
    tcase_add_test(allowed, test_plan_allowed_cpuset_picks_first_allowed_pu_of_core);
    tcase_add_test(allowed, test_plan_null_allowed_means_whole_topology);
    suite_add_tcase(s, allowed);

    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, test_plan_rejects_negative_threads);
    tcase_add_test(errors, test_plan_rejects_cpuset_without_topology_pu);
    suite_add_tcase(s, errors);

    TCase *topo = tcase_create("topo");
    tcase_add_test(topo, test_plan_topo_loads_synthetic);
    tcase_add_test(topo, test_plan_topo_rejects_bad_synthetic);
    tcase_add_test(topo, test_plan_topo_missing_xml_is_io_error);
    tcase_add_test(topo, test_plan_topo_malformed_xml_is_format_error);
    tcase_add_test(topo, test_plan_topo_xml_round_trip);
    tcase_add_test(topo, test_plan_topo_online_cpus_positive);
    tcase_add_test(topo, test_plan_topo_system_allowed_is_subset);
    tcase_add_test(topo, test_plan_topo_bind_rejects_unknown_pu);
    suite_add_tcase(s, topo);
    return s;
}

int main(void)
{
    return sm_test_run(plan_suite());
}
