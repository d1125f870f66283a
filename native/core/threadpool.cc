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
constexpr std::chrono::microseconds kSpin{200};

class Pool {
 public:
  Pool() {
    int n = 0;
    if (const char* env = std::getenv("LCSS_NUM_THREADS")) n = std::atoi(env);
    if (n <= 0) n = int(std::thread::hardware_concurrency());
    if (n <= 0) n = 1;
    target_ = n;
  }
  ~Pool() { stop(); }

  int threads() const { return target_; }
  void set_threads(int n) {
    std::lock_guard<std::mutex> lk(run_mu_);
    stop();
    target_ = n < 1 ? 1 : n;
  }

  void run(int64_t n, int64_t grain, RangeFn f, int per_thread, size_t scratch) {
    std::unique_lock<std::mutex> lk(run_mu_, std::try_to_lock);
    if (!lk.owns_lock() || t_in_pool_region) {  // busy or nested: run inline
      inline_scratch(f, n, scratch);
      return;
    }
    ensure_workers();
    int64_t chunks = std::min<int64_t>(int64_t(target_) * std::max(1, per_thread), (n + grain - 1) / grain);
    if (chunks <= 1) {
      inline_scratch(f, n, scratch);
      return;
    }
    if (scratch) {
      // Every thread's block, grown now, while the workers are idle (we hold run_mu_ and the
      // previous job has completed): the first region of a size allocates for all threads at once.
      for (Arena& a : warena_) a.get(scratch);
      caller_scratch_ = t_caller_arena.get(scratch);
    }
    job_scratch_ = scratch;
    job_fn_.store(&f, std::memory_order_relaxed);
    job_n_.store(n, std::memory_order_relaxed);
    job_chunks_.store(chunks, std::memory_order_relaxed);
    done_chunks_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> g(wake_mu_);
      gen = generation_.load(std::memory_order_relaxed) + 1;
      // The chunk cursor carries the generation in its high half, so a worker that woke for an
      // earlier job can never claim a chunk of this one with stale parameters.
      cursor_.store(gen << 32, std::memory_order_release);
      generation_.store(gen, std::memory_order_release);
    }
    wake_cv_.notify_all();
    void* saved = t_scratch;
    t_in_pool_region = true;
    work(gen);
    t_in_pool_region = false;
    t_scratch = saved;
    while (done_chunks_.load(std::memory_order_acquire) < chunks) LCSS_PAUSE();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void work(uint64_t gen) {
    for (;;) {
      uint64_t v = cursor_.load(std::memory_order_acquire);
      if ((v >> 32) != (gen & 0xffffffffu)) return;
      int64_t chunks = job_chunks_.load(std::memory_order_relaxed);
      int64_t c = int64_t(v & 0xffffffffu);
      if (c >= chunks) return;
      if (!cursor_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
      int64_t n = job_n_.load(std::memory_order_relaxed);
      int64_t b = n * c / chunks, e = n * (c + 1) / chunks;
      if (job_scratch_) t_scratch = t_is_worker ? warena_[size_t(t_worker_index - 1)].p : caller_scratch_;
      try {
        (*job_fn_.load(std::memory_order_relaxed))(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> g(err_mu_);
        if (!error_) error_ = std::current_exception();
      }
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
      // 25-45 ns on this CPU, so the former 20000 pauses kept a core busy for up to 0.9 ms after
      // every job, taking it from the JS thread's GC helpers and other processes.
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
      work(g);
    }
  }

  void ensure_workers() {
    if (int(workers_.size()) == target_ - 1) return;
    stop();
    quit_.store(false);
    warena_.resize(size_t(target_ - 1));
    for (int i = 0; i < target_ - 1; ++i) workers_.emplace_back([this, i] { worker_main(i + 1); });
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

  int target_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mu_, wake_mu_, err_mu_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  std::atomic<RangeFn*> job_fn_{nullptr};
  std::atomic<int64_t> job_n_{0}, job_chunks_{0}, done_chunks_{0};
  std::atomic<uint64_t> cursor_{0};
  std::exception_ptr error_;
  // Scratch regions: per-worker blocks (indexed by worker), the caller's block, the job's size.
  // Written by the caller before a job is published (the generation store releases them).
  std::vector<Arena> warena_;
  void* caller_scratch_ = nullptr;
  size_t job_scratch_ = 0;
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

}  // namespace lcss
