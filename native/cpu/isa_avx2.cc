// SPDX-License-Identifier: MIT
// Every per-ISA kernel family built for the avx2 instruction set (32-byte vectors); the build
// files set this translation unit's compiler flags.
#define LCSS_ISA_NS isa_avx2
#define LCSS_VEC_BYTES 32
#include "kernels.h"
#include "elementwise_impl.h"
#include "gemm_impl.h"
#include "random_impl.h"
#include "norm_impl.h"
#include "conv_winograd_impl.h"

namespace lcss {
namespace isa_avx2 {
const CpuKernels kKernels = {
    "avx2",
    {&unary, &binary, &where, &copy},
    &gemm_t<float>,
    &gemm_t<double>,
    &normal_f32_impl,
    &normal_f64_impl,
    &bits_impl,
    {&norm::groupnorm_forward, &norm::groupnorm_backward, &norm::layernorm_forward, &norm::layernorm_backward},
    {&wino::forward_f32, &wino::backward_weight_f32, &nt::gemm_nt<float>},
};
}  // namespace isa_avx2
}  // namespace lcss
