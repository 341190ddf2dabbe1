/* SPDX-License-Identifier: MIT */
/* bench_kernels.h: the kernel benchmark as a function, so that sm-bench --kernels can run it
 * (perf/bench_kernels.c also builds it as a standalone program). */
#ifndef SM_PERF_BENCH_KERNELS_H
#define SM_PERF_BENCH_KERNELS_H

/** Runs the kernel benchmarks on one thread and prints CSV lines
 * "impl,workload,threads,param,value,unit" (plus '#' context lines) on stdout.
 * argv: [--quick] [--reps N] [--table ref|avx2|avx512] [--only sgemm|gemv|ops]
 * [--type f32|f16|q8_0|q4_0|q4_K|q6_K] (GEMV). Returns the
 * process exit status (0, or 1 on a usage error or a wrong result, both explained on stderr). */
int sm_bench_kernels(int argc, char **argv);

#endif /* SM_PERF_BENCH_KERNELS_H */
