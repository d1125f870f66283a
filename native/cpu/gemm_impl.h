// SPDX-License-Identifier: MIT
// Packed, cache-blocked GEMM (Goto/BLIS loop order: NC -> KC -> MC -> NR -> MR) with a register
// micro-kernel written with GCC vector extensions, so each per-ISA translation unit (gemm_*.cc)
// gets 128/256/512-bit code from one source. Threads split the N dimension (each packs its own
// panels: no barriers) or, for many small matrices, the batch.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../core/allocator.h"
#include "../core/threadpool.h"
#include "gemm.h"

#ifndef LCSS_VEC_BYTES
#error "LCSS_VEC_BYTES must be defined by the including translation unit"
#endif

namespace lcss {
namespace LCSS_ISA_NS {

template <typename T>
struct GemmCfg {
  static constexpr int W = LCSS_VEC_BYTES / int(sizeof(T));  // lanes per vector
  static constexpr int NV = 2;                               // vectors per micro-tile row
  static constexpr int NR = W * NV;
  static constexpr int MR = 6;
  static constexpr int64_t KC = sizeof(T) == 4 ? 384 : 256;
  static constexpr int64_t MC = 96;
  static constexpr int64_t NC = 3072;
};

template <typename T>
struct Vec {
  typedef T type __attribute__((vector_size(LCSS_VEC_BYTES), aligned(alignof(T))));
};

// In-register transposes of 8 x 8 floats (32-byte vectors in every ISA; GCC turns the constant
// shuffles into unpck/shufps/vperm2f128 or their emulation): the transposing packs below move
// row-major A panels and column-major (transposed) B panels at ~0.5 shuffles per element instead
// of one scalar load and store each. Linear layers (x W^T) always pack a transposed B.
// (In the SSE-only base build these 32-byte vectors are emulated; they never cross a call, so
// GCC's note that passing them by value would change the ABI does not apply.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
namespace tp {
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef int32_t m8 __attribute__((vector_size(32)));
template <int s>
inline m8 lo() {
  m8 m;
  for (int l = 0; l < 8; ++l) m[l] = (l & s) ? 8 + (l ^ s) : l;
  return m;
}
template <int s>
inline m8 hi() {
  m8 m;
  for (int l = 0; l < 8; ++l) m[l] = (l & s) ? 8 + l : (l ^ s);
  return m;
}
template <int s>
__attribute__((always_inline)) inline void stage(v8* r) {
  for (int i = 0; i < 8; ++i)
    if (!(i & s)) {
      v8 x = r[i], y = r[i + s];
      r[i] = __builtin_shuffle(x, y, lo<s>());
      r[i + s] = __builtin_shuffle(x, y, hi<s>());
    }
}
// r[i][l] -> r[l][i]
__attribute__((always_inline)) inline void transpose8(v8* r) {
  stage<4>(r);
  stage<2>(r);
  stage<1>(r);
}
__attribute__((always_inline)) inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, 32);
  return v;
}
__attribute__((always_inline)) inline void store8(float* p, v8 v) { std::memcpy(p, &v, 32); }
}  // namespace tp
#pragma GCC diagnostic pop

// Row-major A (unit column stride), float: 8 k at a time, the panel's rows transposed in registers.
// Each k's 8-lane store writes MR = 6 values and 2 that the next store overwrites; the panel
// buffers have MR * KC elements of slack for the last one.
inline void pack_a_rows_f32(float* dst, const float* A, int64_t rs, int64_t mr, int64_t kc) {
  constexpr int MR = GemmCfg<float>::MR;
  static_assert(MR <= 8, "the 8x8 transposing pack holds at most 8 rows");
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    tp::v8 r[8];
    for (int i = 0; i < 8; ++i) r[i] = i < mr ? tp::load8(A + i * rs + k) : tp::v8{};
    tp::transpose8(r);
    for (int j = 0; j < 8; ++j) tp::store8(dst + (k + j) * MR, r[j]);
  }
  for (; k < kc; ++k) {
    int64_t i = 0;
    for (; i < mr; ++i) dst[k * MR + i] = A[i * rs + k];
    for (; i < MR; ++i) dst[k * MR + i] = 0.0f;
  }
}

// Column-major B (unit row stride: B^T is row-major), float: NR columns, 8 at a time.
inline void pack_b_cols_f32(float* dst, const float* B, int64_t cs, int64_t nr, int64_t kc) {
  constexpr int NR = GemmCfg<float>::NR;
  static_assert(NR % 8 == 0, "NR must be a multiple of 8");
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8)
    for (int c0 = 0; c0 < NR; c0 += 8) {
      tp::v8 r[8];
      for (int i = 0; i < 8; ++i) r[i] = c0 + i < nr ? tp::load8(B + (c0 + i) * cs + k) : tp::v8{};
      tp::transpose8(r);
      for (int j = 0; j < 8; ++j) tp::store8(dst + (k + j) * NR + c0, r[j]);
    }
  for (; k < kc; ++k) {
    int64_t c = 0;
    for (; c < nr; ++c) dst[k * NR + c] = B[c * cs + k];
    for (; c < NR; ++c) dst[k * NR + c] = 0.0f;
  }
}

// Packs A[i0:i0+mc, k0:k0+kc] into MR-row panels, k-major: panel p holds A[p*MR + r, k] at k*MR + r.
template <typename T>
void pack_a(T* dst, const T* A, int64_t rs, int64_t cs, int64_t mc, int64_t kc) {
  constexpr int MR = GemmCfg<T>::MR;
  if constexpr (std::is_same<T, float>::value) {
    if (cs == 1) {
      for (int64_t p = 0; p < mc; p += MR) pack_a_rows_f32(dst + p * kc, A + p * rs, rs, std::min<int64_t>(MR, mc - p), kc);
      return;
    }
  }
  for (int64_t p = 0; p < mc; p += MR) {
    int64_t mr = std::min<int64_t>(MR, mc - p);
    for (int64_t k = 0; k < kc; ++k) {
      const T* src = A + p * rs + k * cs;
      int64_t r = 0;
      for (; r < mr; ++r) dst[k * MR + r] = src[r * rs];
      for (; r < MR; ++r) dst[k * MR + r] = T(0);
    }
    dst += kc * MR;
  }
}

// Packs B[k0:k0+kc, j0:j0+nc] into NR-column panels: panel q holds B[k, q*NR + c] at k*NR + c.
template <typename T>
void pack_b(T* dst, const T* B, int64_t rs, int64_t cs, int64_t kc, int64_t nc) {
  constexpr int NR = GemmCfg<T>::NR;
  if constexpr (std::is_same<T, float>::value) {
    if (rs == 1 && cs != 1) {
      for (int64_t q = 0; q < nc; q += NR) pack_b_cols_f32(dst + q * kc, B + q * cs, cs, std::min<int64_t>(NR, nc - q), kc);
      return;
    }
  }
  for (int64_t q = 0; q < nc; q += NR) {
    int64_t nr = std::min<int64_t>(NR, nc - q);
    if (cs == 1 && nr == NR) {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, B + k * rs + q, NR * sizeof(T));
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + k * rs + q * cs;
        int64_t c = 0;
        for (; c < nr; ++c) dst[k * NR + c] = src[c * cs];
        for (; c < NR; ++c) dst[k * NR + c] = T(0);
      }
    }
    dst += kc * NR;
  }
}

// C[MR x NR] (= or +=) alpha * Apanel * Bpanel; `first` means overwrite with beta*C.
template <typename T>
inline void micro_kernel(int64_t kc, const T* __restrict a, const T* __restrict b, T* c, int64_t ldc,
                         int mr, int nr, T alpha, T beta) {
  using V = typename Vec<T>::type;
  constexpr int MR = GemmCfg<T>::MR, NV = GemmCfg<T>::NV, W = GemmCfg<T>::W, NR = GemmCfg<T>::NR;
  V acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NV; ++j) acc[i][j] = V{} ;
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
    for (int j = 0; j < NV; ++j) std::memcpy(&bv[j], b + k * NR + j * W, sizeof(V));
    for (int i = 0; i < MR; ++i) {
      T av = a[k * MR + i];
      for (int j = 0; j < NV; ++j) acc[i][j] += av * bv[j];
    }
  }
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NV; ++j) {
        V r = acc[i][j] * alpha;
        if (beta != T(0)) {
          V old;
          std::memcpy(&old, c + i * ldc + j * W, sizeof(V));
          r += old * beta;
        }
        std::memcpy(c + i * ldc + j * W, &r, sizeof(V));
      }
    return;
  }
  alignas(64) T tmp[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NV; ++j) std::memcpy(tmp + i * NR + j * W, &acc[i][j], sizeof(V));
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j) {
      T r = alpha * tmp[i * NR + j];
      if (beta != T(0)) r += beta * c[i * ldc + j];
      c[i * ldc + j] = r;
    }
}

// One thread's share: columns [n0, n1) of one matrix.
// Block sizes up to `cap`, balanced over the extent (K = 784 -> 392 + 392, not 384 + 384 + 16:
// a 16-deep block pays the C tile's load and store for almost no FMAs), rounded up to `unit`.
inline int64_t balanced(int64_t extent, int64_t cap, int64_t unit) {
  const int64_t nb = (extent + cap - 1) / cap;
  const int64_t b = (extent + nb - 1) / nb;
  return std::min(cap, (b + unit - 1) / unit * unit);
}

template <typename T>
void gemm_block(const GemmArgs& g, const T* A, const T* B, T* C, int64_t n0, int64_t n1, T* pa, T* pb) {
  using Cfg = GemmCfg<T>;
  const T alpha = T(g.alpha);
  const int64_t KB = balanced(g.K, Cfg::KC, 8), MB = balanced(g.M, Cfg::MC, Cfg::MR);
  for (int64_t jc = n0; jc < n1; jc += Cfg::NC) {
    int64_t nc = std::min<int64_t>(Cfg::NC, n1 - jc);
    for (int64_t pc = 0; pc < g.K; pc += KB) {
      int64_t kc = std::min<int64_t>(KB, g.K - pc);
      const T beta = pc == 0 ? T(g.beta) : T(1);
      pack_b<T>(pb, B + pc * g.b_rs + jc * g.b_cs, g.b_rs, g.b_cs, kc, nc);
      for (int64_t ic = 0; ic < g.M; ic += MB) {
        int64_t mc = std::min<int64_t>(MB, g.M - ic);
        pack_a<T>(pa, A + ic * g.a_rs + pc * g.a_cs, g.a_rs, g.a_cs, mc, kc);
        for (int64_t jr = 0; jr < nc; jr += Cfg::NR) {
          int nr = int(std::min<int64_t>(Cfg::NR, nc - jr));
          const T* bp = pb + (jr / Cfg::NR) * kc * Cfg::NR;
          for (int64_t ir = 0; ir < mc; ir += Cfg::MR) {
            int mr = int(std::min<int64_t>(Cfg::MR, mc - ir));
            micro_kernel<T>(kc, pa + (ir / Cfg::MR) * kc * Cfg::MR, bp, C + (ic + ir) * g.c_rs + jc + jr, g.c_rs,
                            mr, nr, alpha, beta);
          }
        }
      }
    }
  }
}

// Each thread's packing buffers, kept for the thread's lifetime and grown to the largest panels
// it has packed: no allocator traffic per GEMM call, and a steady training loop asks the OS for
// nothing (per-call buffers made the number of blocks in flight depend on whether the worker woke
// in time to run concurrently). Sized to the panels actually needed: a 128 x 2 product does not
// touch 5 MB. Slack of MR (A) / NR (B) rows covers the transposing packs' overlapping stores.
// When the calling thread grows its buffers it also leaves blocks of the same sizes in the
// allocator's cache for the other threads, whose first GEMM chunk may come much later (when they
// first wake in time to take one): the OS is then asked once, at the first call of a size, not at
// a time that depends on scheduling.
template <typename T>
struct PackBuffers {
  T* pa = nullptr;
  T* pb = nullptr;
  size_t na = 0, nb = 0;
  static void grow(T*& p, size_t& have, size_t want) {
    if (p) cpu_free(p, have);
    p = nullptr;
    have = 0;
    p = static_cast<T*>(cpu_alloc(want));
    have = want;
    // Inside a parallel region the allocator already gets every thread's block on a miss.
    if (!in_parallel_region()) {
      void* extra[64];
      const int n = std::min(num_threads() - 1, 64);
      for (int i = 0; i < n; ++i) extra[i] = cpu_alloc(want);
      for (int i = 0; i < n; ++i) cpu_free(extra[i], want);
    }
  }
  void ensure(int64_t mc, int64_t nc, int64_t kc) {
    using Cfg = GemmCfg<T>;
    const size_t wa = size_t(mc + 2 * Cfg::MR) * size_t(kc + 1) * sizeof(T);
    const size_t wb = size_t(nc + 2 * Cfg::NR) * size_t(kc + 1) * sizeof(T);
    if (wa > na) grow(pa, na, wa);
    if (wb > nb) grow(pb, nb, wb);
  }
  ~PackBuffers() {
    if (pa) cpu_free(pa, na);
    if (pb) cpu_free(pb, nb);
  }
};

template <typename T>
inline PackBuffers<T>& pack_buffers(const GemmArgs& g) {
  using Cfg = GemmCfg<T>;
  static thread_local PackBuffers<T> buf;
  buf.ensure(std::min<int64_t>(g.M, Cfg::MC), std::min<int64_t>(g.N, Cfg::NC), std::min<int64_t>(g.K, Cfg::KC));
  return buf;
}

template <typename T>
void gemm_small_k0(const GemmArgs& g) {  // K == 0: C = beta * C
  T* C = static_cast<T*>(g.C);
  for (int64_t b = 0; b < g.batch; ++b)
    for (int64_t i = 0; i < g.M; ++i)
      for (int64_t j = 0; j < g.N; ++j) {
        T& c = C[b * g.c_bs + i * g.c_rs + j];
        c = g.beta == 0 ? T(0) : T(g.beta) * c;
      }
}

template <typename T>
void gemm_t(const GemmArgs& g) {
  using Cfg = GemmCfg<T>;
  if (g.batch == 0 || g.M == 0 || g.N == 0) return;
  if (g.K == 0) return gemm_small_k0<T>(g);
  const T* A = static_cast<const T*>(g.A);
  const T* B = static_cast<const T*>(g.B);
  T* C = static_cast<T*>(g.C);
  const double flops = 2.0 * double(g.M) * double(g.N) * double(g.K);
  const int nt = num_threads();
  // Many matrices, each too small to split well: one thread per matrix.
  if (g.batch >= nt && (g.batch >= 4 * nt || flops < 4e6)) {
    int64_t grain = std::max<int64_t>(1, int64_t(2e5 / std::max(flops, 1.0)));
    parallel_for_dynamic(g.batch, grain, [&](int64_t b0, int64_t b1) {
      PackBuffers<T>& buf = pack_buffers<T>(g);
      for (int64_t b = b0; b < b1; ++b)
        gemm_block<T>(g, A + b * g.a_bs, B + b * g.b_bs, C + b * g.c_bs, 0, g.N, buf.pa, buf.pb);
    });
    return;
  }
  for (int64_t b = 0; b < g.batch; ++b) {
    const T* Ab = A + b * g.a_bs;
    const T* Bb = B + b * g.b_bs;
    T* Cb = C + b * g.c_bs;
    int64_t panels = (g.N + Cfg::NR - 1) / Cfg::NR;
    // Split N in whole NR panels; tiny products stay on one thread.
    int64_t grain = flops < 2e5 ? panels : std::max<int64_t>(1, panels / (4 * nt));
    parallel_for(panels, grain, [&](int64_t p0, int64_t p1) {
      PackBuffers<T>& buf = pack_buffers<T>(g);
      gemm_block<T>(g, Ab, Bb, Cb, p0 * Cfg::NR, std::min<int64_t>(g.N, p1 * Cfg::NR), buf.pa, buf.pb);
    });
  }
}

}  // namespace LCSS_ISA_NS
}  // namespace lcss
