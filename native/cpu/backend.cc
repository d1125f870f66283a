// SPDX-License-Identifier: MIT
// The CPU backend's table: host memory from the caching allocator. Always linked. Each kernel
// registers its op next to itself (LCSS_BACKEND_OP(Cpu, ...) in elementwise.cc, conv.cc, ...), and
// the CPU implements every op of contract/ops.h.
#include <cstring>

#include "../contract/backend.h"
#include "../core/allocator.h"

namespace lcss {
namespace {

bool register_memory() {
  Backend& b = backend_slot(DeviceKind::Cpu);
  b.name = "cpu";
  b.alloc = [](int, size_t n) { return cpu_alloc(n); };
  b.free = [](int, void* p, size_t n) { cpu_free(p, n); };
  b.copy_from_host = [](int, void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); };
  b.copy_to_host = [](int, void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); };
  b.synchronize = [](int) {};
  b.memory_stats = [](int) { return cpu_alloc_stats(); };
  b.reset_peak = [](int) { cpu_reset_peak(); };
  b.empty_cache = [](int) { cpu_empty_cache(); };
  b.device_count = []() { return 1; };
  return true;
}
const bool registered = register_memory();

}  // namespace
}  // namespace lcss
