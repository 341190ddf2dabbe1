/* SPDX-License-Identifier: MIT */
/* ref_quant.h: test-side fp16 conversion, quantizers and dequantizers for the GGUF weight
 * types, written from the GGUF block layouts independently of kernels/ (the runtime's own),
 * so that the two can check each other. Plain scalar code; speed is not a goal.
 *
 * Block layouts (little-endian, as GGUF stores them; d, dmin are IEEE binary16):
 *   Q8_0 (32 elements, 34 bytes): d, int8 q[32];            x[i] = d * q[i]
 *   Q4_0 (32 elements, 18 bytes): d, u8 qs[16];             x[i] = d * ((qs[i] & 15) - 8),
 *                                                           x[i + 16] = d * ((qs[i] >> 4) - 8)
 *   Q4_K (256 elements, 144 bytes): d, dmin, u8 scales[12], u8 qs[128]; 8 sub-blocks of 32 with
 *        6-bit scale sc[j] and min m[j]: x = d * sc[j] * q - dmin * m[j]; qs[32c + l] holds
 *        element 64c + l (low nibble) and 64c + 32 + l (high nibble).
 *   Q6_K (256 elements, 210 bytes): u8 ql[128], u8 qh[64], int8 scales[16], d; 16 sub-blocks
 *        of 16: x = d * scales[e / 16] * (q[e] - 32), q 6 bits (low 4 in ql, high 2 in qh). */
#ifndef SM_TEST_REF_QUANT_H
#define SM_TEST_REF_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* GGUF (ggml) type ids of the weight types the tests generate. */
enum {
    SM_RQ_F32 = 0,
    SM_RQ_F16 = 1,
    SM_RQ_Q4_0 = 2,
    SM_RQ_Q8_0 = 8,
    SM_RQ_Q4_K = 12,
    SM_RQ_Q6_K = 14,
};

/* IEEE binary16 from a float, rounding to nearest even; overflow gives infinity, NaN stays NaN. */
uint16_t sm_rq_fp32_to_fp16(float f);
float sm_rq_fp16_to_fp32(uint16_t h);

/* Elements per block of @p type (1 for F32/F16), 0 for a type not listed above. */
size_t sm_rq_block_elems(uint32_t type);

/* Bytes of a row of @p n elements of @p type; 0 for an unknown type or when n is not a
 * multiple of the block size. */
size_t sm_rq_row_bytes(uint32_t type, size_t n);

/* The type's name as GGUF/ggml spells it ("Q4_K"), or NULL. */
const char *sm_rq_type_name(uint32_t type);

/* The type id for a name, case-insensitive ("q8_0", "F16"), or -1. */
int sm_rq_type_from_name(const char *name);

/* Quantizes @p n floats (n a multiple of the block size) into @p dst (sm_rq_row_bytes bytes).
 * 0 on success, -1 for an unknown type or a bad n. */
int sm_rq_quantize(uint32_t type, const float *x, size_t n, void *dst);

/* Dequantizes @p n elements of @p type at @p src into @p y. 0, or -1 as above. */
int sm_rq_dequantize(uint32_t type, const void *src, size_t n, float *y);

/* What a Q8_0 activation becomes when a runtime quantizes it for a Q8_0/Q4_0 dot product, as
 * ggml's quantize_row_q8_0_ref does: per block of 32, d = amax / 127 stored as fp16,
 * q = round(x * 127 / amax) (half away from zero), value q * fp16(d). n % 32 == 0. */
void sm_rq_q8_0_roundtrip(const float *x, size_t n, float *y);

/* The same for the K-quants' activations, Q8_K, as ggml's quantize_row_q8_K_ref: per block of
 * 256, the element of largest magnitude (with its sign) maps to -127, iscale = -127 / max,
 * q = min(127, round-half-even(iscale * x)), value q / iscale (the scale stays f32).
 * n % 256 == 0. */
void sm_rq_q8_K_roundtrip(const float *x, size_t n, float *y);

#endif /* SM_TEST_REF_QUANT_H */
