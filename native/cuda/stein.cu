// SPDX-License-Identifier: MIT
// The fused LCSS (Stein) kernels, native/cpu/stein.h's contract and formulas: the noise e_k[b, :]
// is element (k*B + b)*D .. +D of the normal draw (seed, offset), regenerated here (never stored).
// perturb and backward are one thread per output element (each regenerates the normals it needs);
// forward is one warp per sample, accumulating the norm and Stein terms in double.
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "random.cuh"

namespace lcss {
namespace {

constexpr int kThreads = 256;

struct SteinK {  // SteinArgs with the derived sizes, as a kernel parameter
  int64_t B, D, K, BD;
  int64_t TD, OD;  // rows_total * D and row_offset * D: where this batch's noise lies in the block
  int estimator;
  bool norm_perturbed;
  double gamma;
  uint64_t seed, offset;
};

template <typename T>
__device__ __forceinline__ T noise(const SteinK& a, int64_t k, int64_t m) {
  return cu::normal_at<T>(a.seed, a.offset, uint64_t(k * a.TD + a.OD + m));
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_perturb(SteinK a, int64_t total, const T* x, const T* sigma, T* y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / a.BD, m = i - r * a.BD, b = m / a.D;
    if (r == 0) {
      y[i] = x[m];
    } else if (r <= a.K) {
      y[i] = x[m] + sigma[b] * noise<T>(a, r - 1, m);
    } else {  // antithetic rows x - sigma e_k
      y[i] = x[m] - sigma[b] * noise<T>(a, r - 1 - a.K, m);
    }
  }
}

// One warp per sample b.
template <typename T>
__global__ void __launch_bounds__(kThreads) k_forward(SteinK a, const T* s, const T* sigma, T* out) {
  const int lane = int(threadIdx.x) & 31, wpb = int(blockDim.x) >> 5;
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  for (int64_t b = int64_t(blockIdx.x) * wpb + (threadIdx.x >> 5); b < a.B; b += int64_t(gridDim.x) * wpb) {
    const T* s0 = s + b * a.D;
    double norm = 0, stein = 0;
    for (int64_t d = lane; d < a.D; d += 32) {
      const double c = double(s0[d]);
      if (!a.norm_perturbed) norm += c * c;
      for (int64_t k = 0; k < a.K; ++k) {
        const double e = double(noise<T>(a, k, b * a.D + d));
        const double sp = double(s[((1 + k) * a.B + b) * a.D + d]);
        if (anti) stein += 0.5 * e * (sp - double(s[((1 + a.K + k) * a.B + b) * a.D + d]));
        else if (ctrl) stein += e * (sp - c);
        else stein += e * sp;
        if (a.norm_perturbed) norm += sp * sp / double(a.K);
      }
    }
    norm = cu::warp_sum(norm);
    stein = cu::warp_sum(stein);
    if (lane == 0) out[b] = T(0.5 * norm + a.gamma / double(sigma[b]) * stein / double(a.K));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_backward(SteinK a, int64_t total, const T* gout, const T* s,
                                                       const T* sigma, T* gs) {
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / a.BD, m = i - r * a.BD, b = m / a.D;
    const T g = gout[b];
    const T c = T(double(g) * a.gamma / (double(sigma[b]) * double(a.K)));  // weight of e_k
    if (r == 0) {
      T v = a.norm_perturbed ? T(0) : g * s[m];
      if (ctrl)
        for (int64_t k = 0; k < a.K; ++k) v -= c * noise<T>(a, k, m);
      gs[i] = v;
    } else if (r <= a.K) {
      const T e = noise<T>(a, r - 1, m);
      const T w = anti ? T(0.5) * c : c;
      gs[i] = a.norm_perturbed ? w * e + T(double(g) / double(a.K)) * s[i] : w * e;
    } else {
      const T h = T(0.5) * c;
      gs[i] = -h * noise<T>(a, r - 1 - a.K, m);
    }
  }
}

}  // namespace

void cuda_stein(int dev, DType t, int kind, const SteinArgs& sa, const void* sigma, const void* p0, void* p1, void* p2) {
  LCSS_CHECK(sa.B >= 0 && sa.D >= 0 && sa.K >= 1, "stein: need B >= 0, D >= 0, K >= 1 (got %lld, %lld, %lld)",
             (long long)sa.B, (long long)sa.D, (long long)sa.K);
  LCSS_CHECK(sa.estimator >= 0 && sa.estimator <= 2, "stein: unknown estimator %d", sa.estimator);
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "stein_loss: dtype %s not supported", dtype_name(t));
  LCSS_CHECK(kind >= 0 && kind <= 2, "stein: unknown kind %d", kind);
  const int64_t rows = stein_rows(sa);
  SteinK a{sa.B, sa.D, sa.K, sa.B * sa.D, sa.rows_total * sa.D, sa.row_offset * sa.D, sa.estimator, sa.norm_perturbed, sa.gamma, sa.seed, sa.offset};
  if (sa.B == 0 || (sa.D == 0 && kind != 1)) return;
  cudaStream_t s = cu::stream(dev);
  const int64_t total = rows * sa.D;
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T* sg = static_cast<const T*>(sigma);
    if (kind == 0) {
      cu::launch("stein_perturb", k_perturb<T>, cu::grid_for(total, kThreads, dev), kThreads, 0, s, a, total,
                 static_cast<const T*>(p0), sg, static_cast<T*>(p1));
    } else if (kind == 1) {
      cu::launch("stein_loss", k_forward<T>, cu::grid_for(sa.B * 32, kThreads, dev), kThreads, 0, s, a,
                 static_cast<const T*>(p0), sg, static_cast<T*>(p1));
    } else {
      cu::launch("stein_loss_backward", k_backward<T>, cu::grid_for(total, kThreads, dev), kThreads, 0, s, a, total,
                 static_cast<const T*>(p1), static_cast<const T*>(p0), sg, static_cast<T*>(p2));
    }
  };
  if (t == DType::F32) run(float{});
  else run(double{});
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
// stein kinds of cuda_stein: 0 perturb (p0 = x, p1 = y), 1 forward (p0 = s, p1 = out),
// 2 backward (p0 = s, p1 = gout, p2 = gs)
LCSS_BACKEND_OP(Cuda, SteinPerturb, 0) {
  cuda_stein(a.x.device_index, a.x.dtype, 0, stein_args(a), a.sigma.p, a.x.p, a.y.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, SteinLossForward, 0) {
  cuda_stein(a.s.device_index, a.s.dtype, 1, stein_args(a), a.sigma.p, a.s.p, a.out.p, nullptr);
}
LCSS_BACKEND_OP(Cuda, SteinLossBackward, 0) {
  cuda_stein(a.s.device_index, a.s.dtype, 2, stein_args(a), a.sigma.p, a.s.p, a.gout.p, a.gs.p);
}

}  // namespace lcss
