// SPDX-License-Identifier: MIT
// The table of kernels that exist once per instruction set (cpu/isa_*.cc); kernels() returns the
// best one this CPU runs (see cpu_features.h).
#pragma once
#include <cstdint>

#include "../core/view.h"
#include "elementwise.h"
#include "gemm.h"

namespace lcss {

struct CpuKernels {
  const char* isa;
  ElementwiseTable ew;
  void (*sgemm)(const GemmArgs&);
  void (*dgemm)(const GemmArgs&);
  void (*normal_f32)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, float* out);
  void (*normal_f64)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out);
  void (*bits)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, uint32_t* out);
};

namespace isa_base { extern const CpuKernels kKernels; }
namespace isa_avx2 { extern const CpuKernels kKernels; }
namespace isa_avx512 { extern const CpuKernels kKernels; }

const CpuKernels& kernels();

}  // namespace lcss
