// SPDX-License-Identifier: MIT
// Indexing kernels. Every index is checked: a bad one raises an error naming it, never a crash.
#include "../contract/backend.h"
#include <cstring>

#include "../core/error.h"
#include "../core/threadpool.h"
#include "nn.h"

namespace lcss {
namespace {

inline void check_index(int32_t i, int64_t D, const char* op) {
  LCSS_CHECK_KIND(ErrorKind::Index, i >= 0 && i < D, "%s: index %d is out of range for a dimension of size %lld", op, i, (long long)D);
}

template <typename T>
void sel(int64_t outer, int64_t D, int64_t inner, const T* x, const int32_t* idx, int64_t M, T* y) {
  for (int64_t m = 0; m < M; ++m) check_index(idx[m], D, "index_select");
  parallel_for_dynamic(outer * M, std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1)), [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      int64_t o = l / M, m = l % M;
      std::memcpy(y + l * inner, x + (o * D + idx[m]) * inner, sizeof(T) * size_t(inner));
    }
  });
}

template <typename T>
void add(int64_t outer, int64_t D, int64_t inner, T* y, const int32_t* idx, int64_t M, const T* src) {
  for (int64_t m = 0; m < M; ++m) check_index(idx[m], D, "index_add");
  // parallel over outer only: repeated indices would race across m
  parallel_for_dynamic(outer, 1, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t m = 0; m < M; ++m) {
        T* dst = y + (o * D + idx[m]) * inner;
        const T* s = src + (o * M + m) * inner;
        for (int64_t j = 0; j < inner; ++j) dst[j] += s[j];
      }
  });
}

template <typename T>
void gat(int64_t outer, int64_t D, int64_t inner, const T* x, const int32_t* idx, int64_t M, T* y) {
  const int64_t n = outer * M * inner;
  for (int64_t l = 0; l < n; ++l) check_index(idx[l], D, "gather");
  parallel_for_dynamic(n, 1 << 14, [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) {
      int64_t j = l % inner, o = l / (M * inner);
      y[l] = x[(o * D + idx[l]) * inner + j];
    }
  });
}

template <typename T>
void sca(int64_t outer, int64_t D, int64_t inner, T* y, const int32_t* idx, int64_t M, const T* src) {
  const int64_t n = outer * M * inner;
  for (int64_t l = 0; l < n; ++l) check_index(idx[l], D, "scatter_add");
  parallel_for_dynamic(outer, 1, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t j = 0; j < inner; ++j) {
          int64_t l = (o * M + m) * inner + j;
          y[(o * D + idx[l]) * inner + j] += src[l];
        }
  });
}

}  // namespace

#define LCSS_IDX(name, call)                                                       \
  do {                                                                            \
    switch (t) {                                                                  \
      case DType::F32: { using T = float; call; return; }                         \
      case DType::F64: { using T = double; call; return; }                        \
      case DType::I32: { using T = int32_t; call; return; }                       \
      default: LCSS_CHECK(false, "%s: dtype %s not supported", name, dtype_name(t)); \
    }                                                                             \
  } while (0)

void index_select(DType t, int64_t outer, int64_t D, int64_t inner, const void* x, const int32_t* idx, int64_t M, void* y) {
  LCSS_IDX("index_select", (sel<T>(outer, D, inner, (const T*)x, idx, M, (T*)y)));
}
void index_add(DType t, int64_t outer, int64_t D, int64_t inner, void* y, const int32_t* idx, int64_t M, const void* src) {
  LCSS_IDX("index_add", (add<T>(outer, D, inner, (T*)y, idx, M, (const T*)src)));
}
void gather(DType t, int64_t outer, int64_t D, int64_t inner, const void* x, const int32_t* idx, int64_t M, void* y) {
  LCSS_IDX("gather", (gat<T>(outer, D, inner, (const T*)x, idx, M, (T*)y)));
}
void scatter_add(DType t, int64_t outer, int64_t D, int64_t inner, void* y, const int32_t* idx, int64_t M, const void* src) {
  LCSS_IDX("scatter_add", (sca<T>(outer, D, inner, (T*)y, idx, M, (const T*)src)));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, IndexSelect, 0) {
  index_select(a.x.dtype, a.outer, a.D, a.inner, a.x.p, a.index.as<int32_t>(), a.M, a.y.p);
}
LCSS_BACKEND_OP(Cpu, IndexAdd, 0) { index_add(a.y.dtype, a.outer, a.D, a.inner, a.y.p, a.index.as<int32_t>(), a.M, a.src.p); }
LCSS_BACKEND_OP(Cpu, Gather, 0) { gather(a.x.dtype, a.outer, a.D, a.inner, a.x.p, a.index.as<int32_t>(), a.M, a.y.p); }
LCSS_BACKEND_OP(Cpu, ScatterAdd, 0) {
  scatter_add(a.y.dtype, a.outer, a.D, a.inner, a.y.p, a.index.as<int32_t>(), a.M, a.src.p);
}

}  // namespace lcss
