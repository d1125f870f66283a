// SPDX-License-Identifier: MIT
// The buffer table and the memory entry points (alloc, free, read, readAsync, write, stats, threads).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "../core/allocator.h"
#include "../core/threadpool.h"
#include "../cpu/cpu_features.h"
#include "../cpu/kernels.h"
#include "binding.h"
#include "read_pin.h"

namespace lcss {

// The backend that owns memory of this kind (the CPU's always exists; a CUDA buffer exists only in
// a build with the CUDA backend).
const Backend& memory_backend(DeviceKind kind) {
  const Backend* b = find_backend(kind);
  LCSS_CHECK_KIND(ErrorKind::Device, b != nullptr, "%s", kNoCudaBackend);
  return *b;
}

namespace {

constexpr double kSlots = double(uint64_t(1) << BufferTable::kSlotBits);
constexpr uint32_t kMaxGen = (uint32_t(1) << 26) - 1;  // gen * 2^26 + slot stays below 2^52

void free_rec(BufferRec& r) {
  if (!r.data) return;
  if (const Backend* b = find_backend(r.device)) b->free(r.device_index, r.data, r.nbytes);  // never throws
  r.data = nullptr;
}

// Frees the memory, or gives it to the readAsync copies still reading it (the last one frees it).
void free_or_hand_off(BufferRec& r) {
  if (r.reads && r.data &&
      r.reads->hand_off(r.data, r.nbytes, r.device == DeviceKind::Cuda, r.device_index))
    r.data = nullptr;
  r.reads.reset();
  free_rec(r);
}

}  // namespace

// At environment teardown (a Worker terminated) a copy may still be in flight: it owns its pin,
// so the memory goes to it rather than out from under it.
BufferTable::~BufferTable() {
  for (BufferRec& r : slots_)
    if (r.live) free_or_hand_off(r);
}

double BufferTable::add(const BufferRec& rec) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    LCSS_CHECK_KIND(ErrorKind::OutOfMemory, slots_.size() < (size_t(1) << kSlotBits),
                    "more than 2^%u tensors' storages are alive at once", kSlotBits);
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
  }
  BufferRec& r = slots_[slot];
  const uint32_t gen = r.gen;
  r = rec;
  r.gen = gen == 0 ? 1 : gen;
  r.live = true;
  return double(r.gen) * kSlots + double(slot);
}

bool BufferTable::decode(const Napi::Value& h, uint32_t* slot, uint32_t* gen) const {
  if (!h.IsNumber()) return false;
  const double d = h.As<Napi::Number>().DoubleValue();
  if (!(d >= kSlots && d < double(uint64_t(1) << 53)) || d != std::floor(d)) return false;
  const uint64_t v = uint64_t(d);
  *slot = uint32_t(v & ((uint64_t(1) << kSlotBits) - 1));
  *gen = uint32_t(v >> kSlotBits);
  return *slot < slots_.size();
}

BufferRec& BufferTable::get(const Napi::Value& h, const char* what) {
  uint32_t slot = 0, gen = 0;
  LCSS_CHECK(decode(h, &slot, &gen), "%s: expected a native buffer handle", what);
  BufferRec& r = slots_[slot];
  LCSS_CHECK(r.live && r.gen == gen, "%s: the buffer was already freed (tensor disposed)", what);
  if (r.reads) {
    // Only this thread starts copies, so once they have ended none can start behind our back:
    // the pin can go, and later ops on this buffer pay one null check.
    r.reads->wait();
    r.reads.reset();
  }
  return r;
}

BufferRec* BufferTable::find(const Napi::Value& h) {
  uint32_t slot = 0, gen = 0;
  if (!decode(h, &slot, &gen)) return nullptr;
  BufferRec& r = slots_[slot];
  return r.live && r.gen == gen ? &r : nullptr;
}

void BufferTable::release(const Napi::Value& h, Napi::Env env) {
  uint32_t slot = 0, gen = 0;
  if (!decode(h, &slot, &gen)) return;
  BufferRec& r = slots_[slot];
  if (!r.live || r.gen != gen) return;  // freed already (explicitly, then by the finalizer backstop)
  if (r.device == DeviceKind::Cuda) Napi::MemoryManagement::AdjustExternalMemory(env, -int64_t(r.nbytes));
  free_or_hand_off(r);
  r.live = false;
  r.gen = r.gen >= kMaxGen ? 1 : r.gen + 1;
  free_.push_back(slot);
}

namespace {

void report_cpu(Napi::Env env, Context& c) {
  if (c.cpu_live > c.cpu_reported) {
    Napi::MemoryManagement::AdjustExternalMemory(env, c.cpu_live - c.cpu_reported);
    c.cpu_reported = c.cpu_live;
  }
}

// alloc(dtype, numel, device, deviceIndex) -> handle
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guarded(info, "alloc", [&]() -> Napi::Value {
    Context& c = context(info);
    const int dt = int(arg_int(info, 0, "alloc dtype", 0, 3));
    const int64_t numel = arg_size(info, 1, "alloc numel");
    const int dev = int(arg_int(info, 2, "alloc device", 0, 1));
    const int idx = int(arg_int(info, 3, "alloc device index", 0, 63));
    BufferRec r;
    r.dtype = DType(dt);
    r.nbytes = checked_bytes(numel, dtype_size(r.dtype), "alloc");
    r.numel = numel;
    r.device = DeviceKind(dev);
    r.device_index = idx;
    r.data = memory_backend(r.device).alloc(idx, r.nbytes);
    double h;
    try {
      h = c.buffers.add(r);
    } catch (...) {
      free_rec(r);
      throw;
    }
    if (r.device == DeviceKind::Cpu) {
      c.cpu_live += int64_t(cpu_bucket_size(r.nbytes));
      report_cpu(info.Env(), c);
    } else {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), int64_t(r.nbytes));
    }
    return Napi::Number::New(info.Env(), h);
  });
}

// free(handle): idempotent; a stale handle is ignored
Napi::Value Free(const Napi::CallbackInfo& info) {
  return guarded(info, "free", [&]() -> Napi::Value {
    Context& c = context(info);
    // bytes leave the live count before the record is reset; find, not get: a free never waits for
    // a readAsync copy in flight (release hands the memory to the copy, which frees it when done)
    BufferRec* r = c.buffers.find(info[0]);
    if (!r) return info.Env().Undefined();
    if (r->device == DeviceKind::Cpu) c.cpu_live -= int64_t(cpu_bucket_size(r->nbytes));
    c.buffers.release(info[0], info.Env());
    return info.Env().Undefined();
  });
}

size_t element_size(const BufferRec& b) { return dtype_size(b.dtype); }

// write(handle, elemOffset, typedArray): copies a typed array of the buffer's element size in.
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guarded(info, "write", [&]() -> Napi::Value {
    BufferRec& b = arg_buffer(info, 0, "write");
    const int64_t off = arg_size(info, 1, "write offset");
    LCSS_CHECK(info[2].IsTypedArray(), "write: expected a typed array");
    Napi::TypedArray ta = info[2].As<Napi::TypedArray>();
    const size_t esz = element_size(b);
    LCSS_CHECK(ta.ElementSize() == esz, "write: typed array element size %zu does not match %s", ta.ElementSize(),
               dtype_name(b.dtype));
    const int64_t n = int64_t(ta.ElementLength());
    LCSS_CHECK(checked_add(off, n, "write") <= b.numel, "write: %lld elements at %lld exceed a buffer of %lld",
               (long long)n, (long long)off, (long long)b.numel);
    if (n == 0) return info.Env().Undefined();  // an empty typed array may have no backing store
    const char* src = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    char* dst = static_cast<char*>(b.data) + off * int64_t(esz);
    memory_backend(b.device).copy_from_host(b.device_index, dst, src, size_t(n) * esz);
    return info.Env().Undefined();
  });
}

// read(handle, elemOffset, count) -> ArrayBuffer copy
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guarded(info, "read", [&]() -> Napi::Value {
    BufferRec& b = arg_buffer(info, 0, "read");
    const int64_t off = arg_size(info, 1, "read offset"), n = arg_size(info, 2, "read count");
    LCSS_CHECK(checked_add(off, n, "read") <= b.numel, "read: %lld elements at %lld exceed a buffer of %lld",
               (long long)n, (long long)off, (long long)b.numel);
    const size_t esz = element_size(b);
    const size_t bytes = checked_bytes(n, esz, "read");
    const void* src = static_cast<const char*>(b.data) + off * int64_t(esz);
    // CPU: copy first, into memory V8 adopts, so a copy that fails never leaves a JS object behind
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes == 0) return ab;
    memory_backend(b.device).copy_to_host(b.device_index, ab.Data(), src, bytes);
    return ab;
  });
}

// The copy of one readAsync call. The constructor (JS thread) takes what the copy needs from the
// buffer's record: the source address, the device, and a share of the buffer's ReadPin, counted
// before the work is queued. Execute (a libuv threadpool thread) touches no N-API and nothing of
// the environment: it copies into memory this object owns (malloc), records a failure as a kind
// and a message, and ends its count on the pin in every case. OnOK (JS thread) gives the memory to
// JS as an external ArrayBuffer freed by its finalizer, so the bytes are copied once.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, const BufferRec& b, const void* src, size_t bytes)
      : Napi::AsyncWorker(env, "lcss.readAsync"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pin_(b.reads),
        src_(src),
        bytes_(bytes),
        cuda_(b.device == DeviceKind::Cuda),
        device_index_(b.device_index) {
    pin_->begin();
  }

  ~ReadWorker() override {
    // Never executed (the work was cancelled or could not be queued): the count still ends, or
    // every later op on the buffer would wait for it forever.
    if (!ended_) pin_->end();
    std::free(out_);
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      if (bytes_) {
        out_ = std::malloc(bytes_);
        LCSS_CHECK_KIND(ErrorKind::OutOfMemory, out_, "out of memory: could not allocate %zu bytes for the copy",
                        bytes_);
        if (cuda_) cuda_copy_d2h(device_index_, out_, src_, bytes_);  // sets the device on this thread
        else std::memcpy(out_, src_, bytes_);
      }
    } catch (const Error& e) {
      fail(e.what(), e.kind);
    } catch (const std::bad_alloc&) {
      fail("out of memory (a native allocation failed)", ErrorKind::OutOfMemory);
    } catch (const std::exception& e) {
      fail(e.what(), ErrorKind::Argument);
    }
    ended_ = true;
    pin_->end();
  }

  // Runs on the JS thread, also while a Worker's environment is being torn down, when N-API calls
  // may fail: nothing may escape (an exception thrown out of this callback would end the process),
  // and memory not yet adopted by JS is freed by the destructor.
  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (failed_) {
        deferred_.Reject(native_error(env, "readAsync", message_, kind_).Value());
        return;
      }
      deferred_.Resolve(adopt(env));
    } catch (...) {
    }
  }

  void OnError(const Napi::Error&) override {}  // failures are reported by OnOK (typed, with a kind)

 private:
  void fail(const std::string& m, ErrorKind k) {
    failed_ = true;
    message_ = m;
    kind_ = k;
    std::free(out_);
    out_ = nullptr;
  }

  Napi::ArrayBuffer adopt(Napi::Env env) {
    if (!bytes_) return Napi::ArrayBuffer::New(env, 0);
    napi_value ab = nullptr;
    // The finalizer frees what V8 adopted; it is only registered when the call succeeds.
    if (napi_create_external_arraybuffer(
            env, out_, bytes_, [](napi_env, void* data, void*) { std::free(data); }, nullptr, &ab) == napi_ok) {
      out_ = nullptr;
      return Napi::ArrayBuffer(env, ab);
    }
    // Runtimes that refuse external memory (a V8 sandbox): one more copy, into memory V8 allocates.
    Napi::ArrayBuffer copy = Napi::ArrayBuffer::New(env, bytes_);
    std::memcpy(copy.Data(), out_, bytes_);
    return copy;
  }

  Napi::Promise::Deferred deferred_;
  std::shared_ptr<ReadPin> pin_;
  const void* src_;
  size_t bytes_;
  bool cuda_;
  int device_index_;
  void* out_ = nullptr;
  bool ended_ = false;
  bool failed_ = false;
  std::string message_;
  ErrorKind kind_ = ErrorKind::Argument;
};

// readAsync(handle, elemOffset, count) -> Promise<ArrayBuffer>: the copy of read, made on the libuv
// threadpool so that the event loop keeps turning while it runs. A bad handle or range throws here,
// as read does; a failure of the copy itself (a CUDA error) rejects the promise with the same typed
// error. Until the copy ends, ops that resolve the handle wait for it and a free of the buffer is
// deferred to it (see ReadPin).
Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  return guarded(info, "readAsync", [&]() -> Napi::Value {
    Context& c = context(info);
    // find, not get: copies of one buffer may overlap (they only read it)
    BufferRec* b = c.buffers.find(info[0]);
    if (!b) c.buffers.get(info[0], "readAsync");  // throws the error of a bad or freed handle
    LCSS_CHECK(b, "readAsync: expected a live native buffer handle");
    const int64_t off = arg_size(info, 1, "readAsync offset"), n = arg_size(info, 2, "readAsync count");
    LCSS_CHECK(checked_add(off, n, "readAsync") <= b->numel,
               "readAsync: %lld elements at %lld exceed a buffer of %lld", (long long)n, (long long)off,
               (long long)b->numel);
    const size_t esz = element_size(*b);
    const size_t bytes = checked_bytes(n, esz, "readAsync");
    const void* src = static_cast<const char*>(b->data) + off * int64_t(esz);
    if (!b->reads) b->reads = std::make_shared<ReadPin>();
    // From here the worker owns its share of the pin: queued, it is deleted after OnOK; if Queue
    // throws, the delete below ends its count.
    ReadWorker* w = new ReadWorker(info.Env(), *b, src, bytes);
    Napi::Promise p = w->promise();
    try {
      w->Queue();
    } catch (...) {
      delete w;
      throw;
    }
    return p;
  });
}

Napi::Object stats_object(Napi::Env env, const AllocStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocatedBytes", double(s.allocated_bytes));
  o.Set("reservedBytes", double(s.reserved_bytes));
  o.Set("peakAllocatedBytes", double(s.peak_allocated));
  o.Set("numAllocs", double(s.num_allocs));
  o.Set("cacheHits", double(s.cache_hits));
  o.Set("osAllocs", double(s.os_allocs));
  return o;
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  return guarded(info, "cpuMemoryStats", [&]() -> Napi::Value {
    Napi::Object o = stats_object(info.Env(), cpu_alloc_stats());
    o.Set("liveBuffers", double(context(info).buffers.live()));
    return o;
  });
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guarded(info, "emptyCache", [&]() -> Napi::Value {
    Context& c = context(info);
    cpu_empty_cache();
    if (c.cpu_reported > c.cpu_live) {
      Napi::MemoryManagement::AdjustExternalMemory(info.Env(), c.cpu_live - c.cpu_reported);
      c.cpu_reported = c.cpu_live;
    }
    return info.Env().Undefined();
  });
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  cpu_reset_peak();
  return info.Env().Undefined();
}

Napi::Value GetThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info, "setNumThreads", [&]() -> Napi::Value {
    set_num_threads(int(arg_int(info, 0, "setNumThreads", 1, kMaxThreads)));
    return info.Env().Undefined();
  });
}

Napi::Value PoolWorkerChunks(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(pool_worker_chunks()));
}

Napi::Value PoolStatsValue(const Napi::CallbackInfo& info) {
  const PoolStats s = pool_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", double(num_threads()));
  o.Set("regions", double(s.regions));
  o.Set("inlineRuns", double(s.inline_runs));
  o.Set("workerChunks", double(s.worker_chunks));
  o.Set("regionMs", double(s.region_ns) / 1e6);
  o.Set("callerWaitMs", double(s.caller_wait_ns) / 1e6);
  o.Set("workerBusyMs", double(s.worker_busy_ns) / 1e6);
  return o;
}

Napi::Value PoolTiming(const Napi::CallbackInfo& info) {
  return guarded(info, "poolTiming", [&]() -> Napi::Value {
    pool_set_timing(arg_bool(info, 0, "poolTiming"));
    return info.Env().Undefined();
  });
}

// setErrorClasses({ LCSS_ARGUMENT, LCSS_INDEX, LCSS_OUT_OF_MEMORY, LCSS_DEVICE }): the classes
// (constructors taking a message) that native failures of each kind are thrown as.
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  return guarded(info, "setErrorClasses", [&]() -> Napi::Value {
    LCSS_CHECK(info[0].IsObject(), "setErrorClasses: expected an object of classes");
    Napi::Object o = info[0].As<Napi::Object>();
    Context& c = context(info);
    for (int k = 0; k < 4; ++k) {
      Napi::Value f = o.Get(error_code(ErrorKind(k)));
      LCSS_CHECK(f.IsFunction(), "setErrorClasses: %s must be a class", error_code(ErrorKind(k)));
      c.error_classes[k] = Napi::Persistent(f.As<Napi::Function>());
    }
    return info.Env().Undefined();
  });
}

Napi::Value CpuIsa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), kernels().isa); }

}  // namespace

void register_memory(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "alloc", Alloc);
  define(env, exports, ctx, "free", Free);
  define(env, exports, ctx, "write", Write);
  define(env, exports, ctx, "read", Read);
  define(env, exports, ctx, "readAsync", ReadAsync);
  define(env, exports, ctx, "cpuMemoryStats", Stats);
  define(env, exports, ctx, "cpuEmptyCache", EmptyCache);
  define(env, exports, ctx, "cpuResetPeak", ResetPeak);
  define(env, exports, ctx, "getNumThreads", GetThreads);
  define(env, exports, ctx, "setNumThreads", SetThreads);
  define(env, exports, ctx, "poolWorkerChunks", PoolWorkerChunks);
  define(env, exports, ctx, "poolStats", PoolStatsValue);
  define(env, exports, ctx, "poolTiming", PoolTiming);
  define(env, exports, ctx, "cpuIsa", CpuIsa);
  define(env, exports, ctx, "setErrorClasses", SetErrorClasses);
}

}  // namespace lcss
