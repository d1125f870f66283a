// SPDX-License-Identifier: MIT
#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace lcss {

static Isa detect() {
  Isa best = Isa::Base;
#if defined(__x86_64__) && defined(LCSS_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
    best = Isa::Avx512;
#endif
  if (const char* e = std::getenv("LCSS_ISA")) {
    Isa want = best;
    if (!std::strcmp(e, "base")) want = Isa::Base;
    else if (!std::strcmp(e, "avx2")) want = Isa::Avx2;
    else if (!std::strcmp(e, "avx512")) want = Isa::Avx512;
    if (int(want) < int(best)) best = want;
  }
  return best;
}

Isa cpu_isa() {
  static Isa isa = detect();
  return isa;
}

const char* isa_name(Isa i) {
  switch (i) {
    case Isa::Base: return "base";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

}  // namespace lcss
