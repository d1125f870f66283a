// SPDX-License-Identifier: MIT
#include "norm.h"

#include <cmath>
#include <vector>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "fastmath.h"

namespace lcss {
namespace {

template <typename T>
inline T silu_grad(T z) {
  T s = k_sigmoid(z);
  return s * (T(1) + z * (T(1) - s));
}

template <typename T>
void gn_forward(int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu, const T* x, const T* gamma,
                const T* beta, T* y, T* mean, T* rstd) {
  const int64_t cg = C / G, M = cg * HW;
  parallel_for(N * G, std::max<int64_t>(1, 16384 / std::max<int64_t>(M, 1)), [&](int64_t b, int64_t e) {
    for (int64_t ng = b; ng < e; ++ng) {
      const T* xs = x + ng * M;
      T* ys = y + ng * M;
      double s = 0;
      for (int64_t i = 0; i < M; ++i) s += double(xs[i]);
      const double mu = M ? s / double(M) : 0.0;
      double v = 0;
      for (int64_t i = 0; i < M; ++i) {
        double d = double(xs[i]) - mu;
        v += d * d;
      }
      const double rs = 1.0 / std::sqrt((M ? v / double(M) : 0.0) + eps);
      mean[ng] = T(mu);
      rstd[ng] = T(rs);
      const int64_t c0 = (ng % G) * cg;
      for (int64_t c = 0; c < cg; ++c) {
        T a = T(rs) * (gamma ? gamma[c0 + c] : T(1));
        T bb = (beta ? beta[c0 + c] : T(0)) - T(mu) * a;
        const T* xc = xs + c * HW;
        T* yc = ys + c * HW;
        if (silu)
          for (int64_t i = 0; i < HW; ++i) {
            T z = xc[i] * a + bb;
            yc[i] = z * k_sigmoid(z);
          }
        else
          for (int64_t i = 0; i < HW; ++i) yc[i] = xc[i] * a + bb;
      }
    }
  });
}

template <typename T>
void gn_backward(int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const T* gy, const T* x, const T* mean,
                 const T* rstd, const T* gamma, const T* beta, T* gx, T* ggamma, T* gbeta) {
  const int64_t cg = C / G, M = cg * HW;
  // per-(n, c) sums of gz * xhat and of gz, reduced over n at the end for the affine gradients
  std::vector<double> sa(size_t(N * C)), sb(size_t(N * C));
  parallel_for(N * G, std::max<int64_t>(1, 8192 / std::max<int64_t>(M, 1)), [&](int64_t b, int64_t e) {
    for (int64_t ng = b; ng < e; ++ng) {
      const int64_t n = ng / G, c0 = (ng % G) * cg;
      const T mu = mean[ng], rs = rstd[ng];
      const T* xs = x + ng * M;
      const T* gys = gy + ng * M;
      T* gxs = gx + ng * M;
      double sum_gg = 0, sum_ggx = 0;  // sum gz*gamma, sum gz*gamma*xhat over the group
      for (int64_t c = 0; c < cg; ++c) {
        const T ga = gamma ? gamma[c0 + c] : T(1);
        const T* xc = xs + c * HW;
        const T* gyc = gys + c * HW;
        T* gzc = gxs + c * HW;  // gx holds gz until the second pass
        double a = 0, bsum = 0;
        if (silu) {
          const T be = beta ? beta[c0 + c] : T(0);
          for (int64_t i = 0; i < HW; ++i) {
            T xh = (xc[i] - mu) * rs;
            T gz = gyc[i] * silu_grad(xh * ga + be);
            gzc[i] = gz;
            a += double(gz) * double(xh);
            bsum += double(gz);
          }
        } else {
          for (int64_t i = 0; i < HW; ++i) {
            T xh = (xc[i] - mu) * rs;
            a += double(gyc[i]) * double(xh);
            bsum += double(gyc[i]);
          }
        }
        sa[size_t(n * C + c0 + c)] = a;
        sb[size_t(n * C + c0 + c)] = bsum;
        sum_ggx += a * double(ga);
        sum_gg += bsum * double(ga);
      }
      const T k1 = T(sum_gg / double(M)), k2 = T(sum_ggx / double(M));
      for (int64_t c = 0; c < cg; ++c) {
        const T ga = gamma ? gamma[c0 + c] : T(1);
        const T* xc = xs + c * HW;
        const T* gsrc = silu ? gxs + c * HW : gys + c * HW;
        T* gxc = gxs + c * HW;
        for (int64_t i = 0; i < HW; ++i) {
          T xh = (xc[i] - mu) * rs;
          gxc[i] = rs * (gsrc[i] * ga - k1 - xh * k2);
        }
      }
    }
  });
  if (ggamma || gbeta) {
    for (int64_t c = 0; c < C; ++c) {
      double a = 0, bs = 0;
      for (int64_t n = 0; n < N; ++n) {
        a += sa[size_t(n * C + c)];
        bs += sb[size_t(n * C + c)];
      }
      if (ggamma) ggamma[c] = T(a);
      if (gbeta) gbeta[c] = T(bs);
    }
  }
}

template <typename T>
void ln_forward(int64_t R, int64_t D, double eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd) {
  parallel_for(R, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * D;
      T* yr = y + r * D;
      double s = 0;
      for (int64_t i = 0; i < D; ++i) s += double(xr[i]);
      double mu = D ? s / double(D) : 0.0, v = 0;
      for (int64_t i = 0; i < D; ++i) {
        double d = double(xr[i]) - mu;
        v += d * d;
      }
      double rs = 1.0 / std::sqrt((D ? v / double(D) : 0.0) + eps);
      mean[r] = T(mu);
      rstd[r] = T(rs);
      for (int64_t i = 0; i < D; ++i) {
        T xh = (xr[i] - T(mu)) * T(rs);
        yr[i] = xh * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
      }
    }
  });
}

template <typename T>
void ln_backward(int64_t R, int64_t D, const T* gy, const T* x, const T* mean, const T* rstd, const T* w, T* gx,
                 T* gw, T* gb) {
  const int nt = num_threads();
  std::vector<double> pw(size_t(nt * D), 0.0), pb(size_t(nt * D), 0.0);
  parallel_for(nt, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      double* aw = pw.data() + t * D;
      double* ab = pb.data() + t * D;
      for (int64_t r = R * t / nt; r < R * (t + 1) / nt; ++r) {
        const T* xr = x + r * D;
        const T* gr = gy + r * D;
        T* gxr = gx + r * D;
        const T mu = mean[r], rs = rstd[r];
        double s1 = 0, s2 = 0;
        for (int64_t i = 0; i < D; ++i) {
          T xh = (xr[i] - mu) * rs;
          T g = gr[i] * (w ? w[i] : T(1));
          s1 += double(g);
          s2 += double(g) * double(xh);
          aw[i] += double(gr[i]) * double(xh);
          ab[i] += double(gr[i]);
        }
        const T k1 = T(s1 / double(D)), k2 = T(s2 / double(D));
        for (int64_t i = 0; i < D; ++i) {
          T xh = (xr[i] - mu) * rs;
          T g = gr[i] * (w ? w[i] : T(1));
          gxr[i] = rs * (g - k1 - xh * k2);
        }
      }
    }
  });
  for (int64_t i = 0; i < D; ++i) {
    double a = 0, b = 0;
    for (int t = 0; t < nt; ++t) {
      a += pw[size_t(t * D + i)];
      b += pb[size_t(t * D + i)];
    }
    if (gw) gw[i] = T(a);
    if (gb) gb[i] = T(b);
  }
}

}  // namespace

#define LCSS_NORM_DISPATCH(t, name, call_f32, call_f64)                     \
  do {                                                                     \
    if ((t) == DType::F32) { call_f32; return; }                           \
    if ((t) == DType::F64) { call_f64; return; }                           \
    LCSS_CHECK(false, "%s: dtype %s not supported", name, dtype_name(t)); \
  } while (0)

void groupnorm_forward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu, const void* x,
                       const void* gamma, const void* beta, void* y, void* mean, void* rstd) {
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm: %lld channels not divisible by %lld groups", (long long)C, (long long)G);
  LCSS_NORM_DISPATCH(t, "group_norm",
      (gn_forward<float>(N, C, HW, G, eps, silu, (const float*)x, (const float*)gamma, (const float*)beta, (float*)y, (float*)mean, (float*)rstd)),
      (gn_forward<double>(N, C, HW, G, eps, silu, (const double*)x, (const double*)gamma, (const double*)beta, (double*)y, (double*)mean, (double*)rstd)));
}

void groupnorm_backward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy, const void* x,
                        const void* mean, const void* rstd, const void* gamma, const void* beta, void* gx, void* ggamma,
                        void* gbeta) {
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm_backward: channels not divisible by groups");
  LCSS_NORM_DISPATCH(t, "group_norm_backward",
      (gn_backward<float>(N, C, HW, G, silu, (const float*)gy, (const float*)x, (const float*)mean, (const float*)rstd, (const float*)gamma, (const float*)beta, (float*)gx, (float*)ggamma, (float*)gbeta)),
      (gn_backward<double>(N, C, HW, G, silu, (const double*)gy, (const double*)x, (const double*)mean, (const double*)rstd, (const double*)gamma, (const double*)beta, (double*)gx, (double*)ggamma, (double*)gbeta)));
}

void layernorm_forward(DType t, int64_t R, int64_t D, double eps, const void* x, const void* w, const void* b, void* y,
                       void* mean, void* rstd) {
  LCSS_NORM_DISPATCH(t, "layer_norm",
      (ln_forward<float>(R, D, eps, (const float*)x, (const float*)w, (const float*)b, (float*)y, (float*)mean, (float*)rstd)),
      (ln_forward<double>(R, D, eps, (const double*)x, (const double*)w, (const double*)b, (double*)y, (double*)mean, (double*)rstd)));
}

void layernorm_backward(DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mean, const void* rstd,
                        const void* w, void* gx, void* gw, void* gb) {
  LCSS_NORM_DISPATCH(t, "layer_norm_backward",
      (ln_backward<float>(R, D, (const float*)gy, (const float*)x, (const float*)mean, (const float*)rstd, (const float*)w, (float*)gx, (float*)gw, (float*)gb)),
      (ln_backward<double>(R, D, (const double*)gy, (const double*)x, (const double*)mean, (const double*)rstd, (const double*)w, (double*)gx, (double*)gw, (double*)gb)));
}

}  // namespace lcss
