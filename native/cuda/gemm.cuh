// SPDX-License-Identifier: MIT
// The tiled shared-memory GEMM every product of the backend runs on: C[z] = A[z] (M x K) * B[z]
// (K x N) for z < Z, where A and B are read through loader functors and C written through a store
// functor. Dense matmul and the three implicit-GEMM convolutions (native/cuda/conv.cu) differ only
// in those functors: an im2col matrix is never materialised.
//  - a block of 256 threads computes a BM x BN tile; thread (tx, ty) of the 16x16 grid owns the
//    elements (ty + 16i, tx + 16j), so shared-memory reads and global stores are conflict-free and
//    coalesced along N;
//  - K is walked in BK slices staged in shared memory (padded by one element so column-order
//    staging does not conflict either); accumulation is in T (float32 stays float32, like the CPU
//    GEMM), with fused multiply-adds;
//  - split-K when the tiles alone cannot fill the device (the convolution weight gradient: small
//    M x N, K = N*OH*OW): each split writes a partial tile to scratch, and a second kernel adds the
//    splits in a fixed order (deterministic, no atomics) and applies the store functor.
#pragma once
#include <algorithm>

#include "common.cuh"

namespace lcss {
namespace cu {

// n / d and n % d for n < 2^31 by a multiply-high and a shift (Granlund-Montgomery, as in PyTorch's
// IntDivider): the index decompositions of the convolution loaders run once per staged element.
struct FastDiv {
  uint32_t d = 1, m = 1, s = 0;
  FastDiv() = default;
  explicit FastDiv(uint32_t dd) : d(dd) {
    s = 0;
    while (s < 31 && (1u << s) < d) ++s;
    const uint64_t one = 1;
    m = uint32_t(((one << 32) * ((one << s) - d)) / d + 1);
  }
  __device__ __forceinline__ uint32_t div(uint32_t n) const { return (__umulhi(n, m) + n) >> s; }
  __device__ __forceinline__ uint32_t mod(uint32_t n) const { return n - div(n) * d; }
};

template <int BM_, int BN_, int BK_>
struct Tile {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = BM_ / 16, TN = BN_ / 16, THREADS = 256;
  static constexpr int LDA = BM_ + 1, LDB = BN_ + 1;  // shared-memory row lengths (padded)
};
using TileS = Tile<64, 64, 16>;
using TileL = Tile<128, 128, 8>;

// Dense operand with arbitrary strides: element (r, c) of matrix z is p[z*bs + r*rs + c*cs], where
// r is the row of the staged tile (m for A, k for B) ... see stage(). `trans` selects which index
// of the staged tile is the fast one: the one with unit stride in memory, for coalescing.
template <typename T>
struct Dense {
  const T* p;
  int64_t bs, rs, cs;  // batch, row and column strides (elements)
  int64_t rows, cols;  // bounds of (row, col)
  template <typename F>
  void each_ptr(F&& f) const { f(p); }
};

// Stages the S x BK slice [s0, s0+S) x [k0, k0+BK) of a loader into smem[kk * ld + ss] (zeros outside
// the bounds). A dense A (rows m, cols k) and a dense B (rows k, cols n) both go through here.
template <typename T, int S, int BK, int LD>
__device__ __forceinline__ void stage_dense_a(const Dense<T>& a, int64_t z, int64_t s0, int64_t k0, int64_t kend, T* sm) {
  const T* base = a.p + z * a.bs;
  const int tid = int(threadIdx.x);
  if (a.cs == 1) {  // k contiguous: consecutive threads take consecutive k
    for (int e = tid; e < S * BK; e += 256) {
      const int kk = e % BK, ss = e / BK;
      const int64_t r = s0 + ss, k = k0 + kk;
      sm[kk * LD + ss] = (r < a.rows && k < kend) ? base[r * a.rs + k] : T(0);
    }
  } else {
    for (int e = tid; e < S * BK; e += 256) {
      const int ss = e % S, kk = e / S;
      const int64_t r = s0 + ss, k = k0 + kk;
      sm[kk * LD + ss] = (r < a.rows && k < kend) ? base[r * a.rs + k * a.cs] : T(0);
    }
  }
}

template <typename T, int S, int BK, int LD>
__device__ __forceinline__ void stage_dense_b(const Dense<T>& b, int64_t z, int64_t s0, int64_t k0, int64_t kend, T* sm) {
  const T* base = b.p + z * b.bs;
  const int tid = int(threadIdx.x);
  if (b.cs == 1 || b.rs != 1) {  // n contiguous (or neither): consecutive threads take consecutive n
    for (int e = tid; e < S * BK; e += 256) {
      const int ss = e % S, kk = e / S;
      const int64_t c = s0 + ss, k = k0 + kk;
      sm[kk * LD + ss] = (c < b.cols && k < kend) ? base[k * b.rs + c * b.cs] : T(0);
    }
  } else {  // k contiguous (a transposed operand)
    for (int e = tid; e < S * BK; e += 256) {
      const int kk = e % BK, ss = e / BK;
      const int64_t c = s0 + ss, k = k0 + kk;
      sm[kk * LD + ss] = (c < b.cols && k < kend) ? base[k + c * b.cs] : T(0);
    }
  }
}

// Loader policies: LA::stage<T, BM, BK, LDA>(z, m0, k0, kend, smem) and LB likewise with BN, LDB.
template <typename T>
struct DenseA {
  Dense<T> d;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t z, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    stage_dense_a<T, S, BK, LD>(d, z, s0, k0, kend, sm);
  }
  template <typename F>
  void each_ptr(F&& f) const { f(d.p); }
};
template <typename T>
struct DenseB {
  Dense<T> d;
  template <int S, int BK, int LD>
  __device__ __forceinline__ void stage(int64_t z, int64_t s0, int64_t k0, int64_t kend, T* sm) const {
    stage_dense_b<T, S, BK, LD>(d, z, s0, k0, kend, sm);
  }
  template <typename F>
  void each_ptr(F&& f) const { f(d.p); }
};

// Partial tiles of split-K: ws[((split * Z + z) * M + m) * N + n].
template <typename T>
struct PartialStore {
  T* ws;
  int64_t Z, M, N;
  __device__ __forceinline__ void store(int64_t z, int split, int64_t m, int64_t n, T v) const {
    ws[((int64_t(split) * Z + z) * M + m) * N + n] = v;
  }
  template <typename F>
  void each_ptr(F&& f) const { f(ws); }
};

template <typename Cfg, typename T, typename LA, typename LB, typename SC>
__global__ void __launch_bounds__(256) k_gemm(int64_t M, int64_t N, int64_t K, int64_t kchunk, int splits, int64_t z0,
                                              int64_t tiles_n, LA la, LB lb, SC sc) {
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
  __shared__ T As[BK * Cfg::LDA];
  __shared__ T Bs[BK * Cfg::LDB];
  const int64_t z = z0 + blockIdx.y / unsigned(splits);
  const int split = int(blockIdx.y % unsigned(splits));
  const int64_t m0 = int64_t(blockIdx.x / tiles_n) * BM, n0 = int64_t(blockIdx.x % tiles_n) * BN;
  const int64_t kbeg = int64_t(split) * kchunk, kend = kbeg + kchunk < K ? kbeg + kchunk : K;
  const int tx = int(threadIdx.x) & 15, ty = int(threadIdx.x) >> 4;
  T acc[TM][TN];
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);
  for (int64_t k0 = kbeg; k0 < kend; k0 += BK) {
    la.template stage<BM, BK, Cfg::LDA>(z, m0, k0, kend, As);
    lb.template stage<BN, BK, Cfg::LDB>(z, n0, k0, kend, Bs);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      T a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = As[kk * Cfg::LDA + ty + 16 * i];
#pragma unroll
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk * Cfg::LDB + tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
  for (int i = 0; i < TM; ++i) {
    const int64_t m = m0 + ty + 16 * i;
    if (m >= M) continue;
    for (int j = 0; j < TN; ++j) {
      const int64_t n = n0 + tx + 16 * j;
      if (n < N) sc.store(z, split, m, n, acc[i][j]);
    }
  }
}

// Sums the splits in order and stores through the real store functor.
template <typename T, typename SC>
__global__ void __launch_bounds__(256) k_split_sum(const T* ws, int splits, int64_t Z, int64_t M, int64_t N, SC sc) {
  const int64_t total = Z * M * N;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    T s = ws[i];
    for (int k = 1; k < splits; ++k) s += ws[int64_t(k) * total + i];
    const int64_t n = i % N, zm = i / N;
    sc.store(zm / M, 0, zm % M, n, s);
  }
}

}  // namespace cu
}  // namespace lcss
