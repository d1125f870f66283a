// SPDX-License-Identifier: MIT
// Caching CPU allocator: 64-byte aligned, size-bucketed blocks that are kept for reuse instead of
// returned to the OS. Fresh pages cost ~10 us per 4 KiB on the target VMs (first touch), more than
// the arithmetic of most steps, so a training loop must run on recycled, already-touched memory.
#pragma once
#include <cstddef>
#include <cstdint>

namespace lcss {

struct AllocStats {
  uint64_t allocated_bytes = 0;   // live bytes handed out (rounded to bucket size)
  uint64_t reserved_bytes = 0;    // live + cached bytes obtained from the OS
  uint64_t peak_allocated = 0;    // high-water mark of allocated_bytes since the last reset
  uint64_t num_allocs = 0;        // calls to cpu_alloc
  uint64_t cache_hits = 0;        // of those, served from the cache
  uint64_t os_allocs = 0;         // blocks obtained from the OS
};

// The largest block cpu_alloc accepts (2^52 bytes): bucket arithmetic on anything below it cannot
// wrap. Larger requests, and requests the machine cannot back, raise ErrorKind::OutOfMemory.
constexpr size_t kMaxBlock = size_t(1) << 52;

void* cpu_alloc(size_t nbytes);
void cpu_free(void* p, size_t nbytes);
size_t cpu_bucket_size(size_t nbytes);
AllocStats cpu_alloc_stats();
void cpu_reset_peak();
void cpu_empty_cache();

}  // namespace lcss
