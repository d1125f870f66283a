// SPDX-License-Identifier: MIT
#include "kernels.h"

#include "cpu_features.h"

namespace lcss {

const CpuKernels& kernels() {
  static const CpuKernels* t = [] {
#ifdef LCSS_HAVE_X86_KERNELS
    switch (cpu_isa()) {
      case Isa::Avx512: return &isa_avx512::kKernels;
      case Isa::Avx2: return &isa_avx2::kKernels;
      default: break;
    }
#endif
    return &isa_base::kKernels;
  }();
  return *t;
}

}  // namespace lcss
