/* SPDX-License-Identifier: MIT */
/* simd.h: AVX-512 building blocks shared by the folder's kernels: the horizontal sums (one for
 * a single accumulator, one for four at once) that pair lanes in the same order, so a dot
 * product's bits never depend on which micro-tile computed it. */
#ifndef SM_KERNELS_AVX512_SIMD_H
#define SM_KERNELS_AVX512_SIMD_H

#include <immintrin.h>
#include <stddef.h>

#define SM_AVX512_INLINE static inline __attribute__((always_inline))

/* Lane i + lane i + 8, then i + i + 4, then i + i + 2, then the last pair. */
SM_AVX512_INLINE float sm_avx512_hsum(__m512 v)
{
    __m256 t = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Lane i + lane i + 4, then i + i + 2, then the last pair: the 8-lane sum. */
SM_AVX512_INLINE float sm_avx512_hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The four sums of a, b, c, d with exactly sm_avx512_hsum's pairings (additions commute
 * exactly, so the bits are the same), in 15 instructions instead of 4 x 8. */
SM_AVX512_INLINE __m128 sm_avx512_hsum4(__m512 a, __m512 b, __m512 c, __m512 d)
{
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xee));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xee));
    __m512 s =
        _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xdd));
    s = _mm512_add_ps(s, _mm512_shuffle_ps(s, s, 0x4e));
    s = _mm512_add_ps(s, _mm512_shuffle_ps(s, s, 0xb1));
    __m512 r = _mm512_permutexvar_ps(
        _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s);
    return _mm512_castps512_ps128(r);
}

/* exp(x): n = round(x / ln 2), r = x - n ln 2 in two parts, the Cephes expf polynomial for
 * e^r, then vscalefps for the 2^n. Inputs are clamped to [-87.3, 88.3] as in the AVX2 version
 * (so 1 + exp(.) stays finite for the reciprocals below); max relative error 2 ulp there. */
SM_AVX512_INLINE __m512 sm_avx512_exp(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* 1 / d for finite d >= 1: vrcp14ps (relative error < 2^-14) and one Newton step (error
 * squared, then a rounding or two): within 2 ulp of the division at a fraction of its cost
 * (vdivps zmm issues once per 10 cycles on Ice Lake servers and later). */
SM_AVX512_INLINE __m512 sm_avx512_recip(__m512 d)
{
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
}

#endif /* SM_KERNELS_AVX512_SIMD_H */
