// SPDX-License-Identifier: MIT
// What every CUDA source of the backend shares: the runtime (nvcc's, or the CPU emulator of
// native/cuda/emu when built with LCSS_CUDA_EMU for kernel development without a GPU), status
// checks that throw lcss::Error, the launch helper, per-device streams, scratch memory and the
// device error record, and small device-side utilities (warp/block reductions, grid sizing).
#pragma once
#ifdef LCSS_CUDA_EMU
#include "emu/cuda_emu.h"
#else
#include <cuda_runtime.h>
#endif

#include <cstddef>
#include <cstdint>
#include <utility>

#include "../core/checked.h"
#include "../core/error.h"
#include "../core/view.h"
#include "cuda_api.h"

namespace lcss {
namespace cu {

// Throws lcss::Error "<op>: CUDA error <name>: <text> (file:line)".
[[noreturn]] void fail(const char* op, cudaError_t e, const char* file, int line);

#define LCSS_CU(op, call)                                                  \
  do {                                                                     \
    cudaError_t lcss_e_ = (call);                                          \
    if (lcss_e_ != cudaSuccess) ::lcss::cu::fail(op, lcss_e_, __FILE__, __LINE__); \
  } while (0)

// Makes `device` current on this thread (cached) and returns its stream, created on first use.
// Every kernel and copy of the backend runs on this one stream per device, so the caching
// allocator can hand a freed block to the next op without synchronising (stream order).
cudaStream_t stream(int device);
void set_device(int device);
// Multiprocessors of `device`: grids of memory-bound kernels are sized from it.
int sm_count(int device);
// Usable dynamic shared memory per block (opt-in maximum).
size_t max_smem(int device);
// Compute capability major of `device` (tensor-core paths need 8+).
int cc_major(int device);
// float32 products on TF32 tensor cores (cuda_set_tf32; LCSS_CUDA_TF32=1 at start): off by default.
bool tf32_enabled();

// A block of device memory from the caching allocator for the duration of a launcher.
struct Scratch {
  int device;
  size_t bytes;
  void* p;
  Scratch(int dev, size_t n) : device(dev), bytes(n), p(cuda_alloc(dev, n)) {}
  ~Scratch() { cuda_free(device, p, bytes); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(p); }
};

// Kernels that find a bad argument (an index out of range) record it here instead of touching
// memory they must not; the record is read back, and turned into an lcss::Error naming the op,
// at the next synchronisation (a read-back or cuda.synchronize()).
struct DevError {
  int code;  // 0: none; set once by the first kernel thread that fails (atomicCAS)
  int op;    // ErrOp
  long long index;
  long long size;
};
enum ErrOp : int { ERR_NONE = 0, ERR_INDEX_SELECT, ERR_INDEX_ADD, ERR_GATHER, ERR_SCATTER_ADD, ERR_MAXPOOL_BACKWARD };
// The record of `device`; calling it marks the device as having a check pending.
DevError* error_record(int device);

// Launches k<<<grid, block, smem, stream>>>(args...) and turns a launch failure into an error
// naming the op. Empty grids are skipped (a zero-sized launch is an error in CUDA).
template <typename... KArgs, typename... Args>
void launch(const char* op, void (*k)(KArgs...), dim3 grid, dim3 block, size_t smem, cudaStream_t s, Args&&... args) {
  if (grid.x == 0 || grid.y == 0 || grid.z == 0) return;
#ifdef LCSS_CUDA_EMU
  (void)s;
  lcss_emu::launch(op, k, grid, block, smem, std::forward<Args>(args)...);
#else
  k<<<grid, block, smem, s>>>(std::forward<Args>(args)...);
#endif
  LCSS_CU(op, cudaGetLastError());
}

// Blocks for a grid-stride loop over n items: enough to fill the device, never more than needed.
inline unsigned grid_for(int64_t n, int threads, int device, int per_sm = 8) {
  int64_t want = (n + threads - 1) / threads, cap = int64_t(sm_count(device)) * per_sm;
  if (want < 1) want = 1;
  return unsigned(want < cap ? want : cap);
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- device-side helpers ------------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over a block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets the
// total. `red` is shared scratch of at least 32 elements; the block must all call this.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* red) {
  const int lane = int(threadIdx.x) & 31, wid = int(threadIdx.x) >> 5, nw = int(blockDim.x) >> 5;
  v = warp_sum(v);
  __syncthreads();  // red may still be read by a previous call
  if (lane == 0) red[wid] = v;
  __syncthreads();
  T t = lane < nw ? red[lane] : T(0);
  return warp_sum(t);
}

template <typename T>
__device__ __forceinline__ T dmin(T a, T b) { return b < a ? b : a; }
template <typename T>
__device__ __forceinline__ T dmax(T a, T b) { return a < b ? b : a; }

}  // namespace cu
}  // namespace lcss
