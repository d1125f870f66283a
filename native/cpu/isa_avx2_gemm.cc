// SPDX-License-Identifier: MIT
// The gemm kernels built for the avx2 instruction set (see isa_gemm_table.h).
#define LCSS_ISA_NS isa_avx2
#define LCSS_VEC_BYTES 32
#include "isa_gemm_table.h"
