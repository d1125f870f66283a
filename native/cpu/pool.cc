// SPDX-License-Identifier: MIT
// Pooling and nearest upsampling: one parallel task per (n, c) plane, so backward passes that
// scatter into gx never race.
#include "../contract/backend.h"
#include <cmath>
#include <cstring>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "nn.h"

namespace lcss {
namespace {

template <typename T>
void avg_f(const PoolShape& s, bool cip, const T* x, T* y) {
  parallel_for_dynamic(s.N * s.C, 4, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* xp = x + p * s.H * s.W;
      T* yp = y + p * s.OH * s.OW;
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
          int64_t h1 = std::min(h0 + s.kh, s.H + s.ph), w1 = std::min(w0 + s.kw, s.W + s.pw);
          int64_t area = (h1 - h0) * (w1 - w0);
          int64_t hs = std::max<int64_t>(h0, 0), ws = std::max<int64_t>(w0, 0);
          int64_t he = std::min(h1, s.H), we = std::min(w1, s.W);
          T acc = 0;
          for (int64_t h = hs; h < he; ++h)
            for (int64_t w = ws; w < we; ++w) acc += xp[h * s.W + w];
          int64_t cnt = s.divisor > 0 ? s.divisor : cip ? area : (he - hs) * (we - ws);
          yp[oh * s.OW + ow] = cnt > 0 ? acc / T(cnt) : T(0);
        }
    }
  });
}

template <typename T>
void avg_b(const PoolShape& s, bool cip, const T* gy, T* gx) {
  parallel_for_dynamic(s.N * s.C, 4, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* gxp = gx + p * s.H * s.W;
      const T* gyp = gy + p * s.OH * s.OW;
      std::memset(gxp, 0, sizeof(T) * size_t(s.H * s.W));
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
          int64_t h1 = std::min(h0 + s.kh, s.H + s.ph), w1 = std::min(w0 + s.kw, s.W + s.pw);
          int64_t area = (h1 - h0) * (w1 - w0);
          int64_t hs = std::max<int64_t>(h0, 0), ws = std::max<int64_t>(w0, 0);
          int64_t he = std::min(h1, s.H), we = std::min(w1, s.W);
          int64_t cnt = s.divisor > 0 ? s.divisor : cip ? area : (he - hs) * (we - ws);
          if (cnt <= 0) continue;
          T g = gyp[oh * s.OW + ow] / T(cnt);
          for (int64_t h = hs; h < he; ++h)
            for (int64_t w = ws; w < we; ++w) gxp[h * s.W + w] += g;
        }
    }
  });
}

template <typename T>
void max_f(const PoolShape& s, const T* x, T* y, int32_t* idx) {
  parallel_for_dynamic(s.N * s.C, 4, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* xp = x + p * s.H * s.W;
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          const int64_t h0 = oh * s.sh - s.ph, w0 = ow * s.sw - s.pw;
          T m = -INFINITY;
          int32_t mi = -1;
          // window taps h0 + i dh, w0 + j dw; taps in the padding never win
          for (int64_t i = 0; i < s.kh; ++i) {
            const int64_t h = h0 + i * s.dh;
            if (h < 0 || h >= s.H) continue;
            for (int64_t j = 0; j < s.kw; ++j) {
              const int64_t w = w0 + j * s.dw;
              if (w < 0 || w >= s.W) continue;
              T v = xp[h * s.W + w];
              if (v > m || v != v || mi < 0) {
                m = v;
                mi = int32_t(h * s.W + w);
                if (v != v) goto done;
              }
            }
          }
        done:
          y[(p * s.OH + oh) * s.OW + ow] = m;
          idx[(p * s.OH + oh) * s.OW + ow] = mi;
        }
    }
  });
}

template <typename T>
void max_b(const PoolShape& s, const T* gy, const int32_t* idx, T* gx) {
  parallel_for_dynamic(s.N * s.C, 4, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* gxp = gx + p * s.H * s.W;
      std::memset(gxp, 0, sizeof(T) * size_t(s.H * s.W));
      for (int64_t o = 0; o < s.OH * s.OW; ++o) {
        int32_t i = idx[p * s.OH * s.OW + o];
        // a valid forward writes indices inside the plane (or -1 for an all-padding window)
        LCSS_CHECK_KIND(ErrorKind::Index, i < s.H * s.W, "max_pool2d_backward: saved index %d is outside a %lldx%lld plane", i,
                        (long long)s.H, (long long)s.W);
        if (i >= 0) gxp[i] += gy[p * s.OH * s.OW + o];
      }
    }
  });
}

template <typename T>
void up_f(int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const T* x, T* y) {
  const int64_t OW = W * fw;
  parallel_for_dynamic(NC * H, 16, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * W;
      T* y0 = y + r * fh * OW;
      for (int64_t w = 0; w < W; ++w)
        for (int64_t j = 0; j < fw; ++j) y0[w * fw + j] = xr[w];
      for (int64_t i = 1; i < fh; ++i) std::memcpy(y0 + i * OW, y0, sizeof(T) * size_t(OW));
    }
  });
}

template <typename T>
void up_b(int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const T* gy, T* gx) {
  const int64_t OW = W * fw;
  parallel_for_dynamic(NC * H, 16, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      T* gr = gx + r * W;
      const T* g0 = gy + r * fh * OW;
      for (int64_t w = 0; w < W; ++w) {
        T acc = 0;
        for (int64_t i = 0; i < fh; ++i)
          for (int64_t j = 0; j < fw; ++j) acc += g0[i * OW + w * fw + j];
        gr[w] = acc;
      }
    }
  });
}

}  // namespace

#define LCSS_FD(name, f32call, f64call)                                          \
  do {                                                                          \
    if (t == DType::F32) { f32call; return; }                                   \
    if (t == DType::F64) { f64call; return; }                                   \
    LCSS_CHECK(false, "%s: dtype %s not supported", name, dtype_name(t));      \
  } while (0)

void avgpool2d_forward(DType t, const PoolShape& s, bool cip, const void* x, void* y) {
  LCSS_FD("avg_pool2d", (avg_f<float>(s, cip, (const float*)x, (float*)y)), (avg_f<double>(s, cip, (const double*)x, (double*)y)));
}
void avgpool2d_backward(DType t, const PoolShape& s, bool cip, const void* gy, void* gx) {
  LCSS_FD("avg_pool2d_backward", (avg_b<float>(s, cip, (const float*)gy, (float*)gx)), (avg_b<double>(s, cip, (const double*)gy, (double*)gx)));
}
void maxpool2d_forward(DType t, const PoolShape& s, const void* x, void* y, int32_t* idx) {
  LCSS_FD("max_pool2d", (max_f<float>(s, (const float*)x, (float*)y, idx)), (max_f<double>(s, (const double*)x, (double*)y, idx)));
}
void maxpool2d_backward(DType t, const PoolShape& s, const void* gy, const int32_t* idx, void* gx) {
  LCSS_FD("max_pool2d_backward", (max_b<float>(s, (const float*)gy, idx, (float*)gx)), (max_b<double>(s, (const double*)gy, idx, (double*)gx)));
}
void upsample_nearest_forward(DType t, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const void* x, void* y) {
  LCSS_FD("upsample_nearest", (up_f<float>(NC, H, W, fh, fw, (const float*)x, (float*)y)), (up_f<double>(NC, H, W, fh, fw, (const double*)x, (double*)y)));
}
void upsample_nearest_backward(DType t, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const void* gy, void* gx) {
  LCSS_FD("upsample_nearest_backward", (up_b<float>(NC, H, W, fh, fw, (const float*)gy, (float*)gx)), (up_b<double>(NC, H, W, fh, fw, (const double*)gy, (double*)gx)));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
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

}  // namespace lcss
