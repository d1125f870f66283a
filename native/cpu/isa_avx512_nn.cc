// SPDX-License-Identifier: MIT
// The nn kernels built for the avx512 instruction set (see isa_nn_table.h).
#define LCSS_ISA_NS isa_avx512
#define LCSS_VEC_BYTES 64
#include "isa_nn_table.h"
