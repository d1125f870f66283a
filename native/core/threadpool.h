// SPDX-License-Identifier: MIT
// One process-wide pool of worker threads with a blocking parallel_for. The calling thread takes
// part in the work. Nested calls, and calls made while another thread holds the pool (several
// engines in worker_threads), run inline, so the process never runs more than `num_threads()`
// kernel threads plus callers: no oversubscription.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace lcss {

// A non-owning reference to a callable void(int64_t begin, int64_t end): no allocation per call.
class RangeFn {
 public:
  template <typename F>
  RangeFn(F& f) : obj_(&f), call_([](void* o, int64_t b, int64_t e) { (*static_cast<F*>(o))(b, e); }) {}
  void operator()(int64_t b, int64_t e) const { call_(obj_, b, e); }

 private:
  void* obj_;
  void (*call_)(void*, int64_t, int64_t);
};

// The most kernel threads a process may use (set_num_threads clamps to it).
constexpr int kMaxThreads = 1024;

int num_threads();
// True on the pool's worker threads (false on the threads that call into the pool).
bool t_in_pool_worker();
// True while this thread runs a chunk of a parallel region (worker or participating caller).
bool in_parallel_region();
void set_num_threads(int n);  // clamped to [1, kMaxThreads]; takes effect for the next parallel region
// Chunks run by pool worker threads since start (tests use it to prove the pool was exercised).
uint64_t pool_worker_chunks();

// Cumulative counters since start, for the profiler's account of how a step uses the threads:
// regions that fanned out to the workers and the wall time from publishing each to its last
// chunk, how much of that the caller spent waiting for workers after its own chunks ran out, and
// the time the workers spent inside chunks; calls that reached the pool but ran inline instead
// (one chunk's worth of work, a nested call, or the pool busy with another thread). Loops that
// parallel_for and parallel_for_dynamic keep on the caller because n <= grain never reach it.
struct PoolStats {
  uint64_t regions = 0, inline_runs = 0, worker_chunks = 0;
  uint64_t region_ns = 0, caller_wait_ns = 0, worker_busy_ns = 0;
};
PoolStats pool_stats();
// The three times above advance only while timing is on (the profiler turns it on for its
// stretch); the counts always do.
void pool_set_timing(bool on);

// Runs f over [0, n) split into at most chunks_per_thread * num_threads() contiguous chunks of at
// least `grain` iterations, which the threads claim one at a time. Exceptions thrown by f are
// rethrown on the calling thread.
void parallel_for_impl(int64_t n, int64_t grain, RangeFn f, int chunks_per_thread, size_t scratch_bytes = 0);

// Inside a chunk of parallel_for_scratch: this thread's scratch block (64-byte aligned).
void* region_scratch();

// One chunk per thread: for work whose chunks carry setup (a GEMM packs its operand per chunk) or
// whose callers index per-thread partial results by chunk.
template <typename F>
inline void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n <= grain || num_threads() == 1) {
    f(int64_t(0), n);
    return;
  }
  auto& fr = f;
  parallel_for_impl(n, grain, RangeFn(fr), 1);
}

// Up to 8 chunks per thread, claimed dynamically: a thread that wakes late or is descheduled (the
// machine is shared) leaves its chunks to the others instead of making them wait. For independent
// iterations with no per-chunk setup.
template <typename F>
inline void parallel_for_dynamic(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  if (n <= grain || num_threads() == 1) {
    f(int64_t(0), n);
    return;
  }
  auto& fr = f;
  parallel_for_impl(n, grain, RangeFn(fr), 8);
}

// Like parallel_for_dynamic (or parallel_for with chunks_per_thread = 1), and every chunk gets
// f(begin, end, scratch) with `bytes` of per-thread scratch. The pool allocates the blocks of all
// threads when the region starts, so how much memory a step loop asks the OS for never depends
// on which threads happened to run at the same time; blocks are kept and reused.
template <typename F>
inline void parallel_for_scratch(int64_t n, int64_t grain, size_t bytes, F&& f, int chunks_per_thread = 8) {
  if (n <= 0) return;
  auto g = [&](int64_t b, int64_t e) { f(b, e, region_scratch()); };
  parallel_for_impl(n, std::max<int64_t>(grain, 1), RangeFn(g), num_threads() == 1 ? 1 : chunks_per_thread, bytes);
}

}  // namespace lcss
