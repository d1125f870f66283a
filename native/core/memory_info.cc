// SPDX-License-Identifier: MIT
#include "memory_info.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lcss {
namespace {

bool read_u64(const char* path, uint64_t* out) {
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char buf[64] = {0};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok || std::strncmp(buf, "max", 3) == 0) return false;  // "max": no limit
  char* end = nullptr;
  const unsigned long long v = std::strtoull(buf, &end, 10);
  if (end == buf) return false;
  *out = v;
  return true;
}

bool mem_available(uint64_t* out) {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return false;
  char line[256];
  bool found = false;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long kb = 0;
    if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
      *out = uint64_t(kb) * 1024;
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found;
}

}  // namespace

MemoryAvailability cpu_memory_availability() {
  MemoryAvailability m;
  uint64_t avail = 0;
  if (mem_available(&avail)) {
    m.known = true;
    m.available = avail;
    m.source = "MemAvailable";
  }
  uint64_t limit = 0, used = 0;
  if ((read_u64("/sys/fs/cgroup/memory.max", &limit) && read_u64("/sys/fs/cgroup/memory.current", &used)) ||
      (read_u64("/sys/fs/cgroup/memory/memory.limit_in_bytes", &limit) &&
       read_u64("/sys/fs/cgroup/memory/memory.usage_in_bytes", &used))) {
    // v1 reports "no limit" as a huge number; anything above 2^60 is no limit
    if (limit < (uint64_t(1) << 60)) {
      const uint64_t left = limit > used ? limit - used : 0;
      if (!m.known || left < m.available) {
        m.known = true;
        m.available = left;
        m.source = "cgroup limit";
      }
    }
  }
  return m;
}

uint64_t cpu_memory_limit() {
  static const uint64_t limit = [] {
    const char* v = std::getenv("LCSS_CPU_MEMORY_LIMIT");
    if (!v || !*v) return uint64_t(0);
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end == v || !(x > 0)) return uint64_t(0);
    double mult = 1;
    switch (end && *end ? *end : ' ') {
      case 'k': case 'K': mult = 1024.0; break;
      case 'm': case 'M': mult = 1024.0 * 1024; break;
      case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
      case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
    }
    return uint64_t(x * mult);
  }();
  return limit;
}

}  // namespace lcss
