// SPDX-License-Identifier: MIT
// CUDA device queries and memory management, through the CUDA backend's table. The queries never
// throw: without a CUDA backend in this build, or without a GPU, they report 0 devices and a
// reason, so `cuda.isAvailable()` can be asked anywhere.
#include "binding.h"

namespace lcss {
namespace {

const Backend* cuda() { return find_backend(DeviceKind::Cuda); }

const Backend& need_cuda(const char* op) {
  const Backend* b = cuda();
  LCSS_CHECK_KIND(ErrorKind::Device, b != nullptr, "%s: %s", op, kNoCudaBackend);
  return *b;
}

Napi::Value Built(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), cuda() != nullptr); }
Napi::Value Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cuda() ? cuda()->device_count() : 0);
}
Napi::Value Status(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cuda() ? cuda()->status() : kNoCudaBackend);
}

Napi::Value Sync(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.synchronize", [&]() -> Napi::Value {
    need_cuda("cuda.synchronize").synchronize(int(arg_int(info, 0, "device", 0, 63)));
    return info.Env().Undefined();
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.deviceInfo", [&]() -> Napi::Value {
    DeviceInfo d{};
    need_cuda("cuda.deviceInfo").device_info(int(arg_int(info, 0, "device", 0, 63)), &d);
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("name", d.name);
    o.Set("major", d.major);
    o.Set("minor", d.minor);
    o.Set("multiProcessors", d.sm_count);
    o.Set("totalMemory", double(d.total_mem));
    o.Set("sharedMemoryPerBlock", double(d.smem_per_block));
    o.Set("runtimeVersion", d.runtime_version);
    o.Set("driverVersion", d.driver_version);
    o.Set("emulated", d.emulated);
    return o;
  });
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.memoryStats", [&]() -> Napi::Value {
    const int d = int(arg_int(info, 0, "device", 0, 63));
    AllocStats s = cuda() ? cuda()->memory_stats(d) : AllocStats{};
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("allocatedBytes", double(s.allocated_bytes));
    o.Set("reservedBytes", double(s.reserved_bytes));
    o.Set("peakAllocatedBytes", double(s.peak_allocated));
    o.Set("numAllocs", double(s.num_allocs));
    o.Set("cacheHits", double(s.cache_hits));
    o.Set("osAllocs", double(s.os_allocs));
    return o;
  });
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.emptyCache", [&]() -> Napi::Value {
    const int d = int(arg_int(info, 0, "device", -1, 63));
    if (cuda()) cuda()->empty_cache(d);
    return info.Env().Undefined();
  });
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.resetPeak", [&]() -> Napi::Value {
    const int d = int(arg_int(info, 0, "device", 0, 63));
    if (cuda()) cuda()->reset_peak(d);
    return info.Env().Undefined();
  });
}

// cudaSetTF32(on) -> previous setting (false, and nothing to set, without a CUDA backend)
Napi::Value SetTF32(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.setMatmulPrecision", [&]() -> Napi::Value {
    const bool on = arg_bool(info, 0, "cuda.setMatmulPrecision");
    return Napi::Boolean::New(info.Env(), cuda() ? cuda()->set_tf32(on) : false);
  });
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "cudaBuilt", Built);
  define(env, exports, ctx, "cudaDeviceCount", Count);
  define(env, exports, ctx, "cudaStatus", Status);
  define(env, exports, ctx, "cudaSynchronize", Sync);
  define(env, exports, ctx, "cudaDeviceInfo", Info);
  define(env, exports, ctx, "cudaMemoryStats", Stats);
  define(env, exports, ctx, "cudaEmptyCache", EmptyCache);
  define(env, exports, ctx, "cudaResetPeak", ResetPeak);
  define(env, exports, ctx, "cudaSetTF32", SetTF32);
}

}  // namespace lcss
