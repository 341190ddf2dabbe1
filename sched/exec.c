/* SPDX-License-Identifier: MIT */
/* exec.c: running work: stealing in plan order, joining by helping, parking on a futex, lazy
 * binary splitting for ranges, and task groups. */
#include "config.h"

#include "internal.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* initial-exec: the library is linked, not dlopen'ed, by its users, and this makes the access
 * a single %fs-relative load instead of a __tls_get_addr call on every region. */
_Thread_local sm_worker *sm_tls_worker __attribute__((tls_model("initial-exec")));

/* A region shorter than this many halvings cannot need more offered pieces per frame. */
#define SM_MAX_SPLITS 48

struct sm_range_job {
    sm_range_fn fn;
    void *ctx;
    size_t grain;
    size_t eager; /* ranges longer than this are offered even when the deque is not empty */
};

static inline void count(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One polite wait step. The pause hint lets an SMT sibling run and saves power; it is not SIMD
 * code, so it may live outside kernels/. When workers outnumber CPUs, spinning would steal the
 * CPU from the very thread being waited for, so yield instead. */
static inline void relax(const sm_sched *s)
{
    if (s->oversubscribed) {
        sched_yield();
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Returns on a wake, a signal, the timeout (NULL: none), or at once when *word != expected;
 * the caller re-checks in every case. */
static void futex_wait(_Atomic uint32_t *word, uint32_t expected, const struct timespec *timeout)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, timeout, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word)
{
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void sm_sched_wake(sm_sched *s)
{
    /* seq_cst: Dekker pair with park(), which raises n_sleeping and then reads epoch: either
     * the sleeper sees the new epoch and stays up, or this load sees it and wakes it. */
    atomic_fetch_add_explicit(&s->epoch, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&s->n_sleeping, memory_order_seq_cst) > 0)
        futex_wake_all(&s->epoch);
}

/* Runs a task taken from a deque (stolen, or popped out of join order) and marks it done. */
static void run_task(sm_worker *w, sm_task *t)
{
#ifdef SM_STATS
    int64_t t0 = now_ns();
#endif
    t->exec(t, w);
#ifdef SM_STATS
    count(&w->st.busy_ns, (uint64_t)(now_ns() - t0));
#endif
    /* release: publishes everything the task wrote; pairs with the acquire load of done in
     * join(). The owner may free the task's frame right after, so t is not touched again. */
    atomic_store_explicit(&t->done, 1, memory_order_release);
}

/* Tries victims [from, to) of w's plan order once each; a lost race is retried on the same
 * victim, since it means that victim had work. */
static sm_task *steal_range(sm_worker *w, int from, int to)
{
    sm_sched *s = w->s;
    for (int i = from; i < to; i++) {
        sm_worker *v = s->w[w->victims[i]];
        for (int attempt = 0; attempt < 4; attempt++) {
            void *x;
            sm_steal_result r = sm_deque_steal(&v->dq, &x);
            if (r == SM_STEAL_GOT) {
                count(i < w->n_local ? &w->st.steals_local : &w->st.steals_remote, 1);
                return x;
            }
            count(&w->st.steals_failed, 1);
            if (r == SM_STEAL_EMPTY)
                break;
        }
    }
    return NULL;
}

/* A full round over the victims on w's NUMA node comes before any remote victim, so work
 * crosses nodes only when the node has none (ggml's measurements: NUMA-blind stealing lost to
 * static partitioning, STYLE.md 1.2). */
static sm_task *steal(sm_worker *w)
{
    sm_task *t = steal_range(w, 0, w->n_local);
    if (t == NULL && w->n_local < w->n_victims)
        t = steal_range(w, w->n_local, w->n_victims);
    return t;
}

/* Waits for a stolen task to finish, running other work meanwhile so a waiting worker is never
 * idle while work exists (and so nested waits cannot deadlock). */
static void join(sm_worker *w, sm_task *t)
{
    /* acquire: pairs with the release store of done in run_task(); the thief's writes are
     * visible once it is seen. */
    while (!atomic_load_explicit(&t->done, memory_order_acquire)) {
        sm_task *x = steal(w);
        if (x != NULL)
            run_task(w, x);
        else
            relax(w->s);
    }
}

/* Joins t, the newest of w's offered tasks. Returns true when t was still in w's deque, in
 * which case the caller runs it inline; false once a thief has run it. */
static bool sync_task(sm_worker *w, sm_task *t)
{
    for (;;) {
        sm_task *p = sm_deque_pop(&w->dq);
        if (p == t)
            return true;
        if (p == NULL) {
            join(w, t);
            return false;
        }
        /* A task pushed after t and not joined yet: only groups waited for out of order leave
         * one. Running it is always correct; its own join then finds it done. */
        run_task(w, p);
    }
}

/* Offers t to thieves; false when the deque is full (run it inline then). */
static inline bool offer(sm_worker *w, sm_task *t)
{
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    return sm_deque_push(&w->dq, t);
}

/* ---------------------------------------------------------------------------------------------
 * Ranges: lazy binary splitting
 * ------------------------------------------------------------------------------------------ */

static void range_run(sm_worker *w, const struct sm_range_job *job, size_t b, size_t e);

static void range_exec(sm_task *t, sm_worker *w)
{
    range_run(w, t->u.range.job, t->u.range.begin, t->u.range.end);
}

static void range_run(sm_worker *w, const struct sm_range_job *job, size_t b, size_t e)
{
    sm_task offered[SM_MAX_SPLITS];
    int k = 0;
    for (;;) {
        while (b < e) {
            size_t n = e - b;
            /* Down to about one piece per worker, offer eagerly, so every worker can start
             * at once even if the pieces run long (or wait for each other). Below that, offer
             * the upper half only while nobody has taken what was offered before: an
             * un-stolen offer means no thief is hungry, and a deeper split would only add
             * push/pop pairs. */
            if (n > job->grain && k < SM_MAX_SPLITS &&
                (n > job->eager || sm_deque_looks_empty(&w->dq))) {
                sm_task *t = &offered[k];
                t->exec = range_exec;
                t->u.range.job = job;
                t->u.range.begin = b + n / 2;
                t->u.range.end = e;
                if (offer(w, t)) {
                    k++;
                    e = b + n / 2;
                    continue;
                }
            }
            size_t ce = n > job->grain ? b + job->grain : e;
            job->fn(job->ctx, b, ce, w->id);
            count(&w->st.tasks_run, 1);
            b = ce;
        }
        if (k == 0)
            return;
        sm_task *t = &offered[--k];
        if (sync_task(w, t)) {
            b = t->u.range.begin;
            e = t->u.range.end;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Root regions
 * ------------------------------------------------------------------------------------------ */

/* Makes the calling thread worker 0 of s (serialized with other root regions) and wakes
 * parked workers. Returns the thread's previous worker, for root_leave. */
static sm_worker *root_enter(sm_sched *s)
{
    pthread_mutex_lock(&s->root_lock);
    sm_worker *outer = sm_tls_worker;
    sm_tls_worker = s->w[0];
    atomic_store_explicit(&s->in_region, 1, memory_order_relaxed);
    sm_sched_wake(s);
    return outer;
}

static void root_leave(sm_sched *s, sm_worker *outer)
{
    atomic_store_explicit(&s->in_region, 0, memory_order_relaxed);
    sm_tls_worker = outer;
    pthread_mutex_unlock(&s->root_lock);
}

void sm_parallel_for(sm_sched *s, size_t begin, size_t end, size_t grain, sm_range_fn fn, void *ctx)
{
    if (begin >= end)
        return;
    size_t n = end - begin;
    if (grain == 0) {
        grain = n / (4 * (size_t)s->n_workers);
        if (grain == 0)
            grain = 1;
    }
    size_t per_worker = (n + (size_t)s->n_workers - 1) / (size_t)s->n_workers;
    struct sm_range_job job = {fn, ctx, grain, per_worker > grain ? per_worker : grain};
    sm_worker *w = sm_tls_worker;
    if (w != NULL && w->s == s) {
        range_run(w, &job, begin, end);
        return;
    }
    sm_worker *outer = root_enter(s);
    range_run(s->w[0], &job, begin, end);
    root_leave(s, outer);
}

int sm_sched_current_worker(const sm_sched *s)
{
    sm_worker *w = sm_tls_worker;
    return w != NULL && w->s == s ? w->id : -1;
}

/* ---------------------------------------------------------------------------------------------
 * Task groups
 * ------------------------------------------------------------------------------------------ */

static void call_exec(sm_task *t, sm_worker *w)
{
    t->u.call.fn(t->u.call.arg, w->id);
    count(&w->st.tasks_run, 1);
}

void sm_task_group_init(sm_task_group *g, sm_sched *s)
{
    g->s = s;
    g->last = NULL;
    g->outer = NULL;
    sm_worker *w = sm_tls_worker;
    if (w != NULL && w->s == s) {
        g->w = w;
        g->root = 0;
    } else {
        g->outer = root_enter(s);
        g->w = s->w[0];
        g->root = 1;
    }
}

void sm_task_spawn(sm_task_group *g, sm_task *t, sm_task_fn fn, void *arg)
{
    t->exec = call_exec;
    t->u.call.fn = fn;
    t->u.call.arg = arg;
    if (offer(g->w, t)) {
        t->prev = g->last;
        g->last = t;
    } else {
        call_exec(t, g->w);
    }
}

void sm_task_group_wait(sm_task_group *g)
{
    sm_worker *w = g->w;
    for (sm_task *t = g->last; t != NULL; t = t->prev) {
        if (sync_task(w, t))
            call_exec(t, w);
    }
    g->last = NULL;
    if (g->root)
        root_leave(g->s, g->outer);
}

/* ---------------------------------------------------------------------------------------------
 * The worker loop
 * ------------------------------------------------------------------------------------------ */

static bool any_work(const sm_worker *w)
{
    for (int i = 0; i < w->n_victims; i++) {
        if (!sm_deque_looks_empty(&w->s->w[w->victims[i]]->dq))
            return true;
    }
    return false;
}

/* Sleeps until sm_sched_wake, unless work or a wake arrived since the worker last looked.
 *
 * Work offered inside a region does not wake sleepers: that would need a full fence on every
 * push (Dekker between the push and n_sleeping), a large part of a spawn's cost. A worker that
 * parks while a root region runs therefore sleeps at most SM_PARK_IN_REGION_NS and looks again,
 * which bounds what a missed offer costs; between regions it sleeps until woken, so an idle
 * scheduler uses no CPU. */
#define SM_PARK_IN_REGION_NS 1000000

static void park(sm_worker *w)
{
    sm_sched *s = w->s;
    /* seq_cst: the other half of the Dekker pair in sm_sched_wake (see there). */
    atomic_fetch_add_explicit(&s->n_sleeping, 1, memory_order_seq_cst);
    uint32_t e = atomic_load_explicit(&s->epoch, memory_order_seq_cst);
    if (e == w->seen_epoch && !any_work(w) &&
        !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        static const struct timespec in_region = {0, SM_PARK_IN_REGION_NS};
        count(&w->st.sleeps, 1);
        futex_wait(&s->epoch, e,
                   atomic_load_explicit(&s->in_region, memory_order_relaxed) ? &in_region : NULL);
    }
    atomic_fetch_sub_explicit(&s->n_sleeping, 1, memory_order_relaxed);
    w->seen_epoch = atomic_load_explicit(&s->epoch, memory_order_relaxed);
}

void sm_worker_loop(sm_worker *w)
{
    sm_sched *s = w->s;
    sm_tls_worker = w;
    w->seen_epoch = atomic_load_explicit(&s->epoch, memory_order_relaxed);
    int64_t idle_since = now_ns();
    unsigned misses = 0;
    /* acquire: pairs with the release store of stop in sm_sched_free. */
    while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
        sm_task *t = steal(w);
        if (t != NULL) {
            run_task(w, t);
            misses = 0;
            idle_since = now_ns();
            continue;
        }
        /* Reading the clock costs about as much as a steal round; do it every 64 misses. */
        if (s->spin_ns == 0 || (++misses % 64 == 0 && now_ns() - idle_since >= s->spin_ns)) {
            park(w);
            idle_since = now_ns();
            continue;
        }
        relax(s);
    }
}
