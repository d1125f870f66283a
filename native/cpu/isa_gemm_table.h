// SPDX-License-Identifier: MIT
// The per-ISA GEMM entry points; included by isa_<isa>_gemm.cc after it defines LCSS_ISA_NS and
// LCSS_VEC_BYTES (the build gives that file its instruction-set flags).
#include "gemm_impl.h"
#include "kernels.h"

namespace lcss {
namespace LCSS_ISA_NS {
void sgemm(const GemmArgs& g) { gemm_t<float>(g); }
void dgemm(const GemmArgs& g) { gemm_t<double>(g); }
}  // namespace LCSS_ISA_NS
}  // namespace lcss
