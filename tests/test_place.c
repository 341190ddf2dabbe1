/* SPDX-License-Identifier: MIT */
/* test_place.c: the weight placement policy (alloc/place.c): plans for none, interleave and
 * replicate on 2- and 4-node synthetic machines (which node holds which copy, which worker
 * reads which, the refusal when copies do not fit), the no-op on one node, and carrying a plan
 * out on a synthetic machine (copies filled, each worker given its node's copy). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "alloc/place.h"
#include "alloc/slab.h"
#include "sched/plan.h"
#include "sm_test.h"

#define GB ((uint64_t)1000000000) /* hwloc's synthetic "GB" */

static hwloc_topology_t load_synthetic(const char *desc)
{
    hwloc_topology_t topo;
    ck_assert_int_eq(hwloc_topology_init(&topo), 0);
    if (desc != NULL)
        ck_assert_msg(hwloc_topology_set_synthetic(topo, desc) == 0, "hwloc rejects fixture \"%s\"",
                      desc);
    ck_assert_int_eq(hwloc_topology_load(topo), 0);
    return topo;
}

/* A machine and its workers, as the placement plan sees them. */
typedef struct machine {
    hwloc_topology_t topo;
    sm_plan *plan;
    int worker_node[64];
    uint64_t free_bytes[16];
    sm_place_input in;
} machine;

static void machine_init(machine *m, const char *desc, int n_threads, sm_placement placement,
                         uint64_t weight_bytes)
{
    memset(m, 0, sizeof *m);
    m->topo = load_synthetic(desc);
    sm_plan_params pp = {.n_threads = n_threads, .placement = placement};
    char err[256] = "";
    ck_assert_msg(sm_plan_build(m->topo, NULL, &pp, &m->plan, err, sizeof err) == SM_OK, "%s", err);
    ck_assert_int_le(m->plan->n_workers, 64);
    for (int w = 0; w < m->plan->n_workers; w++)
        m->worker_node[w] = m->plan->w[w].node;
    int n_nodes = hwloc_get_nbobjs_by_type(m->topo, HWLOC_OBJ_NUMANODE);
    ck_assert_int_le(n_nodes, 16);
    sm_place_node_free(m->topo, m->free_bytes, n_nodes);
    m->in = (sm_place_input){.n_nodes = n_nodes,
                             .node_free_bytes = m->free_bytes,
                             .n_workers = m->plan->n_workers,
                             .worker_node = m->worker_node,
                             .weight_bytes = weight_bytes};
}

static void machine_fini(machine *m)
{
    sm_plan_free(m->plan);
    hwloc_topology_destroy(m->topo);
}

static sm_place_plan *plan_ok(const machine *m, sm_place_policy policy)
{
    sm_place_plan *p = NULL;
    char err[256] = "";
    sm_status st = sm_place_plan_build(&m->in, policy, &p, err, sizeof err);
    ck_assert_msg(st == SM_OK, "%s plan: %s (%s)", sm_place_policy_name(policy), sm_status_name(st),
                  err);
    return p;
}

static void assert_ints(const char *what, const int *got, const int *want, int n)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s[%d] = %d, expected %d", what, i, got[i], want[i]);
}

/* ---- two nodes ------------------------------------------------------------------------------ */

START_TEST(test_place_two_nodes_replicate_one_copy_per_node)
{
    machine m;
    machine_init(&m, "pack:2 [numa(memory=4GB)] core:2 pu:1", 4, SM_PLACEMENT_COMPACT, GB);
    ck_assert_uint_eq(m.free_bytes[0], 4 * GB); /* the synthetic size stands for free memory */
    ck_assert_uint_eq(m.free_bytes[1], 4 * GB);
    sm_place_plan *p = plan_ok(&m, SM_PLACE_REPLICATE);
    ck_assert_int_eq(p->effective, SM_PLACE_REPLICATE);
    ck_assert_int_eq(p->n_used, 2);
    ck_assert_int_eq(p->n_copies, 2);
    static const int copy_node[] = {0, 1}, node_copy[] = {0, 1};
    static const int worker_copy[] = {0, 0, 1, 1}; /* compact: workers 0, 1 on node 0 */
    assert_ints("copy_node", p->copy_node, copy_node, 2);
    assert_ints("node_copy", p->node_copy, node_copy, 2);
    assert_ints("worker_copy", p->worker_copy, worker_copy, 4);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

START_TEST(test_place_two_nodes_interleave_and_none)
{
    machine m;
    machine_init(&m, "pack:2 [numa(memory=4GB)] core:2 pu:1", 2, SM_PLACEMENT_SPREAD, 9 * GB);
    /* Interleaving never needs room for a whole copy: 9 GB over two 4 GB nodes is planned. */
    sm_place_plan *p = plan_ok(&m, SM_PLACE_INTERLEAVE);
    ck_assert_int_eq(p->effective, SM_PLACE_INTERLEAVE);
    static const int used[] = {0, 1}, none[] = {-1, -1};
    ck_assert_int_eq(p->n_used, 2);
    assert_ints("used", p->used, used, 2);
    ck_assert_int_eq(p->n_copies, 0);
    assert_ints("worker_copy", p->worker_copy, none, 2);
    sm_place_plan_free(p);
    p = plan_ok(&m, SM_PLACE_NONE);
    ck_assert_int_eq(p->effective, SM_PLACE_NONE);
    ck_assert_int_eq(p->n_copies, 0);
    assert_ints("worker_copy", p->worker_copy, none, 2);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

START_TEST(test_place_two_nodes_replicate_refused_when_copy_does_not_fit)
{
    machine m;
    machine_init(&m, "pack:2 [numa(memory=4GB)] core:2 pu:1", 4, SM_PLACEMENT_COMPACT, 5 * GB);
    sm_place_plan *p = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_place_plan_build(&m.in, SM_PLACE_REPLICATE, &p, err, sizeof err),
                     SM_E_NOMEM);
    ck_assert_ptr_null(p);
    ck_assert_msg(strstr(err, "node 0") && strstr(err, "5000000000") && strstr(err, "4000000000"),
                  "message: %s", err);
    /* Exactly the free size fits. */
    m.in.weight_bytes = 4 * GB;
    p = plan_ok(&m, SM_PLACE_REPLICATE);
    ck_assert_int_eq(p->n_copies, 2);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

/* All workers on one node of two: nothing to spread or copy, whatever the size. */
START_TEST(test_place_workers_on_one_node_is_a_no_op)
{
    machine m;
    machine_init(&m, "pack:2 [numa(memory=4GB)] core:2 pu:1", 2, SM_PLACEMENT_COMPACT, 100 * GB);
    for (int policy = SM_PLACE_NONE; policy <= SM_PLACE_REPLICATE; policy++) {
        sm_place_plan *p = plan_ok(&m, (sm_place_policy)policy);
        ck_assert_int_eq(p->policy, policy);
        ck_assert_int_eq(p->effective, SM_PLACE_NONE);
        ck_assert_int_eq(p->n_used, 1);
        ck_assert_int_eq(p->used[0], 0);
        ck_assert_int_eq(p->n_copies, 0);
        ck_assert_int_eq(p->worker_copy[0], -1);
        ck_assert_int_eq(p->worker_copy[1], -1);
        sm_place_plan_free(p);
    }
    machine_fini(&m);
}
END_TEST

/* ---- four nodes ----------------------------------------------------------------------------- */

START_TEST(test_place_four_nodes_spread_replicates_everywhere)
{
    machine m;
    machine_init(&m, "pack:4 [numa(memory=2GB)] core:2 pu:1", 6, SM_PLACEMENT_SPREAD, GB);
    /* spread: workers 0..5 on nodes 0, 1, 2, 3, 0, 1. */
    static const int nodes[] = {0, 1, 2, 3, 0, 1};
    assert_ints("worker_node", m.worker_node, nodes, 6);
    sm_place_plan *p = plan_ok(&m, SM_PLACE_REPLICATE);
    ck_assert_int_eq(p->n_copies, 4);
    static const int copy_node[] = {0, 1, 2, 3}, worker_copy[] = {0, 1, 2, 3, 0, 1};
    assert_ints("copy_node", p->copy_node, copy_node, 4);
    assert_ints("worker_copy", p->worker_copy, worker_copy, 6);
    sm_place_plan_free(p);
    p = plan_ok(&m, SM_PLACE_INTERLEAVE);
    ck_assert_int_eq(p->n_used, 4);
    assert_ints("used", p->used, copy_node, 4);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

/* Compact with 4 of 8 cores fills nodes 0 and 1 only: copies there, none on 2 and 3, so a
 * small node 2 does not matter; spread reaches node 2 and is refused, naming it. */
START_TEST(test_place_four_nodes_only_used_nodes_need_room)
{
    machine m;
    machine_init(&m, "pack:4 [numa(memory=8GB)] core:2 pu:1", 4, SM_PLACEMENT_COMPACT, 2 * GB);
    m.free_bytes[2] = 1 * GB;
    sm_place_plan *p = plan_ok(&m, SM_PLACE_REPLICATE);
    static const int copy_node[] = {0, 1}, node_copy[] = {0, 1, -1, -1};
    static const int worker_copy[] = {0, 0, 1, 1};
    ck_assert_int_eq(p->n_copies, 2);
    assert_ints("copy_node", p->copy_node, copy_node, 2);
    assert_ints("node_copy", p->node_copy, node_copy, 4);
    assert_ints("worker_copy", p->worker_copy, worker_copy, 4);
    sm_place_plan_free(p);
    machine_fini(&m);

    machine_init(&m, "pack:4 [numa(memory=8GB)] core:2 pu:1", 4, SM_PLACEMENT_SPREAD, 2 * GB);
    m.free_bytes[2] = 1 * GB;
    char err[256] = "";
    p = NULL;
    ck_assert_int_eq(sm_place_plan_build(&m.in, SM_PLACE_REPLICATE, &p, err, sizeof err),
                     SM_E_NOMEM);
    ck_assert_msg(strstr(err, "node 2") && strstr(err, "2000000000") && strstr(err, "1000000000"),
                  "message: %s", err);
    /* Interleave is still possible there. */
    p = plan_ok(&m, SM_PLACE_INTERLEAVE);
    ck_assert_int_eq(p->n_used, 4);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

/* Sub-NUMA clustering: two nodes per package. Compact with 6 workers: nodes 0, 0, 1, 1, 2, 2. */
START_TEST(test_place_four_nodes_two_per_package)
{
    machine m;
    machine_init(&m, "pack:2 numa:2(memory=2GB) core:2 pu:1", 6, SM_PLACEMENT_COMPACT, GB);
    ck_assert_int_eq(m.in.n_nodes, 4);
    sm_place_plan *p = plan_ok(&m, SM_PLACE_REPLICATE);
    static const int copy_node[] = {0, 1, 2}, worker_copy[] = {0, 0, 1, 1, 2, 2};
    ck_assert_int_eq(p->n_copies, 3);
    assert_ints("copy_node", p->copy_node, copy_node, 3);
    assert_ints("worker_copy", p->worker_copy, worker_copy, 6);
    ck_assert_int_eq(p->node_copy[3], -1);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

START_TEST(test_place_rejects_bad_input)
{
    uint64_t free_bytes[2] = {GB, GB};
    int nodes[2] = {0, 2};
    sm_place_input in = {.n_nodes = 2,
                         .node_free_bytes = free_bytes,
                         .n_workers = 2,
                         .worker_node = nodes,
                         .weight_bytes = 1};
    sm_place_plan *p = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_place_plan_build(&in, SM_PLACE_NONE, &p, err, sizeof err), SM_E_INVAL);
    ck_assert_msg(strstr(err, "worker 1") && strstr(err, "node 2"), "message: %s", err);
    nodes[1] = 1;
    ck_assert_int_eq(sm_place_plan_build(&in, (sm_place_policy)7, &p, err, sizeof err), SM_E_INVAL);
    ck_assert_msg(strstr(err, "7") != NULL, "message: %s", err);
    in.n_workers = 0;
    ck_assert_int_eq(sm_place_plan_build(&in, SM_PLACE_NONE, &p, err, sizeof err), SM_E_INVAL);
    ck_assert_int_eq(sm_place_plan_build(NULL, SM_PLACE_NONE, &p, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_null(p);
    ck_assert_str_eq(sm_place_policy_name(SM_PLACE_REPLICATE), "replicate");
    ck_assert_str_eq(sm_place_policy_name((sm_place_policy)9), "unknown");
}
END_TEST

/* ---- carrying plans out ------------------------------------------------------------------- */

static unsigned char *make_weights(size_t n)
{
    unsigned char *w = malloc(n);
    ck_assert_ptr_nonnull(w);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        w[i] = (unsigned char)(x >> 24);
    }
    return w;
}

/* On a synthetic two-node machine: two copies, each equal to the weights, each from its node's
 * pool; workers get their node's copy. */
START_TEST(test_place_apply_replicate_gives_each_worker_its_node_copy)
{
    size_t bytes = 300 * 1000 + 7;
    machine m;
    machine_init(&m, "pack:2 [numa(memory=4GB)] core:2 pu:1", 4, SM_PLACEMENT_SPREAD, bytes);
    sm_place_plan *p = plan_ok(&m, SM_PLACE_REPLICATE);
    sm_mem *mem = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_mem_create(m.topo, &mem, err, sizeof err), SM_OK);
    unsigned char *w = make_weights(bytes);
    sm_placed *pl = NULL;
    ck_assert_msg(sm_place_apply(mem, p, w, bytes, &pl, err, sizeof err) == SM_OK, "%s", err);
    /* spread: workers 0..3 on nodes 0, 1, 0, 1. */
    const void *c0 = sm_placed_weights(pl, 0, w), *c1 = sm_placed_weights(pl, 1, w);
    ck_assert_ptr_ne(c0, w);
    ck_assert_ptr_ne(c1, w);
    ck_assert_ptr_ne(c0, c1);
    ck_assert_ptr_eq(sm_placed_weights(pl, 2, w), c0);
    ck_assert_ptr_eq(sm_placed_weights(pl, 3, w), c1);
    ck_assert_int_eq(memcmp(c0, w, bytes), 0);
    ck_assert_int_eq(memcmp(c1, w, bytes), 0);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), bytes);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 1), bytes);
#ifdef SM_ARENA_JEMALLOC
    ck_assert_int_eq(sm_mem_slab_pool(mem, c0), 0);
    ck_assert_int_eq(sm_mem_slab_pool(mem, c1), 1);
#endif
    sm_placed_free(pl);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), 0);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 1), 0);
    ck_assert_int_eq(sm_place_apply(mem, p, w, bytes - 1, &pl, err, sizeof err), SM_E_INVAL);
    free(w);
    sm_mem_free(mem);
    sm_place_plan_free(p);
    machine_fini(&m);
}
END_TEST

/* This machine (one node): every policy is a no-op that leaves every worker on the mapping. */
START_TEST(test_place_apply_on_this_machine_is_a_no_op)
{
    hwloc_topology_t topo = load_synthetic(NULL);
    sm_plan_params pp = {.n_threads = 2, .placement = SM_PLACEMENT_COMPACT};
    sm_plan *plan = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_plan_build(topo, NULL, &pp, &plan, err, sizeof err), SM_OK);
    int n_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    uint64_t free_bytes[64];
    ck_assert_int_le(n_nodes, 64);
    sm_place_node_free(topo, free_bytes, n_nodes);
    hwloc_obj_t node0 = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0);
    ck_assert_uint_gt(free_bytes[0], 0);
    if (node0->attr->numanode.local_memory > 0)
        ck_assert_uint_le(free_bytes[0], node0->attr->numanode.local_memory);
    int worker_node[2] = {plan->w[0].node, plan->w[1].node};
    size_t bytes = 64 * 1024;
    sm_place_input in = {n_nodes, free_bytes, 2, worker_node, bytes};
    sm_mem *mem = NULL;
    ck_assert_int_eq(sm_mem_create(topo, &mem, err, sizeof err), SM_OK);
    unsigned char *w = make_weights(bytes);
    for (int policy = SM_PLACE_NONE; policy <= SM_PLACE_REPLICATE; policy++) {
        sm_place_plan *p = NULL;
        ck_assert_int_eq(sm_place_plan_build(&in, (sm_place_policy)policy, &p, err, sizeof err),
                         SM_OK);
        if (n_nodes == 1)
            ck_assert_int_eq(p->effective, SM_PLACE_NONE);
        sm_placed *pl = NULL;
        ck_assert_int_eq(sm_place_apply(mem, p, w, bytes, &pl, err, sizeof err), SM_OK);
        if (p->effective != SM_PLACE_REPLICATE) {
            ck_assert_ptr_eq(sm_placed_weights(pl, 0, w), w);
            ck_assert_ptr_eq(sm_placed_weights(pl, 1, w), w);
        }
        sm_placed_free(pl);
        sm_place_plan_free(p);
    }
    free(w);
    sm_mem_free(mem);
    sm_plan_free(plan);
    hwloc_topology_destroy(topo);
}
END_TEST

static Suite *place_suite(void)
{
    Suite *s = suite_create("place");
    TCase *plan = tcase_create("plan");
    tcase_add_test(plan, test_place_two_nodes_replicate_one_copy_per_node);
    tcase_add_test(plan, test_place_two_nodes_interleave_and_none);
    tcase_add_test(plan, test_place_two_nodes_replicate_refused_when_copy_does_not_fit);
    tcase_add_test(plan, test_place_workers_on_one_node_is_a_no_op);
    tcase_add_test(plan, test_place_four_nodes_spread_replicates_everywhere);
    tcase_add_test(plan, test_place_four_nodes_only_used_nodes_need_room);
    tcase_add_test(plan, test_place_four_nodes_two_per_package);
    tcase_add_test(plan, test_place_rejects_bad_input);
    suite_add_tcase(s, plan);

    TCase *apply = tcase_create("apply");
    tcase_add_test(apply, test_place_apply_replicate_gives_each_worker_its_node_copy);
    tcase_add_test(apply, test_place_apply_on_this_machine_is_a_no_op);
    suite_add_tcase(s, apply);
    return s;
}

int main(void)
{
    return sm_test_run(place_suite());
}
