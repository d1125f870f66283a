// SPDX-License-Identifier: MIT
// Batched strided GEMM: for every batch b,
//   C[b] (M x N, row stride c_rs, unit column stride) = alpha * A[b] (M x K) * B[b] (K x N) + beta * C[b]
// A and B take any row/column strides (transposes are strides), batch strides may be 0 (broadcast).
// beta == 0 never reads C (so uninitialised output is fine).
#pragma once
#include <cstdint>

#include "../contract/shapes.h"
#include "../core/dtype.h"

namespace lcss {


void gemm(DType dtype, const GemmArgs& g);

// Reference triple loop in double, for tests and for the kernel harness.
void gemm_reference(DType dtype, const GemmArgs& g);

}  // namespace lcss
