// SPDX-License-Identifier: MIT
// The nn kernels built for the base instruction set (see isa_nn_table.h).
#define LCSS_ISA_NS isa_base
#define LCSS_VEC_BYTES 16
#include "isa_nn_table.h"
