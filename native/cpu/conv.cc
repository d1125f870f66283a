// SPDX-License-Identifier: MIT
#include "conv.h"

#include "../contract/backend.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../core/allocator.h"
#include "../core/error.h"
#include "../core/threadpool.h"
#include "gemm.h"
#include "kernels.h"

namespace lcss {
namespace {

template <typename T>
struct Scratch {  // pooled scratch memory, returned on scope exit (also on exceptions)
  T* p = nullptr;
  size_t n = 0;
  explicit Scratch(size_t count) : n(count * sizeof(T)) { p = static_cast<T*>(cpu_alloc(n ? n : 1)); }
  ~Scratch() { cpu_free(p, n ? n : 1); }
};

// Winograd F(4x4, 3x3) for float32 3x3 stride-1 undilated convolutions with enough channels for the
// 36 small GEMMs to beat one im2col GEMM (below ~8 channels the transforms dominate).
// LCSS_CONV=direct turns it off (bitwise-reproducible im2col results, or accuracy studies).
std::atomic<int> g_winograd{-1};  // -1: not read from the environment yet

bool winograd_enabled() {
  int v = g_winograd.load(std::memory_order_relaxed);
  if (v < 0) {
    const char* e = std::getenv("LCSS_CONV");
    v = (e && (!std::strcmp(e, "direct") || !std::strcmp(e, "im2col"))) ? 0 : 1;
    g_winograd.store(v, std::memory_order_relaxed);
  }
  return v == 1;
}

bool winograd_ok(DType t, const ConvShape& s) {
  return t == DType::F32 && winograd_enabled() && s.KH == 3 && s.KW == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 &&
         s.dw == 1 && s.C / s.groups >= 8 && s.O / s.groups >= 8 && s.OH >= 1 && s.OW >= 1;
}

bool is_pointwise(const ConvShape& s) {
  return s.KH == 1 && s.KW == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
}

// col[(c*KH + i)*KW + j][oh*OW + ow] for channels [c0, c0+cg) of one image x[C,H,W]
template <typename T>
void im2col(const ConvShape& s, const T* x, int64_t c0, int64_t cg, T* col) {
  const int64_t HW = s.OH * s.OW;
  for (int64_t c = 0; c < cg; ++c) {
    const T* xc = x + (c0 + c) * s.H * s.W;
    for (int64_t i = 0; i < s.KH; ++i)
      for (int64_t j = 0; j < s.KW; ++j) {
        T* row = col + ((c * s.KH + i) * s.KW + j) * HW;
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          int64_t h = oh * s.sh - s.ph + i * s.dh;
          T* r = row + oh * s.OW;
          if (h < 0 || h >= s.H) {
            std::memset(r, 0, sizeof(T) * size_t(s.OW));
            continue;
          }
          const T* xr = xc + h * s.W;
          int64_t wbase = j * s.dw - s.pw;
          if (s.sw == 1) {
            // contiguous run; zero the padded ends
            int64_t lo = std::max<int64_t>(0, -wbase), hi = std::min<int64_t>(s.OW, s.W - wbase);
            for (int64_t ow = 0; ow < std::min(lo, s.OW); ++ow) r[ow] = T(0);
            if (hi > lo) std::memcpy(r + lo, xr + wbase + lo, sizeof(T) * size_t(hi - lo));
            for (int64_t ow = std::max(hi, lo); ow < s.OW; ++ow) r[ow] = T(0);
          } else {
            for (int64_t ow = 0; ow < s.OW; ++ow) {
              int64_t w = ow * s.sw + wbase;
              r[ow] = (w >= 0 && w < s.W) ? xr[w] : T(0);
            }
          }
        }
      }
  }
}

// x[C,H,W] channels [c0, c0+cg) += col2im(col)
template <typename T>
void col2im(const ConvShape& s, const T* col, int64_t c0, int64_t cg, T* x) {
  const int64_t HW = s.OH * s.OW;
  for (int64_t c = 0; c < cg; ++c) {
    T* xc = x + (c0 + c) * s.H * s.W;
    for (int64_t i = 0; i < s.KH; ++i)
      for (int64_t j = 0; j < s.KW; ++j) {
        const T* row = col + ((c * s.KH + i) * s.KW + j) * HW;
        for (int64_t oh = 0; oh < s.OH; ++oh) {
          int64_t h = oh * s.sh - s.ph + i * s.dh;
          if (h < 0 || h >= s.H) continue;
          T* xr = xc + h * s.W;
          const T* r = row + oh * s.OW;
          int64_t wbase = j * s.dw - s.pw;
          if (s.sw == 1) {
            int64_t lo = std::max<int64_t>(0, -wbase), hi = std::min<int64_t>(s.OW, s.W - wbase);
            for (int64_t ow = lo; ow < hi; ++ow) xr[ow + wbase] += r[ow];
          } else {
            for (int64_t ow = 0; ow < s.OW; ++ow) {
              int64_t w = ow * s.sw + wbase;
              if (w >= 0 && w < s.W) xr[w] += r[ow];
            }
          }
        }
      }
  }
}

// Images in parallel when there are enough of them (each GEMM then runs on one thread: nested
// parallel regions run inline); otherwise one image at a time with the GEMM parallel inside.
// f(n, col) gets `bytes` of column scratch (the pool's per-thread region scratch).
template <typename F>
void over_images(int64_t N, size_t bytes, F&& f) {
  if (N >= num_threads() && num_threads() > 1) {
    parallel_for_scratch(N, 1, bytes, [&](int64_t b, int64_t e, void* col) {
      for (int64_t n = b; n < e; ++n) f(n, col);
    });
  } else {
    Scratch<char> col(bytes);
    for (int64_t n = 0; n < N; ++n) f(n, static_cast<void*>(col.p));
  }
}

// y = conv(x, w) + epilogue. The epilogue is written into y first and the GEMM accumulates onto
// it (beta = 1), so bias, channel and residual cost no pass of their own.
template <typename T>
void forward_t(const ConvShape& s, const T* x, const T* w, const ConvEpilogue<T>& ep, T* y) {
  const int64_t cg = s.C / s.groups, og = s.O / s.groups, HW = s.OH * s.OW, Kd = cg * s.KH * s.KW;
  const bool pw = is_pointwise(s);
  const DType dt = sizeof(T) == 4 ? DType::F32 : DType::F64;
  over_images(s.N, pw ? 0 : size_t(Kd * HW) * sizeof(T), [&](int64_t n, void* scr) {
    const T* xn = x + n * s.C * s.H * s.W;
    T* yn = y + n * s.O * HW;
    T* col = static_cast<T*>(scr);
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* B;
      if (pw) {
        B = xn + g * cg * s.H * s.W;
      } else {
        im2col(s, xn, g * cg, cg, col);
        B = col;
      }
      T* yg = yn + g * og * HW;
      const bool pre = ep.bias || ep.channel || ep.residual;
      if (pre) {
        const T* rg = ep.residual ? ep.residual + (yg - y) : nullptr;
        for (int64_t o = 0; o < og; ++o) {
          const T c = (ep.bias ? ep.bias[g * og + o] : T(0)) +
                      (ep.channel ? ep.channel[n * ep.channel_stride + g * og + o] : T(0));
          T* yo = yg + o * HW;
          if (rg)
            for (int64_t k = 0; k < HW; ++k) yo[k] = c + rg[o * HW + k];
          else
            for (int64_t k = 0; k < HW; ++k) yo[k] = c;
        }
      }
      GemmArgs a{1, og, HW, Kd, w + g * og * Kd, 0, Kd, 1, B, 0, HW, 1, yg, 0, HW, 1.0, pre ? 1.0 : 0.0};
      gemm(dt, a);
    }
  });
}

template <typename T>
void backward_input_t(const ConvShape& s, const T* gy, const T* w, T* gx) {
  const int64_t cg = s.C / s.groups, og = s.O / s.groups, HW = s.OH * s.OW, Kd = cg * s.KH * s.KW;
  const bool pw = is_pointwise(s);
  const DType dt = sizeof(T) == 4 ? DType::F32 : DType::F64;
  over_images(s.N, pw ? 0 : size_t(Kd * HW) * sizeof(T), [&](int64_t n, void* scr) {
    const T* gyn = gy + n * s.O * HW;
    T* gxn = gx + n * s.C * s.H * s.W;
    T* col = static_cast<T*>(scr);
    if (!pw) std::memset(gxn, 0, sizeof(T) * size_t(s.C * s.H * s.W));
    for (int64_t g = 0; g < s.groups; ++g) {
      // col[Kd, HW] = w_g^T [Kd, og] * gy_g [og, HW]
      T* dst = pw ? gxn + g * cg * s.H * s.W : col;
      GemmArgs a{1, Kd, HW, og, w + g * og * Kd, 0, 1, Kd, gyn + g * og * HW, 0, HW, 1, dst, 0, HW, 1.0, 0.0};
      gemm(dt, a);
      if (!pw) col2im(s, col, g * cg, cg, gxn);
    }
  });
}

template <typename T>
void backward_weight_t(const ConvShape& s, const T* x, const T* gy, T* gw) {
  const int64_t cg = s.C / s.groups, og = s.O / s.groups, HW = s.OH * s.OW, Kd = cg * s.KH * s.KW;
  const bool pw = is_pointwise(s);
  const DType dt = sizeof(T) == 4 ? DType::F32 : DType::F64;
  const int64_t wsize = s.O * Kd;
  const int nt = (s.N >= num_threads() && num_threads() > 1) ? num_threads() : 1;
  // One partial weight gradient per thread, summed at the end (no atomics, deterministic).
  Scratch<T> partial(size_t(nt > 1 ? nt * wsize : 0));
  const size_t colbytes = pw ? 0 : size_t(Kd * HW) * sizeof(T);
  auto accumulate = [&](int64_t n, T* dst, bool first, T* col) {
    const T* xn = x + n * s.C * s.H * s.W;
    const T* gyn = gy + n * s.O * HW;
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* B;
      if (pw) {
        B = xn + g * cg * s.H * s.W;
      } else {
        im2col(s, xn, g * cg, cg, col);
        B = col;
      }
      // dst_g [og, Kd] (+)= gy_g [og, HW] * col^T [HW, Kd]
      GemmArgs a{1, og, Kd, HW, gyn + g * og * HW, 0, HW, 1, B, 0, 1, HW, dst + g * og * Kd, 0, Kd, 1.0, first ? 0.0 : 1.0};
      gemm(dt, a);
    }
  };
  if (nt == 1) {
    Scratch<T> col(colbytes / sizeof(T));
    for (int64_t n = 0; n < s.N; ++n) accumulate(n, gw, n == 0, col.p);
    if (s.N == 0) std::memset(gw, 0, sizeof(T) * size_t(wsize));
    return;
  }
  parallel_for_scratch(nt, 1, colbytes, [&](int64_t t0, int64_t t1, void* scr) {
    for (int64_t t = t0; t < t1; ++t) {
      T* dst = partial.p + t * wsize;
      int64_t n0 = s.N * t / nt, n1 = s.N * (t + 1) / nt;
      for (int64_t n = n0; n < n1; ++n) accumulate(n, dst, n == n0, static_cast<T*>(scr));
      if (n1 == n0) std::memset(dst, 0, sizeof(T) * size_t(wsize));
    }
  }, 1);
  for (int64_t i = 0; i < wsize; ++i) {
    T acc = 0;
    for (int t = 0; t < nt; ++t) acc += partial.p[t * wsize + i];
    gw[i] = acc;
  }
}

// The input gradient of a 3x3 stride-1 convolution with padding p is the convolution of gy with the
// flipped, transposed filters and padding 2 - p: the Winograd forward kernel does it.
void winograd_backward_input(const ConvShape& s, const float* gy, const float* w, float* gx) {
  const int64_t cg = s.C / s.groups, og = s.O / s.groups;
  Scratch<float> wr(size_t(s.C * og * 9));
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t o = 0; o < og; ++o)
        for (int k = 0; k < 9; ++k) wr.p[((g * cg + c) * og + o) * 9 + k] = w[((g * og + o) * cg + c) * 9 + (8 - k)];
  ConvShape t{s.N, s.O, s.OH, s.OW, s.C, 3, 3, s.H, s.W, 1, 1, 2 - s.ph, 2 - s.pw, 1, 1, s.groups};
  kernels().nn->conv.winograd_forward_f32(t, gy, wr.p, ConvEpilogue<float>{}, gx);
}

void check(const ConvShape& s) {
  LCSS_CHECK(s.groups >= 1 && s.C % s.groups == 0 && s.O % s.groups == 0, "conv2d: channels not divisible by groups");
  LCSS_CHECK(s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1 && s.ph >= 0 && s.pw >= 0, "conv2d: bad stride/dilation/padding");
  LCSS_CHECK(s.OH >= 0 && s.OW >= 0, "conv2d: negative output size");
}

}  // namespace

void conv_set_winograd(bool on) { g_winograd.store(on ? 1 : 0, std::memory_order_relaxed); }
bool conv_winograd() { return winograd_enabled(); }

void conv2d_forward(DType t, const ConvShape& s, const void* x, const void* w, const void* bias, void* y) {
  if (t == DType::F32) return conv2d_forward_epilogue(s, (const float*)x, (const float*)w, ConvEpilogue<float>{(const float*)bias}, (float*)y);
  if (t == DType::F64) return conv2d_forward_epilogue(s, (const double*)x, (const double*)w, ConvEpilogue<double>{(const double*)bias}, (double*)y);
  LCSS_CHECK(false, "conv2d: dtype %s not supported", dtype_name(t));
}

void conv2d_forward_epilogue(const ConvShape& s, const float* x, const float* w, const ConvEpilogue<float>& ep, float* y) {
  check(s);
  if (winograd_ok(DType::F32, s)) return kernels().nn->conv.winograd_forward_f32(s, x, w, ep, y);
  forward_t<float>(s, x, w, ep, y);
}

void conv2d_forward_epilogue(const ConvShape& s, const double* x, const double* w, const ConvEpilogue<double>& ep, double* y) {
  check(s);
  forward_t<double>(s, x, w, ep, y);
}

void conv2d_backward_input(DType t, const ConvShape& s, const void* gy, const void* w, void* gx) {
  check(s);
  if (winograd_ok(t, s) && s.ph <= 2 && s.pw <= 2) return winograd_backward_input(s, (const float*)gy, (const float*)w, (float*)gx);
  if (t == DType::F32) return backward_input_t<float>(s, (const float*)gy, (const float*)w, (float*)gx);
  if (t == DType::F64) return backward_input_t<double>(s, (const double*)gy, (const double*)w, (double*)gx);
  LCSS_CHECK(false, "conv2d_backward_input: dtype %s not supported", dtype_name(t));
}

void conv2d_backward_weight(DType t, const ConvShape& s, const void* x, const void* gy, void* gw) {
  check(s);
  if (winograd_ok(t, s)) return kernels().nn->conv.winograd_backward_weight_f32(s, (const float*)x, (const float*)gy, (float*)gw);
  if (t == DType::F32) return backward_weight_t<float>(s, (const float*)x, (const float*)gy, (float*)gw);
  if (t == DType::F64) return backward_weight_t<double>(s, (const double*)x, (const double*)gy, (double*)gw);
  LCSS_CHECK(false, "conv2d_backward_weight: dtype %s not supported", dtype_name(t));
}

LCSS_BACKEND_OP(Cpu, Conv2dForward, 0) {
  const ConvShape s = conv_shape(a);
  if (a.x.dtype == DType::F32)
    conv2d_forward_epilogue(s, a.x.as<float>(), a.w.as<float>(),
                            ConvEpilogue<float>{a.bias.as<float>(), a.channel.as<float>(), s.O, a.residual.as<float>()},
                            a.y.as<float>());
  else
    conv2d_forward_epilogue(s, a.x.as<double>(), a.w.as<double>(),
                            ConvEpilogue<double>{a.bias.as<double>(), a.channel.as<double>(), s.O, a.residual.as<double>()},
                            a.y.as<double>());
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, Conv2dBackwardInput, 0) {
  conv2d_backward_input(a.gy.dtype, conv_shape(a), a.gy.p, a.w.p, a.gx.p);
}
LCSS_BACKEND_OP(Cpu, Conv2dBackwardWeight, 0) {
  conv2d_backward_weight(a.x.dtype, conv_shape(a), a.x.p, a.gy.p, a.gw.p);
}

}  // namespace lcss
