// SPDX-License-Identifier: MIT
// 2-D convolution (NCHW, weight [O, C/groups, KH, KW]) as im2col + packed GEMM, with a direct
// path for 1x1 stride-1 unpadded convolutions (the input already is the column matrix) and
// Winograd F(4x4, 3x3) for float32 3x3 stride-1 convolutions (conv_winograd_impl.h).
// Transposed convolution is the input-gradient of convolution, so it reuses conv2d_backward_input.
#pragma once
#include <cstdint>

#include "../contract/shapes.h"
#include "../core/dtype.h"

namespace lcss {


// y[N,O,OH,OW] = conv(x, w) (+ bias[O] if bias != nullptr). All contiguous.
void conv2d_forward(DType t, const ConvShape& s, const void* x, const void* w, const void* bias, void* y);
// y = conv(x, w) + bias[O] + channel[N, O] + residual[N, O, OH, OW], each term optional.
void conv2d_forward_epilogue(const ConvShape& s, const float* x, const float* w, const ConvEpilogue<float>& ep, float* y);
void conv2d_forward_epilogue(const ConvShape& s, const double* x, const double* w, const ConvEpilogue<double>& ep, double* y);
// gx[N,C,H,W] = conv2d^T(gy, w)  (overwrites gx)
void conv2d_backward_input(DType t, const ConvShape& s, const void* gy, const void* w, void* gx);
// gw[O,C/g,KH,KW] = sum_n gy_n * im2col(x_n)^T  (overwrites gw)
void conv2d_backward_weight(DType t, const ConvShape& s, const void* x, const void* gy, void* gw);

// Whether float32 3x3 stride-1 convolutions use Winograd F(4x4, 3x3) (default on; the environment
// variable LCSS_CONV=direct sets the initial value to off).
void conv_set_winograd(bool on);
bool conv_winograd();

}  // namespace lcss
