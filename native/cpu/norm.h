// SPDX-License-Identifier: MIT
// Fused normalisation kernels. GroupNorm over x[N, C, HW] (contiguous) with optional per-channel
// affine and an optional SiLU fused after it; LayerNorm over the last D elements of x[R, D].
// Statistics are two-pass in double (exact for float32 inputs), saved as mean and 1/std per group.
#pragma once
#include <cstdint>

#include "../core/dtype.h"

namespace lcss {

void groupnorm_forward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu,
                       const void* x, const void* gamma, const void* beta, void* y, void* mean, void* rstd);

// gx overwritten; ggamma/gbeta (optional, [C]) overwritten.
void groupnorm_backward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy,
                        const void* x, const void* mean, const void* rstd, const void* gamma, const void* beta,
                        void* gx, void* ggamma, void* gbeta);

void layernorm_forward(DType t, int64_t R, int64_t D, double eps, const void* x, const void* w, const void* b,
                       void* y, void* mean, void* rstd);
void layernorm_backward(DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mean,
                        const void* rstd, const void* w, void* gx, void* gw, void* gb);

}  // namespace lcss
