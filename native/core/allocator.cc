// SPDX-License-Identifier: MIT
#include "allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "error.h"
#include "threadpool.h"

namespace lcss {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugeThreshold = size_t(2) << 20;  // blocks this big are 2 MiB aligned + THP

std::mutex g_mu;
std::unordered_map<size_t, std::vector<void*>> g_cache;
AllocStats g_stats;

// Four size classes per power of two (<= 25% waste); small sizes round to 64 bytes.
size_t bucket(size_t n) {
  if (n <= 4096) return (n + kAlign - 1) / kAlign * kAlign;
  size_t p = 4096;
  while (p * 2 < n) p *= 2;  // p < n <= 2p
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

void* os_alloc(size_t n) {
  void* p = nullptr;
  size_t align = n >= kHugeThreshold ? kHugeThreshold : kAlign;
  if (posix_memalign(&p, align, n) != 0 || !p) return nullptr;
#ifdef MADV_HUGEPAGE
  if (n >= kHugeThreshold) madvise(p, n, MADV_HUGEPAGE);
#endif
  // Touch every page now so the fault cost is paid once, at reservation, not inside a kernel.
  std::memset(p, 0, n);
  return p;
}

}  // namespace

size_t cpu_bucket_size(size_t nbytes) { return bucket(nbytes == 0 ? 1 : nbytes); }

void* cpu_alloc(size_t nbytes) {
  size_t b = cpu_bucket_size(nbytes);
  {
    std::lock_guard<std::mutex> lk(g_mu);
    g_stats.num_allocs++;
    auto it = g_cache.find(b);
    if (it != g_cache.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      g_stats.cache_hits++;
      g_stats.allocated_bytes += b;
      if (g_stats.allocated_bytes > g_stats.peak_allocated) g_stats.peak_allocated = g_stats.allocated_bytes;
      return p;
    }
  }
  void* p = os_alloc(b);
  if (!p) {
    // Out of memory: drop the cache and try once more before giving up.
    cpu_empty_cache();
    p = os_alloc(b);
  }
  LCSS_CHECK(p, "out of memory allocating %zu bytes on cpu", b);
  // A miss inside a parallel region is per-chunk scratch that every thread of the region will
  // want at once: get the other threads' blocks now. Otherwise whether a later step asks the OS
  // depends on whether the worker happened to run a chunk concurrently before (scheduling), and a
  // step loop would fault fresh pages at random steps.
  std::vector<void*> extra;
  if (in_parallel_region()) {
    for (int i = 1; i < num_threads(); ++i) {
      void* q = os_alloc(b);
      if (!q) break;
      extra.push_back(q);
    }
  }
  std::lock_guard<std::mutex> lk(g_mu);
  g_stats.os_allocs += 1 + extra.size();
  g_stats.reserved_bytes += b * (1 + extra.size());
  g_stats.allocated_bytes += b;
  if (g_stats.allocated_bytes > g_stats.peak_allocated) g_stats.peak_allocated = g_stats.allocated_bytes;
  for (void* q : extra) g_cache[b].push_back(q);
  return p;
}

void cpu_free(void* p, size_t nbytes) {
  if (!p) return;
  size_t b = cpu_bucket_size(nbytes);
  std::lock_guard<std::mutex> lk(g_mu);
  g_stats.allocated_bytes -= b;
  g_cache[b].push_back(p);
}

AllocStats cpu_alloc_stats() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_stats;
}

void cpu_reset_peak() {
  std::lock_guard<std::mutex> lk(g_mu);
  g_stats.peak_allocated = g_stats.allocated_bytes;
}

void cpu_empty_cache() {
  std::lock_guard<std::mutex> lk(g_mu);
  for (auto& kv : g_cache) {
    for (void* p : kv.second) {
      std::free(p);
      g_stats.reserved_bytes -= kv.first;
    }
  }
  g_cache.clear();
}

}  // namespace lcss
