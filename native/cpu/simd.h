// SPDX-License-Identifier: MIT
// Portable SIMD helpers on GCC vector extensions, compiled once per ISA (LCSS_VEC_BYTES = 16, 32
// or 64 set by the including isa_*.cc). Reductions need these explicit vector accumulators: without
// -ffast-math GCC never reorders a floating-point sum, so `s += x[i]` stays scalar.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#ifndef LCSS_VEC_BYTES
#error "LCSS_VEC_BYTES must be defined by the including translation unit"
#endif

namespace lcss {
namespace LCSS_ISA_NS {
namespace simd {

template <typename T>
struct V {
  typedef T type __attribute__((vector_size(LCSS_VEC_BYTES), aligned(alignof(T))));
  static constexpr int W = LCSS_VEC_BYTES / int(sizeof(T));
};
template <typename T> using vec = typename V<T>::type;

// Integer lane masks of the same shape as vec<T> (for the vector ?: select).
template <typename T>
struct VI {
  using I = typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type;
  typedef I type __attribute__((vector_size(LCSS_VEC_BYTES)));
};
template <typename T> using ivec = typename VI<T>::type;

// Lanes [a, b) set.
template <typename T>
inline ivec<T> lane_mask(int a, int b) {
  ivec<T> m;
  for (int l = 0; l < V<T>::W; ++l) m[l] = (l >= a && l < b) ? -1 : 0;
  return m;
}

template <typename T>
inline vec<T> load(const T* p) {
  vec<T> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <typename T>
inline void store(T* p, vec<T> v) { std::memcpy(p, &v, sizeof(v)); }
template <typename T>
inline vec<T> splat(T s) { return vec<T>{} + s; }

// Lanes added in double as a tree (halves, then quarters, ...): log2(W) dependent vector adds
// instead of W scalar ones, which matters for short reductions (with the four chains below, GroupNorm
// at 32x64x784 -9 % forward, -10 % backward: `sh bench/kernels/ab.sh OLD NEW 1 gn 32 64 784 32`).
// Halves are split with memcpy, which GCC turns into register extracts.
template <int Bytes>
struct DTree {
  typedef double type __attribute__((vector_size(Bytes)));
  typedef double half __attribute__((vector_size(Bytes / 2)));
  static double sum(type v) {
    half lo, hi;
    std::memcpy(&lo, &v, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
    return DTree<Bytes / 2>::sum(lo + hi);
  }
};
template <>
struct DTree<8> {
  typedef double type __attribute__((vector_size(8)));
  static double sum(type v) { return v[0]; }
};

template <typename T>
inline double hsum(vec<T> v) {
  if constexpr (sizeof(T) == 8) {
    return DTree<LCSS_VEC_BYTES>::sum(v);
  } else {
    // float: the two halves widened to doubles and added (exact), then the double tree
    typedef float hf __attribute__((vector_size(LCSS_VEC_BYTES / 2)));
    hf lo, hi;
    std::memcpy(&lo, &v, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
    typedef typename DTree<LCSS_VEC_BYTES>::type dv;
    return DTree<LCSS_VEC_BYTES>::sum(__builtin_convertvector(lo, dv) + __builtin_convertvector(hi, dv));
  }
}

// Sum of x[0..n) in double: float lanes over short runs (<= 64 terms per lane before each flush,
// so float rounding stays at the 1e-6 level), lanes and runs combined in double. Four (two for the
// paired sums) independent accumulators per run: one chain waited the add's full latency per vector
// (GroupNorm statistics ran at a third of the load rate).
template <typename T>
constexpr int64_t kRun() { return 4 * 64 * V<T>::W; }
template <typename T>
inline double sum(const T* x, int64_t n) {
  constexpr int W = V<T>::W;
  double total = 0;
  int64_t i = 0;
  while (i + W <= n) {
    vec<T> a0{}, a1{}, a2{}, a3{};
    const int64_t e = i + kRun<T>() < n ? i + kRun<T>() : n;
    for (; i + 4 * W <= e; i += 4 * W) {
      a0 += load(x + i);
      a1 += load(x + i + W);
      a2 += load(x + i + 2 * W);
      a3 += load(x + i + 3 * W);
    }
    for (; i + W <= e; i += W) a0 += load(x + i);
    total += hsum<T>((a0 + a1) + (a2 + a3));
  }
  for (; i < n; ++i) total += double(x[i]);
  return total;
}

// Sum of x[0..n) with every term added in double (float lanes converted first): exact enough for
// the sum() op's contract ("float32 accumulates in double"), still vectorised; about half the
// speed of sum() above in registers, the same when memory-bound.
inline double sum_exact(const float* x, int64_t n) {
  typedef float hf __attribute__((vector_size(LCSS_VEC_BYTES / 2), aligned(4)));
  typedef double dv __attribute__((vector_size(LCSS_VEC_BYTES), aligned(8)));
  constexpr int H = LCSS_VEC_BYTES / 8;  // doubles per vector = floats per half vector
  dv a0{}, a1{};
  int64_t i = 0;
  for (; i + 2 * H <= n; i += 2 * H) {
    hf u, v;
    std::memcpy(&u, x + i, sizeof(u));
    std::memcpy(&v, x + i + H, sizeof(v));
    a0 += __builtin_convertvector(u, dv);
    a1 += __builtin_convertvector(v, dv);
  }
  double total = 0;
  for (int l = 0; l < H; ++l) total += a0[l] + a1[l];
  for (; i < n; ++i) total += double(x[i]);
  return total;
}
inline double sum_exact(const double* x, int64_t n) {
  constexpr int W = V<double>::W;
  vec<double> a0{}, a1{};
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    a0 += load(x + i);
    a1 += load(x + i + W);
  }
  double total = hsum<double>(a0 + a1);
  for (; i < n; ++i) total += x[i];
  return total;
}

// Sum of (x - c)^2 over x[0..n), same accumulation scheme.
template <typename T>
inline double sum_sq_dev(const T* x, int64_t n, T c) {
  constexpr int W = V<T>::W;
  const vec<T> cv = splat<T>(c);
  double total = 0;
  int64_t i = 0;
  while (i + W <= n) {
    vec<T> a0{}, a1{}, a2{}, a3{};
    const int64_t e = i + kRun<T>() < n ? i + kRun<T>() : n;
    for (; i + 4 * W <= e; i += 4 * W) {
      const vec<T> d0 = load(x + i) - cv, d1 = load(x + i + W) - cv;
      const vec<T> d2 = load(x + i + 2 * W) - cv, d3 = load(x + i + 3 * W) - cv;
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
    }
    for (; i + W <= e; i += W) {
      const vec<T> d = load(x + i) - cv;
      a0 += d * d;
    }
    total += hsum<T>((a0 + a1) + (a2 + a3));
  }
  for (; i < n; ++i) {
    double d = double(x[i]) - double(c);
    total += d * d;
  }
  return total;
}

// Sums of g and of g * (x - c) over n elements, same scheme.
template <typename T>
inline void sum_g_gxc(const T* g, const T* x, int64_t n, T c, double* sg, double* sgx) {
  constexpr int W = V<T>::W;
  const vec<T> cv = splat<T>(c);
  double tg = 0, tgx = 0;
  int64_t i = 0;
  while (i + W <= n) {
    vec<T> a0{}, a1{}, b0{}, b1{};
    const int64_t e = i + kRun<T>() / 2 < n ? i + kRun<T>() / 2 : n;  // two chains per sum
    for (; i + 2 * W <= e; i += 2 * W) {
      const vec<T> g0 = load(g + i), g1 = load(g + i + W);
      a0 += g0;
      a1 += g1;
      b0 += g0 * (load(x + i) - cv);
      b1 += g1 * (load(x + i + W) - cv);
    }
    for (; i + W <= e; i += W) {
      const vec<T> gv = load(g + i);
      a0 += gv;
      b0 += gv * (load(x + i) - cv);
    }
    tg += hsum<T>(a0 + a1);
    tgx += hsum<T>(b0 + b1);
  }
  for (; i < n; ++i) {
    tg += double(g[i]);
    tgx += double(g[i]) * (double(x[i]) - double(c));
  }
  *sg = tg;
  *sgx = tgx;
}

// Sum of a[i] * b[i] over n elements, same scheme.
template <typename T>
inline double dot(const T* a, const T* b, int64_t n) {
  constexpr int W = V<T>::W;
  double total = 0;
  int64_t i = 0;
  while (i + W <= n) {
    vec<T> a0{}, a1{}, a2{}, a3{};
    const int64_t e = i + kRun<T>() < n ? i + kRun<T>() : n;
    for (; i + 4 * W <= e; i += 4 * W) {
      a0 += load(a + i) * load(b + i);
      a1 += load(a + i + W) * load(b + i + W);
      a2 += load(a + i + 2 * W) * load(b + i + 2 * W);
      a3 += load(a + i + 3 * W) * load(b + i + 3 * W);
    }
    for (; i + W <= e; i += W) a0 += load(a + i) * load(b + i);
    total += hsum<T>((a0 + a1) + (a2 + a3));
  }
  for (; i < n; ++i) total += double(a[i]) * double(b[i]);
  return total;
}

// Maximum of x[0..n) (n >= 1); NaN if any element is NaN.
template <typename T>
inline T max(const T* x, int64_t n) {
  constexpr int W = V<T>::W;
  T m = x[0];
  int64_t i = 0;
  bool nan = false;
  if (n >= W) {
    vec<T> mv = load(x), nv{};
    for (i = W; i + W <= n; i += W) {
      vec<T> v = load(x + i);
      mv = v > mv ? v : mv;
      nv += v - v;  // NaN stays NaN; finite gives 0, inf gives NaN (caught by the scalar check below)
    }
    for (int l = 0; l < W; ++l) {
      if (mv[l] > m) m = mv[l];
      if (nv[l] != nv[l]) nan = true;
    }
    for (int64_t k = 0; k < W; ++k) if (x[k] != x[k]) nan = true;
  }
  for (; i < n; ++i) {
    if (x[i] > m) m = x[i];
    if (x[i] != x[i]) nan = true;
  }
  if (nan) {  // slow path only when needed: distinguishes NaN from +-inf
    for (int64_t k = 0; k < n; ++k)
      if (x[k] != x[k]) return x[k];
  }
  return m;
}

}  // namespace simd
}  // namespace LCSS_ISA_NS
}  // namespace lcss
