// SPDX-License-Identifier: MIT
// Entry points of the NN kernels (convolution, normalisation, softmax, pooling, indexing, the
// fused Stein loss, Adam). Operands are contiguous (buffer, offset) pairs; sizes come as numbers.
#include "../cpu/conv.h"
#include "../cpu/nn.h"
#include "../cpu/norm.h"
#include "../cpu/stein.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

void same_device(const Napi::CallbackInfo&, const char* op, std::initializer_list<const Ptr*> ps) {
  const Ptr* first = nullptr;
  for (const Ptr* p : ps) {
    if (!p->p) continue;
    if (!first) first = p;
    else LCSS_CHECK(p->cuda == first->cuda && p->device_index == first->device_index, "%s: operands are on different devices", op);
  }
}

// Operands of one kernel share the first operand's dtype (optional ones when present).
void same_dtype(const char* op, std::initializer_list<const Ptr*> ps) {
  const Ptr* first = nullptr;
  for (const Ptr* p : ps) {
    if (!p->p) continue;
    if (!first) first = p;
    else LCSS_CHECK(p->dtype == first->dtype, "%s: operands must share a dtype (%s and %s)", op, dtype_name(first->dtype),
                    dtype_name(p->dtype));
  }
  if (first) LCSS_CHECK(is_float(first->dtype), "%s: operands must be float32 or float64, got %s", op, dtype_name(first->dtype));
}

// The 16 numbers of a convolution, consistent with each other: the kernels index the input from
// the output coordinates, the kernel size, strides, paddings and dilations, so an output size that
// does not follow from them (or groups that do not divide the channels) would read outside x.
ConvShape conv_shape(const Napi::CallbackInfo& info, int i) {
  const std::vector<int64_t> v = arg_ints(info, i, "conv2d shape", 16, 0, kMaxElements);
  ConvShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  LCSS_CHECK(s.groups >= 1 && s.C % s.groups == 0 && s.O % s.groups == 0, "conv2d: groups %lld must divide C %lld and O %lld",
             (long long)s.groups, (long long)s.C, (long long)s.O);
  LCSS_CHECK(s.KH >= 1 && s.KW >= 1 && s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1,
             "conv2d: kernel size, stride and dilation must be positive");
  checked_numel({s.N, s.C, s.H, s.W}, "conv2d input");
  checked_numel({s.N, s.O, s.OH, s.OW}, "conv2d output");
  checked_numel({s.O, s.C, s.KH, s.KW}, "conv2d weight");
  // every number is in [0, 2^53], so these sums and products fit 64 bits once checked
  const int64_t reach_h = checked_add(checked_mul(s.dh, s.KH - 1, "conv2d"), 1, "conv2d");
  const int64_t reach_w = checked_add(checked_mul(s.dw, s.KW - 1, "conv2d"), 1, "conv2d");
  const int64_t eh = checked_add(s.H, checked_mul(2, s.ph, "conv2d"), "conv2d") - reach_h;
  const int64_t ew = checked_add(s.W, checked_mul(2, s.pw, "conv2d"), "conv2d") - reach_w;
  LCSS_CHECK(eh >= 0 && ew >= 0 && s.OH == eh / s.sh + 1 && s.OW == ew / s.sw + 1,
             "conv2d: output %lldx%lld does not follow from input %lldx%lld, kernel %lldx%lld, stride, padding and dilation",
             (long long)s.OH, (long long)s.OW, (long long)s.H, (long long)s.W, (long long)s.KH, (long long)s.KW);
  return s;
}

// conv2dForward(shape[16], x(2), w(2), bias(2|null), y(2))
Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d", [&]() -> Napi::Value {
    ConvShape s = conv_shape(info, 0);
    Ptr x = arg_ptr(info, 1, "conv2d x", s.N * s.C * s.H * s.W);
    Ptr w = arg_ptr(info, 3, "conv2d weight", s.O * (s.C / s.groups) * s.KH * s.KW);
    Ptr b = arg_ptr(info, 5, "conv2d bias", s.O, true);
    Ptr y = arg_ptr(info, 7, "conv2d out", s.N * s.O * s.OH * s.OW);
    same_device(info, "conv2d", {&x, &w, &b, &y});
    same_dtype("conv2d", {&x, &w, &b, &y});
    if (x.cuda) cuda_conv2d_forward(x.device_index, x.dtype, s, x.p, w.p, b.p, y.p);
    else conv2d_forward(x.dtype, s, x.p, w.p, b.p, y.p);
    return info.Env().Undefined();
  });
}

// conv2dBackwardInput(shape[16], gy(2), w(2), gx(2))
Napi::Value Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d_backward_input", [&]() -> Napi::Value {
    ConvShape s = conv_shape(info, 0);
    Ptr gy = arg_ptr(info, 1, "conv2d_backward_input grad", s.N * s.O * s.OH * s.OW);
    Ptr w = arg_ptr(info, 3, "conv2d_backward_input weight", s.O * (s.C / s.groups) * s.KH * s.KW);
    Ptr gx = arg_ptr(info, 5, "conv2d_backward_input out", s.N * s.C * s.H * s.W);
    same_device(info, "conv2d_backward_input", {&gy, &w, &gx});
    same_dtype("conv2d_backward_input", {&gy, &w, &gx});
    if (gy.cuda) cuda_conv2d_backward_input(gy.device_index, gy.dtype, s, gy.p, w.p, gx.p);
    else conv2d_backward_input(gy.dtype, s, gy.p, w.p, gx.p);
    return info.Env().Undefined();
  });
}

// conv2dBackwardWeight(shape[16], x(2), gy(2), gw(2))
Napi::Value Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  return guarded(info, "conv2d_backward_weight", [&]() -> Napi::Value {
    ConvShape s = conv_shape(info, 0);
    Ptr x = arg_ptr(info, 1, "conv2d_backward_weight x", s.N * s.C * s.H * s.W);
    Ptr gy = arg_ptr(info, 3, "conv2d_backward_weight grad", s.N * s.O * s.OH * s.OW);
    Ptr gw = arg_ptr(info, 5, "conv2d_backward_weight out", s.O * (s.C / s.groups) * s.KH * s.KW);
    same_device(info, "conv2d_backward_weight", {&x, &gy, &gw});
    same_dtype("conv2d_backward_weight", {&x, &gy, &gw});
    if (x.cuda) cuda_conv2d_backward_weight(x.device_index, x.dtype, s, x.p, gy.p, gw.p);
    else conv2d_backward_weight(x.dtype, s, x.p, gy.p, gw.p);
    return info.Env().Undefined();
  });
}

// groupNormForward(N, C, HW, G, eps, silu, x(2), gamma(2|null), beta(2|null), y(2), mean(2), rstd(2))
Napi::Value GroupNormForward(const Napi::CallbackInfo& info) {
  return guarded(info, "group_norm", [&]() -> Napi::Value {
    int64_t N = arg_size(info, 0, "N"), C = arg_size(info, 1, "C"), HW = arg_size(info, 2, "HW"), G = arg_size(info, 3, "G");
    LCSS_CHECK(G >= 1 && C % G == 0, "group_norm: %lld groups must divide %lld channels", (long long)G, (long long)C);
    checked_numel({N, C, HW}, "group_norm");
    double eps = arg_finite(info, 4, "eps");
    bool silu = arg_bool(info, 5, "silu");
    Ptr x = arg_ptr(info, 6, "group_norm x", N * C * HW);
    Ptr ga = arg_ptr(info, 8, "group_norm weight", C, true);
    Ptr be = arg_ptr(info, 10, "group_norm bias", C, true);
    Ptr y = arg_ptr(info, 12, "group_norm out", N * C * HW);
    Ptr mu = arg_ptr(info, 14, "group_norm mean", N * G);
    Ptr rs = arg_ptr(info, 16, "group_norm rstd", N * G);
    same_device(info, "group_norm", {&x, &ga, &be, &y, &mu, &rs});
    same_dtype("group_norm", {&x, &ga, &be, &y, &mu, &rs});
    if (x.cuda) cuda_groupnorm_forward(x.device_index, x.dtype, N, C, HW, G, eps, silu, x.p, ga.p, be.p, y.p, mu.p, rs.p);
    else groupnorm_forward(x.dtype, N, C, HW, G, eps, silu, x.p, ga.p, be.p, y.p, mu.p, rs.p);
    return info.Env().Undefined();
  });
}

// groupNormBackward(N, C, HW, G, silu, gy(2), x(2), mean(2), rstd(2), gamma(2|null), beta(2|null), gx(2), ggamma(2|null), gbeta(2|null))
Napi::Value GroupNormBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "group_norm_backward", [&]() -> Napi::Value {
    int64_t N = arg_size(info, 0, "N"), C = arg_size(info, 1, "C"), HW = arg_size(info, 2, "HW"), G = arg_size(info, 3, "G");
    LCSS_CHECK(G >= 1 && C % G == 0, "group_norm_backward: %lld groups must divide %lld channels", (long long)G, (long long)C);
    checked_numel({N, C, HW}, "group_norm_backward");
    bool silu = arg_bool(info, 4, "silu");
    Ptr gy = arg_ptr(info, 5, "group_norm_backward grad", N * C * HW);
    Ptr x = arg_ptr(info, 7, "group_norm_backward x", N * C * HW);
    Ptr mu = arg_ptr(info, 9, "group_norm_backward mean", N * G);
    Ptr rs = arg_ptr(info, 11, "group_norm_backward rstd", N * G);
    Ptr ga = arg_ptr(info, 13, "group_norm_backward weight", C, true);
    Ptr be = arg_ptr(info, 15, "group_norm_backward bias", C, true);
    Ptr gx = arg_ptr(info, 17, "group_norm_backward out", N * C * HW);
    Ptr gga = arg_ptr(info, 19, "group_norm_backward weight grad", C, true);
    Ptr gbe = arg_ptr(info, 21, "group_norm_backward bias grad", C, true);
    same_device(info, "group_norm_backward", {&gy, &x, &mu, &rs, &ga, &be, &gx, &gga, &gbe});
    same_dtype("group_norm_backward", {&gy, &x, &mu, &rs, &ga, &be, &gx, &gga, &gbe});
    if (x.cuda)
      cuda_groupnorm_backward(x.device_index, x.dtype, N, C, HW, G, silu, gy.p, x.p, mu.p, rs.p, ga.p, be.p, gx.p, gga.p, gbe.p);
    else
      groupnorm_backward(x.dtype, N, C, HW, G, silu, gy.p, x.p, mu.p, rs.p, ga.p, be.p, gx.p, gga.p, gbe.p);
    return info.Env().Undefined();
  });
}

// layerNormForward(R, D, eps, x(2), w(2|null), b(2|null), y(2), mean(2), rstd(2))
Napi::Value LayerNormForward(const Napi::CallbackInfo& info) {
  return guarded(info, "layer_norm", [&]() -> Napi::Value {
    int64_t R = arg_size(info, 0, "R"), D = arg_size(info, 1, "D");
    checked_numel({R, D}, "layer_norm");
    double eps = arg_finite(info, 2, "eps");
    Ptr x = arg_ptr(info, 3, "layer_norm x", R * D);
    Ptr w = arg_ptr(info, 5, "layer_norm weight", D, true);
    Ptr b = arg_ptr(info, 7, "layer_norm bias", D, true);
    Ptr y = arg_ptr(info, 9, "layer_norm out", R * D);
    Ptr mu = arg_ptr(info, 11, "layer_norm mean", R);
    Ptr rs = arg_ptr(info, 13, "layer_norm rstd", R);
    same_device(info, "layer_norm", {&x, &w, &b, &y, &mu, &rs});
    same_dtype("layer_norm", {&x, &w, &b, &y, &mu, &rs});
    if (x.cuda) cuda_layernorm_forward(x.device_index, x.dtype, R, D, eps, x.p, w.p, b.p, y.p, mu.p, rs.p);
    else layernorm_forward(x.dtype, R, D, eps, x.p, w.p, b.p, y.p, mu.p, rs.p);
    return info.Env().Undefined();
  });
}

// layerNormBackward(R, D, gy(2), x(2), mean(2), rstd(2), w(2|null), gx(2), gw(2|null), gb(2|null))
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "layer_norm_backward", [&]() -> Napi::Value {
    int64_t R = arg_size(info, 0, "R"), D = arg_size(info, 1, "D");
    checked_numel({R, D}, "layer_norm_backward");
    Ptr gy = arg_ptr(info, 2, "layer_norm_backward grad", R * D);
    Ptr x = arg_ptr(info, 4, "layer_norm_backward x", R * D);
    Ptr mu = arg_ptr(info, 6, "layer_norm_backward mean", R);
    Ptr rs = arg_ptr(info, 8, "layer_norm_backward rstd", R);
    Ptr w = arg_ptr(info, 10, "layer_norm_backward weight", D, true);
    Ptr gx = arg_ptr(info, 12, "layer_norm_backward out", R * D);
    Ptr gw = arg_ptr(info, 14, "layer_norm_backward weight grad", D, true);
    Ptr gb = arg_ptr(info, 16, "layer_norm_backward bias grad", D, true);
    same_device(info, "layer_norm_backward", {&gy, &x, &mu, &rs, &w, &gx, &gw, &gb});
    same_dtype("layer_norm_backward", {&gy, &x, &mu, &rs, &w, &gx, &gw, &gb});
    if (x.cuda) cuda_layernorm_backward(x.device_index, x.dtype, R, D, gy.p, x.p, mu.p, rs.p, w.p, gx.p, gw.p, gb.p);
    else layernorm_backward(x.dtype, R, D, gy.p, x.p, mu.p, rs.p, w.p, gx.p, gw.p, gb.p);
    return info.Env().Undefined();
  });
}

// softmaxForward(outer, D, inner, log, x(2), y(2))
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  return guarded(info, "softmax", [&]() -> Napi::Value {
    int64_t o = arg_size(info, 0, "outer"), D = arg_size(info, 1, "D"), in = arg_size(info, 2, "inner");
    const int64_t n = checked_numel({o, D, in}, "softmax");
    bool lg = arg_bool(info, 3, "log");
    Ptr x = arg_ptr(info, 4, "softmax x", n), y = arg_ptr(info, 6, "softmax out", n);
    same_device(info, "softmax", {&x, &y});
    same_dtype("softmax", {&x, &y});
    if (x.cuda) cuda_softmax_forward(x.device_index, x.dtype, o, D, in, lg, x.p, y.p);
    else softmax_forward(x.dtype, o, D, in, lg, x.p, y.p);
    return info.Env().Undefined();
  });
}

// softmaxBackward(outer, D, inner, log, y(2), gy(2), gx(2))
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "softmax_backward", [&]() -> Napi::Value {
    int64_t o = arg_size(info, 0, "outer"), D = arg_size(info, 1, "D"), in = arg_size(info, 2, "inner");
    const int64_t n = checked_numel({o, D, in}, "softmax_backward");
    bool lg = arg_bool(info, 3, "log");
    Ptr y = arg_ptr(info, 4, "softmax_backward y", n), gy = arg_ptr(info, 6, "softmax_backward grad", n);
    Ptr gx = arg_ptr(info, 8, "softmax_backward out", n);
    same_device(info, "softmax_backward", {&y, &gy, &gx});
    same_dtype("softmax_backward", {&y, &gy, &gx});
    if (y.cuda) cuda_softmax_backward(y.device_index, y.dtype, o, D, in, lg, y.p, gy.p, gx.p);
    else softmax_backward(y.dtype, o, D, in, lg, y.p, gy.p, gx.p);
    return info.Env().Undefined();
  });
}

// The 15 numbers of a pooling: windows are clipped to the input, so only the sizes need to be
// sane and their products to fit.
PoolShape pool_shape(const Napi::CallbackInfo& info, int i) {
  const std::vector<int64_t> v = arg_ints(info, i, "pool2d shape", 15, 0, kMaxElements);
  PoolShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  LCSS_CHECK(s.kh >= 1 && s.kw >= 1 && s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1,
             "pool2d: kernel size, stride and dilation must be positive");
  checked_numel({s.N, s.C, s.H, s.W}, "pool2d input");
  checked_numel({s.N, s.C, s.OH, s.OW}, "pool2d output");
  LCSS_CHECK(s.H * s.W <= INT32_MAX, "pool2d: planes of more than 2^31 elements cannot be indexed with int32");
  return s;
}

// pool2d(kind, shape[15], flag, in(2), out(2), idx(2|null))
//   kind 0: avg forward (in=x, out=y), 1: avg backward (in=gy, out=gx),
//        2: max forward (in=x, out=y, idx written), 3: max backward (in=gy, out=gx, idx read)
Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  return guarded(info, "pool2d", [&]() -> Napi::Value {
    int kind = int(arg_int(info, 0, "pool kind", 0, 3));
    PoolShape s = pool_shape(info, 1);
    bool flag = arg_bool(info, 2, "pool flag");
    int64_t nin = s.N * s.C * s.H * s.W, nout = s.N * s.C * s.OH * s.OW;
    bool bwd = kind == 1 || kind == 3;
    Ptr a = arg_ptr(info, 3, "pool2d input", bwd ? nout : nin);
    Ptr b = arg_ptr(info, 5, "pool2d output", bwd ? nin : nout);
    Ptr idx = arg_ptr(info, 7, "pool2d indices", nout, kind < 2);
    same_device(info, "pool2d", {&a, &b, &idx});
    same_dtype("pool2d", {&a, &b});
    LCSS_CHECK(kind < 2 || idx.dtype == DType::I32, "max_pool2d: indices must be int32");
    if (a.cuda) {
      cuda_pool2d(a.device_index, a.dtype, kind, s, flag, a.p, b.p, idx.as<int32_t>());
    } else {
      switch (kind) {
        case 0: avgpool2d_forward(a.dtype, s, flag, a.p, b.p); break;
        case 1: avgpool2d_backward(a.dtype, s, flag, a.p, b.p); break;
        case 2: maxpool2d_forward(a.dtype, s, a.p, b.p, idx.as<int32_t>()); break;
        case 3: maxpool2d_backward(a.dtype, s, a.p, idx.as<int32_t>(), b.p); break;
        default: LCSS_CHECK(false, "pool2d: unknown kind %d", kind);
      }
    }
    return info.Env().Undefined();
  });
}

// upsampleNearest(backward, NC, H, W, fh, fw, in(2), out(2))
Napi::Value UpsampleNearest(const Napi::CallbackInfo& info) {
  return guarded(info, "upsample_nearest", [&]() -> Napi::Value {
    bool bwd = arg_bool(info, 0, "backward");
    int64_t NC = arg_size(info, 1, "NC"), H = arg_size(info, 2, "H"), W = arg_size(info, 3, "W");
    int64_t fh = arg_size(info, 4, "fh"), fw = arg_size(info, 5, "fw");
    LCSS_CHECK(fh >= 1 && fw >= 1, "upsample_nearest: factors must be positive");
    int64_t small = checked_numel({NC, H, W}, "upsample_nearest"), big = checked_numel({small, fh, fw}, "upsample_nearest");
    Ptr a = arg_ptr(info, 6, "upsample input", bwd ? big : small);
    Ptr b = arg_ptr(info, 8, "upsample output", bwd ? small : big);
    same_device(info, "upsample_nearest", {&a, &b});
    same_dtype("upsample_nearest", {&a, &b});
    if (a.cuda) cuda_upsample_nearest(a.device_index, a.dtype, bwd, NC, H, W, fh, fw, a.p, b.p);
    else if (bwd) upsample_nearest_backward(a.dtype, NC, H, W, fh, fw, a.p, b.p);
    else upsample_nearest_forward(a.dtype, NC, H, W, fh, fw, a.p, b.p);
    return info.Env().Undefined();
  });
}

// indexOp(kind, outer, D, inner, M, a(2), idx(2), b(2))
//   kind 0 index_select: a = x[outer,D,inner], b = y[outer,M,inner], idx[M]
//   kind 1 index_add:    a = y[outer,D,inner] (+=), b = src[outer,M,inner], idx[M]
//   kind 2 gather:       a = x, b = y[outer,M,inner], idx[outer,M,inner]
//   kind 3 scatter_add:  a = y (+=), b = src[outer,M,inner], idx[outer,M,inner]
Napi::Value IndexOp(const Napi::CallbackInfo& info) {
  return guarded(info, "index", [&]() -> Napi::Value {
    int kind = int(arg_int(info, 0, "index kind", 0, 3));
    int64_t outer = arg_size(info, 1, "outer"), D = arg_size(info, 2, "D"), inner = arg_size(info, 3, "inner"),
            M = arg_size(info, 4, "M");
    checked_numel({outer, D, inner}, "index");
    checked_numel({outer, M, inner}, "index");
    Ptr a = arg_ptr(info, 5, "index big operand", outer * D * inner);
    Ptr idx = arg_ptr(info, 7, "index indices", kind < 2 ? M : outer * M * inner);
    Ptr b = arg_ptr(info, 9, "index small operand", outer * M * inner);
    same_device(info, "index", {&a, &idx, &b});
    LCSS_CHECK(idx.dtype == DType::I32, "index: indices must be int32");
    LCSS_CHECK(a.dtype == b.dtype, "index: operands must share a dtype");
    if (a.cuda) {
      cuda_index_op(a.device_index, a.dtype, kind, outer, D, inner, M, a.p, idx.as<int32_t>(), b.p);
    } else {
      switch (kind) {
        case 0: index_select(a.dtype, outer, D, inner, a.p, idx.as<int32_t>(), M, b.p); break;
        case 1: index_add(a.dtype, outer, D, inner, a.p, idx.as<int32_t>(), M, b.p); break;
        case 2: gather(a.dtype, outer, D, inner, a.p, idx.as<int32_t>(), M, b.p); break;
        case 3: scatter_add(a.dtype, outer, D, inner, a.p, idx.as<int32_t>(), M, b.p); break;
        default: LCSS_CHECK(false, "index: unknown kind %d", kind);
      }
    }
    return info.Env().Undefined();
  });
}

SteinArgs stein_args(const Napi::CallbackInfo& info, int i) {
  SteinArgs a;
  a.B = arg_size(info, i, "B");
  a.D = arg_size(info, i + 1, "D");
  a.K = arg_int(info, i + 2, "K", 1, 1 << 20);
  a.estimator = int(arg_int(info, i + 3, "estimator", 0, 2));
  a.norm_perturbed = arg_bool(info, i + 4, "normPerturbed");
  a.gamma = arg_finite(info, i + 5, "gamma");
  a.seed = uint64_t(arg_int(info, i + 6, "seed", 0, kMaxElements - 1));
  a.offset = uint64_t(arg_int(info, i + 7, "offset", 0, kMaxElements - 1));
  // rows = B (1 + 2K), and rows * D elements must fit
  checked_numel({a.B, checked_add(1, checked_mul(2, a.K, "stein"), "stein"), a.D}, "stein");
  return a;
}

// steinOp(kind, B, D, K, estimator, normPerturbed, gamma, seed, offset, sigma(2), p0(2), p1(2), p2(2|null))
//   kind 0 perturb:  p0 = x[B,D],  p1 = y[rows,D]
//   kind 1 forward:  p0 = s[rows,D], p1 = out[B]
//   kind 2 backward: p0 = s[rows,D], p1 = gout[B], p2 = gs[rows,D]
Napi::Value SteinOp(const Napi::CallbackInfo& info) {
  return guarded(info, "stein_loss", [&]() -> Napi::Value {
    int kind = int(arg_int(info, 0, "stein kind", 0, 2));
    SteinArgs a = stein_args(info, 1);
    int64_t rows = stein_rows(a);
    Ptr sigma = arg_ptr(info, 9, "stein sigma", a.B);
    Ptr p0 = arg_ptr(info, 11, "stein input", kind == 0 ? a.B * a.D : rows * a.D);
    Ptr p1 = arg_ptr(info, 13, "stein output", kind == 0 ? rows * a.D : a.B);
    Ptr p2 = arg_ptr(info, 15, "stein grad", rows * a.D, kind != 2);
    same_device(info, "stein_loss", {&sigma, &p0, &p1, &p2});
    same_dtype("stein_loss", {&sigma, &p0, &p1, &p2});
    if (p0.cuda) {
      cuda_stein(p0.device_index, p0.dtype, kind, a, sigma.p, p0.p, p1.p, p2.p);
    } else {
      switch (kind) {
        case 0: stein_perturb(p0.dtype, a, p0.p, sigma.p, p1.p); break;
        case 1: stein_loss_forward(p0.dtype, a, p0.p, sigma.p, p1.p); break;
        case 2: stein_loss_backward(p0.dtype, a, p1.p, p0.p, sigma.p, p2.p); break;
        default: LCSS_CHECK(false, "stein: unknown kind %d", kind);
      }
    }
    return info.Env().Undefined();
  });
}

// adamStep(n, p(2), g(2), m(2), v(2), lr, beta1, beta2, eps, weightDecay, bc1, bc2, adamw)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  return guarded(info, "adam", [&]() -> Napi::Value {
    int64_t n = arg_size(info, 0, "n");
    Ptr p = arg_ptr(info, 1, "adam param", n), g = arg_ptr(info, 3, "adam grad", n);
    Ptr m = arg_ptr(info, 5, "adam m", n), v = arg_ptr(info, 7, "adam v", n);
    same_device(info, "adam", {&p, &g, &m, &v});
    same_dtype("adam", {&p, &g, &m, &v});
    double lr = arg_finite(info, 9, "lr"), b1 = arg_finite(info, 10, "beta1"), b2 = arg_finite(info, 11, "beta2");
    double eps = arg_finite(info, 12, "eps"), wd = arg_finite(info, 13, "weightDecay");
    double bc1 = arg_finite(info, 14, "bc1"), bc2 = arg_finite(info, 15, "bc2");
    LCSS_CHECK(bc1 > 0 && bc2 > 0, "adam: bias corrections %g, %g must be positive (step >= 1, betas in [0, 1))", bc1, bc2);
    bool adamw = arg_bool(info, 16, "adamw");
    if (p.cuda) cuda_adam_step(p.device_index, p.dtype, n, p.p, g.p, m.p, v.p, lr, b1, b2, eps, wd, bc1, bc2, adamw);
    else adam_step(p.dtype, n, p.p, g.p, m.p, v.p, lr, b1, b2, eps, wd, bc1, bc2, adamw);
    return info.Env().Undefined();
  });
}

// (B, Lq, Lk, D, Dv, scale, strides[12]) with strides = batch, row, column strides of q, k, v, go
AttnShape attn_shape(const Napi::CallbackInfo& info) {
  AttnShape s;
  s.B = arg_size(info, 0, "B");
  s.Lq = arg_size(info, 1, "Lq");
  s.Lk = arg_size(info, 2, "Lk");
  s.D = arg_size(info, 3, "D");
  s.Dv = arg_size(info, 4, "Dv");
  s.scale = arg_finite(info, 5, "scale");
  checked_numel({s.B, s.Lq, s.Lk}, "attention");
  checked_numel({s.B, s.Lq, s.D}, "attention");
  checked_numel({s.B, s.Lk, s.D}, "attention");
  checked_numel({s.B, s.Lq, s.Dv}, "attention");
  checked_numel({s.B, s.Lk, s.Dv}, "attention");
  const std::vector<int64_t> st = arg_ints(info, 6, "attention strides", 12, 0, kMaxElements);
  int64_t* dst[4] = {s.qs, s.ks, s.vs, s.gos};
  for (uint32_t i = 0; i < 12; ++i) dst[i / 3][i % 3] = st[i];
  return s;
}

// A strided [n0, n1, n2] operand: the furthest element must lie inside the buffer.
Ptr attn_operand(const Napi::CallbackInfo& info, int i, const char* what, const int64_t* st, int64_t n0, int64_t n1,
                 int64_t n2) {
  const int64_t n[3] = {n0, n1, n2};
  return arg_ptr(info, i, what, strided_extent(n, st, 3, what));
}

// attentionForward(B, Lq, Lk, D, Dv, scale, strides[12], q(2), k(2), v(2), o(2), lse(2))
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  return guarded(info, "attention", [&]() -> Napi::Value {
    AttnShape s = attn_shape(info);
    Ptr q = attn_operand(info, 7, "attention q", s.qs, s.B, s.Lq, s.D);
    Ptr k = attn_operand(info, 9, "attention k", s.ks, s.B, s.Lk, s.D);
    Ptr v = attn_operand(info, 11, "attention v", s.vs, s.B, s.Lk, s.Dv);
    Ptr o = arg_ptr(info, 13, "attention out", s.B * s.Lq * s.Dv);
    Ptr lse = arg_ptr(info, 15, "attention lse", s.B * s.Lq);
    same_device(info, "attention", {&q, &k, &v, &o, &lse});
    LCSS_CHECK(!q.cuda, "attention: the fused kernel is CPU-only (the op uses the composite form on CUDA)");
    LCSS_CHECK(q.dtype == k.dtype && k.dtype == v.dtype && v.dtype == o.dtype && o.dtype == lse.dtype,
               "attention: operands must share a dtype");
    attention_forward(q.dtype, s, q.p, k.p, v.p, o.p, lse.p);
    return info.Env().Undefined();
  });
}

// attentionBackward(B, Lq, Lk, D, Dv, scale, strides[12], q(2), k(2), v(2), lse(2), gout(2), gq(2), gk(2), gv(2))
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  return guarded(info, "attention_backward", [&]() -> Napi::Value {
    AttnShape s = attn_shape(info);
    Ptr q = attn_operand(info, 7, "attention_backward q", s.qs, s.B, s.Lq, s.D);
    Ptr k = attn_operand(info, 9, "attention_backward k", s.ks, s.B, s.Lk, s.D);
    Ptr v = attn_operand(info, 11, "attention_backward v", s.vs, s.B, s.Lk, s.Dv);
    Ptr lse = arg_ptr(info, 13, "attention_backward lse", s.B * s.Lq);
    Ptr go = attn_operand(info, 15, "attention_backward grad", s.gos, s.B, s.Lq, s.Dv);
    Ptr gq = arg_ptr(info, 17, "attention_backward q grad", s.B * s.Lq * s.D);
    Ptr gk = arg_ptr(info, 19, "attention_backward k grad", s.B * s.Lk * s.D);
    Ptr gv = arg_ptr(info, 21, "attention_backward v grad", s.B * s.Lk * s.Dv);
    same_device(info, "attention_backward", {&q, &k, &v, &lse, &go, &gq, &gk, &gv});
    LCSS_CHECK(!q.cuda, "attention_backward: the fused kernel is CPU-only");
    LCSS_CHECK(q.dtype == k.dtype && k.dtype == v.dtype && v.dtype == lse.dtype && lse.dtype == go.dtype &&
                   go.dtype == gq.dtype && gq.dtype == gk.dtype && gk.dtype == gv.dtype,
               "attention_backward: operands must share a dtype");
    attention_backward(q.dtype, s, q.p, k.p, v.p, lse.p, go.p, gq.p, gk.p, gv.p);
    return info.Env().Undefined();
  });
}

// convWinograd(on?: boolean) -> boolean: the current setting (after applying `on` when given)
Napi::Value ConvWinograd(const Napi::CallbackInfo& info) {
  return guarded(info, "convWinograd", [&]() -> Napi::Value {
    if (info.Length() > 0 && !info[0].IsUndefined()) conv_set_winograd(arg_bool(info, 0, "convWinograd"));
    return Napi::Boolean::New(info.Env(), conv_winograd());
  });
}

}  // namespace

void register_nn(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "convWinograd", ConvWinograd);
  define(env, exports, ctx, "attentionForward", AttentionForward);
  define(env, exports, ctx, "attentionBackward", AttentionBackward);
  define(env, exports, ctx, "conv2dForward", Conv2dForward);
  define(env, exports, ctx, "conv2dBackwardInput", Conv2dBackwardInput);
  define(env, exports, ctx, "conv2dBackwardWeight", Conv2dBackwardWeight);
  define(env, exports, ctx, "groupNormForward", GroupNormForward);
  define(env, exports, ctx, "groupNormBackward", GroupNormBackward);
  define(env, exports, ctx, "layerNormForward", LayerNormForward);
  define(env, exports, ctx, "layerNormBackward", LayerNormBackward);
  define(env, exports, ctx, "softmaxForward", SoftmaxForward);
  define(env, exports, ctx, "softmaxBackward", SoftmaxBackward);
  define(env, exports, ctx, "pool2d", Pool2d);
  define(env, exports, ctx, "upsampleNearest", UpsampleNearest);
  define(env, exports, ctx, "indexOp", IndexOp);
  define(env, exports, ctx, "steinOp", SteinOp);
  define(env, exports, ctx, "adamStep", AdamStep);
}

}  // namespace lcss
