/* SPDX-License-Identifier: MIT */
/* test_arena.c: the bump arena (alloc/arena.c: alignment, disjointness, mark/rewind, reset,
 * growth, exhaustion) and the node slab provider under it (alloc/je.c or alloc/sys.c, and
 * alloc/membind.c: one pool per node, node binding and where the pages really are). */
#include "config.h"

#include <errno.h>
#include <hwloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc/arena.h"
#include "alloc/membind.h"
#include "alloc/slab.h"
#include "sm_test.h"

#define KIB ((size_t)1024)

static hwloc_topology_t load_topology(const char *synthetic)
{
    hwloc_topology_t topo;
    ck_assert_int_eq(hwloc_topology_init(&topo), 0);
    if (synthetic != NULL)
        ck_assert_msg(hwloc_topology_set_synthetic(topo, synthetic) == 0,
                      "hwloc rejects fixture \"%s\"", synthetic);
    ck_assert_int_eq(hwloc_topology_load(topo), 0);
    return topo;
}

/* Each test gets this machine's topology and a provider over it. */
static hwloc_topology_t topo;
static sm_mem *mem;

static void setup(void)
{
    topo = load_topology(NULL);
    char err[256] = "";
    sm_status st = sm_mem_create(topo, &mem, err, sizeof err);
    ck_assert_msg(st == SM_OK, "sm_mem_create: %s (%s)", sm_status_name(st), err);
}

static void teardown(void)
{
    sm_mem_free(mem);
    hwloc_topology_destroy(topo);
}

static sm_arena *make_arena(const char *name, size_t capacity, size_t first_slab)
{
    sm_arena *a = NULL;
    char err[256] = "";
    sm_status st = sm_arena_create(mem, name, 0, capacity, first_slab, &a, err, sizeof err);
    ck_assert_msg(st == SM_OK, "sm_arena_create(%s): %s (%s)", name, sm_status_name(st), err);
    return a;
}

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- alignment and disjointness ---------------------------------------------------------- */

/* A seeded run of allocations with mixed sizes and alignments, each filled with its own byte;
 * at the end every block must still hold its byte (no overlap) and be aligned as asked. */
START_TEST(test_arena_alignment_and_disjoint_blocks)
{
    static const size_t aligns[] = {0, 1, 2, 8, 16, 64, 128, 256, 4096};
    sm_arena *a = make_arena("align", 4 * 1024 * KIB, 16 * KIB);
    enum { N = 400 };
    unsigned char *blocks[N];
    size_t sizes[N];
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t align = aligns[x % (sizeof aligns / sizeof aligns[0])];
        sizes[i] = 1 + (size_t)(x >> 20) % 3000;
        blocks[i] = sm_arena_alloc(a, sizes[i], align);
        ck_assert_msg(blocks[i] != NULL, "alloc #%d: %s", i, sm_arena_errmsg(a));
        size_t want = align == 0 ? SM_ARENA_ALIGN : align;
        ck_assert_msg((uintptr_t)blocks[i] % want == 0, "alloc #%d: %p not %zu-aligned", i,
                      (void *)blocks[i], want);
        memset(blocks[i], i & 0xff, sizes[i]);
    }
    for (int i = 0; i < N; i++) {
        for (size_t k = 0; k < sizes[i]; k++)
            ck_assert_msg(blocks[i][k] == (unsigned char)(i & 0xff),
                          "block %d byte %zu overwritten by another block", i, k);
    }
    ck_assert_int_eq(sm_arena_status(a), SM_OK);
    sm_arena_free(a);
}
END_TEST

/* Consecutive default allocations are packed: the second starts at the first rounded up to
 * 64 bytes (the bump rule), and used counts the padding. */
START_TEST(test_arena_bumps_by_rounded_size)
{
    sm_arena *a = make_arena("bump", 64 * KIB, 0);
    unsigned char *p = sm_arena_alloc(a, 100, 0);
    unsigned char *q = sm_arena_alloc(a, 10, 0);
    unsigned char *r = sm_arena_alloc(a, 1, 1);
    ck_assert_ptr_eq(q, p + 128);
    ck_assert_ptr_eq(r, q + 10);
    sm_arena_stats st;
    sm_arena_get_stats(a, &st);
    /* Slabs start 64-aligned: 100 bytes, 28 of padding, 10, then 1 unaligned byte. */
    ck_assert_uint_eq(st.used_bytes, 139);
    sm_arena_free(a);
}
END_TEST

START_TEST(test_arena_rejects_bad_alignment)
{
    sm_arena *a = make_arena("badalign", 64 * KIB, 0);
    ck_assert_ptr_null(sm_arena_alloc(a, 16, 48));
    ck_assert_int_eq(sm_arena_status(a), SM_E_INVAL);
    ck_assert_msg(strstr(sm_arena_errmsg(a), "badalign") && strstr(sm_arena_errmsg(a), "48"),
                  "message: %s", sm_arena_errmsg(a));
    sm_arena_free(a);
}
END_TEST

/* ---- mark / rewind / reset ----------------------------------------------------------------- */

START_TEST(test_arena_rewind_gives_back_since_mark)
{
    sm_arena *a = make_arena("rewind", 64 * KIB, 0);
    void *keep = sm_arena_alloc(a, 1000, 0);
    sm_arena_stats before, st;
    sm_arena_get_stats(a, &before);
    sm_arena_pos outer = sm_arena_mark(a);
    void *x = sm_arena_alloc(a, 500, 0);
    sm_arena_pos inner = sm_arena_mark(a);
    void *y = sm_arena_alloc(a, 700, 0);
    sm_arena_rewind(a, inner);
    ck_assert_ptr_eq(sm_arena_alloc(a, 300, 0), y); /* y's space again */
    sm_arena_rewind(a, outer);
    ck_assert_ptr_eq(sm_arena_alloc(a, 20, 0), x); /* x's space again */
    sm_arena_rewind(a, outer);
    sm_arena_get_stats(a, &st);
    ck_assert_uint_eq(st.used_bytes, before.used_bytes);
    /* The high-water mark remembers the peak: 1000, then 24 + 500, then 12 + 700. */
    ck_assert_uint_eq(st.high_water_bytes, 1000 + 24 + 500 + 12 + 700);
    ck_assert_ptr_nonnull(keep);
    sm_arena_free(a);
}
END_TEST

/* A rewind across slabs returns to the earlier slab, and the later slab is reused, not
 * retaken, by the next allocations. */
START_TEST(test_arena_rewind_across_slabs_reuses_them)
{
    size_t page = page_size();
    sm_arena *a = make_arena("slabs", 1024 * KIB, page);
    sm_arena_pos start = sm_arena_mark(a);
    void *first = sm_arena_alloc(a, 64, 0);
    void *big = sm_arena_alloc(a, 3 * page, 0); /* does not fit the first slab */
    ck_assert_ptr_nonnull(big);
    sm_arena_stats st;
    sm_arena_get_stats(a, &st);
    ck_assert_int_eq(st.n_slabs, 2);
    ck_assert_uint_eq(st.n_grows, 1);
    for (int round = 0; round < 10; round++) {
        sm_arena_rewind(a, start);
        ck_assert_ptr_eq(sm_arena_alloc(a, 64, 0), first);
        ck_assert_ptr_eq(sm_arena_alloc(a, 3 * page, 0), big);
    }
    sm_arena_get_stats(a, &st);
    ck_assert_int_eq(st.n_slabs, 2);
    ck_assert_uint_eq(st.n_grows, 1);
    sm_arena_free(a);
}
END_TEST

/* Reset starts over at the first slab and keeps every slab: the same sequence of requests
 * gives the same pointers and takes nothing new. */
START_TEST(test_arena_reset_keeps_slabs_and_replays)
{
    size_t page = page_size();
    sm_arena *a = make_arena("reset", 8 * 1024 * KIB, page);
    enum { N = 64 };
    void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = sm_arena_alloc(a, (size_t)(i + 1) * 1000, 0);
    sm_arena_stats st1, st2;
    sm_arena_get_stats(a, &st1);
    ck_assert_int_gt(st1.n_slabs, 1);
    ck_assert_uint_le(st1.slab_bytes, st1.capacity_bytes);
    for (int round = 0; round < 3; round++) {
        sm_arena_reset(a);
        sm_arena_get_stats(a, &st2);
        ck_assert_uint_eq(st2.used_bytes, 0);
        for (int i = 0; i < N; i++)
            ck_assert_ptr_eq(sm_arena_alloc(a, (size_t)(i + 1) * 1000, 0), p[i]);
    }
    sm_arena_get_stats(a, &st2);
    ck_assert_int_eq(st2.n_slabs, st1.n_slabs);
    ck_assert_uint_eq(st2.n_grows, st1.n_grows);
    ck_assert_uint_eq(st2.slab_bytes, st1.slab_bytes);
    ck_assert_uint_eq(st2.high_water_bytes, st1.high_water_bytes);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), st1.slab_bytes);
    sm_arena_free(a);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), 0);
}
END_TEST

/* Slabs at least double, so n requests of growing size take O(log) slabs, not n. */
START_TEST(test_arena_growth_is_geometric)
{
    size_t page = page_size();
    sm_arena *a = make_arena("geometric", 64 * 1024 * KIB, page);
    size_t total = 0;
    for (size_t n = 1; total < 16 * 1024 * KIB; n++) {
        ck_assert_ptr_nonnull(sm_arena_alloc(a, n * page, 0));
        total += n * page;
    }
    sm_arena_stats st;
    sm_arena_get_stats(a, &st);
    ck_assert_msg(st.n_slabs <= 16, "%d slabs for %zu bytes", st.n_slabs, total);
    sm_arena_free(a);
}
END_TEST

/* ---- exhaustion ---------------------------------------------------------------------------- */

START_TEST(test_arena_exhaustion_is_an_error_naming_sizes)
{
    sm_arena *a = make_arena("scratch[7]", 64 * KIB, 16 * KIB);
    ck_assert_ptr_nonnull(sm_arena_alloc(a, 30 * KIB, 0));
    ck_assert_ptr_null(sm_arena_alloc(a, 40 * KIB, 0));
    ck_assert_int_eq(sm_arena_status(a), SM_E_NOMEM);
    const char *msg = sm_arena_errmsg(a);
    ck_assert_msg(strstr(msg, "scratch[7]") != NULL, "no arena name in: %s", msg);
    ck_assert_msg(strstr(msg, "40960") != NULL, "no request size in: %s", msg);
    ck_assert_msg(strstr(msg, "65536") != NULL, "no capacity in: %s", msg);
    ck_assert_msg(strstr(msg, "30720") != NULL, "no bytes in use in: %s", msg);
    /* The error is sticky (the first cause), but smaller requests still succeed. */
    ck_assert_ptr_nonnull(sm_arena_alloc(a, 1 * KIB, 0));
    ck_assert_ptr_null(sm_arena_alloc(a, SIZE_MAX, 0));
    ck_assert_ptr_null(sm_arena_alloc(a, SIZE_MAX - 10, 4096));
    ck_assert_str_eq(sm_arena_errmsg(a), msg);
    sm_arena_stats st;
    sm_arena_get_stats(a, &st);
    ck_assert_uint_le(st.slab_bytes, 64 * KIB);
    sm_arena_reset(a);
    ck_assert_int_eq(sm_arena_status(a), SM_OK);
    ck_assert_str_eq(sm_arena_errmsg(a), "");
    /* The 32 KiB slab taken for the first request serves it again after the reset. */
    ck_assert_ptr_nonnull(sm_arena_alloc(a, 30 * KIB, 0));
    sm_arena_get_stats(a, &st);
    ck_assert_int_eq(st.n_slabs, 2);
    sm_arena_free(a);
}
END_TEST

/* An arena exactly as large as its first slab: the whole capacity is usable, one byte more
 * is not. */
START_TEST(test_arena_capacity_is_usable_to_the_byte)
{
    sm_arena *a = make_arena("exact", 8 * KIB, 0);
    ck_assert_ptr_nonnull(sm_arena_alloc(a, 8 * KIB, 1));
    ck_assert_ptr_null(sm_arena_alloc(a, 1, 1));
    ck_assert_int_eq(sm_arena_status(a), SM_E_NOMEM);
    sm_arena_free(a);
}
END_TEST

START_TEST(test_arena_create_rejects_bad_arguments)
{
    sm_arena *a = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_arena_create(mem, "zero", 0, 0, 0, &a, err, sizeof err), SM_E_INVAL);
    ck_assert_msg(strstr(err, "zero") != NULL, "%s", err);
    ck_assert_int_eq(
        sm_arena_create(mem, "node", sm_mem_n_nodes(mem), 4096, 0, &a, err, sizeof err),
        SM_E_INVAL);
    ck_assert_int_eq(sm_arena_create(mem, "node", -1, 4096, 0, &a, err, sizeof err), SM_E_INVAL);
    ck_assert_ptr_null(a);
    sm_arena_free(NULL);
}
END_TEST

/* ---- the slab provider --------------------------------------------------------------------- */

START_TEST(test_mem_slabs_are_aligned_and_counted)
{
    void *p = NULL, *q = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_mem_slab_get(mem, 0, 100000, &p, err, sizeof err), SM_OK);
    ck_assert_int_eq(sm_mem_slab_get(mem, 0, 1, &q, err, sizeof err), SM_OK);
    ck_assert_uint_eq((uintptr_t)p % SM_SLAB_ALIGN, 0);
    ck_assert_uint_eq((uintptr_t)q % SM_SLAB_ALIGN, 0);
    memset(p, 0xab, 100000);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), 100001);
    sm_mem_slab_put(mem, 0, p, 100000);
    sm_mem_slab_put(mem, 0, q, 1);
    ck_assert_uint_eq(sm_mem_node_bytes(mem, 0), 0);
    ck_assert_int_eq(sm_mem_slab_get(mem, sm_mem_n_nodes(mem), 64, &p, err, sizeof err),
                     SM_E_INVAL);
    ck_assert_msg(strstr(err, "node") != NULL, "%s", err);
    ck_assert_int_eq(sm_mem_slab_get(mem, 0, 0, &p, err, sizeof err), SM_E_INVAL);
}
END_TEST

/* Slabs of node 0 of this machine lie on node 0: bound there, or (when the kernel refused the
 * binding, which the provider then logs once) first-touched there by this thread, which runs
 * on the only node. An OS that cannot report page locations is the one accepted exception. */
START_TEST(test_mem_slab_lies_on_its_node)
{
    ck_assert_int_ge(sm_mem_n_nodes(mem), 1);
    void *p = NULL;
    char err[256] = "";
    size_t size = 64 * page_size();
    ck_assert_int_eq(sm_mem_slab_get(mem, 0, size, &p, err, sizeof err), SM_OK);
    int node = -2;
    int rc = sm_membind_locate(topo, p, size, &node);
    if (rc == 0)
        ck_assert_msg(node == 0, "slab of node 0 found on node %d (binding %s)", node,
                      sm_mem_binds(mem) ? "in force" : "refused: first touch");
    else
        ck_assert_msg(rc == ENOSYS || rc == EPERM, "hwloc_get_area_memlocation: %s", strerror(rc));
    sm_mem_slab_put(mem, 0, p, size);
}
END_TEST

/* One pool per node: on a two-node (synthetic) topology, slabs taken for node 0 and node 1 are
 * counted apart and, with jemalloc, come from two distinct explicit arenas. Synthetic nodes
 * are not this machine's, so nothing is bound. */
START_TEST(test_mem_one_pool_per_node)
{
    hwloc_topology_t two = load_topology("pack:2 [numa] core:2 pu:1");
    sm_mem *m = NULL;
    char err[256] = "";
    ck_assert_int_eq(sm_mem_create(two, &m, err, sizeof err), SM_OK);
    ck_assert_int_eq(sm_mem_n_nodes(m), 2);
    ck_assert_int_eq(sm_mem_binds(m), 0);
    void *p0 = NULL, *p1 = NULL;
    ck_assert_int_eq(sm_mem_slab_get(m, 0, 64 * KIB, &p0, err, sizeof err), SM_OK);
    ck_assert_int_eq(sm_mem_slab_get(m, 1, 32 * KIB, &p1, err, sizeof err), SM_OK);
    ck_assert_uint_eq(sm_mem_node_bytes(m, 0), 64 * KIB);
    ck_assert_uint_eq(sm_mem_node_bytes(m, 1), 32 * KIB);
#ifdef SM_ARENA_JEMALLOC
    ck_assert_int_eq(sm_mem_slab_pool(m, p0), 0);
    ck_assert_int_eq(sm_mem_slab_pool(m, p1), 1);
    /* And neither is the process's default heap. */
    void *h = malloc(64 * KIB);
    ck_assert_int_eq(sm_mem_slab_pool(m, h), -1);
    free(h);
#else
    ck_assert_int_eq(sm_mem_slab_pool(m, p0), -1);
#endif
    sm_mem_slab_put(m, 0, p0, 64 * KIB);
    sm_mem_slab_put(m, 1, p1, 32 * KIB);
    ck_assert_uint_eq(sm_mem_node_bytes(m, 1), 0);
    sm_mem_free(m);
    hwloc_topology_destroy(two);
}
END_TEST

/* Providers come and go with schedulers; jemalloc must recycle destroyed arenas, or the
 * process would run out of arena indices (4095) after a few thousand. */
START_TEST(test_mem_create_free_cycles)
{
    hwloc_topology_t four = load_topology("pack:4 [numa] core:1 pu:1");
    for (int i = 0; i < 2000; i++) {
        sm_mem *m = NULL;
        char err[256] = "";
        sm_status st = sm_mem_create(four, &m, err, sizeof err);
        ck_assert_msg(st == SM_OK, "cycle %d: %s", i, err);
        void *p = NULL;
        ck_assert_int_eq(sm_mem_slab_get(m, i % 4, 4096, &p, err, sizeof err), SM_OK);
        sm_mem_slab_put(m, i % 4, p, 4096);
        sm_mem_free(m);
    }
    hwloc_topology_destroy(four);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *arena = tcase_create("arena");
    tcase_add_checked_fixture(arena, setup, teardown);
    tcase_add_test(arena, test_arena_alignment_and_disjoint_blocks);
    tcase_add_test(arena, test_arena_bumps_by_rounded_size);
    tcase_add_test(arena, test_arena_rejects_bad_alignment);
    tcase_add_test(arena, test_arena_rewind_gives_back_since_mark);
    tcase_add_test(arena, test_arena_rewind_across_slabs_reuses_them);
    tcase_add_test(arena, test_arena_reset_keeps_slabs_and_replays);
    tcase_add_test(arena, test_arena_growth_is_geometric);
    tcase_add_test(arena, test_arena_exhaustion_is_an_error_naming_sizes);
    tcase_add_test(arena, test_arena_capacity_is_usable_to_the_byte);
    tcase_add_test(arena, test_arena_create_rejects_bad_arguments);
    suite_add_tcase(s, arena);

    TCase *slab = tcase_create("slab");
    tcase_add_checked_fixture(slab, setup, teardown);
    tcase_set_timeout(slab, 60);
    tcase_add_test(slab, test_mem_slabs_are_aligned_and_counted);
    tcase_add_test(slab, test_mem_slab_lies_on_its_node);
    tcase_add_test(slab, test_mem_one_pool_per_node);
    tcase_add_test(slab, test_mem_create_free_cycles);
    suite_add_tcase(s, slab);
    return s;
}

int main(void)
{
    return sm_test_run(arena_suite());
}
