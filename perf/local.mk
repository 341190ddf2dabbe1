# SPDX-License-Identifier: MIT
# perf/: benchmarks and thread-scaling studies. Never part of `make check`: timings are measured
# here, never asserted in tests.
EXTRA_DIST += %D%/README.md

# sm-bench (issue 8): its parts live in a convenience library so that tests can link them.
# libsm_bench.la holds the output formats, statistics and progress line (bench_util.c) and the
# kernel tables (bench_kernels.c, which uses libsm_core.la: whoever links libsm_bench.la links
# that too); --compare and the model runs append to it. OpenBLAS, when configure found it, is
# the SGEMM yardstick of the kernel tables and comes with the library.
noinst_LTLIBRARIES += libsm_bench.la
libsm_bench_la_SOURCES = \
	%D%/bench_util.c \
	%D%/bench_util.h \
	%D%/json_read.c \
	%D%/json_read.h \
	%D%/bench_compare.c \
	%D%/bench_compare.h \
	%D%/bench_kernels.c \
	%D%/bench_kernels.h \
	%D%/bench_kernels_out.c \
	%D%/bench_kernels_out.h
libsm_bench_la_CFLAGS = $(AM_CFLAGS)
libsm_bench_la_LIBADD = $(OPENBLAS_LIBS) -lm

# The model runs: options, the runner and the result writers.
libsm_bench_la_SOURCES += \
	%D%/bench_args.c \
	%D%/bench_args.h \
	%D%/bench_model.c \
	%D%/bench_model.h \
	%D%/bench_result.c \
	%D%/bench_result.h

# sm-bench links the core library statically (libsm_core.la, internals included) rather than
# libsmallmind.so, because --kernels times the kernels themselves, which are not public.
bin_PROGRAMS += sm-bench
sm_bench_SOURCES = %D%/sm-bench.c
sm_bench_LDADD = libsm_bench.la libsm_cli.la libsm_core.la $(SM_DEP_LIBS) -lm

# `make perf` builds the benchmarks; EXTRA_PROGRAMS keeps them out of `make all` and `make check`.
# bench_sched is SmallMind's side of the scheduler comparison; perf/sched-compare builds the
# libgomp and oneTBB sides itself with gcc and g++, so configure needs no C++ compiler.
EXTRA_PROGRAMS += %D%/bench_sched
%C%_bench_sched_SOURCES = %D%/bench_sched.c %D%/common.h
%C%_bench_sched_LDADD = libsm_core.la $(SM_DEP_LIBS)
%C%_bench_sched_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)
EXTRA_PROGRAMS += %D%/spin_floor
%C%_spin_floor_SOURCES = %D%/spin_floor.c %D%/common.h
%C%_spin_floor_LDADD = libsm_core.la $(SM_DEP_LIBS)
%C%_spin_floor_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS)

CLEANFILES += $(EXTRA_PROGRAMS)
EXTRA_DIST += \
	%D%/ref_omp.c \
	%D%/ref_tbb.cpp \
	%D%/sched-compare

# scaling-study (issue 8): sm-bench over thread counts, placements and pinning; speedup,
# efficiency and plots. Shipped, not installed: it runs from a source tree and finds sm-bench
# in _build, beside itself or on PATH (tests/test_scaling_study.sh runs it).
EXTRA_DIST += %D%/scaling-study

perf: $(EXTRA_PROGRAMS)
.PHONY: perf
