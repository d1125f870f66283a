// SPDX-License-Identifier: MIT
// Argument checks of the softmax kernels; the kernels themselves are per ISA (softmax_impl.h).
#include "../contract/backend.h"
#include "../core/error.h"
#include "kernels.h"
#include "nn.h"

namespace lcss {

void softmax_forward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* x, void* y) {
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "softmax: dtype %s not supported", dtype_name(t));
  LCSS_CHECK(outer >= 0 && D >= 0 && inner >= 0, "softmax: negative size");
  if (outer * D * inner == 0) return;
  kernels().nn->softmax_forward(t, outer, D, inner, lg, x, y);
}

void softmax_backward(DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* y, const void* gy, void* gx) {
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "softmax_backward: dtype %s not supported", dtype_name(t));
  LCSS_CHECK(outer >= 0 && D >= 0 && inner >= 0, "softmax_backward: negative size");
  if (outer * D * inner == 0) return;
  kernels().nn->softmax_backward(t, outer, D, inner, lg, y, gy, gx);
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, SoftmaxForward, 0) { softmax_forward(a.x.dtype, a.outer, a.D, a.inner, a.log, a.x.p, a.y.p); }
LCSS_BACKEND_OP(Cpu, SoftmaxBackward, 0) {
  softmax_backward(a.y.dtype, a.outer, a.D, a.inner, a.log, a.y.p, a.gy.p, a.gx.p);
}

}  // namespace lcss
