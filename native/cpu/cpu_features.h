// SPDX-License-Identifier: MIT
// Run-time choice of instruction set: one build runs on any x86-64 (and the portable path compiles
// on other CPUs). LCSS_ISA=base|avx2|avx512 forces a level (never above what the CPU supports).
#pragma once

namespace lcss {

enum class Isa : int { Base = 0, Avx2 = 1, Avx512 = 2 };

Isa cpu_isa();
const char* isa_name(Isa);

}  // namespace lcss
