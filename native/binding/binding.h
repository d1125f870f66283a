// SPDX-License-Identifier: MIT
// Helpers shared by the Node-API entry points: buffer handles, strided views from JS arguments,
// and the wrapper that turns every native failure into a JS Error naming the op.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../core/error.h"
#include "../core/view.h"

namespace lcss {

enum class DeviceKind : int32_t { Cpu = 0, Cuda = 1 };

// A block of device memory owned by JS. Freed explicitly (dispose) or, as a backstop, by the GC.
class Buffer : public Napi::ObjectWrap<Buffer> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::FunctionReference* constructor;
  explicit Buffer(const Napi::CallbackInfo& info);
  ~Buffer() override;

  void* data = nullptr;
  size_t nbytes = 0;
  int64_t numel = 0;
  DType dtype = DType::F32;
  DeviceKind device = DeviceKind::Cpu;
  int device_index = 0;

  void release(Napi::Env* env);
};

Buffer* unwrap_buffer(const Napi::Value& v, const char* what);

// Reads a view from 4 arguments starting at `i`: buffer, offset, shape[], strides[].
View arg_view(const Napi::CallbackInfo& info, int i, const char* what);
// A contiguous operand: 2 arguments (buffer, elemOffset); `count` elements must fit after offset.
// A null/undefined buffer gives a null pointer when `optional`.
struct Ptr {
  void* p = nullptr;
  DType dtype = DType::F32;
  bool cuda = false;
  int device_index = 0;
  template <typename T>
  T* as() const { return static_cast<T*>(p); }
};
Ptr arg_ptr(const Napi::CallbackInfo& info, int i, const char* what, int64_t count, bool optional = false);

double arg_num(const Napi::CallbackInfo& info, int i, const char* what);
int64_t arg_int(const Napi::CallbackInfo& info, int i, const char* what);

// Runs fn, converting lcss::Error / std::exception into a JS Error "lcss.<op>: message".
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), std::string("lcss.") + op + ": out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("lcss.") + op + ": " + e.what());
  }
}

void register_memory(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_linalg(Napi::Env env, Napi::Object exports);
void register_nn(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);

}  // namespace lcss
