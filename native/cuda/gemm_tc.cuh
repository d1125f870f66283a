// SPDX-License-Identifier: MIT
// The tensor-core variant of gemm.cuh's kernel for float32 products: TF32 inputs (10-bit mantissa,
// rounded to nearest), float32 accumulation, WMMA m16n16k8 (sm_80+). Opt-in (cuda.setMatmulPrecision
// ('tf32'), like torch's "high" float32 matmul precision): strict float32 stays the default so
// CUDA results match the CPU backend's. Same loaders, store functors and split-K as the SIMT
// kernel, so dense GEMM and the three implicit-GEMM convolutions all take it.
// Block tile 64 x 64 x 16 staged as in gemm.cuh (As[k][m] is the A tile column-major, Bs[k][n] the B
// tile row-major, rows padded to 68 floats: WMMA needs ldm % 4 == 0 and 32-byte aligned tiles); 8
// warps in a 2 x 4 grid, each owning a 32 x 16 strip as two 16 x 16 accumulators, which go through a
// per-warp 16 x 16 scratch to the store functor (fragment layouts are opaque).
#pragma once
#ifndef LCSS_CUDA_EMU
#include <mma.h>
#endif

#include "gemm.cuh"

namespace lcss {
namespace cu {

using TileTC = Tile<64, 64, 16>;
constexpr int kLdTC = 68;

namespace {
// Compiled like the TF32 kernel: its PTX version says which of k_gemm_tf32's branches the running
// code came from. A device newer than every real target (say Blackwell) runs PTX JIT-compiled at
// load: that must be compute_80+ PTX, or the kernel below would be its empty pre-sm_80 branch.
__global__ void k_tc_probe() {}
}  // namespace

// TF32 tensor cores can run on `device`: sm_80+ and code built for it (cached per device).
inline bool tc_available(int device) {
  static signed char known[64] = {};  // 0 unknown, 1 yes, -1 no
  if (device < 0 || device >= 64) return false;
  if (!known[device]) {
    bool ok = cc_major(device) >= 8;
    if (ok) {
      set_device(device);
      cudaFuncAttributes a{};
      ok = cudaFuncGetAttributes(&a, k_tc_probe) == cudaSuccess && a.ptxVersion >= 80;
      cudaGetLastError();
    }
    known[device] = ok ? 1 : -1;
  }
  return known[device] > 0;
}

template <typename LA, typename LB, typename SC>
__global__ void __launch_bounds__(256) k_gemm_tf32(int64_t M, int64_t N, int64_t K, int64_t kchunk, int splits,
                                                   int64_t z0, int64_t tiles_n, LA la, LB lb, SC sc) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  // no TF32 tensor cores below sm_80: the host never launches this there
#else
  namespace wmma = nvcuda::wmma;
  constexpr int BM = TileTC::BM, BN = TileTC::BN, BK = TileTC::BK;
  __shared__ __align__(32) float As[BK * kLdTC];
  __shared__ __align__(32) float Bs[BK * kLdTC];
  __shared__ __align__(32) float Cw[8 * 16 * 16];
  const int64_t z = z0 + blockIdx.y / unsigned(splits);
  const int split = int(blockIdx.y % unsigned(splits));
  const int64_t m0 = int64_t(blockIdx.x / tiles_n) * BM, n0 = int64_t(blockIdx.x % tiles_n) * BN;
  const int64_t kbeg = int64_t(split) * kchunk, kend = kbeg + kchunk < K ? kbeg + kchunk : K;
  const int warp = int(threadIdx.x) >> 5, lane = int(threadIdx.x) & 31;
  const int wm = (warp >> 2) * 32, wn = (warp & 3) * 16;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2];
  wmma::fill_fragment(acc[0], 0.0f);
  wmma::fill_fragment(acc[1], 0.0f);
  for (int64_t k0 = kbeg; k0 < kend; k0 += BK) {
    la.template stage<BM, BK, kLdTC>(z, m0, k0, kend, As);
    lb.template stage<BN, BK, kLdTC>(z, n0, k0, kend, Bs);
    __syncthreads();
    for (int kk = 0; kk < BK; kk += 8) {
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
      wmma::load_matrix_sync(b, Bs + kk * kLdTC + wn, kLdTC);
      for (int t = 0; t < b.num_elements; ++t) b.x[t] = wmma::__float_to_tf32(b.x[t]);
      for (int f = 0; f < 2; ++f) {
        wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a;
        wmma::load_matrix_sync(a, As + kk * kLdTC + wm + 16 * f, kLdTC);
        for (int t = 0; t < a.num_elements; ++t) a.x[t] = wmma::__float_to_tf32(a.x[t]);
        wmma::mma_sync(acc[f], a, b, acc[f]);
      }
    }
    __syncthreads();
  }
  float* cw = Cw + warp * 256;
  for (int f = 0; f < 2; ++f) {
    wmma::store_matrix_sync(cw, acc[f], 16, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
      const int64_t m = m0 + wm + 16 * f + (e >> 4), n = n0 + wn + (e & 15);
      if (m < M && n < N) sc.store(z, split, m, n, cw[e]);
    }
    __syncwarp();  // every lane has read before the next accumulator is stored over it
  }
#endif
}

}  // namespace cu
}  // namespace lcss
