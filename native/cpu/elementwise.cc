// SPDX-License-Identifier: MIT
#include "../contract/backend.h"
#include "elementwise.h"

#include "../core/checked.h"

#include "kernels.h"
#include "../core/strided.h"

namespace lcss {

const ElementwiseTable& elementwise() { return kernels().ew; }

template <typename T>
static void fill_t(const View& y, T v) {
  const View* ops[1] = {&y};
  for_each_strided<1>(ops, 1 << 16, [&](int64_t n, char* const* p, const int64_t* s) {
    T* o = reinterpret_cast<T*>(p[0]);
    if (s[0] == 1)
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    else
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
  });
}

void ew_fill(const View& y, double v) {
  switch (y.dtype) {
    case DType::F32: return fill_t<float>(y, float(v));
    case DType::F64: return fill_t<double>(y, v);
    case DType::I32:
      LCSS_CHECK(is_int32_value(v), "fill: %g is not an integer in int32 range", v);
      return fill_t<int32_t>(y, int32_t(v));
    case DType::Bool: return fill_t<uint8_t>(y, uint8_t(v != 0));
  }
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, Unary, 0) { elementwise().unary(int(a.op), a.y, a.x, a.p1, a.p2); }
LCSS_BACKEND_OP(Cpu, Binary, 0) { elementwise().binary(int(a.op), a.y, a.a, a.b, a.p1, a.p2); }
LCSS_BACKEND_OP(Cpu, Where, 0) { elementwise().where(a.y, a.cond, a.a, a.b); }
LCSS_BACKEND_OP(Cpu, Copy, 0) { elementwise().copy(a.y, a.x); }
LCSS_BACKEND_OP(Cpu, Fill, 0) { ew_fill(a.y, a.value); }

}  // namespace lcss
