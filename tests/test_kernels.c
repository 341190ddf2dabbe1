/* SPDX-License-Identifier: MIT */
/* test_kernels.c: every kernel table the host supports against kernels/ref/ for every op, at
 * sizes with tails, within the tolerances named in kernel_util.h; ref's fp16 GELU against the
 * formula in double; matmul determinism under different tilings; table selection through
 * SM_KERNELS. */
#include "config.h"

#include "kernel_util.h"
#include "sm_test.h"

static const size_t sizes[] = {1, 31, 32, 33, 255, 256, 257, 4095};
enum { N_SIZES = sizeof sizes / sizeof sizes[0] };

/* The table under test (loop index = sm_isa), or NULL when the host lacks it: the test then
 * passes without checking, as there is nothing to run. */
static const sm_kernels *table_or_skip(int i)
{
    return sm_kernels_table((sm_isa)i);
}

/* ---- matmul ------------------------------------------------------------------------------ */

typedef struct mm_case {
    sm_type w;
    double tol;
} mm_case;

static const mm_case mm_cases[] = {
    {SM_TYPE_F32, SM_TOL_MATMUL_F32},   {SM_TYPE_F16, SM_TOL_MATMUL_F16},
    {SM_TYPE_Q8_0, SM_TOL_MATMUL_Q8_0}, {SM_TYPE_Q4_0, SM_TOL_MATMUL_Q4_0},
    {SM_TYPE_Q4_K, SM_TOL_MATMUL_Q4_K}, {SM_TYPE_Q6_K, SM_TOL_MATMUL_Q6_K},
};

/* A problem: W [n_out][n_in] of type w (rows padded by 64 bytes, to catch stride misuse), x
 * [n_tok][n_in] in f32 and converted to the matmul's activation type, and for the tolerance
 * the dequantized |W| and |x|. */
typedef struct mm_prob {
    sm_type w_type, x_type;
    size_t n_in, n_out, n_tok, w_stride, x_stride;
    void *w, *x;
    float *wf, *xf; /* dequantized W and x (as the kernels see them) */
} mm_prob;

static void mm_prob_init(mm_prob *p, sm_type w, size_t n_in, size_t n_out, size_t n_tok,
                         uint64_t seed)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    uint64_t rng = seed;
    p->w_type = w;
    p->x_type = sm_type_matmul_x(w);
    p->n_in = n_in;
    p->n_out = n_out;
    p->n_tok = n_tok;
    p->w_stride = sm_type_row_bytes(w, n_in) + 64;
    p->x_stride = sm_type_row_bytes(p->x_type, n_in) + 64;
    p->w = kt_alloc(p->w_stride * n_out);
    p->x = kt_alloc(p->x_stride * n_tok);
    p->wf = kt_alloc(n_in * n_out * sizeof(float));
    p->xf = kt_alloc(n_in * n_tok * sizeof(float));
    for (size_t r = 0; r < n_out; r++) {
        void *row = (char *)p->w + r * p->w_stride;
        kt_random_row(&rng, w, row, n_in);
        sm_kernels_dequant(ref, w)(row, p->wf + r * n_in, n_in);
    }
    float *tmp = kt_alloc(n_in * sizeof(float));
    for (size_t t = 0; t < n_tok; t++) {
        void *row = (char *)p->x + t * p->x_stride;
        kt_fill(&rng, tmp, n_in, -1.0f, 1.0f);
        if (p->x_type == SM_TYPE_F32) {
            memcpy(row, tmp, n_in * sizeof(float));
            memcpy(p->xf + t * n_in, tmp, n_in * sizeof(float));
        } else if (p->x_type == SM_TYPE_Q8_0) {
            ref->quant_q8_0(tmp, row, n_in);
            ref->dequant_q8_0(row, p->xf + t * n_in, n_in);
        } else {
            ref->quant_q8_K(tmp, row, n_in);
            const sm_block_q8_K *b = row;
            for (size_t k = 0; k < n_in; k++)
                p->xf[t * n_in + k] = b[k / SM_QK_K].d * b[k / SM_QK_K].qs[k % SM_QK_K];
        }
    }
    free(tmp);
}

static void mm_prob_free(mm_prob *p)
{
    free(p->w);
    free(p->x);
    free(p->wf);
    free(p->xf);
}

static void mm_run(const sm_kernels *kt, const mm_prob *p, float *y, size_t r0, size_t r1,
                   size_t t0, size_t t1)
{
    sm_kernels_matmul(kt, p->w_type)(p->w, p->w_stride, p->x, p->x_stride, y, p->n_out, p->n_in, r0,
                                     r1, t0, t1);
}

/* Sizes of n_in per type: tails for float weights, block multiples for quantized ones. */
static size_t mm_n_in(sm_type w, size_t i)
{
    static const size_t q32[N_SIZES] = {32, 64, 96, 160, 256, 288, 512, 4096};
    static const size_t qk[N_SIZES] = {256, 512, 768, 1024, 1280, 2048, 2304, 4096};
    if (w == SM_TYPE_F32 || w == SM_TYPE_F16)
        return sizes[i];
    return (w == SM_TYPE_Q8_0 || w == SM_TYPE_Q4_0) ? q32[i] : qk[i];
}

/* Every type, every n_in, against ref: 37 rows (tails of any row micro-tile) x 1, 2 and 13
 * tokens (the GEMV, a small GEMM and tails of any token micro-tile). Untouched elements of y
 * must keep their sentinel. */
START_TEST(test_kernels_matmul_matches_ref)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    static const size_t toks[] = {1, 2, 13};
    for (size_t c = 0; c < sizeof mm_cases / sizeof mm_cases[0]; c++) {
        for (size_t si = 0; si < N_SIZES; si++) {
            for (size_t ti = 0; ti < 3; ti++) {
                size_t n_in = mm_n_in(mm_cases[c].w, si), n_out = 37, n_tok = toks[ti];
                mm_prob p;
                mm_prob_init(&p, mm_cases[c].w, n_in, n_out, n_tok, 1000 + si * 7 + ti);
                float *y = kt_alloc(n_out * n_tok * sizeof(float));
                float *yr = kt_alloc(n_out * n_tok * sizeof(float));
                for (size_t i = 0; i < n_out * n_tok; i++)
                    y[i] = -12345.0f;
                mm_run(kt, &p, y, 1, n_out, 0, n_tok); // row 0 left out on purpose
                mm_run(ref, &p, yr, 0, n_out, 0, n_tok);
                for (size_t t = 0; t < n_tok; t++) {
                    ck_assert_msg(y[t * n_out] == -12345.0f, "%s: row 0 was written", kt->name);
                    for (size_t r = 1; r < n_out; r++) {
                        double mag = 0;
                        for (size_t k = 0; k < n_in; k++)
                            mag += fabs((double)p.wf[r * n_in + k] * p.xf[t * n_in + k]);
                        double err = fabs((double)y[t * n_out + r] - yr[t * n_out + r]);
                        ck_assert_msg(err <= mm_cases[c].tol * mag + 1e-30,
                                      "%s type %d n_in %zu tok %zu/%zu row %zu: %.9g vs ref %.9g "
                                      "(|err| %.3g > %.3g * %.3g)",
                                      kt->name, (int)mm_cases[c].w, n_in, t, n_tok, r,
                                      y[t * n_out + r], yr[t * n_out + r], err, mm_cases[c].tol,
                                      mag);
                    }
                }
                free(y);
                free(yr);
                mm_prob_free(&p);
            }
        }
    }
}
END_TEST

/* The determinism contract: the whole tile in one call, then the same tile cut at random row
 * and token boundaries (in a random order of calls), must give the same bits. */
START_TEST(test_kernels_matmul_split_is_bit_identical)
{
    const sm_kernels *kt = table_or_skip(_i);
    if (!kt)
        return;
    uint64_t rng = 4242;
    for (size_t c = 0; c < sizeof mm_cases / sizeof mm_cases[0]; c++) {
        // Float weights: past 1024 so that the k-blocked GEMM path of the AVX-512 table (and its
        // tail) is split too.
        size_t n_in = mm_cases[c].w <= SM_TYPE_F16 ? 1101 : mm_n_in(mm_cases[c].w, 6);
        size_t n_out = 67, n_tok = 19;
        mm_prob p;
        mm_prob_init(&p, mm_cases[c].w, n_in, n_out, n_tok, 77 + c);
        float *a = kt_alloc(n_out * n_tok * sizeof(float));
        float *b = kt_alloc(n_out * n_tok * sizeof(float));
        mm_run(kt, &p, a, 0, n_out, 0, n_tok);
        for (int trial = 0; trial < 8; trial++) {
            memset(b, 0, n_out * n_tok * sizeof(float));
            size_t r = 0;
            while (r < n_out) {
                size_t r_end = r + 1 + kt_rand(&rng) % 20;
                r_end = r_end > n_out ? n_out : r_end;
                size_t t = 0;
                while (t < n_tok) {
                    size_t t_end = t + 1 + kt_rand(&rng) % 9;
                    t_end = t_end > n_tok ? n_tok : t_end;
                    mm_run(kt, &p, b, r, r_end, t, t_end);
                    t = t_end;
                }
                r = r_end;
            }
            ck_assert_msg(!memcmp(a, b, n_out * n_tok * sizeof(float)),
                          "%s type %d: a different tiling changed the result (trial %d)", kt->name,
                          (int)mm_cases[c].w, trial);
        }
        free(a);
        free(b);
        mm_prob_free(&p);
    }
}
END_TEST

/* The x16 layout (kernels.h): packed weights through the x16 matmul give exactly the bits of
 * the same table's row-major matmul, for every n_in, 1, 2 and 13 tokens, 37 rows (a partial
 * last group), the whole matrix and tiles starting at multiples of 16; rows outside the tile
 * keep their sentinel. */
START_TEST(test_kernels_matmul_x16_equals_row_major)
{
    const sm_kernels *kt = table_or_skip(_i);
    if (!kt)
        return;
    static const sm_type types[] = {SM_TYPE_Q8_0, SM_TYPE_Q4_0};
    static const size_t toks[] = {1, 2, 13};
    int tested = 0;
    for (size_t c = 0; c < 2; c++) {
        sm_k_pack_fn pack = sm_kernels_pack_x16(kt, types[c]);
        sm_k_matmul_fn mm = sm_kernels_matmul_x16(kt, types[c]);
        ck_assert_msg(!pack == !mm, "%s: x16 pack and matmul come together", kt->name);
        if (!pack)
            continue;
        for (size_t si = 0; si < N_SIZES; si++) {
            for (size_t ti = 0; ti < 3; ti++) {
                size_t n_in = mm_n_in(types[c], si), n_out = 37, n_tok = toks[ti];
                mm_prob p;
                mm_prob_init(&p, types[c], n_in, n_out, n_tok, 500 + si * 3 + ti);
                size_t bytes = sm_x16_bytes(types[c], n_out, n_in);
                ck_assert_uint_eq(bytes, 3 * sm_x16_group_bytes(types[c], n_in));
                void *packed = kt_alloc(bytes);
                pack(p.w, p.w_stride, n_out, n_in, packed);
                float *a = kt_alloc(n_out * n_tok * sizeof(float));
                float *b = kt_alloc(n_out * n_tok * sizeof(float));
                mm_run(kt, &p, a, 0, n_out, 0, n_tok);
                for (size_t i = 0; i < n_out * n_tok; i++)
                    b[i] = -12345.0f;
                size_t gs = sm_x16_group_bytes(types[c], n_in);
                mm(packed, gs, p.x, p.x_stride, b, n_out, n_in, 16, n_out, 0, n_tok);
                for (size_t t = 0; t < n_tok; t++)
                    for (size_t r = 0; r < 16; r++)
                        ck_assert_msg(b[t * n_out + r] == -12345.0f, "%s: row %zu was written",
                                      kt->name, r);
                mm(packed, gs, p.x, p.x_stride, b, n_out, n_in, 0, 16, 0, n_tok);
                ck_assert_msg(!memcmp(a, b, n_out * n_tok * sizeof(float)),
                              "%s type %d n_in %zu, %zu tokens: x16 differs from row-major",
                              kt->name, (int)types[c], n_in, n_tok);
                tested++;
                free(packed);
                free(a);
                free(b);
                mm_prob_free(&p);
            }
        }
    }
    if (!tested)
        printf("# %s: no x16 layout in this table\n", kt->name);
}
END_TEST

/* ---- element-wise ------------------------------------------------------------------------ */

static void assert_close(const char *what, const sm_kernels *kt, size_t n, const float *y,
                         const float *yr, double abs_tol, double rel_tol)
{
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)y[i] - yr[i]);
        ck_assert_msg(err <= abs_tol + rel_tol * fabs(yr[i]),
                      "%s %s n=%zu [%zu]: %.9g vs ref %.9g (|err| %.3g)", kt->name, what, n, i,
                      y[i], yr[i], err);
    }
}

/* add, mul, scale and bias are one rounding each: exact equality, out of place and in place. */
START_TEST(test_kernels_binary_ops_exact)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    uint64_t rng = 5;
    for (size_t si = 0; si < N_SIZES; si++) {
        size_t n = sizes[si], rows = 3, stride = n + 5;
        float *a = kt_alloc(n * sizeof(float)), *b = kt_alloc(n * sizeof(float));
        float *y = kt_alloc(rows * stride * sizeof(float));
        float *yr = kt_alloc(rows * stride * sizeof(float));
        kt_fill(&rng, a, n, -10, 10);
        kt_fill(&rng, b, n, -10, 10);
        kt->add(n, a, b, y);
        ref->add(n, a, b, yr);
        assert_close("add", kt, n, y, yr, 0, 0);
        kt->mul(n, a, b, y);
        ref->mul(n, a, b, yr);
        assert_close("mul", kt, n, y, yr, 0, 0);
        kt->scale(n, a, 0.37f, y);
        ref->scale(n, a, 0.37f, yr);
        assert_close("scale", kt, n, y, yr, 0, 0);
        memcpy(yr, a, n * sizeof(float));
        kt->add(n, yr, b, yr); // in place: y aliases a
        ref->add(n, a, b, y);
        assert_close("add in place", kt, n, yr, y, 0, 0);
        kt_fill(&rng, y, rows * stride, -10, 10);
        memcpy(yr, y, rows * stride * sizeof(float));
        kt->add_bias(rows, n, stride, y, b, y);
        ref->add_bias(rows, n, stride, yr, b, yr);
        assert_close("add_bias", kt, rows * stride, y, yr, 0, 0);
        free(a);
        free(b);
        free(y);
        free(yr);
    }
}
END_TEST

START_TEST(test_kernels_activations_match_ref)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    uint64_t rng = 6;
    for (size_t si = 0; si < N_SIZES; si++) {
        size_t n = sizes[si];
        float *x = kt_alloc(n * sizeof(float)), *u = kt_alloc(n * sizeof(float));
        float *y = kt_alloc(n * sizeof(float)), *yr = kt_alloc(n * sizeof(float));
        kt_fill(&rng, x, n, -12, 12); // past both saturation points of tanh and exp's range
        kt_fill(&rng, u, n, -2, 2);
        /* GELU's edges in the body and the tail: the clamps, and inputs that round to +-10 */
        static const float edge[] = {-10.0f, 10.0f, -10.001f, 10.001f, -9.999f, 9.999f, 0.0f};
        for (size_t e = 0; e < sizeof edge / sizeof edge[0] && e < n; e++)
            x[(e * 37) % n] = edge[e];
        kt->gelu(n, x, y);
        ref->gelu(n, x, yr);
        assert_close("gelu", kt, n, y, yr, 0, 0); // the same table read the same way
        kt->silu(n, x, y);
        ref->silu(n, x, yr);
        assert_close("silu", kt, n, y, yr, SM_TOL_SILU_ABS, SM_TOL_SILU_REL);
        kt->swiglu(n, x, u, y);
        ref->swiglu(n, x, u, yr);
        assert_close("swiglu", kt, n, y, yr, 2 * SM_TOL_SILU_ABS, SM_TOL_SILU_REL);
        free(x);
        free(u);
        free(y);
        free(yr);
    }
}
END_TEST

/* GELU(x) in double, the tanh form. */
static double gelu_exact(double x)
{
    return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

/* Half of an fp16 ulp at |v| (the subnormal spacing below 2^-14). */
static double half_ulp16(double v)
{
    int e;
    frexp(fabs(v), &e); // |v| in [2^(e-1), 2^e)
    return ldexp(1.0, (e - 1 < -14 ? -14 : e - 1) - 11);
}

/* Every table reads the same entries (checked above), so ref on its own against an independent
 * expectation: for every half h in (-10, 10) the output is an fp16 within rounding of GELU(h)
 * in double (the table is built in f32, whose error may carry it past a midpoint: the bound
 * allows for it); other floats take their fp16's output; the clamps pass x through from 10
 * up and give 0 from -10 down. */
START_TEST(test_kernels_gelu_is_fp16)
{
    const sm_kernels *ref = sm_kernels_table(SM_ISA_REF);
    int n_checked = 0;
    for (uint32_t b = 0; b < 0x10000; b++) {
        float h = sm_fp16_to_fp32((sm_fp16)b), y;
        if (!(fabsf(h) < 10.0f))
            continue;
        ref->gelu(1, &h, &y);
        double e = gelu_exact(h), err = fabs((double)y - e);
        ck_assert_msg(sm_fp16_to_fp32(sm_fp32_to_fp16(y)) == y, "gelu(%a) = %a: not an fp16", h, y);
        /* fp16 rounding, plus the f32 formula's own error before it: mostly where 1 + tanh
         * cancels (x < -2), 0.5 |h| ulp(1) / 2 = 3e-8 |h| */
        ck_assert_msg(err <= half_ulp16(e) + 1e-7 * fabsf(h) + 1e-6 * fabs(e) + 1e-12,
                      "gelu(%a) = %.9g, GELU in double %.9g: off by %.3g", h, y, e, err);
        n_checked++;
    }
    ck_assert_int_gt(n_checked, 30000);
    uint64_t rng = 11;
    for (int i = 0; i < 100000; i++) {
        float x = kt_uniform(&rng, -11.0f, 11.0f), y, yh;
        float h = sm_fp16_to_fp32(sm_fp32_to_fp16(x));
        ref->gelu(1, &x, &y);
        if (x <= -10.0f)
            ck_assert_msg(y == 0.0f, "gelu(%a) = %a, expected 0", x, y);
        else if (x >= 10.0f)
            ck_assert_msg(y == x, "gelu(%a) = %a, expected x", x, y);
        else {
            ref->gelu(1, &h, &yh);
            ck_assert_msg(y == yh, "gelu(%a) = %a but gelu(fp16 %a) = %a", x, y, h, yh);
        }
    }
}
END_TEST

START_TEST(test_kernels_softmax_and_norms_match_ref)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    uint64_t rng = 8;
    for (size_t si = 0; si < N_SIZES; si++) {
        size_t n = sizes[si];
        float *x = kt_alloc(n * sizeof(float)), *w = kt_alloc(n * sizeof(float));
        float *b = kt_alloc(n * sizeof(float));
        float *y = kt_alloc(n * sizeof(float)), *yr = kt_alloc(n * sizeof(float));
        kt_fill(&rng, x, n, -20, 20);
        kt_fill(&rng, w, n, 0.5f, 1.5f);
        kt_fill(&rng, b, n, -1, 1);
        kt->softmax(n, x, y);
        ref->softmax(n, x, yr);
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += y[i];
        ck_assert_msg(fabs(sum - 1) <= SM_TOL_SOFTMAX, "%s softmax n=%zu sums to %.9g", kt->name, n,
                      sum);
        assert_close("softmax", kt, n, y, yr, 1e-12, SM_TOL_SOFTMAX);
        kt->rmsnorm(n, x, w, 1e-5f, y);
        ref->rmsnorm(n, x, w, 1e-5f, yr);
        assert_close("rmsnorm", kt, n, y, yr, SM_TOL_NORM, SM_TOL_NORM);
        kt->layernorm(n, x, w, b, 1e-5f, y);
        ref->layernorm(n, x, w, b, 1e-5f, yr);
        assert_close("layernorm", kt, n, y, yr, SM_TOL_NORM * 4, SM_TOL_NORM);
        memcpy(y, x, n * sizeof(float));
        kt->softmax(n, y, y); // in place
        ref->softmax(n, x, yr);
        assert_close("softmax in place", kt, n, y, yr, 1e-12, SM_TOL_SOFTMAX);
        free(x);
        free(w);
        free(b);
        free(y);
        free(yr);
    }
}
END_TEST

/* RoPE for both pairings, n_rot < head_dim (partial rotary) and = head_dim, 3 heads with a
 * padded stride. The rotation is checked against ref and the untouched tail for equality. */
START_TEST(test_kernels_rope_matches_ref)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    static const size_t dims[][2] = {{64, 64}, {128, 128}, {80, 32}, {2, 2}, {96, 66}};
    uint64_t rng = 9;
    for (size_t di = 0; di < 5; di++) {
        for (int neox = 0; neox < 2; neox++) {
            size_t hd = dims[di][0], n_rot = dims[di][1], stride = hd + 3, n = 3 * stride;
            float *cs = kt_alloc(n_rot * sizeof(float));
            float *x = kt_alloc(n * sizeof(float)), *xr = kt_alloc(n * sizeof(float));
            sm_rope_cache(1000 + di, n_rot, 10000.0f, cs);
            kt_fill(&rng, x, n, -3, 3);
            memcpy(xr, x, n * sizeof(float));
            kt->rope(3, hd, stride, n_rot, neox, cs, x);
            ref->rope(3, hd, stride, n_rot, neox, cs, xr);
            assert_close(neox ? "rope neox" : "rope", kt, n, x, xr, SM_TOL_ROPE, SM_TOL_ROPE);
            free(cs);
            free(x);
            free(xr);
        }
    }
}
END_TEST

/* Attention: head sizes 64 and 128 (and an odd 33), pos0 0 (prefill from scratch), and a
 * long cache with several queries; causality is checked by poisoning the cache beyond the
 * last visible position. */
START_TEST(test_kernels_attn_matches_ref)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    static const size_t cases[][3] = {{64, 0, 1}, {64, 0, 7}, {128, 300, 3}, {33, 31, 2}};
    uint64_t rng = 10;
    for (size_t c = 0; c < 4; c++) {
        size_t hd = cases[c][0], pos0 = cases[c][1], n_q = cases[c][2], n_kv = pos0 + n_q;
        size_t kv_stride = hd + 16, q_stride = hd + 1, cap = n_kv + 4;
        float *q = kt_alloc(n_q * q_stride * sizeof(float));
        float *k = kt_alloc(cap * kv_stride * sizeof(float));
        float *v = kt_alloc(cap * kv_stride * sizeof(float));
        float *s = kt_alloc(n_kv * sizeof(float));
        float *o = kt_alloc(n_q * hd * sizeof(float)), *orf = kt_alloc(n_q * hd * sizeof(float));
        kt_fill(&rng, q, n_q * q_stride, -1, 1);
        kt_fill(&rng, k, cap * kv_stride, -1, 1);
        kt_fill(&rng, v, cap * kv_stride, -1, 1);
        for (size_t i = n_kv * kv_stride; i < cap * kv_stride; i++)
            k[i] = v[i] = NAN; // beyond the causal horizon: must never be read
        float scale = 1.0f / sqrtf((float)hd);
        kt->attn(n_q, hd, pos0, scale, q, q_stride, k, v, kv_stride, s, o, hd);
        ref->attn(n_q, hd, pos0, scale, q, q_stride, k, v, kv_stride, s, orf, hd);
        assert_close("attn", kt, n_q * hd, o, orf, SM_TOL_ATTN, SM_TOL_ATTN);
        free(q);
        free(k);
        free(v);
        free(s);
        free(o);
        free(orf);
    }
}
END_TEST

START_TEST(test_kernels_embed_fetches_rows)
{
    const sm_kernels *kt = table_or_skip(_i), *ref = sm_kernels_table(SM_ISA_REF);
    if (!kt)
        return;
    uint64_t rng = 11;
    size_t n_embd = 512, n_vocab = 9, row_bytes = sm_type_row_bytes(SM_TYPE_Q4_K, n_embd);
    char *table = kt_alloc(row_bytes * n_vocab);
    for (size_t i = 0; i < n_vocab; i++)
        kt_random_row(&rng, SM_TYPE_Q4_K, table + i * row_bytes, n_embd);
    int32_t ids[3] = {8, 0, 8};
    float *y = kt_alloc(3 * (n_embd + 1) * sizeof(float)), *e = kt_alloc(n_embd * sizeof(float));
    sm_kernels_embed(kt, SM_TYPE_Q4_K, table, row_bytes, n_embd, ids, 3, y, n_embd + 1);
    for (size_t i = 0; i < 3; i++) {
        ref->dequant_q4_K(table + (size_t)ids[i] * row_bytes, e, n_embd);
        ck_assert(!memcmp(y + i * (n_embd + 1), e, n_embd * sizeof(float)));
    }
    free(table);
    free(y);
    free(e);
}
END_TEST

/* ---- dispatch ---------------------------------------------------------------------------- */

START_TEST(test_kernels_tables_are_complete)
{
    const sm_kernels *kt = table_or_skip(_i);
    if (!kt)
        return;
    ck_assert_int_eq(kt->isa, _i);
    const void *const *slot = (const void *const *)&kt->matmul_f32;
    const void *const *end = (const void *const *)(&kt->attn + 1);
    for (; slot < end; slot++)
        ck_assert_msg(*slot != NULL, "%s: slot %td is empty", kt->name,
                      slot - (const void *const *)&kt->matmul_f32);
}
END_TEST

/* SM_KERNELS picks the table, and an unsupported or unknown name falls back to the best. Each
 * test runs in its own forked process, so the once-only choice is fresh here. */
START_TEST(test_kernels_env_selects_table)
{
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && !strcmp(fork_mode, "no"))
        return; // the choice is made once per process
    static const char *const names[] = {"ref", "avx2", "avx512"};
    setenv("SM_KERNELS", names[_i], 1);
    const sm_kernels *kt = sm_kernels_get();
    if (sm_kernels_table((sm_isa)_i))
        ck_assert_str_eq(kt->name, names[_i]);
    else
        ck_assert_int_lt(kt->isa, _i);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("matmul");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_kernels_matmul_matches_ref, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_matmul_split_is_bit_identical, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_matmul_x16_equals_row_major, 0, SM_ISA_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("ops");
    tcase_add_loop_test(tc, test_kernels_binary_ops_exact, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_activations_match_ref, 0, SM_ISA_COUNT);
    tcase_add_test(tc, test_kernels_gelu_is_fp16);
    tcase_add_loop_test(tc, test_kernels_softmax_and_norms_match_ref, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_rope_matches_ref, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_attn_matches_ref, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_embed_fetches_rows, 0, SM_ISA_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("dispatch");
    tcase_add_loop_test(tc, test_kernels_tables_are_complete, 0, SM_ISA_COUNT);
    tcase_add_loop_test(tc, test_kernels_env_selects_table, 0, SM_ISA_COUNT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return sm_test_run(kernels_suite());
}
