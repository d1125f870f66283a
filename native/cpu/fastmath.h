// SPDX-License-Identifier: MIT
// Branch-free float32 exp / tanh that GCC vectorises in the per-ISA translation units (std::expf
// stays scalar). Cephes-style range reduction and minimax polynomials: <= 2 ulp on the whole range,
// NaN propagated. float64 always goes through the C library for reference-grade accuracy.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

// Forced inline: in the large per-ISA translation units GCC otherwise emits exp_f out of line
// (inline-unit-growth limits), and a call inside a loop stops it vectorising: measured 5.5 ns per
// element for exp over 1M floats, 20x slower than the vectorised loop.
#define LCSS_INLINE inline __attribute__((always_inline))

namespace lcss {
namespace fm {

LCSS_INLINE float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}

// e^x = p * 2^fn for a non-NaN x with |x| < 2^22 ln2: the Cephes range reduction and minimax
// polynomial; the callers form 2^fn for the range they allow.
LCSS_INLINE float exp_reduced(float xc, float* fn_out) {
  // n = round(x / ln2) with the 1.5*2^23 trick (valid for |v| < 2^22, round-to-nearest mode)
  float fn = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float z = r * r;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  *fn_out = fn;
  return p * z + r + 1.0f;
}

// exp of an argument already in [-86.5, 88.8] and not NaN, with 2^n as 2^(n-1) (one exponent
// field, n in [-125, 128]) times 2, so that e^88.4 = 0.71 * 2^128 stays finite and only true
// overflow gives +inf. The callers below clamp first; sigmoid and tanh never need exp's subnormal
// results, and skipping exp_f's two-factor scaling and NaN selects saves 9 of ~37 vector
// instructions: fused GroupNorm+SiLU forward -19 %, backward -18 % (`sh bench/kernels/ab.sh OLD NEW
// 1 gn 32 64 784 32`; bench/RESULTS.md, issue 17 second pass).
LCSS_INLINE float exp_f_normal(float xc) {
  float fn;
  const float p = exp_reduced(xc, &fn);
  return p * bits_to_float(int32_t(uint32_t(int32_t(fn) + 126) << 23)) * 2.0f;
}

LCSS_INLINE float exp_f(float x) {
  float xc = x < -104.0f ? -104.0f : x;
  xc = xc > 88.8f ? 88.8f : xc;
  // NaN takes the polynomial path with 0 and is put back at the end: converting NaN to int32
  // below would be undefined behaviour (UBSan reports it; the hardware gives INT_MIN)
  xc = x == x ? xc : 0.0f;
  float fn;
  const float p = exp_reduced(xc, &fn);
  // 2^n as two factors so n in [-150, 128] never leaves the normal exponent range
  int32_t n = int32_t(fn);
  int32_t n1 = n / 2, n2 = n - n1;
  float s1 = bits_to_float(int32_t(uint32_t(n1 + 127) << 23)), s2 = bits_to_float(int32_t(uint32_t(n2 + 127) << 23));
  float res = p * s1 * s2;
  return x != x ? x : res;
}

// 1 / (1 + e^-x). For x > 86.5, e^-x adds less than 2^-124 to 1 (the result is exactly 1), so the
// argument is clamped into exp_f_normal's range; below -88.72 e^-x overflows to +inf and the result
// is 0, as with the full exp (the true value is below 3e-39).
LCSS_INLINE float sigmoid_f(float x) {
  float t = -x;
  float tc = t < -86.5f ? -86.5f : t;
  tc = tc > 88.8f ? 88.8f : tc;
  tc = x == x ? tc : 0.0f;  // NaN: see exp_f
  float res = 1.0f / (1.0f + exp_f_normal(tc));
  return x != x ? x : res;
}

LCSS_INLINE float tanh_f(float x) {
  float ax = x < 0 ? -x : x;
  // large |x|: 1 - 2/(e^{2|x|}+1); small |x|: odd minimax polynomial (Cephes tanhf). The clamp
  // only keeps e finite: at 9 (the former clamp) the result stopped at 1 - 6e-8 for every larger
  // |x| instead of rounding to 1, as float32 tanh does from |x| ~ 9.01; at 40, 2/(e+1) ~ 4e-35.
  float a2 = 2.0f * (ax > 40.0f ? 40.0f : ax);
  float e = exp_f_normal(x == x ? a2 : 0.0f);  // a2 in [0, 80]; NaN: see exp_f
  float big = 1.0f - 2.0f / (e + 1.0f);
  float z = x * x;
  float small = -5.70498872745E-3f;
  small = small * z + 2.06390887954E-2f;
  small = small * z - 5.37397155531E-2f;
  small = small * z + 1.33314422036E-1f;
  small = small * z - 3.33332819422E-1f;
  small = small * z * x + x;
  float b = x < 0 ? -big : big;
  float res = ax < 0.625f ? small : b;
  return x != x ? x : res;
}

}  // namespace fm

// Type-generic entry points: float uses the vectorisable forms, double the C library.
LCSS_INLINE float k_exp(float x) { return fm::exp_f(x); }
LCSS_INLINE double k_exp(double x) { return std::exp(x); }
LCSS_INLINE float k_tanh(float x) { return fm::tanh_f(x); }
LCSS_INLINE double k_tanh(double x) { return std::tanh(x); }
LCSS_INLINE float k_sigmoid(float x) { return fm::sigmoid_f(x); }
LCSS_INLINE double k_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace lcss
