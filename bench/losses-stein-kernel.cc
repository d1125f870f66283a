// SPDX-License-Identifier: MIT
// Development harness of the Stein kernels' noise regeneration (a kernel harness, docs/STYLE.md): how long a normal value
// takes (Philox-4x32-10, then Box-Muller and the interleaved store), checked bit for bit against
// the scalar reference of core/philox.h, and how close a stein_loss-style pass (regenerate e, dot
// it with two score rows) gets to DRAM bandwidth. It includes the shipped native/cpu/random_impl.h.
// Build it once per instruction set to compare them:
//   g++ -O3 -fno-math-errno -fno-trapping-math -std=c++17 -pthread -mavx512f -mavx512dq -mavx512vl
//       -mavx512bw -mavx2 -mfma -mprefer-vector-width=512 bench/losses-stein-kernel.cc -o build-losses/sk-avx512
//   g++ -O3 -fno-math-errno -fno-trapping-math -std=c++17 -pthread -mavx2 -mfma bench/losses-stein-kernel.cc -o build-losses/sk-avx2
//   g++ -O3 -fno-math-errno -fno-trapping-math -std=c++17 -pthread bench/losses-stein-kernel.cc -o build-losses/sk-base
//   build-losses/sk-avx512 [threads 2] [log2 values 17] [nostein]
// Timings are the minimum over many short runs, so other processes on a shared machine only
// hide themselves instead of inflating the numbers.
#define LCSS_ISA_NS isa_harness
#include "../native/cpu/random_impl.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace lcss::isa_harness;
using clk = std::chrono::steady_clock;

static double secs(clk::time_point a) { return std::chrono::duration<double>(clk::now() - a).count(); }

// the stein_loss forward pattern (control estimator, K = 1, norm at the centre) over rows [b0, b1)
static double stein_pass(const float* s0, const float* s1, int64_t b0, int64_t b1, int64_t D) {
  const int64_t R = std::max<int64_t>(1, 4096 / D);
  std::vector<float> e(size_t(R * D));
  double tot = 0;
  for (int64_t c = b0; c < b1; c += R) {
    const int64_t n = std::min(R, b1 - c);
    normal_f32_impl(7, 0, uint64_t(c * D), n * D, e.data());
    for (int64_t b = c; b < c + n; ++b) {
      const float *p = s1 + b * D, *q = s0 + b * D, *eb = e.data() + (b - c) * D;
      float acc[16] = {}, nrm[16] = {};
      for (int64_t d = 0; d + 16 <= D; d += 16)
        for (int j = 0; j < 16; ++j) {
          acc[j] += eb[d + j] * (p[d + j] - q[d + j]);
          nrm[j] += q[d + j] * q[d + j];
        }
      for (int j = 0; j < 16; ++j) tot += acc[j] + nrm[j];
    }
  }
  return tot;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const uint64_t n = uint64_t(1) << (argc > 2 ? std::atoi(argv[2]) : 17);
  const bool stein = !(argc > 3 && std::string(argv[3]) == "nostein");

  // philox_batch == the scalar reference, including counters whose low word wraps
  for (uint64_t ctr : {uint64_t(0), uint64_t(12345), (uint64_t(1) << 32) - 7, (uint64_t(5) << 40) + 3}) {
    uint32_t u[4][kBlk];
    philox_batch(0x1234567890abcdefull, ctr, u);
    for (int j = 0; j < kBlk; ++j) {
      lcss::Philox4 r = lcss::philox4x32_10(0x1234567890abcdefull, ctr + uint64_t(j));
      for (int l = 0; l < 4; ++l)
        if (u[l][j] != r.v[l]) {
          std::printf("philox_batch differs from philox4x32_10 at counter %llu lane %d\n", (unsigned long long)(ctr + j), l);
          return 1;
        }
    }
  }
  // any start and length gives the same values as one long draw
  {
    std::vector<float> all(6000), part(6000);
    normal_f32_impl(9, 4, 0, 6000, all.data());
    for (uint64_t first : {1ull, 3ull, 61ull, 64ull, 1000ull})
      for (int64_t len : {1ll, 63ll, 64ll, 65ll, 4000ll}) {
        normal_f32_impl(9, 4, first, len, part.data());
        if (!std::equal(part.begin(), part.begin() + len, all.begin() + int64_t(first))) {
          std::printf("normal_f32 draw [%llu, +%lld) differs from the long draw\n", (unsigned long long)first, (long long)len);
          return 1;
        }
      }
  }

  auto best = [&](auto&& f) {
    double m = 1e30;
    for (int r = 0; r < 60; ++r) {
      auto t0 = clk::now();
      f();
      m = std::min(m, secs(t0));
    }
    return 1e9 * m / double(n);
  };
  std::vector<float> out(size_t(1) << 16);
  uint32_t sink = 0;
  const double tp = best([&] {
    uint32_t u[4][kBlk];
    for (uint64_t blk = 0; blk * 4 < n; blk += kBlk) {
      philox_batch(7, blk, u);
      for (int j = 0; j < kBlk; ++j) sink ^= u[0][j] ^ u[1][j] ^ u[2][j] ^ u[3][j];
    }
  });
  const double tn = best([&] {
    for (uint64_t i = 0; i < n; i += out.size()) normal_f32_impl(7, 0, i, int64_t(out.size()), out.data());
  });
  std::printf("1 thread, min of 60 runs of %llu values: philox_batch %.3f ns/value, normal_f32 %.3f ns/value  [%u]\n",
              (unsigned long long)n, tp, tn, sink);
  if (!stein) return 0;

  const int64_t B = 8192, D = 3072;  // 2 x 100 MB of scores: DRAM, not cache
  std::vector<float> s0(size_t(B * D), 0.5f), s1(size_t(B * D), 0.25f);
  std::vector<double> res(static_cast<size_t>(threads), 0.0);
  double bestDt = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = clk::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] { res[size_t(t)] = stein_pass(s0.data(), s1.data(), B * t / threads, B * (t + 1) / threads, D); });
    for (auto& th : ts) th.join();
    bestDt = std::min(bestDt, secs(t0));
  }
  std::printf("stein pass (best of 5), %d threads, B=%lld D=%lld: %.1f ms, %.1f GB/s of score reads, %.2f G noise values/s\n", threads,
              (long long)B, (long long)D, bestDt * 1e3, 2.0 * double(B * D) * 4 / bestDt / 1e9, double(B * D) / bestDt / 1e9);
  return 0;
}
