// SPDX-License-Identifier: MIT
// Size arithmetic and the CPU allocator's refusals: products that would wrap are errors, and a
// request the machine cannot back is an out-of-memory error raised before anything is touched
// (never a hang in the bucket arithmetic, never a tiny block for a huge request).
#include <chrono>
#include <cstdint>
#include <limits>

#include "../core/allocator.h"
#include "../core/checked.h"
#include "../core/memory_info.h"
#include "harness.h"

using namespace lcss;

namespace {

template <typename F>
bool throws_kind(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind == kind;
  }
  return false;
}

}  // namespace

TEST(checked_products_refuse_overflow) {
  CHECK(checked_numel({2, 3, 4}, "t") == 24);
  CHECK(checked_numel({}, "t") == 1);
  CHECK(checked_numel({0, int64_t(1) << 62}, "t") == 0);
  CHECK(throws_kind([] { checked_numel({int64_t(1) << 31, int64_t(1) << 31, 4}, "t"); }, ErrorKind::Argument));
  CHECK(throws_kind([] { checked_numel({int64_t(1) << 54}, "t"); }, ErrorKind::Argument));
  CHECK(throws_kind([] { checked_numel({3, -1}, "t"); }, ErrorKind::Argument));
  CHECK(throws_kind([] { checked_mul(std::numeric_limits<int64_t>::max(), 2, "t"); }, ErrorKind::Argument));
  CHECK(throws_kind([] { checked_add(std::numeric_limits<int64_t>::max(), 1, "t"); }, ErrorKind::Argument));
  CHECK(checked_bytes(int64_t(1) << 40, 8, "t") == size_t(1) << 43);
  CHECK(throws_kind([] { checked_bytes(-1, 4, "t"); }, ErrorKind::Argument));
}

TEST(allocator_refuses_huge_requests_quickly) {
  const auto t0 = std::chrono::steady_clock::now();
  // 3 * 2^60 used to hang (the bucket loop doubled past 2^63 to 0); 2^62 is more than any machine
  for (size_t n : {size_t(3) << 60, size_t(1) << 62, std::numeric_limits<size_t>::max(), kMaxBlock + 1})
    CHECK(throws_kind([n] { cpu_alloc(n); }, ErrorKind::OutOfMemory));
  // more than the machine has (when the OS says how much it has)
  const MemoryAvailability m = cpu_memory_availability();
  if (m.known) CHECK(throws_kind([&] { cpu_alloc(size_t(m.available) + (size_t(1) << 30)); }, ErrorKind::OutOfMemory));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK_MSG(s < 5, "refusing an impossible allocation took more than 5 s");
  const AllocStats st = cpu_alloc_stats();
  CHECK(st.allocated_bytes < (uint64_t(1) << 40));
}

TEST(allocator_buckets_cover_the_request) {
  for (size_t n = 1; n < (size_t(1) << 50); n = n * 3 + 1) {
    const size_t b = cpu_bucket_size(n);
    CHECK(b >= n);
    CHECK(b - n <= n / 4 + 64);  // at most 25 % waste past the small sizes
    CHECK(b % 64 == 0);
  }
  void* p = cpu_alloc(1000);
  CHECK(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  cpu_free(p, 1000);
}

// Registered last (files link in order): the cache gives every block back, so the reserve falls to
// the bytes still in use (LeakSanitizer then sees nothing the cache forgot).
TEST(allocator_empty_cache_returns_every_cached_block) {
  void* p = cpu_alloc(1 << 20);
  cpu_free(p, 1 << 20);
  cpu_empty_cache();
  const AllocStats st = cpu_alloc_stats();
  CHECK(st.reserved_bytes == st.allocated_bytes);
}
