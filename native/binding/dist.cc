// SPDX-License-Identifier: MIT
// Entry points of distributed training (native/dist/comm.h): distInfo, distInit, distSubmit,
// distSetTimeout, distAbort, distFinalize.
//
// A submitted job settles a Promise. The communication thread reports completion through one
// thread-safe function per process, owned by the environment that initialised the communicator
// (MPI is per process: a second environment is refused). The function keeps the event loop alive
// only while jobs are pending, so a finished program exits. Until a job ends, the tensors it reads
// and writes are counted on their buffers' pins: any op that resolves one of them waits, and a free
// hands the memory to the job (the same protocol as readAsync, read_pin.h).
#include <map>
#include <mutex>

#include "../dist/comm.h"
#include "binding.h"
#include "read_pin.h"

namespace lcss {

namespace {

struct Completion {
  uint64_t id;
  bool ok;
  std::string error;
};

// The environment that owns the communicator, and the Promises of its pending jobs.
struct Sink {
  std::mutex m;
  bool alive = false;  // false once the environment is being torn down
  napi_env env = nullptr;
  std::map<uint64_t, Napi::Promise::Deferred> pending;  // JS thread only
  // typed arrays a pending job reads or writes, kept alive until it settles (JS thread only: a
  // reference may only be released there)
  std::map<uint64_t, std::vector<Napi::Reference<Napi::Value>>> arrays;
  uint64_t next_id = 1;                                  // JS thread only
};

Sink& sink() {
  static Sink* s = new Sink();  // outlives static destruction (the communication thread may too)
  return *s;
}

Napi::Object world_object(Napi::Env env, const dist::WorldInfo& w) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", w.rank);
  o.Set("size", w.size);
  o.Set("localRank", w.local_rank);
  o.Set("localSize", w.local_size);
  o.Set("library", w.library);
  return o;
}

void settle(Napi::Env env, Napi::Function, void*, Completion* c);
using Tsfn = Napi::TypedThreadSafeFunction<void, Completion, settle>;
Tsfn& tsfn() {
  static Tsfn* t = new Tsfn();
  return *t;
}

// Runs on the JS thread of the owning environment: settles the job's Promise.
void settle(Napi::Env env, Napi::Function, void*, Completion* c) {
  std::unique_ptr<Completion> done(c);
  if (!env) return;  // the environment is going away
  Sink& s = sink();
  auto it = s.pending.find(done->id);
  if (it == s.pending.end()) return;
  Napi::Promise::Deferred d = it->second;
  s.pending.erase(it);
  s.arrays.erase(done->id);
  if (s.pending.empty()) tsfn().Unref(env);
  try {
    if (done->ok) d.Resolve(env.Undefined());
    else d.Reject(native_error(env, "distributed", done->error, ErrorKind::Device).Value());
  } catch (...) {
  }
}

void report(uint64_t id, bool ok, const std::string& error) {
  Sink& s = sink();
  std::lock_guard<std::mutex> lk(s.m);
  if (!s.alive) return;
  auto* c = new Completion{id, ok, error};
  if (tsfn().NonBlockingCall(c) != napi_ok) delete c;
}

Napi::Value DistInfo(const Napi::CallbackInfo& info) {
  return guarded(info, "distInfo", [&]() -> Napi::Value {
    const dist::BuildInfo b = dist::build_info();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("mpi", b.mpi);
    o.Set("compiledBy", b.compiled_by);
    o.Set("deviceTransport", b.device);
    o.Set("initialized", dist::initialized());
    return o;
  });
}

// distInit(timeoutSeconds) -> {rank, size, localRank, localSize, library}
Napi::Value DistInit(const Napi::CallbackInfo& info) {
  return guarded(info, "distInit", [&]() -> Napi::Value {
    const double timeout = arg_finite(info, 0, "distInit timeoutSeconds");
    LCSS_CHECK(timeout > 0, "distInit: timeoutSeconds must be > 0 (got %g)", timeout);
    Napi::Env env = info.Env();
    Sink& s = sink();
    {
      std::lock_guard<std::mutex> lk(s.m);
      LCSS_CHECK_KIND(ErrorKind::Device, !s.env || s.env == napi_env(env),
                      "distInit: the communicator belongs to another thread of this process (MPI is per "
                      "process: initialise it in one thread only)");
    }
    const dist::WorldInfo w = dist::init(timeout);
    std::lock_guard<std::mutex> lk(s.m);
    if (!s.env) {
      tsfn() = Tsfn::New(env, "lcss.distributed", 0, 1);
      tsfn().Unref(env);
      s.env = env;
      s.alive = true;
      // registered after the thread-safe function, so it runs before that function is torn down
      env.AddCleanupHook([] {
        Sink& k = sink();
        std::lock_guard<std::mutex> g(k.m);
        k.alive = false;
      });
    }
    return world_object(env, w);
  });
}

// distSubmit({kind, dtype, average, root, tensors: [[handle, offset, count], ...], arrays: [...],
// what}) -> Promise<void>. kind: 0 all-reduce (sum, or mean with average), 1 broadcast from root,
// 2 barrier.
Napi::Value DistSubmit(const Napi::CallbackInfo& info) {
  return guarded(info, "distSubmit", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Context& c = context(info);
    Sink& s = sink();
    {
      std::lock_guard<std::mutex> lk(s.m);
      LCSS_CHECK_KIND(ErrorKind::Device, s.env == napi_env(env) && s.alive,
                      "distSubmit: the communicator is not initialised in this thread (call distInit first)");
    }
    LCSS_CHECK(info.Length() >= 1 && info[0].IsObject(), "distSubmit: expected an options object");
    Napi::Object o = info[0].As<Napi::Object>();
    const auto int_of = [&](const char* key, int64_t lo, int64_t hi) {
      Napi::Value v = o.Get(key);
      LCSS_CHECK(v.IsNumber(), "distSubmit: %s must be a number", key);
      const double d = v.As<Napi::Number>().DoubleValue();
      LCSS_CHECK(d == double(int64_t(d)) && d >= double(lo) && d <= double(hi),
                 "distSubmit: %s must be an integer in [%lld, %lld] (got %g)", key, (long long)lo, (long long)hi, d);
      return int64_t(d);
    };
    dist::Job job;
    const int64_t kind = int_of("kind", 0, 2);
    job.kind = kind == 0 ? dist::JobKind::AllReduce : kind == 1 ? dist::JobKind::Broadcast : dist::JobKind::Barrier;
    job.dtype = DType(int_of("dtype", 0, 2));
    job.root = int(int_of("root", 0, 1 << 30));
    job.average = o.Get("average").ToBoolean();
    Napi::Value what = o.Get("what");
    job.what = what.IsString() ? what.As<Napi::String>().Utf8Value() : "collective";

    // Every piece is checked before any is counted, so a refused job leaves no pin behind.
    struct Pending {
      BufferRec* b;
      int64_t off, n;
    };
    std::vector<Pending> tensors;
    Napi::Value tv = o.Get("tensors");
    if (!tv.IsUndefined()) {
      LCSS_CHECK(tv.IsArray(), "distSubmit: tensors must be an array of [handle, offset, count]");
      Napi::Array ta = tv.As<Napi::Array>();
      for (uint32_t i = 0; i < ta.Length(); ++i) {
        Napi::Value e = ta.Get(i);
        LCSS_CHECK(e.IsArray() && e.As<Napi::Array>().Length() == 3, "distSubmit: tensors[%u] must be [handle, offset, count]", i);
        Napi::Array a = e.As<Napi::Array>();
        BufferRec& b = c.buffers.get(a.Get(0u), "distSubmit tensors");
        LCSS_CHECK(job.kind != dist::JobKind::AllReduce || b.dtype == job.dtype,
                   "distSubmit: tensors[%u] has dtype %s, but the job reduces %s", i, dtype_name(b.dtype), dtype_name(job.dtype));
        const auto num = [&](uint32_t k) {
          Napi::Value v = a.Get(k);
          LCSS_CHECK(v.IsNumber(), "distSubmit: tensors[%u][%u] must be a number", i, k);
          const double d = v.As<Napi::Number>().DoubleValue();
          LCSS_CHECK(d >= 0 && d <= double(kMaxElements) && d == double(int64_t(d)),
                     "distSubmit: tensors[%u][%u] must be a size (got %g)", i, k, d);
          return int64_t(d);
        };
        const int64_t off = num(1), n = num(2);
        LCSS_CHECK(checked_add(off, n, "distSubmit") <= b.numel, "distSubmit: tensors[%u]: %lld elements at %lld exceed a buffer of %lld",
                   i, (long long)n, (long long)off, (long long)b.numel);
        tensors.push_back({&b, off, n});
      }
    }
    std::vector<Napi::Reference<Napi::Value>> arrays;
    Napi::Value av = o.Get("arrays");
    if (!av.IsUndefined()) {
      LCSS_CHECK(av.IsArray(), "distSubmit: arrays must be an array of typed arrays");
      Napi::Array aa = av.As<Napi::Array>();
      for (uint32_t i = 0; i < aa.Length(); ++i) {
        Napi::Value e = aa.Get(i);
        LCSS_CHECK(e.IsTypedArray(), "distSubmit: arrays[%u] must be a typed array", i);
        Napi::TypedArray t = e.As<Napi::TypedArray>();
        dist::Piece p;
        p.data = static_cast<char*>(t.ArrayBuffer().Data()) + t.ByteOffset();
        p.bytes = t.ByteLength();
        job.pieces.push_back(std::move(p));
        arrays.push_back(Napi::Persistent(e));
      }
    }
    for (const Pending& t : tensors) {
      if (!t.b->reads) t.b->reads = std::make_shared<ReadPin>();
      std::shared_ptr<ReadPin> pin = t.b->reads;
      pin->begin();
      dist::Piece p;
      const size_t esz = dtype_size(t.b->dtype);
      p.data = static_cast<char*>(t.b->data) + t.off * int64_t(esz);
      p.bytes = checked_bytes(t.n, esz, "distSubmit");
      p.release = [pin] { pin->end(); };
      if (t.b->device != DeviceKind::Cpu) {
        // device memory goes through the host staging copy (the backend's copies wait for the
        // device, so the kernels that produced the gradients have finished)
        const Backend* be = &memory_backend(t.b->device);
        const int dev = t.b->device_index;
        void* data = p.data;
        const size_t bytes = p.bytes;
        p.to_host = [be, dev, data, bytes](void* host) { be->copy_to_host(dev, host, data, bytes); };
        p.from_host = [be, dev, data, bytes](const void* host) { be->copy_from_host(dev, data, host, bytes); };
        p.device = dev;
      }
      job.pieces.push_back(std::move(p));
    }
    for (auto& p : job.pieces)
      LCSS_CHECK(job.kind != dist::JobKind::AllReduce || p.bytes % dtype_size(job.dtype) == 0,
                 "distSubmit: a typed array of %zu bytes is not a whole number of %s elements", p.bytes, dtype_name(job.dtype));

    const uint64_t id = s.next_id++;
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    if (s.pending.empty()) tsfn().Ref(env);
    s.pending.emplace(id, d);
    if (!arrays.empty()) s.arrays.emplace(id, std::move(arrays));
    job.done = [id](bool ok, const std::string& err) { report(id, ok, err); };
    dist::submit(std::move(job));
    return d.Promise();
  });
}

Napi::Value DistSetTimeout(const Napi::CallbackInfo& info) {
  return guarded(info, "distSetTimeout", [&]() -> Napi::Value {
    const double t = arg_finite(info, 0, "distSetTimeout seconds");
    LCSS_CHECK(t > 0, "distSetTimeout: seconds must be > 0 (got %g)", t);
    dist::set_timeout(t);
    return info.Env().Undefined();
  });
}

Napi::Value DistAbort(const Napi::CallbackInfo& info) {
  return guarded(info, "distAbort", [&]() -> Napi::Value {
    const int64_t code = arg_int(info, 0, "distAbort code", 0, 255);
    dist::abort_job(int(code));
  });
}

Napi::Value DistFinalize(const Napi::CallbackInfo& info) {
  return guarded(info, "distFinalize", [&]() -> Napi::Value {
    dist::finalize();
    // nothing can complete any more: the thread-safe function goes, and with it the last thing
    // that could hold the event loop or the environment's teardown
    Sink& s = sink();
    std::lock_guard<std::mutex> lk(s.m);
    if (s.alive && s.env == napi_env(info.Env())) {
      s.alive = false;
      tsfn().Release();
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void register_dist(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "distInfo", DistInfo);
  define(env, exports, ctx, "distInit", DistInit);
  define(env, exports, ctx, "distSubmit", DistSubmit);
  define(env, exports, ctx, "distSetTimeout", DistSetTimeout);
  define(env, exports, ctx, "distAbort", DistAbort);
  define(env, exports, ctx, "distFinalize", DistFinalize);
}

}  // namespace lcss
