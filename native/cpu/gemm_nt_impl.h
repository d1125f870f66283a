// SPDX-License-Identifier: MIT
// P (double, M x N) (+)= A (M x K) * B (N x K)^T for row-major A and B with contiguous K, without
// packing: a dot-product register kernel of RA x RB accumulators, each a vector over K, reduced at
// the end by a shuffle tree (W accumulators -> one vector of W totals in 3 (W - 1) operations).
// It suits long K and operands that would otherwise need transposing packs (the Winograd weight
// gradient reduces over tiles). Compiled once per ISA; K must be a multiple of the vector width
// (callers zero-pad).
#pragma once
#include <cstdint>

#include "simd.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace nt {

using simd::vec;

template <typename T, int s>
inline simd::ivec<T> mask_lo() {
  simd::ivec<T> m;
  for (int l = 0; l < simd::V<T>::W; ++l) m[l] = (l & s) ? simd::V<T>::W + (l ^ s) : l;
  return m;
}
template <typename T, int s>
inline simd::ivec<T> mask_hi() {
  simd::ivec<T> m;
  for (int l = 0; l < simd::V<T>::W; ++l) m[l] = (l & s) ? simd::V<T>::W + l : (l ^ s);
  return m;
}

// r[0..W) -> r[0] with lane l = sum of the lanes of r[l]. Stage s (W/2, ..., 1) pairs r[i] and
// r[i + s] for i < s: the pair's lanes are exchanged by halves and added, so each surviving vector
// holds the partial sums of twice as many accumulators in half as many lanes each.
template <typename T, int s>
inline void fold(vec<T>* r) {
  for (int i = 0; i < s; ++i) {
    vec<T> x = r[i], y = r[i + s];
    r[i] = __builtin_shuffle(x, y, mask_lo<T, s>()) + __builtin_shuffle(x, y, mask_hi<T, s>());
  }
}

template <typename T>
inline vec<T> reduce_all(vec<T>* r) {
  constexpr int W = simd::V<T>::W;
  if constexpr (W >= 16) fold<T, 8>(r);
  if constexpr (W >= 8) fold<T, 4>(r);
  if constexpr (W >= 4) fold<T, 2>(r);
  fold<T, 1>(r);
  return r[0];
}

// Register block sizes: RA * RB = W accumulators (so one reduction tree serves the block).
template <typename T>
struct Blk {
  static constexpr int W = simd::V<T>::W;
  static constexpr int RA = W >= 8 ? 4 : 2;
  static constexpr int RB = W / RA;
};

// noinline: inlined into the Winograd weight-gradient loop, GCC spilled the 16 accumulators to
// the stack (FMAs on memory operands, ~half speed); as its own function they stay in registers.
template <typename T, int RA, int RB>
__attribute__((noinline)) void block(const T* A, int64_t lda, const T* B, int64_t ldb, int64_t K, double* P, int64_t ldp, bool first) {
  constexpr int W = simd::V<T>::W;
  vec<T> acc[W];
  for (int i = 0; i < W; ++i) acc[i] = vec<T>{};
  for (int64_t k = 0; k < K; k += W) {
    vec<T> a[RA], b[RB];
    for (int i = 0; i < RA; ++i) a[i] = simd::load(A + i * lda + k);
    for (int j = 0; j < RB; ++j) b[j] = simd::load(B + j * ldb + k);
    // Keeps each row in a register: otherwise GCC folds the loads into the FMAs, loading every
    // A row RB times, and the loop runs at half the FMA rate (measured: 55 vs 103 GFLOP/s).
    for (int i = 0; i < RA; ++i) asm volatile("" : "+v"(a[i]));
    for (int i = 0; i < RA; ++i)
      for (int j = 0; j < RB; ++j) acc[i * RB + j] += a[i] * b[j];
  }
  vec<T> tot = reduce_all<T>(acc);
  for (int i = 0; i < RA; ++i)
    for (int j = 0; j < RB; ++j) {
      double& p = P[i * ldp + j];
      p = (first ? 0.0 : p) + double(tot[i * RB + j]);
    }
}

// Edge blocks (fewer than RA rows or RB columns): one accumulator at a time, plain reduction.
template <typename T>
inline void edge(const T* A, int64_t lda, const T* B, int64_t ldb, int64_t K, double* P, int64_t ldp, int64_t ma,
                 int64_t nb, bool first) {
  for (int64_t i = 0; i < ma; ++i)
    for (int64_t j = 0; j < nb; ++j) {
      vec<T> acc{};
      for (int64_t k = 0; k < K; k += simd::V<T>::W) acc += simd::load(A + i * lda + k) * simd::load(B + j * ldb + k);
      double& p = P[i * ldp + j];
      p = (first ? 0.0 : p) + simd::hsum<T>(acc);
    }
}

template <typename T>
void gemm_nt(int64_t M, int64_t N, int64_t K, const T* A, int64_t lda, const T* B, int64_t ldb, double* P, int64_t ldp,
             bool first) {
  constexpr int RA = Blk<T>::RA, RB = Blk<T>::RB;
  for (int64_t i = 0; i < M; i += RA) {
    const int64_t ma = M - i < RA ? M - i : RA;
    for (int64_t j = 0; j < N; j += RB) {
      const int64_t nb = N - j < RB ? N - j : RB;
      if (ma == RA && nb == RB)
        block<T, RA, RB>(A + i * lda, lda, B + j * ldb, ldb, K, P + i * ldp + j, ldp, first);
      else
        edge<T>(A + i * lda, lda, B + j * ldb, ldb, K, P + i * ldp + j, ldp, ma, nb, first);
    }
  }
}

}  // namespace nt
}  // namespace LCSS_ISA_NS
}  // namespace lcss
