// SPDX-License-Identifier: MIT
// The CUDA backend's table: the runtime layer (device.cu) for memory and queries, and each
// contract of contract/ops.h handed to its launcher. Compiled only into CUDA builds (and the
// emulator build), so a CPU-only addon has no CUDA entry at all.
#include "../contract/backend.h"
#include "cuda_api.h"
#include "cuda_ops.h"

namespace lcss {
namespace {

bool register_runtime() {
  Backend& b = backend_slot(DeviceKind::Cuda);
  b.name = "cuda";
  b.alloc = cuda_alloc;
  b.free = cuda_free;
  b.copy_from_host = cuda_copy_h2d;
  b.copy_to_host = cuda_copy_d2h;
  b.synchronize = cuda_synchronize;
  b.memory_stats = cuda_alloc_stats;
  b.reset_peak = cuda_reset_peak;
  b.empty_cache = cuda_empty_cache;
  b.device_count = cuda_device_count;
  b.status = cuda_status_message;
  b.device_info = cuda_device_info;
  b.set_tf32 = cuda_set_tf32;
  return true;
}
const bool registered = register_runtime();

int dev(const View& v) { return v.device_index; }
int dev(const Operand& o) { return o.device_index; }

}  // namespace

LCSS_BACKEND_OP(Cuda, Unary, 0) { cuda_unary(int(a.op), a.y, a.x, a.p1, a.p2); }
LCSS_BACKEND_OP(Cuda, Binary, 0) { cuda_binary(int(a.op), a.y, a.a, a.b, a.p1, a.p2); }
LCSS_BACKEND_OP(Cuda, Where, 0) { cuda_where(a.y, a.cond, a.a, a.b); }
LCSS_BACKEND_OP(Cuda, Copy, 0) { cuda_copy(a.y, a.x); }  // either side may be on the host
LCSS_BACKEND_OP(Cuda, Fill, 0) { cuda_fill(a.y, a.value); }
LCSS_BACKEND_OP(Cuda, Reduce, 0) { cuda_reduce(int(a.op), a.y, a.x, int(a.nkeep)); }
LCSS_BACKEND_OP(Cuda, RandomFill, 0) {
  cuda_random_fill(int(a.kind), a.y, uint64_t(a.seed), uint64_t(a.offset), a.a, a.b);
}
LCSS_BACKEND_OP(Cuda, Gemm, 0) { cuda_gemm(dev(a.a), a.a.dtype, gemm_args(a)); }
LCSS_BACKEND_OP(Cuda, Conv2dForward, 0) {
  cuda_conv2d_forward(dev(a.x), a.x.dtype, conv_shape(a), a.x.p, a.w.p, a.bias.p, a.channel.p, a.residual.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, Conv2dBackwardInput, 0) {
  cuda_conv2d_backward_input(dev(a.gy), a.gy.dtype, conv_shape(a), a.gy.p, a.w.p, a.gx.p);
}
LCSS_BACKEND_OP(Cuda, Conv2dBackwardWeight, 0) {
  cuda_conv2d_backward_weight(dev(a.x), a.x.dtype, conv_shape(a), a.x.p, a.gy.p, a.gw.p);
}
LCSS_BACKEND_OP(Cuda, GroupNormForward, 0) {
  cuda_groupnorm_forward(dev(a.x), a.x.dtype, a.N, a.C, a.HW, a.G, a.eps, a.silu, a.x.p, a.gamma.p, a.beta.p, a.y.p,
                         a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cuda, GroupNormBackward, 0) {
  cuda_groupnorm_backward(dev(a.x), a.x.dtype, a.N, a.C, a.HW, a.G, a.silu, a.gy.p, a.x.p, a.mean.p, a.rstd.p,
                          a.gamma.p, a.beta.p, a.gx.p, a.ggamma.p, a.gbeta.p);
}
LCSS_BACKEND_OP(Cuda, LayerNormForward, 0) {
  cuda_layernorm_forward(dev(a.x), a.x.dtype, a.R, a.D, a.eps, a.x.p, a.w.p, a.b.p, a.y.p, a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cuda, LayerNormBackward, 0) {
  cuda_layernorm_backward(dev(a.x), a.x.dtype, a.R, a.D, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.w.p, a.gx.p, a.gw.p,
                          a.gb.p);
}
LCSS_BACKEND_OP(Cuda, SoftmaxForward, 0) {
  cuda_softmax_forward(dev(a.x), a.x.dtype, a.outer, a.D, a.inner, a.log, a.x.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, SoftmaxBackward, 0) {
  cuda_softmax_backward(dev(a.y), a.y.dtype, a.outer, a.D, a.inner, a.log, a.y.p, a.gy.p, a.gx.p);
}
// pooling kinds of cuda_pool2d: 0 avg forward, 1 avg backward, 2 max forward, 3 max backward
LCSS_BACKEND_OP(Cuda, AvgPool2dForward, 0) {
  cuda_pool2d(dev(a.x), a.x.dtype, 0, pool_shape(a), a.countIncludePad, a.x.p, a.y.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, AvgPool2dBackward, 0) {
  cuda_pool2d(dev(a.gy), a.gy.dtype, 1, pool_shape(a), a.countIncludePad, a.gy.p, a.gx.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, MaxPool2dForward, 0) {
  cuda_pool2d(dev(a.x), a.x.dtype, 2, pool_shape(a), false, a.x.p, a.y.p, a.indices.as<int32_t>());
}
LCSS_BACKEND_OP(Cuda, MaxPool2dBackward, 0) {
  cuda_pool2d(dev(a.gy), a.gy.dtype, 3, pool_shape(a), false, a.gy.p, a.gx.p, a.indices.as<int32_t>());
}
LCSS_BACKEND_OP(Cuda, UpsampleNearestForward, 0) {
  cuda_upsample_nearest(dev(a.x), a.x.dtype, false, a.NC, a.H, a.W, a.factorH, a.factorW, a.x.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, UpsampleNearestBackward, 0) {
  cuda_upsample_nearest(dev(a.gy), a.gy.dtype, true, a.NC, a.H, a.W, a.factorH, a.factorW, a.gy.p, a.gx.p);
}
// index kinds of cuda_index_op: 0 index_select, 1 index_add, 2 gather, 3 scatter_add
LCSS_BACKEND_OP(Cuda, IndexSelect, 0) {
  cuda_index_op(dev(a.x), a.x.dtype, 0, a.outer, a.D, a.inner, a.M, a.x.p, a.index.as<int32_t>(), a.y.p);
}
LCSS_BACKEND_OP(Cuda, IndexAdd, 0) {
  cuda_index_op(dev(a.y), a.y.dtype, 1, a.outer, a.D, a.inner, a.M, a.y.p, a.index.as<int32_t>(), a.src.p);
}
LCSS_BACKEND_OP(Cuda, Gather, 0) {
  cuda_index_op(dev(a.x), a.x.dtype, 2, a.outer, a.D, a.inner, a.M, a.x.p, a.index.as<int32_t>(), a.y.p);
}
LCSS_BACKEND_OP(Cuda, ScatterAdd, 0) {
  cuda_index_op(dev(a.y), a.y.dtype, 3, a.outer, a.D, a.inner, a.M, a.y.p, a.index.as<int32_t>(), a.src.p);
}
// stein kinds of cuda_stein: 0 perturb (p0 = x, p1 = y), 1 forward (p0 = s, p1 = out),
// 2 backward (p0 = s, p1 = gout, p2 = gs)
LCSS_BACKEND_OP(Cuda, SteinPerturb, 0) {
  cuda_stein(dev(a.x), a.x.dtype, 0, stein_args(a), a.sigma.p, a.x.p, a.y.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, SteinLossForward, 0) {
  cuda_stein(dev(a.s), a.s.dtype, 1, stein_args(a), a.sigma.p, a.s.p, a.out.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, SteinLossBackward, 0) {
  cuda_stein(dev(a.s), a.s.dtype, 2, stein_args(a), a.sigma.p, a.s.p, a.gout.p, a.gs.p);
}
LCSS_BACKEND_OP(Cuda, AdamStep, 0) {
  cuda_adam_step(dev(a.p), a.p.dtype, a.n, a.p.p, a.g.p, a.m.p, a.v.p, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay,
                 a.bc1, a.bc2, a.adamw);
}
// No fused attention kernel on CUDA: supports() says so and the op takes its composite form.

}  // namespace lcss
