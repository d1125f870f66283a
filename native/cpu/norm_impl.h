// SPDX-License-Identifier: MIT
// GroupNorm / LayerNorm kernels, compiled once per ISA (isa_*.cc include this file; norm.cc
// checks arguments and dispatches through kernels()).
//  - Statistics: blocks of kStatBlock elements get an exact two-pass mean/M2 while they sit in L1,
//    and blocks are merged with Chan's formula in double: one pass over memory, as stable as the
//    textbook two-pass form for any group size (no E[x^2] - E[x]^2 cancellation).
//  - Backward: one pass of sums per channel (sum g, sum g (x - mean)), then one pass writing gx;
//    a group (4 channels x 256 pixels in W3 = 4 KiB) is still in L1 for the second pass.
//  - The element loops are plain loops GCC vectorises (fastmath.h's exp is branch-free);
//    the sums use explicit vector accumulators (simd.h).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../core/allocator.h"
#include "../core/dtype.h"
#include "../core/threadpool.h"
#include "fastmath.h"
#include "simd.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace norm {

constexpr int64_t kStatBlock = 2048;  // 8 KiB of float: stays in L1 between the two block passes

// Mean and M2 = sum (x - mean)^2 of x[0..n), n >= 1.
template <typename T>
inline void stats(const T* x, int64_t n, double* mean_out, double* m2_out) {
  double cnt = 0, mean = 0, m2 = 0;
  for (int64_t off = 0; off < n; off += kStatBlock) {
    const int64_t nb = std::min(kStatBlock, n - off);
    const double mb = simd::sum(x + off, nb) / double(nb);
    const T c = T(mb);
    // sum (x - c)^2 = sum (x - mb)^2 + nb (mb - c)^2, because sum (x - mb) = 0
    const double dc = mb - double(c);
    const double m2b = std::max(0.0, simd::sum_sq_dev(x + off, nb, c) - double(nb) * dc * dc);
    const double nn = cnt + double(nb), delta = mb - mean;
    mean += delta * double(nb) / nn;
    m2 += m2b + delta * delta * cnt * double(nb) / nn;
    cnt = nn;
  }
  *mean_out = mean;
  *m2_out = m2;
}

template <typename T>
inline T silu_grad(T z) {
  T s = k_sigmoid(z);
  return s * (T(1) + z * (T(1) - s));
}

// y = (x - mu) * a + b (then SiLU), one channel. Subtracting the mean first keeps y accurate when
// |mean| >> std (x * a + (b - mu * a) would cancel catastrophically).
template <typename T>
inline void affine_run(const T* __restrict x, T* __restrict y, int64_t n, T mu, T a, T b, bool silu) {
  if (silu) {
    for (int64_t i = 0; i < n; ++i) {
      T z = (x[i] - mu) * a + b;
      y[i] = z * k_sigmoid(z);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mu) * a + b;
  }
}

// Groups per parallel chunk: >= ~32K elements each, so a wake-up (~2 us) stays below ~5%.
inline int64_t group_grain(int64_t M) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(M, 1)); }

template <typename T>
void gn_forward(int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu, const T* x, const T* gamma,
                const T* beta, T* y, T* mean, T* rstd) {
  const int64_t cg = C / G, M = cg * HW;
  parallel_for_dynamic(N * G, group_grain(M), [&](int64_t b, int64_t e) {
    for (int64_t ng = b; ng < e; ++ng) {
      const T* xs = x + ng * M;
      T* ys = y + ng * M;
      double mu = 0, m2 = 0;
      if (M > 0) stats(xs, M, &mu, &m2);
      const double rs = 1.0 / std::sqrt((M ? m2 / double(M) : 0.0) + eps);
      mean[ng] = T(mu);
      rstd[ng] = T(rs);
      const int64_t c0 = (ng % G) * cg;
      for (int64_t c = 0; c < cg; ++c) {
        const double a = rs * (gamma ? double(gamma[c0 + c]) : 1.0);
        affine_run(xs + c * HW, ys + c * HW, HW, T(mu), T(a), beta ? beta[c0 + c] : T(0), silu);
      }
    }
  });
}

template <typename T>
void gn_backward(int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const T* gy, const T* x, const T* mean,
                 const T* rstd, const T* gamma, const T* beta, T* gx, T* ggamma, T* gbeta) {
  const int64_t cg = C / G, M = cg * HW;
  const bool affine_grads = ggamma || gbeta;
  // per-(n, c) sums of g*xhat and g, reduced over n at the end (deterministic, no atomics)
  const size_t sbytes = affine_grads ? size_t(2 * N * C) * sizeof(double) : 0;
  double* sab = affine_grads ? static_cast<double*>(cpu_alloc(sbytes)) : nullptr;
  struct Free {
    double* p;
    size_t n;
    ~Free() { if (p) cpu_free(p, n); }
  } guard{sab, sbytes};
  parallel_for_dynamic(N * G, group_grain(M), [&](int64_t b, int64_t e) {
    for (int64_t ng = b; ng < e; ++ng) {
      const int64_t n = ng / G, c0 = (ng % G) * cg;
      const T mu = mean[ng], rs = rstd[ng];
      const T* xs = x + ng * M;
      const T* gys = gy + ng * M;
      T* gxs = gx + ng * M;
      double sum_gg = 0, sum_ggx = 0;  // sum g*gamma, sum g*gamma*xhat over the group
      for (int64_t c = 0; c < cg; ++c) {
        const T ga = gamma ? gamma[c0 + c] : T(1);
        const T* xc = xs + c * HW;
        const T* gsrc = gys + c * HW;
        if (silu) {
          // gz = gy * silu'(z) is kept in gx until the second pass (the channel is still in L1)
          const T be = beta ? beta[c0 + c] : T(0);
          const T a = rs * ga;
          T* gzc = gxs + c * HW;
          for (int64_t i = 0; i < HW; ++i) gzc[i] = gsrc[i] * silu_grad((xc[i] - mu) * a + be);
          gsrc = gzc;
        }
        double sg, sgx;
        simd::sum_g_gxc(gsrc, xc, HW, mu, &sg, &sgx);
        const double a = sgx * double(rs);
        if (sab) {
          sab[2 * (n * C + c0 + c)] = a;
          sab[2 * (n * C + c0 + c) + 1] = sg;
        }
        sum_ggx += a * double(ga);
        sum_gg += sg * double(ga);
      }
      const double k1 = M ? sum_gg / double(M) : 0.0, k2 = M ? sum_ggx / double(M) : 0.0;
      // gx = rs * (g * gamma - k1 - xhat * k2) = g * A + (x - mu) * B + D
      const T Bx = T(-double(rs) * double(rs) * k2);
      const T D = T(-double(rs) * k1);
      for (int64_t c = 0; c < cg; ++c) {
        const T A = rs * (gamma ? gamma[c0 + c] : T(1));
        const T* xc = xs + c * HW;
        const T* gsrc = silu ? gxs + c * HW : gys + c * HW;
        T* gxc = gxs + c * HW;
        for (int64_t i = 0; i < HW; ++i) gxc[i] = gsrc[i] * A + (xc[i] - mu) * Bx + D;
      }
    }
  });
  if (affine_grads) {
    for (int64_t c = 0; c < C; ++c) {
      double a = 0, bs = 0;
      for (int64_t n = 0; n < N; ++n) {
        a += sab[2 * (n * C + c)];
        bs += sab[2 * (n * C + c) + 1];
      }
      if (ggamma) ggamma[c] = T(a);
      if (gbeta) gbeta[c] = T(bs);
    }
  }
}

template <typename T>
void ln_forward(int64_t R, int64_t D, double eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd) {
  parallel_for_dynamic(R, group_grain(D), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * D;
      T* yr = y + r * D;
      double mu = 0, m2 = 0;
      if (D > 0) stats(xr, D, &mu, &m2);
      const double rs = 1.0 / std::sqrt((D ? m2 / double(D) : 0.0) + eps);
      mean[r] = T(mu);
      rstd[r] = T(rs);
      const T a = T(rs), m = T(mu);
      if (w && b)
        for (int64_t i = 0; i < D; ++i) yr[i] = ((xr[i] - m) * a) * w[i] + b[i];
      else if (w)
        for (int64_t i = 0; i < D; ++i) yr[i] = ((xr[i] - m) * a) * w[i];
      else if (b)
        for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - m) * a + b[i];
      else
        for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - m) * a;
    }
  });
}

template <typename T>
void ln_backward(int64_t R, int64_t D, const T* gy, const T* x, const T* mean, const T* rstd, const T* w, T* gx,
                 T* gw, T* gb) {
  using simd::vec;
  constexpr int W = simd::V<T>::W;
  const bool affine_grads = gw || gb;
  // Partial affine gradients per chunk in double, summed in chunk order (deterministic).
  const int64_t grain = group_grain(D);
  const int64_t nchunks = std::min<int64_t>(num_threads(), std::max<int64_t>(1, R / grain));
  const size_t pbytes = affine_grads ? size_t(nchunks * 2 * D) * sizeof(double) : 0;
  double* part = affine_grads ? static_cast<double*>(cpu_alloc(pbytes)) : nullptr;
  struct Free {
    double* p;
    size_t n;
    ~Free() { if (p) cpu_free(p, n); }
  } guard{part, pbytes};
  if (part) std::fill(part, part + nchunks * 2 * D, 0.0);
  parallel_for(nchunks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      double* aw = part ? part + t * 2 * D : nullptr;
      double* ab = part ? aw + D : nullptr;
      for (int64_t r = R * t / nchunks; r < R * (t + 1) / nchunks; ++r) {
        const T* xr = x + r * D;
        const T* gr = gy + r * D;
        T* gxr = gx + r * D;
        const T mu = mean[r], rs = rstd[r];
        // s1 = sum g*w, s2 = sum g*w*(x - mu)
        vec<T> a1{}, a2{};
        const vec<T> muv = simd::splat<T>(mu);
        int64_t i = 0;
        for (; i + W <= D; i += W) {
          vec<T> g = simd::load(gr + i);
          if (w) g *= simd::load(w + i);
          a1 += g;
          a2 += g * (simd::load(xr + i) - muv);
        }
        double s1 = simd::hsum<T>(a1), s2 = simd::hsum<T>(a2);
        for (; i < D; ++i) {
          double g = double(gr[i]) * (w ? double(w[i]) : 1.0);
          s1 += g;
          s2 += g * (double(xr[i]) - double(mu));
        }
        if (aw) {
          for (int64_t k = 0; k < D; ++k) {
            aw[k] += double(gr[k]) * double((xr[k] - mu) * rs);
            ab[k] += double(gr[k]);
          }
        }
        const T k1 = T(s1 / double(D)), k2 = T(s2 * double(rs) / double(D));
        // gx = rs * (g*w - k1 - xhat*k2) = g*w*rs + (x - mu) * B + D
        const T Bx = -rs * rs * k2, Dd = -rs * k1;
        if (w)
          for (int64_t k = 0; k < D; ++k) gxr[k] = gr[k] * w[k] * rs + (xr[k] - mu) * Bx + Dd;
        else
          for (int64_t k = 0; k < D; ++k) gxr[k] = gr[k] * rs + (xr[k] - mu) * Bx + Dd;
      }
    }
  });
  if (affine_grads) {
    for (int64_t k = 0; k < D; ++k) {
      double a = 0, bsum = 0;
      for (int64_t t = 0; t < nchunks; ++t) {
        a += part[t * 2 * D + k];
        bsum += part[t * 2 * D + D + k];
      }
      if (gw) gw[k] = T(a);
      if (gb) gb[k] = T(bsum);
    }
  }
}

// Untyped entry points stored in the kernel table.
inline void groupnorm_forward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu,
                              const void* x, const void* ga, const void* be, void* y, void* mu, void* rs) {
  if (t == DType::F32)
    gn_forward<float>(N, C, HW, G, eps, silu, (const float*)x, (const float*)ga, (const float*)be, (float*)y, (float*)mu, (float*)rs);
  else
    gn_forward<double>(N, C, HW, G, eps, silu, (const double*)x, (const double*)ga, (const double*)be, (double*)y, (double*)mu, (double*)rs);
}
inline void groupnorm_backward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy,
                               const void* x, const void* mu, const void* rs, const void* ga, const void* be, void* gx,
                               void* gga, void* gbe) {
  if (t == DType::F32)
    gn_backward<float>(N, C, HW, G, silu, (const float*)gy, (const float*)x, (const float*)mu, (const float*)rs,
                       (const float*)ga, (const float*)be, (float*)gx, (float*)gga, (float*)gbe);
  else
    gn_backward<double>(N, C, HW, G, silu, (const double*)gy, (const double*)x, (const double*)mu, (const double*)rs,
                        (const double*)ga, (const double*)be, (double*)gx, (double*)gga, (double*)gbe);
}
inline void layernorm_forward(DType t, int64_t R, int64_t D, double eps, const void* x, const void* w, const void* b,
                              void* y, void* mu, void* rs) {
  if (t == DType::F32)
    ln_forward<float>(R, D, eps, (const float*)x, (const float*)w, (const float*)b, (float*)y, (float*)mu, (float*)rs);
  else
    ln_forward<double>(R, D, eps, (const double*)x, (const double*)w, (const double*)b, (double*)y, (double*)mu, (double*)rs);
}
inline void layernorm_backward(DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mu,
                               const void* rs, const void* w, void* gx, void* gw, void* gb) {
  if (t == DType::F32)
    ln_backward<float>(R, D, (const float*)gy, (const float*)x, (const float*)mu, (const float*)rs, (const float*)w,
                       (float*)gx, (float*)gw, (float*)gb);
  else
    ln_backward<double>(R, D, (const double*)gy, (const double*)x, (const double*)mu, (const double*)rs,
                        (const double*)w, (double*)gx, (double*)gw, (double*)gb);
}

}  // namespace norm
}  // namespace LCSS_ISA_NS
}  // namespace lcss
