// SPDX-License-Identifier: MIT
// One process-wide pool of worker threads with a blocking parallel_for. The calling thread takes
// part in the work. Nested calls, and calls made while another thread holds the pool (several
// engines in worker_threads), run inline, so the process never runs more than `num_threads()`
// kernel threads plus callers: no oversubscription.
#pragma once
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

int num_threads();
void set_num_threads(int n);  // n >= 1; takes effect for the next parallel region

// Runs f over [0, n) split into at most chunks_per_thread * num_threads() contiguous chunks of at
// least `grain` iterations, which the threads claim one at a time. Exceptions thrown by f are
// rethrown on the calling thread.
void parallel_for_impl(int64_t n, int64_t grain, RangeFn f, int chunks_per_thread);

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

}  // namespace lcss
