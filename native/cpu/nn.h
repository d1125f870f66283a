// SPDX-License-Identifier: MIT
// Softmax, pooling, resampling, indexing and optimiser kernels (contiguous operands).
#pragma once
#include <cstdint>

#include "../contract/shapes.h"
#include "../core/dtype.h"

namespace lcss {

// Softmax over the middle dim of x[outer, D, inner]; log_softmax when `log`.
void softmax_forward(DType t, int64_t outer, int64_t D, int64_t inner, bool log, const void* x, void* y);
// gx from y and gy (softmax: y*(gy - sum(gy*y)); log: gy - exp(y)*sum(gy)).
void softmax_backward(DType t, int64_t outer, int64_t D, int64_t inner, bool log, const void* y, const void* gy, void* gx);

void avgpool2d_forward(DType t, const PoolShape& s, bool count_include_pad, const void* x, void* y);
void avgpool2d_backward(DType t, const PoolShape& s, bool count_include_pad, const void* gy, void* gx);
// idx: int32 position h*W + w of the maximum inside each input plane
void maxpool2d_forward(DType t, const PoolShape& s, const void* x, void* y, int32_t* idx);
void maxpool2d_backward(DType t, const PoolShape& s, const void* gy, const int32_t* idx, void* gx);
// nearest-neighbour upsampling by integer factors
void upsample_nearest_forward(DType t, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const void* x, void* y);
void upsample_nearest_backward(DType t, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const void* gy, void* gx);

// y[outer, M, inner] = x[outer, D, inner][:, idx, :]
void index_select(DType t, int64_t outer, int64_t D, int64_t inner, const void* x, const int32_t* idx, int64_t M, void* y);
// y[outer, D, inner][:, idx, :] += src[outer, M, inner]
void index_add(DType t, int64_t outer, int64_t D, int64_t inner, void* y, const int32_t* idx, int64_t M, const void* src);
// y[o, i, j] = x[o, idx[o, i, j], j] with x[outer, D, inner], idx/y[outer, M, inner]
void gather(DType t, int64_t outer, int64_t D, int64_t inner, const void* x, const int32_t* idx, int64_t M, void* y);
// y[o, idx[o, i, j], j] += src[o, i, j]
void scatter_add(DType t, int64_t outer, int64_t D, int64_t inner, void* y, const int32_t* idx, int64_t M, const void* src);

// Fused attention O = softmax(Q K^T * scale) V over batches: q [B, Lq, D], k [B, Lk, D],
// v [B, Lk, Dv] and the output gradient go [B, Lq, Dv] at any strides (batch, row, column: a
// channel-first [B, C, L] tensor is read as [B, L, C] without a copy); o [B, Lq, Dv],
// lse [B, Lq] (per-row logsumexp of the scaled scores, saved for the backward), gq, gk, gv
// contiguous. The backward overwrites gq, gk, gv.
void attention_forward(DType t, const AttnShape& s, const void* q, const void* k, const void* v, void* o, void* lse);
void attention_backward(DType t, const AttnShape& s, const void* q, const void* k, const void* v, const void* lse,
                        const void* go, void* gq, void* gk, void* gv);

// Fused Adam(W) step over one contiguous parameter: p, m, v updated in place from g.
// bc1 = 1 - beta1^t, bc2 = 1 - beta2^t; decoupled weight decay when adamw, else L2 added to g.
void adam_step(DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double beta1, double beta2,
               double eps, double weight_decay, double bc1, double bc2, bool adamw);

}  // namespace lcss
