/* SPDX-License-Identifier: MIT */
/* place.c: the weight placement plan (pure) and carrying it out (interleave the mapping, or
 * fill one node-local copy per node from a thread on that node). */
#include "config.h"

#include "place.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"
#include "membind.h"

const char *sm_place_policy_name(sm_place_policy policy)
{
    switch (policy) {
    case SM_PLACE_NONE:
        return "none";
    case SM_PLACE_INTERLEAVE:
        return "interleave";
    case SM_PLACE_REPLICATE:
        return "replicate";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------------------------------
 * The plan
 * ------------------------------------------------------------------------------------------ */

static sm_status check_input(const sm_place_input *in, sm_place_policy policy, char *err,
                             size_t err_len)
{
    if (policy != SM_PLACE_NONE && policy != SM_PLACE_INTERLEAVE && policy != SM_PLACE_REPLICATE)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "weight placement: policy %d is not none, interleave or replicate",
                             (int)policy);
    if (in == NULL || in->n_nodes < 1 || in->n_workers < 1 || in->node_free_bytes == NULL ||
        in->worker_node == NULL)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "weight placement: no nodes, no workers or a missing array");
    for (int w = 0; w < in->n_workers; w++) {
        if (in->worker_node[w] < 0 || in->worker_node[w] >= in->n_nodes)
            return sm_errbuf_set(err, err_len, SM_E_INVAL,
                                 "weight placement: worker %d is on node %d, not in [0, %d)", w,
                                 in->worker_node[w], in->n_nodes);
    }
    return SM_OK;
}

/* Every used node must hold a whole copy; the first one that cannot is named. */
static sm_status plan_replicate(const sm_place_input *in, sm_place_plan *p, char *err,
                                size_t err_len)
{
    for (int c = 0; c < p->n_used; c++) {
        int node = p->used[c];
        if (in->node_free_bytes[node] < in->weight_bytes)
            return sm_errbuf_set(
                err, err_len, SM_E_NOMEM,
                "weight placement: replicate needs a copy of the weights (%" PRIu64
                " bytes) on each of the %d nodes hosting workers, but NUMA node %d has %" PRIu64
                " bytes free; use interleave or none",
                in->weight_bytes, p->n_used, node, in->node_free_bytes[node]);
    }
    p->n_copies = p->n_used;
    for (int c = 0; c < p->n_copies; c++) {
        p->copy_node[c] = p->used[c];
        p->node_copy[p->used[c]] = c;
    }
    for (int w = 0; w < p->n_workers; w++)
        p->worker_copy[w] = p->node_copy[in->worker_node[w]];
    return SM_OK;
}

sm_status sm_place_plan_build(const sm_place_input *in, sm_place_policy policy, sm_place_plan **out,
                              char *err, size_t err_len)
{
    sm_status st = check_input(in, policy, err, err_len);
    if (st != SM_OK)
        return st;
    sm_place_plan *p = calloc(1, sizeof *p);
    if (p == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "weight placement: no memory for a plan");
    size_t nn = (size_t)in->n_nodes;
    p->used = calloc(nn, sizeof *p->used);
    p->copy_node = calloc(nn, sizeof *p->copy_node);
    p->node_copy = calloc(nn, sizeof *p->node_copy);
    p->worker_copy = calloc((size_t)in->n_workers, sizeof *p->worker_copy);
    if (p->used == NULL || p->copy_node == NULL || p->node_copy == NULL || p->worker_copy == NULL) {
        st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "weight placement: no memory for a plan");
        goto fail;
    }
    p->policy = policy;
    p->n_nodes = in->n_nodes;
    p->n_workers = in->n_workers;
    p->weight_bytes = in->weight_bytes;
    /* node_copy doubles as the "hosts a worker" mark until the copies are numbered. */
    for (int n = 0; n < in->n_nodes; n++)
        p->node_copy[n] = -1;
    for (int w = 0; w < in->n_workers; w++) {
        p->worker_copy[w] = -1;
        p->node_copy[in->worker_node[w]] = 0;
    }
    for (int n = 0; n < in->n_nodes; n++) {
        if (p->node_copy[n] == 0)
            p->used[p->n_used++] = n;
        p->node_copy[n] = -1;
    }
    p->effective = p->n_used >= 2 ? policy : SM_PLACE_NONE;
    if (p->effective == SM_PLACE_REPLICATE) {
        st = plan_replicate(in, p, err, err_len);
        if (st != SM_OK)
            goto fail;
    }
    *out = p;
    return SM_OK;
fail:
    sm_place_plan_free(p);
    return st;
}

void sm_place_plan_free(sm_place_plan *p)
{
    if (p == NULL)
        return;
    free(p->used);
    free(p->copy_node);
    free(p->node_copy);
    free(p->worker_copy);
    free(p);
}

/* MemFree of node @p os_index from sysfs, in bytes; 0 when unreadable. */
static uint64_t sysfs_mem_free(unsigned os_index)
{
    char path[96], line[256];
    snprintf(path, sizeof path, "/sys/devices/system/node/node%u/meminfo", os_index);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    uint64_t kib = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        const char *at = strstr(line, "MemFree:");
        if (at != NULL) {
            if (sscanf(at + strlen("MemFree:"), "%" SCNu64, &kib) != 1)
                kib = 0;
            break;
        }
    }
    fclose(f);
    return kib * 1024;
}

void sm_place_node_free(hwloc_topology_t topo, uint64_t *free_bytes, int n_nodes)
{
    int this_system = hwloc_topology_is_thissystem(topo);
    for (int n = 0; n < n_nodes; n++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)n);
        uint64_t bytes = 0;
        if (node != NULL && this_system)
            bytes = sysfs_mem_free(node->os_index);
        if (node != NULL && bytes == 0)
            bytes = node->attr->numanode.local_memory;
        free_bytes[n] = bytes;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Carrying it out
 * ------------------------------------------------------------------------------------------ */

struct sm_placed {
    sm_mem *mem;
    const sm_place_plan *plan;
    size_t bytes;
    void **copy;         /* [plan->n_copies] */
    unsigned char touch; /* what faulting the mapping in read; kept so the reads stay */
};

/* One replica, filled by a thread bound to its node's CPUs. */
typedef struct fill_job {
    sm_mem *mem;
    int node;
    const void *src;
    size_t bytes;
    void *copy;
    sm_status st;
    char err[192];
} fill_job;

static void *fill_main(void *arg)
{
    fill_job *j = arg;
    hwloc_topology_t topo = sm_mem_topology(j->mem);
    hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, (unsigned)j->node);
    /* Binding the thread only decides placement when memory binding was refused; if the CPUs
     * cannot be bound either, the copy still works, merely placed wherever this thread ran. */
    if (node == NULL || node->cpuset == NULL || hwloc_bitmap_iszero(node->cpuset) ||
        hwloc_set_cpubind(topo, node->cpuset, HWLOC_CPUBIND_THREAD) < 0)
        sm_log(SM_LOG_DEBUG, "weight placement: copy for node %d filled by an unbound thread",
               j->node);
    j->st = sm_mem_slab_get(j->mem, j->node, j->bytes, &j->copy, j->err, sizeof j->err);
    if (j->st == SM_OK)
        memcpy(j->copy, j->src, j->bytes);
    return NULL;
}

static sm_status replicate(sm_placed *pl, const void *map, char *err, size_t err_len)
{
    const sm_place_plan *plan = pl->plan;
    int n = plan->n_copies;
    fill_job *jobs = calloc((size_t)n, sizeof *jobs);
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    sm_status st = SM_OK;
    if (jobs == NULL || threads == NULL) {
        st = sm_errbuf_set(err, err_len, SM_E_NOMEM, "weight placement: no memory for %d jobs", n);
        goto done;
    }
    int started = 0;
    for (; started < n; started++) {
        fill_job *j = &jobs[started];
        *j = (fill_job){.mem = pl->mem,
                        .node = plan->copy_node[started],
                        .src = map,
                        .bytes = pl->bytes,
                        .st = SM_OK};
        int rc = pthread_create(&threads[started], NULL, fill_main, j);
        if (rc != 0) {
            st = sm_errbuf_set(err, err_len, SM_E_SYS,
                               "weight placement: cannot start the thread that fills the copy "
                               "for node %d: %s",
                               j->node, strerror(rc));
            break;
        }
    }
    for (int c = 0; c < started; c++) {
        pthread_join(threads[c], NULL);
        pl->copy[c] = jobs[c].copy;
        if (jobs[c].st != SM_OK && st == SM_OK)
            st = sm_errbuf_set(err, err_len, jobs[c].st, "weight placement: copy for node %d: %s",
                               jobs[c].node, jobs[c].err);
    }
done:
    free(threads);
    free(jobs);
    return st;
}

static void interleave(sm_placed *pl, const void *map)
{
    const sm_place_plan *plan = pl->plan;
    hwloc_topology_t topo = sm_mem_topology(pl->mem);
    if (!hwloc_topology_is_thissystem(topo))
        return; /* the nodes of a described machine are not here to interleave over */
    int e = sm_membind_area_interleave(topo, map, pl->bytes, plan->used, plan->n_used);
    if (e != 0)
        sm_log(SM_LOG_WARN, "weight placement: interleaving the mapped weights refused (%s)",
               strerror(e));
    hwloc_bitmap_t saved = hwloc_bitmap_alloc();
    hwloc_membind_policy_t saved_policy = HWLOC_MEMBIND_DEFAULT;
    if (saved == NULL)
        return;
    e = sm_membind_thread_interleave(topo, plan->used, plan->n_used, saved, &saved_policy);
    if (e != 0) {
        sm_log(SM_LOG_WARN, "weight placement: interleaved page faults refused (%s)", strerror(e));
        hwloc_bitmap_free(saved);
        return;
    }
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    const unsigned char *c = map;
    unsigned char x = 0;
    for (size_t off = 0; off < pl->bytes; off += page)
        x ^= c[off];
    pl->touch = x;
    sm_membind_thread_restore(topo, saved, saved_policy);
    hwloc_bitmap_free(saved);
}

sm_status sm_place_apply(sm_mem *mem, const sm_place_plan *plan, const void *map, size_t bytes,
                         sm_placed **out, char *err, size_t err_len)
{
    if (bytes != plan->weight_bytes)
        return sm_errbuf_set(err, err_len, SM_E_INVAL,
                             "weight placement: %zu bytes given, the plan is for %" PRIu64, bytes,
                             plan->weight_bytes);
    sm_placed *pl = calloc(1, sizeof *pl);
    if (pl == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "weight placement: no memory");
    pl->mem = mem;
    pl->plan = plan;
    pl->bytes = bytes;
    sm_status st = SM_OK;
    if (plan->effective == SM_PLACE_REPLICATE && bytes > 0) {
        pl->copy = calloc((size_t)plan->n_copies, sizeof *pl->copy);
        st = pl->copy == NULL
                 ? sm_errbuf_set(err, err_len, SM_E_NOMEM, "weight placement: no memory")
                 : replicate(pl, map, err, err_len);
    } else if (plan->effective == SM_PLACE_INTERLEAVE) {
        interleave(pl, map);
    }
    if (st != SM_OK) {
        sm_placed_free(pl);
        return st;
    }
    *out = pl;
    return SM_OK;
}

const void *sm_placed_weights(const sm_placed *pl, int worker, const void *map)
{
    const sm_place_plan *plan = pl->plan;
    if (pl->copy == NULL || worker < 0 || worker >= plan->n_workers)
        return map;
    int c = plan->worker_copy[worker];
    return c >= 0 ? pl->copy[c] : map;
}

void sm_placed_free(sm_placed *pl)
{
    if (pl == NULL)
        return;
    if (pl->copy != NULL) {
        for (int c = 0; c < pl->plan->n_copies; c++)
            sm_mem_slab_put(pl->mem, pl->plan->copy_node[c], pl->copy[c], pl->bytes);
    }
    free(pl->copy);
    free(pl);
}

uint64_t sm_placed_copy_bytes(const sm_placed *placed)
{
    if (!placed)
        return 0;
    uint64_t n = 0;
    for (int i = 0; i < placed->plan->n_copies; i++)
        if (placed->copy[i])
            n += placed->bytes;
    return n;
}
