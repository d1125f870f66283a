// SPDX-License-Identifier: MIT
// Fused scaled dot-product attention, O = softmax(Q K^T * scale) V, forward and backward,
// compiled once per ISA. Per (batch, block of query rows) only that block's scores S [Br x Lk]
// exist, in a per-thread scratch buffer; the forward saves one logsumexp per query row, from
// which the backward recomputes P = exp(S - lse) instead of storing the Lq x Lk matrix:
//   dV += P^T dO,  dP = dO V^T,  dS = P (dP - rowsum(P dP)) * scale,  dQ = dS K,  dK += dS^T Q.
// Batches run in parallel (each owns its dK, dV); with fewer batches than threads the query
// blocks of a batch are split instead, with per-chunk dK/dV partials summed in a fixed order.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../core/allocator.h"
#include "../core/dtype.h"
#include "../core/threadpool.h"
#include "fastmath.h"
#include "gemm_impl.h"
#include "nn.h"
#include "simd.h"

namespace lcss {
namespace LCSS_ISA_NS {
namespace attn {

using Shape = ::lcss::AttnShape;

// Query rows per block: the score block stays <= 64K elements (256 KiB of float: L2).
inline int64_t block_rows(const Shape& s) { return std::max<int64_t>(1, std::min<int64_t>(s.Lq, 65536 / std::max<int64_t>(s.Lk, 1))); }

template <typename T>
struct Buf {
  T* p = nullptr;
  size_t n = 0;
  explicit Buf(size_t count) : n(count * sizeof(T) + 64) { p = static_cast<T*>(cpu_alloc(n)); }
  ~Buf() { cpu_free(p, n); }
};

template <typename T>
inline void gemm_(int64_t M, int64_t N, int64_t K, const T* A, int64_t ars, int64_t acs, const T* B, int64_t brs,
                  int64_t bcs, T* C, int64_t crs, double alpha, double beta) {
  GemmArgs g{1, M, N, K, A, 0, ars, acs, B, 0, brs, bcs, C, 0, crs, alpha, beta};
  gemm_t<T>(g);
}

// S[r] <- softmax(S[r]) for the rows of a block; lse[r] = max + log(sum exp(S - max)).
template <typename T>
__attribute__((flatten)) inline void softmax_rows(T* S, int64_t rows, int64_t Lk, T* lse) {
  for (int64_t r = 0; r < rows; ++r) {
    T* s = S + r * Lk;
    T m = simd::max(s, Lk);
    if (std::isinf(m) && m < 0) m = 0;
    for (int64_t j = 0; j < Lk; ++j) s[j] = k_exp(s[j] - m);
    const double l = simd::sum(s, Lk);
    const T inv = T(1.0 / l);
    for (int64_t j = 0; j < Lk; ++j) s[j] *= inv;
    lse[r] = T(double(m) + std::log(l));
  }
}

// One batch's query rows [r0, r1): O and lse. q, k, v point at the batch; strides from s.
template <typename T>
void fwd_rows(const Shape& s, const T* q, const T* k, const T* v, T* o, T* lse, int64_t r0, int64_t r1, T* S) {
  const int64_t br = block_rows(s);
  for (int64_t i0 = r0; i0 < r1; i0 += br) {
    const int64_t n = std::min(br, r1 - i0);
    // S = scale * Q K^T  (K read transposed through strides)
    gemm_<T>(n, s.Lk, s.D, q + i0 * s.qs[1], s.qs[1], s.qs[2], k, s.ks[2], s.ks[1], S, s.Lk, s.scale, 0.0);
    softmax_rows(S, n, s.Lk, lse + i0);
    gemm_<T>(n, s.Dv, s.Lk, S, s.Lk, 1, v, s.vs[1], s.vs[2], o + i0 * s.Dv, s.Dv, 1.0, 0.0);
  }
}

template <typename T>
void forward(const Shape& s, const T* q, const T* k, const T* v, T* o, T* lse) {
  const int64_t br = block_rows(s), nqb = (s.Lq + br - 1) / br;
  const int64_t units = s.B * nqb;  // (batch, query block): independent in the forward
  parallel_for_scratch(units, 1, size_t(br * s.Lk) * sizeof(T), [&](int64_t u0, int64_t u1, void* scr) {
    T* const S = static_cast<T*>(scr);
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t b = u / nqb, i0 = (u % nqb) * br, i1 = std::min(s.Lq, i0 + br);
      fwd_rows(s, q + b * s.qs[0], k + b * s.ks[0], v + b * s.vs[0], o + b * s.Lq * s.Dv, lse + b * s.Lq, i0, i1, S);
    }
  });
}

// One batch's query rows [r0, r1): writes dQ rows, accumulates into dK, dV (beta = 1).
template <typename T>
__attribute__((flatten)) void bwd_rows(const Shape& s, const T* q, const T* k, const T* v, const T* lse, const T* go,
                                       T* gq, T* gk, T* gv, int64_t r0, int64_t r1, T* P, T* dP) {
  const int64_t br = block_rows(s);
  const T sc = T(s.scale);
  for (int64_t i0 = r0; i0 < r1; i0 += br) {
    const int64_t n = std::min(br, r1 - i0);
    gemm_<T>(n, s.Lk, s.D, q + i0 * s.qs[1], s.qs[1], s.qs[2], k, s.ks[2], s.ks[1], P, s.Lk, s.scale, 0.0);
    for (int64_t r = 0; r < n; ++r) {
      T* p = P + r * s.Lk;
      const T l = lse[i0 + r];
      for (int64_t j = 0; j < s.Lk; ++j) p[j] = k_exp(p[j] - l);
    }
    // dV += P^T dO
    const T* gor = go + i0 * s.gos[1];
    gemm_<T>(s.Lk, s.Dv, n, P, 1, s.Lk, gor, s.gos[1], s.gos[2], gv, s.Dv, 1.0, 1.0);
    // dP = dO V^T
    gemm_<T>(n, s.Lk, s.Dv, gor, s.gos[1], s.gos[2], v, s.vs[2], s.vs[1], dP, s.Lk, 1.0, 0.0);
    for (int64_t r = 0; r < n; ++r) {
      T* p = P + r * s.Lk;
      T* d = dP + r * s.Lk;
      const T di = T(simd::dot(p, d, s.Lk));
      for (int64_t j = 0; j < s.Lk; ++j) d[j] = p[j] * (d[j] - di) * sc;
    }
    // dQ = dS K ; dK += dS^T Q
    gemm_<T>(n, s.D, s.Lk, dP, s.Lk, 1, k, s.ks[1], s.ks[2], gq + i0 * s.D, s.D, 1.0, 0.0);
    gemm_<T>(s.Lk, s.D, n, dP, 1, s.Lk, q + i0 * s.qs[1], s.qs[1], s.qs[2], gk, s.D, 1.0, 1.0);
  }
}

template <typename T>
void backward(const Shape& s, const T* q, const T* k, const T* v, const T* lse, const T* go, T* gq, T* gk, T* gv) {
  const int64_t br = block_rows(s), nt = num_threads();
  const int64_t kvs = s.Lk * (s.D + s.Dv);
  if (s.B >= nt || s.Lq <= br) {
    // batches in parallel: each batch's dK, dV belong to one thread
    const size_t blk = size_t(br * s.Lk + 16) / 16 * 16;  // keeps dP 64-byte aligned
    parallel_for_scratch(s.B, 1, 2 * blk * sizeof(T), [&](int64_t b0, int64_t b1, void* scr) {
      T* const P = static_cast<T*>(scr);
      T* const dP = P + blk;
      for (int64_t b = b0; b < b1; ++b) {
        T* gkb = gk + b * s.Lk * s.D;
        T* gvb = gv + b * s.Lk * s.Dv;
        std::fill(gkb, gkb + s.Lk * s.D, T(0));
        std::fill(gvb, gvb + s.Lk * s.Dv, T(0));
        bwd_rows(s, q + b * s.qs[0], k + b * s.ks[0], v + b * s.vs[0], lse + b * s.Lq, go + b * s.gos[0],
                 gq + b * s.Lq * s.D, gkb, gvb, 0, s.Lq, P, dP);
      }
    });
    return;
  }
  // few batches: split each batch's query blocks over threads; partial dK|dV per chunk
  const int64_t nqb = (s.Lq + br - 1) / br, nch = std::min<int64_t>(nt, nqb);
  Buf<T> part(size_t(nch * kvs));
  for (int64_t b = 0; b < s.B; ++b) {
    const T* qb = q + b * s.qs[0];
    const T* kb = k + b * s.ks[0];
    const T* vb = v + b * s.vs[0];
    const size_t blk = size_t(br * s.Lk + 16) / 16 * 16;
    parallel_for_scratch(nch, 1, 2 * blk * sizeof(T), [&](int64_t c0, int64_t c1, void* scr) {
      T* const P = static_cast<T*>(scr);
      T* const dP = P + blk;
      for (int64_t c = c0; c < c1; ++c) {
        T* pk = part.p + c * kvs;
        T* pv = pk + s.Lk * s.D;
        std::fill(pk, pk + kvs, T(0));
        const int64_t r0 = std::min(s.Lq, nqb * c / nch * br), r1 = std::min(s.Lq, nqb * (c + 1) / nch * br);
        bwd_rows(s, qb, kb, vb, lse + b * s.Lq, go + b * s.gos[0], gq + b * s.Lq * s.D, pk, pv, r0, r1, P, dP);
      }
    }, 1);
    T* gkb = gk + b * s.Lk * s.D;
    T* gvb = gv + b * s.Lk * s.Dv;
    for (int64_t i = 0; i < s.Lk * s.D; ++i) {
      T acc = 0;
      for (int64_t c = 0; c < nch; ++c) acc += part.p[c * kvs + i];
      gkb[i] = acc;
    }
    for (int64_t i = 0; i < s.Lk * s.Dv; ++i) {
      T acc = 0;
      for (int64_t c = 0; c < nch; ++c) acc += part.p[c * kvs + s.Lk * s.D + i];
      gvb[i] = acc;
    }
  }
}

inline void attention_forward(DType t, const Shape& s, const void* q, const void* k, const void* v, void* o, void* lse) {
  if (t == DType::F32) forward<float>(s, (const float*)q, (const float*)k, (const float*)v, (float*)o, (float*)lse);
  else forward<double>(s, (const double*)q, (const double*)k, (const double*)v, (double*)o, (double*)lse);
}
inline void attention_backward(DType t, const Shape& s, const void* q, const void* k, const void* v, const void* lse,
                               const void* go, void* gq, void* gk, void* gv) {
  if (t == DType::F32)
    backward<float>(s, (const float*)q, (const float*)k, (const float*)v, (const float*)lse, (const float*)go, (float*)gq,
                    (float*)gk, (float*)gv);
  else
    backward<double>(s, (const double*)q, (const double*)k, (const double*)v, (const double*)lse, (const double*)go,
                     (double*)gq, (double*)gk, (double*)gv);
}

}  // namespace attn
}  // namespace LCSS_ISA_NS
}  // namespace lcss
