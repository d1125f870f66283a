// SPDX-License-Identifier: MIT
// The host side of every product: picks the kernel (SIMT 64 x 64 or 128 x 128 tiles, or TF32
// tensor cores when enabled on an sm_80+ device), the split of K, and launches it.
#pragma once
#include "gemm_tc.cuh"

namespace lcss {
namespace cu {

// Runs C[z] = A[z] B[z] for z < Z through the functors on `device`'s stream.
enum class Kern { S, L, TC };

template <typename T, typename LA, typename LB, typename SO>
void launch_tiles(const char* op, Kern k, dim3 g, cudaStream_t s, int64_t M, int64_t N, int64_t K, int64_t kchunk,
                  int splits, int64_t z0, int64_t tiles_n, const LA& la, const LB& lb, const SO& so) {
  if constexpr (sizeof(T) == 4) {
    if (k == Kern::TC)
      return launch(op, k_gemm_tf32<LA, LB, SO>, g, 256, 0, s, M, N, K, kchunk, splits, z0, tiles_n, la, lb, so);
    if (k == Kern::L)
      return launch(op, k_gemm<TileL, T, LA, LB, SO>, g, 256, 0, s, M, N, K, kchunk, splits, z0, tiles_n, la, lb, so);
  }
  launch(op, k_gemm<TileS, T, LA, LB, SO>, g, 256, 0, s, M, N, K, kchunk, splits, z0, tiles_n, la, lb, so);
}

// Runs C[z] = A[z] B[z] for z < Z through the functors on `device`'s stream.
template <typename T, typename LA, typename LB, typename SC>
void run_gemm(const char* op, int device, int64_t M, int64_t N, int64_t K, int64_t Z, const LA& la, const LB& lb,
              const SC& sc) {
  if (M <= 0 || N <= 0 || Z <= 0) return;
  cudaStream_t s = stream(device);
  const int sms = sm_count(device);
  // TF32 tensor cores only when asked for (and present); else 128 x 128 SIMT tiles (8 x 8 per
  // thread: half the shared-memory reads per FMA of 64 x 64) for big float32 products, where split-K
  // makes up for having fewer of them. float64 keeps 64 x 64 (64 double accumulators per thread
  // would spill, and it halves the kernels nvcc has to build).
  const bool f32 = sizeof(T) == 4;
  const Kern kern = f32 && tf32_enabled() && tc_available(device) ? Kern::TC : f32 && M >= 256 && N >= 256 ? Kern::L : Kern::S;
  const int BM = kern == Kern::L ? 128 : 64, BN = BM, BK = kern == Kern::L ? 8 : 16;
  const int64_t tiles_n = ceil_div(N, BN), tiles = ceil_div(M, BM) * tiles_n;
  LCSS_CHECK(tiles < (int64_t(1) << 31), "%s: matrix too large (%lld x %lld)", op, (long long)M, (long long)N);
  int splits = 1;
  if (tiles * Z < 2 * int64_t(sms) && K >= 8 * BK) {
    const int64_t want = ceil_div(2 * int64_t(sms), tiles * Z), most = K / (4 * BK);
    splits = int(std::min<int64_t>(std::min<int64_t>(want, most), 64));
    if (splits < 1) splits = 1;
  }
  int64_t kchunk = ceil_div(ceil_div(K, splits), BK) * BK;
  if (kchunk < BK) kchunk = BK;
  if (splits > 1) splits = int(ceil_div(K, kchunk));
  // z (and splits) on grid.y, at most 65535 per launch
  const int64_t zstep = std::max<int64_t>(1, 65535 / splits);
  if (splits == 1) {
    for (int64_t z0 = 0; z0 < Z; z0 += zstep)
      launch_tiles<T>(op, kern, dim3(unsigned(tiles), unsigned(std::min(zstep, Z - z0))), s, M, N, K, kchunk, 1, z0,
                      tiles_n, la, lb, sc);
    return;
  }
  Scratch ws(device, size_t(splits) * size_t(Z * M * N) * sizeof(T));
  PartialStore<T> ps{ws.as<T>(), Z, M, N};
  for (int64_t z0 = 0; z0 < Z; z0 += zstep)
    launch_tiles<T>(op, kern, dim3(unsigned(tiles), unsigned(std::min(zstep, Z - z0) * splits)), s, M, N, K, kchunk,
                    splits, z0, tiles_n, la, lb, ps);
  launch(op, k_split_sum<T, SC>, grid_for(Z * M * N, 256, device), 256, 0, s, ws.as<T>(), splits, Z, M, N, sc);
}

}  // namespace cu
}  // namespace lcss
