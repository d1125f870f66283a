// SPDX-License-Identifier: MIT
#include "../contract/backend.h"
#include "random.h"

#include <vector>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "kernels.h"

namespace lcss {

void normal_f32(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, float* out) {
  kernels().normal_f32(seed, offset, first, n, out);
}
void normal_f64(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out) {
  kernels().normal_f64(seed, offset, first, n, out);
}

namespace {

// Chunks start on multiples of 64 elements (16 Philox blocks) so every chunk regenerates cleanly.
constexpr int64_t kChunk = 1 << 14;

template <typename T>
void uniform_t(T* y, int64_t n, uint64_t seed, uint64_t offset, double a, double b) {
  const CpuKernels& k = kernels();
  parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    std::vector<uint32_t> bits(kChunk);
    for (int64_t c = c0; c < c1; ++c) {
      int64_t first = c * kChunk, m = std::min<int64_t>(kChunk, n - first);
      k.bits(seed, offset, uint64_t(first), m, bits.data());
      for (int64_t i = 0; i < m; ++i) {
        // [0, 1) with 24 (float) or 32 (double) random bits
        T u = sizeof(T) == 4 ? T(float(bits[i] >> 8) * (1.0f / 16777216.0f)) : T(double(bits[i]) * (1.0 / 4294967296.0));
        T v = T(a) + T(b - a) * u;
        y[first + i] = v < T(b) ? v : T(a);  // rounding must not reach b
      }
    }
  });
}

template <typename T>
void normal_t(T* y, int64_t n, uint64_t seed, uint64_t offset, double mean, double std) {
  const CpuKernels& k = kernels();
  parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t first = c * kChunk, m = std::min<int64_t>(kChunk, n - first);
      if constexpr (sizeof(T) == 4)
        k.normal_f32(seed, offset, uint64_t(first), m, y + first);
      else
        k.normal_f64(seed, offset, uint64_t(first), m, y + first);
      if (mean != 0.0 || std != 1.0)
        for (int64_t i = 0; i < m; ++i) y[first + i] = T(mean) + T(std) * y[first + i];
    }
  });
}

template <typename T, typename F>
void from_bits(T* y, int64_t n, uint64_t seed, uint64_t offset, F f) {
  const CpuKernels& k = kernels();
  parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
    std::vector<uint32_t> bits(kChunk);
    for (int64_t c = c0; c < c1; ++c) {
      int64_t first = c * kChunk, m = std::min<int64_t>(kChunk, n - first);
      k.bits(seed, offset, uint64_t(first), m, bits.data());
      for (int64_t i = 0; i < m; ++i) y[first + i] = f(bits[i]);
    }
  });
}

}  // namespace

void random_fill(int kind, const View& y, uint64_t seed, uint64_t offset, double a, double b) {
  LCSS_CHECK(y.contiguous(), "random_fill: output must be contiguous");
  int64_t n = y.numel();
  switch (kind) {
    case RND_UNIFORM:
      if (y.dtype == DType::F32) return uniform_t<float>(y.ptr<float>(), n, seed, offset, a, b);
      if (y.dtype == DType::F64) return uniform_t<double>(y.ptr<double>(), n, seed, offset, a, b);
      break;
    case RND_NORMAL:
      if (y.dtype == DType::F32) return normal_t<float>(y.ptr<float>(), n, seed, offset, a, b);
      if (y.dtype == DType::F64) return normal_t<double>(y.ptr<double>(), n, seed, offset, a, b);
      break;
    case RND_BERNOULLI: {
      // P(1) = a, compared on 32 bits
      double t = a * 4294967296.0;
      auto hit = [t](uint32_t x) { return double(x) < t; };
      if (y.dtype == DType::F32) return from_bits<float>(y.ptr<float>(), n, seed, offset, [&](uint32_t x) { return hit(x) ? 1.0f : 0.0f; });
      if (y.dtype == DType::F64) return from_bits<double>(y.ptr<double>(), n, seed, offset, [&](uint32_t x) { return hit(x) ? 1.0 : 0.0; });
      if (y.dtype == DType::Bool) return from_bits<uint8_t>(y.ptr<uint8_t>(), n, seed, offset, [&](uint32_t x) { return uint8_t(hit(x)); });
      break;
    }
    case RND_RANDINT: {
      int64_t lo = int64_t(a), range = int64_t(b) - int64_t(a);
      LCSS_CHECK(range > 0 && range <= (int64_t(1) << 32), "randint: empty or too large range [%lld, %lld)", (long long)a, (long long)b);
      if (y.dtype == DType::I32)
        return from_bits<int32_t>(y.ptr<int32_t>(), n, seed, offset, [&](uint32_t x) { return int32_t(lo + int64_t((uint64_t(x) * uint64_t(range)) >> 32)); });
      break;
    }
  }
  LCSS_CHECK(false, "random_fill: kind %d does not support dtype %s", kind, dtype_name(y.dtype));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, RandomFill, 0) {
  random_fill(int(a.kind), a.y, uint64_t(a.seed), uint64_t(a.offset), a.a, a.b);
}

}  // namespace lcss
