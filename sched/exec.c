/* SPDX-License-Identifier: MIT */
/* exec.c: running work: stealing in plan order, joining by helping, parking on a futex, lazy
 * binary splitting for ranges, and task groups. */
#include "config.h"

#include "internal.h"

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Thread_local sm_worker *sm_tls_worker SM_TLS_MODEL;

/* Seeing a root range must cost one line transfer (internal.h). */
_Static_assert(offsetof(sm_sched, n_sleeping) - offsetof(sm_sched, region) == 64,
               "the root region line spills over one cache line");

/* A region shorter than this many halvings cannot need more offered pieces per frame. */
#define SM_MAX_SPLITS 48

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

/* The region word (internal.h): epoch in the low 48 bits, piece count in the high 16. */
#define SM_EPOCH_MASK ((UINT64_C(1) << 48) - 1)

static inline uint64_t region_epoch(uint64_t region)
{
    return region & SM_EPOCH_MASK;
}

static inline unsigned region_pieces(uint64_t region)
{
    return (unsigned)(region >> 48);
}

/* The futex word: the low 32 bits of the epoch, which change with every epoch. The kernel
 * reads 32 bits at this address; it never writes them. */
static inline uint32_t *futex_word(sm_sched *s)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (uint32_t *)(void *)&s->region;
#else
    return (uint32_t *)(void *)&s->region + 1;
#endif
}

/* Returns on a wake, a signal, the timeout (NULL: none), or at once when the word no longer
 * holds @p expected; the caller re-checks in every case. */
static void futex_wait(sm_sched *s, uint32_t expected, const struct timespec *timeout)
{
    syscall(SYS_futex, futex_word(s), FUTEX_WAIT_PRIVATE, expected, timeout, NULL, 0);
}

/* Starts a new epoch with @p n_pieces root pieces and wakes parked workers. Only one thread
 * publishes at a time (root_lock, or a stopping sched). Returns the new epoch.
 *
 * @p strong orders the store before the load of n_sleeping (a seq_cst store: an xchg, which
 * waits until this core owns the region line, polled by every idle worker: a root region's
 * call reached its first chunk 90-170 ticks later with it, of about 800 at 2.3 GHz, measured
 * with the time-stamp counter). Without it, a worker that parks just as the region is published
 * can miss the wake-up: the kernel's futex check still sees the old epoch if the store has not
 * left this core's store buffer. A root region then only loses that worker until the next
 * publish, which sees it (worker 0 runs an unclaimed piece after SM_CLAIM_PATIENCE_NS, and a
 * region parks in-region sleepers for at most SM_PARK_IN_REGION_NS); stopping the sched must
 * never lose it, so it publishes strongly. */
static uint64_t publish(sm_sched *s, unsigned n_pieces, bool strong)
{
    uint64_t e = region_epoch(atomic_load_explicit(&s->region, memory_order_relaxed) + 1);
    uint64_t word = (uint64_t)n_pieces << 48 | e;
    if (strong) {
        /* seq_cst, for two partners. As a release it publishes root_job and the range,
         * written just before; pairs with the acquire load of region in sm_worker_loop. As a
         * seq_cst store followed by the seq_cst load of n_sleeping, it is one half of a Dekker
         * pair with park(), which raises n_sleeping and then reads region: either the sleeper
         * sees the new epoch and stays up, or the load below sees the sleeper and wakes it. */
        atomic_store_explicit(&s->region, word, memory_order_seq_cst);
    } else {
        /* release: publishes root_job and the range; pairs with the acquire load of region in
         * sm_worker_loop. Not ordered before the load below (see above). */
        atomic_store_explicit(&s->region, word, memory_order_release);
    }
    if (atomic_load_explicit(&s->n_sleeping, memory_order_seq_cst) > 0)
        syscall(SYS_futex, futex_word(s), FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    return e;
}

void sm_sched_wake(sm_sched *s)
{
    publish(s, 0, true);
}

static void range_task(void *arg, int worker);

/* Runs a task taken from a deque (stolen, or popped out of join order) and marks it done. */
static void run_task(sm_worker *w, sm_task *t)
{
#ifdef SM_STATS
    int64_t t0 = now_ns();
#endif
    sm_task_fn fn = t->fn;
    fn(t->arg, w->id);
    /* A range piece counts its chunks as it runs them (range_run). */
    if (fn != range_task)
        sm_count(&w->st.tasks_run, 1);
#ifdef SM_STATS
    sm_count(&w->st.busy_ns, (uint64_t)(now_ns() - t0));
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
                sm_count(i < w->n_local ? &w->st.steals_local : &w->st.steals_remote, 1);
                return x;
            }
            sm_count(&w->st.steals_failed, 1);
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
        /* Items older than t may still be private: hand them out if someone asks. */
        sm_deque_poll(&w->dq);
        sm_task *x = steal(w);
        if (x != NULL)
            run_task(w, x);
        else
            relax(w->s);
    }
}

/* sync_task's slow path: t is public (or gone), or something newer is still in the deque. */
static bool sync_task_slow(sm_worker *w, sm_task *t)
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

/* Joins t, the newest of w's offered tasks. Returns true when t was still in w's deque, in
 * which case the caller runs it inline; false once a thief has run it. The usual case, t
 * private and on top, is inlined: it is most of a spawn's cost. */
static inline bool sync_task(sm_worker *w, sm_task *t)
{
    sm_deque *d = &w->dq;
    if (d->head != d->split &&
        atomic_load_explicit(&d->slots[d->head - 1], memory_order_relaxed) == t) {
        d->head--;
        return true;
    }
    return sync_task_slow(w, t);
}

/* Offers t to thieves: at once when @p public_now, else when one asks (deque.h). False when
 * the deque is full (run it inline then). */
static inline bool offer(sm_worker *w, sm_task *t, bool public_now)
{
    atomic_store_explicit(&t->done, 0, memory_order_relaxed);
    return sm_deque_push(&w->dq, t, public_now);
}

/* ---------------------------------------------------------------------------------------------
 * Ranges: lazy binary splitting
 * ------------------------------------------------------------------------------------------ */

static void range_run(sm_worker *w, const struct sm_range_job *job, size_t b, size_t e);

/* A stolen range piece. Only workers steal, and a worker's thread has sm_tls_worker set. */
static void range_task(void *arg, int worker)
{
    (void)worker;
    sm_task *t = arg;
    range_run(sm_tls_worker, t->job, t->begin, t->end);
}

static void range_run(sm_worker *w, const struct sm_range_job *job, size_t b, size_t e)
{
    sm_task offered[SM_MAX_SPLITS];
    int k = 0;
    for (;;) {
        while (b < e) {
            size_t n = e - b;
            /* Down to about one piece per worker, offer eagerly and publicly, so every worker
             * can start at once even if the pieces run long (or wait for each other). Below
             * that, offer the upper half privately, and only while nobody has taken what was
             * offered before: an untaken offer means no thief is hungry, and a deeper split
             * would only add push/pop pairs. A thief that wants it asks; the poll answers. */
            bool eager = n > job->eager;
            if (n > job->grain && k < SM_MAX_SPLITS && (eager || sm_deque_looks_empty(&w->dq))) {
                sm_task *t = &offered[k];
                t->fn = range_task;
                t->arg = t;
                t->job = job;
                t->begin = b + n / 2;
                t->end = e;
                if (offer(w, t, eager)) {
                    k++;
                    e = b + n / 2;
                    continue;
                }
            }
            size_t ce = n > job->grain ? b + job->grain : e;
            job->fn(job->ctx, b, ce, w->id);
            sm_count(&w->st.tasks_run, 1);
            b = ce;
            sm_deque_poll(&w->dq);
        }
        if (k == 0)
            return;
        sm_task *t = &offered[--k];
        if (sync_task(w, t)) {
            b = t->begin;
            e = t->end;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Root regions
 *
 * A range started outside any task is cut into one piece per worker (fewer if it is short)
 * and published on the region line that idle workers poll: one store the caller makes, one
 * line each worker reads, one claim on the worker's own line, one store of "finished" that
 * the caller reads. Going through the deques instead cost about 6-8 cache-line transfers per
 * fork-join (1.14 us; perf/README.md). Each piece is still split lazily by its runner, so an
 * uneven range is balanced by stealing, and a piece whose worker is late (asleep, preempted)
 * is claimed and run by whoever gets to it first.
 * ------------------------------------------------------------------------------------------ */

/* Piece i of the published root range: an even split, the first (n % pieces) one longer. */
static void piece_bounds(const sm_sched *s, unsigned n_pieces, unsigned i, size_t *b, size_t *e)
{
    size_t n = s->root_end - s->root_begin;
    size_t q = n / n_pieces, r = n % n_pieces;
    *b = s->root_begin + i * q + (i < r ? i : r);
    *e = *b + q + (i < r ? 1 : 0);
}

/* Claims piece i of epoch e for w and runs it. False when someone else has claimed it. */
static bool try_piece(sm_worker *w, unsigned i, uint64_t e, unsigned n_pieces)
{
    sm_worker *v = w->s->w[i];
    uint64_t c = atomic_load_explicit(&v->piece_claimed, memory_order_relaxed);
    /* Claims only move forward: c >= e means this piece, or a later region's, is taken (a
     * worker that read epoch e and was then preempted can find a later epoch here, and must
     * not take it back). A CAS from c < e succeeds only while region e's piece is unclaimed,
     * so region e cannot have finished, and no later region can have started: what the runner
     * reads next was published with e, by the region store it acquired. Relaxed, since that
     * acquire orders it; the CAS itself only has to be atomic (one runner per piece). */
    if (c >= e || !atomic_compare_exchange_strong_explicit(
                      &v->piece_claimed, &c, e, memory_order_relaxed, memory_order_relaxed))
        return false;
    size_t b, end;
    piece_bounds(w->s, n_pieces, i, &b, &end);
    range_run(w, &w->s->root_job, b, end);
    /* release: publishes the piece's effects; pairs with the acquire load in root_join. */
    atomic_store_explicit(&v->piece_finished, e, memory_order_release);
    return true;
}

/* A worker that saw a new region: its own piece first, then any piece nobody has claimed. */
static void root_pieces(sm_worker *w, uint64_t region)
{
    uint64_t e = region_epoch(region);
    unsigned n = region_pieces(region);
    if ((unsigned)w->id >= n)
        return;
    try_piece(w, (unsigned)w->id, e, n);
    for (unsigned j = 1; j < n; j++) {
        if (j != (unsigned)w->id)
            try_piece(w, j, e, n);
    }
}

/* How long worker 0 waits for a piece's own worker before it looks at the claim, to run the
 * piece itself if nobody has. Looking at once pulls the claim's line away from the worker just
 * before it CASes it, one more line transfer on every fork-join; a worker that is awake claims
 * within a few hundred nanoseconds, and one that is asleep takes 17-69 us to wake here. */
#define SM_CLAIM_PATIENCE_NS 2000

/* ... unless worker 0's own piece took less than this: the others are then likely as short,
 * and running one here costs less than the line transfers of waiting for its worker to see,
 * claim, run and report it (about 4 one-way transfers, 50-100 ns each here). */
#define SM_SHORT_PIECE_NS 500

/* Worker 0's side: waits for every other piece of epoch e, helping with stolen work
 * meanwhile and running pieces whose worker is late. */
static void root_join(sm_worker *w0, uint64_t e, unsigned n_pieces, int64_t patience_ns)
{
    sm_sched *s = w0->s;
    int64_t since = 0;
    for (unsigned i = 1; i < n_pieces; i++) {
        sm_worker *v = s->w[i];
        unsigned spins = 0;
        if (patience_ns == 0 && try_piece(w0, i, e, n_pieces))
            continue;
        /* acquire: pairs with the release store of piece_finished in try_piece. */
        while (atomic_load_explicit(&v->piece_finished, memory_order_acquire) != e) {
            if (++spins % 32 == 0) {
                int64_t now = now_ns();
                if (since == 0)
                    since = now;
                else if (now - since >= patience_ns && try_piece(w0, i, e, n_pieces))
                    break;
            }
            sm_task *x = steal(w0);
            if (x != NULL)
                run_task(w0, x);
            else
                relax(s);
        }
    }
}

/* Makes the calling thread worker 0 of s (serialized with other root regions). Returns the
 * thread's previous worker, for root_leave. */
static sm_worker *root_enter(sm_sched *s)
{
    pthread_mutex_lock(&s->root_lock);
    sm_worker *outer = sm_tls_worker;
    sm_tls_worker = s->w[0];
    atomic_store_explicit(&s->in_region, 1, memory_order_relaxed);
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
    size_t p = (size_t)s->n_workers;
    if (grain == 0) {
        grain = n / (4 * p);
        if (grain == 0)
            grain = 1;
    }
    size_t per_worker = (n + p - 1) / p;
    struct sm_range_job job = {fn, ctx, grain, per_worker > grain ? per_worker : grain};
    sm_worker *w = sm_tls_worker;
    if (w != NULL && w->s == s) {
        range_run(w, &job, begin, end);
        return;
    }
    size_t n_grains = (n + grain - 1) / grain;
    unsigned n_pieces = (unsigned)(n_grains < p ? n_grains : p);
    sm_worker *outer = root_enter(s);
    sm_worker *w0 = s->w[0];
    if (n_pieces <= 1) {
        range_run(w0, &job, begin, end);
    } else {
        s->root_job = job;
        s->root_begin = begin;
        s->root_end = end;
        uint64_t e = publish(s, n_pieces, false);
        size_t b0, e0;
        piece_bounds(s, n_pieces, 0, &b0, &e0);
        int64_t t0 = now_ns();
        range_run(w0, &s->root_job, b0, e0);
        root_join(w0, e, n_pieces, now_ns() - t0 < SM_SHORT_PIECE_NS ? 0 : SM_CLAIM_PATIENCE_NS);
    }
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

void sm_task_group_open_root(sm_task_group *g, sm_sched *s)
{
    g->outer = root_enter(s);
    g->s = s;
    g->w = s->w[0];
    g->root = 1;
    publish(s, 0, false); /* idle workers come and steal; parked ones wake */
}

void sm_task_group_close_root(sm_task_group *g)
{
    root_leave(g->s, g->outer);
}

bool sm_task_join_slow(sm_worker *w, sm_task *t)
{
    if (t->fn == NULL)
        return false;
    if (!sync_task_slow(w, t))
        return false;
    sm_count(&w->st.tasks_run, 1);
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * The worker loop
 * ------------------------------------------------------------------------------------------ */

static bool any_work(const sm_worker *w)
{
    for (int i = 0; i < w->n_victims; i++) {
        if (sm_deque_has_public(&w->s->w[w->victims[i]]->dq))
            return true;
    }
    return false;
}

/* Sleeps until the next epoch, unless one began or public work appeared since the worker last
 * looked.
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
    /* seq_cst: the other half of the Dekker pair in publish() (see there). */
    atomic_fetch_add_explicit(&s->n_sleeping, 1, memory_order_seq_cst);
    uint64_t r = atomic_load_explicit(&s->region, memory_order_seq_cst);
    if (region_epoch(r) == w->seen_epoch && !any_work(w) &&
        !atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        static const struct timespec in_region = {0, SM_PARK_IN_REGION_NS};
        sm_count(&w->st.sleeps, 1);
        futex_wait(s, (uint32_t)r,
                   atomic_load_explicit(&s->in_region, memory_order_relaxed) ? &in_region : NULL);
    }
    atomic_fetch_sub_explicit(&s->n_sleeping, 1, memory_order_relaxed);
}

void sm_worker_loop(sm_worker *w)
{
    sm_sched *s = w->s;
    sm_tls_worker = w;
    /* w->seen_epoch starts at 0, the epoch before any region: a region published before this
     * thread got here (create returns once workers are bound, not once they loop) is seen. */
    int64_t idle_since = now_ns();
    unsigned misses = 0;
    /* acquire: pairs with the release store of stop in sm_sched_free. */
    while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
        /* acquire: pairs with the seq_cst store in publish(); the root range is visible. */
        uint64_t r = atomic_load_explicit(&s->region, memory_order_acquire);
        if (region_epoch(r) != w->seen_epoch) {
            w->seen_epoch = region_epoch(r);
            root_pieces(w, r);
            misses = 0;
            idle_since = now_ns();
            continue;
        }
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
