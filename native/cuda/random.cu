// SPDX-License-Identifier: MIT
// Random fills (native/cpu/random.h contract): one thread per Philox counter block, writing the
// block's four elements, so element i of a draw is the CPU's element i.
#include "../contract/backend.h"
#include "../contract/op_codes.h"
#include "../contract/shapes.h"
#include "random.cuh"

namespace lcss {
namespace {

constexpr int kThreads = 256;

// kind-specific transform of the four raw words / normals of one block into T
template <typename T>
__global__ void __launch_bounds__(kThreads) k_random(int kind, uint64_t seed, uint64_t offset, int64_t n, double a,
                                                     double b, T* y) {
  const int64_t nblk = (n + 3) >> 2;
  for (int64_t q = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; q < nblk; q += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i0 = q << 2;
    const int cnt = n - i0 < 4 ? int(n - i0) : 4;
    if (kind == RND_NORMAL) {
      if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
        T z[4];
        if constexpr (std::is_same<T, float>::value) {
          cu::normal4_f32(seed, offset + uint64_t(q), z);
        } else {
          philox_normal4(seed, offset + uint64_t(q), z);
        }
        const bool affine = a != 0.0 || b != 1.0;
        for (int l = 0; l < cnt; ++l) y[i0 + l] = affine ? T(a) + T(b) * z[l] : z[l];
      }
      continue;
    }
    const Philox4 r = philox4x32_10(seed, offset + uint64_t(q));
    for (int l = 0; l < cnt; ++l) {
      const uint32_t x = r.v[l];
      if (kind == RND_UNIFORM) {
        if constexpr (std::is_same<T, float>::value) {
          float u = float(x >> 8) * (1.0f / 16777216.0f);
          float v = float(a) + float(b - a) * u;
          y[i0 + l] = v < float(b) ? v : float(a);  // rounding must not reach b
        } else if constexpr (std::is_same<T, double>::value) {
          double u = double(x) * (1.0 / 4294967296.0);
          double v = a + (b - a) * u;
          y[i0 + l] = v < b ? v : a;
        }
      } else if (kind == RND_BERNOULLI) {
        y[i0 + l] = double(x) < a * 4294967296.0 ? T(1) : T(0);
      } else {  // RND_RANDINT into int32: lo + floor(x * range / 2^32)
        const int64_t lo = int64_t(a), range = int64_t(b) - int64_t(a);
        y[i0 + l] = T(lo + int64_t((uint64_t(x) * uint64_t(range)) >> 32));
      }
    }
  }
}

}  // namespace

void cuda_random_fill(int kind, const View& y, uint64_t seed, uint64_t offset, double a, double b) {
  LCSS_CHECK(y.cuda, "random_fill: output is not on cuda");
  LCSS_CHECK(y.contiguous(), "random_fill: output must be contiguous");
  const int64_t n = y.numel();
  bool ok = false;
  switch (kind) {
    case RND_UNIFORM:
    case RND_NORMAL: ok = y.dtype == DType::F32 || y.dtype == DType::F64; break;
    case RND_BERNOULLI: ok = y.dtype != DType::I32; break;
    case RND_RANDINT: {
      const int64_t range = int64_t(b) - int64_t(a);
      LCSS_CHECK(range > 0 && range <= (int64_t(1) << 32), "randint: empty or too large range [%lld, %lld)", (long long)a, (long long)b);
      ok = y.dtype == DType::I32;
      break;
    }
  }
  LCSS_CHECK(ok, "random_fill: kind %d does not support dtype %s", kind, dtype_name(y.dtype));
  if (!n) return;
  const int dev = y.device_index;
  cudaStream_t s = cu::stream(dev);
  const unsigned g = cu::grid_for((n + 3) / 4, kThreads, dev);
  switch (y.dtype) {
    case DType::F32: return cu::launch("random", k_random<float>, g, kThreads, 0, s, kind, seed, offset, n, a, b, y.ptr<float>());
    case DType::F64: return cu::launch("random", k_random<double>, g, kThreads, 0, s, kind, seed, offset, n, a, b, y.ptr<double>());
    case DType::I32: return cu::launch("random", k_random<int32_t>, g, kThreads, 0, s, kind, seed, offset, n, a, b, y.ptr<int32_t>());
    case DType::Bool: return cu::launch("random", k_random<uint8_t>, g, kThreads, 0, s, kind, seed, offset, n, a, b, y.ptr<uint8_t>());
  }
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, RandomFill, 0) {
  cuda_random_fill(int(a.kind), a.y, uint64_t(a.seed), uint64_t(a.offset), a.a, a.b);
}

}  // namespace lcss
