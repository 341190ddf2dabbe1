/* SPDX-License-Identifier: MIT */
/* sched.c: the scheduler's lifecycle: parameters, topology and plan, starting, binding and
 * stopping the workers, and the public getters. Running work is exec.c's job. */
#include "config.h"

#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/arena.h"
#include "alloc/slab.h"
#include "log.h"
#include "mem.h"
#include "topo.h"

/* Upper bounds that catch garbage in a params struct rather than limit real machines. */
#define SM_SCHED_MAX_THREADS 4096
#define SM_SCHED_MAX_SPIN_US 1000000

void sm_sched_params_init(sm_sched_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_threads = 0;
    p->placement = SM_PLACEMENT_COMPACT;
    p->pinning = SM_PINNING_ON;
    p->spin_us = -1;
    p->topology_source = SM_TOPOLOGY_SYSTEM;
    p->topology = NULL;
    p->use_smt = 0;
    p->scratch_bytes = 0;
}

static sm_status check_params(const sm_sched_params *p)
{
    if (p->n_threads < 0 || p->n_threads > SM_SCHED_MAX_THREADS) {
        sm_log(SM_LOG_ERROR, "sched: n_threads %d is outside [0, %d]", p->n_threads,
               SM_SCHED_MAX_THREADS);
        return SM_E_INVAL;
    }
    if (p->placement != SM_PLACEMENT_COMPACT && p->placement != SM_PLACEMENT_SPREAD) {
        sm_log(SM_LOG_ERROR, "sched: placement %d is neither compact (0) nor spread (1)",
               (int)p->placement);
        return SM_E_INVAL;
    }
    if (p->pinning != SM_PINNING_OFF && p->pinning != SM_PINNING_ON &&
        p->pinning != SM_PINNING_STRICT) {
        sm_log(SM_LOG_ERROR, "sched: pinning %d is not off (0), on (1) or strict (2)",
               (int)p->pinning);
        return SM_E_INVAL;
    }
    if (p->spin_us > SM_SCHED_MAX_SPIN_US) {
        sm_log(SM_LOG_ERROR, "sched: spin_us %d exceeds %d", p->spin_us, SM_SCHED_MAX_SPIN_US);
        return SM_E_INVAL;
    }
    if (p->topology_source != SM_TOPOLOGY_SYSTEM && p->topology_source != SM_TOPOLOGY_SYNTHETIC &&
        p->topology_source != SM_TOPOLOGY_XML) {
        sm_log(SM_LOG_ERROR, "sched: topology_source %d is not system, synthetic or xml",
               (int)p->topology_source);
        return SM_E_INVAL;
    }
    return SM_OK;
}

/* Makes worker @p id's scratch arena on its node. Called on the worker's own thread after it
 * is bound, so the slab's pages are first touched there even when memory binding is refused. */
static sm_status scratch_create(sm_sched *s, sm_worker *w)
{
    char name[32], err[256] = "";
    snprintf(name, sizeof name, "scratch[%d]", w->id);
    sm_status st = sm_arena_create(s->mem, name, s->plan->w[w->id].node, s->scratch_bytes,
                                   SM_SCHED_SCRATCH_FIRST_BYTES, &w->scratch, err, sizeof err);
    if (st != SM_OK)
        sm_log(SM_LOG_ERROR, "sched: worker %d: %s", w->id, err);
    /* Counters are an extra for statistics: without them (malloc backend) the run goes on. */
    if (sm_mem_thread_counters(&w->heap_allocated, &w->heap_deallocated) != SM_OK) {
        w->heap_allocated = NULL;
        w->heap_deallocated = NULL;
    }
    return st;
}

static void worker_free(sm_worker *w)
{
    if (w == NULL)
        return;
    sm_arena_free(w->scratch);
    sm_deque_fini(&w->dq);
    free(w);
}

/* Allocates worker @p id's state from the thread that will run it, after that thread is bound,
 * so the pages are first touched on the worker's NUMA node. */
static sm_status worker_alloc(sm_sched *s, int id)
{
    sm_worker *w = aligned_alloc(64, sizeof *w);
    if (w == NULL)
        return SM_E_NOMEM;
    memset(w, 0, sizeof *w);
    sm_status st = sm_deque_init(&w->dq, SM_DEQUE_CAPACITY);
    if (st != SM_OK) {
        free(w);
        return st;
    }
    w->s = s;
    w->id = id;
    w->n_victims = s->plan->w[id].n_victims;
    w->n_local = s->plan->w[id].n_local;
    w->victims = s->plan->w[id].victims;
    st = scratch_create(s, w);
    if (st != SM_OK) {
        worker_free(w);
        return st;
    }
    s->w[id] = w;
    return SM_OK;
}

struct start_arg {
    sm_sched *s;
    int id;
};

/* Records one worker's start-up outcome for sm_sched_create (under start_mu). */
static void report(sm_sched *s, int bind_err, sm_status alloc_status)
{
    if (bind_err != 0) {
        if (s->n_bind_failed++ == 0)
            s->first_bind_err = bind_err;
    }
    if (alloc_status != SM_OK && s->start_failed == 0)
        s->start_failed = alloc_status;
    s->n_reported++;
    pthread_cond_broadcast(&s->start_cv);
}

static void *worker_main(void *arg)
{
    struct start_arg a = *(struct start_arg *)arg;
    free(arg);
    sm_sched *s = a.s;
    int bind_err = 0;
    if (s->pinning != SM_PINNING_OFF)
        bind_err = sm_topo_bind_thread(s->topo, s->plan->w[a.id].pu_os);
    sm_status st = worker_alloc(s, a.id);

    pthread_mutex_lock(&s->start_mu);
    report(s, bind_err, st);
    while (!s->go)
        pthread_cond_wait(&s->start_cv, &s->start_mu);
    pthread_mutex_unlock(&s->start_mu);

    if (st == SM_OK)
        sm_worker_loop(s->w[a.id]);
    return NULL;
}

/* Stops and joins threads 1..n_started-1 and frees everything; safe on a half-built sched. */
static void destroy(sm_sched *s, int n_started)
{
    /* release: pairs with the acquire load of stop in sm_worker_loop; nothing is published
     * through it, but the loop must not outlive the state freed below. */
    atomic_store_explicit(&s->stop, 1, memory_order_release);
    pthread_mutex_lock(&s->start_mu);
    s->go = 1;
    pthread_cond_broadcast(&s->start_cv);
    pthread_mutex_unlock(&s->start_mu);
    sm_sched_wake(s);
    for (int i = 1; i < n_started; i++)
        pthread_join(s->threads[i], NULL);
    sm_topo_restore_binding(s->topo, s->saved_binding);
    if (s->w != NULL) {
        for (int i = 0; i < s->n_workers; i++)
            worker_free(s->w[i]);
    }
    free(s->w);
    free(s->threads);
    sm_mem_free(s->mem);
    sm_plan_free(s->plan);
    if (s->topo != NULL)
        hwloc_topology_destroy(s->topo);
    pthread_mutex_destroy(&s->root_lock);
    pthread_mutex_destroy(&s->start_mu);
    pthread_cond_destroy(&s->start_cv);
    free(s);
}

static sm_status load_plan(sm_sched *s, const sm_sched_params *p)
{
    char err[256] = "";
    sm_status st = sm_topo_load(p->topology_source, p->topology, &s->topo, err, sizeof err);
    if (st != SM_OK) {
        sm_log(SM_LOG_ERROR, "sched: %s", err);
        return st;
    }
    hwloc_bitmap_t allowed = sm_topo_allowed_cpuset(s->topo, p->topology_source);
    if (allowed == NULL)
        return SM_E_NOMEM;
    sm_plan_params pp = {p->n_threads, p->placement, p->use_smt};
    st = sm_plan_build(s->topo, allowed, &pp, &s->plan, err, sizeof err);
    int n_allowed = hwloc_bitmap_weight(allowed);
    hwloc_bitmap_free(allowed);
    if (st != SM_OK) {
        sm_log(SM_LOG_ERROR, "sched: %s", err);
        return st;
    }
    switch (p->topology_source) {
    case SM_TOPOLOGY_SYSTEM:
        snprintf(s->topology, sizeof s->topology, "%s (system, %d allowed)", s->plan->topology,
                 n_allowed);
        break;
    case SM_TOPOLOGY_SYNTHETIC:
        snprintf(s->topology, sizeof s->topology, "%s (synthetic \"%s\")", s->plan->topology,
                 p->topology);
        break;
    case SM_TOPOLOGY_XML:
        snprintf(s->topology, sizeof s->topology, "%s (xml %s)", s->plan->topology, p->topology);
        break;
    }
    return SM_OK;
}

/* Binds the caller as worker 0 and starts workers 1..n-1; *n_started counts threads created. */
static sm_status start_workers(sm_sched *s, int *n_started)
{
    int bind_err = 0;
    *n_started = 1;
    if (s->pinning != SM_PINNING_OFF) {
        s->saved_binding = sm_topo_save_binding(s->topo);
        bind_err = sm_topo_bind_thread(s->topo, s->plan->w[0].pu_os);
    }
    sm_status st = worker_alloc(s, 0);
    pthread_mutex_lock(&s->start_mu);
    report(s, bind_err, st);
    pthread_mutex_unlock(&s->start_mu);
    if (st != SM_OK)
        return st;

    for (int i = 1; i < s->n_workers; i++) {
        struct start_arg *a = malloc(sizeof *a);
        if (a == NULL)
            return SM_E_NOMEM;
        a->s = s;
        a->id = i;
        int rc = pthread_create(&s->threads[i], NULL, worker_main, a);
        if (rc != 0) {
            free(a);
            sm_log(SM_LOG_ERROR, "sched: cannot start worker thread %d of %d: %s", i, s->n_workers,
                   strerror(rc));
            return SM_E_SYS;
        }
        (*n_started)++;
    }
    pthread_mutex_lock(&s->start_mu);
    while (s->n_reported < s->n_workers)
        pthread_cond_wait(&s->start_cv, &s->start_mu);
    pthread_mutex_unlock(&s->start_mu);
    return s->start_failed != 0 ? (sm_status)s->start_failed : SM_OK;
}

static sm_status check_binding(sm_sched *s)
{
    if (s->n_bind_failed == 0)
        return SM_OK;
    if (s->pinning == SM_PINNING_STRICT) {
        sm_log(SM_LOG_ERROR, "sched: pinning is strict and %d of %d workers could not be bound: %s",
               s->n_bind_failed, s->n_workers, strerror(s->first_bind_err));
        return SM_E_SYS;
    }
    sm_log(SM_LOG_WARN,
           "sched: %d of %d workers could not be bound to their PU (%s); running "
           "them unpinned",
           s->n_bind_failed, s->n_workers, strerror(s->first_bind_err));
    return SM_OK;
}

sm_status sm_sched_create(const sm_sched_params *params, sm_sched **out)
{
    sm_sched_params defaults;
    if (params == NULL) {
        sm_sched_params_init(&defaults);
        params = &defaults;
    }
    if (out == NULL)
        return SM_E_INVAL;
    sm_status st = check_params(params);
    if (st != SM_OK)
        return st;

    sm_sched *s = aligned_alloc(64, sizeof *s);
    if (s == NULL)
        return SM_E_NOMEM;
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->root_lock, NULL);
    pthread_mutex_init(&s->start_mu, NULL);
    pthread_cond_init(&s->start_cv, NULL);
    s->pinning = params->pinning;

    int n_started = 0;
    st = load_plan(s, params);
    if (st != SM_OK)
        goto fail;
    s->n_workers = s->plan->n_workers;
    s->oversubscribed = s->n_workers > sm_topo_online_cpus();
    int spin_us = params->spin_us < 0 ? SM_SCHED_DEFAULT_SPIN_US : params->spin_us;
    s->spin_ns = s->oversubscribed ? 0 : (int64_t)spin_us * 1000;
    s->scratch_bytes =
        params->scratch_bytes == 0 ? SM_SCHED_DEFAULT_SCRATCH_BYTES : params->scratch_bytes;
    char err[256] = "";
    st = sm_mem_create(s->topo, &s->mem, err, sizeof err);
    if (st != SM_OK) {
        sm_log(SM_LOG_ERROR, "sched: %s", err);
        goto fail;
    }
    s->w = calloc((size_t)s->n_workers, sizeof *s->w);
    s->threads = calloc((size_t)s->n_workers, sizeof *s->threads);
    if (s->w == NULL || s->threads == NULL) {
        st = SM_E_NOMEM;
        goto fail;
    }
    st = start_workers(s, &n_started);
    if (st == SM_OK)
        st = check_binding(s);
    if (st != SM_OK)
        goto fail;

    pthread_mutex_lock(&s->start_mu);
    s->go = 1;
    pthread_cond_broadcast(&s->start_cv);
    pthread_mutex_unlock(&s->start_mu);
    sm_log(SM_LOG_INFO, "sched: %d workers on %s%s", s->n_workers, s->topology,
           s->oversubscribed ? ", oversubscribed: no spinning" : "");
    *out = s;
    return SM_OK;

fail:
    destroy(s, n_started);
    return st;
}

void sm_sched_free(sm_sched *s)
{
    if (s == NULL)
        return;
    destroy(s, s->n_workers);
}

int sm_sched_n_workers(const sm_sched *s)
{
    return s->n_workers;
}

sm_status sm_sched_worker_info(const sm_sched *s, int worker, sm_worker_info *out)
{
    if (s == NULL || out == NULL)
        return SM_E_INVAL;
    if (worker < 0 || worker >= s->n_workers)
        return SM_E_RANGE;
    const sm_plan_worker *pw = &s->plan->w[worker];
    sm_worker_info info;
    memset(&info, 0, sizeof info);
    info.pu = pw->pu_os;
    info.core = pw->core;
    info.l3 = pw->l3;
    info.node = pw->node;
    info.n_victims = pw->n_victims;
    info.n_local_victims = pw->n_local;
    int n_head = (int)(sizeof info.victims / sizeof info.victims[0]);
    for (int i = 0; i < n_head; i++)
        info.victims[i] = i < pw->n_victims ? pw->victims[i] : -1;
    *out = info;
    return SM_OK;
}

const char *sm_sched_topology_string(const sm_sched *s)
{
    return s->topology;
}

sm_status sm_sched_stats(const sm_sched *s, int worker, sm_worker_stats *out)
{
    if (s == NULL || out == NULL)
        return SM_E_INVAL;
    if (worker < 0 || worker >= s->n_workers)
        return SM_E_RANGE;
    const sm_worker_counters *c = &s->w[worker]->st;
    sm_worker_stats st = {
        .tasks_run = atomic_load_explicit(&c->tasks_run, memory_order_relaxed),
        .steals_local = atomic_load_explicit(&c->steals_local, memory_order_relaxed),
        .steals_remote = atomic_load_explicit(&c->steals_remote, memory_order_relaxed),
        .steals_failed = atomic_load_explicit(&c->steals_failed, memory_order_relaxed),
        .sleeps = atomic_load_explicit(&c->sleeps, memory_order_relaxed),
        .busy_ns = atomic_load_explicit(&c->busy_ns, memory_order_relaxed),
    };
    *out = st;
    return SM_OK;
}

sm_status sm_sched_alloc_stats(const sm_sched *s, int worker, sm_alloc_stats *out)
{
    if (s == NULL || out == NULL)
        return SM_E_INVAL;
    if (worker < 0 || worker >= s->n_workers)
        return SM_E_RANGE;
    const sm_worker *w = s->w[worker];
    sm_arena_stats as;
    sm_arena_get_stats(w->scratch, &as);
    sm_alloc_stats st = {
        .scratch_used_bytes = as.used_bytes,
        .scratch_high_water_bytes = as.high_water_bytes,
        .scratch_capacity_bytes = as.capacity_bytes,
        .scratch_slab_bytes = as.slab_bytes,
        .scratch_grows = as.n_grows,
        .heap_allocated_bytes = w->heap_allocated != NULL ? *w->heap_allocated : 0,
        .heap_deallocated_bytes = w->heap_deallocated != NULL ? *w->heap_deallocated : 0,
        .heap_counted = w->heap_allocated != NULL,
    };
    *out = st;
    return SM_OK;
}

sm_mem *sm_sched_mem(sm_sched *s)
{
    return s->mem;
}

sm_arena *sm_sched_scratch(sm_sched *s, int worker)
{
    if (worker < 0 || worker >= s->n_workers)
        return NULL;
    return s->w[worker]->scratch;
}
