// SPDX-License-Identifier: MIT
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

}  // namespace lcss
