// SPDX-License-Identifier: MIT
// The CUDA emulator's runtime (see cuda_emu.h): guarded device memory, the runtime API subset, and
// the fiber scheduler that runs each block's threads with real barrier semantics.
#include "cuda_emu.h"

#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "../../core/error.h"

namespace lcss_emu {
ThreadCtx* g_cur = nullptr;
}

namespace {

using lcss::Error;
using lcss::strfmt;

int env_int(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

// ------------------------------------------------------------------------------------------------
// Device memory: one reserved region, one span per allocation with a guard page after it; the data
// ends where the guard begins (16-byte alignment), so reading past the end faults. Outside kernels
// and copies every span is inaccessible, so a host dereference of device memory faults too.

struct Alloc {
  char* span;
  size_t pages;  // data pages (the guard page follows)
  size_t bytes;
};

struct Region {
  std::recursive_mutex mu;
  char* base = nullptr;
  size_t cap = 0, top = 0, page = 4096;
  size_t live_bytes = 0, limit = 0;
  bool protect = true;
  int open_depth = 0;
  std::map<const char*, Alloc> live;  // data start -> allocation
  std::unordered_map<size_t, std::vector<char*>> free_spans;  // by data pages

  void init() {
    if (base) return;
    page = size_t(sysconf(_SC_PAGESIZE));
    protect = env_int("LCSS_EMU_PROTECT", 1) != 0;
    limit = size_t(env_int("LCSS_EMU_MEM_MB", 16384)) << 20;
    for (size_t c = size_t(64) << 30; c >= (size_t(1) << 30); c /= 2) {
      void* p = mmap(nullptr, c, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (p != MAP_FAILED) {
        base = static_cast<char*>(p);
        cap = c;
        return;
      }
    }
    throw Error("CUDA emulator: cannot reserve address space for device memory");
  }
  void set_access(const Alloc& a, bool rw) {
    mprotect(a.span, a.pages * page, rw ? PROT_READ | PROT_WRITE : PROT_NONE);
  }
  bool accessible() const { return !protect || open_depth > 0; }
  void* alloc(size_t n) {
    std::lock_guard<std::recursive_mutex> lk(mu);
    init();
    if (live_bytes + n > limit) return nullptr;
    size_t pages = (n + page - 1) / page;
    if (pages == 0) pages = 1;
    char* span;
    auto& fl = free_spans[pages];
    if (!fl.empty()) {
      span = fl.back();
      fl.pop_back();
    } else {
      size_t need = (pages + 1) * page;
      if (top + need > cap) return nullptr;
      span = base + top;
      top += need;
    }
    size_t used = (n + 15) / 16 * 16;
    char* data = span + pages * page - used;
    Alloc a{span, pages, n};
    mprotect(span, pages * page, PROT_READ | PROT_WRITE);
    std::memset(span, 0xFF, pages * page);  // fresh device memory reads as NaN, not as zeros
    if (!accessible()) set_access(a, false);
    live[data] = a;
    live_bytes += n;
    return data;
  }
  bool free(void* p) {
    std::lock_guard<std::recursive_mutex> lk(mu);
    auto it = live.find(static_cast<const char*>(p));
    if (it == live.end()) return false;
    Alloc a = it->second;
    live.erase(it);
    live_bytes -= a.bytes;
    madvise(a.span, a.pages * page, MADV_DONTNEED);
    mprotect(a.span, a.pages * page, PROT_NONE);
    free_spans[a.pages].push_back(a.span);
    return true;
  }
  // The allocation containing p (or ending at p), or null.
  const Alloc* find(const void* p, const char** start = nullptr) {
    std::lock_guard<std::recursive_mutex> lk(mu);
    auto it = live.upper_bound(static_cast<const char*>(p));
    if (it == live.begin()) return nullptr;
    --it;
    if (static_cast<const char*>(p) > it->first + it->second.bytes) return nullptr;
    if (start) *start = it->first;
    return &it->second;
  }
  bool contains(const void* p) const {
    return base && static_cast<const char*>(p) >= base && static_cast<const char*>(p) < base + cap;
  }
  void open() {
    std::lock_guard<std::recursive_mutex> lk(mu);
    if (open_depth++ == 0 && protect)
      for (auto& kv : live) set_access(kv.second, true);
  }
  void close() {
    std::lock_guard<std::recursive_mutex> lk(mu);
    if (--open_depth == 0 && protect)
      for (auto& kv : live) set_access(kv.second, false);
  }
};

Region g_mem;

struct Open {
  Open() { g_mem.open(); }
  ~Open() { g_mem.close(); }
};

// ------------------------------------------------------------------------------------------------
// Faults inside the device region get a message naming the kernel (or the host) before aborting;
// any other fault goes to the handler that was installed before ours (V8 uses one for wasm).

struct sigaction g_prev_segv, g_prev_bus;
const char* volatile g_kernel = nullptr;
std::once_flag g_sig_once;

void write_str(const char* s) {
  ssize_t r = write(2, s, std::strlen(s));
  (void)r;
}

void on_fault(int sig, siginfo_t* si, void* uc) {
  if (!g_mem.contains(si->si_addr)) {
    struct sigaction& prev = sig == SIGBUS ? g_prev_bus : g_prev_segv;
    if (prev.sa_flags & SA_SIGINFO) {
      if (prev.sa_sigaction) return prev.sa_sigaction(sig, si, uc);
    } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
      return prev.sa_handler(sig);
    }
    signal(sig, SIG_DFL);
    return;  // re-executes the faulting access with the default action
  }
  static char buf[512];
  if (g_kernel) {
    const lcss_emu::ThreadCtx* c = lcss_emu::g_cur;
    std::snprintf(buf, sizeof buf,
                  "\nlcss CUDA emulator: kernel '%s' block (%u,%u,%u) thread (%u,%u,%u) accessed %p, outside every "
                  "device allocation (out of bounds, or past the end into a guard page)\n",
                  g_kernel, c ? c->bid.x : 0, c ? c->bid.y : 0, c ? c->bid.z : 0, c ? c->tid.x : 0, c ? c->tid.y : 0,
                  c ? c->tid.z : 0, si->si_addr);
  } else {
    std::snprintf(buf, sizeof buf,
                  "\nlcss CUDA emulator: host code accessed device memory at %p (a CPU code path was given a CUDA "
                  "buffer, or a kernel read past the end of an allocation)\n",
                  si->si_addr);
  }
  write_str(buf);
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, 2);
  signal(SIGABRT, SIG_DFL);
  abort();
}

void install_fault_handler() {
  std::call_once(g_sig_once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
  });
  // faults on a fiber's stack (overflow) need a stack of their own, per OS thread
  thread_local bool alt = false;
  if (!alt) {
    alt = true;
    stack_t ss;
    ss.ss_size = 1 << 16;
    ss.ss_sp = std::malloc(ss.ss_size);
    ss.ss_flags = 0;
    sigaltstack(&ss, nullptr);
  }
}

// ------------------------------------------------------------------------------------------------
// Runtime state

thread_local cudaError_t t_last = cudaSuccess;
thread_local int t_device = 0;

cudaError_t ret(cudaError_t e) {
  if (e != cudaSuccess) t_last = e;
  return e;
}

int num_devices() {
  static int n = env_int("LCSS_EMU_DEVICES", 1);
  return n;
}

struct lcss_emu_event_rec {
  double ms = 0;
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

struct lcss_emu_stream {
  int device;
};
struct lcss_emu_event {
  double ms;
};

cudaError_t cudaGetDeviceCount(int* n) {
  *n = num_devices();
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) {
  if (d < 0 || d >= num_devices()) return ret(cudaErrorInvalidDevice);
  t_device = d;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* d) {
  *d = t_device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d) {
  if (d < 0 || d >= num_devices()) return ret(cudaErrorInvalidDevice);
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "lcss CUDA emulator (CPU)");
  p->totalGlobalMem = size_t(env_int("LCSS_EMU_MEM_MB", 16384)) << 20;
  p->sharedMemPerBlock = 48 << 10;
  p->sharedMemPerBlockOptin = 227 << 10;
  p->sharedMemPerMultiprocessor = 228 << 10;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsPerMultiProcessor = 2048;
  p->multiProcessorCount = 4;  // few SMs: grids sized from it stay small, so emulation stays fast
  p->major = 9;
  p->minor = 0;
  p->l2CacheSize = 50 << 20;
  p->memoryBusWidth = 5120;
  return cudaSuccess;
}
cudaError_t cudaMalloc(void** p, size_t n) {
  *p = g_mem.alloc(n);
  return *p ? cudaSuccess : ret(cudaErrorMemoryAllocation);
}
cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  return g_mem.free(p) ? cudaSuccess : ret(cudaErrorInvalidValue);
}

namespace {
bool is_dev(const void* p) { return g_mem.find(p) != nullptr; }

cudaError_t copy(void* dst, const void* src, size_t n, cudaMemcpyKind k) {
  if (n == 0) return cudaSuccess;
  bool dd = is_dev(dst), sd = is_dev(src);
  bool ok = k == cudaMemcpyDefault || (k == cudaMemcpyHostToDevice && dd && !sd) ||
            (k == cudaMemcpyDeviceToHost && !dd && sd) || (k == cudaMemcpyDeviceToDevice && dd && sd) ||
            (k == cudaMemcpyHostToHost && !dd && !sd);
  if (!ok) {
    std::fprintf(stderr, "lcss CUDA emulator: cudaMemcpy kind %d does not match the pointers (dst %s, src %s)\n", int(k),
                 dd ? "device" : "host", sd ? "device" : "host");
    return ret(cudaErrorInvalidValue);
  }
  // both ends of a device range must lie inside its allocation
  const char* start;
  if (dd) {
    const Alloc* a = g_mem.find(dst, &start);
    if (static_cast<char*>(dst) + n > start + a->bytes) return ret(cudaErrorInvalidValue);
  }
  if (sd) {
    const Alloc* a = g_mem.find(src, &start);
    if (static_cast<const char*>(src) + n > start + a->bytes) return ret(cudaErrorInvalidValue);
  }
  Open o;
  std::memmove(dst, src, n);
  return cudaSuccess;
}
}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind k) { return copy(dst, src, n, k); }
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind k, cudaStream_t) {
  return copy(dst, src, n, k);
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int, const void* src, int, size_t n, cudaStream_t) {
  return copy(dst, src, n, cudaMemcpyDeviceToDevice);
}
cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t) {
  if (n == 0) return cudaSuccess;
  const char* start;
  const Alloc* a = g_mem.find(p, &start);
  if (!a || static_cast<char*>(p) + n > start + a->bytes) return ret(cudaErrorInvalidValue);
  Open o;
  std::memset(p, v, n);
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = new lcss_emu_stream{t_device};
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaEventCreate(cudaEvent_t* e) {
  *e = new lcss_emu_event{0};
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete e;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t) {
  e->ms = now_ms();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventQuery(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaStreamWaitEvent(cudaStream_t, cudaEvent_t, unsigned) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
  *ms = float(b->ms - a->ms);
  return cudaSuccess;
}
cudaError_t cudaGetLastError() {
  cudaError_t e = t_last;
  t_last = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return t_last; }
cudaError_t cudaMemGetInfo(size_t* f, size_t* t) {
  *t = size_t(env_int("LCSS_EMU_MEM_MB", 16384)) << 20;
  *f = *t - g_mem.live_bytes;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}
const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    default: return cudaGetErrorName(e);
  }
}

// ------------------------------------------------------------------------------------------------
// The scheduler: one fiber per thread of a block. A fiber runs until it reaches a barrier or ends;
// a warp barrier opens when every lane of the warp waits at one, the block barrier when every
// thread of the block does. Nothing runnable and not all done: a divergent barrier, reported.

namespace lcss_emu {
namespace {

enum State { READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
  ucontext_t ctx;
  ThreadCtx tc;
  State st;
  int lane, warp;
};

std::mutex g_launch_mu;
ucontext_t g_sched;
std::vector<Fiber> g_fibers;
std::vector<char*> g_stacks;
size_t g_stack_size = 0;
Fiber* g_running = nullptr;
Body g_body;
std::vector<uint64_t> g_slots;
std::vector<unsigned char> g_smem;

void fiber_main() {
  g_body.call(g_body.obj);
  g_running->st = DONE;
}  // returns to g_sched through uc_link

void yield(State s) {
  Fiber* f = g_running;
  f->st = s;
  swapcontext(&f->ctx, &g_sched);
}

char* stack_for(size_t i) {
  while (g_stacks.size() <= i) {
    size_t page = size_t(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, g_stack_size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw Error("CUDA emulator: cannot allocate fiber stacks");
    mprotect(p, page, PROT_NONE);  // stack overflow faults instead of corrupting a neighbour
    g_stacks.push_back(static_cast<char*>(p) + page);
  }
  return g_stacks[i];
}

// Visit order of a pass: forward, reverse, or a per-pass pseudo-random permutation.
void order(std::vector<int>& idx, int n, int mode, uint64_t* rng) {
  idx.resize(size_t(n));
  for (int i = 0; i < n; ++i) idx[size_t(i)] = mode == 1 ? n - 1 - i : i;
  if (mode == 2)
    for (int i = n - 1; i > 0; --i) {
      *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
      int j = int((*rng >> 33) % uint64_t(i + 1));
      std::swap(idx[size_t(i)], idx[size_t(j)]);
    }
}

void run_block(const char* kernel, const dim3& grid, const dim3& block, const uint3& bid, int mode, uint64_t* rng) {
  const int n = int(block.x * block.y * block.z);
  for (int i = 0; i < n; ++i) {
    Fiber& f = g_fibers[size_t(i)];
    f.tc.bid = bid;
    f.tc.bdim = block;
    f.tc.gdim = grid;
    f.tc.tid = uint3{unsigned(i) % block.x, (unsigned(i) / block.x) % block.y, unsigned(i) / (block.x * block.y)};
    f.lane = i % 32;
    f.warp = i / 32;
    f.st = READY;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = stack_for(size_t(i));
    f.ctx.uc_stack.ss_size = g_stack_size;
    f.ctx.uc_link = &g_sched;
    makecontext(&f.ctx, fiber_main, 0);
  }
  if (!g_smem.empty()) std::memset(g_smem.data(), 0xFF, g_smem.size());
  std::vector<int> idx;
  const int nwarps = (n + 31) / 32;
  for (;;) {
    order(idx, n, mode, rng);
    for (int i : idx) {
      Fiber& f = g_fibers[size_t(i)];
      if (f.st != READY) continue;
      g_running = &f;
      g_cur = &f.tc;
      swapcontext(&g_sched, &f.ctx);
    }
    g_running = nullptr;
    int done = 0, at_block = 0;
    for (int i = 0; i < n; ++i) {
      done += g_fibers[size_t(i)].st == DONE;
      at_block += g_fibers[size_t(i)].st == AT_BLOCK_BARRIER;
    }
    if (done == n) return;
    bool released = false;
    for (int w = 0; w < nwarps; ++w) {
      int lo = w * 32, hi = std::min(n, lo + 32);
      bool all = true;
      for (int i = lo; i < hi && all; ++i) all = g_fibers[size_t(i)].st == AT_WARP_BARRIER;
      if (all) {
        for (int i = lo; i < hi; ++i) g_fibers[size_t(i)].st = READY;
        released = true;
      }
    }
    if (!released && at_block == n) {
      for (int i = 0; i < n; ++i) g_fibers[size_t(i)].st = READY;
      released = true;
    }
    if (!released) {
      int at_warp = n - done - at_block;
      throw Error(strfmt("CUDA emulator: kernel '%s' block (%u,%u,%u) cannot make progress: %d thread(s) wait at "
                         "__syncthreads, %d at a warp-level sync, %d have exited (a barrier not reached by every thread "
                         "of the block, or a shuffle not reached by every lane of the warp)",
                         kernel, bid.x, bid.y, bid.z, at_block, at_warp, done));
    }
  }
}

}  // namespace

void syncthreads() { yield(AT_BLOCK_BARRIER); }
void syncwarp() { yield(AT_WARP_BARRIER); }
int lane_id() { return g_running->lane; }

uint64_t shfl_bits(uint64_t v, int src) {
  Fiber* f = g_running;
  g_slots[size_t(f->warp * 32 + f->lane)] = v;
  syncwarp();  // every lane has published its value
  uint64_t r = (src >= 0 && src < 32) ? g_slots[size_t(f->warp * 32 + src)] : v;
  syncwarp();  // every lane has read before any lane publishes again
  return r;
}

void* dynamic_smem() { return g_smem.data(); }

void check_device_ptr(const char* kernel, int arg, const void* p) {
  if (!p) return;
  if (!g_mem.find(p))
    throw Error(strfmt("CUDA emulator: kernel '%s' argument %d is %p, which is not device memory (a host pointer "
                       "passed to a kernel)",
                       kernel, arg, p));
}

void run_grid(const char* kernel, dim3 grid, dim3 block, size_t smem, Body body) {
  std::lock_guard<std::mutex> lk(g_launch_mu);
  install_fault_handler();
  const uint64_t nthreads = uint64_t(block.x) * block.y * block.z;
  if (nthreads == 0 || nthreads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535 || grid.x > 0x7fffffffu || smem > (227u << 10)) {
    t_last = cudaErrorInvalidConfiguration;
    return;
  }
  if (!g_stack_size) g_stack_size = size_t(env_int("LCSS_EMU_STACK_KB", 256)) << 10;
  if (g_fibers.size() < nthreads) g_fibers.resize(nthreads);
  stack_for(nthreads - 1);
  g_slots.assign(size_t((nthreads + 31) / 32 * 32), 0);
  g_smem.assign(smem, 0xFF);
  g_body = body;
  const char* o = std::getenv("LCSS_EMU_ORDER");
  int mode = !o ? 0 : std::strcmp(o, "reverse") == 0 ? 1 : std::strcmp(o, "shuffle") == 0 ? 2 : 0;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  Open open;
  g_kernel = kernel;
  struct Reset {
    ~Reset() {
      g_kernel = nullptr;
      g_cur = nullptr;
    }
  } reset;
  const uint64_t nblocks = uint64_t(grid.x) * grid.y * grid.z;
  std::vector<int> bidx;
  // block order follows the same mode (blocks run one after another: races between blocks show
  // up as order dependence only through LCSS_EMU_ORDER)
  for (uint64_t k = 0; k < nblocks; ++k) {
    uint64_t b = mode == 1 ? nblocks - 1 - k : k;
    uint3 bid{unsigned(b % grid.x), unsigned((b / grid.x) % grid.y), unsigned(b / (uint64_t(grid.x) * grid.y))};
    run_block(kernel, grid, block, bid, mode, &rng);
  }
}

}  // namespace lcss_emu
