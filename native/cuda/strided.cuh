// SPDX-License-Identifier: MIT
// Strided iteration for N operands on the device: the dims are coalesced on the host exactly as
// the CPU kernels do (core/strided.h), so both backends agree on what a view is, and each thread
// turns a linear index into one offset per operand (broadcast operands have stride 0).
#pragma once
#include <initializer_list>

#include "../core/strided.h"
#include "common.cuh"

namespace lcss {
namespace cu {

template <int N>
struct Iter {
  int ndim;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];

  __device__ __forceinline__ void offsets(int64_t i, int64_t (&off)[N]) const {
    if (ndim == 1) {  // contiguous or one coalesced dim: no division
      for (int k = 0; k < N; ++k) off[k] = i * strides[k][0];
      return;
    }
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t s = shape[d], q = i % s;
      i /= s;
      for (int k = 0; k < N; ++k) off[k] += q * strides[k][d];
    }
  }
};

// Operand 0 defines the shape (all operands have it; broadcasting is stride 0). `total` gets the
// number of elements.
template <int N>
Iter<N> make_iter(const View* const ops[N], int64_t* total) {
  Coalesced<N> c = coalesce<N>(ops);
  Iter<N> it{};
  it.ndim = c.ndim;
  int64_t n = 1;
  for (int d = 0; d < c.ndim; ++d) {
    it.shape[d] = c.shape[d];
    n *= c.shape[d];
    for (int k = 0; k < N; ++k) it.strides[k][d] = c.strides[k][d];
  }
  *total = n;
  return it;
}

// The device every CUDA view of one call lives on (they must agree); throws naming the op.
inline int device_of(const char* op, std::initializer_list<const View*> vs) {
  int dev = -1;
  for (const View* v : vs) {
    LCSS_CHECK(v->cuda, "%s: an operand is on the cpu while the others are on cuda", op);
    if (dev < 0) dev = v->device_index;
    LCSS_CHECK(v->device_index == dev, "%s: operands are on cuda:%d and cuda:%d", op, dev, v->device_index);
  }
  return dev;
}

inline void check_same_shape(const char* op, const View& a, const View& b) {
  bool ok = a.ndim == b.ndim;
  for (int d = 0; ok && d < a.ndim; ++d) ok = a.shape[d] == b.shape[d];
  LCSS_CHECK(ok, "%s: operand shapes differ (%d and %d dims)", op, a.ndim, b.ndim);
}

}  // namespace cu
}  // namespace lcss
