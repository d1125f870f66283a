// SPDX-License-Identifier: MIT
// Fused Adam(W), compiled once per ISA: one pass over p, g, m, v instead of the ~10 elementwise
// ops of the composite form; the loop vectorises (sqrt and divide included) in the AVX units.
#pragma once
#include <cmath>
#include <cstdint>

#include "../core/dtype.h"
#include "../core/threadpool.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace optim {

template <typename T>
void adam_t(int64_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, double lr, double b1,
            double b2, double eps, double wd, double bc1, double bc2, bool adamw) {
  const T step = T(lr / bc1), rbc2 = T(1.0 / std::sqrt(bc2)), tb1 = T(b1), tb2 = T(b2), te = T(eps), twd = T(wd);
  // 1 - beta in double: float(1) - float(0.999) is 1.3e-5 off in relative terms, and that error
  // would scale every g^2 term of v
  const T decay = T(1.0 - lr * wd), c1 = T(1.0 - b1), c2 = T(1.0 - b2);
  // ~20 bytes and ~15 flops per element: memory-bound, so chunks of >= 32K elements per thread
  parallel_for_dynamic(n, 1 << 15, [&](int64_t b, int64_t e) {
    if (adamw) {
      for (int64_t i = b; i < e; ++i) {
        const T gi = g[i];
        const T mi = tb1 * m[i] + c1 * gi;
        const T vi = tb2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - step * mi / (std::sqrt(vi) * rbc2 + te);
      }
    } else {
      for (int64_t i = b; i < e; ++i) {
        const T gi = g[i] + twd * p[i];
        const T mi = tb1 * m[i] + c1 * gi;
        const T vi = tb2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - step * mi / (std::sqrt(vi) * rbc2 + te);
      }
    }
  });
}

inline void adam_step(DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double b1, double b2,
                      double eps, double wd, double bc1, double bc2, bool adamw) {
  if (t == DType::F32)
    adam_t<float>(n, (float*)p, (const float*)g, (float*)m, (float*)v, lr, b1, b2, eps, wd, bc1, bc2, adamw);
  else
    adam_t<double>(n, (double*)p, (const double*)g, (double*)m, (double*)v, lr, b1, b2, eps, wd, bc1, bc2, adamw);
}

}  // namespace optim
}  // namespace LCSS_ISA_NS
}  // namespace lcss
