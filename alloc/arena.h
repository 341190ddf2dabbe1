/* SPDX-License-Identifier: MIT */
/* arena.h: sm_arena, a bump allocator over node slabs (slab.h) for tensors and scratch.
 *
 * Life of an arena: it is created with a capacity (the most slab bytes it may hold) and takes
 * its first slab at once, from the creating thread, which touches every page (so create a
 * worker's scratch arena on that worker's pinned thread). Allocations bump a pointer through
 * the current slab; when one does not fit, the arena moves on to the next slab it already
 * holds that is large enough, and only when there is none takes a new one, at least twice the
 * size of the last, up to the capacity. mark/rewind give back everything allocated since the
 * mark (per-op scratch); reset gives back everything (per evaluation). Neither returns slabs,
 * so once a first evaluation has grown the arena to its working size, later ones allocate
 * nothing from the heap. Memory is never freed piecewise; sm_arena_free returns the slabs.
 *
 * Errors: allocation runs inside kernels' tiles, which cannot return a status, so
 * sm_arena_alloc returns NULL and the arena keeps the first error (status and message, naming
 * the arena, the request and the sizes) until reset. The code that owns the arena checks
 * sm_arena_status after the parallel region and reports sm_arena_errmsg. Running out is never a
 * crash.
 *
 * Threading: an arena belongs to one thread at a time (a worker's scratch to that worker);
 * nothing here is synchronized. Statistics may be read by another thread once a join orders
 * the owner's allocations before the read (e.g. between parallel regions). */
#ifndef SM_ALLOC_ARENA_H
#define SM_ALLOC_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "slab.h"
#include "smallmind.h"

/* The default (and minimum useful) alignment: one cache line, the widest vector load. */
#define SM_ARENA_ALIGN 64

/* The most slabs an arena holds. Each new slab at least doubles the last (until the capacity
 * caps it), so 48 covers any capacity from any first slab of a page or more. */
#define SM_ARENA_MAX_SLABS 48

typedef struct sm_arena sm_arena;

/* A position in an arena, from sm_arena_mark; only meaningful to the arena that made it. */
typedef struct sm_arena_pos {
    int slab;    /* index of the current slab */
    size_t off;  /* bytes used in it */
    size_t used; /* the arena's used bytes at the mark */
} sm_arena_pos;

typedef struct sm_arena_stats {
    size_t used_bytes;       /* handed out now, alignment padding included */
    size_t high_water_bytes; /* the most used_bytes has been since create */
    size_t capacity_bytes;   /* the most slab bytes the arena may hold */
    size_t slab_bytes;       /* slab bytes held now (never shrinks before free) */
    int n_slabs;             /* slabs held now */
    uint64_t n_grows;        /* slabs taken after create: heap allocations by this arena */
} sm_arena_stats;

/**
 * Creates an arena of @p capacity_bytes on node @p node of @p mem, and takes its first slab of
 * min(@p first_slab_bytes, capacity) bytes (rounded up to whole pages) on the calling thread.
 * @param name names the arena in error messages ("scratch[3]", "context"); copied (cut at 31
 *             bytes).
 * @return SM_OK; SM_E_INVAL (capacity 0, bad node); SM_E_NOMEM; reason in @p err.
 */
sm_status sm_arena_create(sm_mem *mem, const char *name, int node, size_t capacity_bytes,
                          size_t first_slab_bytes, sm_arena **out, char *err, size_t err_len);

/* Returns every slab to the provider and frees the arena; any thread. NULL is a no-op. */
void sm_arena_free(sm_arena *a);

/**
 * Allocates @p size bytes aligned to @p align (a power of two; 0 means SM_ARENA_ALIGN). Size 0
 * gives a valid aligned pointer that must not be written.
 * @return the memory (contents unspecified), or NULL with the arena's error set (SM_E_NOMEM
 *         when the capacity would be exceeded or the provider has no memory; SM_E_INVAL for a
 *         bad alignment).
 */
void *sm_arena_alloc(sm_arena *a, size_t size, size_t align);

/* The current position, to rewind to. */
sm_arena_pos sm_arena_mark(const sm_arena *a);

/* Gives back everything allocated since @p pos was marked (nested marks rewind in LIFO order).
 * Pointers allocated after the mark become invalid; the error state is kept. */
void sm_arena_rewind(sm_arena *a, sm_arena_pos pos);

/* Gives back everything and clears the error; slabs are kept for the next evaluation. */
void sm_arena_reset(sm_arena *a);

/* SM_OK, or the first error since create or the last reset. */
sm_status sm_arena_status(const sm_arena *a);

/* The message of that error ("" when there is none); owned by the arena, valid until the next
 * reset or free. */
const char *sm_arena_errmsg(const sm_arena *a);

/* The arena's name, as given at create (owned by the arena). */
const char *sm_arena_name(const sm_arena *a);

/* The node its slabs come from. */
int sm_arena_node(const sm_arena *a);

void sm_arena_get_stats(const sm_arena *a, sm_arena_stats *out);

#endif /* SM_ALLOC_ARENA_H */
