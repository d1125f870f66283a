// SPDX-License-Identifier: MIT
// Batched strided GEMM (native/cpu/gemm.h contract): any row/column strides for A and B (transposes
// are strides), batch strides that may be 0, C with unit column stride; beta == 0 never reads C.
#include "../contract/backend.h"
#include "../contract/shapes.h"
#include "gemm_run.cuh"

namespace lcss {
namespace cu {
bool cublas_gemm(int device, DType t, const GemmArgs& g);  // cublas.cu: false when not enabled or not expressible
}
namespace {

template <typename T>
struct DenseStore {
  T* c;
  int64_t bs, rs;
  T alpha, beta;
  __device__ __forceinline__ void store(int64_t z, int, int64_t m, int64_t n, T v) const {
    T* p = c + z * bs + m * rs + n;
    *p = beta == T(0) ? alpha * v : alpha * v + beta * *p;
  }
  template <typename F>
  void each_ptr(F&& f) const { f(c); }
};

template <typename T>
void gemm_t(int dev, const GemmArgs& g) {
  cu::DenseA<T> a{{static_cast<const T*>(g.A), g.a_bs, g.a_rs, g.a_cs, g.M, g.K}};
  cu::DenseB<T> b{{static_cast<const T*>(g.B), g.b_bs, g.b_rs, g.b_cs, g.K, g.N}};
  DenseStore<T> c{static_cast<T*>(g.C), g.c_bs, g.c_rs, T(g.alpha), T(g.beta)};
  cu::run_gemm<T>("matmul", dev, g.M, g.N, g.K, g.batch, a, b, c);
}

}  // namespace

void cuda_gemm(int dev, DType t, const GemmArgs& g) {
  LCSS_CHECK(g.M >= 0 && g.N >= 0 && g.K >= 0 && g.batch >= 0, "gemm: negative size");
  if (cu::cublas_gemm(dev, t, g)) return;
  if (t == DType::F32) return gemm_t<float>(dev, g);
  if (t == DType::F64) return gemm_t<double>(dev, g);
  LCSS_CHECK(false, "gemm: dtype %s is not supported (float32 or float64 expected)", dtype_name(t));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, Gemm, 0) { cuda_gemm(a.a.device_index, a.a.dtype, gemm_args(a)); }

}  // namespace lcss
