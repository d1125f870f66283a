// SPDX-License-Identifier: MIT
// Per-ISA Philox batch generation and the float32 Box-Muller transform, written as fixed-trip loops
// over 16 counter blocks so GCC vectorises the 32x32->64 multiplies and the polynomials.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../core/philox.h"
#include "fastmath.h"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace lcss {
namespace LCSS_ISA_NS {

// Counter blocks per batch (4 values each). 32 = two AVX-512 chains (four AVX2 ones) in flight,
// so each Philox round's multiply latency hides behind the other chain's work.
constexpr int kBlk = 32;

// Raw Philox output for counters ctr .. ctr + kBlk - 1: u[lane][j].
// GCC vectorises the scalar form below poorly (the 32x32->64 products go through 64-bit-lane
// vpmullq or scalar imul): with AVX-512 / AVX2 the products are taken explicitly, the high words
// from vpmuludq on the even and the odd lanes and the low words from vpmulld. Same output bits.
#if defined(__AVX512F__)
inline void philox_batch(uint64_t seed, uint64_t ctr, uint32_t u[4][kBlk]) {
  constexpr int H = kBlk / 16;  // independent 16-counter chains
  alignas(64) uint32_t a0[kBlk], a1[kBlk];
  for (int j = 0; j < kBlk; ++j) {
    uint64_t c = ctr + uint64_t(j);
    a0[j] = uint32_t(c);
    a1[j] = uint32_t(c >> 32);
  }
  __m512i c0[H], c1[H], c2[H], c3[H];
  for (int h = 0; h < H; ++h) {
    c0[h] = _mm512_load_si512(a0 + 16 * h);
    c1[h] = _mm512_load_si512(a1 + 16 * h);
    c2[h] = c3[h] = _mm512_setzero_si512();
  }
  const __m512i M0 = _mm512_set1_epi32(int(0xD2511F53u)), M1 = _mm512_set1_epi32(int(0xCD9E8D57u));
  // the maskz forms (all lanes kept) avoid GCC 12's -Wmaybe-uninitialized on _mm512_undefined
  const __mmask8 all = 0xFF;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    const __m512i K0 = _mm512_set1_epi32(int(k0)), K1 = _mm512_set1_epi32(int(k1));
    for (int h = 0; h < H; ++h) {
      const __m512i hi0 = _mm512_mask_blend_epi32(0xAAAA, _mm512_maskz_srli_epi64(all, _mm512_maskz_mul_epu32(all, c0[h], M0), 32),
                                                  _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, c0[h], 32), M0));
      const __m512i hi1 = _mm512_mask_blend_epi32(0xAAAA, _mm512_maskz_srli_epi64(all, _mm512_maskz_mul_epu32(all, c2[h], M1), 32),
                                                  _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, c2[h], 32), M1));
      const __m512i lo0 = _mm512_mullo_epi32(c0[h], M0), lo1 = _mm512_mullo_epi32(c2[h], M1);
      c0[h] = _mm512_xor_si512(_mm512_xor_si512(hi1, c1[h]), K0);
      c2[h] = _mm512_xor_si512(_mm512_xor_si512(hi0, c3[h]), K1);
      c1[h] = lo1;
      c3[h] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int h = 0; h < H; ++h) {
    _mm512_storeu_si512(u[0] + 16 * h, c0[h]);
    _mm512_storeu_si512(u[1] + 16 * h, c1[h]);
    _mm512_storeu_si512(u[2] + 16 * h, c2[h]);
    _mm512_storeu_si512(u[3] + 16 * h, c3[h]);
  }
}
#elif defined(__AVX2__)
inline void philox_batch(uint64_t seed, uint64_t ctr, uint32_t u[4][kBlk]) {
  constexpr int H = kBlk / 8;  // independent 8-counter chains
  alignas(32) uint32_t a0[kBlk], a1[kBlk];
  for (int j = 0; j < kBlk; ++j) {
    uint64_t c = ctr + uint64_t(j);
    a0[j] = uint32_t(c);
    a1[j] = uint32_t(c >> 32);
  }
  __m256i c0[H], c1[H], c2[H], c3[H];
  for (int h = 0; h < H; ++h) {
    c0[h] = _mm256_load_si256((const __m256i*)(a0 + 8 * h));
    c1[h] = _mm256_load_si256((const __m256i*)(a1 + 8 * h));
    c2[h] = c3[h] = _mm256_setzero_si256();
  }
  const __m256i M0 = _mm256_set1_epi32(int(0xD2511F53u)), M1 = _mm256_set1_epi32(int(0xCD9E8D57u));
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    const __m256i K0 = _mm256_set1_epi32(int(k0)), K1 = _mm256_set1_epi32(int(k1));
    for (int h = 0; h < H; ++h) {
      const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(_mm256_mul_epu32(c0[h], M0), 32),
                                             _mm256_mul_epu32(_mm256_srli_epi64(c0[h], 32), M0), 0xAA);
      const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(_mm256_mul_epu32(c2[h], M1), 32),
                                             _mm256_mul_epu32(_mm256_srli_epi64(c2[h], 32), M1), 0xAA);
      const __m256i lo0 = _mm256_mullo_epi32(c0[h], M0), lo1 = _mm256_mullo_epi32(c2[h], M1);
      c0[h] = _mm256_xor_si256(_mm256_xor_si256(hi1, c1[h]), K0);
      c2[h] = _mm256_xor_si256(_mm256_xor_si256(hi0, c3[h]), K1);
      c1[h] = lo1;
      c3[h] = lo0;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  for (int h = 0; h < H; ++h) {
    _mm256_storeu_si256((__m256i*)(u[0] + 8 * h), c0[h]);
    _mm256_storeu_si256((__m256i*)(u[1] + 8 * h), c1[h]);
    _mm256_storeu_si256((__m256i*)(u[2] + 8 * h), c2[h]);
    _mm256_storeu_si256((__m256i*)(u[3] + 8 * h), c3[h]);
  }
}
#else
inline void philox_batch(uint64_t seed, uint64_t ctr, uint32_t u[4][kBlk]) {
  uint32_t c0[kBlk], c1[kBlk], c2[kBlk], c3[kBlk];
  for (int j = 0; j < kBlk; ++j) {
    uint64_t c = ctr + uint64_t(j);
    c0[j] = uint32_t(c);
    c1[j] = uint32_t(c >> 32);
    c2[j] = 0;
    c3[j] = 0;
  }
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    for (int j = 0; j < kBlk; ++j) {
      uint64_t p0 = uint64_t(0xD2511F53u) * c0[j];
      uint64_t p1 = uint64_t(0xCD9E8D57u) * c2[j];
      uint32_t n0 = uint32_t(p1 >> 32) ^ c1[j] ^ k0;
      uint32_t n1 = uint32_t(p1);
      uint32_t n2 = uint32_t(p0 >> 32) ^ c3[j] ^ k1;
      uint32_t n3 = uint32_t(p0);
      c0[j] = n0; c1[j] = n1; c2[j] = n2; c3[j] = n3;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  std::memcpy(u[0], c0, sizeof(c0));
  std::memcpy(u[1], c1, sizeof(c1));
  std::memcpy(u[2], c2, sizeof(c2));
  std::memcpy(u[3], c3, sizeof(c3));
}
#endif

// log(x) for x in (0, 1] (Cephes logf polynomial; no special cases needed on that domain).
inline float log_unit(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, 4);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  bits = (bits & 0x007fffff) | 0x3f000000;  // mantissa in [0.5, 1)
  float m;
  std::memcpy(&m, &bits, 4);
  bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292E-2f;
  y = y * m - 1.1514610310E-1f;
  y = y * m + 1.1676998740E-1f;
  y = y * m - 1.2420140846E-1f;
  y = y * m + 1.4249322787E-1f;
  y = y * m - 1.6668057665E-1f;
  y = y * m + 2.0000714765E-1f;
  y = y * m - 2.4999993993E-1f;
  y = y * m + 3.3333331174E-1f;
  y = y * m * z;
  float fe = float(e);
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  return m + y + 0.693359375f * fe;
}

// sin and cos of 2*pi*v for v in (0, 1]: quadrant reduction then Taylor polynomials on [-pi/4, pi/4].
inline void sincos_2pi(float v, float* s, float* c) {
  float w = v - ((v + 12582912.0f) - 12582912.0f);  // v - round(v), in [-0.5, 0.5]
  float qf = (4.0f * w + 12582912.0f) - 12582912.0f;  // nearest quadrant, -2..2
  float a = 6.28318530717958647692f * (w - 0.25f * qf);  // |a| <= pi/4
  float a2 = a * a;
  float sa = a * (1.0f + a2 * (-1.6666667163E-1f + a2 * (8.3333337680E-3f + a2 * (-1.9841270114E-4f + a2 * 2.7557314297E-6f))));
  float ca = 1.0f + a2 * (-0.5f + a2 * (4.1666667908E-2f + a2 * (-1.3888889225E-3f + a2 * 2.4801587642E-5f)));
  int32_t q = int32_t(qf) & 3;
  float ss = q == 0 ? sa : (q == 1 ? ca : (q == 2 ? -sa : -ca));
  float cc = q == 0 ? ca : (q == 1 ? -sa : (q == 2 ? -ca : sa));
  *s = ss;
  *c = cc;
}

// normals [first, first + n) of the draw (seed, offset), float32.
inline void normal_f32_impl(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, float* out) {
  uint64_t blk = first >> 2;
  int skip = int(first & 3);
  int64_t done = 0;
  uint32_t u[4][kBlk];
  float z[4][kBlk];
  while (done < n) {
    philox_batch(seed, offset + blk, u);
    for (int p = 0; p < 2; ++p) {
      for (int j = 0; j < kBlk; ++j) {
        float u1 = (float(u[2 * p][j] >> 8) + 1.0f) * (1.0f / 16777216.0f);
        float u2 = (float(u[2 * p + 1][j] >> 8) + 1.0f) * (1.0f / 16777216.0f);
        float r = std::sqrt(-2.0f * log_unit(u1));
        float s, c;
        sincos_2pi(u2, &s, &c);
        z[2 * p][j] = r * c;
        z[2 * p + 1][j] = r * s;
      }
    }
    if (skip == 0 && n - done >= 4 * kBlk) {
      // a whole batch: interleave the lanes without per-element bounds checks
      float* o = out + done;
      for (int j = 0; j < kBlk; ++j)
        for (int l = 0; l < 4; ++l) o[4 * j + l] = z[l][j];
      done += 4 * kBlk;
    } else {
      // `skip` applies to the first counter block only (a draw starting mid-block)
      for (int j = 0; j < kBlk && done < n; ++j, skip = 0)
        for (int l = skip; l < 4 && done < n; ++l) out[done++] = z[l][j];
    }
    blk += kBlk;
  }
}

inline void normal_f64_impl(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out) {
  uint64_t blk = first >> 2;
  int skip = int(first & 3);
  int64_t done = 0;
  while (done < n) {
    double v[4];
    philox_normal4(seed, offset + blk, v);
    for (int l = skip; l < 4 && done < n; ++l) out[done++] = v[l];
    skip = 0;
    ++blk;
  }
}

// raw uint32 [first, first + n)
inline void bits_impl(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, uint32_t* out) {
  uint64_t blk = first >> 2;
  int skip = int(first & 3);
  int64_t done = 0;
  uint32_t u[4][kBlk];
  while (done < n) {
    philox_batch(seed, offset + blk, u);
    for (int j = 0; j < kBlk && done < n; ++j, skip = 0)
      for (int l = skip; l < 4 && done < n; ++l) out[done++] = u[l][j];
    blk += kBlk;
  }
}

}  // namespace LCSS_ISA_NS
}  // namespace lcss
