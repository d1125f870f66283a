// SPDX-License-Identifier: MIT
// The table of kernels that exist once per instruction set (cpu/isa_*.cc); kernels() returns the
// best one this CPU runs (see cpu_features.h).
#pragma once
#include <cstdint>

#include "../core/view.h"
#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "nn.h"

namespace lcss {

struct NormTable {
  void (*gn_forward)(DType, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu, const void* x,
                     const void* gamma, const void* beta, void* y, void* mean, void* rstd);
  void (*gn_backward)(DType, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy, const void* x,
                      const void* mean, const void* rstd, const void* gamma, const void* beta, void* gx, void* ggamma,
                      void* gbeta);
  void (*ln_forward)(DType, int64_t R, int64_t D, double eps, const void* x, const void* w, const void* b, void* y,
                     void* mean, void* rstd);
  void (*ln_backward)(DType, int64_t R, int64_t D, const void* gy, const void* x, const void* mean, const void* rstd,
                      const void* w, void* gx, void* gw, void* gb);
};

// Winograd F(4x4, 3x3) convolution, float32 (conv_winograd_impl.h); conv.cc decides when it applies.
struct ConvTable {
  void (*winograd_forward_f32)(const ConvShape&, const float* x, const float* w, const ConvEpilogue<float>& ep, float* y);
  void (*winograd_backward_weight_f32)(const ConvShape&, const float* x, const float* gy, float* gw);
  // P (+)= A B^T, the weight gradient's GEMM (gemm_nt_impl.h); exposed for the kernel harness
  void (*gemm_nt_f32)(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                      double* P, int64_t ldp, bool first);
};

// The NN kernel families, built per ISA in their own translation unit (isa_*_nn.cc via
// isa_nn_table.h) so the ISA files compile in parallel.
struct NnTable {
  NormTable norm;
  ConvTable conv;
  void (*softmax_forward)(DType, int64_t outer, int64_t D, int64_t inner, bool log, const void* x, void* y);
  void (*softmax_backward)(DType, int64_t outer, int64_t D, int64_t inner, bool log, const void* y, const void* gy,
                           void* gx);
  void (*adam_step)(DType, int64_t n, void* p, const void* g, void* m, void* v, double lr, double beta1, double beta2,
                    double eps, double weight_decay, double bc1, double bc2, bool adamw);
  void (*attention_forward)(DType, const AttnShape&, const void* q, const void* k, const void* v, void* o, void* lse);
  void (*attention_backward)(DType, const AttnShape&, const void* q, const void* k, const void* v, const void* lse,
                             const void* go, void* gq, void* gk, void* gv);
  // sums of contiguous runs in double (the reductions' inner loop)
  double (*sum_f32)(const float* x, int64_t n);
  double (*sum_f64)(const double* x, int64_t n);
};

struct CpuKernels {
  const char* isa;
  ElementwiseTable ew;
  void (*sgemm)(const GemmArgs&);
  void (*dgemm)(const GemmArgs&);
  void (*normal_f32)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, float* out);
  void (*normal_f64)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out);
  void (*bits)(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, uint32_t* out);
  const NnTable* nn;
};

#define LCSS_DECLARE_ISA(ns)                 \
  namespace ns {                             \
  extern const CpuKernels kKernels;          \
  extern const NnTable kNn;                  \
  void sgemm(const GemmArgs&);               \
  void dgemm(const GemmArgs&);               \
  }
LCSS_DECLARE_ISA(isa_base)
LCSS_DECLARE_ISA(isa_avx2)
LCSS_DECLARE_ISA(isa_avx512)
#undef LCSS_DECLARE_ISA

const CpuKernels& kernels();

}  // namespace lcss
