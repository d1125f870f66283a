// SPDX-License-Identifier: MIT
// Size arithmetic that cannot wrap. Every element count, extent and byte size computed from
// numbers that came from JS goes through these, so an absurd shape is an error before anything
// is allocated or touched, never a product that wraps to a tiny allocation (signed overflow is
// also undefined behaviour, which UBSan reports).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "error.h"

namespace lcss {

// Element counts and offsets stay below 2^53, the largest integer JS numbers hold exactly, so every
// count the kernels see is one JS computed exactly too.
constexpr int64_t kMaxElements = int64_t(1) << 53;

inline int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  LCSS_CHECK(!__builtin_mul_overflow(a, b, &r), "%s: %lld x %lld overflows 64-bit arithmetic", what, (long long)a,
             (long long)b);
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  LCSS_CHECK(!__builtin_add_overflow(a, b, &r), "%s: %lld + %lld overflows 64-bit arithmetic", what, (long long)a,
             (long long)b);
  return r;
}

// The product of non-negative sizes, refused when a size is negative or the product exceeds
// kMaxElements.
inline int64_t checked_numel(std::initializer_list<int64_t> dims, const char* what) {
  int64_t n = 1;
  for (int64_t d : dims) {
    LCSS_CHECK(d >= 0, "%s: size %lld is negative", what, (long long)d);
    n = checked_mul(n, d, what);
    LCSS_CHECK(n <= kMaxElements, "%s: %lld elements exceed the limit of 2^53", what, (long long)n);
  }
  return n;
}

// numel elements of `itemsize` bytes, as a byte count that fits size_t (and ptrdiff_t).
inline size_t checked_bytes(int64_t numel, size_t itemsize, const char* what) {
  LCSS_CHECK(numel >= 0 && numel <= kMaxElements, "%s: element count %lld is outside [0, 2^53]", what, (long long)numel);
  return size_t(checked_mul(numel, int64_t(itemsize), what));
}

// Whether v is an integer an int32 holds (NaN is not): converting anything else is undefined.
inline bool is_int32_value(double v) { return v >= -2147483648.0 && v <= 2147483647.0 && double(int64_t(v)) == v; }

}  // namespace lcss
