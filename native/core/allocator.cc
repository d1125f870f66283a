// SPDX-License-Identifier: MIT
#include "allocator.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "error.h"
#include "threadpool.h"
#include "memory_info.h"

namespace lcss {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugeThreshold = size_t(2) << 20;  // blocks this big are 2 MiB aligned + THP

std::mutex g_mu;
std::unordered_map<size_t, std::vector<void*>> g_cache;
AllocStats g_stats;

// Four size classes per power of two (<= 25% waste); small sizes round to 64 bytes. Requests
// above kMaxBlock are refused before this is called, so nothing here can wrap (the loop used to
// double p past 2^63 to 0 and spin for ever on a request of 3 * 2^62 bytes).
size_t bucket(size_t n) {
  if (n <= 4096) return (n + kAlign - 1) / kAlign * kAlign;
  size_t p = size_t(1) << (63 - __builtin_clzll(uint64_t(n - 1)));  // p < n <= 2p
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

// Pre-touching a block makes its reuse fault-free; past this size the kernel that first writes
// the block touches its pages anyway, and a serial memset of gigabytes only delays the call.
constexpr size_t kPreTouchMax = size_t(64) << 20;
// Checking the OS's free memory reads /proc; below this size a refused request shows up as a
// failed posix_memalign instead, which is cheap to detect.
constexpr size_t kCheckAvailableFrom = size_t(16) << 20;

[[noreturn]] void out_of_memory(size_t asked, const char* why) {
  const AllocStats st = cpu_alloc_stats();  // the caller does not hold g_mu
  const MemoryAvailability m = cpu_memory_availability();
  std::string avail = m.known ? strfmt("%.3f GiB available (%s)", double(m.available) / double(1 << 30), m.source)
                              : std::string("the available memory is unknown");
  throw Error(strfmt("out of memory on cpu: asked for %zu bytes (%.3f GiB), %s; lcss holds %.3f GiB (%.3f GiB in "
                     "live tensors, the rest cached for reuse; emptyCache() returns the cache)%s",
                     asked, double(asked) / double(1 << 30), avail.c_str(), double(st.reserved_bytes) / double(1 << 30),
                     double(st.allocated_bytes) / double(1 << 30), why),
              ErrorKind::OutOfMemory);
}

void* os_alloc(size_t n) {
  void* p = nullptr;
  size_t align = n >= kHugeThreshold ? kHugeThreshold : kAlign;
  if (posix_memalign(&p, align, n) != 0 || !p) return nullptr;
#ifdef MADV_HUGEPAGE
  if (n >= kHugeThreshold) madvise(p, n, MADV_HUGEPAGE);
#endif
  // Touch every page now so the fault cost is paid once, at reservation, not inside a kernel.
  std::memset(p, 0, std::min(n, kPreTouchMax));
  return p;
}

}  // namespace

size_t cpu_bucket_size(size_t nbytes) { return bucket(nbytes == 0 ? 1 : std::min(nbytes, kMaxBlock)); }

void* cpu_alloc(size_t nbytes) {
  if (nbytes > kMaxBlock) out_of_memory(nbytes, "; no single block may exceed 2^52 bytes");
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
  // A block the OS cannot back is refused before anything is touched: with overcommit the
  // allocation itself would succeed and the pre-touch (or the first kernel) would be killed by the
  // OOM killer instead of raising an error.
  const uint64_t limit = cpu_memory_limit();
  uint64_t reserved_now;
  {
    std::lock_guard<std::mutex> lk(g_mu);
    reserved_now = g_stats.reserved_bytes;
  }
  if (limit && reserved_now + b > limit) {
    cpu_empty_cache();
    std::lock_guard<std::mutex> lk(g_mu);
    reserved_now = g_stats.reserved_bytes;
  }
  if (limit && reserved_now + b > limit)
    out_of_memory(b, strfmt("; the limit LCSS_CPU_MEMORY_LIMIT allows %llu bytes in all", (unsigned long long)limit).c_str());
  if (b >= kCheckAvailableFrom) {
    MemoryAvailability m = cpu_memory_availability();
    if (m.known && b > m.available) {
      cpu_empty_cache();  // cached blocks count as available once returned
      m = cpu_memory_availability();
      if (m.known && b > m.available) out_of_memory(b, "");
    }
  }
  void* p = os_alloc(b);
  if (!p) {
    // Out of memory: drop the cache and try once more before giving up.
    cpu_empty_cache();
    p = os_alloc(b);
  }
  if (!p) out_of_memory(b, "; the operating system refused the allocation");
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
