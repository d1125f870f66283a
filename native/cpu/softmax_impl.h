// SPDX-License-Identifier: MIT
// Softmax / log-softmax over the middle dim of x[outer, D, inner], compiled once per ISA.
// inner == 1 (the last dim, the common case): one row at a time, vectorised along the row.
// inner > 1: vectorised across the inner index, a block of kCols columns at a time.
// Row sums accumulate in double (simd.h), so rows of 1e6 logits stay normalised to ~1e-7.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../core/allocator.h"
#include "../core/dtype.h"
#include "../core/threadpool.h"
#include "fastmath.h"
#include "simd.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace smax {

constexpr int64_t kCols = 256;

template <typename T>
__attribute__((flatten)) void row_fwd(const T* x, T* y, int64_t D, bool lg) {
  T m = simd::max(x, D);
  if (std::isinf(m) && m < 0) m = 0;  // all -inf row: avoid inf - inf
  for (int64_t d = 0; d < D; ++d) y[d] = k_exp(x[d] - m);
  const double s = simd::sum(y, D);
  if (lg) {
    const T ls = T(std::log(s));
    for (int64_t d = 0; d < D; ++d) y[d] = x[d] - m - ls;
  } else {
    const T inv = T(1.0 / s);
    for (int64_t d = 0; d < D; ++d) y[d] *= inv;
  }
}

template <typename T>
__attribute__((flatten)) void row_bwd(const T* y, const T* gy, T* gx, int64_t D, bool lg) {
  if (lg) {
    const T s = T(simd::sum(gy, D));
    for (int64_t d = 0; d < D; ++d) gx[d] = gy[d] - k_exp(y[d]) * s;
  } else {
    const T s = T(simd::dot(gy, y, D));
    for (int64_t d = 0; d < D; ++d) gx[d] = y[d] * (gy[d] - s);
  }
}

// Columns [j0, j0 + nj) of one [D, inner] slab; m and s are nj-long scratch.
template <typename T>
__attribute__((flatten)) void cols_fwd(const T* x, T* y, int64_t D, int64_t inner, int64_t nj, bool lg, T* m, double* s) {
  for (int64_t j = 0; j < nj; ++j) m[j] = x[j];
  for (int64_t d = 1; d < D; ++d) {
    const T* r = x + d * inner;
    for (int64_t j = 0; j < nj; ++j) m[j] = (r[j] > m[j] || r[j] != r[j]) ? r[j] : m[j];
  }
  for (int64_t j = 0; j < nj; ++j) {
    if (std::isinf(m[j]) && m[j] < 0) m[j] = 0;
    s[j] = 0;
  }
  for (int64_t d = 0; d < D; ++d) {
    const T* r = x + d * inner;
    T* o = y + d * inner;
    for (int64_t j = 0; j < nj; ++j) {
      o[j] = k_exp(r[j] - m[j]);
      s[j] += double(o[j]);
    }
  }
  for (int64_t d = 0; d < D; ++d) {
    const T* r = x + d * inner;
    T* o = y + d * inner;
    if (lg)
      for (int64_t j = 0; j < nj; ++j) o[j] = r[j] - m[j] - T(std::log(s[j]));
    else
      for (int64_t j = 0; j < nj; ++j) o[j] = T(double(o[j]) / s[j]);
  }
}

template <typename T>
__attribute__((flatten)) void cols_bwd(const T* y, const T* gy, T* gx, int64_t D, int64_t inner, int64_t nj, bool lg, double* s) {
  for (int64_t j = 0; j < nj; ++j) s[j] = 0;
  for (int64_t d = 0; d < D; ++d) {
    const T* g = gy + d * inner;
    const T* yr = y + d * inner;
    if (lg)
      for (int64_t j = 0; j < nj; ++j) s[j] += double(g[j]);
    else
      for (int64_t j = 0; j < nj; ++j) s[j] += double(g[j]) * double(yr[j]);
  }
  for (int64_t d = 0; d < D; ++d) {
    const T* g = gy + d * inner;
    const T* yr = y + d * inner;
    T* o = gx + d * inner;
    if (lg)
      for (int64_t j = 0; j < nj; ++j) o[j] = g[j] - k_exp(yr[j]) * T(s[j]);
    else
      for (int64_t j = 0; j < nj; ++j) o[j] = yr[j] * (g[j] - T(s[j]));
  }
}

template <typename T>
void fwd(int64_t outer, int64_t D, int64_t inner, bool lg, const T* x, T* y) {
  if (inner == 1) {
    parallel_for_dynamic(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) row_fwd(x + o * D, y + o * D, D, lg);
    });
    return;
  }
  const int64_t nb = (inner + kCols - 1) / kCols;
  parallel_for_dynamic(outer * nb, std::max<int64_t>(1, 16384 / std::max<int64_t>(D * std::min(inner, kCols), 1)), [&](int64_t b, int64_t e) {
    T m[kCols];
    double s[kCols];
    for (int64_t l = b; l < e; ++l) {
      const int64_t o = l / nb, j0 = (l % nb) * kCols, nj = std::min(kCols, inner - j0);
      cols_fwd(x + o * D * inner + j0, y + o * D * inner + j0, D, inner, nj, lg, m, s);
    }
  });
}

template <typename T>
void bwd(int64_t outer, int64_t D, int64_t inner, bool lg, const T* y, const T* gy, T* gx) {
  if (inner == 1) {
    parallel_for_dynamic(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) row_bwd(y + o * D, gy + o * D, gx + o * D, D, lg);
    });
    return;
  }
  const int64_t nb = (inner + kCols - 1) / kCols;
  parallel_for_dynamic(outer * nb, std::max<int64_t>(1, 16384 / std::max<int64_t>(D * std::min(inner, kCols), 1)), [&](int64_t b, int64_t e) {
    double s[kCols];
    for (int64_t l = b; l < e; ++l) {
      const int64_t o = l / nb, j0 = (l % nb) * kCols, nj = std::min(kCols, inner - j0);
      const int64_t off = o * D * inner + j0;
      cols_bwd(y + off, gy + off, gx + off, D, inner, nj, lg, s);
    }
  });
}

inline void softmax_forward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* x, void* y) {
  if (t == DType::F32) fwd<float>(outer, D, inner, lg, (const float*)x, (float*)y);
  else fwd<double>(outer, D, inner, lg, (const double*)x, (double*)y);
}
inline void softmax_backward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* y, const void* gy,
                             void* gx) {
  if (t == DType::F32) bwd<float>(outer, D, inner, lg, (const float*)y, (const float*)gy, (float*)gx);
  else bwd<double>(outer, D, inner, lg, (const double*)y, (const double*)gy, (double*)gx);
}

}  // namespace smax
}  // namespace LCSS_ISA_NS
}  // namespace lcss
