// SPDX-License-Identifier: MIT
// Reductions with the contract of native/cpu/reduce.h: x is a view with its kept dims first and
// its reduced dims last (permuted by the caller, no copy), y is contiguous with one element per
// kept index. Accumulation is in double for every dtype (exact for the float32 sums the CPU also
// does in double, and for int32/bool sums below 2^53); max/min propagate NaN and arg-reductions
// return the first occurrence, as on the CPU.
// Two kernels: a group of threads per output (a warp, or a whole block when there are few outputs
// and long rows) striding along the reduced index, for contiguous rows; and a thread per output
// with 8 threads splitting the reduced range, for columns (kept dims innermost) and short rows.
#include "../contract/backend.h"
#include "../contract/op_codes.h"
#include "common.cuh"

namespace lcss {
namespace {

struct Part {  // a coalesced group of dims: flat index -> element offset
  int nd;
  int64_t shape[kMaxDims];
  int64_t stride[kMaxDims];
  __device__ __forceinline__ int64_t offset(int64_t i) const {
    if (nd == 1) return i * stride[0];
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; --d) {
      off += (i % shape[d]) * stride[d];
      i /= shape[d];
    }
    return off;
  }
};

// dims [from, to) of x, size-1 dims dropped, neighbours merged when their strides nest; the
// row-major order of flat indices is preserved.
Part make_part(const View& x, int from, int to) {
  Part p{};
  for (int d = from; d < to; ++d) {
    if (x.shape[d] == 1) continue;
    if (p.nd > 0 && p.stride[p.nd - 1] == x.strides[d] * x.shape[d]) {
      p.shape[p.nd - 1] *= x.shape[d];
      p.stride[p.nd - 1] = x.strides[d];
      continue;
    }
    p.shape[p.nd] = x.shape[d];
    p.stride[p.nd] = x.strides[d];
    p.nd++;
  }
  if (p.nd == 0) {
    p.nd = 1;
    p.shape[0] = 1;
    p.stride[0] = 0;
  }
  return p;
}

struct Acc {
  double v;
  long long i;  // < 0: no element yet (max/min/arg); the flat reduced index otherwise
};

__device__ __forceinline__ Acc acc_init(int op) { return Acc{op == R_PROD ? 1.0 : 0.0, -1}; }

__device__ __forceinline__ bool is_max(int op) { return op == R_MAX || op == R_ARGMAX; }

// Adds element i (visited in increasing i by one thread), with the CPU loop's semantics: the
// first NaN wins and stops further updates, ties keep the first.
__device__ __forceinline__ void acc_add(int op, Acc& a, double v, long long i) {
  if (op == R_SUM) { a.v += v; return; }
  if (op == R_PROD) { a.v *= v; return; }
  if (a.i < 0) { a = Acc{v, i}; return; }
  if (a.v != a.v) return;
  if (v != v || (is_max(op) ? v > a.v : v < a.v)) a = Acc{v, i};
}

// Order-independent combination of two partial results (ties and NaNs go to the lower index).
__device__ __forceinline__ Acc acc_combine(int op, Acc a, Acc b) {
  if (op == R_SUM) return Acc{a.v + b.v, 0};
  if (op == R_PROD) return Acc{a.v * b.v, 0};
  if (b.i < 0) return a;
  if (a.i < 0) return b;
  const bool an = a.v != a.v, bn = b.v != b.v;
  if (an || bn) {
    if (an && bn) return a.i < b.i ? a : b;
    return an ? a : b;
  }
  if (a.v == b.v) return a.i < b.i ? a : b;
  return (is_max(op) ? b.v > a.v : b.v < a.v) ? b : a;
}

__device__ __forceinline__ Acc acc_shfl_xor(Acc a, int m) {
  return Acc{__shfl_xor_sync(0xffffffffu, a.v, m), __shfl_xor_sync(0xffffffffu, a.i, m)};
}

// The output dtype is a runtime switch here (once per output, not per element): one kernel per
// input dtype instead of sixteen (input, output) pairs keeps the nvcc build short.
struct Out {
  void* p;
  DType t;
  template <typename F>
  void each_ptr(F&& f) const { f(p); }
};

__device__ __forceinline__ void acc_out(int op, const Acc& a, Out y, int64_t o) {
  const bool arg = op == R_ARGMAX || op == R_ARGMIN;
  switch (y.t) {
    case DType::F32: static_cast<float*>(y.p)[o] = arg ? float(a.i) : float(a.v); break;
    case DType::F64: static_cast<double*>(y.p)[o] = arg ? double(a.i) : a.v; break;
    case DType::I32: static_cast<int32_t*>(y.p)[o] = arg ? int32_t(a.i) : int32_t(a.v); break;
    case DType::Bool: static_cast<uint8_t*>(y.p)[o] = arg ? uint8_t(a.i) : uint8_t(a.v); break;
  }
}

// tpo threads per output (32, or blockDim.x for one output per block).
template <typename TI>
__global__ void __launch_bounds__(256) k_reduce_group(int op, Part kp, Part rp, int64_t outer, int64_t inner, int tpo,
                                                      const TI* x, Out y) {
  __shared__ double sv[32];
  __shared__ long long si[32];
  const int per_block = int(blockDim.x) / tpo, g = int(threadIdx.x) / tpo, t = int(threadIdx.x) % tpo;
  const int lane = int(threadIdx.x) & 31, warp = int(threadIdx.x) >> 5;
  for (int64_t base = int64_t(blockIdx.x) * per_block; base < outer; base += int64_t(gridDim.x) * per_block) {
    const int64_t o = base + g;
    Acc a = acc_init(op);
    if (o < outer) {
      const TI* xo = x + kp.offset(o);
      for (int64_t j = t; j < inner; j += tpo) acc_add(op, a, double(xo[rp.offset(j)]), j);
    }
    for (int m = 16; m > 0; m >>= 1) a = acc_combine(op, a, acc_shfl_xor(a, m));
    if (tpo > 32) {  // one output per block: combine the warps' results
      __syncthreads();
      if (lane == 0) {
        sv[warp] = a.v;
        si[warp] = a.i;
      }
      __syncthreads();
      a = lane < int(blockDim.x >> 5) ? Acc{sv[lane], si[lane]} : acc_init(op);
      for (int m = 16; m > 0; m >>= 1) a = acc_combine(op, a, acc_shfl_xor(a, m));
    }
    if (t == 0 && o < outer) acc_out(op, a, y, o);
  }
}

// blockDim (32, 8): threadIdx.x picks the output, threadIdx.y a slice of the reduced range.
template <typename TI>
__global__ void __launch_bounds__(256) k_reduce_cols(int op, Part kp, Part rp, int64_t outer, int64_t inner,
                                                     const TI* x, Out y) {
  __shared__ double sv[8][32];
  __shared__ long long si[8][32];
  const int tx = int(threadIdx.x), ty = int(threadIdx.y), ny = int(blockDim.y);
  for (int64_t base = int64_t(blockIdx.x) * 32; base < outer; base += int64_t(gridDim.x) * 32) {
    const int64_t o = base + tx;
    Acc a = acc_init(op);
    if (o < outer) {
      const TI* xo = x + kp.offset(o);
      for (int64_t j = ty; j < inner; j += ny) acc_add(op, a, double(xo[rp.offset(j)]), j);
    }
    sv[ty][tx] = a.v;
    si[ty][tx] = a.i;
    __syncthreads();
    if (ty == 0 && o < outer) {
      for (int k = 1; k < ny; ++k) a = acc_combine(op, a, Acc{sv[k][tx], si[k][tx]});
      acc_out(op, a, y, o);
    }
    __syncthreads();
  }
}

template <typename TO>
__global__ void k_reduce_empty(int64_t outer, TO v, TO* y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outer; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = v;
}

template <typename F>
void by_dtype(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I32: return f(int32_t{});
    case DType::Bool: return f(uint8_t{});
  }
}

}  // namespace

void cuda_reduce(int op, const View& y, const View& x, int nkeep) {
  LCSS_CHECK(op >= 0 && op < R_COUNT, "unknown reduce op %d", op);
  LCSS_CHECK(nkeep >= 0 && nkeep <= x.ndim, "reduce: nkeep %d out of range for %d dims", nkeep, x.ndim);
  LCSS_CHECK(y.cuda && x.cuda && y.device_index == x.device_index, "reduce: operands must be on one CUDA device");
  LCSS_CHECK(y.contiguous(), "reduce: the output must be contiguous");
  const int dev = x.device_index;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < nkeep; ++d) outer *= x.shape[d];
  for (int d = nkeep; d < x.ndim; ++d) inner *= x.shape[d];
  LCSS_CHECK(y.numel() == outer, "reduce: output has %lld elements, expected %lld", (long long)y.numel(), (long long)outer);
  if (outer == 0) return;
  LCSS_CHECK(inner > 0 || op == R_SUM || op == R_PROD, "cannot reduce over an empty dimension with max/min/argmax/argmin");
  cudaStream_t s = cu::stream(dev);
  if (inner == 0) {
    by_dtype(y.dtype, [&](auto to) {
      using TO = decltype(to);
      cu::launch("reduce", k_reduce_empty<TO>, cu::grid_for(outer, 256, dev), 256, 0, s, outer, TO(op == R_PROD ? 1 : 0),
                 y.ptr<TO>());
    });
    return;
  }
  const Part kp = make_part(x, 0, nkeep), rp = make_part(x, nkeep, x.ndim);
  const bool rows = rp.stride[rp.nd - 1] == 1 || inner == 1;
  const bool cols = kp.stride[kp.nd - 1] == 1 && outer > 1;
  const Out out{y.data, y.dtype};
  by_dtype(x.dtype, [&](auto ti) {
    using TI = decltype(ti);
    if (inner <= 16 || (cols && !rows)) {
      const unsigned g = unsigned(std::min<int64_t>(cu::ceil_div(outer, 32), int64_t(cu::sm_count(dev)) * 16));
      cu::launch("reduce", k_reduce_cols<TI>, g, dim3(32, 8), 0, s, op, kp, rp, outer, inner, x.ptr<TI>(), out);
    } else {
      // a block per output when the outputs alone cannot fill the device and rows are long
      const bool block = outer < int64_t(cu::sm_count(dev)) * 16 && inner >= 4096;
      const int tpo = block ? 256 : 32;
      const unsigned g = unsigned(std::min<int64_t>(cu::ceil_div(outer, 256 / tpo), int64_t(cu::sm_count(dev)) * 16));
      cu::launch("reduce", k_reduce_group<TI>, g, 256, 0, s, op, kp, rp, outer, inner, tpo, x.ptr<TI>(), out);
    }
  });
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, Reduce, 0) { cuda_reduce(int(a.op), a.y, a.x, int(a.nkeep)); }

}  // namespace lcss
