// SPDX-License-Identifier: MIT
#include "../contract/backend.h"
#include "gemm.h"

#include "../core/error.h"
#include "kernels.h"

namespace lcss {

void gemm(DType dtype, const GemmArgs& g) {
  LCSS_CHECK(g.M >= 0 && g.N >= 0 && g.K >= 0 && g.batch >= 0, "gemm: negative size");
  switch (dtype) {
    case DType::F32: return kernels().sgemm(g);
    case DType::F64: return kernels().dgemm(g);
    default: LCSS_CHECK(false, "gemm: dtype %s is not supported (float32 or float64 expected)", dtype_name(dtype));
  }
}

template <typename T>
static void ref_t(const GemmArgs& g) {
  const T* A = static_cast<const T*>(g.A);
  const T* B = static_cast<const T*>(g.B);
  T* C = static_cast<T*>(g.C);
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t i = 0; i < g.M; ++i)
      for (int64_t j = 0; j < g.N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < g.K; ++k)
          s += double(A[b * g.a_bs + i * g.a_rs + k * g.a_cs]) * double(B[b * g.b_bs + k * g.b_rs + j * g.b_cs]);
        T& c = C[b * g.c_bs + i * g.c_rs + j];
        c = T(g.alpha * s + (g.beta == 0 ? 0.0 : g.beta * double(c)));
      }
}

void gemm_reference(DType dtype, const GemmArgs& g) {
  if (dtype == DType::F32) return ref_t<float>(g);
  if (dtype == DType::F64) return ref_t<double>(g);
  LCSS_CHECK(false, "gemm_reference: unsupported dtype");
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, Gemm, 0) { gemm(a.a.dtype, gemm_args(a)); }

}  // namespace lcss
