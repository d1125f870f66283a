// SPDX-License-Identifier: MIT
// The gemm kernels built for the base instruction set (see isa_gemm_table.h).
#define LCSS_ISA_NS isa_base
#define LCSS_VEC_BYTES 16
#include "isa_gemm_table.h"
