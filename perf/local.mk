# SPDX-License-Identifier: MIT
# perf/: benchmarks and thread-scaling studies. Never part of `make check`: timings are measured
# here, never asserted in tests.
EXTRA_DIST += %D%/README.md
