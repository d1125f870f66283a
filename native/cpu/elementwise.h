// SPDX-License-Identifier: MIT
// Elementwise kernels: every operand any strides (broadcast = stride 0), output any strides.
#pragma once
#include "../core/view.h"

namespace lcss {

struct ElementwiseTable {
  void (*unary)(int op, const View& y, const View& x, double p1, double p2);
  void (*binary)(int op, const View& y, const View& a, const View& b, double p1, double p2);
  void (*where)(const View& y, const View& c, const View& a, const View& b);
  void (*copy)(const View& y, const View& x);
};

const ElementwiseTable& elementwise();

void ew_fill(const View& y, double value);

}  // namespace lcss
