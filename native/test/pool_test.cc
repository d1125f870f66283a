// SPDX-License-Identifier: MIT
// The kernel thread pool under contention: more pool threads than cores, several threads calling
// in at once (as several worker_threads environments do), thread-count changes between jobs,
// exceptions, nesting. Every chunk must run exactly once and parallel_for must not return before
// all of them have finished. Built with LCSS_POOL_STALLS the pool sleeps at random in the windows
// between publishing a job and claiming, running and retiring its chunks.
#include <algorithm>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../core/threadpool.h"
#include "harness.h"

using namespace lcss;

namespace {

// Runs `jobs` parallel regions of varying size and chunk count over one counter array and checks
// every index was visited exactly once, right when the region returns (a region returning early
// leaves a 0; a chunk run twice leaves a 2; a straggler from an earlier region corrupts the next).
int64_t count_wrong(int jobs, uint32_t salt, bool dynamic) {
  std::vector<std::atomic<int>> hits(1 << 16);
  int64_t wrong = 0;
  for (int it = 0; it < jobs; ++it) {
    const int64_t n = 1 + int64_t((uint64_t(it) * 7919u + salt) % 60000u);
    for (int64_t i = 0; i < n; ++i) hits[size_t(i)].store(0, std::memory_order_relaxed);
    auto f = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1, std::memory_order_relaxed);
    };
    const int64_t grain = 500 + (it % 7) * 300;
    if (dynamic) parallel_for_dynamic(n, grain, f);
    else parallel_for(n, grain, f);
    for (int64_t i = 0; i < n; ++i)
      if (hits[size_t(i)].load(std::memory_order_relaxed) != 1) {
        ++wrong;
        break;
      }
  }
  return wrong;
}

struct ThreadsGuard {
  int saved = num_threads();
  ~ThreadsGuard() { set_num_threads(saved); }
};

}  // namespace

TEST(pool_every_chunk_once_oversubscribed) {
  ThreadsGuard g;
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  for (int threads : {2, 2 * cores, 4 * cores + 1}) {
    set_num_threads(threads);
    const uint64_t before = pool_worker_chunks();
    CHECK_MSG(count_wrong(4000, uint32_t(threads), true) == 0, "dynamic regions ran a chunk twice or returned early");
    CHECK_MSG(count_wrong(2000, uint32_t(threads) + 1, false) == 0, "static regions ran a chunk twice or returned early");
    // the test means nothing if the workers never took part
    CHECK_MSG(pool_worker_chunks() > before, "no chunk ran on a pool worker");
  }
}

TEST(pool_concurrent_callers) {
  // Several threads call in at once, as the JS threads of several environments do: one of them
  // holds the pool, the others run inline; every caller's results must still be exact.
  ThreadsGuard g;
  set_num_threads(3);
  std::atomic<int64_t> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] { wrong += count_wrong(1500, uint32_t(100 + t), t % 2 == 0); });
  for (auto& c : callers) c.join();
  CHECK(wrong.load() == 0);
}

TEST(pool_thread_count_changes_between_and_during_jobs) {
  ThreadsGuard g;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> wrong{0};
  std::thread worker([&] {
    while (!stop.load()) wrong += count_wrong(50, 7, true);
  });
  for (int i = 0; i < 200; ++i) set_num_threads(1 + i % 5);
  stop = true;
  worker.join();
  CHECK(wrong.load() == 0);
  CHECK(num_threads() == 5);  // the last value set (1 + 199 % 5)
  set_num_threads(0);
  CHECK(num_threads() == 1);
  set_num_threads(1 << 30);
  CHECK(num_threads() == kMaxThreads);
}

TEST(pool_exceptions_reach_the_caller_and_the_pool_recovers) {
  ThreadsGuard g;
  set_num_threads(4);
  for (int rep = 0; rep < 200; ++rep) {
    std::atomic<int> ran{0};
    bool caught = false;
    try {
      parallel_for_dynamic(64, 1, [&](int64_t b, int64_t e) {
        ran++;
        if (b <= 13 && 13 < e) throw std::runtime_error("chunk 13");
      });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "chunk 13";
    }
    CHECK(caught);
    CHECK(ran.load() > 0);
  }
  CHECK(count_wrong(500, 3, true) == 0);
}

TEST(pool_nested_regions_run_inline) {
  ThreadsGuard g;
  set_num_threads(4);
  std::vector<std::atomic<int>> hits(64 * 1000);
  parallel_for_dynamic(64, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      parallel_for_dynamic(1000, 10, [&](int64_t b2, int64_t e2) {
        CHECK(in_parallel_region());
        for (int64_t j = b2; j < e2; ++j) hits[size_t(i * 1000 + j)]++;
      });
  });
  int64_t bad = 0;
  for (auto& h : hits) bad += h.load() != 1;
  CHECK(bad == 0);
  CHECK(!in_parallel_region());
}

TEST(pool_scratch_is_per_thread_and_aligned) {
  ThreadsGuard g;
  set_num_threads(4);
  for (int rep = 0; rep < 500; ++rep) {
    const size_t bytes = 64 + size_t(rep % 17) * 4096;
    std::atomic<int> misaligned{0}, clobbered{0};
    parallel_for_scratch(256, 1, bytes, [&](int64_t b, int64_t e, void* scr) {
      if (reinterpret_cast<uintptr_t>(scr) % 64) misaligned++;
      auto* p = static_cast<volatile int64_t*>(scr);
      for (int64_t i = b; i < e; ++i) {
        p[0] = i;
        std::this_thread::yield();
        if (p[0] != i) clobbered++;  // another thread wrote into this thread's block
      }
    });
    CHECK(misaligned.load() == 0);
    CHECK(clobbered.load() == 0);
  }
}
