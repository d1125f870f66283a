// SPDX-License-Identifier: MIT
// A CPU emulator of the CUDA subset the backend uses: the kernel harness that lets every kernel in
// native/cuda run, and be tested against the CPU backend, on a machine without a GPU. It is a
// development and test build only (cmake -DLCSS_CUDA_EMU=ON compiles the .cu files as C++ with
// this header instead of cuda_runtime.h); the shipped addon is built by nvcc.
//
// What it models, and what it checks that a GPU would not report:
//  - the launch geometry: every thread of a block runs as a fiber; __syncthreads, __syncwarp and
//    the warp shuffles are scheduling points. A barrier that not every thread of the block (or
//    every lane of the warp) reaches is reported as an error (divergent barrier, early return).
//  - the order threads run between barriers is selectable (LCSS_EMU_ORDER=forward|reverse|shuffle)
//    so a missing barrier shows up as a result that depends on the order.
//  - device memory lives in a reserved region that is inaccessible to the host except inside a
//    kernel or a cudaMemcpy: host code that dereferences a CUDA buffer faults with a message, and
//    so does a kernel reading past the end of an allocation (a guard page follows each one).
//  - pointer arguments of kernels must point into device memory (host/device pointer mix-ups).
//  - fresh device memory and dynamic shared memory are filled with 0xFF bytes (NaN as floats).
// What it does not model: concurrency between blocks (they run one after another), memory
// ordering, warp-synchronous code without __syncwarp, timing, tensor cores.
// native/cuda/emu/test.sh builds it (build-emu/) and runs test/cuda on it in every thread order.
// Knobs: LCSS_EMU_ORDER, LCSS_EMU_DEVICES (default 1), LCSS_EMU_MEM_MB (16384), LCSS_EMU_PROTECT
// (1: device memory inaccessible outside kernels and copies), LCSS_EMU_STACK_KB (256 per thread).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};

typedef struct lcss_emu_stream* cudaStream_t;
typedef struct lcss_emu_event* cudaEvent_t;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorNotReady = 600,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
#define cudaStreamNonBlocking 0x01
#define CUDART_VERSION 13000

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  size_t sharedMemPerBlockOptin;
  size_t sharedMemPerMultiprocessor;
  int regsPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsPerMultiProcessor;
  int multiProcessorCount;
  int major;
  int minor;
  int l2CacheSize;
  int memoryBusWidth;
};

cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaSetDevice(int d);
cudaError_t cudaGetDevice(int* d);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d);
cudaError_t cudaMalloc(void** p, size_t n);
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind k);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind k, cudaStream_t s = nullptr);
cudaError_t cudaMemcpyPeerAsync(void* dst, int ddev, const void* src, int sdev, size_t n, cudaStream_t s = nullptr);
cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t s = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaEventCreate(cudaEvent_t* e);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventQuery(cudaEvent_t e);
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags = 0);  // work runs at launch: nothing to wait for  // work runs at launch here: always complete
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
cudaError_t cudaMemGetInfo(size_t* free_b, size_t* total_b);
cudaError_t cudaRuntimeGetVersion(int* v);
cudaError_t cudaDriverGetVersion(int* v);
const char* cudaGetErrorString(cudaError_t e);
const char* cudaGetErrorName(cudaError_t e);
template <typename F>
cudaError_t cudaFuncSetAttribute(F*, cudaFuncAttribute, int) { return cudaSuccess; }
struct cudaFuncAttributes {
  int ptxVersion, binaryVersion, numRegs, maxThreadsPerBlock;
  size_t sharedSizeBytes;
};
template <typename F>
cudaError_t cudaFuncGetAttributes(cudaFuncAttributes* a, F*) {  // as if built for sm_90
  *a = cudaFuncAttributes{90, 90, 32, 1024, 0};
  return cudaSuccess;
}

namespace lcss_emu {

struct ThreadCtx {
  uint3 tid, bid;
  dim3 bdim, gdim;
};
extern ThreadCtx* g_cur;  // the running fiber's coordinates (launches are serialised)

void syncthreads();
void syncwarp();
uint64_t shfl_bits(uint64_t v, int src_lane);  // lanes outside [0, 32) read their own value
int lane_id();
void* dynamic_smem();
// Throws unless p is null or points into (or one past) a live device allocation.
void check_device_ptr(const char* kernel, int arg, const void* p);

// A kernel body as the scheduler sees it: one call per thread.
struct Body {
  void* obj;
  void (*call)(void*);
};
void run_grid(const char* kernel, dim3 grid, dim3 block, size_t smem, Body body);

template <typename T, typename = void>
struct has_each_ptr : std::false_type {};
template <typename T>
struct has_each_ptr<T, std::void_t<decltype(std::declval<const T&>().each_ptr(std::declval<void (*)(const void*)>()))>>
    : std::true_type {};

// Pointer arguments, and the pointers inside argument structs that list them with each_ptr(f),
// must be device pointers.
template <typename T>
void check_arg(const char* kernel, int i, const T& a) {
  if constexpr (std::is_pointer_v<T>) {
    check_device_ptr(kernel, i, reinterpret_cast<const void*>(a));
  } else if constexpr (has_each_ptr<T>::value) {
    a.each_ptr([kernel, i](const void* p) { check_device_ptr(kernel, i, p); });
  }
}

template <typename... KArgs, typename... Args>
void launch(const char* kernel, void (*k)(KArgs...), dim3 grid, dim3 block, size_t smem, Args&&... args) {
  std::tuple<std::decay_t<KArgs>...> params(std::forward<Args>(args)...);
  std::apply([&](const auto&... p) {
    int i = 0;
    (check_arg(kernel, i++, p), ...);
  }, params);
  // every thread gets its own copy of the parameters, as on the device
  auto fn = [&]() { std::apply([&](auto... copies) { k(copies...); }, params); };
  run_grid(kernel, grid, block, smem, Body{&fn, [](void* o) { (*static_cast<decltype(fn)*>(o))(); }});
}

template <typename T>
inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8, "shuffle of a type wider than 8 bytes");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <typename T>
inline T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace lcss_emu

#define threadIdx (::lcss_emu::g_cur->tid)
#define blockIdx (::lcss_emu::g_cur->bid)
#define blockDim (::lcss_emu::g_cur->bdim)
#define gridDim (::lcss_emu::g_cur->gdim)
constexpr int warpSize = 32;

inline void __syncthreads() { lcss_emu::syncthreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { lcss_emu::syncwarp(); }
inline void __threadfence() {}
template <typename T>
inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
  (void)width;
  return lcss_emu::from_bits<T>(lcss_emu::shfl_bits(lcss_emu::to_bits(v), src & 31));
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
  (void)width;
  return lcss_emu::from_bits<T>(lcss_emu::shfl_bits(lcss_emu::to_bits(v), lcss_emu::lane_id() ^ mask));
}
template <typename T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
  (void)width;
  int src = lcss_emu::lane_id() + int(delta);
  return lcss_emu::from_bits<T>(lcss_emu::shfl_bits(lcss_emu::to_bits(v), src < 32 ? src : lcss_emu::lane_id()));
}

// Atomics: fibers switch only at barriers, so a plain read-modify-write is atomic here. The value
// parameter is not deduced, so atomicAdd(float*, 1.0) converts like the device overloads do.
template <typename T>
struct emu_same { using type = T; };
template <typename T>
inline T atomicAdd(T* p, typename emu_same<T>::type v) {
  T o = *p;
  *p = T(o + v);
  return o;
}
template <typename T>
inline T atomicCAS(T* p, typename emu_same<T>::type cmp, typename emu_same<T>::type v) {
  T o = *p;
  if (o == cmp) *p = v;
  return o;
}
template <typename T>
inline T atomicMax(T* p, typename emu_same<T>::type v) {
  T o = *p;
  if (v > o) *p = v;
  return o;
}
template <typename T>
inline T atomicOr(T* p, typename emu_same<T>::type v) {
  T o = *p;
  *p = T(o | v);
  return o;
}
template <typename T>
inline T atomicExch(T* p, typename emu_same<T>::type v) {
  T o = *p;
  *p = v;
  return o;
}

template <typename T>
inline T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
inline unsigned __umulhi(unsigned a, unsigned b) { return unsigned((uint64_t(a) * uint64_t(b)) >> 32); }
inline int __float2int_rn(float x) { return int(std::nearbyint(x)); }

// WMMA, TF32 m16n16k8 only: every lane holds the whole tile (fragment layouts are opaque to the
// kernels, which only load, convert, multiply and store them), so a warp's lanes all compute the
// same tile and store the same values. The TF32 rounding (cvt.rna: nearest, ties away from zero,
// 10 mantissa bits) is exact; the products are accumulated in float32 in k order.
namespace nvcuda {
namespace wmma {
struct row_major;
struct col_major;
struct matrix_a;
struct matrix_b;
struct accumulator;
namespace precision {
struct tf32;
}
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment;
template <typename L>
struct fragment<matrix_a, 16, 16, 8, precision::tf32, L> {
  static constexpr int num_elements = 16 * 8;
  float x[16 * 8];  // x[i * 8 + k]
};
template <typename L>
struct fragment<matrix_b, 16, 16, 8, precision::tf32, L> {
  static constexpr int num_elements = 8 * 16;
  float x[8 * 16];  // x[k * 16 + j]
};
template <>
struct fragment<accumulator, 16, 16, 8, float, void> {
  static constexpr int num_elements = 16 * 16;
  float x[16 * 16];  // x[i * 16 + j]
};

inline float __float_to_tf32(float in) {
  uint32_t b;
  std::memcpy(&b, &in, 4);
  if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x1000u) & 0xffffe000u;  // not inf/NaN: round the magnitude
  float r;
  std::memcpy(&r, &b, 4);
  return r;
}
inline void fill_fragment(fragment<accumulator, 16, 16, 8, float>& f, float v) {
  for (float& e : f.x) e = v;
}
template <typename L>
inline void load_matrix_sync(fragment<matrix_a, 16, 16, 8, precision::tf32, L>& a, const float* p, unsigned ldm) {
  for (int i = 0; i < 16; ++i)
    for (int k = 0; k < 8; ++k) a.x[i * 8 + k] = std::is_same<L, col_major>::value ? p[i + k * ldm] : p[i * ldm + k];
}
template <typename L>
inline void load_matrix_sync(fragment<matrix_b, 16, 16, 8, precision::tf32, L>& b, const float* p, unsigned ldm) {
  for (int k = 0; k < 8; ++k)
    for (int j = 0; j < 16; ++j) b.x[k * 16 + j] = std::is_same<L, row_major>::value ? p[k * ldm + j] : p[k + j * ldm];
}
template <typename LA, typename LB>
inline void mma_sync(fragment<accumulator, 16, 16, 8, float>& d, const fragment<matrix_a, 16, 16, 8, precision::tf32, LA>& a,
                     const fragment<matrix_b, 16, 16, 8, precision::tf32, LB>& b,
                     const fragment<accumulator, 16, 16, 8, float>& c) {
  float r[256];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      float s = c.x[i * 16 + j];
      for (int k = 0; k < 8; ++k) s += a.x[i * 8 + k] * b.x[k * 16 + j];
      r[i * 16 + j] = s;
    }
  std::memcpy(d.x, r, sizeof r);
}
inline void store_matrix_sync(float* p, const fragment<accumulator, 16, 16, 8, float>& f, unsigned ldm, layout_t l) {
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) (l == mem_row_major ? p[i * ldm + j] : p[i + j * ldm]) = f.x[i * 16 + j];
}
}  // namespace wmma
}  // namespace nvcuda
