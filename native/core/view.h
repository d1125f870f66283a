// SPDX-License-Identifier: MIT
// A strided view of a buffer as the kernels see it: base pointer with the offset already applied,
// shape and strides in elements. Broadcasting is expressed as stride 0, so kernels never need to
// know about it.
#pragma once
#include <cstdint>

#include "dtype.h"
#include "error.h"

namespace lcss {

constexpr int kMaxDims = 8;

struct View {
  void* data = nullptr;
  DType dtype = DType::F32;
  bool cuda = false;  // where data lives; every operand of one kernel call lives on one device
  int device_index = 0;
  int ndim = 0;
  int64_t shape[kMaxDims] = {0};
  int64_t strides[kMaxDims] = {0};

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
  bool contiguous() const {
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; --i) {
      if (shape[i] != 1 && strides[i] != s) return false;
      s *= shape[i];
    }
    return true;
  }
  template <typename T>
  T* ptr() const { return static_cast<T*>(data); }
};

}  // namespace lcss
