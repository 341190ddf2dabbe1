/* SPDX-License-Identifier: MIT */
/* ref_quant.c: test-side fp16 conversion and the Q8_0/Q4_0/Q4_K/Q6_K block formats (see
 * ref_quant.h), written from the GGUF layouts without kernels/ so that each checks the other. */
#include "config.h"

#include "ref_quant.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

/* Local copies of the block layouts: blocks are read and written through memcpy so that a
 * tensor's data need not be aligned. */
typedef struct rq_q8_0 {
    uint16_t d;
    int8_t q[32];
} rq_q8_0;

typedef struct rq_q4_0 {
    uint16_t d;
    uint8_t qs[16];
} rq_q4_0;

typedef struct rq_q4_K {
    uint16_t d;
    uint16_t dmin;
    uint8_t scales[12];
    uint8_t qs[128];
} rq_q4_K;

typedef struct rq_q6_K {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
} rq_q6_K;

static_assert(sizeof(rq_q8_0) == 34, "Q8_0 block is 34 bytes in GGUF");
static_assert(sizeof(rq_q4_0) == 18, "Q4_0 block is 18 bytes in GGUF");
static_assert(sizeof(rq_q4_K) == 144, "Q4_K block is 144 bytes in GGUF");
static_assert(sizeof(rq_q6_K) == 210, "Q6_K block is 210 bytes in GGUF");

/* ---- fp16 --------------------------------------------------------------------------------- */

uint16_t sm_rq_fp32_to_fp16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u)
        return sign | 0x7e00u; /* NaN: a quiet NaN, payload dropped */
    if (a >= 0x477ff000u)
        return sign | 0x7c00u; /* >= 65520 rounds (to even) past 65504: infinity */
    uint32_t e = a >> 23;
    if (e >= 113) {
        /* Normal half: rebias the exponent by 127 - 15, then round 23 mantissa bits to 10;
         * a carry out of the mantissa correctly bumps the exponent. */
        uint32_t m = a - (112u << 23);
        m += 0xfffu + ((m >> 13) & 1u);
        return sign | (uint16_t)(m >> 13);
    }
    if (e < 102)
        return sign; /* below 2^-25: rounds to zero */
    /* Subnormal half: the value in units of 2^-24 is mant * 2^(e - 126), rounded to even. */
    uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    uint32_t s = 126 - e;
    uint32_t k = mant >> s;
    uint32_t rem = mant & ((1u << s) - 1u);
    uint32_t half = 1u << (s - 1);
    if (rem > half || (rem == half && (k & 1u)))
        k++;
    return sign | (uint16_t)k;
}

float sm_rq_fp16_to_fp32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu;
    uint32_t m = h & 0x3ffu;
    float v;
    if (e == 0)
        v = ldexpf((float)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexpf((float)(m | 0x400u), (int)e - 25);
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u |= sign;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* ---- types -------------------------------------------------------------------------------- */

static const struct {
    uint32_t type;
    const char *name;
    size_t elems, bytes;
} rq_types[] = {
    {SM_RQ_F32, "F32", 1, 4},
    {SM_RQ_F16, "F16", 1, 2},
    {SM_RQ_Q4_0, "Q4_0", 32, sizeof(rq_q4_0)},
    {SM_RQ_Q8_0, "Q8_0", 32, sizeof(rq_q8_0)},
    {SM_RQ_Q4_K, "Q4_K", 256, sizeof(rq_q4_K)},
    {SM_RQ_Q6_K, "Q6_K", 256, sizeof(rq_q6_K)},
};
enum { RQ_N_TYPES = sizeof rq_types / sizeof rq_types[0] };

static int rq_index(uint32_t type)
{
    for (int i = 0; i < RQ_N_TYPES; i++)
        if (rq_types[i].type == type)
            return i;
    return -1;
}

size_t sm_rq_block_elems(uint32_t type)
{
    int i = rq_index(type);
    return i < 0 ? 0 : rq_types[i].elems;
}

size_t sm_rq_row_bytes(uint32_t type, size_t n)
{
    int i = rq_index(type);
    if (i < 0 || n % rq_types[i].elems)
        return 0;
    return n / rq_types[i].elems * rq_types[i].bytes;
}

const char *sm_rq_type_name(uint32_t type)
{
    int i = rq_index(type);
    return i < 0 ? NULL : rq_types[i].name;
}

int sm_rq_type_from_name(const char *name)
{
    for (int i = 0; i < RQ_N_TYPES; i++) {
        const char *a = rq_types[i].name, *b = name;
        while (*a && *b && toupper((unsigned char)*b) == *a) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return (int)rq_types[i].type;
    }
    return -1;
}

/* ---- Q8_0 / Q4_0 -------------------------------------------------------------------------- */

static void q8_0_block(const float *x, rq_q8_0 *b)
{
    float amax = 0.0f;
    for (int j = 0; j < 32; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    b->d = sm_rq_fp32_to_fp16(d);
    for (int j = 0; j < 32; j++)
        b->q[j] = (int8_t)roundf(x[j] * id);
}

/* The element of largest magnitude (with its sign) maps to -8, so the full range [-8, 7] is
 * used on the side that needs it, as ggml's reference Q4_0 quantizer does. */
static void q4_0_block(const float *x, rq_q4_0 *b)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; j++) {
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    float d = max / -8.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    b->d = sm_rq_fp32_to_fp16(d);
    for (int j = 0; j < 16; j++) {
        int lo = (int)(x[j] * id + 8.5f);
        int hi = (int)(x[j + 16] * id + 8.5f);
        lo = lo > 15 ? 15 : lo;
        hi = hi > 15 ? 15 : hi;
        b->qs[j] = (uint8_t)(lo | hi << 4);
    }
}

/* ---- Q4_K --------------------------------------------------------------------------------- */

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int nearest(float v)
{
    return (int)lroundf(v);
}

/* Sub-block j's 6-bit scale and min from the 12 packed bytes: j < 4 in the low 6 bits of bytes
 * j and j + 4; j >= 4 in the nibbles of byte j + 4 with the top two bits in bits 6-7 of bytes
 * j - 4 (scale) and j (min). */
static void q4_K_scale_min(const uint8_t *s, int j, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 15) | (s[j - 4] >> 6) << 4;
        *m = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

static void q4_K_pack(uint8_t *s, int j, int sc, int m)
{
    if (j < 4) {
        s[j] = (uint8_t)((s[j] & 0xc0) | sc);
        s[j + 4] = (uint8_t)((s[j + 4] & 0xc0) | m);
    } else {
        s[j + 4] = (uint8_t)((sc & 15) | (m & 15) << 4);
        s[j - 4] = (uint8_t)(s[j - 4] | (sc >> 4) << 6);
        s[j] = (uint8_t)(s[j] | (m >> 4) << 6);
    }
}

/* A plain min/max fit per sub-block (ggml searches for a better one; any valid block will do):
 * x ~ scale * q - min with min = -min(x, 0), then the 8 scales and mins to 6 bits against
 * their maxima, then q against the quantized scale and min. */
static void q4_K_block(const float *x, rq_q4_K *b)
{
    float scale[8], min[8], max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; j++) {
        float lo = 0.0f, hi = x[32 * j];
        for (int l = 0; l < 32; l++) {
            lo = fminf(lo, x[32 * j + l]);
            hi = fmaxf(hi, x[32 * j + l]);
        }
        scale[j] = (hi - lo) / 15.0f;
        min[j] = -lo;
        max_scale = fmaxf(max_scale, scale[j]);
        max_min = fmaxf(max_min, min[j]);
    }
    float is = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
    float im = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    memset(b->scales, 0, sizeof b->scales);
    for (int j = 0; j < 8; j++)
        q4_K_pack(b->scales, j, clampi(nearest(is * scale[j]), 0, 63),
                  clampi(nearest(im * min[j]), 0, 63));
    b->d = sm_rq_fp32_to_fp16(max_scale / 63.0f);
    b->dmin = sm_rq_fp32_to_fp16(max_min / 63.0f);
    float d = sm_rq_fp16_to_fp32(b->d), dmin = sm_rq_fp16_to_fp32(b->dmin);
    uint8_t q[256];
    for (int j = 0; j < 8; j++) {
        int sc, m;
        q4_K_scale_min(b->scales, j, &sc, &m);
        float ds = d * (float)sc, dm = dmin * (float)m;
        for (int l = 0; l < 32; l++)
            q[32 * j + l] =
                ds != 0.0f ? (uint8_t)clampi(nearest((x[32 * j + l] + dm) / ds), 0, 15) : 0;
    }
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++)
            b->qs[32 * c + l] = (uint8_t)(q[64 * c + l] | q[64 * c + 32 + l] << 4);
}

static void q4_K_deblock(const rq_q4_K *b, float *y)
{
    float d = sm_rq_fp16_to_fp32(b->d), dmin = sm_rq_fp16_to_fp32(b->dmin);
    for (int c = 0; c < 4; c++) {
        int sc0, m0, sc1, m1;
        q4_K_scale_min(b->scales, 2 * c, &sc0, &m0);
        q4_K_scale_min(b->scales, 2 * c + 1, &sc1, &m1);
        for (int l = 0; l < 32; l++) {
            uint8_t v = b->qs[32 * c + l];
            y[64 * c + l] = d * (float)sc0 * (float)(v & 15) - dmin * (float)m0;
            y[64 * c + 32 + l] = d * (float)sc1 * (float)(v >> 4) - dmin * (float)m1;
        }
    }
}

/* ---- Q6_K --------------------------------------------------------------------------------- */

/* Per sub-block of 16, the element of largest magnitude maps to -32 (as in Q4_0); the 16
 * signed scales go to int8 against the one of largest magnitude, which maps to -128. */
static void q6_K_block(const float *x, rq_q6_K *b)
{
    float scale[16], max_scale = 0.0f, amax_scale = 0.0f;
    for (int s = 0; s < 16; s++) {
        float amax = 0.0f, max = 0.0f;
        for (int l = 0; l < 16; l++) {
            if (fabsf(x[16 * s + l]) > amax) {
                amax = fabsf(x[16 * s + l]);
                max = x[16 * s + l];
            }
        }
        scale[s] = max / -32.0f;
        if (fabsf(scale[s]) > amax_scale) {
            amax_scale = fabsf(scale[s]);
            max_scale = scale[s];
        }
    }
    memset(b, 0, sizeof *b);
    uint8_t q[256];
    if (amax_scale == 0.0f) {
        memset(q, 32, sizeof q);
    } else {
        float iscale = -128.0f / max_scale;
        b->d = sm_rq_fp32_to_fp16(1.0f / iscale);
        float d = sm_rq_fp16_to_fp32(b->d);
        for (int s = 0; s < 16; s++) {
            b->scales[s] = (int8_t)clampi(nearest(iscale * scale[s]), -128, 127);
            float ds = d * (float)b->scales[s];
            for (int l = 0; l < 16; l++)
                q[16 * s + l] =
                    (uint8_t)(ds != 0.0f ? clampi(nearest(x[16 * s + l] / ds), -32, 31) + 32 : 32);
        }
    }
    for (int h = 0; h < 2; h++) {
        const uint8_t *qq = q + 128 * h;
        uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((qq[l] & 15) | (qq[l + 64] & 15) << 4);
            ql[l + 32] = (uint8_t)((qq[l + 32] & 15) | (qq[l + 96] & 15) << 4);
            qh[l] = (uint8_t)(qq[l] >> 4 | (qq[l + 32] >> 4) << 2 | (qq[l + 64] >> 4) << 4 |
                              (qq[l + 96] >> 4) << 6);
        }
    }
}

static void q6_K_deblock(const rq_q6_K *b, float *y)
{
    float d = sm_rq_fp16_to_fp32(b->d);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        const int8_t *sc = b->scales + 8 * h;
        float *yy = y + 128 * h;
        for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = ((ql[l] & 15) | (qh[l] & 3) << 4) - 32;
            int q2 = ((ql[l + 32] & 15) | (qh[l] >> 2 & 3) << 4) - 32;
            int q3 = ((ql[l] >> 4) | (qh[l] >> 4 & 3) << 4) - 32;
            int q4 = ((ql[l + 32] >> 4) | (qh[l] >> 6 & 3) << 4) - 32;
            yy[l] = d * (float)sc[is] * (float)q1;
            yy[l + 32] = d * (float)sc[is + 2] * (float)q2;
            yy[l + 64] = d * (float)sc[is + 4] * (float)q3;
            yy[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
    }
}

/* ---- rows --------------------------------------------------------------------------------- */

int sm_rq_quantize(uint32_t type, const float *x, size_t n, void *dst)
{
    size_t be = sm_rq_block_elems(type);
    if (!be || n % be)
        return -1;
    uint8_t *out = dst;
    for (size_t i = 0; i < n; i += be) {
        switch (type) {
        case SM_RQ_F32:
            memcpy(out + 4 * i, x + i, 4);
            break;
        case SM_RQ_F16: {
            uint16_t h = sm_rq_fp32_to_fp16(x[i]);
            memcpy(out + 2 * i, &h, 2);
            break;
        }
        case SM_RQ_Q8_0: {
            rq_q8_0 b;
            q8_0_block(x + i, &b);
            memcpy(out + i / 32 * sizeof b, &b, sizeof b);
            break;
        }
        case SM_RQ_Q4_0: {
            rq_q4_0 b;
            q4_0_block(x + i, &b);
            memcpy(out + i / 32 * sizeof b, &b, sizeof b);
            break;
        }
        case SM_RQ_Q4_K: {
            rq_q4_K b;
            q4_K_block(x + i, &b);
            memcpy(out + i / 256 * sizeof b, &b, sizeof b);
            break;
        }
        case SM_RQ_Q6_K: {
            rq_q6_K b;
            q6_K_block(x + i, &b);
            memcpy(out + i / 256 * sizeof b, &b, sizeof b);
            break;
        }
        }
    }
    return 0;
}

int sm_rq_dequantize(uint32_t type, const void *src, size_t n, float *y)
{
    size_t be = sm_rq_block_elems(type);
    if (!be || n % be)
        return -1;
    const uint8_t *in = src;
    for (size_t i = 0; i < n; i += be) {
        switch (type) {
        case SM_RQ_F32:
            memcpy(y + i, in + 4 * i, 4);
            break;
        case SM_RQ_F16: {
            uint16_t h;
            memcpy(&h, in + 2 * i, 2);
            y[i] = sm_rq_fp16_to_fp32(h);
            break;
        }
        case SM_RQ_Q8_0: {
            rq_q8_0 b;
            memcpy(&b, in + i / 32 * sizeof b, sizeof b);
            float d = sm_rq_fp16_to_fp32(b.d);
            for (int j = 0; j < 32; j++)
                y[i + j] = d * (float)b.q[j];
            break;
        }
        case SM_RQ_Q4_0: {
            rq_q4_0 b;
            memcpy(&b, in + i / 32 * sizeof b, sizeof b);
            float d = sm_rq_fp16_to_fp32(b.d);
            for (int j = 0; j < 16; j++) {
                y[i + j] = d * (float)((b.qs[j] & 15) - 8);
                y[i + j + 16] = d * (float)((b.qs[j] >> 4) - 8);
            }
            break;
        }
        case SM_RQ_Q4_K: {
            rq_q4_K b;
            memcpy(&b, in + i / 256 * sizeof b, sizeof b);
            q4_K_deblock(&b, y + i);
            break;
        }
        case SM_RQ_Q6_K: {
            rq_q6_K b;
            memcpy(&b, in + i / 256 * sizeof b, sizeof b);
            q6_K_deblock(&b, y + i);
            break;
        }
        }
    }
    return 0;
}

void sm_rq_q8_0_roundtrip(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i + 32 <= n; i += 32) {
        rq_q8_0 b;
        q8_0_block(x + i, &b);
        float d = sm_rq_fp16_to_fp32(b.d);
        for (int j = 0; j < 32; j++)
            y[i + j] = d * (float)b.q[j];
    }
}

void sm_rq_q8_K_roundtrip(const float *x, size_t n, float *y)
{
    for (size_t i = 0; i + 256 <= n; i += 256) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 256; j++) {
            if (fabsf(x[i + j]) > amax) {
                amax = fabsf(x[i + j]);
                max = x[i + j];
            }
        }
        if (amax == 0.0f) {
            for (int j = 0; j < 256; j++)
                y[i + j] = 0.0f;
            continue;
        }
        float iscale = -127.0f / max, d = 1.0f / iscale;
        for (int j = 0; j < 256; j++) {
            /* nearbyintf rounds half to even in the default mode, as ggml's nearest_int. */
            float q = nearbyintf(iscale * x[i + j]);
            y[i + j] = d * (q > 127.0f ? 127.0f : q);
        }
    }
}
