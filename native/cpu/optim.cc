// SPDX-License-Identifier: MIT
// Argument checks of the fused Adam(W) step; the kernel itself is per ISA (optim_impl.h).
#include "../contract/backend.h"
#include "../core/error.h"
#include "kernels.h"
#include "nn.h"

namespace lcss {

void adam_step(DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double b1, double b2, double eps,
               double wd, double bc1, double bc2, bool adamw) {
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "adam: dtype %s not supported", dtype_name(t));
  LCSS_CHECK(n >= 0, "adam: negative size");
  kernels().nn->adam_step(t, n, p, g, m, v, lr, b1, b2, eps, wd, bc1, bc2, adamw);
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, AdamStep, 0) {
  adam_step(a.p.dtype, a.n, a.p.p, a.g.p, a.m.p, a.v.p, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.bc1, a.bc2,
            a.adamw);
}

}  // namespace lcss
