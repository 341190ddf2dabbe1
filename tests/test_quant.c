/* SPDX-License-Identifier: MIT */
/* test_quant.c: fp16 conversion and the GGUF block formats against hand-computed values, and
 * every table's quantizers and dequantizers bit for bit against ref. */
#include "config.h"

#include <math.h>

#include "kernel_util.h"
#include "sm_test.h"

/* ---- fp16 ------------------------------------------------------------------------------- */

START_TEST(test_quant_fp16_known_values)
{
    static const struct {
        float f;
        sm_fp16 h;
    } cases[] = {
        {1.0f, 0x3c00},
        {-2.0f, 0xc000},
        {65504.0f, 0x7bff},
        {65519.0f, 0x7bff},
        {65520.0f, 0x7c00},
        {1e9f, 0x7c00},
        {0x1p-24f, 0x0001},
        {0x1p-25f, 0x0000},
        {0x1.8p-24f, 0x0002},
        {0x1p-14f, 0x0400},
        {0.0f, 0x0000},
        {-0.0f, 0x8000},
        {1.0f + 0x1p-11f, 0x3c00},
        {1.0f + 0x1.8p-10f, 0x3c02},
        {0.1f, 0x2e66},
        {-0x1.ff8p-15f, 0x83ff},
        {0x1.ffcp-15f, 0x0400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sm_fp16 h = sm_fp32_to_fp16(cases[i].f);
        ck_assert_msg(h == cases[i].h, "fp32 %a -> fp16 0x%04x, expected 0x%04x", cases[i].f, h,
                      cases[i].h);
    }
    sm_fp16 nan = sm_fp32_to_fp16(NAN);
    ck_assert_msg((nan & 0x7c00) == 0x7c00 && (nan & 0x3ff) != 0, "NaN -> 0x%04x", nan);
    ck_assert(sm_fp16_to_fp32(0x7c00) == INFINITY);
    ck_assert(sm_fp16_to_fp32(0x0001) == 0x1p-24f);
    ck_assert(sm_fp16_to_fp32(0x3555) == 0x1.554p-2f);
}
END_TEST

/* Every finite half converts to fp32 and back unchanged (the conversions invert each other). */
START_TEST(test_quant_fp16_round_trip_all)
{
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue; // NaN payloads are quieted
        sm_fp16 back = sm_fp32_to_fp16(sm_fp16_to_fp32((sm_fp16)h));
        ck_assert_msg(back == h, "0x%04x -> %a -> 0x%04x", h, sm_fp16_to_fp32((sm_fp16)h), back);
    }
}
END_TEST

/* ---- hand-computed blocks --------------------------------------------------------------- */

/* x[j] = j - 16: amax 16, d = 16/127 ~ 0.1259842, which is fp16 0x3008 (2^-3 * (1 + 8/1024));
 * q = round(x * 7.9375). */
START_TEST(test_quant_q8_0_hand_block)
{
    float x[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16);
    sm_block_q8_0 b;
    sm_kernels_table(SM_ISA_REF)->quant_q8_0(x, &b, 32);
    ck_assert_uint_eq(b.d, 0x3008);
    ck_assert_int_eq(b.qs[0], -127);
    ck_assert_int_eq(b.qs[16], 0);
    ck_assert_int_eq(b.qs[17], 8);  // 7.9375
    ck_assert_int_eq(b.qs[18], 16); // 15.875
    ck_assert_int_eq(b.qs[20], 32); // 31.75
    ck_assert_int_eq(b.qs[12], -32);
    ck_assert_int_eq(b.qs[31], 119); // 119.06
}
END_TEST

/* quant_q8_0_even against quant_q8_0 on blocks that tell them apart.
 * - max|x| = 127: both scales are exactly 1, so only the ties' rounding differs: 2.5, -2.5,
 *   3.5 and -60.5 give 2, -2, 4 and -60 (to even) against 3, -3, 4 and -61 (away from zero).
 * - max|x| = 2.08364224 (d = 0.0164066311): x = -2.0590322 is -125.5 exactly as x * (1 / d)
 *   but -125.499992 as x * (127 / max), so -126 against -125 (in exact arithmetic it is
 *   -125.49999422).
 * - max|x| = 1.03532565: x = 0.558423698 is 68.5000076 as x * (1 / d), 68.5 exactly as
 *   x * (127 / max): 69 against 68 (exact: 68.5000028). */
START_TEST(test_quant_q8_0_even_hand_blocks)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    float x[32] = {127.0f, 2.5f, -2.5f, 3.5f, -60.5f};
    sm_block_q8_0 a, e;
    ref->quant_q8_0(x, &a, 32);
    ref->quant_q8_0_even(x, &e, 32);
    ck_assert_uint_eq(a.d, 0x3c00); /* 1.0 */
    ck_assert_uint_eq(e.d, 0x3c00);
    static const int away[5] = {127, 3, -3, 4, -61}, even[5] = {127, 2, -2, 4, -60};
    for (int j = 0; j < 5; j++) {
        ck_assert_int_eq(a.qs[j], away[j]);
        ck_assert_int_eq(e.qs[j], even[j]);
    }
    for (int j = 5; j < 32; j++)
        ck_assert(a.qs[j] == 0 && e.qs[j] == 0);
    memset(x, 0, sizeof x);
    x[0] = 2.08364224f;
    x[1] = -2.0590322f;
    ref->quant_q8_0(x, &a, 32);
    ref->quant_q8_0_even(x, &e, 32);
    ck_assert_uint_eq(a.d, e.d); /* the same d: fp16(max / 127) */
    ck_assert_int_eq(a.qs[1], -126);
    ck_assert_int_eq(e.qs[1], -125);
    x[0] = 1.03532565f;
    x[1] = 0.558423698f;
    ref->quant_q8_0(x, &a, 32);
    ref->quant_q8_0_even(x, &e, 32);
    ck_assert_int_eq(a.qs[1], 69);
    ck_assert_int_eq(e.qs[1], 68);
    ck_assert_int_eq(e.qs[0], 127);
}
END_TEST

/* x[j] = j - 16: the largest magnitude is -16, so d = -16 / -8 = 2 (0x4000), and
 * q_j = min(15, trunc((j - 16) / 2 + 8.5)) = min(15, floor((j + 1) / 2)). */
START_TEST(test_quant_q4_0_hand_block)
{
    float x[32], y[32];
    for (int j = 0; j < 32; j++)
        x[j] = (float)(j - 16);
    sm_block_q4_0 b;
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    ref->quant_q4_0(x, &b, 32);
    ck_assert_uint_eq(b.d, 0x4000);
    static const uint8_t expect[16] = {0x80, 0x91, 0x91, 0xa2, 0xa2, 0xb3, 0xb3, 0xc4,
                                       0xc4, 0xd5, 0xd5, 0xe6, 0xe6, 0xf7, 0xf7, 0xf8};
    for (int j = 0; j < 16; j++)
        ck_assert_msg(b.qs[j] == expect[j], "qs[%d] = 0x%02x, expected 0x%02x", j, b.qs[j],
                      expect[j]);
    ref->dequant_q4_0(&b, y, 32);
    ck_assert_float_eq(y[0], -16.0f); // code 0
    ck_assert_float_eq(y[3], -12.0f); // code 2
    ck_assert_float_eq(y[16], 0.0f);  // code 8
    ck_assert_float_eq(y[31], 14.0f); // code 15, clamped
}
END_TEST

/* sc = {1, 2, 3, 4, 17, 33, 63, 40}, m = {0, 5, 10, 15, 20, 48, 1, 63} packed by hand as GGUF
 * does; d = 1, dmin = 0.5; qs[i] = 7i mod 256. */
static void q4_K_hand_block(sm_block_q4_K *b)
{
    static const uint8_t scales[12] = {65, 130, 195, 132, 64, 197, 10, 207, 65, 1, 31, 248};
    memcpy(b->scales, scales, sizeof scales);
    b->d = 0x3c00;
    b->dmin = 0x3800;
    for (int i = 0; i < 128; i++)
        b->qs[i] = (uint8_t)(7 * i);
}

START_TEST(test_quant_q4_K_hand_block)
{
    sm_block_q4_K b;
    q4_K_hand_block(&b);
    static const uint8_t sc_expect[8] = {1, 2, 3, 4, 17, 33, 63, 40};
    static const uint8_t m_expect[8] = {0, 5, 10, 15, 20, 48, 1, 63};
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        sm_q4_K_scale_min(b.scales, j, &sc, &m);
        ck_assert_msg(sc == sc_expect[j] && m == m_expect[j], "sub-block %d: sc %u m %u", j, sc, m);
    }
    float y[256];
    sm_kernels_table(SM_ISA_REF)->dequant_q4_K(&b, y, 256);
    ck_assert_float_eq(y[0], 0.0f);     // qs[0] = 0, low nibble; sc 1, m 0
    ck_assert_float_eq(y[37], 1.5f);    // qs[5] = 35, high nibble 2: 2 * 2 - 0.5 * 5
    ck_assert_float_eq(y[131], 75.0f);  // qs[67] = 213, low nibble 5: 17 * 5 - 0.5 * 20
    ck_assert_float_eq(y[232], 488.5f); // qs[104] = 216, high 13: 40 * 13 - 0.5 * 63
}
END_TEST

/* d = 0.5, scales[j] = j - 8, ql[i] = i, qh[i] = 5i mod 256. */
START_TEST(test_quant_q6_K_hand_block)
{
    sm_block_q6_K b;
    for (int i = 0; i < 128; i++)
        b.ql[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        b.qh[i] = (uint8_t)(5 * i);
    for (int j = 0; j < 16; j++)
        b.scales[j] = (int8_t)(j - 8);
    b.d = 0x3800;
    float y[256];
    sm_kernels_table(SM_ISA_REF)->dequant_q6_K(&b, y, 256);
    ck_assert_float_eq(y[0], 128.0f);   // q = 0 | 0 - 32, scale -8
    ck_assert_float_eq(y[33], 45.0f);   // ql[33] & 15 = 1, qh[1] >> 2 & 3 = 1: q = -15, scale -6
    ck_assert_float_eq(y[194], 8.0f);   // ql[66] >> 4 = 4, qh[34] >> 4 & 3 = 2: q = 4, scale 4
    ck_assert_float_eq(y[255], -87.5f); // ql[127] >> 4 = 7, qh[63] >> 6 = 0: q = -25, scale 7
}
END_TEST

/* x[j] = j mod 32 - 16: iscale = -127 / -16 = 7.9375, q = rint(x * iscale), d = 1 / 7.9375;
 * bsums[0] = -(8 + 16 + ... + 64 + 71 + 79 + 87 + 95 + 103 + 111 + 119 + 127) = -1080. */
START_TEST(test_quant_q8_K_hand_block)
{
    float x[256];
    for (int j = 0; j < 256; j++)
        x[j] = (float)(j % 32 - 16);
    sm_block_q8_K b;
    sm_kernels_table(SM_ISA_REF)->quant_q8_K(x, &b, 256);
    ck_assert_float_eq(b.d, 1.0f / 7.9375f);
    ck_assert_int_eq(b.qs[0], -127);
    ck_assert_int_eq(b.qs[8], -64); // -63.5 to even
    ck_assert_int_eq(b.qs[25], 71); // 71.44
    ck_assert_int_eq(b.bsums[0], -1080);
    ck_assert_int_eq(b.bsums[1], 0 + 8 + 16 + 24 + 32 + 40 + 48 + 56 + 64 + 71 + 79 + 87 + 95 +
                                     103 + 111 + 119);
}
END_TEST

/* Non-finite activations (a model whose weights overflow, found by fuzz/fuzz_model_load):
 * converting NaN or an infinity to an integer code is undefined in C, so the quantizers give
 * a NaN element code 0 and leave the rest of the block as without it. With an infinity the
 * scale is infinite and every code 0 (x * (1/inf)). Under UBSan (clang's float-cast-overflow)
 * the old casts failed here. */
START_TEST(test_quant_nonfinite_activations)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    float x[256];
    for (int j = 0; j < 256; j++)
        x[j] = (float)(j % 32 - 16);
    x[5] = NAN;
    sm_block_q8_0 b8;
    ref->quant_q8_0(x, &b8, 32);
    ck_assert_uint_eq(b8.d, 0x3008); /* as the hand block: max|x| is still 16 */
    ck_assert_int_eq(b8.qs[5], 0);
    ck_assert_int_eq(b8.qs[0], -127);
    ck_assert_int_eq(b8.qs[17], 8);
    sm_block_q8_0 e8;
    ref->quant_q8_0_even(x, &e8, 32);
    ck_assert_mem_eq(&e8, &b8, sizeof b8); /* no tie here: the two agree */
    sm_block_q4_0 b4;
    ref->quant_q4_0(x, &b4, 32);
    ck_assert_int_eq(b4.qs[5] & 0xF, 0);
    ck_assert_int_eq(b4.qs[0] & 0xF, 0); /* -16 is the largest magnitude: code 0 */
    sm_block_q8_K bk;
    ref->quant_q8_K(x, &bk, 256);
    ck_assert_int_eq(bk.qs[0], -127); /* iscale = -127 / -16, as the hand block */
    x[5] = INFINITY;
    ref->quant_q8_0(x, &b8, 32);
    ck_assert_uint_eq(b8.d, 0x7C00); /* fp16 infinity */
    for (int j = 0; j < 32; j++)
        ck_assert_int_eq(b8.qs[j], 0);
    ref->quant_q8_0_even(x, &e8, 32); /* 127 / inf = 0: the same */
    ck_assert_mem_eq(&e8, &b8, sizeof b8);
    x[5] = -INFINITY;
    ref->quant_q4_0(x, &b4, 32);
    /* d = inf, so 1/d = 0: finite x give 0 + 8.5, code 8; -inf * 0 is NaN, code 0 */
    for (int j = 0; j < 16; j++)
        ck_assert_int_eq(b4.qs[j], j == 5 ? 0x80 : 0x88);
}
END_TEST

/* ---- every table against ref ------------------------------------------------------------ */

static const sm_type dequant_types[] = {SM_TYPE_F16, SM_TYPE_Q8_0, SM_TYPE_Q4_0, SM_TYPE_Q4_K,
                                        SM_TYPE_Q6_K};

START_TEST(test_quant_dequant_matches_ref)
{
    const sm_kernels *kt = sm_kernels_table((sm_isa)_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return; // the host lacks this table
    uint64_t rng = 99;
    for (size_t ti = 0; ti < sizeof dequant_types / sizeof dequant_types[0]; ti++) {
        sm_type t = dequant_types[ti];
        size_t n = 4096 + (t == SM_TYPE_F16 ? 33 : 0);
        void *row = kt_alloc(sm_type_row_bytes(t, n));
        float *a = kt_alloc(n * sizeof(float)), *b = kt_alloc(n * sizeof(float));
        kt_random_row(&rng, t, row, n);
        sm_kernels_dequant(kt, t)(row, a, n);
        sm_kernels_dequant(ref, t)(row, b, n);
        ck_assert_msg(!memcmp(a, b, n * sizeof(float)), "%s: dequant type %d differs from ref",
                      kt->name, (int)t);
        free(row);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_quant_quantize_matches_ref)
{
    const sm_kernels *kt = sm_kernels_table((sm_isa)_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    uint64_t rng = 7;
    size_t n = 4096;
    float *x = kt_alloc(n * sizeof(float));
    kt_fill(&rng, x, n, -3.0f, 3.0f);
    x[5] = 0; // a zero block tail and an all-zero block exercise the d == 0 path
    memset(x + 256, 0, 256 * sizeof(float));
    /* Ties: a Q8_0 block with max|x| = 127 (d = 1, 1/d = 1), so x = k + 0.5 rounds half away
     * from zero; a Q8_K block whose extreme is -127 (iscale = 1), so they round to even. */
    x[512] = 127;
    for (int j = 1; j < 32; j++)
        x[512 + j] = -63.5f + 4 * (float)j;
    x[1792] = -127;
    for (int j = 1; j < 256; j++)
        x[1792 + j] = (float)(j % 64) - 31.5f;
    /* The Q8_K scale takes the sign of the first element of largest magnitude. */
    x[1030] = -3.0f;
    x[1100] = 3.0f;
    /* Non-finite values: a NaN in a block, and infinities in others. */
    x[1540] = NAN;
    x[1600] = INFINITY;
    x[1700] = -INFINITY;
    x[2100] = NAN;
    size_t bytes = sm_type_row_bytes(SM_TYPE_Q8_K, n);
    void *a = kt_alloc(bytes), *b = kt_alloc(bytes);
    struct {
        sm_k_quant_fn k, r;
        sm_type t;
    } q[] = {{kt->quant_q8_0, ref->quant_q8_0, SM_TYPE_Q8_0},
             {kt->quant_q8_0_even, ref->quant_q8_0_even, SM_TYPE_Q8_0},
             {kt->quant_q4_0, ref->quant_q4_0, SM_TYPE_Q4_0},
             {kt->quant_q8_K, ref->quant_q8_K, SM_TYPE_Q8_K}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        memset(a, 0, bytes);
        memset(b, 0, bytes);
        q[i].k(x, a, n);
        q[i].r(x, b, n);
        ck_assert_msg(!memcmp(a, b, sm_type_row_bytes(q[i].t, n)),
                      "%s: quantize to type %d differs from ref", kt->name, (int)q[i].t);
    }
    free(x);
    free(a);
    free(b);
}
END_TEST

static Suite *quant_suite(void)
{
    Suite *s = suite_create("quant");
    TCase *tc = tcase_create("fp16");
    tcase_add_test(tc, test_quant_fp16_known_values);
    tcase_add_test(tc, test_quant_fp16_round_trip_all);
    suite_add_tcase(s, tc);
    tc = tcase_create("blocks");
    tcase_add_test(tc, test_quant_q8_0_hand_block);
    tcase_add_test(tc, test_quant_q8_0_even_hand_blocks);
    tcase_add_test(tc, test_quant_q4_0_hand_block);
    tcase_add_test(tc, test_quant_q4_K_hand_block);
    tcase_add_test(tc, test_quant_q6_K_hand_block);
    tcase_add_test(tc, test_quant_q8_K_hand_block);
    tcase_add_test(tc, test_quant_nonfinite_activations);
    suite_add_tcase(s, tc);
    tc = tcase_create("tables");
    tcase_add_loop_test(tc, test_quant_dequant_matches_ref, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_quant_quantize_matches_ref, 0, SM_ISA_COUNT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(quant_suite());
}
