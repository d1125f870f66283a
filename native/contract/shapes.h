// SPDX-License-Identifier: MIT
// Shape records the kernels of every backend take. They are built from a contract's named fields
// (contract/ops.h) once those have been checked, so a backend never sees an inconsistent shape.
#pragma once
#include <cstdint>

namespace lcss {

// 2-D convolution, NCHW, weight [O, C/groups, KH, KW].
struct ConvShape {
  int64_t N, C, H, W;     // input
  int64_t O, KH, KW;      // output channels, kernel
  int64_t OH, OW;         // output spatial size
  int64_t sh, sw, ph, pw, dh, dw, groups;
};

// What a convolution adds to its output before anyone reads it: a per-channel bias [O], a
// per-sample-and-channel term [N, O] (a U-Net's time embedding) and a residual [N, O, OH, OW].
// Each is optional (null). channel_stride: elements between samples of `channel` (O, or more when
// a kernel works on one group of channels at a time); residual has the output's layout.
template <typename T>
struct ConvEpilogue {
  const T* bias = nullptr;
  const T* channel = nullptr;
  int64_t channel_stride = 0;
  const T* residual = nullptr;
};

struct PoolShape {
  int64_t N, C, H, W, OH, OW, kh, kw, sh, sw, ph, pw;
  int64_t dh, dw;   // dilation (max pooling; 1 for average pooling)
  int64_t divisor;  // average pooling: divide every window by this instead of its count (0: off)
};

// Fused attention O = softmax(Q K^T * scale) V over batches; strides in elements (batch, row, column).
struct AttnShape {
  int64_t B, Lq, Lk, D, Dv;
  double scale;
  int64_t qs[3], ks[3], vs[3], gos[3];
};

// The fused LCSS (Stein) loss; see cpu/stein.h for the layout of the stacked batch.
enum SteinEstimator : int { STEIN_PLAIN = 0, STEIN_CONTROL = 1, STEIN_ANTITHETIC = 2 };
struct SteinArgs {
  int64_t B, D, K;
  int estimator;
  bool norm_perturbed;  // 1/2 |s|^2 taken at the perturbed rows (mean over k) instead of the centre
  double gamma;
  uint64_t seed, offset;
  // The noise block is drawn for rows_total rows and this batch is rows [row_offset, row_offset + B)
  // of it: a rank of a data-parallel job draws exactly its shard of the noise one process would
  // draw for the whole batch. (0, B) for a batch of its own.
  int64_t row_offset, rows_total;
};
inline int64_t stein_rows(const SteinArgs& a) {
  return a.B * (1 + (a.estimator == STEIN_ANTITHETIC ? 2 : 1) * a.K);
}

// Batched strided GEMM: C[b] = alpha A[b] B[b] + beta C[b] (see cpu/gemm.h).
struct GemmArgs {
  int64_t batch, M, N, K;
  const void* A; int64_t a_bs, a_rs, a_cs;
  const void* B; int64_t b_bs, b_rs, b_cs;
  void* C; int64_t c_bs, c_rs;
  double alpha, beta;
};

}  // namespace lcss
