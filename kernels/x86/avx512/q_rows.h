/* SPDX-License-Identifier: MIT */
/* avx512/q_rows.h: what the two Q8_0/Q4_0 VNNI kernels with rows in lanes share
 * (matmul_q_vnni.c on row-major weights, matmul_q_x16.c on the x16 layout): the tiling
 * constants, the 16-row transpose, the gather of the rows' scales and a block's code sum.
 * Included by those files only, inside their VNNI target region. */
#ifndef SM_KERNELS_AVX512_Q_ROWS_H
#define SM_KERNELS_AVX512_Q_ROWS_H

#include <stddef.h>

#include "kernels/quant.h"
#include "kernels/x86/avx512/simd.h"

enum {
    ROWS = 16,  /* rows per vector */
    CHUNK = 8,  /* blocks transposed at a time (5 KiB of packed weights) */
    TOKENS = 16 /* tokens per pass over a row group: their accumulators stay in registers */
};

SM_AVX512_INLINE __m128i load_row16(const char *p, size_t ws, int i, int nr)
{
    return i < nr ? _mm_loadu_si128((const __m128i *)(const void *)(p + (size_t)i * ws))
                  : _mm_setzero_si128();
}

/* 16 bytes (4 dwords) at p + i * ws for rows i < nr (zeros beyond), transposed: out[k] lane i
 * is dword k of row i. */
SM_AVX512_INLINE void transpose16x4(const char *p, size_t ws, int nr, __m512i out[4])
{
    __m512i z[4];
    for (int i = 0; i < 4; i++) {
        // 128-bit lane k of z[i] holds row i + 4k.
        z[i] = _mm512_castsi128_si512(load_row16(p, ws, i, nr));
        z[i] = _mm512_inserti32x4(z[i], load_row16(p, ws, i + 4, nr), 1);
        z[i] = _mm512_inserti32x4(z[i], load_row16(p, ws, i + 8, nr), 2);
        z[i] = _mm512_inserti32x4(z[i], load_row16(p, ws, i + 12, nr), 3);
    }
    // A 4x4 dword transpose within each 128-bit lane: lane k then holds rows 4k..4k+3.
    __m512i t0 = _mm512_unpacklo_epi32(z[0], z[1]), t1 = _mm512_unpackhi_epi32(z[0], z[1]);
    __m512i t2 = _mm512_unpacklo_epi32(z[2], z[3]), t3 = _mm512_unpackhi_epi32(z[2], z[3]);
    out[0] = _mm512_unpacklo_epi64(t0, t2);
    out[1] = _mm512_unpackhi_epi64(t0, t2);
    out[2] = _mm512_unpacklo_epi64(t1, t3);
    out[3] = _mm512_unpackhi_epi64(t1, t3);
}

/* Offsets of 16 rows, the missing ones (i >= nr) on the last present row, so every load stays
 * inside the matrix; their results are masked off at the store. */
SM_AVX512_INLINE __m512i row_offsets(size_t ws, int nr)
{
    __m512i i =
        _mm512_min_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(nr - 1));
    return _mm512_mullo_epi32(i, _mm512_set1_epi32((int)ws));
}

/* The fp16 scales at blk + i * ws (the block header) of 16 rows, as floats; rows i >= nr get
 * 0. A gather: 16 scalar loads into an array read back as a vector stalled on store
 * forwarding. The 4 bytes read from each header stay within its block. */
SM_AVX512_INLINE __m512 gather_d(const char *blk, size_t ws, int nr)
{
    __m512i v = _mm512_i32gather_epi32(row_offsets(ws, nr), (const void *)blk, 1);
    __mmask16 m = (__mmask16)(nr >= ROWS ? 0xffff : (1u << nr) - 1);
    return _mm512_maskz_mov_ps(m, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)));
}

/* The sum of a block's 32 signed codes: through the unsigned sum of x + 128. */
SM_AVX512_INLINE int block_sum(const int8_t *qs)
{
    __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)qs),
                                 _mm256_set1_epi8(-128));
    __m256i s = _mm256_sad_epu8(u, _mm256_setzero_si256());
    __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    t = _mm_add_epi64(t, _mm_unpackhi_epi64(t, t));
    return (int)_mm_cvtsi128_si64(t) - 32 * 128;
}

#endif /* SM_KERNELS_AVX512_Q_ROWS_H */
