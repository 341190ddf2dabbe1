/* SPDX-License-Identifier: MIT */
/* spin_floor.c: the floor under forkjoin_all on this machine. A minimal pool (one pinned thread
 * per extra CPU spinning on a sequence number, a flag per thread for "done", no stealing, no
 * sleeping, nothing else) and sm_parallel_for run the same gated region alternately in one
 * process, round after round, so the ratio between them is measured under the same conditions.
 * The 0.25 us target was set from such a pool measured at 0.13 us on another day; what
 * the pool does here today is what a scheduler can hope for today. Built by `make perf`. */
#include "config.h"

#include <stdatomic.h>

#include "common.h"
#include "sched/parallel.h"
#include "smallmind.h"

typedef struct floor_pool {
    _Alignas(64) _Atomic uint64_t seq; /* the region number; UINT64_MAX stops the pool */
    _Alignas(64) _Atomic uint64_t done[PB_MAX_THREADS][8]; /* [thread][0], one line each */
    pb_slot *slots;
    pb_gate *gate;
    int n;
} floor_pool;

typedef struct floor_thread {
    floor_pool *p;
    int id, cpu;
} floor_thread;

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void floor_chunk(floor_pool *p, int id)
{
    pb_gate_arrive(p->gate, p->n);
    pb_slot_run(p->slots, id, (size_t)id);
}

static void *floor_main(void *arg)
{
    floor_thread *t = arg;
    floor_pool *p = t->p;
    pin(t->cpu);
    uint64_t seen = 0;
    for (;;) {
        uint64_t s;
        /* acquire: pairs with the release store of seq in floor_region. */
        while ((s = atomic_load_explicit(&p->seq, memory_order_acquire)) == seen)
            spin_pause();
        if (s == UINT64_MAX)
            return NULL;
        seen = s;
        floor_chunk(p, t->id);
        /* release: pairs with the acquire load in floor_region. */
        atomic_store_explicit(&p->done[t->id][0], s, memory_order_release);
    }
}

static void floor_region(floor_pool *p)
{
    uint64_t s = atomic_load_explicit(&p->seq, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->seq, s, memory_order_release);
    floor_chunk(p, 0);
    for (int i = 1; i < p->n; i++)
        while (atomic_load_explicit(&p->done[i][0], memory_order_acquire) != s)
            spin_pause();
}

typedef struct sm_ctx {
    pb_slot *slots;
    pb_gate *gate;
    int n;
} sm_ctx;

static void sm_body(void *ctx, size_t begin, size_t end, int worker)
{
    sm_ctx *c = ctx;
    for (size_t i = begin; i < end; i++) {
        pb_gate_arrive(c->gate, c->n);
        pb_slot_run(c->slots, worker, i);
    }
}

static double time_floor(int n, long regions, pb_slot *slots, pb_gate *gate, const int *cpus)
{
    floor_pool *p = pb_xalloc(sizeof *p);
    p->slots = slots;
    p->gate = gate;
    p->n = n;
    floor_thread th[PB_MAX_THREADS];
    pthread_t tid[PB_MAX_THREADS];
    for (int i = 1; i < n; i++) {
        th[i] = (floor_thread){p, i, cpus[i]};
        pthread_create(&tid[i], NULL, floor_main, &th[i]);
    }
    cpu_set_t saved;
    sched_getaffinity(0, sizeof saved, &saved);
    pin(cpus[0]);
    for (long r = 0; r < regions / 10; r++) /* warm-up */
        floor_region(p);
    uint64_t t0 = pb_now_ns();
    for (long r = 0; r < regions; r++)
        floor_region(p);
    double ns = (double)(pb_now_ns() - t0) / (double)regions;
    atomic_store_explicit(&p->seq, UINT64_MAX, memory_order_release);
    for (int i = 1; i < n; i++)
        pthread_join(tid[i], NULL);
    sched_setaffinity(0, sizeof saved, &saved);
    free(p);
    return ns;
}

static double time_smallmind(int n, long regions, pb_slot *slots, pb_gate *gate)
{
    sm_sched_params sp;
    sm_sched_params_init(&sp);
    sp.n_threads = n;
    sm_sched *s = NULL;
    if (sm_sched_create(&sp, &s) != SM_OK) {
        fprintf(stderr, "spin_floor: sm_sched_create failed\n");
        exit(1);
    }
    sm_ctx c = {slots, gate, n};
    for (long r = 0; r < regions / 10; r++)
        sm_parallel_for(s, 0, (size_t)n, 1, sm_body, &c);
    uint64_t t0 = pb_now_ns();
    for (long r = 0; r < regions; r++)
        sm_parallel_for(s, 0, (size_t)n, 1, sm_body, &c);
    double ns = (double)(pb_now_ns() - t0) / (double)regions;
    sm_sched_free(s);
    return ns;
}

int main(int argc, char **argv)
{
    int n = 2, rounds = 7;
    long regions = 200000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--quick")) {
            regions = 2000;
            rounds = 1;
        } else {
            printf("Usage: %s [-t THREADS] [-r ROUNDS] [--quick]\n"
                   "forkjoin_all (gated, one chunk per thread) of a minimal spinning pool and of\n"
                   "sm_parallel_for, alternately; CSV impl,workload,threads,param,value,unit.\n",
                   argv[0]);
            return strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? 2 : 0;
        }
    }
    cpu_set_t allowed;
    int cpus[PB_MAX_THREADS], n_cpus = 0;
    sched_getaffinity(0, sizeof allowed, &allowed);
    for (int c = 0; c < CPU_SETSIZE && n_cpus < PB_MAX_THREADS; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[n_cpus++] = c;
    if (n < 2 || n > n_cpus) {
        fprintf(stderr, "spin_floor: -t must be between 2 and the %d allowed CPUs\n", n_cpus);
        return 2;
    }
    pb_opts o = {.rt_iters = 20000, .rt_samples = 7};
    pb_slot *slots = pb_xalloc(PB_MAX_THREADS * sizeof(pb_slot));
    pb_gate *gate = pb_xalloc(sizeof(pb_gate));
    double f[64], m[64], ratio[64];
    if (rounds > 64)
        rounds = 64;
    for (int r = 0; r < rounds; r++) {
        pb_roundtrip("floor", n, "round", &o);
        f[r] = time_floor(n, regions, slots, gate, cpus);
        m[r] = time_smallmind(n, regions, slots, gate);
        ratio[r] = m[r] / f[r];
        pb_emit("floor", "forkjoin_all", n, "round", f[r], "ns/region");
        pb_emit("smallmind", "forkjoin_all", n, "round", m[r], "ns/region");
    }
    if (gate->broken)
        printf("# a chunk waited more than %d ms: results are not meaningful\n",
               PB_GATE_TIMEOUT_MS);
    pb_emit("floor", "forkjoin_all", n, "median", pb_median(f, (size_t)rounds), "ns/region");
    pb_emit("smallmind", "forkjoin_all", n, "median", pb_median(m, (size_t)rounds), "ns/region");
    pb_emit("smallmind/floor", "forkjoin_all", n, "median", pb_median(ratio, (size_t)rounds), "x");
    return 0;
}
