// SPDX-License-Identifier: MIT
// How much memory this process may still take from the OS: MemAvailable from /proc/meminfo,
// capped by the cgroup (v2 memory.max - memory.current, or v1 limit - usage) when the process
// runs in a container with a limit. Used to refuse an allocation before it is touched.
#pragma once
#include <cstdint>

namespace lcss {

struct MemoryAvailability {
  bool known = false;
  uint64_t available = 0;  // bytes
  const char* source = "";  // "MemAvailable" or "cgroup limit"
};

MemoryAvailability cpu_memory_availability();

// LCSS_CPU_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix): a cap on the CPU allocator's reserved
// bytes, 0 when unset. Read once.
uint64_t cpu_memory_limit();

}  // namespace lcss
