// SPDX-License-Identifier: MIT
// The per-ISA NN kernel table; included by isa_<isa>_nn.cc after it defines LCSS_ISA_NS and
// LCSS_VEC_BYTES (the build gives that file its instruction-set flags).
#include "attention_impl.h"
#include "conv_winograd_impl.h"
#include "gemm_nt_impl.h"
#include "kernels.h"
#include "norm_impl.h"
#include "optim_impl.h"
#include "simd.h"
#include "softmax_impl.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace {
double sum_f32(const float* x, int64_t n) { return simd::sum_exact(x, n); }
double sum_f64(const double* x, int64_t n) { return simd::sum_exact(x, n); }
}  // namespace

const NnTable kNn = {
    {&norm::groupnorm_forward, &norm::groupnorm_backward, &norm::layernorm_forward, &norm::layernorm_backward},
    {&wino::forward_f32, &wino::backward_weight_f32, &nt::gemm_nt<float>},
    &smax::softmax_forward,
    &smax::softmax_backward,
    &optim::adam_step,
    &attn::attention_forward,
    &attn::attention_backward,
    &sum_f32,
    &sum_f64,
};
}  // namespace LCSS_ISA_NS
}  // namespace lcss
