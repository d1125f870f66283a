// SPDX-License-Identifier: MIT
// Fused Adam(W): one pass over p, g, m, v instead of the ~10 elementwise ops of the composite form.
#include <cmath>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "nn.h"

namespace lcss {
namespace {

template <typename T>
void adam_t(int64_t n, T* p, const T* g, T* m, T* v, double lr, double b1, double b2, double eps, double wd, double bc1,
            double bc2, bool adamw) {
  const T step = T(lr / bc1), rbc2 = T(1.0 / std::sqrt(bc2)), tb1 = T(b1), tb2 = T(b2), te = T(eps), twd = T(wd);
  const T decay = T(1.0 - lr * wd);
  parallel_for(n, 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T gi = g[i];
      if (!adamw) gi += twd * p[i];
      T mi = tb1 * m[i] + (T(1) - tb1) * gi;
      T vi = tb2 * v[i] + (T(1) - tb2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      T pi = adamw ? p[i] * decay : p[i];
      p[i] = pi - step * mi / (std::sqrt(vi) * rbc2 + te);
    }
  });
}

}  // namespace

void adam_step(DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double b1, double b2, double eps,
               double wd, double bc1, double bc2, bool adamw) {
  if (t == DType::F32)
    return adam_t<float>(n, (float*)p, (const float*)g, (float*)m, (float*)v, lr, b1, b2, eps, wd, bc1, bc2, adamw);
  if (t == DType::F64)
    return adam_t<double>(n, (double*)p, (const double*)g, (double*)m, (double*)v, lr, b1, b2, eps, wd, bc1, bc2, adamw);
  LCSS_CHECK(false, "adam: dtype %s not supported", dtype_name(t));
}

}  // namespace lcss
