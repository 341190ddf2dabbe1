/* SPDX-License-Identifier: MIT */
/* kernels.h: the kernel table: one typedef per op with its written contract, and the calls that
 * return the table chosen for this CPU or a given ISA's table. */
#ifndef SM_KERNELS_H
#define SM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/quant.h"

/*
 * Rules every kernel follows (each typedef adds its own):
 * - Single-threaded, no allocation, no I/O, no global state: callers split the work into tiles.
 * - Pointers need only their element type's alignment (4 bytes for floats, 2 for blocks); no
 *   kernel assumes 32- or 64-byte alignment, though aligned data runs faster.
 * - Any length is accepted, tails included (1, 31, 33, 4095 ...), except where a contract
 *   asks for a multiple of a block size (quantized rows). Lengths of 0 do nothing.
 * - Inputs and outputs must not overlap unless the contract says "may alias", which always
 *   means "is the same pointer", never a partial overlap.
 * - Accuracy is stated against kernels/ref/, the oracle; tests/test_kernels.c enforces it with
 *   the tolerances named in tests/kernel_util.h.
 */

/** The instruction sets with a table of their own. Every table is complete: slots a folder
 * does not implement hold the next lower table's kernel (avx512 > avx2 > ref). */
typedef enum sm_isa {
    SM_ISA_REF = 0,    /* kernels/ref: portable scalar C, the oracle */
    SM_ISA_AVX2 = 1,   /* kernels/x86/avx2: AVX2 + FMA + F16C */
    SM_ISA_AVX512 = 2, /* kernels/x86/avx512: AVX-512 F/BW/VL (+ VNNI when the CPU has it) */
    SM_ISA_COUNT = 3,
} sm_isa;

/**
 * Matmul tile: y[t * y_stride + r] = sum over k < n_in of W[r][k] * x[t][k], for output rows
 * r in [r0, r1) and tokens t in [t0, t1). Other elements of y are not touched.
 * - W row r starts at (const char *)w + r * w_stride; its elements are of the slot's weight
 *   type (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K), w_stride >= sm_type_row_bytes(wtype, n_in).
 * - x token t starts at (const char *)x + t * x_stride and holds n_in elements of type
 *   sm_type_matmul_x(wtype): f32 for F32/F16 weights, Q8_0 blocks for Q8_0/Q4_0 weights,
 *   Q8_K blocks for Q4_K/Q6_K, quantized once per op by sm_kernels_quant_x's quantizer (any
 *   blocks of the type are accepted).
 * - n_in: any value for F32/F16; a multiple of 32 (Q8_0, Q4_0) or 256 (K-quants) otherwise.
 * - y must not overlap w or x.
 * - Determinism: y[t][r] is computed by the same sequence of operations whatever r0, r1, t0,
 *   t1 are (no split of a dot product, summation order fixed by n_in alone), so one table
 *   gives bit-identical results for any tiling. Across tables only the tolerance holds.
 * - Accuracy versus ref: float rounding of a reordered sum (relative 1e-5 of sum |W||x| for
 *   F32/F16); quantized dot products are exact in integers, so only the float accumulation of
 *   block results differs.
 */
typedef void (*sm_k_matmul_fn)(const void *w, size_t w_stride, const void *x, size_t x_stride,
                               float *y, size_t y_stride, size_t n_in, size_t r0, size_t r1,
                               size_t t0, size_t t1);

/**
 * Weights repacked for a table's interleaved Q8_0/Q4_0 matmul ("x16"). The layout is the
 * table's own: rows in groups of 16, each group sm_x16_group_bytes(type, n_in) long and made
 * of one sm_x16_block_bytes(type) record per 32-element block. A pack function writes the
 * records of rows [0, n_out) (a last partial group padded with zero rows) from row-major
 * weights (row r at w + r * w_stride) into @p dst, sm_x16_bytes(type, n_out, n_in) bytes,
 * 64-byte aligned. The matmul slots take that buffer as w, sm_x16_group_bytes as w_stride and
 * r0 a multiple of 16; otherwise the sm_k_matmul_fn contract holds, and they give the same
 * bits as the table's matmul_q8_0 / matmul_q4_0 on the original rows. NULL in tables without
 * such a layout.
 */
typedef void (*sm_k_pack_fn)(const void *w, size_t w_stride, size_t n_out, size_t n_in, void *dst);

/** Bytes of one x16 block record of @p t: Q8_0 544, Q4_0 288; 0 for other types. */
size_t sm_x16_block_bytes(sm_type t);
size_t sm_x16_group_bytes(sm_type t, size_t n_in);
size_t sm_x16_bytes(sm_type t, size_t n_out, size_t n_in);

/** Dequantize n elements of a row of the slot's type at @p src into y[0..n). n is a multiple of
 * the type's block size. Exact: every table returns the same bits as ref (the products are of
 * an fp16 scale and small integers, rounded once, in the same order). */
typedef void (*sm_k_dequant_fn)(const void *src, float *y, size_t n);

/** Quantize x[0..n) into blocks at @p dst (n a multiple of the block size). Every table gives
 * the same bits as ref. Q4_0, Q8_K and quant_q8_0 round as ggml's reference quantizers (the
 * blocks GGUF tools write): Q8_0 d = max|x| / 127 (f32, stored as fp16), q = x * (1 / d)
 * rounded half away from zero. quant_q8_0_even is the same block with q = x * (127 / max|x|)
 * rounded half to even, as ggml's x86 quantize_row_q8_0 computes it; the two products differ
 * in their last bit now and then, and a code on a .5 then rounds the other way. Which one a
 * matmul's activations get is sm_kernels_quant_x's choice. */
typedef void (*sm_k_quant_fn)(const float *x, void *dst, size_t n);

/** y[i] = a[i] OP b[i] for i < n (add, mul). y may alias a or b. Exact (one rounding). */
typedef void (*sm_k_binary_fn)(size_t n, const float *a, const float *b, float *y);

/** y[i] = s * x[i]. y may alias x. Exact. */
typedef void (*sm_k_scale_fn)(size_t n, const float *x, float s, float *y);

/** Broadcast add (bias): y[i * stride + j] = x[i * stride + j] + b[j] for i < n_rows, j < n.
 * y may alias x; b must not overlap either. stride >= n (floats). Exact. */
typedef void (*sm_k_bias_fn)(size_t n_rows, size_t n, size_t stride, const float *x, const float *b,
                             float *y);

/** Element-wise activation y[i] = f(x[i]): GELU or SiLU (x / (1 + exp(-x))). y may alias x.
 * GELU goes through fp16, as GGUF runtimes compute it (ggml's CPU backend by default): x <= -10
 * gives 0, x >= 10 gives x, and otherwise x is rounded to the nearest fp16 (ties to even) and
 * the result is the table entry for it (gelu_table.h: the tanh form
 * 0.5 h (1 + tanh(sqrt(2/pi) h (1 + 0.044715 h^2))) in f32, rounded to the nearest fp16).
 * Every table gives ref's bits. Against the formula in exact arithmetic that costs up to half an
 * fp16 ulp of the input (times GELU' <= 1.13) plus half an fp16 ulp of the result: about
 * 5e-4 relative, 1.2e-3 at most; the tests check the table against the formula in double.
 * Why fp16: a matmul fed a GELU computed in full f32 differs from such a runtime's by those
 * roundings, 1e-3 in the logits of a 2-layer GPT-2 (the fixtures), beyond a 1e-4 tolerance.
 * SiLU in the SIMD tables evaluates exp with a polynomial (kernels/x86/avx2/simd.h,
 * avx512/simd.h): 9.5e-7 absolute, 2.4e-7 relative versus ref (expf). Guaranteed by the tests:
 * 2e-6 + 2e-6 |y|. Non-finite inputs are not supported. */
typedef void (*sm_k_unary_fn)(size_t n, const float *x, float *y);

/** Fused SwiGLU: y[i] = silu(gate[i]) * up[i]. y may alias gate or up. Accuracy as SiLU. */
typedef void (*sm_k_swiglu_fn)(size_t n, const float *gate, const float *up, float *y);

/** Softmax over x[0..n), n >= 1, numerically stable (subtracts the max) and fused: one pass
 * for the max, one for exp and the sum, one for the scaling. y may alias x. Relative error
 * versus ref within 1e-5 per element; the outputs sum to 1 within 1e-5. */
typedef void (*sm_k_softmax_fn)(size_t n, const float *x, float *y);

/** RMSNorm: y[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]. n >= 1. y may alias x; w must not
 * overlap y. Relative error versus ref within 1e-5. */
typedef void (*sm_k_rmsnorm_fn)(size_t n, const float *x, const float *w, float eps, float *y);

/** LayerNorm: y[i] = (x[i] - mean) / sqrt(var + eps) * w[i] + b[i] (biased variance). n >= 1.
 * y may alias x; w and b must not overlap y. Error versus ref within 1e-5 (relative to the
 * normalised value's magnitude plus b's). */
typedef void (*sm_k_layernorm_fn)(size_t n, const float *x, const float *w, const float *b,
                                  float eps, float *y);

/** RoPE, in place, on n_head heads of one position: head h is x + h * head_stride (floats).
 * Each of the n_rot / 2 pairs i (n_rot even, <= head_dim) is rotated by the angle whose
 * cos and sin are cs[2i] and cs[2i + 1] (see sm_rope_cache: precomputed once per position).
 * Normal pairing (LLaMA as GGUF stores it) rotates (x[2i], x[2i + 1]); NeoX pairing rotates
 * (x[i], x[i + n_rot / 2]). Elements from n_rot to head_dim are left as they are. Exact up to
 * one FMA contraction per output (within 2 ulp of ref). */
typedef void (*sm_k_rope_fn)(size_t n_head, size_t head_dim, size_t head_stride, size_t n_rot,
                             int neox, const float *cs, float *x);

/**
 * One attention head for n_q consecutive queries over a KV cache (f32), causal:
 * query i (at q + i * q_stride, head_dim floats) sits at position pos0 + i and attends to the
 * cache positions p in [0, pos0 + i] (key p at k + p * kv_stride, value p at v + p * kv_stride).
 * s_j = scale * <q_i, k_j>, softmax over j, out[i * out_stride + d] = sum_j softmax_j * v_j[d].
 * scratch holds pos0 + n_q floats (the scores). out must not overlap the inputs or scratch.
 * Relative error versus ref within 1e-5 of the output's scale.
 */
typedef void (*sm_k_attn_fn)(size_t n_q, size_t head_dim, size_t pos0, float scale, const float *q,
                             size_t q_stride, const float *k, const float *v, size_t kv_stride,
                             float *scratch, float *out, size_t out_stride);

/** The kernel table. Every slot is filled (the ref table first, overridden slot by slot). */
typedef struct sm_kernels {
    sm_isa isa;
    const char *name; /* "ref", "avx2", "avx512" */

    sm_k_matmul_fn matmul_f32;
    sm_k_matmul_fn matmul_f16;
    sm_k_matmul_fn matmul_q8_0;
    sm_k_matmul_fn matmul_q4_0;
    sm_k_matmul_fn matmul_q4_K;
    sm_k_matmul_fn matmul_q6_K;

    sm_k_dequant_fn dequant_f16;
    sm_k_dequant_fn dequant_q8_0;
    sm_k_dequant_fn dequant_q4_0;
    sm_k_dequant_fn dequant_q4_K;
    sm_k_dequant_fn dequant_q6_K;

    sm_k_quant_fn quant_q8_0;
    sm_k_quant_fn quant_q8_0_even;
    sm_k_quant_fn quant_q4_0;
    sm_k_quant_fn quant_q8_K;

    sm_k_binary_fn add;
    sm_k_binary_fn mul;
    sm_k_scale_fn scale;
    sm_k_bias_fn add_bias;
    sm_k_unary_fn gelu;
    sm_k_unary_fn silu;
    sm_k_swiglu_fn swiglu;
    sm_k_softmax_fn softmax;
    sm_k_rmsnorm_fn rmsnorm;
    sm_k_layernorm_fn layernorm;
    sm_k_rope_fn rope;
    sm_k_attn_fn attn;

    /* Optional (NULL in tables without it): the x16 layout, see sm_k_pack_fn. */
    sm_k_matmul_fn matmul_q8_0_x16;
    sm_k_matmul_fn matmul_q4_0_x16;
    sm_k_pack_fn pack_q8_0_x16;
    sm_k_pack_fn pack_q4_0_x16;
} sm_kernels;

/** The table for this process: SM_KERNELS=ref|avx2|avx512 when set and supported, else the
 * best the CPU and OS support. Chosen once (thread-safe), logged at SM_LOG_INFO when
 * SM_KERNELS_DEBUG=1; an unknown or unsupported SM_KERNELS is logged as a warning and
 * ignored. The table lives as long as the process. */
const sm_kernels *sm_kernels_get(void);

/** The table of @p isa, or NULL when this build or this CPU lacks it (for tests and
 * benchmarks that compare tables). */
const sm_kernels *sm_kernels_table(sm_isa isa);

/** The table's matmul for weights of type @p w, or NULL for a type without one. */
sm_k_matmul_fn sm_kernels_matmul(const sm_kernels *kt, sm_type w);

/**
 * The quantizer of a matmul's f32 activations for weights of type @p w (into blocks of
 * sm_type_matmul_x(w)), or NULL when they stay f32 (F32, F16): Q8_0 weights take
 * quant_q8_0_even, Q4_0 weights quant_q8_0, Q4_K and Q6_K quant_q8_K. Why two Q8_0 roundings:
 * the reference runtime of the fixtures (tests/test_forward.c) rounds each way on its own path,
 * and a code rounded the other way moves the logits by ~0.02. Measured on ties: with Q8_0
 * weights x * (1 / d) = -125.5 but x * (127 / max) = -125.499992, and it has -125; codes on an
 * exact .5 go to even. With Q4_0 weights x * (1 / d) = 68.5000076 but x * (127 / max) = 68.5,
 * and it has 69. That is ggml's CPU backend on x86: quantize_row_q8_0 (SIMD) for its Q8_0 x
 * Q8_0 products, its reference rounding for the Q4_0 path.
 */
sm_k_quant_fn sm_kernels_quant_x(const sm_kernels *kt, sm_type w);

/** The table's x16 matmul and pack function for @p w (Q8_0, Q4_0), or NULL. */
sm_k_matmul_fn sm_kernels_matmul_x16(const sm_kernels *kt, sm_type w);
sm_k_pack_fn sm_kernels_pack_x16(const sm_kernels *kt, sm_type w);

/** The table's row dequantizer for @p t (F32 included: a copy), or NULL. */
sm_k_dequant_fn sm_kernels_dequant(const sm_kernels *kt, sm_type t);

/** Fills cs[0 .. n_rot) with cos, sin of pos * base^(-2i / n_rot) for each pair i < n_rot / 2:
 * the per-position table the rope kernel takes. Computed in double, rounded once. */
void sm_rope_cache(size_t pos, size_t n_rot, float base, float *cs);

/** Embedding fetch: y[i * y_stride .. + n_embd) = row ids[i] of the table (n_embd elements of
 * type @p t, rows row_bytes apart), dequantized, for i < n_ids. @p t must be F32, F16, Q8_0,
 * Q4_0, Q4_K or Q6_K and the ids in range: the model loader validates both. */
void sm_kernels_embed(const sm_kernels *kt, sm_type t, const void *table, size_t row_bytes,
                      size_t n_embd, const int32_t *ids, size_t n_ids, float *y, size_t y_stride);

#endif /* SM_KERNELS_H */
