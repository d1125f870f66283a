// SPDX-License-Identifier: MIT
// N-operand strided iteration: coalesces dimensions that are contiguous for every operand, then
// walks the index space in parallel chunks, calling `inner(n, ptrs, strides)` for runs along the
// innermost dimension. Kernels specialise the inner run on its strides (all 1, one 0, ...).
#pragma once
#include <cstdint>

#include "threadpool.h"
#include "view.h"

namespace lcss {

template <int N>
struct Coalesced {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];  // in elements
};

// Operand 0 defines the shape; every operand has the same shape (broadcast via stride 0).
template <int N>
inline Coalesced<N> coalesce(const View* const ops[N]) {
  Coalesced<N> c;
  const View& o = *ops[0];
  for (int d = 0; d < o.ndim; ++d) {
    if (o.shape[d] == 1) continue;  // size-1 dims never move any pointer
    if (c.ndim > 0) {
      bool merge = true;
      for (int k = 0; k < N; ++k)
        if (c.strides[k][c.ndim - 1] != ops[k]->strides[d] * o.shape[d]) { merge = false; break; }
      if (merge) {
        c.shape[c.ndim - 1] *= o.shape[d];
        for (int k = 0; k < N; ++k) c.strides[k][c.ndim - 1] = ops[k]->strides[d];
        continue;
      }
    }
    c.shape[c.ndim] = o.shape[d];
    for (int k = 0; k < N; ++k) c.strides[k][c.ndim] = ops[k]->strides[d];
    c.ndim++;
  }
  if (c.ndim == 0) {  // a scalar or all-ones shape: one element
    c.ndim = 1;
    c.shape[0] = 1;
    for (int k = 0; k < N; ++k) c.strides[k][0] = 1;
  }
  return c;
}

// inner(int64_t n, char* const* ptrs, const int64_t* strides_in_elements)
template <int N, typename Inner>
inline void for_each_strided(const View* const ops[N], int64_t grain, Inner&& inner) {
  Coalesced<N> c = coalesce<N>(ops);
  int64_t total = 1;
  for (int d = 0; d < c.ndim; ++d) total *= c.shape[d];
  if (total == 0) return;
  char* base[N];
  int64_t esz[N];
  for (int k = 0; k < N; ++k) {
    base[k] = static_cast<char*>(ops[k]->data);
    esz[k] = int64_t(dtype_size(ops[k]->dtype));
  }
  const int nd = c.ndim;
  const int64_t inner_n = c.shape[nd - 1];
  int64_t inner_st[N];
  for (int k = 0; k < N; ++k) inner_st[k] = c.strides[k][nd - 1];
  parallel_for_dynamic(total, grain, [&](int64_t begin, int64_t end) {
    // Coordinates of `begin` in the coalesced shape.
    int64_t idx[kMaxDims];
    int64_t rem = begin;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = rem % c.shape[d];
      rem /= c.shape[d];
    }
    char* p[N];
    for (int k = 0; k < N; ++k) {
      int64_t off = 0;
      for (int d = 0; d < nd; ++d) off += idx[d] * c.strides[k][d];
      p[k] = base[k] + off * esz[k];
    }
    int64_t i = begin;
    while (i < end) {
      int64_t run = inner_n - idx[nd - 1];
      if (run > end - i) run = end - i;
      inner(run, p, inner_st);
      i += run;
      if (i >= end) break;
      // advance: innermost wraps, carry into outer dims
      for (int k = 0; k < N; ++k) p[k] += (run - 0) * inner_st[k] * esz[k];
      idx[nd - 1] += run;
      for (int d = nd - 1; d > 0 && idx[d] == c.shape[d]; --d) {
        idx[d] = 0;
        idx[d - 1]++;
        for (int k = 0; k < N; ++k)
          p[k] += (c.strides[k][d - 1] - c.shape[d] * c.strides[k][d]) * esz[k];
      }
    }
  });
}

}  // namespace lcss
