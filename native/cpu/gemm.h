// SPDX-License-Identifier: MIT
// Batched strided GEMM: for every batch b,
//   C[b] (M x N, row stride c_rs, unit column stride) = alpha * A[b] (M x K) * B[b] (K x N) + beta * C[b]
// A and B take any row/column strides (transposes are strides), batch strides may be 0 (broadcast).
// beta == 0 never reads C (so uninitialised output is fine).
#pragma once
#include <cstdint>

#include "../core/dtype.h"

namespace lcss {

struct GemmArgs {
  int64_t batch, M, N, K;
  const void* A; int64_t a_bs, a_rs, a_cs;
  const void* B; int64_t b_bs, b_rs, b_cs;
  void* C; int64_t c_bs, c_rs;
  double alpha, beta;
};

void gemm(DType dtype, const GemmArgs& g);

// Reference triple loop in double, for tests and for the kernel harness.
void gemm_reference(DType dtype, const GemmArgs& g);

}  // namespace lcss
