/* SPDX-License-Identifier: MIT */
/* dispatch.c: builds the kernel tables once (ref first, then the ISA overrides the CPU
 * supports, BLIS style), picks the process's table (SM_KERNELS, SM_KERNELS_DEBUG) and maps
 * element types to slots. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gelu_table.h"
#include "kernels/kernels.h"
#include "kernels/ref/ref.h"
#include "src/log.h"
#ifdef SM_KERNELS_X86
#include "kernels/x86/x86.h"
#endif

/* The only mutable globals of kernels/ (with gelu_table.c's table, built by build_tables):
 * written once under pthread_once, read-only after. */
static sm_kernels tables[SM_ISA_COUNT];
static int table_ok[SM_ISA_COUNT];
static const sm_kernels *chosen;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static const char *const isa_names[SM_ISA_COUNT] = {"ref", "avx2", "avx512"};

static void fill_ref(sm_kernels *kt)
{
    sm_kernels_fill_ref_matmul(kt);
    sm_kernels_fill_ref_quant(kt);
    sm_kernels_fill_ref_ops(kt);
    sm_kernels_fill_ref_rope(kt);
    sm_kernels_fill_ref_attn(kt);
}

static void build_tables(void)
{
    sm_k_gelu_table_build();
    fill_ref(&tables[SM_ISA_REF]);
    table_ok[SM_ISA_REF] = 1;
#ifdef SM_KERNELS_X86
    sm_x86_features f;
    sm_x86_probe(&f);
    if (f.avx2) {
        tables[SM_ISA_AVX2] = tables[SM_ISA_REF];
        sm_kernels_fill_avx2(&tables[SM_ISA_AVX2]);
        table_ok[SM_ISA_AVX2] = 1;
    }
    if (f.avx512) {
        tables[SM_ISA_AVX512] = tables[SM_ISA_AVX2];
        sm_kernels_fill_avx512(&tables[SM_ISA_AVX512], f.avx512vnni);
        table_ok[SM_ISA_AVX512] = 1;
    }
#endif
    for (int i = 0; i < SM_ISA_COUNT; i++) {
        tables[i].isa = (sm_isa)i;
        tables[i].name = isa_names[i];
    }
}

static void choose(void)
{
    build_tables();
    int best = SM_ISA_REF;
    for (int i = 0; i < SM_ISA_COUNT; i++)
        if (table_ok[i])
            best = i;
    const char *want = getenv("SM_KERNELS");
    if (want && *want) {
        int found = -1;
        for (int i = 0; i < SM_ISA_COUNT; i++)
            if (!strcmp(want, isa_names[i]))
                found = i;
        if (found < 0)
            sm_log(SM_LOG_WARN, "SM_KERNELS=%s: unknown table (known: ref, avx2, avx512); using %s",
                   want, isa_names[best]);
        else if (!table_ok[found])
            sm_log(SM_LOG_WARN, "SM_KERNELS=%s: not supported by this CPU or build; using %s", want,
                   isa_names[best]);
        else
            best = found;
    }
    chosen = &tables[best];
    const char *dbg = getenv("SM_KERNELS_DEBUG");
    if (dbg && !strcmp(dbg, "1"))
        sm_log(SM_LOG_INFO, "kernels: using the %s table (available: ref%s%s)", chosen->name,
               table_ok[SM_ISA_AVX2] ? ", avx2" : "", table_ok[SM_ISA_AVX512] ? ", avx512" : "");
}

const sm_kernels *sm_kernels_get(void)
{
    pthread_once(&tables_once, choose);
    return chosen;
}

const sm_kernels *sm_kernels_table(sm_isa isa)
{
    pthread_once(&tables_once, choose);
    if ((int)isa < 0 || isa >= SM_ISA_COUNT || !table_ok[isa])
        return NULL;
    return &tables[isa];
}

size_t sm_x16_block_bytes(sm_type t)
{
    // 16 rows' codes (Q8_0: 32 bytes each; Q4_0: 16 bytes of nibbles) and their 16 fp16 scales.
    return t == SM_TYPE_Q8_0 ? 16 * 32 + 32 : t == SM_TYPE_Q4_0 ? 16 * 16 + 32 : 0;
}

size_t sm_x16_group_bytes(sm_type t, size_t n_in)
{
    return n_in / 32 * sm_x16_block_bytes(t);
}

size_t sm_x16_bytes(sm_type t, size_t n_out, size_t n_in)
{
    return (n_out + 15) / 16 * sm_x16_group_bytes(t, n_in);
}

sm_k_matmul_fn sm_kernels_matmul_x16(const sm_kernels *kt, sm_type w)
{
    return w == SM_TYPE_Q8_0 ? kt->matmul_q8_0_x16 : w == SM_TYPE_Q4_0 ? kt->matmul_q4_0_x16 : NULL;
}

sm_k_pack_fn sm_kernels_pack_x16(const sm_kernels *kt, sm_type w)
{
    return w == SM_TYPE_Q8_0 ? kt->pack_q8_0_x16 : w == SM_TYPE_Q4_0 ? kt->pack_q4_0_x16 : NULL;
}

sm_k_matmul_fn sm_kernels_matmul(const sm_kernels *kt, sm_type w)
{
    switch (w) {
    case SM_TYPE_F32:
        return kt->matmul_f32;
    case SM_TYPE_F16:
        return kt->matmul_f16;
    case SM_TYPE_Q8_0:
        return kt->matmul_q8_0;
    case SM_TYPE_Q4_0:
        return kt->matmul_q4_0;
    case SM_TYPE_Q4_K:
        return kt->matmul_q4_K;
    case SM_TYPE_Q6_K:
        return kt->matmul_q6_K;
    default:
        return NULL;
    }
}

sm_k_quant_fn sm_kernels_quant_x(const sm_kernels *kt, sm_type w)
{
    switch (w) {
    case SM_TYPE_Q8_0:
        return kt->quant_q8_0_even;
    case SM_TYPE_Q4_0:
        return kt->quant_q8_0;
    case SM_TYPE_Q4_K:
    case SM_TYPE_Q6_K:
        return kt->quant_q8_K;
    default:
        return NULL;
    }
}

static void dequant_f32(const void *src, float *y, size_t n)
{
    memcpy(y, src, n * sizeof(float));
}

sm_k_dequant_fn sm_kernels_dequant(const sm_kernels *kt, sm_type t)
{
    switch (t) {
    case SM_TYPE_F32:
        return dequant_f32;
    case SM_TYPE_F16:
        return kt->dequant_f16;
    case SM_TYPE_Q8_0:
        return kt->dequant_q8_0;
    case SM_TYPE_Q4_0:
        return kt->dequant_q4_0;
    case SM_TYPE_Q4_K:
        return kt->dequant_q4_K;
    case SM_TYPE_Q6_K:
        return kt->dequant_q6_K;
    default:
        return NULL;
    }
}

void sm_kernels_embed(const sm_kernels *kt, sm_type t, const void *table, size_t row_bytes,
                      size_t n_embd, const int32_t *ids, size_t n_ids, float *y, size_t y_stride)
{
    sm_k_dequant_fn deq = sm_kernels_dequant(kt, t);
    for (size_t i = 0; i < n_ids; i++)
        deq((const char *)table + (size_t)ids[i] * row_bytes, y + i * y_stride, n_embd);
}

const char *sm_kernels_isa(void)
{
    return sm_kernels_get()->name;
}
