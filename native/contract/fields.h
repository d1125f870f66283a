// SPDX-License-Identifier: MIT
// The kinds of argument a kernel contract is made of, and what each becomes in C++. A contract
// (contract/ops.h) lists its fields once as (kind, name) pairs; the binding reads them from JS in
// that order, the addon's contract table publishes the same list to TypeScript, and the backends
// receive the filled struct. Nothing here knows about Node-API or about any backend.
#pragma once
#include <cstdint>

#include "../core/checked.h"
#include "../core/view.h"

namespace lcss {

// Argument kinds, with the number of JS values each takes:
//   Int    1  an integer of magnitude below 2^53 (op codes, signed values)
//   Size   1  an integer in [0, 2^53]
//   Num    1  any number (NaN and infinities allowed: fill values, clamp bounds)
//   Finite 1  a finite number
//   Flag   1  a boolean
//   Ints   1  an array of at most kMaxInts integers of magnitude below 2^53
//   View   4  buffer handle, element offset, shape[], strides[]: a strided operand, bounds-checked
//   Buf    2  buffer handle, element offset: a contiguous operand (its length is checked by the
//             contract's check(), which knows how many elements the kernel reads or writes)
//   OptBuf 2  the same, or (null, 0) for an operand the kernel may go without
enum class FieldKind : int { Int, Size, Num, Finite, Flag, Ints, View, Buf, OptBuf };

inline const char* field_kind_name(FieldKind k) {
  switch (k) {
    case FieldKind::Int: return "int";
    case FieldKind::Size: return "size";
    case FieldKind::Num: return "num";
    case FieldKind::Finite: return "finite";
    case FieldKind::Flag: return "flag";
    case FieldKind::Ints: return "ints";
    case FieldKind::View: return "view";
    case FieldKind::Buf: return "buf";
    case FieldKind::OptBuf: return "optbuf";
  }
  return "?";
}

constexpr int kMaxInts = 16;

struct IntList {
  int64_t v[kMaxInts] = {0};
  int n = 0;
  int64_t operator[](int i) const { return v[i]; }
};

// A contiguous operand as a kernel sees it: the pointer with the offset applied, where it lives,
// and how many elements the buffer holds from there on (for the contract's length checks).
struct Operand {
  void* p = nullptr;
  DType dtype = DType::F32;
  bool cuda = false;
  int device_index = 0;
  int64_t offset = 0;  // elements before p in its buffer (for operands with negative strides)
  int64_t avail = 0;   // elements from p to the end of its buffer
  explicit operator bool() const { return p != nullptr; }
  template <typename T>
  T* as() const { return static_cast<T*>(p); }
};

// C++ type of each kind.
template <FieldKind K> struct FieldType { using type = int64_t; };
template <> struct FieldType<FieldKind::Num> { using type = double; };
template <> struct FieldType<FieldKind::Finite> { using type = double; };
template <> struct FieldType<FieldKind::Flag> { using type = bool; };
template <> struct FieldType<FieldKind::Ints> { using type = IntList; };
template <> struct FieldType<FieldKind::View> { using type = View; };
template <> struct FieldType<FieldKind::Buf> { using type = Operand; };
template <> struct FieldType<FieldKind::OptBuf> { using type = Operand; };

// --- checks a contract's check() uses -------------------------------------------------------------

// The operand must hold `count` elements (an absent optional operand passes).
inline void need(const char* op, const char* name, const Operand& a, int64_t count) {
  if (!a) return;
  LCSS_CHECK(count >= 0 && count <= a.avail, "%s: %s needs %lld elements, its buffer holds %lld from the offset", op,
             name, (long long)count, (long long)a.avail);
}

// The furthest element a [n0, n1, ...] operand with non-negative strides reaches, plus one.
inline int64_t strided_extent(const int64_t* n, const int64_t* st, int nd, const char* what) {
  int64_t ext = 0;
  for (int d = 0; d < nd; ++d) {
    LCSS_CHECK(n[d] >= 0 && st[d] >= 0, "%s: negative size or stride", what);
    if (n[d] == 0) return 0;
    ext = checked_add(ext, checked_mul(n[d] - 1, st[d], what), what);
  }
  return checked_add(ext, 1, what);
}

inline void check_int_range(const char* op, const char* name, int64_t v, int64_t lo, int64_t hi) {
  LCSS_CHECK(v >= lo && v <= hi, "%s: %s must lie in [%lld, %lld], got %lld", op, name, (long long)lo, (long long)hi,
             (long long)v);
}

inline void check_count(const char* op, const char* name, const IntList& l, int n) {
  LCSS_CHECK(l.n == n, "%s: %s must hold %d integers, got %d", op, name, n, l.n);
}

}  // namespace lcss
