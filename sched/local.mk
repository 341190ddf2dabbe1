# SPDX-License-Identifier: MIT
# sched/: the NUMA-aware work-stealing scheduler. plan.c is pure (placement from a topology);
# topo.c is the only part that asks the OS (hwloc load, allowed CPUs, binding).
libsm_core_la_SOURCES += \
	%D%/deque.c \
	%D%/deque.h \
	%D%/exec.c \
	%D%/group.h \
	%D%/internal.h \
	%D%/mem.h \
	%D%/plan.c \
	%D%/plan.h \
	%D%/sched.c \
	%D%/parallel.h \
	%D%/topo.c \
	%D%/topo.h
