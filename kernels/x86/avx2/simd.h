/* SPDX-License-Identifier: MIT */
/* simd.h: AVX2 building blocks shared by the folder's kernels: the one horizontal sum every
 * dot product ends with, tail masks, and exp() by polynomial. */
#ifndef SM_KERNELS_AVX2_SIMD_H
#define SM_KERNELS_AVX2_SIMD_H

#include <immintrin.h>
#include <stddef.h>

#define SM_AVX2_INLINE static inline __attribute__((always_inline))

/* The horizontal sum of 8 lanes in one fixed order ((l + h) pairs, then halves, then the last
 * pair), shared by every kernel so that a dot product's bits never depend on which kernel or
 * micro-tile computed it. */
SM_AVX2_INLINE float sm_avx2_hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/** Lanes [0, n) set, for n in [0, 8]: maskload/maskstore of a tail. */
SM_AVX2_INLINE __m256i sm_avx2_tail_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* exp(x) as 2^n * p(r), n = round(x / ln 2), r = x - n ln 2 in two parts (Cody-Waite), p the
 * degree-6 minimax polynomial of the Cephes expf. Inputs are clamped to [-87.3, 88.3] (n stays in
 * [-126, 127]), so the result is a normal float (never 0 or inf); max relative error 2 ulp over
 * that range. */
SM_AVX2_INLINE __m256 sm_avx2_exp(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

#endif /* SM_KERNELS_AVX2_SIMD_H */
