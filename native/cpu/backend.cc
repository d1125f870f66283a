// SPDX-License-Identifier: MIT
// The CPU backend: host memory from the caching allocator, and each contract of contract/ops.h
// handed to its kernel. Always linked. A new op registers its kernel here or, better, next to the
// kernel itself with LCSS_BACKEND_OP(Cpu, ...).
#include <cstring>

#include "../contract/backend.h"
#include "../core/allocator.h"
#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "nn.h"
#include "norm.h"
#include "random.h"
#include "reduce.h"
#include "stein.h"

namespace lcss {
namespace {

bool register_memory() {
  Backend& b = backend_slot(DeviceKind::Cpu);
  b.name = "cpu";
  b.alloc = [](int, size_t n) { return cpu_alloc(n); };
  b.free = [](int, void* p, size_t n) { cpu_free(p, n); };
  b.copy_from_host = [](int, void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); };
  b.copy_to_host = [](int, void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); };
  b.synchronize = [](int) {};
  b.memory_stats = [](int) { return cpu_alloc_stats(); };
  b.reset_peak = [](int) { cpu_reset_peak(); };
  b.empty_cache = [](int) { cpu_empty_cache(); };
  b.device_count = []() { return 1; };
  return true;
}
const bool registered = register_memory();

}  // namespace

LCSS_BACKEND_OP(Cpu, Unary, 0) { elementwise().unary(int(a.op), a.y, a.x, a.p1, a.p2); }
LCSS_BACKEND_OP(Cpu, Binary, 0) { elementwise().binary(int(a.op), a.y, a.a, a.b, a.p1, a.p2); }
LCSS_BACKEND_OP(Cpu, Where, 0) { elementwise().where(a.y, a.cond, a.a, a.b); }
LCSS_BACKEND_OP(Cpu, Copy, 0) { elementwise().copy(a.y, a.x); }
LCSS_BACKEND_OP(Cpu, Fill, 0) { ew_fill(a.y, a.value); }
LCSS_BACKEND_OP(Cpu, Reduce, 0) { reduce(int(a.op), a.y, a.x, int(a.nkeep)); }
LCSS_BACKEND_OP(Cpu, RandomFill, 0) {
  random_fill(int(a.kind), a.y, uint64_t(a.seed), uint64_t(a.offset), a.a, a.b);
}
LCSS_BACKEND_OP(Cpu, Gemm, 0) { gemm(a.a.dtype, gemm_args(a)); }
LCSS_BACKEND_OP(Cpu, Conv2dBackwardInput, 0) {
  conv2d_backward_input(a.gy.dtype, conv_shape(a), a.gy.p, a.w.p, a.gx.p);
}
LCSS_BACKEND_OP(Cpu, Conv2dBackwardWeight, 0) {
  conv2d_backward_weight(a.x.dtype, conv_shape(a), a.x.p, a.gy.p, a.gw.p);
}
LCSS_BACKEND_OP(Cpu, GroupNormForward, 0) {
  groupnorm_forward(a.x.dtype, a.N, a.C, a.HW, a.G, a.eps, a.silu, a.x.p, a.gamma.p, a.beta.p, a.y.p, a.mean.p,
                    a.rstd.p);
}
LCSS_BACKEND_OP(Cpu, GroupNormBackward, 0) {
  groupnorm_backward(a.x.dtype, a.N, a.C, a.HW, a.G, a.silu, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.gamma.p, a.beta.p,
                     a.gx.p, a.ggamma.p, a.gbeta.p);
}
LCSS_BACKEND_OP(Cpu, LayerNormForward, 0) {
  layernorm_forward(a.x.dtype, a.R, a.D, a.eps, a.x.p, a.w.p, a.b.p, a.y.p, a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cpu, LayerNormBackward, 0) {
  layernorm_backward(a.x.dtype, a.R, a.D, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.w.p, a.gx.p, a.gw.p, a.gb.p);
}
LCSS_BACKEND_OP(Cpu, SoftmaxForward, 0) { softmax_forward(a.x.dtype, a.outer, a.D, a.inner, a.log, a.x.p, a.y.p); }
LCSS_BACKEND_OP(Cpu, SoftmaxBackward, 0) {
  softmax_backward(a.y.dtype, a.outer, a.D, a.inner, a.log, a.y.p, a.gy.p, a.gx.p);
}
LCSS_BACKEND_OP(Cpu, AvgPool2dForward, 0) { avgpool2d_forward(a.x.dtype, pool_shape(a), a.countIncludePad, a.x.p, a.y.p); }
LCSS_BACKEND_OP(Cpu, AvgPool2dBackward, 0) {
  avgpool2d_backward(a.gy.dtype, pool_shape(a), a.countIncludePad, a.gy.p, a.gx.p);
}
LCSS_BACKEND_OP(Cpu, MaxPool2dForward, 0) {
  maxpool2d_forward(a.x.dtype, pool_shape(a), a.x.p, a.y.p, a.indices.as<int32_t>());
}
LCSS_BACKEND_OP(Cpu, MaxPool2dBackward, 0) {
  maxpool2d_backward(a.gy.dtype, pool_shape(a), a.gy.p, a.indices.as<int32_t>(), a.gx.p);
}
LCSS_BACKEND_OP(Cpu, UpsampleNearestForward, 0) {
  upsample_nearest_forward(a.x.dtype, a.NC, a.H, a.W, a.factorH, a.factorW, a.x.p, a.y.p);
}
LCSS_BACKEND_OP(Cpu, UpsampleNearestBackward, 0) {
  upsample_nearest_backward(a.gy.dtype, a.NC, a.H, a.W, a.factorH, a.factorW, a.gy.p, a.gx.p);
}
LCSS_BACKEND_OP(Cpu, IndexSelect, 0) {
  index_select(a.x.dtype, a.outer, a.D, a.inner, a.x.p, a.index.as<int32_t>(), a.M, a.y.p);
}
LCSS_BACKEND_OP(Cpu, IndexAdd, 0) { index_add(a.y.dtype, a.outer, a.D, a.inner, a.y.p, a.index.as<int32_t>(), a.M, a.src.p); }
LCSS_BACKEND_OP(Cpu, Gather, 0) { gather(a.x.dtype, a.outer, a.D, a.inner, a.x.p, a.index.as<int32_t>(), a.M, a.y.p); }
LCSS_BACKEND_OP(Cpu, ScatterAdd, 0) {
  scatter_add(a.y.dtype, a.outer, a.D, a.inner, a.y.p, a.index.as<int32_t>(), a.M, a.src.p);
}
LCSS_BACKEND_OP(Cpu, SteinPerturb, 0) { stein_perturb(a.x.dtype, stein_args(a), a.x.p, a.sigma.p, a.y.p); }
LCSS_BACKEND_OP(Cpu, SteinLossForward, 0) { stein_loss_forward(a.s.dtype, stein_args(a), a.s.p, a.sigma.p, a.out.p); }
LCSS_BACKEND_OP(Cpu, SteinLossBackward, 0) {
  stein_loss_backward(a.s.dtype, stein_args(a), a.gout.p, a.s.p, a.sigma.p, a.gs.p);
}
LCSS_BACKEND_OP(Cpu, AdamStep, 0) {
  adam_step(a.p.dtype, a.n, a.p.p, a.g.p, a.m.p, a.v.p, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.bc1, a.bc2,
            a.adamw);
}
LCSS_BACKEND_OP(Cpu, AttentionForward, 0) {
  attention_forward(a.q.dtype, attn_shape(a), a.q.p, a.k.p, a.v.p, a.o.p, a.lse.p);
}
LCSS_BACKEND_OP(Cpu, AttentionBackward, 0) {
  attention_backward(a.q.dtype, attn_shape(a), a.q.p, a.k.p, a.v.p, a.lse.p, a.go.p, a.gq.p, a.gk.p, a.gv.p);
}

}  // namespace lcss
