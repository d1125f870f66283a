// SPDX-License-Identifier: MIT
// Elementwise kernels, compiled once per ISA (elementwise_{base,avx2,avx512}.cc define
// LCSS_ISA_NS and include this file); elementwise.cc picks a table at run time.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../core/checked.h"
#include "../core/error.h"
#include "../core/view.h"
#include "fastmath.h"
#include "../contract/op_codes.h"
#include "../core/strided.h"

namespace lcss {
namespace LCSS_ISA_NS {

// Cheap ops are memory-bound: large grains so thread wake-ups stay below 5% of the work.
constexpr int64_t kGrainCheap = 1 << 15;
constexpr int64_t kGrainHeavy = 1 << 12;

// flatten: every call inside (the op's lambda, and what it calls) is inlined, so the contiguous
// loops vectorise. Without it GCC leaves some lambdas out of line in these large translation units
// (measured: the SiLU gradient at 5.5 ns per element instead of ~0.4).
template <typename TO, typename TI, typename F>
__attribute__((flatten)) inline void unary_run(int64_t n, char* const* p, const int64_t* s, F f) {
  TO* y = reinterpret_cast<TO*>(p[0]);
  const TI* x = reinterpret_cast<const TI*>(p[1]);
  if (s[0] == 1 && s[1] == 1) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
  } else if (s[0] == 1 && s[1] == 0) {
    TO v = f(x[0]);
    for (int64_t i = 0; i < n; ++i) y[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) y[i * s[0]] = f(x[i * s[1]]);
  }
}

template <typename TO, typename TI, typename F>
inline void unary_apply(const View& y, const View& x, int64_t grain, F f) {
  const View* ops[2] = {&y, &x};
  for_each_strided<2>(ops, grain, [&](int64_t n, char* const* p, const int64_t* s) {
    unary_run<TO, TI>(n, p, s, f);
  });
}

template <typename T>
LCSS_INLINE T gelu_exact(T x) { return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))); }
// Derivatives written from e = exp(-|v|) (or exp(-2|v|)) rather than from sigmoid(v) or tanh(v):
// 1 - sigmoid(v) and 1 - tanh(v)^2 cancel as the output approaches 1, losing every significant
// digit in float32 by |v| ~ 9 (sigmoid'(15) was 20 % off, gelu-tanh's gradient at -100 was
// -6.4e-3 instead of 0).
template <typename T>
LCSS_INLINE T sigmoid_prime(T v) {  // sigmoid(v) sigmoid(-v)
  const T e = k_exp(-std::fabs(v)), d = T(1) + e;
  return e / (d * d);
}
template <typename T>
LCSS_INLINE T tanh_prime(T v) {  // 1 - tanh(v)^2
  const T e = k_exp(T(-2) * std::fabs(v)), d = T(1) + e;
  return T(4) * e / (d * d);
}
constexpr double kGeluC = 0.79788456080286535588;  // sqrt(2/pi)
template <typename T>
LCSS_INLINE T gelu_tanh(T x) {
  const T u = T(kGeluC) * (x + T(0.044715) * x * x * x);
  const T e = k_exp(T(-2) * std::fabs(u));
  const T one_plus_t = (u < 0 ? T(2) * e : T(2)) / (T(1) + e);  // 1 + tanh(u), no cancellation as tanh -> -1
  return T(0.5) * x * one_plus_t;
}
template <typename T>
LCSS_INLINE T gelu_tanh_prime(T x) {
  const T u = T(kGeluC) * (x + T(0.044715) * x * x * x);
  const T e = k_exp(T(-2) * std::fabs(u)), d = T(1) + e;
  const T one_plus_t = (u < 0 ? T(2) * e : T(2)) / d;
  const T sech2 = T(4) * e / (d * d);
  const T du = T(kGeluC) * (T(1) + T(3 * 0.044715) * x * x);
  return T(0.5) * one_plus_t + T(0.5) * x * sech2 * du;
}
template <typename T>
LCSS_INLINE T softplus(T x, T beta, T threshold) {
  T bx = beta * x;
  return bx > threshold ? x : std::log1p(k_exp(bx)) / beta;
}
template <typename T>
LCSS_INLINE T log_sigmoid(T x) {  // -softplus(-x), stable for both signs
  T m = x < 0 ? x : T(0);
  return m - std::log1p(k_exp(-std::fabs(x)));
}

template <typename T>
void unary_float(int op, const View& y, const View& x, double p1d, double p2d) {
  const T p1 = T(p1d), p2 = T(p2d);
  const int64_t H = kGrainHeavy, C = kGrainCheap;
  switch (op) {
    case U_NEG: return unary_apply<T, T>(y, x, C, [](T v) { return -v; });
    case U_ABS: return unary_apply<T, T>(y, x, C, [](T v) { return std::fabs(v); });
    case U_SIGN: return unary_apply<T, T>(y, x, C, [](T v) { return T((v > 0) - (v < 0)); });
    case U_EXP: return unary_apply<T, T>(y, x, H, [](T v) { return k_exp(v); });
    case U_LOG: return unary_apply<T, T>(y, x, H, [](T v) { return std::log(v); });
    case U_LOG1P: return unary_apply<T, T>(y, x, H, [](T v) { return std::log1p(v); });
    case U_EXPM1: return unary_apply<T, T>(y, x, H, [](T v) { return std::expm1(v); });
    case U_SQRT: return unary_apply<T, T>(y, x, C, [](T v) { return std::sqrt(v); });
    case U_RSQRT: return unary_apply<T, T>(y, x, C, [](T v) { return T(1) / std::sqrt(v); });
    case U_SQUARE: return unary_apply<T, T>(y, x, C, [](T v) { return v * v; });
    case U_RECIP: return unary_apply<T, T>(y, x, C, [](T v) { return T(1) / v; });
    case U_SIN: return unary_apply<T, T>(y, x, H, [](T v) { return std::sin(v); });
    case U_COS: return unary_apply<T, T>(y, x, H, [](T v) { return std::cos(v); });
    case U_TAN: return unary_apply<T, T>(y, x, H, [](T v) { return std::tan(v); });
    case U_ATAN: return unary_apply<T, T>(y, x, H, [](T v) { return std::atan(v); });
    case U_TANH: return unary_apply<T, T>(y, x, H, [](T v) { return k_tanh(v); });
    case U_SIGMOID: return unary_apply<T, T>(y, x, H, [](T v) { return k_sigmoid(v); });
    case U_SILU: return unary_apply<T, T>(y, x, H, [](T v) { return v * k_sigmoid(v); });
    case U_SOFTPLUS: return unary_apply<T, T>(y, x, H, [=](T v) { return softplus(v, p1, p2); });
    case U_LOG_SIGMOID: return unary_apply<T, T>(y, x, H, [](T v) { return log_sigmoid(v); });
    case U_RELU: return unary_apply<T, T>(y, x, C, [](T v) { return v > 0 ? v : T(0); });
    case U_ELU: return unary_apply<T, T>(y, x, H, [=](T v) { return v > 0 ? v : p1 * (k_exp(v) - T(1)); });
    case U_GELU: return unary_apply<T, T>(y, x, H, [](T v) { return gelu_exact(v); });
    case U_GELU_TANH: return unary_apply<T, T>(y, x, H, [](T v) { return gelu_tanh(v); });
    case U_ERF: return unary_apply<T, T>(y, x, H, [](T v) { return std::erf(v); });
    case U_FLOOR: return unary_apply<T, T>(y, x, C, [](T v) { return std::floor(v); });
    case U_CEIL: return unary_apply<T, T>(y, x, C, [](T v) { return std::ceil(v); });
    case U_ROUND: return unary_apply<T, T>(y, x, C, [](T v) { return std::nearbyint(v); });
    case U_ADD_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v + p1; });
    case U_MUL_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v * p1; });
    case U_RSUB_S: return unary_apply<T, T>(y, x, C, [=](T v) { return p1 - v; });
    case U_RDIV_S: return unary_apply<T, T>(y, x, C, [=](T v) { return p1 / v; });
    case U_POW_S:
      if (p1 == T(2)) return unary_apply<T, T>(y, x, C, [](T v) { return v * v; });
      if (p1 == T(1)) return unary_apply<T, T>(y, x, C, [](T v) { return v; });
      if (p1 == T(0.5)) return unary_apply<T, T>(y, x, C, [](T v) { return std::sqrt(v); });
      return unary_apply<T, T>(y, x, H, [=](T v) { return std::pow(v, p1); });
    case U_RPOW_S: return unary_apply<T, T>(y, x, H, [=](T v) { return std::pow(p1, v); });
    case U_CLAMP:
      return unary_apply<T, T>(y, x, C, [=](T v) { return v != v ? v : (v < p1 ? p1 : (v > p2 ? p2 : v)); });
    case U_MAX_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v != v ? v : (v > p1 ? v : p1); });
    case U_MIN_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v != v ? v : (v < p1 ? v : p1); });
    case U_EQ_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v == p1); });
    case U_NE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v != p1); });
    case U_LT_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v < p1); });
    case U_LE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v <= p1); });
    case U_GT_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v > p1); });
    case U_GE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v >= p1); });
    case U_ISNAN: return unary_apply<uint8_t, T>(y, x, C, [](T v) { return uint8_t(v != v); });
    case U_ISFINITE: return unary_apply<uint8_t, T>(y, x, C, [](T v) { return uint8_t(std::isfinite(v)); });
  }
  LCSS_CHECK(false, "unary op %d is not defined for %s", op, dtype_name(x.dtype));
}

// A scalar operand of an int32 kernel: an integer in int32 range (converting anything else is
// undefined behaviour; the TS ops promote to float32 or refuse before it gets here).
inline int32_t int_scalar(double v, int op) {
  LCSS_CHECK(is_int32_value(v), "unary op %d on int32: scalar %g is not an integer in int32 range", op, v);
  return int32_t(v);
}
// int32 arithmetic wraps (two's complement), as in PyTorch and NumPy: signed overflow in C++ is
// undefined, so it is done in uint32.
inline int32_t wrap_add(int32_t a, int32_t b) { return int32_t(uint32_t(a) + uint32_t(b)); }
inline int32_t wrap_sub(int32_t a, int32_t b) { return int32_t(uint32_t(a) - uint32_t(b)); }
inline int32_t wrap_mul(int32_t a, int32_t b) { return int32_t(uint32_t(a) * uint32_t(b)); }

inline void unary_int(int op, const View& y, const View& x, double p1d, double p2d) {
  using T = int32_t;
  const int64_t C = kGrainCheap;
  const bool int_scalars = op == U_ADD_S || op == U_MUL_S || op == U_RSUB_S || op == U_CLAMP || op == U_MAX_S || op == U_MIN_S;
  const T p1 = int_scalars ? int_scalar(p1d, op) : 0, p2 = op == U_CLAMP ? int_scalar(p2d, op) : 0;
  switch (op) {
    case U_NEG: return unary_apply<T, T>(y, x, C, [](T v) { return wrap_sub(0, v); });
    case U_ABS: return unary_apply<T, T>(y, x, C, [](T v) { return v < 0 ? wrap_sub(0, v) : v; });
    case U_SIGN: return unary_apply<T, T>(y, x, C, [](T v) { return T((v > 0) - (v < 0)); });
    case U_SQUARE: return unary_apply<T, T>(y, x, C, [](T v) { return wrap_mul(v, v); });
    case U_ADD_S: return unary_apply<T, T>(y, x, C, [=](T v) { return wrap_add(v, p1); });
    case U_MUL_S: return unary_apply<T, T>(y, x, C, [=](T v) { return wrap_mul(v, p1); });
    case U_RSUB_S: return unary_apply<T, T>(y, x, C, [=](T v) { return wrap_sub(p1, v); });
    case U_CLAMP: return unary_apply<T, T>(y, x, C, [=](T v) { return v < p1 ? p1 : (v > p2 ? p2 : v); });
    case U_MAX_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v > p1 ? v : p1; });
    case U_MIN_S: return unary_apply<T, T>(y, x, C, [=](T v) { return v < p1 ? v : p1; });
    case U_EQ_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v == p1d); });
    case U_NE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v != p1d); });
    case U_LT_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v < p1d); });
    case U_LE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v <= p1d); });
    case U_GT_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v > p1d); });
    case U_GE_S: return unary_apply<uint8_t, T>(y, x, C, [=](T v) { return uint8_t(v >= p1d); });
  }
  LCSS_CHECK(false, "unary op %d is not defined for int32", op);
}

inline void unary_bool(int op, const View& y, const View& x) {
  if (op == U_NOT) return unary_apply<uint8_t, uint8_t>(y, x, kGrainCheap, [](uint8_t v) { return uint8_t(!v); });
  LCSS_CHECK(false, "unary op %d is not defined for bool", op);
}

inline void unary(int op, const View& y, const View& x, double p1, double p2) {
  switch (x.dtype) {
    case DType::F32: return unary_float<float>(op, y, x, p1, p2);
    case DType::F64: return unary_float<double>(op, y, x, p1, p2);
    case DType::I32: return unary_int(op, y, x, p1, p2);
    case DType::Bool: return unary_bool(op, y, x);
  }
}

template <typename TO, typename TI, typename F>
__attribute__((flatten)) inline void binary_run(int64_t n, char* const* p, const int64_t* s, F f) {
  TO* o = reinterpret_cast<TO*>(p[0]);
  const TI* x = reinterpret_cast<const TI*>(p[1]);
  const TI* z = reinterpret_cast<const TI*>(p[2]);
  if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], z[i]);
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
    const TI zv = z[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], zv);
  } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
    const TI xv = x[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(xv, z[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], z[i * s[2]]);
  }
}

template <typename TO, typename TI, typename F>
inline void binary_apply(const View& y, const View& a, const View& b, int64_t grain, F f) {
  const View* ops[3] = {&y, &a, &b};
  for_each_strided<3>(ops, grain, [&](int64_t n, char* const* p, const int64_t* s) { binary_run<TO, TI>(n, p, s, f); });
}

template <typename T>
void binary_float(int op, const View& y, const View& a, const View& b, double p1d, double p2d) {
  const T p1 = T(p1d), p2 = T(p2d);
  const int64_t H = kGrainHeavy, C = kGrainCheap;
  switch (op) {
    case B_ADD: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u + v; });
    case B_SUB: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u - v; });
    case B_MUL: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u * v; });
    case B_DIV: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u / v; });
    case B_POW: return binary_apply<T, T>(y, a, b, H, [](T u, T v) { return std::pow(u, v); });
    case B_ATAN2: return binary_apply<T, T>(y, a, b, H, [](T u, T v) { return std::atan2(u, v); });
    case B_MAX: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return (u != u || u > v) ? u : v; });
    case B_MIN: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return (u != u || u < v) ? u : v; });
    case B_EQ: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u == v); });
    case B_NE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u != v); });
    case B_LT: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u < v); });
    case B_LE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u <= v); });
    case B_GT: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u > v); });
    case B_GE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u >= v); });
    case B_SILU_BWD:
      return binary_apply<T, T>(y, a, b, H, [](T x, T g) {
        T s = k_sigmoid(x);
        return g * s * (T(1) + x * (T(1) - s));
      });
    case B_SIGMOID_BWD: return binary_apply<T, T>(y, a, b, H, [](T x, T g) { return g * sigmoid_prime(x); });
    case B_TANH_BWD: return binary_apply<T, T>(y, a, b, H, [](T x, T g) { return g * tanh_prime(x); });
    case B_RELU_BWD: return binary_apply<T, T>(y, a, b, C, [](T x, T g) { return x > 0 ? g : T(0); });
    case B_GELU_BWD:
      return binary_apply<T, T>(y, a, b, H, [](T x, T g) {
        T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
        T pdf = T(0.39894228040143267794) * k_exp(T(-0.5) * x * x);
        return g * (cdf + x * pdf);
      });
    case B_GELU_TANH_BWD: return binary_apply<T, T>(y, a, b, H, [](T x, T g) { return g * gelu_tanh_prime(x); });
    case B_SOFTPLUS_BWD:
      return binary_apply<T, T>(y, a, b, H, [=](T x, T g) { return p1 * x > p2 ? g : g * k_sigmoid(p1 * x); });
    case B_LOG_SIGMOID_BWD: return binary_apply<T, T>(y, a, b, H, [](T x, T g) { return g * k_sigmoid(-x); });
    case B_ELU_BWD:
      return binary_apply<T, T>(y, a, b, H, [=](T x, T g) { return x > 0 ? g : g * p1 * k_exp(x); });
    case B_LERP: return binary_apply<T, T>(y, a, b, C, [=](T u, T v) { return u + p1 * (v - u); });
    case B_AXPY: return binary_apply<T, T>(y, a, b, C, [=](T u, T v) { return u + p1 * v; });
  }
  LCSS_CHECK(false, "binary op %d is not defined for %s", op, dtype_name(a.dtype));
}

inline void binary_int(int op, const View& y, const View& a, const View& b) {
  using T = int32_t;
  const int64_t C = kGrainCheap;
  switch (op) {
    case B_ADD: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return wrap_add(u, v); });
    case B_SUB: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return wrap_sub(u, v); });
    case B_MUL: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return wrap_mul(u, v); });
    case B_MAX: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u > v ? u : v; });
    case B_MIN: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return u < v ? u : v; });
    case B_EQ: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u == v); });
    case B_NE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u != v); });
    case B_LT: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u < v); });
    case B_LE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u <= v); });
    case B_GT: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u > v); });
    case B_GE: return binary_apply<uint8_t, T>(y, a, b, C, [](T u, T v) { return uint8_t(u >= v); });
  }
  LCSS_CHECK(false, "binary op %d is not defined for int32", op);
}

inline void binary_bool(int op, const View& y, const View& a, const View& b) {
  using T = uint8_t;
  const int64_t C = kGrainCheap;
  switch (op) {
    case B_AND: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return T(u && v); });
    case B_OR: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return T(u || v); });
    case B_XOR: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return T((u != 0) != (v != 0)); });
    case B_EQ: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return T(u == v); });
    case B_NE: return binary_apply<T, T>(y, a, b, C, [](T u, T v) { return T(u != v); });
  }
  LCSS_CHECK(false, "binary op %d is not defined for bool", op);
}

inline void binary(int op, const View& y, const View& a, const View& b, double p1, double p2) {
  switch (a.dtype) {
    case DType::F32: return binary_float<float>(op, y, a, b, p1, p2);
    case DType::F64: return binary_float<double>(op, y, a, b, p1, p2);
    case DType::I32: return binary_int(op, y, a, b);
    case DType::Bool: return binary_bool(op, y, a, b);
  }
}

// where(cond, a, b): cond bool, a/b/y same dtype.
template <typename T>
inline void where_t(const View& y, const View& c, const View& a, const View& b) {
  const View* ops[4] = {&y, &c, &a, &b};
  for_each_strided<4>(ops, kGrainCheap, [&](int64_t n, char* const* p, const int64_t* s) {
    T* o = reinterpret_cast<T*>(p[0]);
    const uint8_t* cc = reinterpret_cast<const uint8_t*>(p[1]);
    const T* x = reinterpret_cast<const T*>(p[2]);
    const T* z = reinterpret_cast<const T*>(p[3]);
    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1)
      for (int64_t i = 0; i < n; ++i) o[i] = cc[i] ? x[i] : z[i];
    else
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = cc[i * s[1]] ? x[i * s[2]] : z[i * s[3]];
  });
}

inline void where(const View& y, const View& c, const View& a, const View& b) {
  switch (a.dtype) {
    case DType::F32: return where_t<float>(y, c, a, b);
    case DType::F64: return where_t<double>(y, c, a, b);
    case DType::I32: return where_t<int32_t>(y, c, a, b);
    case DType::Bool: return where_t<uint8_t>(y, c, a, b);
  }
}

// float -> int32 saturates and maps NaN to 0 (a plain conversion of NaN or of a value outside int32
// is undefined behaviour; x86 gives INT_MIN for all of them).
template <typename F>
inline int32_t saturate_i32(F v) {
  return v != v ? 0 : v >= F(2147483647.0) ? 2147483647 : v <= F(-2147483648.0) ? int32_t(-2147483647 - 1) : int32_t(v);
}

// Strided copy with dtype conversion (y and x any strides, same shape).
template <typename TO, typename TI>
inline void copy_t(const View& y, const View& x) {
  if constexpr (std::is_same<TO, int32_t>::value && std::is_floating_point<TI>::value)
    unary_apply<TO, TI>(y, x, kGrainCheap, [](TI v) { return saturate_i32(v); });
  else
    unary_apply<TO, TI>(y, x, kGrainCheap, [](TI v) { return TO(v); });
}
template <typename TO>
inline void copy_to(const View& y, const View& x) {
  switch (x.dtype) {
    case DType::F32: return copy_t<TO, float>(y, x);
    case DType::F64: return copy_t<TO, double>(y, x);
    case DType::I32: return copy_t<TO, int32_t>(y, x);
    case DType::Bool: return copy_t<TO, uint8_t>(y, x);
  }
}
inline void copy(const View& y, const View& x) {
  switch (y.dtype) {
    case DType::F32: return copy_to<float>(y, x);
    case DType::F64: return copy_to<double>(y, x);
    case DType::I32: return copy_to<int32_t>(y, x);
    case DType::Bool: {
      // to bool means "nonzero"
      switch (x.dtype) {
        case DType::F32: return unary_apply<uint8_t, float>(y, x, kGrainCheap, [](float v) { return uint8_t(v != 0); });
        case DType::F64: return unary_apply<uint8_t, double>(y, x, kGrainCheap, [](double v) { return uint8_t(v != 0); });
        case DType::I32: return unary_apply<uint8_t, int32_t>(y, x, kGrainCheap, [](int32_t v) { return uint8_t(v != 0); });
        case DType::Bool: return copy_t<uint8_t, uint8_t>(y, x);
      }
    }
  }
}

}  // namespace LCSS_ISA_NS
}  // namespace lcss
