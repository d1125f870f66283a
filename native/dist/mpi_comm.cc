// SPDX-License-Identifier: MIT
// The MPI transport of comm.h (compiled when CMake finds an MPI library; no_mpi.cc otherwise).
//
// Every collective works on a staging copy of its pieces, never on tensor memory: a collective that
// times out is still in flight inside MPI (MPI cannot cancel one), so its staging memory is left to
// it on purpose and the tensors are released unharmed. The copy costs one pass over the bucket
// at memory bandwidth, small beside the backward pass it overlaps. The staging buffer is kept from
// job to job (grown when needed): a fresh one per job costs page faults on every byte (measured:
// a 100 MB all-reduce took 4x MPI_Allreduce's time with a fresh buffer).
#include <dlfcn.h>
#include <sys/prctl.h>
// the C API only: the deprecated C++ bindings would need libmpi_cxx, which the addon does not link
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../core/error.h"
#include "comm.h"

namespace lcss {
namespace dist {

namespace {

constexpr int kArriveTag = 7411;  // "I have reached collective #seq" notices between peers

using Clock = std::chrono::steady_clock;

struct State {
  std::mutex m;
  std::condition_variable cv;
  std::deque<Job> queue;
  std::thread thread;
  bool started = false, ready = false, stopping = false, finalized = false;
  std::string init_error;
  WorldInfo world;
  std::atomic<double> timeout_s{300};
  std::atomic<int> abort_code{-1};

  // roll call (communication thread only)
  int64_t seq = 0;                                  // collectives started by this rank
  std::vector<int64_t> seen, inbox, outbox;         // per peer: last collective it reached; buffers
  std::vector<MPI_Request> recv_req, send_req;

  // staging memory reused across jobs (communication thread only)
  char* stage = nullptr;
  size_t stage_cap = 0;
  int joined_device = -1;  // the device the device transport was joined on
};

const DeviceTransport*& device_transport() {
  static const DeviceTransport* t = nullptr;
  return t;
}

// The device transport, when one is registered, usable and not turned off (LCSS_NCCL=0).
const DeviceTransport* usable_device_transport() {
  const DeviceTransport* t = device_transport();
  const char* off = std::getenv("LCSS_NCCL");
  if (!t || (off && std::strcmp(off, "0") == 0) || !t->unavailable().empty()) return nullptr;
  return t;
}

State& state() {
  static State* s = new State();  // never destroyed: the thread may outlive static destruction
  return *s;
}

std::string mpi_error(int rc) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, buf, &len) != MPI_SUCCESS) return strfmt("MPI error %d", rc);
  return std::string(buf, size_t(len));
}

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::F32: return MPI_FLOAT;
    case DType::F64: return MPI_DOUBLE;
    case DType::I32: return MPI_INT;
    default: return MPI_BYTE;
  }
}

// MPI may load its own plugins (Open MPI's components) that expect libmpi's symbols to be global;
// Node loads this addon, and with it libmpi, with RTLD_LOCAL. Reopening the library that defines
// MPI_Init_thread with RTLD_GLOBAL (NOLOAD: it is already mapped) makes its symbols visible to them.
void promote_mpi_symbols() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&MPI_Init_thread), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
}

void post_recv(State& s, int peer) {
  MPI_Irecv(&s.inbox[peer], 1, MPI_INT64_T, peer, kArriveTag, MPI_COMM_WORLD, &s.recv_req[peer]);
}

void start_roll_call(State& s) {
  const int n = s.world.size;
  s.seen.assign(n, 0);
  s.inbox.assign(n, 0);
  s.outbox.assign(n, 0);
  s.recv_req.assign(n, MPI_REQUEST_NULL);
  s.send_req.assign(n, MPI_REQUEST_NULL);
  for (int p = 0; p < n; ++p)
    if (p != s.world.rank) post_recv(s, p);
}

// Tells every peer that this rank reached collective #seq. A peer still holding an earlier notice
// (its receive not yet matched) is skipped: the next notice carries the newer number.
void announce(State& s) {
  for (int p = 0; p < s.world.size; ++p) {
    if (p == s.world.rank) continue;
    int done = 1;
    if (s.send_req[p] != MPI_REQUEST_NULL) MPI_Test(&s.send_req[p], &done, MPI_STATUS_IGNORE);
    if (!done) continue;
    s.outbox[p] = s.seq;
    MPI_Isend(&s.outbox[p], 1, MPI_INT64_T, p, kArriveTag, MPI_COMM_WORLD, &s.send_req[p]);
  }
}

void collect_notices(State& s) {
  for (int p = 0; p < s.world.size; ++p) {
    if (p == s.world.rank || s.recv_req[p] == MPI_REQUEST_NULL) continue;
    int done = 0;
    if (MPI_Test(&s.recv_req[p], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) continue;
    if (!done) continue;
    s.seen[p] = std::max(s.seen[p], s.inbox[p]);
    post_recv(s, p);
  }
}

std::string missing_ranks(State& s) {
  std::string out;
  int count = 0;
  for (int p = 0; p < s.world.size; ++p) {
    if (p == s.world.rank || s.seen[p] >= s.seq) continue;
    out += strfmt("%s%d (last at collective #%lld)", count++ ? ", " : "", p, (long long)s.seen[p]);
  }
  if (!count) return "every rank reached it, so the transport itself is stalled";
  return strfmt("rank%s %s never reached it: %s died or hung", count > 1 ? "s" : "", out.c_str(),
                count > 1 ? "they" : "it");
}

[[noreturn]] void do_abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; if it did, the process must end anyway
}

// Polls `finished` until it says true (or throws), the deadline passes, or an abort is requested;
// the roll call is collected meanwhile so a timeout can name the missing ranks. Spins for the first
// 50 us (a small collective completes in tens of us), then sleeps up to 200 us, longer the longer it
// waits: a waiting rank must leave the cores to the kernels it overlaps (this thread's timer slack
// is 1 us, so a sleep is about what it asks). Both transports wait here.
template <typename F>
bool poll_until(State& s, F&& finished, const std::string& what, const char* transport, std::string* err) {
  const auto start = Clock::now();
  const double limit = s.timeout_s.load();
  int idle = 0;
  for (;;) {
    if (finished()) return true;
    collect_notices(s);
    const int code = s.abort_code.load();
    if (code >= 0) do_abort(code);
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (waited > limit) {
      *err = strfmt("%s (collective #%lld%s%s) did not complete within %g s on rank %d: %s", what.c_str(),
                    (long long)s.seq, *transport ? ", " : "", transport, limit, s.world.rank, missing_ranks(s).c_str());
      return false;
    }
    if (waited > 50e-6) std::this_thread::sleep_for(std::chrono::microseconds(std::min(200, 5 + ++idle * 5)));
  }
}

// An MPI request, polled by poll_until; an MPI error ends the wait with its message.
bool wait_request(State& s, MPI_Request* req, const std::string& what, std::string* err) {
  int rc = MPI_SUCCESS;
  const bool ok = poll_until(s, [&] {
    int flag = 0;
    rc = MPI_Test(req, &flag, MPI_STATUS_IGNORE);
    return rc != MPI_SUCCESS || flag;
  }, what, "", err);
  if (ok && rc != MPI_SUCCESS) {
    *err = strfmt("%s failed on rank %d: %s", what.c_str(), s.world.rank, mpi_error(rc).c_str());
    return false;
  }
  return ok;
}

// dst[i] = src[i] / n over `bytes` of float32 or float64 (dst may be src).
void divide(DType t, const void* src, void* dst, size_t bytes, int n) {
  const double d = n;
  if (t == DType::F32) {
    const float* a = static_cast<const float*>(src);
    float* b = static_cast<float*>(dst);
    for (size_t i = 0, e = bytes / 4; i < e; ++i) b[i] = float(a[i] / d);
  } else {
    const double* a = static_cast<const double*>(src);
    double* b = static_cast<double*>(dst);
    for (size_t i = 0, e = bytes / 8; i < e; ++i) b[i] = a[i] / d;
  }
}

// A job whose pieces all live on one CUDA device, run by the device transport: its unique id is
// made by rank 0 and broadcast over MPI on first use, then the collective runs on the device and is
// polled against the same deadline as an MPI one.
bool run_device_job(State& s, const DeviceTransport& t, Job& job, int device, std::string* err) {
  if (s.joined_device < 0) {
    std::vector<char> id(t.id_bytes);
    if (s.world.rank == 0) t.make_id(id.data());
    MPI_Request req = MPI_REQUEST_NULL;
    const int rc = MPI_Ibcast(id.data(), int(id.size()), MPI_BYTE, 0, MPI_COMM_WORLD, &req);
    if (rc != MPI_SUCCESS) {
      *err = strfmt("%s: the %s id could not be broadcast: %s", job.what.c_str(), t.name, mpi_error(rc).c_str());
      return false;
    }
    if (!wait_request(s, &req, strfmt("the broadcast of the %s id", t.name), err)) return false;
    t.join(device, s.world.rank, s.world.size, id.data());
    s.joined_device = device;
  }
  LCSS_CHECK_KIND(ErrorKind::Device, device == s.joined_device,
                  "%s: tensors on cuda:%d, but this rank's %s communicator is on cuda:%d (one device per rank)",
                  job.what.c_str(), device, t.name, s.joined_device);
  t.start(job, device);
  if (poll_until(s, [&] { return t.finished(device); }, job.what, t.name, err)) return true;
  t.abort();
  return false;
}

// Runs one job; returns false with *err set when it failed.
bool run_job(State& s, Job& job, std::string* err) {
  ++s.seq;
  if (s.world.size > 1) announce(s);
  // all pieces on one CUDA device, and a device transport: the data never leaves the device
  if (!job.pieces.empty() && job.pieces[0].device >= 0 && job.kind != JobKind::Barrier) {
    const int dev = job.pieces[0].device;
    bool same = true;
    for (auto& p : job.pieces) same = same && p.device == dev;
    if (same)
      if (const DeviceTransport* t = usable_device_transport()) return run_device_job(s, *t, job, dev, err);
  }
  size_t total = 0;
  for (auto& p : job.pieces) total += p.bytes;
  char* staging = nullptr;
  if (total) {
    if (total > s.stage_cap) {
      std::free(s.stage);
      s.stage = static_cast<char*>(std::malloc(total));
      s.stage_cap = s.stage ? total : 0;
    }
    staging = s.stage;
    if (!staging) {
      *err = strfmt("%s: out of memory for a staging copy of %zu bytes", job.what.c_str(), total);
      return false;
    }
    size_t at = 0;
    for (auto& p : job.pieces) {
      if (p.to_host) p.to_host(staging + at);
      else std::memcpy(staging + at, p.data, p.bytes);
      at += p.bytes;
    }
  }
  const size_t esz = job.kind == JobKind::AllReduce ? dtype_size(job.dtype) : 1;
  const MPI_Datatype type = job.kind == JobKind::AllReduce ? mpi_type(job.dtype) : MPI_BYTE;
  const size_t count = total / esz;
  // MPI counts are ints: anything larger goes in chunks of 2^30 elements
  constexpr size_t kChunk = size_t(1) << 30;
  size_t at = 0;
  do {
    const int n = int(std::min(kChunk, count - at));
    MPI_Request req = MPI_REQUEST_NULL;
    int rc = MPI_SUCCESS;
    char* p = staging ? staging + at * esz : nullptr;
    switch (job.kind) {
      case JobKind::AllReduce: rc = MPI_Iallreduce(MPI_IN_PLACE, p, n, type, MPI_SUM, MPI_COMM_WORLD, &req); break;
      case JobKind::Broadcast: rc = MPI_Ibcast(p, n, MPI_BYTE, job.root, MPI_COMM_WORLD, &req); break;
      case JobKind::Barrier: rc = MPI_Ibarrier(MPI_COMM_WORLD, &req); break;
    }
    if (rc != MPI_SUCCESS) {
      *err = strfmt("%s could not start on rank %d: %s", job.what.c_str(), s.world.rank, mpi_error(rc).c_str());
      return false;
    }
    if (!wait_request(s, &req, job.what, err)) {
      // the request is still in flight on the staging memory: it is MPI's now, the next job allocates
      s.stage = nullptr;
      s.stage_cap = 0;
      return false;
    }
    at += size_t(n);
  } while (at < count);
  // The mean is divided, not multiplied by 1/N: the mean of N ranks is then the mean one rank would
  // compute. Host pieces take the division on the way out (one pass over the bucket, not two).
  const bool mean = job.kind == JobKind::AllReduce && job.average && s.world.size > 1 && is_float(job.dtype);
  at = 0;
  for (auto& p : job.pieces) {
    char* src = staging + at;
    if (mean && !p.from_host) divide(job.dtype, src, p.data, p.bytes, s.world.size);
    else {
      if (mean) divide(job.dtype, src, src, p.bytes, s.world.size);
      if (p.from_host) p.from_host(src);
      else std::memcpy(p.data, src, p.bytes);
    }
    at += p.bytes;
  }
  return true;
}

void finish(Job& job, bool ok, const std::string& err) {
  for (auto& p : job.pieces)
    if (p.release) p.release();
  if (job.done) job.done(ok, err);
}

void comm_main() {
  State& s = state();
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us: the polling sleeps below are short (default 50 us)
  promote_mpi_symbols();
  int provided = 0, rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  {
    std::lock_guard<std::mutex> lk(s.m);
    if (rc != MPI_SUCCESS) {
      s.init_error = strfmt("MPI_Init_thread failed: %s", mpi_error(rc).c_str());
    } else {
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &s.world.rank);
      MPI_Comm_size(MPI_COMM_WORLD, &s.world.size);
      MPI_Comm node;
      if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.world.rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_rank(node, &s.world.local_rank);
        MPI_Comm_size(node, &s.world.local_size);
        MPI_Comm_free(&node);
      }
      char lib[MPI_MAX_LIBRARY_VERSION_STRING];
      int len = 0;
      MPI_Get_library_version(lib, &len);
      s.world.library = std::string(lib, size_t(len));
      while (!s.world.library.empty() && (s.world.library.back() == '\n' || s.world.library.back() == '\0'))
        s.world.library.pop_back();
      start_roll_call(s);
    }
    s.ready = true;
  }
  s.cv.notify_all();
  if (rc != MPI_SUCCESS) return;

  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lk(s.m);
      s.cv.wait_for(lk, std::chrono::milliseconds(50),
                    [&] { return !s.queue.empty() || s.stopping || s.abort_code.load() >= 0; });
      if (s.abort_code.load() >= 0) {
        lk.unlock();
        do_abort(s.abort_code.load());
      }
      if (s.queue.empty()) {
        if (s.stopping) break;
        continue;
      }
      job = std::move(s.queue.front());
      s.queue.pop_front();
    }
    std::string err;
    bool ok = false;
    try {
      ok = run_job(s, job, &err);
    } catch (const std::exception& e) {
      err = e.what();
    }
    finish(job, ok, err);
  }
  // No collective is in flight: cancel the standing receives of the roll call, then finalise.
  for (int p = 0; p < s.world.size; ++p) {
    if (s.recv_req[p] != MPI_REQUEST_NULL) {
      MPI_Cancel(&s.recv_req[p]);
      MPI_Wait(&s.recv_req[p], MPI_STATUS_IGNORE);
    }
    if (s.send_req[p] != MPI_REQUEST_NULL) MPI_Wait(&s.send_req[p], MPI_STATUS_IGNORE);
  }
  MPI_Finalize();
  {
    std::lock_guard<std::mutex> lk(s.m);
    s.finalized = true;
  }
  s.cv.notify_all();
}

}  // namespace

void register_device_transport(const DeviceTransport* t) { device_transport() = t; }

BuildInfo build_info() {
  BuildInfo b;
  b.mpi = true;
  const DeviceTransport* t = device_transport();
  const char* off = std::getenv("LCSS_NCCL");
  b.device = !t ? "none in this build (CUDA tensors are staged on the host)"
           : (off && std::strcmp(off, "0") == 0) ? strfmt("%s turned off by LCSS_NCCL=0 (CUDA tensors are staged on the host)", t->name)
           : t->unavailable().empty() ? strfmt("%s", t->name)
           : strfmt("%s unavailable: %s (CUDA tensors are staged on the host)", t->name, t->unavailable().c_str());
  int major = 0, minor = 0;
  MPI_Get_version(&major, &minor);
#if defined(OMPI_MAJOR_VERSION)
  b.compiled_by = strfmt("Open MPI %d.%d.%d (MPI %d.%d)", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION, major, minor);
#elif defined(MPICH_VERSION)
  b.compiled_by = strfmt("MPICH %s (MPI %d.%d)", MPICH_VERSION, major, minor);
#else
  b.compiled_by = strfmt("MPI %d.%d", major, minor);
#endif
  State& s = state();
  std::lock_guard<std::mutex> lk(s.m);
  b.library = s.world.library;
  return b;
}

WorldInfo init(double timeout_s) {
  State& s = state();
  std::unique_lock<std::mutex> lk(s.m);
  if (s.started) {
    s.cv.wait(lk, [&] { return s.ready; });
    if (!s.init_error.empty()) throw Error(s.init_error, ErrorKind::Device);
    if (s.stopping) throw Error("the communicator was finalized; MPI cannot be initialised twice in one process", ErrorKind::Device);
    s.timeout_s = timeout_s;
    return s.world;
  }
  s.started = true;
  s.timeout_s = timeout_s;
  s.thread = std::thread(comm_main);
  s.thread.detach();
  s.cv.wait(lk, [&] { return s.ready; });
  if (!s.init_error.empty()) throw Error(s.init_error, ErrorKind::Device);
  return s.world;
}

bool initialized() {
  State& s = state();
  std::lock_guard<std::mutex> lk(s.m);
  return s.ready && s.init_error.empty() && !s.stopping;
}

void set_timeout(double timeout_s) { state().timeout_s = timeout_s; }

void submit(Job job) {
  State& s = state();
  {
    std::lock_guard<std::mutex> lk(s.m);
    if (s.ready && s.init_error.empty() && !s.stopping) {
      s.queue.push_back(std::move(job));
      s.cv.notify_all();
      return;
    }
  }
  finish(job, false, job.what + ": the communicator is not running (call init first, and not after finalize)");
}

void abort_job(int code) {
  State& s = state();
  s.abort_code = code < 0 ? 1 : code;
  s.cv.notify_all();
  bool running;
  {
    std::lock_guard<std::mutex> lk(s.m);
    running = s.ready && s.init_error.empty() && !s.stopping;
  }
  // the communication thread aborts the job within one poll; if it is gone, end this process alone
  if (running) std::this_thread::sleep_for(std::chrono::seconds(10));
  std::_Exit(code < 0 ? 1 : code);
}

void finalize() {
  State& s = state();
  std::unique_lock<std::mutex> lk(s.m);
  if (!s.ready || !s.init_error.empty()) return;
  s.stopping = true;
  s.cv.notify_all();
  // the queued jobs run first; MPI_Finalize waits for every rank, bounded like any collective
  const auto limit = std::chrono::duration<double>(s.timeout_s.load() + 5.0);
  if (!s.cv.wait_for(lk, limit, [&] { return s.finalized; }))
    throw Error(strfmt("finalize did not complete within %g s on rank %d: another rank never finalized", limit.count(), s.world.rank), ErrorKind::Device);
}

}  // namespace dist
}  // namespace lcss
