// SPDX-License-Identifier: MIT
// The elementwise op definitions of the CUDA backend: one function per dtype family with the op
// code switched per element (the switch is uniform across a warp, and these kernels are memory
// bound, so one compact kernel per dtype pair beats ~50 instantiations for compile time).
// Every case mirrors native/cpu/elementwise_impl.h (same formulas, same NaN handling, same
// parameter conversions); float32 uses CUDA's accurate libm (no fast-math), so results agree with
// the CPU kernels to a few ulp. *_supported() are the host-side lists of defined (op, dtype) pairs,
// checked before launch so an undefined op raises the CPU kernel's error instead of a no-op.
#pragma once
#include <cstdint>

#include "../core/dtype.h"
#include "../contract/op_codes.h"
#include "common.cuh"

namespace lcss {
namespace cu {

#define LCSS_M1(name, f32, f64)                                              \
  __device__ __forceinline__ float name(float x) { return f32(x); }        \
  __device__ __forceinline__ double name(double x) { return f64(x); }
LCSS_M1(m_exp, expf, exp)
LCSS_M1(m_log, logf, log)
LCSS_M1(m_log1p, log1pf, log1p)
LCSS_M1(m_expm1, expm1f, expm1)
LCSS_M1(m_sqrt, sqrtf, sqrt)
LCSS_M1(m_sin, sinf, sin)
LCSS_M1(m_cos, cosf, cos)
LCSS_M1(m_tan, tanf, tan)
LCSS_M1(m_atan, atanf, atan)
LCSS_M1(m_tanh, tanhf, tanh)
LCSS_M1(m_erf, erff, erf)
LCSS_M1(m_floor, floorf, floor)
LCSS_M1(m_ceil, ceilf, ceil)
LCSS_M1(m_rint, rintf, rint)
LCSS_M1(m_fabs, fabsf, fabs)
#undef LCSS_M1
__device__ __forceinline__ float m_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double m_pow(double a, double b) { return pow(a, b); }
__device__ __forceinline__ float m_atan2(float a, float b) { return atan2f(a, b); }
__device__ __forceinline__ double m_atan2(double a, double b) { return atan2(a, b); }

template <typename T>
__device__ __forceinline__ T m_sigmoid(T x) { return T(1) / (T(1) + m_exp(-x)); }
// finite iff x - x == 0 (inf - inf and NaN - NaN are NaN)
template <typename T>
__device__ __forceinline__ bool m_isfinite(T x) { return x - x == T(0); }

template <typename T>
__device__ __forceinline__ T gelu_exact(T x) { return T(0.5) * x * (T(1) + m_erf(x * T(0.70710678118654752440))); }
// As the CPU kernels: derivatives from e = exp(-|v|), never 1 - sigmoid(v) or 1 - tanh(v)^2, which
// cancel to nothing in float32 as the output approaches 1.
template <typename T>
__device__ __forceinline__ T sigmoid_prime(T v) {
  const T e = m_exp(-m_fabs(v)), d = T(1) + e;
  return e / (d * d);
}
template <typename T>
__device__ __forceinline__ T tanh_prime(T v) {
  const T e = m_exp(T(-2) * m_fabs(v)), d = T(1) + e;
  return T(4) * e / (d * d);
}
template <typename T>
__device__ __forceinline__ T gelu_tanh(T x) {
  const T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
  const T e = m_exp(T(-2) * m_fabs(u));
  return T(0.5) * x * ((u < 0 ? T(2) * e : T(2)) / (T(1) + e));
}
template <typename T>
__device__ __forceinline__ T gelu_tanh_prime(T x) {
  const T c = T(0.79788456080286535588);
  const T u = c * (x + T(0.044715) * x * x * x);
  const T e = m_exp(T(-2) * m_fabs(u)), d = T(1) + e;
  const T one_plus_t = (u < 0 ? T(2) * e : T(2)) / d;
  const T du = c * (T(1) + T(3 * 0.044715) * x * x);
  return T(0.5) * one_plus_t + T(0.5) * x * (T(4) * e / (d * d)) * du;
}

// ---- unary --------------------------------------------------------------------------------------

template <typename T>
__device__ T unary_float(int op, T v, T p1, T p2) {
  switch (op) {
    case U_NEG: return -v;
    case U_ABS: return m_fabs(v);
    case U_SIGN: return T((v > 0) - (v < 0));
    case U_EXP: return m_exp(v);
    case U_LOG: return m_log(v);
    case U_LOG1P: return m_log1p(v);
    case U_EXPM1: return m_expm1(v);
    case U_SQRT: return m_sqrt(v);
    case U_RSQRT: return T(1) / m_sqrt(v);
    case U_SQUARE: return v * v;
    case U_RECIP: return T(1) / v;
    case U_SIN: return m_sin(v);
    case U_COS: return m_cos(v);
    case U_TAN: return m_tan(v);
    case U_ATAN: return m_atan(v);
    case U_TANH: return m_tanh(v);
    case U_SIGMOID: return m_sigmoid(v);
    case U_SILU: return v * m_sigmoid(v);
    case U_SOFTPLUS: {
      T bx = p1 * v;
      return bx > p2 ? v : m_log1p(m_exp(bx)) / p1;
    }
    case U_LOG_SIGMOID: {
      T m = v < 0 ? v : T(0);
      return m - m_log1p(m_exp(-m_fabs(v)));
    }
    case U_RELU: return v > 0 ? v : T(0);
    case U_ELU: return v > 0 ? v : p1 * (m_exp(v) - T(1));
    case U_GELU: return gelu_exact(v);
    case U_GELU_TANH: return gelu_tanh(v);
    case U_ERF: return m_erf(v);
    case U_FLOOR: return m_floor(v);
    case U_CEIL: return m_ceil(v);
    case U_ROUND: return m_rint(v);  // half to even, as nearbyint in the default rounding mode
    case U_ADD_S: return v + p1;
    case U_MUL_S: return v * p1;
    case U_RSUB_S: return p1 - v;
    case U_RDIV_S: return p1 / v;
    case U_POW_S:
      if (p1 == T(2)) return v * v;
      if (p1 == T(1)) return v;
      if (p1 == T(0.5)) return m_sqrt(v);
      return m_pow(v, p1);
    case U_RPOW_S: return m_pow(p1, v);
    case U_CLAMP: return v != v ? v : (v < p1 ? p1 : (v > p2 ? p2 : v));
    case U_MAX_S: return v != v ? v : (v > p1 ? v : p1);
    case U_MIN_S: return v != v ? v : (v < p1 ? v : p1);
  }
  return T(0);
}

template <typename T>
__device__ uint8_t unary_float_bool(int op, T v, T p1) {
  switch (op) {
    case U_EQ_S: return v == p1;
    case U_NE_S: return v != p1;
    case U_LT_S: return v < p1;
    case U_LE_S: return v <= p1;
    case U_GT_S: return v > p1;
    case U_GE_S: return v >= p1;
    case U_ISNAN: return v != v;
    case U_ISFINITE: return m_isfinite(v);
  }
  return 0;
}

// int32 arithmetic wraps (done in uint32, where overflow is defined)
__device__ __forceinline__ int32_t unary_int(int op, int32_t v, int32_t p1, int32_t p2) {
  const uint32_t u = uint32_t(v), q = uint32_t(p1);
  switch (op) {
    case U_NEG: return int32_t(0u - u);
    case U_ABS: return v < 0 ? int32_t(0u - u) : v;
    case U_SIGN: return (v > 0) - (v < 0);
    case U_SQUARE: return int32_t(u * u);
    case U_ADD_S: return int32_t(u + q);
    case U_MUL_S: return int32_t(u * q);
    case U_RSUB_S: return int32_t(q - u);
    case U_CLAMP: return v < p1 ? p1 : (v > p2 ? p2 : v);
    case U_MAX_S: return v > p1 ? v : p1;
    case U_MIN_S: return v < p1 ? v : p1;
  }
  return 0;
}

// int32 comparisons against the scalar as given (a double), as the CPU kernel does
__device__ __forceinline__ uint8_t unary_int_bool(int op, int32_t v, double p1) {
  switch (op) {
    case U_EQ_S: return v == p1;
    case U_NE_S: return v != p1;
    case U_LT_S: return v < p1;
    case U_LE_S: return v <= p1;
    case U_GT_S: return v > p1;
    case U_GE_S: return v >= p1;
  }
  return 0;
}

inline bool unary_supported(int op, DType t) {
  const bool cmp = op >= U_EQ_S && op <= U_GE_S;
  switch (t) {
    case DType::F32:
    case DType::F64: return (op >= U_NEG && op <= U_ATAN) || cmp || op == U_ISNAN || op == U_ISFINITE;
    case DType::I32:
      return op == U_NEG || op == U_ABS || op == U_SIGN || op == U_SQUARE || op == U_ADD_S || op == U_MUL_S ||
             op == U_RSUB_S || op == U_CLAMP || op == U_MAX_S || op == U_MIN_S || cmp;
    case DType::Bool: return op == U_NOT;
  }
  return false;
}

// ---- binary -------------------------------------------------------------------------------------

template <typename T>
__device__ T binary_float(int op, T u, T v, T p1, T p2) {
  switch (op) {
    case B_ADD: return u + v;
    case B_SUB: return u - v;
    case B_MUL: return u * v;
    case B_DIV: return u / v;
    case B_POW: return m_pow(u, v);
    case B_ATAN2: return m_atan2(u, v);
    case B_MAX: return (u != u || u > v) ? u : v;
    case B_MIN: return (u != u || u < v) ? u : v;
    case B_SILU_BWD: {  // u = x, v = upstream gradient
      T s = m_sigmoid(u);
      return v * s * (T(1) + u * (T(1) - s));
    }
    case B_SIGMOID_BWD: return v * sigmoid_prime(u);  // u = x
    case B_TANH_BWD: return v * tanh_prime(u);        // u = x
    case B_RELU_BWD: return u > 0 ? v : T(0);
    case B_GELU_BWD: {
      T cdf = T(0.5) * (T(1) + m_erf(u * T(0.70710678118654752440)));
      T pdf = T(0.39894228040143267794) * m_exp(T(-0.5) * u * u);
      return v * (cdf + u * pdf);
    }
    case B_GELU_TANH_BWD: return v * gelu_tanh_prime(u);
    case B_SOFTPLUS_BWD: return p1 * u > p2 ? v : v * m_sigmoid(p1 * u);
    case B_LOG_SIGMOID_BWD: return v * m_sigmoid(-u);
    case B_ELU_BWD: return u > 0 ? v : v * p1 * m_exp(u);
    case B_LERP: return u + p1 * (v - u);
    case B_AXPY: return u + p1 * v;
  }
  return T(0);
}

template <typename T>
__device__ __forceinline__ uint8_t binary_cmp(int op, T u, T v) {
  switch (op) {
    case B_EQ: return u == v;
    case B_NE: return u != v;
    case B_LT: return u < v;
    case B_LE: return u <= v;
    case B_GT: return u > v;
    case B_GE: return u >= v;
  }
  return 0;
}

__device__ __forceinline__ int32_t binary_int(int op, int32_t u, int32_t v) {
  switch (op) {
    case B_ADD: return int32_t(uint32_t(u) + uint32_t(v));
    case B_SUB: return int32_t(uint32_t(u) - uint32_t(v));
    case B_MUL: return int32_t(uint32_t(u) * uint32_t(v));
    case B_MAX: return u > v ? u : v;
    case B_MIN: return u < v ? u : v;
  }
  return 0;
}

__device__ __forceinline__ uint8_t binary_bool(int op, uint8_t u, uint8_t v) {
  switch (op) {
    case B_AND: return u && v;
    case B_OR: return u || v;
    case B_XOR: return (u != 0) != (v != 0);
    case B_EQ: return u == v;
    case B_NE: return u != v;
  }
  return 0;
}

inline bool binary_supported(int op, DType t) {
  const bool cmp = op >= B_EQ && op <= B_GE;
  switch (t) {
    case DType::F32:
    case DType::F64:
      return (op >= B_ADD && op <= B_ATAN2) || cmp || (op >= B_SILU_BWD && op <= B_LOG_SIGMOID_BWD) || op == B_LERP ||
             op == B_AXPY;
    case DType::I32: return op == B_ADD || op == B_SUB || op == B_MUL || op == B_MAX || op == B_MIN || cmp;
    case DType::Bool: return op == B_AND || op == B_OR || op == B_XOR || op == B_EQ || op == B_NE;
  }
  return false;
}

}  // namespace cu
}  // namespace lcss
