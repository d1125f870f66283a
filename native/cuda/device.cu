// SPDX-License-Identifier: MIT
// Device management: discovery (never throws, so `cuda.isAvailable()` can be asked anywhere), one
// non-blocking stream per device, the caching allocator (plain cudaMalloc, size-bucketed blocks
// kept for reuse, like the CPU allocator), host<->device copies, and synchronisation, which is
// also where errors recorded by kernels (bad indices) are read back and raised.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common.cuh"

namespace lcss {
namespace {

constexpr int kMaxDevices = 64;

struct Dev {
  std::once_flag once;
  bool ready = false;
  cudaStream_t stream = nullptr;
  cudaDeviceProp prop{};
  cu::DevError* err = nullptr;
  std::atomic<bool> err_pending{false};
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> cache;
  AllocStats stats;
};

Dev g_devs[kMaxDevices];
std::once_flag g_count_once;
int g_count = 0;
char g_status[512] = "";

void count_devices() noexcept {
  try {
    std::call_once(g_count_once, [] {
      int n = 0;
      cudaError_t e = cudaGetDeviceCount(&n);
      if (e != cudaSuccess) {
        std::snprintf(g_status, sizeof g_status,
                      "no usable CUDA device: cudaGetDeviceCount returned %d (%s: %s)%s", int(e), cudaGetErrorName(e),
                      cudaGetErrorString(e),
                      e == cudaErrorInsufficientDriver
                          ? "; no NVIDIA driver is loaded, or it is older than the CUDA runtime lcss was built with"
                          : "");
        cudaGetLastError();  // clear the sticky status so later queries start clean
        n = 0;
      } else if (n == 0) {
        std::snprintf(g_status, sizeof g_status, "no CUDA device found (cudaGetDeviceCount returned 0)");
      }
      g_count = n < kMaxDevices ? n : kMaxDevices;
    });
  } catch (...) {
    g_count = 0;
    std::snprintf(g_status, sizeof g_status, "CUDA initialisation failed");
  }
}

thread_local int t_current = -1;

Dev& dev(int d) {
  count_devices();
  LCSS_CHECK_KIND(ErrorKind::Device, d >= 0 && d < g_count, "cuda:%d is not available (%d CUDA device(s)%s%s)", d, g_count, g_count ? "" : ": ",
             g_status);
  Dev& s = g_devs[d];
  std::call_once(s.once, [&] {
    cu::set_device(d);
    LCSS_CU("cuda init", cudaGetDeviceProperties(&s.prop, d));
    LCSS_CU("cuda init", cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
    void* e = nullptr;
    LCSS_CU("cuda init", cudaMalloc(&e, sizeof(cu::DevError)));
    s.err = static_cast<cu::DevError*>(e);
    LCSS_CU("cuda init", cudaMemsetAsync(s.err, 0, sizeof(cu::DevError), s.stream));
    s.ready = true;
  });
  return s;
}

// Size classes: 512-byte steps up to 4 KiB, then four per power of two (<= 25% waste). The
// emulator keeps exact sizes so its guard pages catch a kernel reading past a tensor's end.
size_t bucket(size_t n) {
#ifdef LCSS_CUDA_EMU
  return n ? n : 1;
#else
  if (n <= 4096) return n <= 512 ? 512 : (n + 511) / 512 * 512;
  size_t p = size_t(1) << (63 - __builtin_clzll((unsigned long long)(n - 1)));  // p < n <= 2p (n <= 2^52)
  size_t step = p / 4;
  return (n + step - 1) / step * step;
#endif
}

void free_cached(int d, Dev& s) {
  cu::set_device(d);
  LCSS_CU("cuda.emptyCache", cudaStreamSynchronize(s.stream));  // no queued kernel may still use a block
  std::lock_guard<std::mutex> lk(s.mu);
  for (auto& kv : s.cache) {
    for (void* p : kv.second) {
      cudaFree(p);
      s.stats.reserved_bytes -= kv.first;
    }
  }
  s.cache.clear();
}

const char* err_op_name(int op) {
  switch (op) {
    case cu::ERR_INDEX_SELECT: return "index_select";
    case cu::ERR_INDEX_ADD: return "index_add";
    case cu::ERR_GATHER: return "gather";
    case cu::ERR_SCATTER_ADD: return "scatter_add";
    case cu::ERR_MAXPOOL_BACKWARD: return "max_pool2d_backward";
  }
  return "kernel";
}

// Reads the error record if a kernel that can fail ran since the last check (stream synced).
void check_record(int d, Dev& s) {
  if (!s.err_pending.exchange(false)) return;
  cu::DevError h{};
  LCSS_CU("cuda.synchronize", cudaMemcpyAsync(&h, s.err, sizeof h, cudaMemcpyDeviceToHost, s.stream));
  LCSS_CU("cuda.synchronize", cudaStreamSynchronize(s.stream));
  if (!h.code) return;
  LCSS_CU("cuda.synchronize", cudaMemsetAsync(s.err, 0, sizeof h, s.stream));
  throw Error(strfmt("%s: index %lld is out of range for a dimension of size %lld (found by a kernel on cuda:%d, "
                     "reported at the next synchronisation; the results of that op are invalid)",
                     err_op_name(h.op), h.index, h.size, d),
              ErrorKind::Index);
}

}  // namespace

namespace cu {

void fail(const char* op, cudaError_t e, const char* file, int line) {
  throw Error(strfmt("%s: CUDA error %s: %s (%s:%d)", op, cudaGetErrorName(e), cudaGetErrorString(e), file, line),
              e == cudaErrorMemoryAllocation ? ErrorKind::OutOfMemory : ErrorKind::Device);
}

void set_device(int d) {
  if (t_current == d) return;
  LCSS_CU("cudaSetDevice", cudaSetDevice(d));
  t_current = d;
}

cudaStream_t stream(int d) {
  Dev& s = dev(d);
  set_device(d);
  return s.stream;
}

int sm_count(int d) { return dev(d).prop.multiProcessorCount; }

int cc_major(int d) { return dev(d).prop.major; }

namespace {
std::atomic<bool> g_tf32{[] {
  const char* v = std::getenv("LCSS_CUDA_TF32");
  return v && v[0] == '1';
}()};
}  // namespace

bool tf32_enabled() { return g_tf32.load(std::memory_order_relaxed); }

size_t max_smem(int d) {
  const cudaDeviceProp& p = dev(d).prop;
  return p.sharedMemPerBlockOptin ? p.sharedMemPerBlockOptin : p.sharedMemPerBlock;
}

DevError* error_record(int d) {
  Dev& s = dev(d);
  s.err_pending = true;
  return s.err;
}

}  // namespace cu


bool cuda_set_tf32(bool on) { return cu::g_tf32.exchange(on); }

int cuda_device_count() {
  count_devices();
  return g_count;
}

const char* cuda_status_message() {
  count_devices();
  return g_status;
}

void cuda_device_info(int d, DeviceInfo* o) {
  const cudaDeviceProp& p = dev(d).prop;
  std::snprintf(o->name, sizeof o->name, "%s", p.name);
  o->major = p.major;
  o->minor = p.minor;
  o->sm_count = p.multiProcessorCount;
  o->total_mem = p.totalGlobalMem;
  o->smem_per_block = cu::max_smem(d);
  o->runtime_version = 0;
  o->driver_version = 0;
  cudaRuntimeGetVersion(&o->runtime_version);
  cudaDriverGetVersion(&o->driver_version);
#ifdef LCSS_CUDA_EMU
  o->emulated = true;
#else
  o->emulated = false;
#endif
}

void* cuda_alloc(int d, size_t nbytes) {
  Dev& s = dev(d);
  if (nbytes > kMaxBlock) {
    throw Error(strfmt("out of memory on cuda:%d: asked for %zu bytes, more than any device holds (the limit of one "
                       "block is 2^52 bytes; the device has %zu bytes in all)",
                       d, nbytes, size_t(s.prop.totalGlobalMem)),
                ErrorKind::OutOfMemory);
  }
  const size_t b = bucket(nbytes);
  {
    std::lock_guard<std::mutex> lk(s.mu);
    s.stats.num_allocs++;
    auto it = s.cache.find(b);
    if (it != s.cache.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      s.stats.cache_hits++;
      s.stats.allocated_bytes += b;
      if (s.stats.allocated_bytes > s.stats.peak_allocated) s.stats.peak_allocated = s.stats.allocated_bytes;
      return p;
    }
  }
  cu::set_device(d);
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, b);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // out of memory is not sticky: drop the cache and try once more
    free_cached(d, s);
    e = cudaMalloc(&p, b);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t fr = 0, tot = 0;
    cudaMemGetInfo(&fr, &tot);
    AllocStats st = cuda_alloc_stats(d);
    throw Error(strfmt("out of memory on cuda:%d allocating %zu bytes (%s; tensors hold %llu bytes, lcss has "
                       "%llu reserved, the device has %zu of %zu bytes free)",
                       d, b, cudaGetErrorString(e), (unsigned long long)st.allocated_bytes,
                       (unsigned long long)st.reserved_bytes, fr, tot),
                e == cudaErrorMemoryAllocation ? ErrorKind::OutOfMemory : ErrorKind::Device);
  }
  std::lock_guard<std::mutex> lk(s.mu);
  s.stats.os_allocs++;
  s.stats.reserved_bytes += b;
  s.stats.allocated_bytes += b;
  if (s.stats.allocated_bytes > s.stats.peak_allocated) s.stats.peak_allocated = s.stats.allocated_bytes;
  return p;
}

void cuda_free(int d, void* p, size_t nbytes) {
  if (!p || d < 0 || d >= kMaxDevices) return;
  Dev& s = g_devs[d];
  try {
    // Stream order makes immediate reuse safe: a later op that gets this block is queued after
    // every op that used it.
    std::lock_guard<std::mutex> lk(s.mu);
    const size_t b = bucket(nbytes);
    s.stats.allocated_bytes -= b;
    s.cache[b].push_back(p);
  } catch (...) {
    // the cache could not grow: give the block back to the driver instead
    cudaFree(p);
  }
}

AllocStats cuda_alloc_stats(int d) {
  count_devices();
  LCSS_CHECK_KIND(ErrorKind::Device, d >= 0 && d < g_count, "cuda:%d is not available", d);
  Dev& s = g_devs[d];
  std::lock_guard<std::mutex> lk(s.mu);
  return s.stats;
}

void cuda_reset_peak(int d) {
  count_devices();
  LCSS_CHECK_KIND(ErrorKind::Device, d >= 0 && d < g_count, "cuda:%d is not available", d);
  Dev& s = g_devs[d];
  std::lock_guard<std::mutex> lk(s.mu);
  s.stats.peak_allocated = s.stats.allocated_bytes;
}

void cuda_empty_cache(int d) {
  count_devices();
  for (int i = 0; i < g_count; ++i)
    if ((d < 0 || i == d) && g_devs[i].ready) free_cached(i, g_devs[i]);
}

void cuda_copy_h2d(int d, void* dst, const void* src, size_t n) {
  if (!n) return;
  cudaStream_t s = cu::stream(d);
  // From pageable memory the call returns once the source has been staged, so the caller may
  // free or reuse it at once; the copy itself stays ordered on the stream.
  LCSS_CU("write", cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s));
}

void cuda_copy_d2h(int d, void* dst, const void* src, size_t n) {
  cudaStream_t s = cu::stream(d);
  if (n) LCSS_CU("read", cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s));
  LCSS_CU("read", cudaStreamSynchronize(s));
  check_record(d, g_devs[d]);
}

void cuda_synchronize(int d) {
  cudaStream_t s = cu::stream(d);
  LCSS_CU("cuda.synchronize", cudaStreamSynchronize(s));
  check_record(d, g_devs[d]);
}

}  // namespace lcss
