# SPDX-License-Identifier: MIT
# sched/: the NUMA-aware work-stealing scheduler (deque.c, plan.c, topo.c, sched.c), appended to
# libsm_core_la_SOURCES. The scheduler is issue #3; this folder has no code before it lands.
