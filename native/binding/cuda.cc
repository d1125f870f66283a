// SPDX-License-Identifier: MIT
// CUDA device queries and memory management. The queries never throw: without a CUDA build or a
// GPU they report 0 devices and a reason, so `cuda.isAvailable()` can be asked anywhere.
#include "../cuda/cuda_api.h"
#include "binding.h"

namespace lcss {
namespace {

Napi::Value Built(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), cuda_built()); }
Napi::Value Count(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), cuda_device_count()); }
Napi::Value Status(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cuda_status_message()); }

Napi::Value Sync(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.synchronize", [&]() -> Napi::Value {
    cuda_synchronize(int(arg_int(info, 0, "device", 0, 63)));
    return info.Env().Undefined();
  });
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.deviceInfo", [&]() -> Napi::Value {
    CudaDeviceInfo d{};
    cuda_device_info(int(arg_int(info, 0, "device", 0, 63)), &d);
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
    AllocStats s = cuda_alloc_stats(int(arg_int(info, 0, "device", 0, 63)));
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
    cuda_empty_cache(int(arg_int(info, 0, "device", -1, 63)));
    return info.Env().Undefined();
  });
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.resetPeak", [&]() -> Napi::Value {
    cuda_reset_peak(int(arg_int(info, 0, "device", 0, 63)));
    return info.Env().Undefined();
  });
}

// cudaSetTF32(on) -> previous setting
Napi::Value SetTF32(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.setMatmulPrecision", [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), cuda_set_tf32(arg_bool(info, 0, "cuda.setMatmulPrecision")));
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
