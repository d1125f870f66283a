// SPDX-License-Identifier: MIT
// Buffers, views from JS arguments, and the memory entry points (alloc, read, write, stats).
#include <cstring>

#include "../core/allocator.h"
#include "../core/threadpool.h"
#include "../cpu/cpu_features.h"
#include "../cpu/kernels.h"
#include "../cuda/cuda_api.h"
#include "binding.h"

namespace lcss {

// Distinguishes our buffers from any other wrapped object passed in by mistake.
static const napi_type_tag kBufferTag = {0x6c637373'62756672ULL, 0x9a3c51e2'7d40b811ULL};

Napi::FunctionReference* Buffer::constructor = nullptr;

// V8 is told about CPU memory as the caching allocator's reserved bytes (what the process holds
// from the OS), not per tensor: a training step allocates and disposes hundreds of MB of tensors,
// and reporting each one made V8 see that churn as growth and run synchronous GCs inside alloc
// (measured: 4 allocs of 1-7 ms each per W4 step). Leaked (never disposed) tensors still grow the
// reserve, which is reported, so the GC backstop keeps its pressure.
static int64_t g_reported_cpu = 0;

static void report_cpu_reserve(Napi::Env env) {
  const int64_t now = int64_t(cpu_alloc_stats().reserved_bytes);
  const int64_t delta = now - g_reported_cpu;
  if (delta != 0) {
    g_reported_cpu = now;
    Napi::MemoryManagement::AdjustExternalMemory(env, delta);
  }
}

Napi::Function Buffer::Init(Napi::Env env) {
  Napi::Function f = DefineClass(env, "NativeBuffer", {});
  constructor = new Napi::FunctionReference(Napi::Persistent(f));
  return f;
}

Buffer::Buffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Buffer>(info) {
  info.This().As<Napi::Object>().TypeTag(&kBufferTag);
}

void Buffer::release(Napi::Env* env) {
  if (!data) return;
  if (device == DeviceKind::Cpu) {
    cpu_free(data, nbytes);  // back to the cache: the reserve V8 knows about is unchanged
  } else {
    cuda_free(device_index, data, nbytes);
    if (env) Napi::MemoryManagement::AdjustExternalMemory(*env, -int64_t(nbytes));
  }
  data = nullptr;
}

Buffer::~Buffer() {
  // GC backstop: the memory goes back to the cache; V8's external count is adjusted by the
  // explicit path only (no env is safely usable in a finalizer after teardown began).
  if (data) {
    try {
      Napi::Env env = Env();
      release(&env);
    } catch (...) {
      release(nullptr);
    }
  }
}

Buffer* unwrap_buffer(const Napi::Value& v, const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kBufferTag))
    throw Napi::TypeError::New(v.Env(), std::string(what) + ": expected a native buffer");
  Buffer* b = Buffer::Unwrap(v.As<Napi::Object>());
  if (!b->data && b->nbytes > 0)
    throw Napi::Error::New(v.Env(), std::string(what) + ": buffer was already freed (tensor disposed)");
  return b;
}

double arg_num(const Napi::CallbackInfo& info, int i, const char* what) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t arg_int(const Napi::CallbackInfo& info, int i, const char* what) {
  return int64_t(arg_num(info, i, what));
}

View arg_view(const Napi::CallbackInfo& info, int i, const char* what) {
  Buffer* b = unwrap_buffer(info[i], what);
  View v;
  v.dtype = b->dtype;
  v.cuda = b->device == DeviceKind::Cuda;
  v.device_index = b->device_index;
  int64_t off = arg_int(info, i + 1, what);
  if (!info[i + 2].IsArray() || !info[i + 3].IsArray())
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected shape and strides arrays");
  Napi::Array shape = info[i + 2].As<Napi::Array>(), strides = info[i + 3].As<Napi::Array>();
  uint32_t nd = shape.Length();
  if (nd > uint32_t(kMaxDims) || strides.Length() != nd)
    throw Napi::Error::New(info.Env(), std::string(what) + ": at most 8 dims, strides matching shape");
  v.ndim = int(nd);
  // Bounds: the furthest element reachable must lie inside the buffer.
  int64_t lo = off, hi = off;
  for (uint32_t d = 0; d < nd; ++d) {
    v.shape[d] = int64_t(shape.Get(d).As<Napi::Number>().DoubleValue());
    v.strides[d] = int64_t(strides.Get(d).As<Napi::Number>().DoubleValue());
    if (v.shape[d] == 0) { lo = off; hi = off - 1; }
  }
  if (hi >= lo) {
    for (uint32_t d = 0; d < nd; ++d) {
      int64_t ext = (v.shape[d] - 1) * v.strides[d];
      if (ext > 0) hi += ext; else lo += ext;
    }
    if (lo < 0 || hi >= b->numel)
      throw Napi::RangeError::New(info.Env(), std::string(what) + ": view reaches outside its buffer");
  }
  v.data = static_cast<char*>(b->data) + off * int64_t(dtype_size(b->dtype));
  return v;
}

Ptr arg_ptr(const Napi::CallbackInfo& info, int i, const char* what, int64_t count, bool optional) {
  Ptr r;
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return r;
  Buffer* b = unwrap_buffer(info[i], what);
  int64_t off = arg_int(info, i + 1, what);
  if (off < 0 || count < 0 || off + count > b->numel)
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": operand is smaller than the kernel needs");
  r.dtype = b->dtype;
  r.cuda = b->device == DeviceKind::Cuda;
  r.device_index = b->device_index;
  r.p = static_cast<char*>(b->data) + off * int64_t(dtype_size(b->dtype));
  return r;
}

namespace {

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guarded(info, "alloc", [&]() -> Napi::Value {
    int dt = int(arg_int(info, 0, "alloc dtype"));
    int64_t numel = arg_int(info, 1, "alloc numel");
    int dev = int(arg_int(info, 2, "alloc device"));
    int idx = int(arg_int(info, 3, "alloc device index"));
    LCSS_CHECK(dt >= 0 && dt <= 3, "unknown dtype code %d", dt);
    LCSS_CHECK(numel >= 0, "negative element count %lld", (long long)numel);
    DType dtype = DType(dt);
    size_t nbytes = size_t(numel) * dtype_size(dtype);
    void* p = dev == int(DeviceKind::Cpu) ? cpu_alloc(nbytes) : cuda_alloc(idx, nbytes);
    Napi::Object obj = Buffer::constructor->New({});
    Buffer* b = Buffer::Unwrap(obj);
    b->data = p;
    b->nbytes = nbytes;
    b->numel = numel;
    b->dtype = dtype;
    b->device = DeviceKind(dev);
    b->device_index = idx;
    if (b->device == DeviceKind::Cpu) report_cpu_reserve(info.Env());
    else Napi::MemoryManagement::AdjustExternalMemory(info.Env(), int64_t(nbytes));
    return obj;
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  return guarded(info, "free", [&]() -> Napi::Value {
    if (!info[0].IsObject() || !info[0].As<Napi::Object>().CheckTypeTag(&kBufferTag))
      throw Napi::TypeError::New(info.Env(), "free: expected a native buffer");
    Napi::Env env = info.Env();
    Buffer::Unwrap(info[0].As<Napi::Object>())->release(&env);
    return env.Undefined();
  });
}

// write(buf, elemOffset, typedArray): copies a typed array of the buffer's element size in.
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guarded(info, "write", [&]() -> Napi::Value {
    Buffer* b = unwrap_buffer(info[0], "write");
    int64_t off = arg_int(info, 1, "write offset");
    if (!info[2].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "write: expected a typed array");
    Napi::TypedArray ta = info[2].As<Napi::TypedArray>();
    size_t esz = dtype_size(b->dtype);
    LCSS_CHECK(ta.ElementSize() == esz, "write: typed array element size %zu does not match %s", ta.ElementSize(), dtype_name(b->dtype));
    int64_t n = int64_t(ta.ElementLength());
    LCSS_CHECK(off >= 0 && off + n <= b->numel, "write: %lld elements at %lld exceed buffer of %lld", (long long)n, (long long)off, (long long)b->numel);
    const char* src = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    char* dst = static_cast<char*>(b->data) + off * esz;
    if (b->device == DeviceKind::Cpu) std::memcpy(dst, src, size_t(n) * esz);
    else cuda_copy_h2d(b->device_index, dst, src, size_t(n) * esz);
    return info.Env().Undefined();
  });
}

// read(buf, elemOffset, count) -> ArrayBuffer copy
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guarded(info, "read", [&]() -> Napi::Value {
    Buffer* b = unwrap_buffer(info[0], "read");
    int64_t off = arg_int(info, 1, "read offset"), n = arg_int(info, 2, "read count");
    LCSS_CHECK(off >= 0 && n >= 0 && off + n <= b->numel, "read: range outside buffer");
    size_t esz = dtype_size(b->dtype);
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), size_t(n) * esz);
    const char* src = static_cast<const char*>(b->data) + off * esz;
    if (b->device == DeviceKind::Cpu) std::memcpy(ab.Data(), src, size_t(n) * esz);
    else cuda_copy_d2h(b->device_index, ab.Data(), src, size_t(n) * esz);
    return ab;
  });
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  AllocStats s = cpu_alloc_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("allocatedBytes", double(s.allocated_bytes));
  o.Set("reservedBytes", double(s.reserved_bytes));
  o.Set("peakAllocatedBytes", double(s.peak_allocated));
  o.Set("numAllocs", double(s.num_allocs));
  o.Set("cacheHits", double(s.cache_hits));
  o.Set("osAllocs", double(s.os_allocs));
  return o;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  cpu_empty_cache();
  report_cpu_reserve(info.Env());
  return info.Env().Undefined();
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  cpu_reset_peak();
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setNumThreads", [&]() -> Napi::Value {
    int n = int(arg_int(info, 0, "setNumThreads"));
    LCSS_CHECK(n >= 1 && n <= 1024, "setNumThreads: %d is not in [1, 1024]", n);
    set_num_threads(n);
    return info.Env().Undefined();
  });
}

Napi::Value CpuIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kernels().isa); }

}  // namespace

void register_memory(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeBuffer", Buffer::Init(env));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("cpuMemoryStats", Napi::Function::New(env, Stats));
  exports.Set("cpuEmptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("cpuResetPeak", Napi::Function::New(env, ResetPeak));
  exports.Set("getNumThreads", Napi::Function::New(env, GetThreads));
  exports.Set("setNumThreads", Napi::Function::New(env, SetThreads));
  exports.Set("cpuIsa", Napi::Function::New(env, CpuIsa));
}

}  // namespace lcss
