// SPDX-License-Identifier: MIT
// Random fills from the Philox stream keyed by (seed, offset); element i of a draw uses counter
// block offset + i/4, lane i%4 (see core/philox.h). Normals: Box-Muller on lane pairs (0,1),(2,3).
// float32 normals use vectorisable polynomial log/sincos (<= 2 ulp from the float64 formula);
// float64 normals use the C library. The CUDA kernels use the same functions, so both devices give
// the same draws to within float rounding.
#pragma once
#include <cstdint>

#include "../contract/op_codes.h"
#include "../core/view.h"

namespace lcss {

// y contiguous. uniform: [a, b); normal: mean a, std b; bernoulli: P(1) = a (float or bool y);
// randint: integers in [a, b) (int32 y).
void random_fill(int kind, const View& y, uint64_t seed, uint64_t offset, double a, double b);

// n normals of a draw, starting at element `first`, into out (the building block of the fused
// kernels that regenerate their noise).
void normal_f32(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, float* out);
void normal_f64(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out);

}  // namespace lcss
