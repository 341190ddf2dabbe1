/* SPDX-License-Identifier: MIT */
/* plan.c: the placement plan: which PU each worker gets and whom it steals from, in what order. */
#include "config.h"

#include "errbuf.h"
#include "plan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One allowed PU and where it sits, read from the topology once. */
typedef struct pu_info {
    int os;   /* OS index (P#) */
    int pu;   /* logical index (L#) */
    int core; /* logical index of its core */
    int l3;   /* logical index of its L3, -1 without an L3 level */
    int node; /* logical index of its NUMA node */
} pu_info;

/* One core with at least one allowed PU. Its allowed PUs are pus[first_pu, first_pu + n_pus). */
typedef struct core_info {
    int node; /* the node of its first allowed PU: what compact and spread group cores by */
    int first_pu;
    int n_pus;
} core_info;

/* Scratch state of one sm_plan_build call, freed before it returns. */
typedef struct plan_scratch {
    pu_info *pus;     /* [n_pus] allowed PUs, by logical index (so grouped by core) */
    core_info *cores; /* [n_cores] cores with an allowed PU, by logical index */
    int *order;       /* [n_cores] indexes into cores, in compact or spread order */
    int *slots;       /* [n_slots] indexes into pus: worker i runs on slots[i % n_slots] */
    int n_pus;        /* allowed PUs */
    int n_cores;      /* cores with an allowed PU */
    int n_slots;      /* n_cores, or n_pus with use_smt */
    int n_topo_nodes; /* NUMA nodes in the topology: node indexes are below it */
    int n_topo_cores; /* objects at core_depth */
    int core_depth;   /* the Core level, or the PU level on machines hwloc shows without cores */
} plan_scratch;

/* The plan and everything it points to, in one allocation so that sm_plan_free is one free().
 * The victim arrays follow w[]: sizeof(sm_plan_worker) is a multiple of its alignment, which is
 * at least int's, so they are aligned. */
typedef struct plan_block {
    sm_plan plan;
    sm_plan_worker w[];
} plan_block;

/* hwloc 2 keeps NUMA nodes out of the CPU tree, so a PU's node comes from its nodeset. The
 * first node of the nodeset that exists in the topology is the PU's local memory; a nodeset
 * with several nodes (DDR + HBM behind one package) lists the normal DDR node first. */
static int pu_node(hwloc_topology_t topo, hwloc_obj_t pu)
{
    if (pu->nodeset == NULL)
        return -1;
    for (int os = hwloc_bitmap_first(pu->nodeset); os >= 0;
         os = hwloc_bitmap_next(pu->nodeset, os)) {
        hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)os);
        if (node != NULL)
            return (int)node->logical_index;
    }
    return -1;
}

static sm_status describe_pu(hwloc_topology_t topo, const plan_scratch *sc, hwloc_obj_t pu,
                             pu_info *out, char *err, size_t err_len)
{
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_depth(topo, sc->core_depth, pu);
    hwloc_obj_t l3 = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_L3CACHE, pu);
    int node = pu_node(topo, pu);
    if (core == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "topology: PU P#%u has no core",
                             pu->os_index);
    if (node < 0 || node >= sc->n_topo_nodes)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "topology: PU P#%u has no NUMA node",
                             pu->os_index);
    out->os = (int)pu->os_index;
    out->pu = (int)pu->logical_index;
    out->core = (int)core->logical_index;
    out->l3 = l3 != NULL ? (int)l3->logical_index : -1;
    out->node = node;
    return SM_OK;
}

/* Fills sc->pus and sc->cores with the allowed PUs and their cores. Walking PUs by logical
 * index visits each core's PUs consecutively and the cores by logical index, because hwloc
 * numbers every level in the order of the tree. */
static sm_status collect(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, plan_scratch *sc,
                         char *err, size_t err_len)
{
    int n_topo_pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    sc->core_depth = hwloc_get_type_or_below_depth(topo, HWLOC_OBJ_CORE);
    sc->n_topo_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    if (n_topo_pus <= 0 || sc->core_depth < 0 || sc->n_topo_nodes <= 0)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "topology: empty (%d PUs, core depth %d, %d NUMA nodes)", n_topo_pus,
                             sc->core_depth, sc->n_topo_nodes);
    sc->n_topo_cores = (int)hwloc_get_nbobjs_by_depth(topo, sc->core_depth);
    sc->pus = calloc((size_t)n_topo_pus, sizeof *sc->pus);
    sc->cores = calloc((size_t)n_topo_pus, sizeof *sc->cores);
    if (sc->pus == NULL || sc->cores == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "plan: no memory for %d PUs", n_topo_pus);

    for (int i = 0; i < n_topo_pus; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
        if (pu == NULL || !hwloc_bitmap_isset(allowed, pu->os_index))
            continue;
        pu_info *p = &sc->pus[sc->n_pus];
        sm_status st = describe_pu(topo, sc, pu, p, err, err_len);
        if (st != SM_OK)
            return st;
        if (sc->n_pus == 0 || sc->pus[sc->n_pus - 1].core != p->core) {
            sc->cores[sc->n_cores].node = p->node;
            sc->cores[sc->n_cores].first_pu = sc->n_pus;
            sc->n_cores++;
        }
        sc->cores[sc->n_cores - 1].n_pus++;
        sc->n_pus++;
    }
    if (sc->n_pus == 0) {
        char set[128];
        if (hwloc_bitmap_list_snprintf(set, sizeof set, allowed) < 0)
            snprintf(set, sizeof set, "?");
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "allowed cpuset {%s}: contains none of the topology's %d PUs", set,
                             n_topo_pus);
    }
    return SM_OK;
}

/* Orders the cores: compact lists node 0's cores, then node 1's; spread takes the k-th core
 * of every node before the (k+1)-th of any. Within a node, cores stay in logical order. */
static sm_status order_cores(plan_scratch *sc, sm_placement placement, char *err, size_t err_len)
{
    int n_nodes = sc->n_topo_nodes;
    int *start = calloc((size_t)n_nodes + 1, sizeof *start); /* node n's run in by_node */
    int *by_node = calloc((size_t)sc->n_cores, sizeof *by_node);
    sc->order = calloc((size_t)sc->n_cores, sizeof *sc->order);
    if (start == NULL || by_node == NULL || sc->order == NULL) {
        free(by_node);
        free(start);
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "plan: no memory to order %d cores",
                             sc->n_cores);
    }
    /* nodes x cores steps: a few thousand even on the largest machines, once per plan. */
    int k = 0;
    for (int n = 0; n < n_nodes; n++) {
        start[n] = k;
        for (int c = 0; c < sc->n_cores; c++) {
            if (sc->cores[c].node == n)
                by_node[k++] = c;
        }
    }
    start[n_nodes] = k;

    if (placement == SM_PLACEMENT_COMPACT) {
        memcpy(sc->order, by_node, (size_t)sc->n_cores * sizeof *sc->order);
    } else {
        k = 0;
        for (int round = 0; k < sc->n_cores; round++) {
            for (int n = 0; n < n_nodes; n++) {
                if (round < start[n + 1] - start[n])
                    sc->order[k++] = by_node[start[n] + round];
            }
        }
    }
    free(by_node);
    free(start);
    return SM_OK;
}

/* Lists the PUs workers take in turn: each ordered core's first allowed PU; with use_smt,
 * then each core's second allowed PU in the same order, and so on. */
static sm_status fill_slots(plan_scratch *sc, int use_smt, char *err, size_t err_len)
{
    sc->n_slots = use_smt ? sc->n_pus : sc->n_cores;
    sc->slots = calloc((size_t)sc->n_slots, sizeof *sc->slots);
    if (sc->slots == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "plan: no memory for %d slots", sc->n_slots);
    int k = 0;
    for (int round = 0; k < sc->n_slots; round++) {
        for (int i = 0; i < sc->n_cores && k < sc->n_slots; i++) {
            const core_info *c = &sc->cores[sc->order[i]];
            if (round < c->n_pus)
                sc->slots[k++] = c->first_pu + round;
        }
    }
    return SM_OK;
}

static int distance_class(const sm_plan_worker *a, const sm_plan_worker *b)
{
    /* The node is tested first: an L3 spanning two nodes (sub-NUMA clustering) must not make
     * a remote victim look local, or n_local would lie. */
    if (a->node != b->node)
        return SM_PLAN_REMOTE;
    if (a->core == b->core)
        return SM_PLAN_SAME_CORE;
    if (a->l3 >= 0 && a->l3 == b->l3)
        return SM_PLAN_SAME_L3;
    return SM_PLAN_SAME_NODE;
}

/* Worker i's victims: class by class, and within a class in cyclic order i+1, i+2, ... so
 * that the workers of one L3 do not all try the same neighbour first. Four passes over the
 * workers replace a sort. */
static void fill_victims(sm_plan *plan, int i)
{
    sm_plan_worker *w = &plan->w[i];
    int n = plan->n_workers;
    int k = 0;
    for (int cls = SM_PLAN_SAME_CORE; cls <= SM_PLAN_REMOTE; cls++) {
        if (cls == SM_PLAN_REMOTE)
            w->n_local = k;
        for (int d = 1; d < n; d++) {
            int j = (i + d) % n;
            if (distance_class(w, &plan->w[j]) == cls)
                w->victims[k++] = j;
        }
    }
}

/* The count of objects of a type, also for types hwloc puts at several depths (caches,
 * groups) and for virtual levels (NUMA nodes). */
static int count_type(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    int depth = hwloc_get_type_depth(topo, type);
    if (depth == HWLOC_TYPE_DEPTH_UNKNOWN)
        return 0;
    if (depth != HWLOC_TYPE_DEPTH_MULTIPLE)
        return (int)hwloc_get_nbobjs_by_depth(topo, depth);
    int n = 0;
    int top = hwloc_topology_get_depth(topo);
    for (int d = 0; d < top; d++) {
        if (hwloc_get_depth_type(topo, d) == type)
            n += (int)hwloc_get_nbobjs_by_depth(topo, d);
    }
    return n;
}

static void describe_topology(hwloc_topology_t topo, const plan_scratch *sc, sm_plan *plan)
{
    int n_pack = count_type(topo, HWLOC_OBJ_PACKAGE);
    int n_node = sc->n_topo_nodes;
    int n_core = sc->n_topo_cores;
    int n_pu = count_type(topo, HWLOC_OBJ_PU);
    snprintf(plan->topology, sizeof plan->topology,
             "%d package%s, %d NUMA node%s, %d L3, %d core%s, %d PU%s", n_pack,
             n_pack == 1 ? "" : "s", n_node, n_node == 1 ? "" : "s",
             count_type(topo, HWLOC_OBJ_L3CACHE), n_core, n_core == 1 ? "" : "s", n_pu,
             n_pu == 1 ? "" : "s");
}

/* Allocates the plan block for n workers: the plan, w[n], then n * (n - 1) victim slots. */
static sm_status alloc_plan(int n, sm_plan **out, char *err, size_t err_len)
{
    size_t n_victims, victims_bytes, workers_bytes, bytes;
    if (__builtin_mul_overflow((size_t)n, (size_t)(n - 1), &n_victims) ||
        __builtin_mul_overflow(n_victims, sizeof(int), &victims_bytes) ||
        __builtin_mul_overflow((size_t)n, sizeof(sm_plan_worker), &workers_bytes) ||
        __builtin_add_overflow(sizeof(plan_block), workers_bytes, &bytes) ||
        __builtin_add_overflow(bytes, victims_bytes, &bytes))
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "n_threads %d: victim lists overflow size_t",
                             n);
    plan_block *b = calloc(1, bytes);
    if (b == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM,
                             "n_threads %d: no memory for %zu bytes of plan", n, bytes);
    int *victims = (int *)(void *)&b->w[n];
    b->plan.n_workers = n;
    b->plan.w = b->w;
    for (int i = 0; i < n; i++) {
        b->w[i].n_victims = n - 1;
        b->w[i].victims = victims + (size_t)i * (size_t)(n - 1);
    }
    *out = &b->plan;
    return SM_OK;
}

static sm_status check_params(hwloc_topology_t topo, const sm_plan_params *params, sm_plan **out,
                              char *err, size_t err_len)
{
    if (topo == NULL || params == NULL || out == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "sm_plan_build: %s is NULL",
                             topo == NULL     ? "topo"
                             : params == NULL ? "params"
                                              : "out");
    if (params->n_threads < 0)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "n_threads %d: must be >= 0 (0 = one per core)", params->n_threads);
    if (params->placement != SM_PLACEMENT_COMPACT && params->placement != SM_PLACEMENT_SPREAD)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "placement %d: neither compact (0) nor spread (1)",
                             (int)params->placement);
    return SM_OK;
}

/* Gives each worker its PU: worker i takes slot i, wrapping around when there are more
 * workers than slots (oversubscription). */
static sm_status place_workers(const plan_scratch *sc, sm_plan *plan, char *err, size_t err_len)
{
    bool *node_used = calloc((size_t)sc->n_topo_nodes, sizeof *node_used);
    if (node_used == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "plan: no memory for %d nodes",
                             sc->n_topo_nodes);
    for (int i = 0; i < plan->n_workers; i++) {
        const pu_info *p = &sc->pus[sc->slots[i % sc->n_slots]];
        sm_plan_worker *w = &plan->w[i];
        w->pu_os = p->os;
        w->pu = p->pu;
        w->core = p->core;
        w->l3 = p->l3;
        w->node = p->node;
        if (!node_used[p->node])
            plan->n_nodes++;
        node_used[p->node] = true;
    }
    free(node_used);
    plan->n_allowed_pus = sc->n_pus;
    plan->n_allowed_cores = sc->n_cores;
    return SM_OK;
}

sm_status sm_plan_build(hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                        const sm_plan_params *params, sm_plan **out, char *err, size_t err_len)
{
    if (err != NULL && err_len > 0)
        err[0] = '\0';
    plan_scratch sc = {0};
    sm_plan *plan = NULL;
    sm_status st = check_params(topo, params, out, err, err_len);
    if (st != SM_OK)
        return st;
    if (allowed == NULL)
        allowed = hwloc_topology_get_allowed_cpuset(topo);
    if ((st = collect(topo, allowed, &sc, err, err_len)) != SM_OK ||
        (st = order_cores(&sc, params->placement, err, err_len)) != SM_OK ||
        (st = fill_slots(&sc, params->use_smt, err, err_len)) != SM_OK ||
        (st = alloc_plan(params->n_threads > 0 ? params->n_threads : sc.n_cores, &plan, err,
                         err_len)) != SM_OK ||
        (st = place_workers(&sc, plan, err, err_len)) != SM_OK)
        goto fail;
    for (int i = 0; i < plan->n_workers; i++)
        fill_victims(plan, i);
    describe_topology(topo, &sc, plan);
    *out = plan;
    plan = NULL;
fail:
    sm_plan_free(plan);
    free(sc.slots);
    free(sc.order);
    free(sc.cores);
    free(sc.pus);
    return st;
}

void sm_plan_free(sm_plan *plan)
{
    /* plan is the first member of its plan_block, so this frees the whole block. */
    free(plan);
}

int sm_plan_distance(const sm_plan *plan, int a, int b)
{
    if (plan == NULL || a < 0 || b < 0 || a >= plan->n_workers || b >= plan->n_workers)
        return -1;
    return distance_class(&plan->w[a], &plan->w[b]);
}
