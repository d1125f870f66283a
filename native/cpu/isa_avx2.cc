// SPDX-License-Identifier: MIT
// The elementwise and random kernels and the kernel table for the avx2 instruction set
// (32-byte vectors); the build files set this translation unit's compiler flags.
#define LCSS_ISA_NS isa_avx2
#define LCSS_VEC_BYTES 32
#include "kernels.h"
#include "elementwise_impl.h"
#include "random_impl.h"

namespace lcss {
namespace isa_avx2 {
const CpuKernels kKernels = {
    "avx2",
    {&unary, &binary, &where, &copy},
    &sgemm,
    &dgemm,
    &normal_f32_impl,
    &normal_f64_impl,
    &bits_impl,
    &kNn,
};
}  // namespace isa_avx2
}  // namespace lcss
