// SPDX-License-Identifier: MIT
// Philox-4x32-10 (Salmon et al., SC'11), the counter-based generator every random op draws from.
// A draw is keyed by (seed, offset): element i of a draw uses counter (offset + i/4) and lane i%4,
// so CPU and CUDA produce the identical stream and any op can regenerate noise instead of storing it.
#pragma once
#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define LCSS_HD __host__ __device__ __forceinline__
#else
#define LCSS_HD inline
#endif

namespace lcss {

struct Philox4 {
  uint32_t v[4];
};

LCSS_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  *hi = uint32_t(p >> 32);
  return uint32_t(p);
}

// counter = (c0, c1, 0, 0) with c = offset + block index; key = seed (two 32-bit halves).
LCSS_HD Philox4 philox4x32_10(uint64_t seed, uint64_t counter) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  Philox4 out;
  out.v[0] = c0; out.v[1] = c1; out.v[2] = c2; out.v[3] = c3;
  return out;
}

// Uniform in (0, 1]: never 0, so log(u) in Box-Muller is finite. 24 bits for float, 32 for double.
LCSS_HD float u32_to_unit_f(uint32_t x) { return (float(x >> 8) + 1.0f) * (1.0f / 16777216.0f); }
LCSS_HD double u32_to_unit_d(uint32_t x) { return (double(x) + 1.0) * (1.0 / 4294967296.0); }

// Four standard normals from one Philox block: Box-Muller on lanes (0,1) and (2,3), in double so
// float32 and float64 draws agree to float32 rounding.
LCSS_HD void philox_normal4(uint64_t seed, uint64_t counter, double out[4]) {
  Philox4 r = philox4x32_10(seed, counter);
  for (int p = 0; p < 2; ++p) {
    double u1 = u32_to_unit_d(r.v[2 * p]);
    double u2 = u32_to_unit_d(r.v[2 * p + 1]);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2;
    out[2 * p] = rad * cos(th);
    out[2 * p + 1] = rad * sin(th);
  }
}

// The i-th standard normal of the draw keyed by (seed, offset).
LCSS_HD double philox_normal_at(uint64_t seed, uint64_t offset, uint64_t i) {
  double v[4];
  philox_normal4(seed, offset + (i >> 2), v);
  return v[i & 3];
}

// Number of counter blocks a draw of n elements consumes (the generator offset advances by this).
LCSS_HD uint64_t philox_blocks(uint64_t n) { return (n + 3) >> 2; }

}  // namespace lcss
