/* SPDX-License-Identifier: MIT */
/* topology.h: sm-run --topology. */
#ifndef SM_CLI_TOPOLOGY_H
#define SM_CLI_TOPOLOGY_H

#include <stdio.h>

#include "cli/args.h"

/* Builds the plan the arguments describe (without binding any thread) and prints it to @p out.
 * Returns the scheduler's status; the reason was logged. */
sm_status sm_cli_print_topology(const sm_cli_args *a, FILE *out);

/* Prints the topology of @p s and each worker's PU, core, L3, node and victims to @p out. */
void sm_cli_print_plan(const sm_sched *s, sm_placement placement, FILE *out);

#endif /* SM_CLI_TOPOLOGY_H */
