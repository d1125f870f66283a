// SPDX-License-Identifier: MIT
// The gemm kernels built for the avx512 instruction set (see isa_gemm_table.h).
#define LCSS_ISA_NS isa_avx512
#define LCSS_VEC_BYTES 64
#include "isa_gemm_table.h"
