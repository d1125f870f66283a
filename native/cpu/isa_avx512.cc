// SPDX-License-Identifier: MIT
// The elementwise and random kernels and the kernel table for the avx512 instruction set
// (64-byte vectors); the build files set this translation unit's compiler flags.
#define LCSS_ISA_NS isa_avx512
#define LCSS_VEC_BYTES 64
#include "kernels.h"
#include "elementwise_impl.h"
#include "random_impl.h"

namespace lcss {
namespace isa_avx512 {
const CpuKernels kKernels = {
    "avx512",
    {&unary, &binary, &where, &copy},
    &sgemm,
    &dgemm,
    &normal_f32_impl,
    &normal_f64_impl,
    &bits_impl,
    &kNn,
};
}  // namespace isa_avx512
}  // namespace lcss
