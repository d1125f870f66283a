// SPDX-License-Identifier: MIT
// One pass per sample: regenerate e_k[b] into a per-thread row buffer (vectorised Philox +
// Box-Muller), then fuse the dot products / gradient writes. Nothing of size B*D is stored.
#include "stein.h"

#include <vector>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "random.h"

namespace lcss {
namespace {

template <typename T>
void noise_row(const SteinArgs& a, int64_t k, int64_t b, T* e) {
  uint64_t first = uint64_t((k * a.B + b) * a.D);
  if constexpr (sizeof(T) == 4) normal_f32(a.seed, a.offset, first, a.D, e);
  else normal_f64(a.seed, a.offset, first, a.D, e);
}

template <typename T>
inline const T* row(const T* s, const SteinArgs& a, int64_t block, int64_t b) {
  return s + (block * a.B + b) * a.D;
}

int64_t grain_for(const SteinArgs& a) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(a.D * a.K, 1)); }

template <typename T>
void perturb_t(const SteinArgs& a, const T* x, const T* sigma, T* y) {
  const bool anti = a.estimator == STEIN_ANTITHETIC;
  parallel_for(a.B, grain_for(a), [&](int64_t b0, int64_t b1) {
    std::vector<T> e(size_t(a.D));
    for (int64_t b = b0; b < b1; ++b) {
      const T* xb = x + b * a.D;
      const T sg = sigma[b];
      T* yc = y + b * a.D;
      for (int64_t d = 0; d < a.D; ++d) yc[d] = xb[d];
      for (int64_t k = 0; k < a.K; ++k) {
        noise_row<T>(a, k, b, e.data());
        T* yp = y + ((1 + k) * a.B + b) * a.D;
        for (int64_t d = 0; d < a.D; ++d) yp[d] = xb[d] + sg * e[d];
        if (anti) {
          T* ym = y + ((1 + a.K + k) * a.B + b) * a.D;
          for (int64_t d = 0; d < a.D; ++d) ym[d] = xb[d] - sg * e[d];
        }
      }
    }
  });
}

template <typename T>
void forward_t(const SteinArgs& a, const T* s, const T* sigma, T* out) {
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  parallel_for(a.B, grain_for(a), [&](int64_t b0, int64_t b1) {
    std::vector<T> e(size_t(a.D));
    for (int64_t b = b0; b < b1; ++b) {
      const T* s0 = row(s, a, 0, b);
      double norm = 0, stein = 0;
      if (!a.norm_perturbed)
        for (int64_t d = 0; d < a.D; ++d) norm += double(s0[d]) * double(s0[d]);
      for (int64_t k = 0; k < a.K; ++k) {
        noise_row<T>(a, k, b, e.data());
        const T* sp = row(s, a, 1 + k, b);
        T acc = 0;
        if (anti) {
          const T* sm = row(s, a, 1 + a.K + k, b);
          for (int64_t d = 0; d < a.D; ++d) acc += e[d] * (sp[d] - sm[d]);
          acc *= T(0.5);
        } else if (ctrl) {
          for (int64_t d = 0; d < a.D; ++d) acc += e[d] * (sp[d] - s0[d]);
        } else {
          for (int64_t d = 0; d < a.D; ++d) acc += e[d] * sp[d];
        }
        stein += double(acc);
        if (a.norm_perturbed)
          for (int64_t d = 0; d < a.D; ++d) norm += double(sp[d]) * double(sp[d]) / double(a.K);
      }
      out[b] = T(0.5 * norm + a.gamma / double(sigma[b]) * stein / double(a.K));
    }
  });
}

template <typename T>
void backward_t(const SteinArgs& a, const T* gout, const T* s, const T* sigma, T* gs) {
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  parallel_for(a.B, grain_for(a), [&](int64_t b0, int64_t b1) {
    std::vector<T> e(size_t(a.D));
    for (int64_t b = b0; b < b1; ++b) {
      const T g = gout[b];
      const T c = T(double(g) * a.gamma / (double(sigma[b]) * double(a.K)));  // weight of e_k
      const T* s0 = row(s, a, 0, b);
      T* g0 = gs + b * a.D;
      if (a.norm_perturbed)
        for (int64_t d = 0; d < a.D; ++d) g0[d] = T(0);
      else
        for (int64_t d = 0; d < a.D; ++d) g0[d] = g * s0[d];
      for (int64_t k = 0; k < a.K; ++k) {
        noise_row<T>(a, k, b, e.data());
        const T* sp = row(s, a, 1 + k, b);
        T* gp = gs + ((1 + k) * a.B + b) * a.D;
        const T np = a.norm_perturbed ? g / T(a.K) : T(0);
        if (anti) {
          T* gm = gs + ((1 + a.K + k) * a.B + b) * a.D;
          const T h = T(0.5) * c;
          for (int64_t d = 0; d < a.D; ++d) {
            gp[d] = h * e[d] + np * sp[d];
            gm[d] = -h * e[d];
          }
        } else {
          for (int64_t d = 0; d < a.D; ++d) gp[d] = c * e[d] + np * sp[d];
          if (ctrl)
            for (int64_t d = 0; d < a.D; ++d) g0[d] -= c * e[d];
        }
      }
    }
  });
}

void check(const SteinArgs& a) {
  LCSS_CHECK(a.B >= 0 && a.D >= 0 && a.K >= 1, "stein: need B >= 0, D >= 0, K >= 1 (got %lld, %lld, %lld)",
             (long long)a.B, (long long)a.D, (long long)a.K);
  LCSS_CHECK(a.estimator >= 0 && a.estimator <= 2, "stein: unknown estimator %d", a.estimator);
}

}  // namespace

void stein_perturb(DType t, const SteinArgs& a, const void* x, const void* sigma, void* y) {
  check(a);
  if (t == DType::F32) return perturb_t<float>(a, (const float*)x, (const float*)sigma, (float*)y);
  if (t == DType::F64) return perturb_t<double>(a, (const double*)x, (const double*)sigma, (double*)y);
  LCSS_CHECK(false, "stein_perturb: dtype %s not supported", dtype_name(t));
}

void stein_loss_forward(DType t, const SteinArgs& a, const void* s, const void* sigma, void* out) {
  check(a);
  if (t == DType::F32) return forward_t<float>(a, (const float*)s, (const float*)sigma, (float*)out);
  if (t == DType::F64) return forward_t<double>(a, (const double*)s, (const double*)sigma, (double*)out);
  LCSS_CHECK(false, "stein_loss: dtype %s not supported", dtype_name(t));
}

void stein_loss_backward(DType t, const SteinArgs& a, const void* gout, const void* s, const void* sigma, void* gs) {
  check(a);
  if (t == DType::F32) return backward_t<float>(a, (const float*)gout, (const float*)s, (const float*)sigma, (float*)gs);
  if (t == DType::F64) return backward_t<double>(a, (const double*)gout, (const double*)s, (const double*)sigma, (double*)gs);
  LCSS_CHECK(false, "stein_loss_backward: dtype %s not supported", dtype_name(t));
}

}  // namespace lcss
