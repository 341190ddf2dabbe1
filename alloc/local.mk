# SPDX-License-Identifier: MIT
# alloc/: per-worker tensor arenas over jemalloc (je.c) or malloc slabs, and NUMA binding.
# The arenas are issue #4; this folder has no code before it lands.
