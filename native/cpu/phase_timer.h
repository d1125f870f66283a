// SPDX-License-Identifier: MIT
// Opt-in timers for the passes inside a kernel, for the kernel harness only: built with
// -DLCSS_PHASES (`KBENCH_FLAGS=-DLCSS_PHASES sh bench/kernels/build.sh`), every LCSS_PHASE(id,
// "label") times the rest of its scope and the totals print to stderr at exit. Without the flag
// the macro is empty, so the addon never carries them.
#pragma once

#ifdef LCSS_PHASES
#include <chrono>
#include <cstdio>

namespace lcss {
struct PhaseTotal {
  const char* label;
  double seconds = 0;
  long calls = 0;
  ~PhaseTotal() {
    if (calls) std::fprintf(stderr, "phase %-28s %9.3f ms in %6ld calls, %.4f ms/call\n", label, seconds * 1e3, calls, seconds * 1e3 / calls);
  }
};
struct PhaseScope {
  PhaseTotal& total;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  ~PhaseScope() {
    total.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++total.calls;
  }
};
}  // namespace lcss
#define LCSS_PHASE(id, label)              \
  static ::lcss::PhaseTotal phase_##id{label}; \
  ::lcss::PhaseScope phase_scope_##id{phase_##id}
#else
#define LCSS_PHASE(id, label) ((void)0)
#endif
