// SPDX-License-Identifier: MIT
// Softmax, pooling and nearest upsampling (native/cpu/nn.h contracts, contiguous operands).
// Backward passes that the CPU writes as scatters (avg/max pooling, upsampling) are gathers here:
// one thread per input element visits the outputs whose windows contain it, in the CPU's order,
// so there are no atomics and float32 sums match the CPU's rounding.
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "common.cuh"
#include "ops.cuh"

namespace lcss {
namespace {

constexpr int kThreads = 256;

#define LCSS_GRID_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// ---- softmax over the middle dim of [outer, D, inner] -------------------------------------------

template <typename T>
__device__ __forceinline__ T neg_inf() { return T(-INFINITY); }

// One warp per row when inner == 1 (rows contiguous), else one thread per (outer, inner) line.
template <typename T>
__global__ void __launch_bounds__(kThreads) k_softmax_rows(int64_t R, int64_t D, bool lg, const T* x, T* y) {
  const int lane = int(threadIdx.x) & 31, wpb = int(blockDim.x) >> 5;
  for (int64_t r = int64_t(blockIdx.x) * wpb + (threadIdx.x >> 5); r < R; r += int64_t(gridDim.x) * wpb) {
    const T* xr = x + r * D;
    T* yr = y + r * D;
    T m = neg_inf<T>();
    for (int64_t d = lane; d < D; d += 32) m = xr[d] > m ? xr[d] : m;
    for (int o = 16; o > 0; o >>= 1) {
      const T v = __shfl_xor_sync(0xffffffffu, m, o);
      m = v > m ? v : m;
    }
    if (m == neg_inf<T>()) m = T(0);  // all -inf row: avoid inf - inf
    double s = 0;
    for (int64_t d = lane; d < D; d += 32) s += double(cu::m_exp(xr[d] - m));
    s = cu::warp_sum(s);
    if (lg) {
      const T ls = T(log(s));
      for (int64_t d = lane; d < D; d += 32) yr[d] = xr[d] - m - ls;
    } else {
      const T inv = T(1.0 / s);
      for (int64_t d = lane; d < D; d += 32) yr[d] = cu::m_exp(xr[d] - m) * inv;
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_softmax_lines(int64_t outer, int64_t D, int64_t inner, bool lg,
                                                            const T* x, T* y) {
  LCSS_GRID_LOOP(l, outer * inner) {
    const int64_t o = l / inner, j = l % inner;
    const T* xr = x + o * D * inner + j;
    T* yr = y + o * D * inner + j;
    T m = neg_inf<T>();
    for (int64_t d = 0; d < D; ++d) m = xr[d * inner] > m ? xr[d * inner] : m;
    if (m == neg_inf<T>()) m = T(0);
    double s = 0;
    for (int64_t d = 0; d < D; ++d) s += double(cu::m_exp(xr[d * inner] - m));
    if (lg) {
      const T ls = T(log(s));
      for (int64_t d = 0; d < D; ++d) yr[d * inner] = xr[d * inner] - m - ls;
    } else {
      const T inv = T(1.0 / s);
      for (int64_t d = 0; d < D; ++d) yr[d * inner] = cu::m_exp(xr[d * inner] - m) * inv;
    }
  }
}

// softmax: gx = y * (gy - sum(gy * y)); log_softmax: gx = gy - exp(y) * sum(gy)
template <typename T>
__global__ void __launch_bounds__(kThreads) k_softmax_bwd_rows(int64_t R, int64_t D, bool lg, const T* y, const T* gy,
                                                               T* gx) {
  const int lane = int(threadIdx.x) & 31, wpb = int(blockDim.x) >> 5;
  for (int64_t r = int64_t(blockIdx.x) * wpb + (threadIdx.x >> 5); r < R; r += int64_t(gridDim.x) * wpb) {
    const int64_t b = r * D;
    double s = 0;
    for (int64_t d = lane; d < D; d += 32) s += lg ? double(gy[b + d]) : double(gy[b + d]) * double(y[b + d]);
    const T st = T(cu::warp_sum(s));
    for (int64_t d = lane; d < D; d += 32)
      gx[b + d] = lg ? gy[b + d] - cu::m_exp(y[b + d]) * st : y[b + d] * (gy[b + d] - st);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_softmax_bwd_lines(int64_t outer, int64_t D, int64_t inner, bool lg,
                                                                const T* y, const T* gy, T* gx) {
  LCSS_GRID_LOOP(l, outer * inner) {
    const int64_t o = l / inner, j = l % inner, b = o * D * inner + j;
    double s = 0;
    for (int64_t d = 0; d < D; ++d)
      s += lg ? double(gy[b + d * inner]) : double(gy[b + d * inner]) * double(y[b + d * inner]);
    const T st = T(s);
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = b + d * inner;
      gx[k] = lg ? gy[k] - cu::m_exp(y[k]) * st : y[k] * (gy[k] - st);
    }
  }
}

// ---- pooling ------------------------------------------------------------------------------------

struct PoolK {
  int64_t N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw, dh, dw, divisor;
};

// The window of output (oh, ow) exactly as the CPU computes it: the padded extent for the
// count-include-pad divisor, the clipped extent for the sum.
struct Window {
  int64_t hs, he, ws, we, area;
};
__device__ __forceinline__ Window window(const PoolK& s, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
  const int64_t h1 = cu::dmin(h0 + s.kh, s.H + s.ph), w1 = cu::dmin(w0 + s.kw, s.W + s.pw);
  return Window{cu::dmax<int64_t>(h0, 0), cu::dmin(h1, s.H), cu::dmax<int64_t>(w0, 0), cu::dmin(w1, s.W),
                (h1 - h0) * (w1 - w0)};
}

// outputs whose window can contain input row h: oh in [lo, hi]
__device__ __forceinline__ void covering(int64_t h, int64_t k, int64_t st, int64_t p, int64_t O, int64_t* lo, int64_t* hi) {
  const int64_t t = h + p - k + 1;  // oh*st >= t
  *lo = t <= 0 ? 0 : (t + st - 1) / st;
  const int64_t u = (h + p) / st;  // oh*st <= h + p
  *hi = u < O - 1 ? u : O - 1;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_avg_f(PoolK s, bool cip, const T* x, T* y) {
  LCSS_GRID_LOOP(i, s.N * s.C * s.OH * s.OW) {
    const int64_t ow = i % s.OW, oh = (i / s.OW) % s.OH, p = i / (s.OW * s.OH);
    const Window w = window(s, oh, ow);
    const T* xp = x + p * s.H * s.W;
    T acc = 0;
    for (int64_t h = w.hs; h < w.he; ++h)
      for (int64_t c = w.ws; c < w.we; ++c) acc += xp[h * s.W + c];
    const int64_t cnt = s.divisor > 0 ? s.divisor : cip ? w.area : (w.he - w.hs) * (w.we - w.ws);
    y[i] = cnt > 0 ? acc / T(cnt) : T(0);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_avg_b(PoolK s, bool cip, const T* gy, T* gx) {
  LCSS_GRID_LOOP(i, s.N * s.C * s.H * s.W) {
    const int64_t w = i % s.W, h = (i / s.W) % s.H, p = i / (s.W * s.H);
    int64_t oh0, oh1, ow0, ow1;
    covering(h, s.kh, s.sh, s.ph, s.OH, &oh0, &oh1);
    covering(w, s.kw, s.sw, s.pw, s.OW, &ow0, &ow1);
    const T* gyp = gy + p * s.OH * s.OW;
    T acc = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const Window win = window(s, oh, ow);
        if (h < win.hs || h >= win.he || w < win.ws || w >= win.we) continue;
        const int64_t cnt = s.divisor > 0 ? s.divisor : cip ? win.area : (win.he - win.hs) * (win.we - win.ws);
        if (cnt > 0) acc += gyp[oh * s.OW + ow] / T(cnt);
      }
    gx[i] = acc;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_max_f(PoolK s, const T* x, T* y, int32_t* idx) {
  LCSS_GRID_LOOP(i, s.N * s.C * s.OH * s.OW) {
    const int64_t ow = i % s.OW, oh = (i / s.OW) % s.OH, p = i / (s.OW * s.OH);
    const int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
    const T* xp = x + p * s.H * s.W;
    T m = neg_inf<T>();
    int32_t mi = -1;
    bool nan = false;
    for (int64_t a = 0; a < s.kh && !nan; ++a) {
      const int64_t h = h0 + a * s.dh;  // dilated taps, as the CPU kernel
      if (h < 0 || h >= s.H) continue;
      for (int64_t b = 0; b < s.kw; ++b) {
        const int64_t c = w0 + b * s.dw;
        if (c < 0 || c >= s.W) continue;
        const T v = xp[h * s.W + c];
        if (v > m || v != v || mi < 0) {
          m = v;
          mi = int32_t(h * s.W + c);
          if (v != v) {
            nan = true;
            break;
          }
        }
      }
    }
    y[i] = m;
    idx[i] = mi;
  }
}

// gx[p, q] = sum of gy over the outputs of plane p whose saved index is q (indices outside the
// plane, which a valid forward never writes, match no input: nothing is read out of bounds).
template <typename T>
__global__ void __launch_bounds__(kThreads) k_max_b(PoolK s, const T* gy, const int32_t* idx, T* gx) {
  LCSS_GRID_LOOP(i, s.N * s.C * s.H * s.W) {
    const int64_t w = i % s.W, h = (i / s.W) % s.H, p = i / (s.W * s.H);
    int64_t oh0, oh1, ow0, ow1;
    // the dilated window's whole extent: a superset of the outputs that can have picked (h, w)
    covering(h, (s.kh - 1) * s.dh + 1, s.sh, s.ph, s.OH, &oh0, &oh1);
    covering(w, (s.kw - 1) * s.dw + 1, s.sw, s.pw, s.OW, &ow0, &ow1);
    const int32_t q = int32_t(h * s.W + w);
    const int64_t base = p * s.OH * s.OW;
    T acc = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow)
        if (idx[base + oh * s.OW + ow] == q) acc += gy[base + oh * s.OW + ow];
    gx[i] = acc;
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_up_f(int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const T* x,
                                                   T* y) {
  const int64_t OH = H * fh, OW = W * fw;
  LCSS_GRID_LOOP(i, NC * OH * OW) {
    const int64_t ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);
    y[i] = x[(p * H + oh / fh) * W + ow / fw];
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_up_b(int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const T* gy,
                                                   T* gx) {
  const int64_t OW = W * fw;
  LCSS_GRID_LOOP(i, NC * H * W) {
    const int64_t w = i % W, r = i / W;  // r = p * H + h: its fh output rows start at r * fh
    const T* g0 = gy + r * fh * OW;
    T acc = 0;
    for (int64_t a = 0; a < fh; ++a)
      for (int64_t b = 0; b < fw; ++b) acc += g0[a * OW + w * fw + b];
    gx[i] = acc;
  }
}

template <typename F>
void by_float(DType t, const char* op, F&& f) {
  if (t == DType::F32) return f(float{});
  if (t == DType::F64) return f(double{});
  LCSS_CHECK(false, "%s: dtype %s not supported", op, dtype_name(t));
}

}  // namespace

void cuda_softmax_forward(int dev, DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* x, void* y) {
  by_float(t, "softmax", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = cu::stream(dev);
    if (inner == 1)
      cu::launch("softmax", k_softmax_rows<T>, cu::grid_for(outer * 32, kThreads, dev), kThreads, 0, s, outer, D, lg,
                 static_cast<const T*>(x), static_cast<T*>(y));
    else
      cu::launch("softmax", k_softmax_lines<T>, cu::grid_for(outer * inner, kThreads, dev), kThreads, 0, s, outer, D,
                 inner, lg, static_cast<const T*>(x), static_cast<T*>(y));
  });
}

void cuda_softmax_backward(int dev, DType t, int64_t outer, int64_t D, int64_t inner, bool lg, const void* y,
                           const void* gy, void* gx) {
  by_float(t, "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = cu::stream(dev);
    if (inner == 1)
      cu::launch("softmax_backward", k_softmax_bwd_rows<T>, cu::grid_for(outer * 32, kThreads, dev), kThreads, 0, s,
                 outer, D, lg, static_cast<const T*>(y), static_cast<const T*>(gy), static_cast<T*>(gx));
    else
      cu::launch("softmax_backward", k_softmax_bwd_lines<T>, cu::grid_for(outer * inner, kThreads, dev), kThreads, 0, s,
                 outer, D, inner, lg, static_cast<const T*>(y), static_cast<const T*>(gy), static_cast<T*>(gx));
  });
}

void cuda_pool2d(int dev, DType t, int kind, const PoolShape& ps, bool flag, const void* in, void* out, int32_t* idx) {
  LCSS_CHECK(kind >= 0 && kind <= 3, "pool2d: unknown kind %d", kind);
  const PoolK s{ps.N, ps.C, ps.H, ps.W, ps.OH, ps.OW, ps.kh, ps.kw, ps.sh, ps.sw, ps.ph, ps.pw, ps.dh, ps.dw, ps.divisor};
  LCSS_CHECK(s.kh >= 1 && s.kw >= 1 && s.sh >= 1 && s.sw >= 1 && s.ph >= 0 && s.pw >= 0 && s.dh >= 1 && s.dw >= 1,
             "pool2d: bad window");
  static const char* names[4] = {"avg_pool2d", "avg_pool2d_backward", "max_pool2d", "max_pool2d_backward"};
  by_float(t, names[kind], [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t st = cu::stream(dev);
    const int64_t nout = s.N * s.C * s.OH * s.OW, nin = s.N * s.C * s.H * s.W;
    const T* a = static_cast<const T*>(in);
    T* b = static_cast<T*>(out);
    switch (kind) {
      case 0: return cu::launch(names[0], k_avg_f<T>, cu::grid_for(nout, kThreads, dev), kThreads, 0, st, s, flag, a, b);
      case 1: return cu::launch(names[1], k_avg_b<T>, cu::grid_for(nin, kThreads, dev), kThreads, 0, st, s, flag, a, b);
      case 2: return cu::launch(names[2], k_max_f<T>, cu::grid_for(nout, kThreads, dev), kThreads, 0, st, s, a, b, idx);
      case 3:
        return cu::launch(names[3], k_max_b<T>, cu::grid_for(nin, kThreads, dev), kThreads, 0, st, s, a,
                          static_cast<const int32_t*>(idx), b);
    }
  });
}

void cuda_upsample_nearest(int dev, DType t, bool backward, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw,
                           const void* in, void* out) {
  LCSS_CHECK(fh >= 1 && fw >= 1, "upsample_nearest: factors must be >= 1");
  by_float(t, "upsample_nearest", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = cu::stream(dev);
    if (backward)
      cu::launch("upsample_nearest_backward", k_up_b<T>, cu::grid_for(NC * H * W, kThreads, dev), kThreads, 0, s, NC, H,
                 W, fh, fw, static_cast<const T*>(in), static_cast<T*>(out));
    else
      cu::launch("upsample_nearest", k_up_f<T>, cu::grid_for(NC * H * W * fh * fw, kThreads, dev), kThreads, 0, s, NC,
                 H, W, fh, fw, static_cast<const T*>(in), static_cast<T*>(out));
  });
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, SoftmaxForward, 0) {
  cuda_softmax_forward(a.x.device_index, a.x.dtype, a.outer, a.D, a.inner, a.log, a.x.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, SoftmaxBackward, 0) {
  cuda_softmax_backward(a.y.device_index, a.y.dtype, a.outer, a.D, a.inner, a.log, a.y.p, a.gy.p, a.gx.p);
}
// pooling kinds of cuda_pool2d: 0 avg forward, 1 avg backward, 2 max forward, 3 max backward
LCSS_BACKEND_OP(Cuda, AvgPool2dForward, 0) {
  cuda_pool2d(a.x.device_index, a.x.dtype, 0, pool_shape(a), a.countIncludePad, a.x.p, a.y.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, AvgPool2dBackward, 0) {
  cuda_pool2d(a.gy.device_index, a.gy.dtype, 1, pool_shape(a), a.countIncludePad, a.gy.p, a.gx.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, MaxPool2dForward, 0) {
  cuda_pool2d(a.x.device_index, a.x.dtype, 2, pool_shape(a), false, a.x.p, a.y.p, a.indices.as<int32_t>());
}
LCSS_BACKEND_OP(Cuda, MaxPool2dBackward, 0) {
  cuda_pool2d(a.gy.device_index, a.gy.dtype, 3, pool_shape(a), false, a.gy.p, a.gx.p, a.indices.as<int32_t>());
}
LCSS_BACKEND_OP(Cuda, UpsampleNearestForward, 0) {
  cuda_upsample_nearest(a.x.device_index, a.x.dtype, false, a.NC, a.H, a.W, a.factorH, a.factorW, a.x.p, a.y.p);
}
LCSS_BACKEND_OP(Cuda, UpsampleNearestBackward, 0) {
  cuda_upsample_nearest(a.gy.device_index, a.gy.dtype, true, a.NC, a.H, a.W, a.factorH, a.factorW, a.gy.p, a.gx.p);
}

}  // namespace lcss
