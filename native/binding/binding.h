// SPDX-License-Identifier: MIT
// Helpers shared by the Node-API entry points: the per-environment context (buffer table), checked
// readers for every kind of argument, and the wrapper that turns every native failure into a JS
// Error whose `code` names its kind.
//
// Context-aware by construction: each environment that loads the addon (the main thread, every
// worker_threads Worker) gets its own Context, passed to its functions as their data pointer, so
// nothing per environment lives in a static. The kernel thread pool and the caching allocators are
// process-wide and thread-safe.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../contract/backend.h"
#include "../contract/fields.h"
#include "../core/checked.h"
#include "../core/error.h"
#include "../core/view.h"

namespace lcss {

// What asking for a device without a backend says.
constexpr const char* kNoCudaBackend =
    "lcss was built without CUDA: install the CUDA toolkit (nvcc on PATH) and run `npm rebuild lcss` "
    "(LCSS_CUDA=1 forces it)";

struct ReadPin;  // readAsync copies of a buffer in flight (read_pin.h)

// A block of device memory owned by JS through a numeric handle.
struct BufferRec {
  void* data = nullptr;
  size_t nbytes = 0;
  int64_t numel = 0;
  DType dtype = DType::F32;
  DeviceKind device = DeviceKind::Cpu;
  int device_index = 0;
  uint32_t gen = 0;  // bumped when the slot is freed, so a stale handle never reaches new memory
  bool live = false;
  // Set once readAsync copies of this buffer may be in flight (they share it): get() waits for
  // them, and release() hands the memory to the last one instead of freeing it under a copy.
  std::shared_ptr<ReadPin> reads;
};

// Buffers of one environment, addressed by handles: a JS number gen * 2^26 + slot. A handle is a
// plain number rather than a wrapped object so that freeing one releases everything at once: a
// wrapped object's native part is freed by a finalizer that only runs when the event loop turns,
// so a synchronous training loop grew without bound. A freed or forged handle fails the
// generation check and raises an error instead of touching memory.
class BufferTable {
 public:
  static constexpr uint32_t kSlotBits = 26;
  BufferTable() = default;
  BufferTable(const BufferTable&) = delete;
  BufferTable& operator=(const BufferTable&) = delete;
  ~BufferTable();  // environment teardown: every buffer still live goes back to its allocator

  double add(const BufferRec& r);
  // The live buffer of `handle`, or an error naming `what`; first waits for readAsync copies of it
  // still in flight, so that no op writes into memory while a copy reads it.
  BufferRec& get(const Napi::Value& handle, const char* what);
  // The live buffer of `handle`, or null; never waits (free, readAsync).
  BufferRec* find(const Napi::Value& handle);
  // Frees the buffer (a stale handle is ignored: free is idempotent); returns its bytes on the CPU.
  void release(const Napi::Value& handle, Napi::Env env);
  size_t live() const { return slots_.size() - free_.size(); }

 private:
  bool decode(const Napi::Value& handle, uint32_t* slot, uint32_t* gen) const;
  std::vector<BufferRec> slots_;
  std::vector<uint32_t> free_;
};

struct Context {
  BufferTable buffers;
  // V8 is told about this environment's CPU tensor memory as a high-water mark (grows with the
  // live bytes, falls only at emptyCache): a training step allocates and frees hundreds of MB of
  // tensors, and reporting each one made V8 see that churn as growth and run synchronous GCs
  // inside alloc (measured: 4 allocs of 1-7 ms each per W4 step).
  int64_t cpu_live = 0, cpu_reported = 0;
  // The JS error classes native failures become, by kind (registered by src/native.ts through
  // setErrorClasses); a plain Error with `code` set until then.
  Napi::FunctionReference error_classes[4];
};

inline Context& context(const Napi::CallbackInfo& info) { return *static_cast<Context*>(info.Data()); }

// exports[name] = a function of this environment's context.
void define(Napi::Env env, Napi::Object exports, Context* ctx, const char* name, Napi::Function::Callback f);

// --- argument readers: every number that crosses the binding is checked here ---------------------
// A number (NaN and infinities allowed: fill values, clamp bounds).
double arg_num(const Napi::CallbackInfo& info, int i, const char* what);
// A finite number.
double arg_finite(const Napi::CallbackInfo& info, int i, const char* what);
// An integer in [lo, hi] (default: magnitude below 2^53, where JS numbers are exact).
int64_t arg_int(const Napi::CallbackInfo& info, int i, const char* what, int64_t lo = -kMaxElements,
                int64_t hi = kMaxElements);
// A size: an integer in [0, 2^53].
inline int64_t arg_size(const Napi::CallbackInfo& info, int i, const char* what) {
  return arg_int(info, i, what, 0, kMaxElements);
}
bool arg_bool(const Napi::CallbackInfo& info, int i, const char* what);
// An array of exactly n integers in [lo, hi].
std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, int i, const char* what, uint32_t n,
                              int64_t lo = -kMaxElements, int64_t hi = kMaxElements);
BufferRec& arg_buffer(const Napi::CallbackInfo& info, int i, const char* what);

// Reads a view from 4 arguments starting at `i`: buffer, offset, shape[], strides[]. Every element
// the view can reach must lie inside the buffer.
View arg_view(const Napi::CallbackInfo& info, int i, const char* what);
// A contiguous operand: 2 arguments (buffer, elemOffset); (null, 0) gives an absent operand when
// `optional`. Its length is checked by the contract (contract/fields.h need()).
Operand arg_operand(const Napi::CallbackInfo& info, int i, const char* what, bool optional);
// An array of at most kMaxInts integers of magnitude below 2^53.
IntList arg_int_list(const Napi::CallbackInfo& info, int i, const char* what);

// Builds the JS Error for a native failure: "lcss.<op>: message", with `code` set to the kind.
Napi::Error native_error(Napi::Env env, const char* op, const std::string& message, ErrorKind kind);

// Runs fn, converting lcss::Error / std::exception into a JS Error "lcss.<op>: message".
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, const char* op, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const Error& e) {
    throw native_error(info.Env(), op, e.what(), e.kind);
  } catch (const std::bad_alloc&) {
    throw native_error(info.Env(), op, "out of memory (a native allocation failed)", ErrorKind::OutOfMemory);
  } catch (const std::exception& e) {
    throw native_error(info.Env(), op, e.what(), ErrorKind::Argument);
  }
}

// The backend that owns memory of this kind (a DeviceError in a build without it).
const Backend& memory_backend(DeviceKind kind);

void register_memory(Napi::Env env, Napi::Object exports, Context* ctx);
void register_ops(Napi::Env env, Napi::Object exports, Context* ctx);
void register_cuda(Napi::Env env, Napi::Object exports, Context* ctx);
void register_dist(Napi::Env env, Napi::Object exports, Context* ctx);

}  // namespace lcss
