/* SPDX-License-Identifier: MIT */
/* quant.h: the tensor element types (GGUF ids), their block layouts byte for byte as GGUF
 * stores them, and portable fp16 <-> fp32 conversion. */
#ifndef SM_KERNELS_QUANT_H
#define SM_KERNELS_QUANT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Element types, numbered as GGUF numbers them (ggml_type): never renumber. Only the types
 * the kernels know are listed; the others (Q4_1, Q5_*, Q2_K, ...) are unsupported. */
typedef enum sm_type {
    SM_TYPE_F32 = 0,
    SM_TYPE_F16 = 1,
    SM_TYPE_Q4_0 = 2,
    SM_TYPE_Q8_0 = 8,
    SM_TYPE_Q4_K = 12,
    SM_TYPE_Q6_K = 14,
    SM_TYPE_Q8_K = 15, /* activations only: GGUF files do not store it */
} sm_type;

enum {
    SM_QK8_0 = 32,         /* elements per Q8_0 block */
    SM_QK4_0 = 32,         /* elements per Q4_0 block */
    SM_QK_K = 256,         /* elements per K-quant super-block */
    SM_K_SCALE_BYTES = 12, /* Q4_K's packed 6-bit scales and mins */
};

/* fp16 as stored: IEEE 754 binary16 bits, little-endian like every GGUF field. */
typedef uint16_t sm_fp16;

/** Q8_0: x[i] = d * qs[i]. */
typedef struct sm_block_q8_0 {
    sm_fp16 d;
    int8_t qs[SM_QK8_0];
} sm_block_q8_0;

/** Q4_0: x[i] = d * ((qs[i] & 15) - 8) and x[i + 16] = d * ((qs[i] >> 4) - 8) for i < 16: the
 * low nibbles hold the first half of the block, the high nibbles the second half. */
typedef struct sm_block_q4_0 {
    sm_fp16 d;
    uint8_t qs[SM_QK4_0 / 2];
} sm_block_q4_0;

/** Q4_K: 8 sub-blocks of 32; x = d * sc[j] * q - dmin * m[j] with 6-bit sc, m packed in
 * scales[12] (see sm_q4_K_scale_min). qs[32 * c + l] holds element 64c + l in its low nibble
 * and element 64c + 32 + l in its high nibble (c < 4, l < 32). */
typedef struct sm_block_q4_K {
    sm_fp16 d;    /* scale of the sub-block scales */
    sm_fp16 dmin; /* scale of the sub-block mins */
    uint8_t scales[SM_K_SCALE_BYTES];
    uint8_t qs[SM_QK_K / 2];
} sm_block_q4_K;

/** Q6_K: 16 sub-blocks of 16; x[e] = d * scales[e / 16] * (q[e] - 32), q 6 bits: low 4 in ql,
 * high 2 in qh. In each half h (128 elements, ql + 64h, qh + 32h), for l < 32: element l is
 * (ql[l] & 15) | (qh[l] & 3) << 4, l + 32 is (ql[l + 32] & 15) | (qh[l] >> 2 & 3) << 4,
 * l + 64 is (ql[l] >> 4) | (qh[l] >> 4 & 3) << 4, l + 96 is (ql[l + 32] >> 4) | (qh[l] >> 6) << 4.
 */
typedef struct sm_block_q6_K {
    uint8_t ql[SM_QK_K / 2];
    uint8_t qh[SM_QK_K / 4];
    int8_t scales[SM_QK_K / 16];
    sm_fp16 d;
} sm_block_q6_K;

/** Q8_K (activations for the K-quants): x[i] = d * qs[i]; bsums[j] = sum of qs[16j .. 16j+16),
 * kept so that the Q4_K mins cost one multiply per sub-block. d is an fp32. */
typedef struct sm_block_q8_K {
    float d;
    int8_t qs[SM_QK_K];
    int16_t bsums[SM_QK_K / 16];
} sm_block_q8_K;

static_assert(sizeof(sm_block_q8_0) == 34, "Q8_0 block must be 34 bytes as in GGUF");
static_assert(sizeof(sm_block_q4_0) == 18, "Q4_0 block must be 18 bytes as in GGUF");
static_assert(sizeof(sm_block_q4_K) == 144, "Q4_K block must be 144 bytes as in GGUF");
static_assert(sizeof(sm_block_q6_K) == 210, "Q6_K block must be 210 bytes as in GGUF");
static_assert(sizeof(sm_block_q8_K) == 292, "Q8_K block must be 292 bytes as in ggml");

/** Elements per block of @p t (1 for F32, F16), or 0 for a type the kernels do not know. */
static inline size_t sm_type_block_elems(sm_type t)
{
    switch (t) {
    case SM_TYPE_F32:
    case SM_TYPE_F16:
        return 1;
    case SM_TYPE_Q4_0:
    case SM_TYPE_Q8_0:
        return 32;
    case SM_TYPE_Q4_K:
    case SM_TYPE_Q6_K:
    case SM_TYPE_Q8_K:
        return SM_QK_K;
    }
    return 0;
}

/** Bytes per block of @p t, or 0 for a type the kernels do not know. */
static inline size_t sm_type_block_bytes(sm_type t)
{
    switch (t) {
    case SM_TYPE_F32:
        return 4;
    case SM_TYPE_F16:
        return 2;
    case SM_TYPE_Q4_0:
        return sizeof(sm_block_q4_0);
    case SM_TYPE_Q8_0:
        return sizeof(sm_block_q8_0);
    case SM_TYPE_Q4_K:
        return sizeof(sm_block_q4_K);
    case SM_TYPE_Q6_K:
        return sizeof(sm_block_q6_K);
    case SM_TYPE_Q8_K:
        return sizeof(sm_block_q8_K);
    }
    return 0;
}

/** Bytes of a row of @p n elements; @p n must be a multiple of the block size. */
static inline size_t sm_type_row_bytes(sm_type t, size_t n)
{
    size_t be = sm_type_block_elems(t);
    return be ? n / be * sm_type_block_bytes(t) : 0;
}

/** The type a matmul's activations are converted to for weights of type @p w: F32 for float
 * weights, Q8_0 for Q8_0/Q4_0, Q8_K for the K-quants (as GGUF runtimes pair them). */
static inline sm_type sm_type_matmul_x(sm_type w)
{
    switch (w) {
    case SM_TYPE_Q4_0:
    case SM_TYPE_Q8_0:
        return SM_TYPE_Q8_0;
    case SM_TYPE_Q4_K:
    case SM_TYPE_Q6_K:
        return SM_TYPE_Q8_K;
    default:
        return SM_TYPE_F32;
    }
}

static inline uint32_t sm_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float sm_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/** Exact fp16 -> fp32 (subnormals, infinities and NaN payloads included), as F16C does. */
static inline float sm_fp16_to_fp32(sm_fp16 h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0x1f)
        return sm_f32_from_bits(sign | 0x7f800000u | man << 13);
    if (exp != 0)
        return sm_f32_from_bits(sign | (exp + 112) << 23 | man << 13);
    // Subnormal (or zero): man * 2^-24 is exact in fp32.
    float v = (float)man * 0x1p-24f;
    return sign ? -v : v;
}

/** fp32 -> fp16, rounding to nearest even like F16C's _MM_FROUND_TO_NEAREST_INT, so the
 * reference and the SIMD conversions agree bit for bit. Overflow gives infinity, NaN stays
 * a (quiet) NaN. */
static inline sm_fp16 sm_fp32_to_fp16(float f)
{
    uint32_t x = sm_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) // NaN: keep the top payload bits, force quiet
        return (sm_fp16)(sign | 0x7e00u | (ax >> 13 & 0x3ffu));
    if (ax >= 0x477ff000u) // >= 65520 rounds to infinity (65504 is the largest half)
        return (sm_fp16)(sign | 0x7c00u);
    if (ax >= 0x38800000u) { // a normal half: round the 13 dropped bits to nearest even
        uint32_t r = ax + 0xfffu + (ax >> 13 & 1u) - 0x38000000u;
        return (sm_fp16)(sign | r >> 13);
    }
    // A half subnormal (or zero): m * 2^-24 with m = mant * 2^(e - 126), rounded to even.
    uint32_t e = ax >> 23, shift = 126 - e;
    if (shift > 24)
        return (sm_fp16)sign;
    uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
    uint32_t m = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (m & 1u)))
        m++;
    return (sm_fp16)(sign | m);
}

/** Sub-block @p j's 6-bit scale and min of a Q4_K block: for j < 4 the low 6 bits of
 * scales[j] and scales[j + 4]; for j >= 4 the nibbles of scales[j + 4] completed by the top
 * two bits of scales[j - 4] (scale) and scales[j] (min). */
static inline void sm_q4_K_scale_min(const uint8_t *scales, int j, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0xf) | (scales[j - 4] >> 6) << 4);
        *m = (uint8_t)((scales[j + 4] >> 4) | (scales[j] >> 6) << 4);
    }
}

/** Element @p e (< 256) of a Q4_K block as its 4-bit code q (x = d * sc * q - dmin * m). */
static inline int sm_q4_K_code(const sm_block_q4_K *b, int e)
{
    int c = e / 64, l = e % 64;
    uint8_t byte = b->qs[32 * c + (l % 32)];
    return l < 32 ? byte & 0xf : byte >> 4;
}

/** Element @p e (< 256) of a Q6_K block as its signed code q - 32 (x = d * scales[e/16] * it). */
static inline int sm_q6_K_code(const sm_block_q6_K *b, int e)
{
    int h = e / 128, quarter = (e % 128) / 32, l = e % 32;
    const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
    uint8_t lo = (quarter & 1) ? ql[l + 32] : ql[l];
    lo = (quarter & 2) ? lo >> 4 : lo & 0xf;
    int hi = (qh[l] >> (2 * quarter)) & 3;
    return (lo | hi << 4) - 32;
}

#endif /* SM_KERNELS_QUANT_H */
