/* SPDX-License-Identifier: MIT */
/* arena.c: the bump allocator over node slabs (see arena.h for its life and error rules). */
#include "config.h"

#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errbuf.h"

typedef struct arena_slab {
    unsigned char *base;
    size_t size;
} arena_slab;

struct sm_arena {
    /* Hot: read and written by every allocation. */
    int cur;           /* slab being bumped through */
    size_t off;        /* bytes used in it */
    size_t used;       /* bytes handed out, padding included */
    size_t high_water; /* the most used has been */
    int n_slabs;
    arena_slab slabs[SM_ARENA_MAX_SLABS];
    /* Cold: growth and errors. */
    sm_mem *mem;
    int node;
    size_t capacity; /* the most slab bytes held */
    size_t held;     /* slab bytes held */
    size_t page;
    uint64_t n_grows;
    sm_status status;
    char name[32];
    char errmsg[256];
};

/* Keeps the first error until reset: the first failure is the cause, later ones its echoes. */
static void *fail(sm_arena *a, sm_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *fail(sm_arena *a, sm_status st, const char *fmt, ...)
{
    if (a->status == SM_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->errmsg, sizeof a->errmsg, fmt, ap);
        va_end(ap);
        a->status = st;
    }
    return NULL;
}

/* Round @p n up to whole pages; 0 on overflow. */
static size_t round_page(size_t n, size_t page)
{
    size_t r = n + (page - 1);
    if (r < n)
        return 0;
    return r - r % page;
}

sm_status sm_arena_create(sm_mem *mem, const char *name, int node, size_t capacity_bytes,
                          size_t first_slab_bytes, sm_arena **out, char *err, size_t err_len)
{
    if (name == NULL)
        name = "arena";
    if (capacity_bytes == 0)
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "arena %s: capacity of 0 bytes", name);
    if (node < 0 || node >= sm_mem_n_nodes(mem))
        return sm_errbuf_set(err, err_len, SM_E_INVAL, "arena %s: NUMA node %d is not in [0, %d)",
                             name, node, sm_mem_n_nodes(mem));
    sm_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return sm_errbuf_set(err, err_len, SM_E_NOMEM, "arena %s: no memory for its header", name);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->mem = mem;
    a->node = node;
    a->capacity = capacity_bytes;
    long ps = sysconf(_SC_PAGESIZE);
    a->page = ps > 0 ? (size_t)ps : 4096;

    size_t first = first_slab_bytes == 0 || first_slab_bytes > capacity_bytes ? capacity_bytes
                                                                              : first_slab_bytes;
    size_t rounded = round_page(first, a->page);
    if (rounded != 0 && rounded <= capacity_bytes)
        first = rounded;
    void *p = NULL;
    char why[192] = "";
    sm_status st = sm_mem_slab_get(mem, node, first, &p, why, sizeof why);
    if (st != SM_OK) {
        free(a);
        return sm_errbuf_set(err, err_len, st, "arena %s: first slab of %zu bytes: %s", name, first,
                             why);
    }
    a->slabs[0].base = p;
    a->slabs[0].size = first;
    a->n_slabs = 1;
    a->held = first;
    *out = a;
    return SM_OK;
}

void sm_arena_free(sm_arena *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < a->n_slabs; i++)
        sm_mem_slab_put(a->mem, a->node, a->slabs[i].base, a->slabs[i].size);
    free(a);
}

/* Padding that aligns @p addr to @p align (a power of two). */
static inline size_t pad_for(uintptr_t addr, size_t align)
{
    return (size_t)(-addr) & (align - 1);
}

/* Places @p size bytes in slab @p i if they fit after offset @p off; NULL otherwise. */
static inline void *place(sm_arena *a, int i, size_t off, size_t size, size_t align)
{
    const arena_slab *s = &a->slabs[i];
    size_t pad = pad_for((uintptr_t)s->base + off, align);
    if (pad > s->size - off || size > s->size - off - pad)
        return NULL;
    a->cur = i;
    a->off = off + pad + size;
    a->used += pad + size;
    if (a->used > a->high_water)
        a->high_water = a->used;
    return s->base + off + pad;
}

/* Takes a new slab large enough for the request: at least twice the last one, so a run of
 * growing requests costs a logarithmic number of heap allocations, capped by the capacity. */
static void *grow(sm_arena *a, size_t size, size_t align)
{
    /* Slabs are SM_SLAB_ALIGN-aligned, so only a larger alignment can need padding. */
    size_t slack = align > SM_SLAB_ALIGN ? align - SM_SLAB_ALIGN : 0;
    size_t need = size + slack;
    size_t room = a->capacity - a->held;
    if (need < size || need > room || room == 0)
        return fail(a, SM_E_NOMEM,
                    "arena %s: cannot allocate %zu bytes (align %zu): %zu bytes in use, %zu of "
                    "its capacity of %zu bytes held in %d slabs",
                    a->name, size, align, a->used, a->held, a->capacity, a->n_slabs);
    if (a->n_slabs == SM_ARENA_MAX_SLABS)
        return fail(a, SM_E_NOMEM, "arena %s: cannot allocate %zu bytes: all %d slabs in use",
                    a->name, size, SM_ARENA_MAX_SLABS);
    size_t last = a->slabs[a->n_slabs - 1].size;
    size_t want = last > room / 2 ? room : 2 * last;
    if (want < need)
        want = need;
    size_t rounded = round_page(want, a->page);
    if (rounded != 0 && rounded <= room)
        want = rounded;
    void *p = NULL;
    char why[192] = "";
    sm_status st = sm_mem_slab_get(a->mem, a->node, want, &p, why, sizeof why);
    if (st != SM_OK)
        return fail(a, st, "arena %s: cannot allocate %zu bytes: new slab of %zu bytes: %s",
                    a->name, size, want, why);
    int i = a->n_slabs++;
    a->slabs[i].base = p;
    a->slabs[i].size = want;
    a->held += want;
    a->n_grows++;
    return place(a, i, 0, size, align);
}

void *sm_arena_alloc(sm_arena *a, size_t size, size_t align)
{
    if (align == 0)
        align = SM_ARENA_ALIGN;
    if ((align & (align - 1)) != 0)
        return fail(a, SM_E_INVAL, "arena %s: alignment %zu is not a power of two", a->name, align);
    void *p = place(a, a->cur, a->off, size, align);
    if (p != NULL)
        return p;
    /* Slabs kept from before a rewind or reset come first: they cost nothing. */
    for (int i = a->cur + 1; i < a->n_slabs; i++) {
        p = place(a, i, 0, size, align);
        if (p != NULL)
            return p;
    }
    return grow(a, size, align);
}

sm_arena_pos sm_arena_mark(const sm_arena *a)
{
    sm_arena_pos pos = {a->cur, a->off, a->used};
    return pos;
}

void sm_arena_rewind(sm_arena *a, sm_arena_pos pos)
{
    /* A position from another arena, or from after the current one, would corrupt the next
     * allocations; ignoring it leaks scratch until reset instead. */
    if (pos.slab < 0 || pos.slab > a->cur || pos.used > a->used ||
        pos.off > a->slabs[pos.slab].size || (pos.slab == a->cur && pos.off > a->off))
        return;
    a->cur = pos.slab;
    a->off = pos.off;
    a->used = pos.used;
}

void sm_arena_reset(sm_arena *a)
{
    a->cur = 0;
    a->off = 0;
    a->used = 0;
    a->status = SM_OK;
    a->errmsg[0] = '\0';
}

sm_status sm_arena_status(const sm_arena *a)
{
    return a->status;
}

const char *sm_arena_errmsg(const sm_arena *a)
{
    return a->errmsg;
}

const char *sm_arena_name(const sm_arena *a)
{
    return a->name;
}

int sm_arena_node(const sm_arena *a)
{
    return a->node;
}

void sm_arena_get_stats(const sm_arena *a, sm_arena_stats *out)
{
    sm_arena_stats st = {
        .used_bytes = a->used,
        .high_water_bytes = a->high_water,
        .capacity_bytes = a->capacity,
        .slab_bytes = a->held,
        .n_slabs = a->n_slabs,
        .n_grows = a->n_grows,
    };
    *out = st;
}
