// SPDX-License-Identifier: MIT
#include "threadpool.h"

#include "allocator.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LCSS_PAUSE() _mm_pause()
#else
#define LCSS_PAUSE() ((void)0)
#endif

// Test builds of the native harness (native/test) define LCSS_POOL_STALLS to widen the windows
// between publishing a job and claiming its chunks with random short sleeps; the race fixed in
// work() showed up in 1 of ~50,000 jobs without them and in 1 of ~150 with them. Empty otherwise.
#ifdef LCSS_POOL_STALLS
#include <random>
#define LCSS_POOL_STALL()                                                                 \
  do {                                                                                    \
    static thread_local std::minstd_rand rng(uint32_t(std::hash<std::thread::id>()(std::this_thread::get_id()))); \
    if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20)); \
  } while (0)
#else
#define LCSS_POOL_STALL() ((void)0)
#endif

namespace lcss {
namespace {

thread_local bool t_in_pool_region = false;
thread_local bool t_is_worker = false;
thread_local int t_worker_index = 0;     // 1..n-1 on workers
thread_local void* t_scratch = nullptr;  // this thread's block in the current scratch region

// A grow-only block of scratch memory (from the caching allocator, so memory() reports it).
struct Arena {
  void* p = nullptr;
  size_t n = 0;
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& o) noexcept : p(o.p), n(o.n) {
    o.p = nullptr;
    o.n = 0;
  }
  void* get(size_t want) {
    if (want > n) {
      if (p) cpu_free(p, n);
      p = nullptr;
      n = 0;
      p = cpu_alloc(want);
      n = want;
    }
    return p;
  }
  ~Arena() {
    if (p) cpu_free(p, n);
  }
};
thread_local Arena t_caller_arena;  // callers' scratch (JS threads, or any thread calling in)

// Runs f(0, n) on this thread with `bytes` of scratch: the caller's arena, or a temporary block
// when this thread's arena is already in use by an enclosing region (nested call).
void inline_scratch(RangeFn f, int64_t n, size_t bytes) {
  if (!bytes) {
    f(0, n);
    return;
  }
  void* saved = t_scratch;
  if (!t_in_pool_region) {
    t_scratch = t_caller_arena.get(bytes);
    f(0, n);
    t_scratch = saved;
    return;
  }
  void* tmp = cpu_alloc(bytes);
  t_scratch = tmp;
  try {
    f(0, n);
  } catch (...) {
    t_scratch = saved;
    cpu_free(tmp, bytes);
    throw;
  }
  t_scratch = saved;
  cpu_free(tmp, bytes);
}
// Region and chunk times are taken only while a profile asks for them (pool_set_timing): the clock
// reads cost ~0.7 us per two-chunk region on this VM, which small-op workloads would feel.
std::atomic<bool> g_timing{false};

uint64_t now_ns() {
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

constexpr std::chrono::microseconds kSpin{200};
// How long the caller spins on the last chunks before it starts yielding its core: on a machine
// with more runnable threads than cores the chunk it waits for may belong to a descheduled
// worker, and spinning would only keep that worker off the core.
constexpr std::chrono::microseconds kWaitSpin{50};

// The claim word of the current job: generation (32 bits) | chunk count (16) | next chunk (16).
// A thread claims chunk c by a compare-exchange of the whole word, so a claim can only succeed
// against the job whose count it read: a worker still looping for a finished job sees that job's
// word (all chunks claimed) or a new word (and claims from the new job with the new count). The
// earlier layout kept the count in a separate field that the next job overwrote before it
// replaced the cursor, so a late worker could claim chunk `old count` of the new job with the old
// generation, run it, and the caller ran it again and counted it twice (chunks executed twice,
// run() returning while a chunk was still running).
constexpr uint64_t kMaxChunks = 0xffff;
constexpr uint64_t pack_cursor(uint64_t gen, uint64_t chunks, uint64_t next) {
  return (gen << 32) | (chunks << 16) | next;
}

class Pool {
 public:
  Pool() {
    int n = 0;
    if (const char* env = std::getenv("LCSS_NUM_THREADS")) n = std::atoi(env);
    if (n <= 0) n = int(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    target_.store(std::min(n, kMaxThreads), std::memory_order_relaxed);
  }
  ~Pool() { stop(); }

  int threads() const { return target_.load(std::memory_order_relaxed); }
  void set_threads(int n) {
    std::lock_guard<std::mutex> lk(run_mu_);
    stop();
    target_.store(std::clamp(n, 1, kMaxThreads), std::memory_order_relaxed);
  }

  void run(int64_t n, int64_t grain, RangeFn f, int per_thread, size_t scratch) {
    std::unique_lock<std::mutex> lk(run_mu_, std::try_to_lock);
    if (!lk.owns_lock() || t_in_pool_region) {  // busy or nested: run inline
      inline_runs_.fetch_add(1, std::memory_order_relaxed);
      inline_scratch(f, n, scratch);
      return;
    }
    ensure_workers();
    const int target = threads();
    const int64_t chunks = std::min<int64_t>(
        {int64_t(target) * std::max(1, per_thread), (n + grain - 1) / grain, int64_t(kMaxChunks)});
    if (chunks <= 1) {
      inline_runs_.fetch_add(1, std::memory_order_relaxed);
      inline_scratch(f, n, scratch);
      return;
    }
    const bool timed = g_timing.load(std::memory_order_relaxed);
    const uint64_t t_start = timed ? now_ns() : 0;
    if (scratch) {
      // Every thread's block, grown now, while no worker can hold a chunk (we hold run_mu_ and
      // the previous job has completed): the first region of a size allocates for all threads.
      for (Arena& a : warena_) a.get(scratch);
      caller_scratch_ = t_caller_arena.get(scratch);
    }
    // The job's parameters are plain fields: they are written before the claim word is published
    // (release) and read only after a successful claim (acquire), and the next job rewrites them
    // only after every chunk of this one has reported done.
    job_fn_ = &f;
    job_n_ = n;
    job_chunks_ = chunks;
    job_scratch_ = scratch;
    error_ = nullptr;
    done_chunks_.store(0, std::memory_order_relaxed);
    LCSS_POOL_STALL();
    uint64_t gen;
    {
      std::lock_guard<std::mutex> g(wake_mu_);
      gen = (generation_.load(std::memory_order_relaxed) + 1) & 0xffffffffu;
      cursor_.store(pack_cursor(gen, uint64_t(chunks), 0), std::memory_order_release);
      generation_.store(gen, std::memory_order_release);
    }
    wake_cv_.notify_all();
    void* saved = t_scratch;
    t_in_pool_region = true;
    work();
    t_in_pool_region = false;
    t_scratch = saved;
    const uint64_t t_wait = timed ? now_ns() : 0;
    wait_done(chunks);
    regions_.fetch_add(1, std::memory_order_relaxed);
    if (timed) {
      const uint64_t t_end = now_ns();
      region_ns_.fetch_add(t_end - t_start, std::memory_order_relaxed);
      caller_wait_ns_.fetch_add(t_end - t_wait, std::memory_order_relaxed);
    }
    if (error_) std::rethrow_exception(error_);
  }

  PoolStats stats() const {
    PoolStats s;
    s.regions = regions_.load(std::memory_order_relaxed);
    s.inline_runs = inline_runs_.load(std::memory_order_relaxed);
    s.worker_chunks = worker_chunks_.load(std::memory_order_relaxed);
    s.region_ns = region_ns_.load(std::memory_order_relaxed);
    s.caller_wait_ns = caller_wait_ns_.load(std::memory_order_relaxed);
    s.worker_busy_ns = worker_busy_ns_.load(std::memory_order_relaxed);
    return s;
  }

  // Counters for tests: chunks run by the pool's workers and by callers since start.
  uint64_t worker_chunks() const { return worker_chunks_.load(std::memory_order_relaxed); }

 private:
  void wait_done(int64_t chunks) {
    if (done_chunks_.load(std::memory_order_acquire) >= chunks) return;
    const auto until = std::chrono::steady_clock::now() + kWaitSpin;
    for (int i = 0; done_chunks_.load(std::memory_order_acquire) < chunks; ++i) {
      if (i < 64 || std::chrono::steady_clock::now() < until) LCSS_PAUSE();
      else std::this_thread::yield();
    }
  }

  void work() {
    for (;;) {
      uint64_t v = cursor_.load(std::memory_order_acquire);
      const uint64_t c = v & 0xffff, chunks = (v >> 16) & 0xffff;
      if (c >= chunks) return;
      LCSS_POOL_STALL();
      if (!cursor_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      // Chunk c of the job published with word v is ours; that job cannot complete (and its
      // parameters cannot change) before this chunk reports done below.
      const int64_t n = job_n_, nc = job_chunks_;
      const int64_t b = n * int64_t(c) / nc, e = n * int64_t(c + 1) / nc;
      if (job_scratch_) t_scratch = t_is_worker ? warena_[size_t(t_worker_index - 1)].p : caller_scratch_;
      const bool timed = t_is_worker && g_timing.load(std::memory_order_relaxed);
      const uint64_t t0 = timed ? now_ns() : 0;
      try {
        (*job_fn_)(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> g(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
      if (t_is_worker) {
        worker_chunks_.fetch_add(1, std::memory_order_relaxed);
        if (timed) worker_busy_ns_.fetch_add(now_ns() - t0, std::memory_order_relaxed);
      }
      LCSS_POOL_STALL();
      done_chunks_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  void worker_main(int index) {
    t_in_pool_region = true;
    t_is_worker = true;
    t_worker_index = index;
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin for kSpin (the ops of a training step arrive microseconds apart), then sleep: a
      // futex wake-up costs ~10-15 us here. The budget is time, not pause count: one pause is
      // 25-45 ns on this CPU, so a pause count large enough to bridge the gap between ops kept a
      // core busy for up to 0.9 ms after every job, taking it from other threads and processes.
      uint64_t g = seen;
      const auto until = std::chrono::steady_clock::now() + kSpin;
      for (int i = 0; (g = generation_.load(std::memory_order_acquire)) == seen; ++i) {
        if (quit_.load(std::memory_order_relaxed)) return;
        LCSS_PAUSE();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) break;
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(wake_mu_);
        wake_cv_.wait(lk, [&] {
          return quit_.load() || generation_.load(std::memory_order_acquire) != seen;
        });
        g = generation_.load(std::memory_order_acquire);
      }
      if (quit_.load()) return;
      seen = g;
      work();
    }
  }

  void ensure_workers() {
    const int target = threads();
    if (int(workers_.size()) == target - 1) return;
    stop();
    quit_.store(false);
    warena_.clear();
    warena_.resize(size_t(target - 1));
    for (int i = 0; i < target - 1; ++i) workers_.emplace_back([this, i] { worker_main(i + 1); });
  }

  void stop() {
    if (workers_.empty()) return;
    {
      std::lock_guard<std::mutex> g(wake_mu_);
      quit_.store(true);
    }
    wake_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  std::atomic<int> target_{1};
  std::vector<std::thread> workers_;
  std::mutex run_mu_, wake_mu_, err_mu_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> cursor_{0};
  std::atomic<int64_t> done_chunks_{0};
  std::atomic<uint64_t> worker_chunks_{0};
  std::atomic<uint64_t> regions_{0}, inline_runs_{0}, region_ns_{0}, caller_wait_ns_{0}, worker_busy_ns_{0};
  // The current job (see run()).
  RangeFn* job_fn_ = nullptr;
  int64_t job_n_ = 0, job_chunks_ = 0;
  size_t job_scratch_ = 0;
  std::exception_ptr error_;
  // Scratch regions: per-worker blocks (indexed by worker), the caller's block.
  std::vector<Arena> warena_;
  void* caller_scratch_ = nullptr;
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: joined threads at exit race with Node teardown
  return *p;
}

}  // namespace

int num_threads() { return pool().threads(); }
bool t_in_pool_worker() { return t_is_worker; }
bool in_parallel_region() { return t_in_pool_region; }
void set_num_threads(int n) { pool().set_threads(n); }
void parallel_for_impl(int64_t n, int64_t grain, RangeFn f, int per_thread, size_t scratch) {
  pool().run(n, grain, f, per_thread, scratch);
}
void* region_scratch() { return t_scratch; }
uint64_t pool_worker_chunks() { return pool().worker_chunks(); }
PoolStats pool_stats() { return pool().stats(); }
void pool_set_timing(bool on) { g_timing.store(on, std::memory_order_relaxed); }

}  // namespace lcss
