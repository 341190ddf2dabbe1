/* SPDX-License-Identifier: MIT */
/* topology.c: sm-run --topology: the scheduler's view of the machine and where each worker
 * runs, printed from the public API only (the same data sm-bench records with its results). */
#include "config.h"

#include "cli/topology.h"

#include <string.h>

static const char *placement_name(sm_placement p)
{
    return p == SM_PLACEMENT_SPREAD ? "spread" : "compact";
}

/* One worker per line: where it runs, then the head of its victim order with '|' between the
 * victims on its NUMA node and the remote ones. */
static void print_worker(FILE *out, const sm_worker_info *w, int id)
{
    fprintf(out, "%6d %5d %5d %5d %5d  ", id, w->pu, w->core, w->l3, w->node);
    int shown = w->n_victims < 8 ? w->n_victims : 8;
    for (int v = 0; v < shown; v++) {
        if (v == w->n_local_victims)
            fputs(v == 0 ? "| " : " | ", out);
        else if (v > 0)
            fputc(' ', out);
        fprintf(out, "%d", w->victims[v]);
    }
    if (w->n_victims > shown)
        fprintf(out, " ... (%d)", w->n_victims);
    fputc('\n', out);
}

sm_status sm_cli_print_topology(const sm_cli_args *a, FILE *out)
{
    sm_sched_params p;
    sm_sched_params_init(&p);
    p.n_threads = a->n_threads;
    p.placement = a->placement;
    /* Printing a plan must not move the caller's thread. */
    p.pinning = SM_PINNING_OFF;
    if (a->topology_synthetic != NULL) {
        p.topology_source = SM_TOPOLOGY_SYNTHETIC;
        p.topology = a->topology_synthetic;
    } else if (a->topology_xml != NULL) {
        p.topology_source = SM_TOPOLOGY_XML;
        p.topology = a->topology_xml;
    }
    sm_sched *s = NULL;
    sm_status st = sm_sched_create(&p, &s);
    if (st != SM_OK)
        return st;
    sm_cli_print_plan(s, a->placement, out);
    sm_sched_free(s);
    return SM_OK;
}

void sm_cli_print_plan(const sm_sched *s, sm_placement placement, FILE *out)
{
    int n = sm_sched_n_workers(s);
    fprintf(out, "topology: %s\n", sm_sched_topology_string(s));
    fprintf(out, "workers:  %d, placement %s\n", n, placement_name(placement));
    fprintf(out, "worker    pu  core    l3  node  victims: same node | remote\n");
    for (int i = 0; i < n; i++) {
        sm_worker_info w;
        if (sm_sched_worker_info(s, i, &w) == SM_OK)
            print_worker(out, &w, i);
    }
}
