// SPDX-License-Identifier: MIT
// One launcher per kernel family of the CUDA backend. Each runs on the current stream of `device`
// and throws lcss::Error (naming the op and the CUDA status) on failure. cuda/backend.cu adapts
// the contracts of contract/ops.h to these; nothing outside cuda/ calls them.
#pragma once
#include <cstdint>

#include "../core/view.h"
#include "../contract/shapes.h"

namespace lcss {

void cuda_unary(int op, const View& y, const View& x, double p1, double p2);
void cuda_binary(int op, const View& y, const View& a, const View& b, double p1, double p2);
void cuda_where(const View& y, const View& c, const View& a, const View& b);
void cuda_copy(const View& y, const View& x);  // either side may be on the host
void cuda_fill(const View& y, double v);
void cuda_reduce(int op, const View& y, const View& x, int nkeep);
void cuda_random_fill(int kind, const View& y, uint64_t seed, uint64_t offset, double a, double b);
void cuda_gemm(int device, DType t, const GemmArgs& g);
// y = conv(x, w) + b[O] + channel[N, O] + residual[N, O, OH, OW] (each term optional)
void cuda_conv2d_forward(int device, DType t, const ConvShape& s, const void* x, const void* w, const void* b,
                         const void* channel, const void* residual, void* y);
void cuda_conv2d_backward_input(int device, DType t, const ConvShape& s, const void* gy, const void* w, void* gx);
void cuda_conv2d_backward_weight(int device, DType t, const ConvShape& s, const void* x, const void* gy, void* gw);
void cuda_groupnorm_forward(int device, DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu,
                            const void* x, const void* gamma, const void* beta, void* y, void* mean, void* rstd);
void cuda_groupnorm_backward(int device, DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy,
                             const void* x, const void* mean, const void* rstd, const void* gamma, const void* beta,
                             void* gx, void* ggamma, void* gbeta);
void cuda_layernorm_forward(int device, DType t, int64_t R, int64_t D, double eps, const void* x, const void* w,
                            const void* b, void* y, void* mean, void* rstd);
void cuda_layernorm_backward(int device, DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mean,
                             const void* rstd, const void* w, void* gx, void* gw, void* gb);
void cuda_softmax_forward(int device, DType t, int64_t outer, int64_t D, int64_t inner, bool log, const void* x, void* y);
void cuda_softmax_backward(int device, DType t, int64_t outer, int64_t D, int64_t inner, bool log, const void* y,
                           const void* gy, void* gx);
void cuda_pool2d(int device, DType t, int kind, const PoolShape& s, bool flag, const void* in, void* out, int32_t* idx);
void cuda_upsample_nearest(int device, DType t, bool backward, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw,
                           const void* in, void* out);
void cuda_index_op(int device, DType t, int kind, int64_t outer, int64_t D, int64_t inner, int64_t M, void* a,
                   const int32_t* idx, void* b);
void cuda_stein(int device, DType t, int kind, const SteinArgs& a, const void* sigma, const void* p0, void* p1, void* p2);
void cuda_adam_step(int device, DType t, int64_t n, void* p, const void* g, void* m, void* v, double lr, double b1,
                    double b2, double eps, double wd, double bc1, double bc2, bool adamw);

}  // namespace lcss
