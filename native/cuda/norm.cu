// SPDX-License-Identifier: MIT
// Fused GroupNorm (+ optional SiLU) and LayerNorm, forward and backward, native/cpu/norm.h's
// contract: statistics two-pass in double, saved per group/row as mean and 1/std in the tensor's
// dtype; the same per-element formulas as the CPU kernels (affine folded into a, b; the SiLU
// gradient recomputed from the saved statistics).
//  GroupNorm: one block per (n, group); the backward's per-channel sums go to a double scratch
//  [N, C] that a second kernel reduces over n for the affine gradients (no atomics).
//  LayerNorm: one warp per row; the affine gradients reduce columns with 32 x 8 thread blocks,
//  recomputing xhat (no scratch the size of the input).
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "common.cuh"
#include "ops.cuh"

namespace lcss {
namespace {

constexpr int kThreads = 256;

template <typename T>
__device__ __forceinline__ T silu_grad(T z) {
  T s = cu::m_sigmoid(z);
  return s * (T(1) + z * (T(1) - s));
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_gn_forward(int64_t G, int64_t cg, int64_t HW, double eps, bool silu,
                                                         const T* x, const T* gamma, const T* beta, T* y, T* mean,
                                                         T* rstd) {
  __shared__ double red[32];
  const int64_t ng = blockIdx.x, M = cg * HW, c0 = (ng % G) * cg;
  const T* xs = x + ng * M;
  T* ys = y + ng * M;
  double s = 0;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) s += double(xs[i]);
  s = cu::block_sum(s, red);
  const double mu = M ? s / double(M) : 0.0;
  double v = 0;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const double d = double(xs[i]) - mu;
    v += d * d;
  }
  v = cu::block_sum(v, red);
  const double rs = 1.0 / sqrt((M ? v / double(M) : 0.0) + eps);
  if (threadIdx.x == 0) {
    mean[ng] = T(mu);
    rstd[ng] = T(rs);
  }
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const int64_t c = c0 + i / HW;
    const T a = T(rs) * (gamma ? gamma[c] : T(1));
    const T b = (beta ? beta[c] : T(0)) - T(mu) * a;
    const T z = xs[i] * a + b;
    ys[i] = silu ? z * cu::m_sigmoid(z) : z;
  }
}

// Per (n, group): the per-channel sums sa = sum gz*xhat, sb = sum gz (gz = gy, or gy * silu'(.)),
// one warp per channel, into scratch [N*C]; then gx for the whole group.
template <typename T>
__global__ void __launch_bounds__(kThreads) k_gn_backward(int64_t C, int64_t G, int64_t cg, int64_t HW, bool silu,
                                                          const T* gy, const T* x, const T* mean, const T* rstd,
                                                          const T* gamma, const T* beta, T* gx, double* sa,
                                                          double* sb) {
  __shared__ double red[32];
  const int64_t ng = blockIdx.x, n = ng / G, c0 = (ng % G) * cg, M = cg * HW;
  const T mu = mean[ng], rs = rstd[ng];
  const T* xs = x + ng * M;
  const T* gys = gy + ng * M;
  const int lane = int(threadIdx.x) & 31, warp = int(threadIdx.x) >> 5, nw = int(blockDim.x) >> 5;
  for (int64_t c = warp; c < cg; c += nw) {
    const T ga = gamma ? gamma[c0 + c] : T(1), be = beta ? beta[c0 + c] : T(0);
    double a = 0, b = 0;
    for (int64_t i = lane; i < HW; i += 32) {
      const T xh = (xs[c * HW + i] - mu) * rs;
      const T g = silu ? gys[c * HW + i] * silu_grad(xh * ga + be) : gys[c * HW + i];
      a += double(g) * double(xh);
      b += double(g);
    }
    a = cu::warp_sum(a);
    b = cu::warp_sum(b);
    if (lane == 0) {
      sa[n * C + c0 + c] = a;
      sb[n * C + c0 + c] = b;
    }
  }
  __syncthreads();  // the block's own scratch writes are visible to it after the barrier
  double gg = 0, ggx = 0;
  for (int64_t c = threadIdx.x; c < cg; c += blockDim.x) {
    const double ga = gamma ? double(gamma[c0 + c]) : 1.0;
    ggx += sa[n * C + c0 + c] * ga;
    gg += sb[n * C + c0 + c] * ga;
  }
  gg = cu::block_sum(gg, red);
  ggx = cu::block_sum(ggx, red);
  const T k1 = T(gg / double(M)), k2 = T(ggx / double(M));
  T* gxs = gx + ng * M;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    const int64_t c = c0 + i / HW;
    const T ga = gamma ? gamma[c] : T(1);
    const T xh = (xs[i] - mu) * rs;
    const T g = silu ? gys[i] * silu_grad(xh * ga + (beta ? beta[c] : T(0))) : gys[i];
    gxs[i] = rs * (g * ga - k1 - xh * k2);
  }
}

// out[c] = sum_r p[r * C + c] (double sums, stored as T), for the affine gradients. 32 x 8 threads.
template <typename T>
__global__ void __launch_bounds__(kThreads) k_colsum(int64_t R, int64_t C, const double* pa, const double* pb, T* oa,
                                                     T* ob) {
  __shared__ double sa[8][32], sb[8][32];
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int64_t c = int64_t(blockIdx.x) * 32 + tx;
  double a = 0, b = 0;
  if (c < C)
    for (int64_t r = ty; r < R; r += 8) {
      a += pa[r * C + c];
      b += pb[r * C + c];
    }
  sa[ty][tx] = a;
  sb[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && c < C) {
    for (int k = 1; k < 8; ++k) {
      a += sa[k][tx];
      b += sb[k][tx];
    }
    if (oa) oa[c] = T(a);
    if (ob) ob[c] = T(b);
  }
}

// gw[c] = sum_r gy * xhat, gb[c] = sum_r gy (double sums, xhat recomputed from the saved
// statistics): 32 x 8 threads, threadIdx.x the column, threadIdx.y a slice of the rows.
template <typename T>
__global__ void __launch_bounds__(kThreads) k_ln_affine(int64_t R, int64_t D, const T* gy, const T* x, const T* mean,
                                                        const T* rstd, T* gw, T* gb) {
  __shared__ double sa[8][32], sb[8][32];
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int64_t c = int64_t(blockIdx.x) * 32 + tx;
  double a = 0, b = 0;
  if (c < D)
    for (int64_t r = ty; r < R; r += 8) {
      const T xh = (x[r * D + c] - mean[r]) * rstd[r];
      a += double(gy[r * D + c]) * double(xh);
      b += double(gy[r * D + c]);
    }
  sa[ty][tx] = a;
  sb[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && c < D) {
    for (int k = 1; k < 8; ++k) {
      a += sa[k][tx];
      b += sb[k][tx];
    }
    if (gw) gw[c] = T(a);
    if (gb) gb[c] = T(b);
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_ln_forward(int64_t R, int64_t D, double eps, const T* x, const T* w,
                                                         const T* b, T* y, T* mean, T* rstd) {
  const int lane = int(threadIdx.x) & 31, wpb = int(blockDim.x) >> 5;
  for (int64_t r = int64_t(blockIdx.x) * wpb + (threadIdx.x >> 5); r < R; r += int64_t(gridDim.x) * wpb) {
    const T* xr = x + r * D;
    double s = 0;
    for (int64_t i = lane; i < D; i += 32) s += double(xr[i]);
    s = cu::warp_sum(s);
    const double mu = D ? s / double(D) : 0.0;
    double v = 0;
    for (int64_t i = lane; i < D; i += 32) {
      const double d = double(xr[i]) - mu;
      v += d * d;
    }
    v = cu::warp_sum(v);
    const double rs = 1.0 / sqrt((D ? v / double(D) : 0.0) + eps);
    if (lane == 0) {
      mean[r] = T(mu);
      rstd[r] = T(rs);
    }
    for (int64_t i = lane; i < D; i += 32) {
      const T xh = (xr[i] - T(mu)) * T(rs);
      y[r * D + i] = xh * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
    }
  }
}

// gx per row (one warp per row).
template <typename T>
__global__ void __launch_bounds__(kThreads) k_ln_backward(int64_t R, int64_t D, const T* gy, const T* x, const T* mean,
                                                          const T* rstd, const T* w, T* gx) {
  const int lane = int(threadIdx.x) & 31, wpb = int(blockDim.x) >> 5;
  for (int64_t r = int64_t(blockIdx.x) * wpb + (threadIdx.x >> 5); r < R; r += int64_t(gridDim.x) * wpb) {
    const T mu = mean[r], rs = rstd[r];
    const T* xr = x + r * D;
    const T* gr = gy + r * D;
    double s1 = 0, s2 = 0;
    for (int64_t i = lane; i < D; i += 32) {
      const T xh = (xr[i] - mu) * rs;
      const T g = gr[i] * (w ? w[i] : T(1));
      s1 += double(g);
      s2 += double(g) * double(xh);
    }
    s1 = cu::warp_sum(s1);
    s2 = cu::warp_sum(s2);
    const T k1 = T(s1 / double(D)), k2 = T(s2 / double(D));
    for (int64_t i = lane; i < D; i += 32) {
      const T xh = (xr[i] - mu) * rs;
      const T g = gr[i] * (w ? w[i] : T(1));
      gx[r * D + i] = rs * (g - k1 - xh * k2);
    }
  }
}

template <typename F>
void by_float(DType t, const char* op, F&& f) {
  if (t == DType::F32) return f(float{});
  if (t == DType::F64) return f(double{});
  LCSS_CHECK(false, "%s: dtype %s not supported", op, dtype_name(t));
}

}  // namespace

void cuda_groupnorm_forward(int dev, DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu,
                            const void* x, const void* gamma, const void* beta, void* y, void* mean, void* rstd) {
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm: %lld channels not divisible by %lld groups", (long long)C, (long long)G);
  LCSS_CHECK(N >= 0 && HW >= 0, "group_norm: negative size");
  by_float(t, "group_norm", [&](auto tag) {
    using T = decltype(tag);
    const int64_t groups = N * G;
    LCSS_CHECK(groups < (int64_t(1) << 31), "group_norm: too many groups");
    cu::launch("group_norm", k_gn_forward<T>, unsigned(groups), kThreads, 0, cu::stream(dev), G, C / G, HW, eps, silu,
               static_cast<const T*>(x), static_cast<const T*>(gamma), static_cast<const T*>(beta), static_cast<T*>(y),
               static_cast<T*>(mean), static_cast<T*>(rstd));
  });
}

void cuda_groupnorm_backward(int dev, DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy,
                             const void* x, const void* mean, const void* rstd, const void* gamma, const void* beta,
                             void* gx, void* ggamma, void* gbeta) {
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm_backward: channels not divisible by groups");
  LCSS_CHECK(N >= 0 && HW >= 0, "group_norm_backward: negative size");
  by_float(t, "group_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = cu::stream(dev);
    cu::Scratch sa(dev, size_t(N * C) * sizeof(double)), sb(dev, size_t(N * C) * sizeof(double));
    cu::launch("group_norm_backward", k_gn_backward<T>, unsigned(N * G), kThreads, 0, s, C, G, C / G, HW, silu,
               static_cast<const T*>(gy), static_cast<const T*>(x), static_cast<const T*>(mean),
               static_cast<const T*>(rstd), static_cast<const T*>(gamma), static_cast<const T*>(beta),
               static_cast<T*>(gx), sa.as<double>(), sb.as<double>());
    if (ggamma || gbeta)
      cu::launch("group_norm_backward", k_colsum<T>, unsigned(cu::ceil_div(C, 32)), dim3(32, 8), 0, s, N, C,
                 sa.as<double>(), sb.as<double>(), static_cast<T*>(ggamma), static_cast<T*>(gbeta));
  });
}

void cuda_layernorm_forward(int dev, DType t, int64_t R, int64_t D, double eps, const void* x, const void* w,
                            const void* b, void* y, void* mean, void* rstd) {
  LCSS_CHECK(R >= 0 && D >= 0, "layer_norm: negative size");
  by_float(t, "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    cu::launch("layer_norm", k_ln_forward<T>, cu::grid_for(R * 32, kThreads, dev), kThreads, 0, cu::stream(dev), R, D,
               eps, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(b), static_cast<T*>(y),
               static_cast<T*>(mean), static_cast<T*>(rstd));
  });
}

void cuda_layernorm_backward(int dev, DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mean,
                             const void* rstd, const void* w, void* gx, void* gw, void* gb) {
  LCSS_CHECK(R >= 0 && D >= 0, "layer_norm_backward: negative size");
  by_float(t, "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    cudaStream_t s = cu::stream(dev);
    cu::launch("layer_norm_backward", k_ln_backward<T>, cu::grid_for(R * 32, kThreads, dev), kThreads, 0, s, R, D,
               static_cast<const T*>(gy), static_cast<const T*>(x), static_cast<const T*>(mean),
               static_cast<const T*>(rstd), static_cast<const T*>(w), static_cast<T*>(gx));
    if (gw || gb)
      cu::launch("layer_norm_backward", k_ln_affine<T>, unsigned(cu::ceil_div(D, 32)), dim3(32, 8), 0, s, R, D,
                 static_cast<const T*>(gy), static_cast<const T*>(x), static_cast<const T*>(mean),
                 static_cast<const T*>(rstd), static_cast<T*>(gw), static_cast<T*>(gb));
  });
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, GroupNormForward, 0) {
  cuda_groupnorm_forward(a.x.device_index, a.x.dtype, a.N, a.C, a.HW, a.G, a.eps, a.silu, a.x.p, a.gamma.p, a.beta.p, a.y.p,
                         a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cuda, GroupNormBackward, 0) {
  cuda_groupnorm_backward(a.x.device_index, a.x.dtype, a.N, a.C, a.HW, a.G, a.silu, a.gy.p, a.x.p, a.mean.p, a.rstd.p,
                          a.gamma.p, a.beta.p, a.gx.p, a.ggamma.p, a.gbeta.p);
}
LCSS_BACKEND_OP(Cuda, LayerNormForward, 0) {
  cuda_layernorm_forward(a.x.device_index, a.x.dtype, a.R, a.D, a.eps, a.x.p, a.w.p, a.b.p, a.y.p, a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cuda, LayerNormBackward, 0) {
  cuda_layernorm_backward(a.x.device_index, a.x.dtype, a.R, a.D, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.w.p, a.gx.p, a.gw.p,
                          a.gb.p);
}

}  // namespace lcss
