// SPDX-License-Identifier: MIT
// Normals of the Philox stream on the device, element by element: element i of the draw (seed,
// offset) is lane i%4 of counter block offset + i/4, Box-Muller on the lane pairs (0,1), (2,3),
// exactly as native/cpu/random_impl.h. The float32 path uses the same polynomial log and sincos
// (copied operation for operation), so a draw agrees with the CPU's to float rounding; float64
// uses philox_normal4 of core/philox.h, the function the CPU uses.
#pragma once
#include <cstdint>

#include "../core/philox.h"
#include "common.cuh"

namespace lcss {
namespace cu {

// log(x) for x in (0, 1]: random_impl.h log_unit.
__device__ __forceinline__ float log_unit(float x) {
  int32_t bits = __float_as_int(x);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  bits = (bits & 0x007fffff) | 0x3f000000;
  float m = __int_as_float(bits);
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

// sin and cos of 2*pi*v for v in (0, 1]: random_impl.h sincos_2pi.
__device__ __forceinline__ void sincos_2pi(float v, float* s, float* c) {
  float w = v - ((v + 12582912.0f) - 12582912.0f);
  float qf = (4.0f * w + 12582912.0f) - 12582912.0f;
  float a = 6.28318530717958647692f * (w - 0.25f * qf);
  float a2 = a * a;
  float sa = a * (1.0f + a2 * (-1.6666667163E-1f + a2 * (8.3333337680E-3f + a2 * (-1.9841270114E-4f + a2 * 2.7557314297E-6f))));
  float ca = 1.0f + a2 * (-0.5f + a2 * (4.1666667908E-2f + a2 * (-1.3888889225E-3f + a2 * 2.4801587642E-5f)));
  int32_t q = int32_t(qf) & 3;
  *s = q == 0 ? sa : (q == 1 ? ca : (q == 2 ? -sa : -ca));
  *c = q == 0 ? ca : (q == 1 ? -sa : (q == 2 ? -ca : sa));
}

// The four float32 normals of counter block `ctr`.
__device__ __forceinline__ void normal4_f32(uint64_t seed, uint64_t ctr, float out[4]) {
  Philox4 r = philox4x32_10(seed, ctr);
  for (int p = 0; p < 2; ++p) {
    float u1 = (float(r.v[2 * p] >> 8) + 1.0f) * (1.0f / 16777216.0f);
    float u2 = (float(r.v[2 * p + 1] >> 8) + 1.0f) * (1.0f / 16777216.0f);
    float rad = sqrtf(-2.0f * log_unit(u1));
    float s, c;
    sincos_2pi(u2, &s, &c);
    out[2 * p] = rad * c;
    out[2 * p + 1] = rad * s;
  }
}

// Element i of the normal draw (seed, offset), in T (only the pair of lanes it needs).
template <typename T>
__device__ __forceinline__ T normal_at(uint64_t seed, uint64_t offset, uint64_t i);

template <>
__device__ __forceinline__ float normal_at<float>(uint64_t seed, uint64_t offset, uint64_t i) {
  Philox4 r = philox4x32_10(seed, offset + (i >> 2));
  const int l = int(i & 3), p = l >> 1;
  float u1 = (float(r.v[2 * p] >> 8) + 1.0f) * (1.0f / 16777216.0f);
  float u2 = (float(r.v[2 * p + 1] >> 8) + 1.0f) * (1.0f / 16777216.0f);
  float rad = sqrtf(-2.0f * log_unit(u1));
  float s, c;
  sincos_2pi(u2, &s, &c);
  return (l & 1) ? rad * s : rad * c;
}

template <>
__device__ __forceinline__ double normal_at<double>(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox_normal_at(seed, offset, i);
}

}  // namespace cu
}  // namespace lcss
