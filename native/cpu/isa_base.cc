// SPDX-License-Identifier: MIT
// The elementwise and random kernels and the kernel table for the base instruction set
// (16-byte vectors); the build files set this translation unit's compiler flags.
#define LCSS_ISA_NS isa_base
#define LCSS_VEC_BYTES 16
#include "kernels.h"
#include "elementwise_impl.h"
#include "random_impl.h"

namespace lcss {
namespace isa_base {
const CpuKernels kKernels = {
    "base",
    {&unary, &binary, &where, &copy},
    &sgemm,
    &dgemm,
    &normal_f32_impl,
    &normal_f64_impl,
    &bits_impl,
    &kNn,
};
}  // namespace isa_base
}  // namespace lcss
