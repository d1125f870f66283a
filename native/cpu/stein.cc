// SPDX-License-Identifier: MIT
// The batch is cut into chunks of whole rows holding ~kChunkElems elements per block. A chunk's
// centre rows stay in L1/L2 while its K noise blocks are regenerated (one vectorised Philox +
// Box-Muller call per block: the chunk's noise is contiguous in the stream) and consumed, so every
// score element is read from memory once and nothing of size B*D is stored. Generating a whole
// chunk per call matters for small D: per-row calls would compute a 64-value Philox batch to use
// D of them (32x the work at D = 2).
// Dot products keep kLanes independent partial sums so the compiler vectorises them without
// reassociation flags; per-row totals are combined in double.
#include "../contract/backend.h"
#include "stein.h"

#include <algorithm>
#include <vector>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "random.h"

namespace lcss {
namespace {

constexpr int64_t kChunkElems = 4096;
constexpr int kLanes = 16;

template <typename T>
void noise(const SteinArgs& a, int64_t k, int64_t b0, int64_t nrows, T* e) {
  uint64_t first = uint64_t((k * a.rows_total + a.row_offset + b0) * a.D);
  if constexpr (sizeof(T) == 4) normal_f32(a.seed, a.offset, first, nrows * a.D, e);
  else normal_f64(a.seed, a.offset, first, nrows * a.D, e);
}

template <typename T>
inline const T* row(const T* s, const SteinArgs& a, int64_t block, int64_t b) {
  return s + (block * a.B + b) * a.D;
}

// sum_d p[d] * q[d]
template <typename T>
inline double dot(const T* p, const T* q, int64_t n) {
  T acc[kLanes] = {};
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += p[d + j] * q[d + j];
  double r = 0;
  for (; d < n; ++d) r += double(p[d]) * double(q[d]);
  for (int j = 0; j < kLanes; ++j) r += double(acc[j]);
  return r;
}

// sum_d e[d] * (p[d] - q[d])
template <typename T>
inline double dot_diff(const T* e, const T* p, const T* q, int64_t n) {
  T acc[kLanes] = {};
  int64_t d = 0;
  for (; d + kLanes <= n; d += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += e[d + j] * (p[d + j] - q[d + j]);
  double r = 0;
  for (; d < n; ++d) r += double(e[d]) * (double(p[d]) - double(q[d]));
  for (int j = 0; j < kLanes; ++j) r += double(acc[j]);
  return r;
}

int64_t rows_per_chunk(const SteinArgs& a) { return std::max<int64_t>(1, kChunkElems / std::max<int64_t>(a.D, 1)); }

// Runs f(b0, b1, e) over row chunks in parallel; e is a buffer for one chunk of noise. Pieces of
// at least kMinNoisePerThread noise values (~15 us) are claimed dynamically: smaller work runs
// inline (waking the pool costs more than it saves), and a worker that another process has
// descheduled leaves its pieces to the other thread instead of holding the region for milliseconds.
constexpr int64_t kMinNoisePerThread = 1 << 14;

template <typename T, typename F>
void for_chunks(const SteinArgs& a, F&& f) {
  const int64_t R = rows_per_chunk(a), nchunks = (a.B + R - 1) / R;
  const int64_t noise_per_chunk = std::max<int64_t>(1, R * a.D * a.K);
  const int64_t grain = std::max<int64_t>(1, (kMinNoisePerThread + noise_per_chunk - 1) / noise_per_chunk);
  parallel_for_dynamic(nchunks, grain, [&](int64_t c0, int64_t c1) {
    std::vector<T> e(size_t(std::min(R, a.B) * a.D));
    for (int64_t c = c0; c < c1; ++c) f(c * R, std::min(a.B, (c + 1) * R), e.data());
  });
}

template <typename T>
void perturb_t(const SteinArgs& a, const T* x, const T* sigma, T* y) {
  const bool anti = a.estimator == STEIN_ANTITHETIC;
  const int64_t D = a.D;
  for_chunks<T>(a, [&](int64_t b0, int64_t b1, T* e) {
    std::copy(x + b0 * D, x + b1 * D, y + b0 * D);
    for (int64_t k = 0; k < a.K; ++k) {
      noise<T>(a, k, b0, b1 - b0, e);
      for (int64_t b = b0; b < b1; ++b) {
        const T sg = sigma[b];
        const T* xb = x + b * D;
        const T* eb = e + (b - b0) * D;
        T* yp = y + ((1 + k) * a.B + b) * D;
        for (int64_t d = 0; d < D; ++d) yp[d] = xb[d] + sg * eb[d];
        if (anti) {
          T* ym = y + ((1 + a.K + k) * a.B + b) * D;
          for (int64_t d = 0; d < D; ++d) ym[d] = xb[d] - sg * eb[d];
        }
      }
    }
  });
}

template <typename T>
void forward_t(const SteinArgs& a, const T* s, const T* sigma, T* out) {
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  const int64_t D = a.D;
  for_chunks<T>(a, [&](int64_t b0, int64_t b1, T* e) {
    double norm[kChunkElems], stein[kChunkElems];  // per row of the chunk (at most kChunkElems rows)
    for (int64_t b = b0; b < b1; ++b) {
      const T* s0 = row(s, a, 0, b);
      norm[b - b0] = a.norm_perturbed ? 0.0 : dot(s0, s0, D);
      stein[b - b0] = 0.0;
    }
    for (int64_t k = 0; k < a.K; ++k) {
      noise<T>(a, k, b0, b1 - b0, e);
      for (int64_t b = b0; b < b1; ++b) {
        const T* eb = e + (b - b0) * D;
        const T* sp = row(s, a, 1 + k, b);
        double v;
        if (anti) v = 0.5 * dot_diff(eb, sp, row(s, a, 1 + a.K + k, b), D);
        else if (ctrl) v = dot_diff(eb, sp, row(s, a, 0, b), D);
        else v = dot(eb, sp, D);
        stein[b - b0] += v;
        if (a.norm_perturbed) norm[b - b0] += dot(sp, sp, D) / double(a.K);
      }
    }
    for (int64_t b = b0; b < b1; ++b)
      out[b] = T(0.5 * norm[b - b0] + a.gamma / double(sigma[b]) * stein[b - b0] / double(a.K));
  });
}

template <typename T>
void backward_t(const SteinArgs& a, const T* gout, const T* s, const T* sigma, T* gs) {
  const bool anti = a.estimator == STEIN_ANTITHETIC, ctrl = a.estimator == STEIN_CONTROL;
  const int64_t D = a.D;
  for_chunks<T>(a, [&](int64_t b0, int64_t b1, T* e) {
    for (int64_t b = b0; b < b1; ++b) {
      const T g = gout[b];
      const T* s0 = row(s, a, 0, b);
      T* g0 = gs + b * D;
      if (a.norm_perturbed) std::fill(g0, g0 + D, T(0));
      else for (int64_t d = 0; d < D; ++d) g0[d] = g * s0[d];
    }
    for (int64_t k = 0; k < a.K; ++k) {
      noise<T>(a, k, b0, b1 - b0, e);
      for (int64_t b = b0; b < b1; ++b) {
        const T g = gout[b];
        const T c = T(double(g) * a.gamma / (double(sigma[b]) * double(a.K)));  // weight of e_k
        const T np = a.norm_perturbed ? T(double(g) / double(a.K)) : T(0);
        const T* eb = e + (b - b0) * D;
        const T* sp = row(s, a, 1 + k, b);
        T* gp = gs + ((1 + k) * a.B + b) * D;
        if (anti) {
          T* gm = gs + ((1 + a.K + k) * a.B + b) * D;
          const T h = T(0.5) * c;
          for (int64_t d = 0; d < D; ++d) gm[d] = -h * eb[d];
          if (a.norm_perturbed) for (int64_t d = 0; d < D; ++d) gp[d] = h * eb[d] + np * sp[d];
          else for (int64_t d = 0; d < D; ++d) gp[d] = h * eb[d];
        } else {
          if (a.norm_perturbed) for (int64_t d = 0; d < D; ++d) gp[d] = c * eb[d] + np * sp[d];
          else for (int64_t d = 0; d < D; ++d) gp[d] = c * eb[d];
          if (ctrl) {
            T* g0 = gs + b * D;
            for (int64_t d = 0; d < D; ++d) g0[d] -= c * eb[d];
          }
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
  if (a.B == 0 || a.D == 0) return;
  if (t == DType::F32) return perturb_t<float>(a, (const float*)x, (const float*)sigma, (float*)y);
  if (t == DType::F64) return perturb_t<double>(a, (const double*)x, (const double*)sigma, (double*)y);
  LCSS_CHECK(false, "stein_perturb: dtype %s not supported", dtype_name(t));
}

void stein_loss_forward(DType t, const SteinArgs& a, const void* s, const void* sigma, void* out) {
  check(a);
  if (a.B == 0) return;
  if (t == DType::F32) return forward_t<float>(a, (const float*)s, (const float*)sigma, (float*)out);
  if (t == DType::F64) return forward_t<double>(a, (const double*)s, (const double*)sigma, (double*)out);
  LCSS_CHECK(false, "stein_loss: dtype %s not supported", dtype_name(t));
}

void stein_loss_backward(DType t, const SteinArgs& a, const void* gout, const void* s, const void* sigma, void* gs) {
  check(a);
  if (a.B == 0 || a.D == 0) return;
  if (t == DType::F32) return backward_t<float>(a, (const float*)gout, (const float*)s, (const float*)sigma, (float*)gs);
  if (t == DType::F64) return backward_t<double>(a, (const double*)gout, (const double*)s, (const double*)sigma, (double*)gs);
  LCSS_CHECK(false, "stein_loss_backward: dtype %s not supported", dtype_name(t));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, SteinPerturb, 0) { stein_perturb(a.x.dtype, stein_args(a), a.x.p, a.sigma.p, a.y.p); }
LCSS_BACKEND_OP(Cpu, SteinLossForward, 0) { stein_loss_forward(a.s.dtype, stein_args(a), a.s.p, a.sigma.p, a.out.p); }
LCSS_BACKEND_OP(Cpu, SteinLossBackward, 0) {
  stein_loss_backward(a.s.dtype, stein_args(a), a.gout.p, a.s.p, a.sigma.p, a.gs.p);
}

}  // namespace lcss
