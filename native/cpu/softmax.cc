// SPDX-License-Identifier: MIT
#include <cmath>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "fastmath.h"
#include "nn.h"

namespace lcss {
namespace {

template <typename T>
void fwd(int64_t outer, int64_t D, int64_t inner, bool lg, const T* x, T* y) {
  parallel_for(outer * inner, std::max<int64_t>(1, 8192 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      const int64_t o = l / inner, j = l % inner;
      const T* xr = x + o * D * inner + j;
      T* yr = y + o * D * inner + j;
      T m = -INFINITY;
      for (int64_t d = 0; d < D; ++d) m = xr[d * inner] > m ? xr[d * inner] : m;
      if (std::isinf(m) && m < 0) m = 0;  // all -inf row: avoid inf - inf
      double s = 0;
      if (lg) {
        for (int64_t d = 0; d < D; ++d) s += double(k_exp(xr[d * inner] - m));
        T ls = T(std::log(s));
        for (int64_t d = 0; d < D; ++d) yr[d * inner] = xr[d * inner] - m - ls;
      } else {
        for (int64_t d = 0; d < D; ++d) {
          T ev = k_exp(xr[d * inner] - m);
          yr[d * inner] = ev;
          s += double(ev);
        }
        T inv = T(1.0 / s);
        for (int64_t d = 0; d < D; ++d) yr[d * inner] *= inv;
      }
    }
  });
}

template <typename T>
void bwd(int64_t outer, int64_t D, int64_t inner, bool lg, const T* y, const T* gy, T* gx) {
  parallel_for(outer * inner, std::max<int64_t>(1, 8192 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      const int64_t o = l / inner, j = l % inner, base = o * D * inner + j;
      double s = 0;
      if (lg) {
        for (int64_t d = 0; d < D; ++d) s += double(gy[base + d * inner]);
        for (int64_t d = 0; d < D; ++d) gx[base + d * inner] = gy[base + d * inner] - k_exp(y[base + d * inner]) * T(s);
      } else {
        for (int64_t d = 0; d < D; ++d) s += double(gy[base + d * inner]) * double(y[base + d * inner]);
        for (int64_t d = 0; d < D; ++d) gx[base + d * inner] = y[base + d * inner] * (gy[base + d * inner] - T(s));
      }
    }
  });
}

}  // namespace

void softmax_forward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* x, void* y) {
  if (t == DType::F32) return fwd<float>(outer, D, inner, lg, (const float*)x, (float*)y);
  if (t == DType::F64) return fwd<double>(outer, D, inner, lg, (const double*)x, (double*)y);
  LCSS_CHECK(false, "softmax: dtype %s not supported", dtype_name(t));
}

void softmax_backward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* y, const void* gy, void* gx) {
  if (t == DType::F32) return bwd<float>(outer, D, inner, lg, (const float*)y, (const float*)gy, (float*)gx);
  if (t == DType::F64) return bwd<double>(outer, D, inner, lg, (const double*)y, (const double*)gy, (double*)gx);
  LCSS_CHECK(false, "softmax_backward: dtype %s not supported", dtype_name(t));
}

}  // namespace lcss
