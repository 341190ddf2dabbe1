# SPDX-License-Identifier: MIT
# alloc/: per-worker tensor arenas (arena.c) over node slabs from jemalloc (je.c) or malloc
# (sys.c), NUMA binding (membind.c) and the weight placement policy (place.c).
libsm_core_la_SOURCES += \
	%D%/arena.c \
	%D%/arena.h \
	%D%/membind.c \
	%D%/membind.h \
	%D%/place.c \
	%D%/place.h \
	%D%/slab.h

# One slab provider per build: je.c is the only file that includes jemalloc.h, and the malloc
# backend must not link jemalloc at all (valgrind cannot see inside its arenas). Automake
# distributes both.
if SM_ARENA_JEMALLOC
libsm_core_la_SOURCES += %D%/je.c
else
libsm_core_la_SOURCES += %D%/sys.c
endif
