// SPDX-License-Identifier: MIT
// CUDA device queries. These never throw: without a CUDA build or a GPU they report 0 devices and
// a reason, so `cuda.isAvailable()` can be asked anywhere.
#include "../cuda/cuda_api.h"
#include "binding.h"

namespace lcss {
namespace {

Napi::Value Built(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), cuda_built()); }
Napi::Value Count(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), cuda_device_count()); }
Napi::Value Status(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), cuda_status_message()); }
Napi::Value Sync(const Napi::CallbackInfo& info) {
  return guarded(info, "cuda.synchronize", [&]() -> Napi::Value {
    cuda_synchronize(int(arg_int(info, 0, "device")));
    return info.Env().Undefined();
  });
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaBuilt", Napi::Function::New(env, Built));
  exports.Set("cudaDeviceCount", Napi::Function::New(env, Count));
  exports.Set("cudaStatus", Napi::Function::New(env, Status));
  exports.Set("cudaSynchronize", Napi::Function::New(env, Sync));
}

}  // namespace lcss
