// SPDX-License-Identifier: MIT
// Indexing kernels (index_select, index_add, gather, scatter_add; native/cpu/nn.h) and the fused
// Adam step. An index out of range is never followed: the thread records it in the device's error
// record (the first one wins) and skips the element; the op's error is raised at the next
// synchronisation. The accumulating ops use atomics, so float sums over repeated indices may
// round differently from run to run (int32 sums are exact).
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "common.cuh"
#include "ops.cuh"

namespace lcss {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ void report(cu::DevError* err, int op, int64_t i, int64_t D) {
  if (atomicCAS(&err->code, 0, 1) == 0) {
    err->op = op;
    err->index = (long long)i;
    err->size = (long long)D;
  }
}

// b is [outer, M, inner]; a is [outer, D, inner]; idx is [M] (kinds 0, 1) or like b (2, 3).
template <typename T>
__global__ void __launch_bounds__(kThreads) k_index(int kind, int64_t outer, int64_t D, int64_t inner, int64_t M, T* a,
                                                    const int32_t* idx, T* b, cu::DevError* err) {
  const int64_t n = outer * M * inner;
  for (int64_t l = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; l < n; l += int64_t(gridDim.x) * blockDim.x) {
    const int64_t j = l % inner, om = l / inner, m = om % M, o = om / M;
    const int64_t i = kind < 2 ? idx[m] : idx[l];
    if (i < 0 || i >= D) {
      report(err, cu::ERR_INDEX_SELECT + kind, i, D);  // ErrOp lists the kinds in this order
      if (kind == 0 || kind == 2) b[l] = T(0);
      continue;
    }
    T* ai = a + (o * D + i) * inner + j;
    if (kind == 0 || kind == 2) b[l] = *ai;
    else atomicAdd(ai, b[l]);
  }
}

// c1 = 1 - beta1, c2 = 1 - beta2 rounded from double, as the CPU kernel does (float(1) - float(0.999)
// is 1.3e-5 off in relative terms)
template <typename T>
__global__ void __launch_bounds__(kThreads) k_adam(int64_t n, T* p, const T* g, T* m, T* v, T step, T rbc2, T b1, T b2,
                                                   T c1, T c2, T eps, T wd, T decay, bool adamw) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    T gi = g[i];
    if (!adamw) gi += wd * p[i];
    const T mi = b1 * m[i] + c1 * gi;
    const T vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const T pi = adamw ? p[i] * decay : p[i];
    p[i] = pi - step * mi / (cu::m_sqrt(vi) * rbc2 + eps);
  }
}

}  // namespace

void cuda_index_op(int dev, DType t, int kind, int64_t outer, int64_t D, int64_t inner, int64_t M, void* a,
                   const int32_t* idx, void* b) {
  static const char* names[4] = {"index_select", "index_add", "gather", "scatter_add"};
  LCSS_CHECK(kind >= 0 && kind <= 3, "index: unknown kind %d", kind);
  const int64_t n = outer * M * inner;
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  cu::DevError* err = cu::error_record(dev);
  const unsigned g = cu::grid_for(n, kThreads, dev);
  switch (t) {
    case DType::F32:
      return cu::launch(names[kind], k_index<float>, g, kThreads, 0, s, kind, outer, D, inner, M, static_cast<float*>(a), idx, static_cast<float*>(b), err);
    case DType::F64:
      return cu::launch(names[kind], k_index<double>, g, kThreads, 0, s, kind, outer, D, inner, M, static_cast<double*>(a), idx, static_cast<double*>(b), err);
    case DType::I32:
      return cu::launch(names[kind], k_index<int32_t>, g, kThreads, 0, s, kind, outer, D, inner, M, static_cast<int32_t*>(a), idx, static_cast<int32_t*>(b), err);
    default: LCSS_CHECK(false, "%s: dtype %s not supported", names[kind], dtype_name(t));
  }
}

void cuda_adam_step(int dev, DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double b1,
                    double b2, double eps, double wd, double bc1, double bc2, bool adamw) {
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  const unsigned grid = cu::grid_for(n, kThreads, dev);
  // the CPU kernel's constants, rounded to T the same way
  if (t == DType::F32)
    return cu::launch("adam", k_adam<float>, grid, kThreads, 0, s, n, static_cast<float*>(p), static_cast<const float*>(g),
                      static_cast<float*>(m), static_cast<float*>(v), float(lr / bc1), float(1.0 / sqrt(bc2)), float(b1),
                      float(b2), float(1.0 - b1), float(1.0 - b2), float(eps), float(wd), float(1.0 - lr * wd), adamw);
  if (t == DType::F64)
    return cu::launch("adam", k_adam<double>, grid, kThreads, 0, s, n, static_cast<double*>(p), static_cast<const double*>(g),
                      static_cast<double*>(m), static_cast<double*>(v), lr / bc1, 1.0 / sqrt(bc2), b1, b2, 1.0 - b1,
                      1.0 - b2, eps, wd, 1.0 - lr * wd, adamw);
  LCSS_CHECK(false, "adam: dtype %s not supported", dtype_name(t));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
// index kinds of cuda_index_op: 0 index_select, 1 index_add, 2 gather, 3 scatter_add
LCSS_BACKEND_OP(Cuda, IndexSelect, 0) {
  cuda_index_op(a.x.device_index, a.x.dtype, 0, a.outer, a.D, a.inner, a.M, a.x.p, a.index.as<int32_t>(), a.y.p);
}
LCSS_BACKEND_OP(Cuda, IndexAdd, 0) {
  cuda_index_op(a.y.device_index, a.y.dtype, 1, a.outer, a.D, a.inner, a.M, a.y.p, a.index.as<int32_t>(), a.src.p);
}
LCSS_BACKEND_OP(Cuda, Gather, 0) {
  cuda_index_op(a.x.device_index, a.x.dtype, 2, a.outer, a.D, a.inner, a.M, a.x.p, a.index.as<int32_t>(), a.y.p);
}
LCSS_BACKEND_OP(Cuda, ScatterAdd, 0) {
  cuda_index_op(a.y.device_index, a.y.dtype, 3, a.outer, a.D, a.inner, a.M, a.y.p, a.index.as<int32_t>(), a.src.p);
}
LCSS_BACKEND_OP(Cuda, AdamStep, 0) {
  cuda_adam_step(a.p.device_index, a.p.dtype, a.n, a.p.p, a.g.p, a.m.p, a.v.p, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay,
                 a.bc1, a.bc2, a.adamw);
}

}  // namespace lcss
