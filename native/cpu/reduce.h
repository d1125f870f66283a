// SPDX-License-Identifier: MIT
// Reductions. x is given with its kept dims first and reduced dims last (the caller permutes the
// view; no copy); y is contiguous with one element per kept index.
#pragma once
#include "../core/view.h"

namespace lcss {

// op: ReduceOp (sum, prod, max, min, argmax, argmin). Sum/prod of float32 accumulate in double.
// argmax/argmin write int32 indices into the flattened reduced dims (first occurrence).
void reduce(int op, const View& y, const View& x, int nkeep);

}  // namespace lcss
