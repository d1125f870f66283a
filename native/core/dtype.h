// SPDX-License-Identifier: MIT
// Element types shared by every backend. The numeric codes are part of the JS<->native contract
// (src/native.ts mirrors them).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lcss {

enum class DType : int32_t { F32 = 0, F64 = 1, I32 = 2, Bool = 3 };

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::Bool: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
    case DType::Bool: return "bool";
  }
  return "?";
}

inline bool is_float(DType t) { return t == DType::F32 || t == DType::F64; }

}  // namespace lcss
