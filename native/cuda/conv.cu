// SPDX-License-Identifier: MIT
// 2-D convolution as implicit GEMM on the tiled kernel of gemm.cuh (native/cpu/conv.h contract:
// NCHW, weight [O, C/groups, KH, KW], groups, stride, padding, dilation; outputs overwritten).
// Per group g, with cg = C/groups, og = O/groups, Kd = cg*KH*KW:
//   forward          y[o, (n,oh,ow)]  = sum_(c,kh,kw)  w[o, (c,kh,kw)] * x[n, c, oh*sh-ph+kh*dh, ow*sw-pw+kw*dw]
//   input gradient   gx[c, (n,h,w)]   = sum_(o,kh,kw)  w[o, (c,kh,kw)] * gy[n, o, (h+ph-kh*dh)/sh, (w+pw-kw*dw)/sw]
//                                       (terms whose division is not exact or falls outside are 0)
//   weight gradient  gw[o, (c,kh,kw)] = sum_(n,oh,ow)  gy[n, o, oh, ow] * x[n, c, oh*sh-ph+kh*dh, ...]
// The im2col operand is gathered straight into shared memory; each output element is written once
// (no atomics), so results do not depend on scheduling.
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "gemm_run.cuh"

namespace lcss {
namespace {

using cu::FastDiv;

struct Geo {  // the convolution's sizes and divisors, as a kernel parameter
  int32_t N, C, H, W, O, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, cg, og, Kd;
  FastDiv dOHW, dOW, dHW, dW, dKHKW, dKW, dsh, dsw;
};

Geo make_geo(const ConvShape& s) {
  LCSS_CHECK(s.groups >= 1 && s.C % s.groups == 0 && s.O % s.groups == 0, "conv2d: channels not divisible by groups");
  LCSS_CHECK(s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1 && s.ph >= 0 && s.pw >= 0, "conv2d: bad stride/dilation/padding");
  LCSS_CHECK(s.OH >= 0 && s.OW >= 0, "conv2d: negative output size");
  const int64_t lim = int64_t(1) << 31;
  LCSS_CHECK(s.N * s.C * s.H * s.W < lim && s.N * s.O * s.OH * s.OW < lim && s.O * (s.C / s.groups) * s.KH * s.KW < lim &&
                 s.H + s.ph + s.dh * s.KH < lim && s.W + s.pw + s.dw * s.KW < lim,
             "conv2d: tensors of 2^31 elements or more are not supported by the CUDA kernels");
  Geo g{};
  g.N = int32_t(s.N); g.C = int32_t(s.C); g.H = int32_t(s.H); g.W = int32_t(s.W); g.O = int32_t(s.O);
  g.KH = int32_t(s.KH); g.KW = int32_t(s.KW); g.OH = int32_t(s.OH); g.OW = int32_t(s.OW);
  g.sh = int32_t(s.sh); g.sw = int32_t(s.sw); g.ph = int32_t(s.ph); g.pw = int32_t(s.pw);
  g.dh = int32_t(s.dh); g.dw = int32_t(s.dw);
  g.cg = int32_t(s.C / s.groups); g.og = int32_t(s.O / s.groups); g.Kd = g.cg * g.KH * g.KW;
  auto fd = [](int64_t v) { return FastDiv(uint32_t(v > 0 ? v : 1)); };
  g.dOHW = fd(s.OH * s.OW); g.dOW = fd(s.OW); g.dHW = fd(s.H * s.W); g.dW = fd(s.W);
  g.dKHKW = fd(s.KH * s.KW); g.dKW = fd(s.KW); g.dsh = fd(s.sh); g.dsw = fd(s.sw);
  return g;
}

// ---- forward: B = im2col(x) [Kd, N*OH*OW] -------------------------------------------------------
template <typename T>
struct FwdB {
  const T* x;
  Geo g;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t grp, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    const int tid = int(threadIdx.x);
    const int ss = tid % S;  // S divides 256: this thread's column is the same for every element
    const int64_t n = s0 + ss;
    const bool nok = n < int64_t(g.N) * g.OH * g.OW;
    uint32_t img = 0, oh = 0, ow = 0;
    if (nok) {
      img = g.dOHW.div(uint32_t(n));
      const uint32_t p = uint32_t(n) - img * uint32_t(g.OH * g.OW);
      oh = g.dOW.div(p);
      ow = p - oh * uint32_t(g.OW);
    }
    const T* xg = x + (int64_t(img) * g.C + grp * g.cg) * int64_t(g.H) * g.W;
    for (int kk = tid / S; kk < BK; kk += 256 / S) {
      const int64_t k = k0 + kk;
      T v = T(0);
      if (nok && k < kend) {
        const uint32_t c = g.dKHKW.div(uint32_t(k)), r = uint32_t(k) - c * uint32_t(g.KH * g.KW);
        const uint32_t kh = g.dKW.div(r), kw = r - kh * uint32_t(g.KW);
        const int h = int(oh) * g.sh - g.ph + int(kh) * g.dh, w = int(ow) * g.sw - g.pw + int(kw) * g.dw;
        if (h >= 0 && h < g.H && w >= 0 && w < g.W) v = xg[(int64_t(c) * g.H + h) * g.W + w];
      }
      sm[kk * LD + ss] = v;
    }
  }
  template <typename F>
  void each_ptr(F&& f) const { f(x); }
};

// The epilogue is applied where each output element is stored: y = acc + bias[oc] + channel[img, oc]
// + residual (y's layout), so the fused terms cost one read each and no extra pass.
template <typename T>
struct FwdStore {
  T* y;
  const T* bias;
  const T* channel;
  const T* residual;
  Geo g;
  __device__ __forceinline__ void store(int64_t grp, int, int64_t o, int64_t n, T v) const {
    const uint32_t img = g.dOHW.div(uint32_t(n)), p = uint32_t(n) - img * uint32_t(g.OH * g.OW);
    const int64_t oc = grp * g.og + o;
    const int64_t i = (int64_t(img) * g.O + oc) * int64_t(g.OH) * g.OW + p;
    if (bias) v += bias[oc];
    if (channel) v += channel[int64_t(img) * g.O + oc];
    if (residual) v += residual[i];
    y[i] = v;
  }
  template <typename F>
  void each_ptr(F&& f) const { f(y); f(bias); f(channel); f(residual); }
};

// ---- input gradient -----------------------------------------------------------------------------
template <typename T>
struct BiA {  // A[c, (o, kh, kw)] = w[grp*og + o, c, kh, kw]
  const T* w;
  Geo g;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t grp, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    for (int e = int(threadIdx.x); e < S * BK; e += 256) {
      const int kk = e % BK, ss = e / BK;
      const int64_t c = s0 + ss, k = k0 + kk;
      T v = T(0);
      if (c < g.cg && k < kend) {
        const uint32_t o = g.dKHKW.div(uint32_t(k)), r = uint32_t(k) - o * uint32_t(g.KH * g.KW);
        v = w[(grp * g.og + o) * int64_t(g.Kd) + c * int64_t(g.KH * g.KW) + r];
      }
      sm[kk * LD + ss] = v;
    }
  }
  template <typename F>
  void each_ptr(F&& f) const { f(w); }
};

template <typename T>
struct BiB {  // B[(o, kh, kw), (n, h, w)] = gy[n, grp*og + o, oh, ow] where the tap lands exactly
  const T* gy;
  Geo g;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t grp, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    const int tid = int(threadIdx.x);
    const int ss = tid % S;
    const int64_t n = s0 + ss;
    const bool nok = n < int64_t(g.N) * g.H * g.W;
    uint32_t img = 0, h = 0, w = 0;
    if (nok) {
      img = g.dHW.div(uint32_t(n));
      const uint32_t p = uint32_t(n) - img * uint32_t(g.H * g.W);
      h = g.dW.div(p);
      w = p - h * uint32_t(g.W);
    }
    const T* gyg = gy + (int64_t(img) * g.O + grp * g.og) * int64_t(g.OH) * g.OW;
    for (int kk = tid / S; kk < BK; kk += 256 / S) {
      const int64_t k = k0 + kk;
      T v = T(0);
      if (nok && k < kend) {
        const uint32_t o = g.dKHKW.div(uint32_t(k)), r = uint32_t(k) - o * uint32_t(g.KH * g.KW);
        const uint32_t kh = g.dKW.div(r), kw = r - kh * uint32_t(g.KW);
        const int th = int(h) + g.ph - int(kh) * g.dh, tw = int(w) + g.pw - int(kw) * g.dw;
        if (th >= 0 && tw >= 0) {
          const uint32_t oh = g.dsh.div(uint32_t(th)), ow = g.dsw.div(uint32_t(tw));
          if (oh * uint32_t(g.sh) == uint32_t(th) && ow * uint32_t(g.sw) == uint32_t(tw) && oh < uint32_t(g.OH) &&
              ow < uint32_t(g.OW))
            v = gyg[(int64_t(o) * g.OH + oh) * g.OW + ow];
        }
      }
      sm[kk * LD + ss] = v;
    }
  }
  template <typename F>
  void each_ptr(F&& f) const { f(gy); }
};

template <typename T>
struct BiStore {
  T* gx;
  Geo g;
  __device__ __forceinline__ void store(int64_t grp, int, int64_t c, int64_t n, T v) const {
    const uint32_t img = g.dHW.div(uint32_t(n)), p = uint32_t(n) - img * uint32_t(g.H * g.W);
    gx[(int64_t(img) * g.C + grp * g.cg + c) * int64_t(g.H) * g.W + p] = v;
  }
  template <typename F>
  void each_ptr(F&& f) const { f(gx); }
};

// ---- weight gradient ----------------------------------------------------------------------------
template <typename T>
struct BwA {  // A[o, (n, oh, ow)] = gy[n, grp*og + o, oh, ow]
  const T* gy;
  Geo g;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t grp, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    for (int e = int(threadIdx.x); e < S * BK; e += 256) {
      const int kk = e % BK, ss = e / BK;
      const int64_t o = s0 + ss, k = k0 + kk;
      T v = T(0);
      if (o < g.og && k < kend) {
        const uint32_t img = g.dOHW.div(uint32_t(k)), p = uint32_t(k) - img * uint32_t(g.OH * g.OW);
        v = gy[(int64_t(img) * g.O + grp * g.og + o) * int64_t(g.OH) * g.OW + p];
      }
      sm[kk * LD + ss] = v;
    }
  }
  template <typename F>
  void each_ptr(F&& f) const { f(gy); }
};

template <typename T>
struct BwB {  // B[(n, oh, ow), (c, kh, kw)] = x[n, grp*cg + c, oh*sh-ph+kh*dh, ow*sw-pw+kw*dw]
  const T* x;
  Geo g;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t grp, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    for (int e = int(threadIdx.x); e < S * BK; e += 256) {
      const int kk = e % BK, ss = e / BK;
      const int64_t n = s0 + ss, k = k0 + kk;
      T v = T(0);
      if (n < g.Kd && k < kend) {
        const uint32_t c = g.dKHKW.div(uint32_t(n)), r = uint32_t(n) - c * uint32_t(g.KH * g.KW);
        const uint32_t kh = g.dKW.div(r), kw = r - kh * uint32_t(g.KW);
        const uint32_t img = g.dOHW.div(uint32_t(k)), p = uint32_t(k) - img * uint32_t(g.OH * g.OW);
        const uint32_t oh = g.dOW.div(p), ow = p - oh * uint32_t(g.OW);
        const int h = int(oh) * g.sh - g.ph + int(kh) * g.dh, w = int(ow) * g.sw - g.pw + int(kw) * g.dw;
        if (h >= 0 && h < g.H && w >= 0 && w < g.W)
          v = x[((int64_t(img) * g.C + grp * g.cg + c) * g.H + h) * g.W + w];
      }
      sm[kk * LD + ss] = v;
    }
  }
  template <typename F>
  void each_ptr(F&& f) const { f(x); }
};

template <typename T>
struct BwStore {
  T* gw;
  Geo g;
  __device__ __forceinline__ void store(int64_t grp, int, int64_t o, int64_t n, T v) const {
    gw[(grp * g.og + o) * int64_t(g.Kd) + n] = v;
  }
  template <typename F>
  void each_ptr(F&& f) const { f(gw); }
};

template <typename T>
void forward_t(int dev, const ConvShape& s, const void* x, const void* w, const void* b, const void* channel,
               const void* residual, void* y) {
  const Geo g = make_geo(s);
  cu::DenseA<T> a{{static_cast<const T*>(w), int64_t(g.og) * g.Kd, g.Kd, 1, g.og, g.Kd}};
  FwdB<T> bb{static_cast<const T*>(x), g};
  FwdStore<T> st{static_cast<T*>(y), static_cast<const T*>(b), static_cast<const T*>(channel),
                 static_cast<const T*>(residual), g};
  cu::run_gemm<T>("conv2d", dev, g.og, int64_t(g.N) * g.OH * g.OW, g.Kd, s.groups, a, bb, st);
}

template <typename T>
void backward_input_t(int dev, const ConvShape& s, const void* gy, const void* w, void* gx) {
  const Geo g = make_geo(s);
  BiA<T> a{static_cast<const T*>(w), g};
  BiB<T> b{static_cast<const T*>(gy), g};
  BiStore<T> st{static_cast<T*>(gx), g};
  cu::run_gemm<T>("conv2d_backward_input", dev, g.cg, int64_t(g.N) * g.H * g.W, int64_t(g.og) * g.KH * g.KW,
                  s.groups, a, b, st);
}

template <typename T>
void backward_weight_t(int dev, const ConvShape& s, const void* x, const void* gy, void* gw) {
  const Geo g = make_geo(s);
  BwA<T> a{static_cast<const T*>(gy), g};
  BwB<T> b{static_cast<const T*>(x), g};
  BwStore<T> st{static_cast<T*>(gw), g};
  cu::run_gemm<T>("conv2d_backward_weight", dev, g.og, g.Kd, int64_t(g.N) * g.OH * g.OW, s.groups, a, b, st);
}

}  // namespace

void cuda_conv2d_forward(int dev, DType t, const ConvShape& s, const void* x, const void* w, const void* b,
                         const void* channel, const void* residual, void* y) {
  if (t == DType::F32) return forward_t<float>(dev, s, x, w, b, channel, residual, y);
  if (t == DType::F64) return forward_t<double>(dev, s, x, w, b, channel, residual, y);
  LCSS_CHECK(false, "conv2d: dtype %s not supported", dtype_name(t));
}

void cuda_conv2d_backward_input(int dev, DType t, const ConvShape& s, const void* gy, const void* w, void* gx) {
  if (t == DType::F32) return backward_input_t<float>(dev, s, gy, w, gx);
  if (t == DType::F64) return backward_input_t<double>(dev, s, gy, w, gx);
  LCSS_CHECK(false, "conv2d_backward_input: dtype %s not supported", dtype_name(t));
}

void cuda_conv2d_backward_weight(int dev, DType t, const ConvShape& s, const void* x, const void* gy, void* gw) {
  if (t == DType::F32) return backward_weight_t<float>(dev, s, x, gy, gw);
  if (t == DType::F64) return backward_weight_t<double>(dev, s, x, gy, gw);
  LCSS_CHECK(false, "conv2d_backward_weight: dtype %s not supported", dtype_name(t));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, Conv2dForward, 0) {
  cuda_conv2d_forward(a.x.device_index, a.x.dtype, conv_shape(a), a.x.p, a.w.p, a.bias.p, a.channel.p, a.residual.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, Conv2dBackwardInput, 0) {
  cuda_conv2d_backward_input(a.gy.device_index, a.gy.dtype, conv_shape(a), a.gy.p, a.w.p, a.gx.p);
}
LCSS_BACKEND_OP(Cuda, Conv2dBackwardWeight, 0) {
  cuda_conv2d_backward_weight(a.x.device_index, a.x.dtype, conv_shape(a), a.x.p, a.gy.p, a.gw.p);
}

}  // namespace lcss
