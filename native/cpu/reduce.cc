// SPDX-License-Identifier: MIT
#include "../contract/backend.h"
#include "reduce.h"

#include <cmath>
#include <type_traits>
#include <limits>
#include <vector>

#include "../core/allocator.h"
#include "../core/threadpool.h"
#include "elementwise.h"
#include "kernels.h"
#include "../contract/op_codes.h"

namespace lcss {
namespace {

template <typename T> struct Acc { using type = T; };
template <> struct Acc<float> { using type = double; };
template <> struct Acc<uint8_t> { using type = int32_t; };

template <typename T>
inline bool is_nan(T v) { return v != v; }

// Reduced part of the view coalesced to one dim: returns stride, or 0 if not possible.
int64_t coalesced_stride(const View& x, int from, int to, int64_t* count) {
  int64_t n = 1, st = 0;
  bool first = true;
  for (int d = to - 1; d >= from; --d) {
    if (x.shape[d] == 1) continue;
    if (first) {
      st = x.strides[d];
      n = x.shape[d];
      first = false;
    } else if (x.strides[d] == st * n) {
      n *= x.shape[d];
    } else {
      return -1;
    }
  }
  *count = first ? 1 : n;
  return first ? 1 : st;
}

// Offset (in elements) of flat index i within dims [from, to) of x.
inline int64_t offset_of(const View& x, int from, int to, int64_t i) {
  int64_t off = 0;
  for (int d = to - 1; d >= from; --d) {
    int64_t q = i % x.shape[d];
    i /= x.shape[d];
    off += q * x.strides[d];
  }
  return off;
}

// Sum of a contiguous run: the per-ISA vectorised kernel for floats (float lanes flushed to double
// every 64 terms), scalar otherwise.
template <typename TI>
inline double run_sum(const TI* r, int64_t n) {
  if constexpr (std::is_same<TI, float>::value) return kernels().nn->sum_f32(r, n);
  if constexpr (std::is_same<TI, double>::value) return kernels().nn->sum_f64(r, n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(r[i]);
  return s;
}

// Sum where the reduced dims are not one run but end in a contiguous run: [nkeep, rb) enumerated,
// [rb, ndim) one run of `run` elements (e.g. the bias gradient sum over [0, 2, 3] of NCHW).
template <typename TI, typename TO>
void reduce_runs(TO* y, const TI* x, const View& xv, int nkeep, int rb, int64_t outer, int64_t run) {
  int64_t nruns = 1;
  for (int d = nkeep; d < rb; ++d) nruns *= xv.shape[d];
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(nruns * run, 1));
  parallel_for_dynamic(outer, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const TI* base = x + offset_of(xv, 0, nkeep, o);
      double s = 0;
      for (int64_t r = 0; r < nruns; ++r) s += run_sum(base + offset_of(xv, nkeep, rb, r), run);
      y[o] = TO(s);
    }
  });
}

template <typename TI, typename TO>
void reduce_rows(int op, TO* y, const TI* x, const View& xv, int nkeep, int64_t outer, int64_t inner) {
  using A = typename Acc<TI>::type;
  // cost per output row ~ inner; aim for >= 32K elements per chunk
  int64_t grain = inner >= 32768 ? 1 : (32768 + inner - 1) / inner;
  parallel_for_dynamic(outer, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const TI* r = x + offset_of(xv, 0, nkeep, o);
      switch (op) {
        case R_SUM: {
          if constexpr (std::is_floating_point<TI>::value) {
            y[o] = TO(run_sum(r, inner));
          } else {
            A s0 = 0;
            for (int64_t i = 0; i < inner; ++i) s0 += A(r[i]);
            y[o] = TO(s0);
          }
          break;
        }
        case R_PROD: {
          A s = 1;
          for (int64_t i = 0; i < inner; ++i) s *= A(r[i]);
          y[o] = TO(s);
          break;
        }
        case R_MAX:
        case R_MIN: {
          TI m = r[0];
          bool mx = op == R_MAX;
          for (int64_t i = 1; i < inner && !is_nan(m); ++i) {
            TI v = r[i];
            if (is_nan(v) || (mx ? v > m : v < m)) m = v;
          }
          y[o] = TO(m);
          break;
        }
        case R_ARGMAX:
        case R_ARGMIN: {
          TI m = r[0];
          int64_t k = 0;
          bool mx = op == R_ARGMAX;
          for (int64_t i = 1; i < inner && !is_nan(m); ++i) {
            TI v = r[i];
            if (is_nan(v) || (mx ? v > m : v < m)) { m = v; k = i; }
          }
          y[o] = TO(k);
          break;
        }
      }
    }
  });
}

// Kept dims contiguous and innermost: y[j] = red_i x[off(i) + j]; vectorises across j.
template <typename TI, typename TO>
void reduce_cols(int op, TO* y, const TI* x, const View& xv, int nkeep, int64_t outer, int64_t inner) {
  using A = typename Acc<TI>::type;
  int64_t grain = std::max<int64_t>(64, 32768 / std::max<int64_t>(inner, 1));
  parallel_for_dynamic(outer, grain, [&](int64_t b, int64_t e) {
    int64_t w = e - b;
    std::vector<A> acc(static_cast<size_t>(w));
    std::vector<int32_t> idx;
    const bool arg = op == R_ARGMAX || op == R_ARGMIN;
    if (arg) idx.assign(size_t(w), 0);
    for (int64_t i = 0; i < inner; ++i) {
      const TI* r = x + offset_of(xv, nkeep, xv.ndim, i) + b;
      if (i == 0) {
        for (int64_t j = 0; j < w; ++j) acc[j] = A(r[j]);
        continue;
      }
      switch (op) {
        case R_SUM: for (int64_t j = 0; j < w; ++j) acc[j] += A(r[j]); break;
        case R_PROD: for (int64_t j = 0; j < w; ++j) acc[j] *= A(r[j]); break;
        case R_MAX:
          for (int64_t j = 0; j < w; ++j) if (!is_nan(acc[j]) && (is_nan(A(r[j])) || A(r[j]) > acc[j])) acc[j] = A(r[j]);
          break;
        case R_MIN:
          for (int64_t j = 0; j < w; ++j) if (!is_nan(acc[j]) && (is_nan(A(r[j])) || A(r[j]) < acc[j])) acc[j] = A(r[j]);
          break;
        case R_ARGMAX:
          for (int64_t j = 0; j < w; ++j)
            if (!is_nan(acc[j]) && (is_nan(A(r[j])) || A(r[j]) > acc[j])) { acc[j] = A(r[j]); idx[j] = int32_t(i); }
          break;
        case R_ARGMIN:
          for (int64_t j = 0; j < w; ++j)
            if (!is_nan(acc[j]) && (is_nan(A(r[j])) || A(r[j]) < acc[j])) { acc[j] = A(r[j]); idx[j] = int32_t(i); }
          break;
      }
    }
    for (int64_t j = 0; j < w; ++j) y[b + j] = arg ? TO(idx[j]) : TO(acc[j]);
  });
}

template <typename TI, typename TO>
void reduce_t(int op, const View& y, const View& x, int nkeep) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < nkeep; ++d) outer *= x.shape[d];
  for (int d = nkeep; d < x.ndim; ++d) inner *= x.shape[d];
  TO* yp = y.ptr<TO>();
  if (outer == 0) return;
  LCSS_CHECK(inner > 0 || op == R_SUM || op == R_PROD, "cannot reduce over an empty dimension with max/min/argmax/argmin");
  if (inner == 0) {
    for (int64_t o = 0; o < outer; ++o) yp[o] = TO(op == R_PROD ? 1 : 0);
    return;
  }
  const TI* xp = x.ptr<TI>();
  int64_t rn, kn;
  int64_t rs = coalesced_stride(x, nkeep, x.ndim, &rn);
  if (rs == 1) return reduce_rows<TI, TO>(op, yp, xp, x, nkeep, outer, inner);
  int64_t ks = coalesced_stride(x, 0, nkeep, &kn);
  if (ks == 1) return reduce_cols<TI, TO>(op, yp, xp, x, nkeep, outer, inner);
  if (op == R_SUM && std::is_floating_point<TI>::value) {
    // the longest contiguous run at the end of the reduced dims
    int rb = x.ndim;
    int64_t run = 1;
    while (rb > nkeep && (x.shape[rb - 1] == 1 || x.strides[rb - 1] == run)) run *= x.shape[--rb];
    if (run >= 16) return reduce_runs<TI, TO>(yp, xp, x, nkeep, rb, outer, run);
  }
  // General strides: gather into a contiguous scratch buffer, then reduce rows.
  size_t bytes = size_t(outer * inner) * sizeof(TI);
  TI* tmp = static_cast<TI*>(cpu_alloc(bytes));
  View t = x;
  t.data = tmp;
  int64_t s = 1;
  for (int d = t.ndim - 1; d >= 0; --d) { t.strides[d] = s; s *= t.shape[d]; }
  try {
    elementwise().copy(t, x);
    reduce_rows<TI, TO>(op, yp, tmp, t, nkeep, outer, inner);
  } catch (...) {
    cpu_free(tmp, bytes);
    throw;
  }
  cpu_free(tmp, bytes);
}

template <typename TI>
void reduce_in(int op, const View& y, const View& x, int nkeep) {
  switch (y.dtype) {
    case DType::F32: return reduce_t<TI, float>(op, y, x, nkeep);
    case DType::F64: return reduce_t<TI, double>(op, y, x, nkeep);
    case DType::I32: return reduce_t<TI, int32_t>(op, y, x, nkeep);
    case DType::Bool: return reduce_t<TI, uint8_t>(op, y, x, nkeep);
  }
}

}  // namespace

void reduce(int op, const View& y, const View& x, int nkeep) {
  LCSS_CHECK(op >= 0 && op < R_COUNT, "unknown reduce op %d", op);
  LCSS_CHECK(nkeep >= 0 && nkeep <= x.ndim, "reduce: nkeep %d out of range for %d dims", nkeep, x.ndim);
  switch (x.dtype) {
    case DType::F32: return reduce_in<float>(op, y, x, nkeep);
    case DType::F64: return reduce_in<double>(op, y, x, nkeep);
    case DType::I32: return reduce_in<int32_t>(op, y, x, nkeep);
    case DType::Bool: return reduce_in<uint8_t>(op, y, x, nkeep);
  }
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, Reduce, 0) { reduce(int(a.op), a.y, a.x, int(a.nkeep)); }

}  // namespace lcss
