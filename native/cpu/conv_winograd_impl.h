// SPDX-License-Identifier: MIT
// Winograd F(4x4, 3x3) convolution (Lavin & Gray 2016) for 3x3, stride-1, undilated float32
// convolutions, compiled once per ISA. Each 4x4 output tile costs 36 multiplies per channel pair
// instead of 144, so the forward and input-gradient GEMMs do 1/4 of the direct flops; the weight
// gradient uses the transposed algorithm, dL/dg = G^T [(A gy A^T) (.) (B^T d B)] G, which is the
// exact gradient of the same bilinear form (so forward and backward agree to rounding).
//
// Layout: tiles t = (n, th, tw) over all images; the transforms are vectorised across W tiles
// (one SIMD lane per tile), so transformed tiles are stored [xi][channel][tile] with tiles
// contiguous: exactly the rows of the 36 GEMMs M_xi[O x T] = U_xi[O x C] V_xi[C x T].
// Forward: blocks of NR tiles (V and M for a block, 2 x 295 KB at C = O = 64, stay in L2).
// Weight gradient: super-blocks of tiles shared by the threads, so each of the 36 GEMMs reduces
// over a long K (= tiles) dimension.
//
// Accuracy (float32, random data): max error ~1e-5 relative to the output scale, a few times the
// direct method's; LCSS_CONV=direct (see conv.cc) turns Winograd off.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "../core/allocator.h"
#include "../core/threadpool.h"
#include "conv.h"
#include "gemm_impl.h"
#include "gemm_nt_impl.h"
#include "phase_timer.h"
#include "simd.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace lcss {
namespace LCSS_ISA_NS {
namespace wino {

using simd::vec;

// One group's geometry: x [N, *, H, W] (image stride xs), y [N, *, OH, OW] (image stride ys).
// Inputs are first copied into a zero-padded buffer xp [N, C, Hp, Wp] in which every 6x6 tile
// patch lies inside (no bounds checks in the gathers).
struct Geom {
  int64_t N, C, H, W, O, OH, OW, ph, pw, xs, ys, TH, TW, T, Hp, Wp;
};

inline Geom make_geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t OH, int64_t OW, int64_t ph,
                      int64_t pw, int64_t xs, int64_t ys) {
  Geom g{N, C, H, W, O, OH, OW, ph, pw, xs, ys, (OH + 3) / 4, (OW + 3) / 4, 0, 0, 0};
  g.T = N * g.TH * g.TW;
  g.Hp = 4 * g.TH + 2;
  g.Wp = 4 * (g.TW + 1);  // the padded row, deinterleaved (see deinterleave)
  return g;
}

template <typename T>
struct Scratch {
  T* p = nullptr;
  size_t n = 0;
  explicit Scratch(size_t count) : n(count * sizeof(T) + 64) { p = static_cast<T*>(cpu_alloc(n)); }
  ~Scratch() { cpu_free(p, n); }
};

constexpr int64_t kRowMax = 1024;  // padded rows up to this length take the vector path

template <typename T, int odd>
inline simd::ivec<T> pick2() {  // lanes 2l + odd of the pair (a, b)
  simd::ivec<T> m;
  for (int l = 0; l < simd::V<T>::W; ++l) m[l] = 2 * l + odd;
  return m;
}

// One padded row, deinterleaved by 4 in registers: every 4W elements of the zero-framed row
// become the W-lane pieces of the four sub-rows (two rounds of even/odd shuffles). The row is read
// straight from the source with lanes outside [0, W) masked to zero, when the over-read (up to pw
// elements before the row, up to a vector group past it) stays inside the source tensor
// [lo, hi); otherwise it is staged in a zeroed stack buffer first. (Staging every row cost a
// store-forwarding stall per vector: ~13% of a W4-size convolution.)
// Pieces are written tail first with whole-vector stores: a store running past its sub-row lands
// in the next sub-row or row, which is written later (pieces descend; rows ascend), as long as it
// stays below `wend` (the end of this plane); otherwise the partial piece goes element by element.
template <typename T>
inline void deinterleave_row(const T* sr, int64_t W, int64_t pw, int64_t TWq, T* r, const T* lo, const T* hi,
                             const T* wend) {
  constexpr int VW = simd::V<T>::W;
  using iv = simd::ivec<T>;
  using I = typename simd::VI<T>::I;
  const int64_t row = 4 * TWq, groups = (row + 4 * VW - 1) / (4 * VW);
  const T* base = sr - pw;  // padded column i is base[i]
  alignas(64) T tmp[kRowMax + 4 * VW];
  if (base < lo || base + groups * 4 * VW > hi) {
    std::fill(tmp, tmp + groups * 4 * VW, T(0));
    const int64_t n = std::min<int64_t>(W, row - pw);
    if (n > 0) std::memcpy(tmp + pw, sr, sizeof(T) * size_t(n));
    base = tmp;
    W = row;  // the staged row is already zero-framed: nothing to mask
    pw = 0;
  }
  iv iota;
  for (int l = 0; l < VW; ++l) iota[l] = l;
  for (int64_t k0 = (TWq - 1) / VW * VW; k0 >= 0; k0 -= VW) {
    vec<T> v[4];
    for (int j = 0; j < 4; ++j) {
      const int64_t at = 4 * k0 + j * VW;
      const iv col = iota + I(at - pw);  // source column of each lane
      v[j] = (col >= 0) & (col < I(W)) ? simd::load(base + at) : vec<T>{};
    }
    vec<T> e01 = __builtin_shuffle(v[0], v[1], pick2<T, 0>()), o01 = __builtin_shuffle(v[0], v[1], pick2<T, 1>());
    vec<T> e23 = __builtin_shuffle(v[2], v[3], pick2<T, 0>()), o23 = __builtin_shuffle(v[2], v[3], pick2<T, 1>());
    vec<T> q[4] = {__builtin_shuffle(e01, e23, pick2<T, 0>()), __builtin_shuffle(o01, o23, pick2<T, 0>()),
                   __builtin_shuffle(e01, e23, pick2<T, 1>()), __builtin_shuffle(o01, o23, pick2<T, 1>())};
    const int64_t m = std::min<int64_t>(VW, TWq - k0);
    if (m == VW || r + 3 * TWq + k0 + VW <= wend) {
      for (int j = 0; j < 4; ++j) simd::store(r + j * TWq + k0, q[j]);
    } else {
      for (int j = 0; j < 4; ++j)
        for (int64_t l = 0; l < m; ++l) r[j * TWq + k0 + l] = q[j][l];
    }
  }
}

#if defined(__AVX512F__)
// Padded rows of at most 64 elements (images up to ~60 wide: MNIST, CIFAR and every U-Net level
// below them), float32: the whole row is one permutation of at most four vectors, out[j * TWq + k]
// = padded[4k + j]. Masked loads zero the frame and never fault on the lanes they skip, so no row
// is staged; per row that is <= 4 loads, <= 8 two-source permutes + 4 blends and <= 4 stores,
// against the generic path's 4 loads, 6 shuffles and 4 stores per 16 tiles plus per-row mask
// arithmetic, which made the copy ~20 % of a 28x28 convolution (37 % of its weight gradient).
constexpr int64_t kSmallRow = 64;

struct SmallRowPlan {
  int nv;                 // vectors per padded row: ceil(row / 16)
  __m512i idx[4];         // source lane (0..63) of each output lane
  __mmask16 hi[4];        // output lanes whose source is in vectors 2..3
  __mmask16 in[4], out[4];  // source lanes inside [pw, pw + W) of the row; output lanes < row
};

inline SmallRowPlan small_row_plan(int64_t W, int64_t pw, int64_t TWq) {
  SmallRowPlan pl{};
  const int64_t row = 4 * TWq;
  pl.nv = int((row + 15) / 16);
  for (int v = 0; v < 4; ++v) {
    alignas(64) int32_t ix[16];
    unsigned hi = 0, in = 0, out = 0;
    for (int l = 0; l < 16; ++l) {
      const int64_t p = 16 * v + l;  // output lane p = j * TWq + k  <-  padded column 4k + j
      const int64_t src = p < row ? 4 * (p % TWq) + p / TWq : 0;
      ix[l] = int32_t(src & 31);
      if (src >= 32) hi |= 1u << l;
      if (p < row) out |= 1u << l;
      if (p < row && p >= pw && p < pw + W) in |= 1u << l;  // padded column p holds source column p - pw
    }
    pl.idx[v] = _mm512_load_si512(ix);
    pl.hi[v] = __mmask16(hi);
    pl.in[v] = __mmask16(in);
    pl.out[v] = __mmask16(out);
  }
  return pl;
}

inline void deinterleave_row_small(const SmallRowPlan& pl, const float* base, float* r) {
  __m512 v[4];
  for (int i = 0; i < 4; ++i) v[i] = i < pl.nv ? _mm512_maskz_loadu_ps(pl.in[i], base + 16 * i) : _mm512_setzero_ps();
  for (int i = 0; i < pl.nv; ++i) {
    const __m512 lo = _mm512_permutex2var_ps(v[0], pl.idx[i], v[1]);
    const __m512 q = pl.nv > 2 ? _mm512_mask_blend_ps(pl.hi[i], lo, _mm512_permutex2var_ps(v[2], pl.idx[i], v[3])) : lo;
    _mm512_mask_storeu_ps(r + 16 * i, pl.out[i], q);
  }
}
#endif

// dst[n][c] = src[n][c] (H x W, image stride xs) shifted by (ph, pw) into a zero frame of Hd rows,
// column-deinterleaved: padded column w of row h sits at dst[h][w % 4][w / 4] (rows of 4 x TWq).
// A tile's column 4 tw + j then is element tw + j / 4 of sub-row j % 4: consecutive tiles are
// consecutive elements, so the tile gathers below are contiguous vector loads.
template <typename T>
void deinterleave(const T* src, int64_t N, int64_t C, int64_t H, int64_t W, int64_t xs, int64_t ph, int64_t pw,
                  int64_t Hd, int64_t TWq, T* dst) {
  const int64_t row = 4 * TWq;
  const T* src_lo = src;  // the source tensor's extent (the vector path reads within it)
  const T* src_hi = src + (N - 1) * xs + C * H * W;
#if defined(__AVX512F__)
  const bool small = sizeof(T) == 4 && row <= kSmallRow;
  const SmallRowPlan pl = small ? small_row_plan(W, pw, TWq) : SmallRowPlan{};
#endif
  parallel_for_dynamic(N * C, std::max<int64_t>(1, 16384 / (Hd * row)), [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc) {
      const T* sp = src + (nc / C) * xs + (nc % C) * H * W;
      T* dp = dst + nc * Hd * row;
      for (int64_t h = 0; h < Hd; ++h) {
        T* r = dp + h * row;
        const int64_t sh = h - ph;
        if (sh < 0 || sh >= H) {
          std::memset(r, 0, sizeof(T) * size_t(row));
          continue;
        }
        const T* sr = sp + sh * W;
#if defined(__AVX512F__)
        if constexpr (sizeof(T) == 4) {
          if (small) {
            deinterleave_row_small(pl, sr - pw, r);
            continue;
          }
        }
#endif
        if (4 * TWq <= kRowMax) {
          deinterleave_row(sr, W, pw, TWq, r, src_lo, src_hi, dp + Hd * row);
          continue;
        }
        T* r0 = r;
        T* r1 = r + TWq;
        T* r2 = r + 2 * TWq;
        T* r3 = r + 3 * TWq;
        // padded column 4k + q reads source column 4k + q - pw; groups k in [kf0, kf1) are whole
        const int64_t kf0 = std::min<int64_t>(TWq, (pw + 3) / 4);
        const int64_t kf1 = W + pw - 4 < 0 ? kf0 : std::max(kf0, std::min<int64_t>(TWq, (W + pw - 4) / 4 + 1));
        auto edge = [&](int64_t k) {
          for (int64_t q = 0; q < 4; ++q) {
            const int64_t w = 4 * k + q - pw;
            r[q * TWq + k] = w >= 0 && w < W ? sr[w] : T(0);
          }
        };
        for (int64_t k = 0; k < kf0; ++k) edge(k);
        const T* s0 = sr - pw;
        for (int64_t k = kf0; k < kf1; ++k) {  // a load-lanes pattern GCC vectorises
          r0[k] = s0[4 * k];
          r1[k] = s0[4 * k + 1];
          r2[k] = s0[4 * k + 2];
          r3[k] = s0[4 * k + 3];
        }
        for (int64_t k = kf1; k < TWq; ++k) edge(k);
      }
    }
  });
}

// Lanes [a, b) of the vector at lane v come from segment `seg`: element (v + l - lane) of its runs.
template <typename T>
struct Piece {
  int seg;
  int64_t shift;  // v - seg.lane
  simd::ivec<T> mask;
};

// dst[4k + j] = s_j[k] for k < n: one output row of n whole 4-wide tiles (GCC vectorises the
// interleave with permutes).
template <typename T>
inline void interleave4(T* __restrict dst, const T* __restrict s0, const T* __restrict s1, const T* __restrict s2,
                        const T* __restrict s3, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    dst[4 * k] = s0[k];
    dst[4 * k + 1] = s1[k];
    dst[4 * k + 2] = s2[k];
    dst[4 * k + 3] = s3[k];
  }
}

// A block's tiles as runs along one tile row: lanes [lane, lane + len) are tiles (n, th, tw0 + k).
struct Seg {
  int64_t lane, len, n, th, tw0;
};

inline int segments(const Geom& g, int64_t t0, int64_t nt, Seg* out) {
  int ns = 0;
  for (int64_t l = 0; l < nt;) {
    const int64_t t = t0 + l, n = t / (g.TH * g.TW), r = t % (g.TH * g.TW), th = r / g.TW, tw = r % g.TW;
    const int64_t len = std::min(g.TW - tw, nt - l);
    out[ns++] = Seg{l, len, n, th, tw};
    l += len;
  }
  return ns;
}

// The pieces of each W-lane vector of a block of nl lanes; returns pieces per vector in cnt.
template <typename T>
inline void pieces_for(const Seg* segs, int ns, int64_t nl, Piece<T>* pc /* [nl/W][W] */, int* cnt) {
  constexpr int W = simd::V<T>::W;
  for (int64_t v = 0; v < nl; v += W) {
    int k = 0;
    for (int s = 0; s < ns; ++s) {
      const int64_t a = std::max<int64_t>(segs[s].lane, v), b = std::min<int64_t>(segs[s].lane + segs[s].len, v + W);
      if (a < b) pc[(v / W) * W + k++] = Piece<T>{s, v - segs[s].lane, simd::lane_mask<T>(int(a - v), int(b - v))};
    }
    cnt[v / W] = k;
  }
}

// 1-D transforms (applied to rows, then columns). B^T for inputs, A^T for outputs, A for output
// gradients; points 0, +-1, +-2, inf.
template <typename V>
inline void bt6(V d0, V d1, V d2, V d3, V d4, V d5, V* v) {
  v[0] = 4 * d0 - 5 * d2 + d4;
  v[1] = -4 * (d1 + d2) + d3 + d4;
  v[2] = 4 * (d1 - d2) - d3 + d4;
  v[3] = 2 * (d3 - d1) - d2 + d4;
  v[4] = 2 * (d1 - d3) - d2 + d4;
  v[5] = 4 * d1 - 5 * d3 + d5;
}
template <typename V>
inline void at6(V m0, V m1, V m2, V m3, V m4, V m5, V* y) {
  V s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  y[0] = m0 + s12 + s34;
  y[1] = d12 + 2 * d34;
  y[2] = s12 + 4 * s34;
  y[3] = d12 + 8 * d34 + m5;
}
template <typename V>
inline void a4(V e0, V e1, V e2, V e3, V* a) {
  V s02 = e0 + e2, s13 = e1 + e3;
  a[0] = e0;
  a[1] = s02 + s13;
  a[2] = s02 - s13;
  a[3] = e0 + 2 * e1 + 4 * e2 + 8 * e3;
  a[4] = e0 - 2 * e1 + 4 * e2 - 8 * e3;
  a[5] = e3;
}

// U[xi][o][c] = (G g G^T) of each 3x3 filter w[o][c], vectorised over W filters of consecutive c.
template <typename V, typename T>
inline void g3(V g0, V g1, V g2, V* u) {
  u[0] = g0 * T(0.25);
  u[1] = (g0 + g1 + g2) * T(-1.0 / 6);
  u[2] = (g0 - g1 + g2) * T(-1.0 / 6);
  u[3] = g0 * T(1.0 / 24) + g1 * T(1.0 / 12) + g2 * T(1.0 / 6);
  u[4] = g0 * T(1.0 / 24) - g1 * T(1.0 / 12) + g2 * T(1.0 / 6);
  u[5] = g2;
}

template <typename T>
void weight_transform(const T* w, int64_t O, int64_t C, T* U) {
  constexpr int W = simd::V<T>::W;
  const int64_t OC = O * C;
  parallel_for_dynamic(O, std::max<int64_t>(1, 4096 / std::max<int64_t>(C, 1)), [&](int64_t o0, int64_t o1) {
    alignas(64) T gk[9][W];
    alignas(64) T ut[36][W];
    for (int64_t o = o0; o < o1; ++o) {
      for (int64_t c0 = 0; c0 < C; c0 += W) {
        const int64_t nc = std::min<int64_t>(W, C - c0);
        for (int l = 0; l < W; ++l)
          for (int k = 0; k < 9; ++k) gk[k][l] = l < nc ? w[(o * C + c0 + l) * 9 + k] : T(0);
        vec<T> t[6][3];  // G g
        for (int j = 0; j < 3; ++j) {
          vec<T> u[6];
          g3<vec<T>, T>(simd::load(gk[j]), simd::load(gk[3 + j]), simd::load(gk[6 + j]), u);
          for (int i = 0; i < 6; ++i) t[i][j] = u[i];
        }
        for (int i = 0; i < 6; ++i) {  // (G g) G^T
          vec<T> u[6];
          g3<vec<T>, T>(t[i][0], t[i][1], t[i][2], u);
          for (int j = 0; j < 6; ++j) simd::store(ut[i * 6 + j], u[j]);
        }
        for (int xi = 0; xi < 36; ++xi)
          for (int64_t l = 0; l < nc; ++l) U[xi * OC + o * C + c0 + l] = ut[xi][l];
      }
    }
  });
}

// gw[o][c] = G^T dU[.][o][c] G for every filter (dU in double: it holds sums over all tiles).
template <typename T>
void weight_grad_transform(const double* dU, int64_t O, int64_t C, T* gw) {
  const int64_t OC = O * C;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      double t[6][3];  // dU G, per row i
      for (int i = 0; i < 6; ++i) {
        const double* u = dU + i * 6 * OC + o * C + c;
        const double u0 = u[0], u1 = u[OC], u2 = u[2 * OC], u3 = u[3 * OC], u4 = u[4 * OC], u5 = u[5 * OC];
        t[i][0] = 0.25 * u0 - (u1 + u2) / 6 + (u3 + u4) / 24;
        t[i][1] = (u2 - u1) / 6 + (u3 - u4) / 12;
        t[i][2] = -(u1 + u2) / 6 + (u3 + u4) / 6 + u5;
      }
      T* out = gw + (o * C + c) * 9;
      for (int b = 0; b < 3; ++b) {  // G^T (dU G)
        const double u0 = t[0][b], u1 = t[1][b], u2 = t[2][b], u3 = t[3][b], u4 = t[4][b], u5 = t[5][b];
        out[0 * 3 + b] = T(0.25 * u0 - (u1 + u2) / 6 + (u3 + u4) / 24);
        out[1 * 3 + b] = T((u2 - u1) / 6 + (u3 - u4) / 12);
        out[2 * 3 + b] = T(-(u1 + u2) / 6 + (u3 + u4) / 6 + u5);
      }
    }
}

// V[xi][c][lane] (lane stride 1, channel stride ldv, xi stride C * ldv) = B^T d B for the lanes of
// the block, d the 6x6 patch of channel c in the deinterleaved padded input xp (Hp x Wp rows);
// lanes no piece covers are zero. Patches are assembled in registers from masked loads.
template <typename T>
inline void input_tiles(const Geom& g, const T* xp, const Seg* segs, const Piece<T>* pc, const int* cnt, int64_t nl,
                        int64_t c, T* V, int64_t ldv) {
  constexpr int W = simd::V<T>::W;
  const int64_t TWq = g.TW + 1, xs = g.C * ldv;
  for (int64_t v = 0; v < nl; v += W) {
    const Piece<T>* P = pc + (v / W) * W;
    const int np = cnt[v / W];
    const T* base[W];
    for (int k = 0; k < np; ++k) {
      const Seg& S = segs[P[k].seg];
      base[k] = xp + ((S.n * g.C + c) * g.Hp + 4 * S.th) * g.Wp + S.tw0 + P[k].shift;
    }
    vec<T> r[36];
    for (int j = 0; j < 6; ++j) {  // B^T along i
      vec<T> d[6];
      const int64_t off = (j & 3) * TWq + (j >> 2);
      for (int i = 0; i < 6; ++i) {
        vec<T> x{};
        for (int k = 0; k < np; ++k) x = P[k].mask ? simd::load(base[k] + i * g.Wp + off) : x;
        d[i] = x;
      }
      vec<T> t[6];
      bt6(d[0], d[1], d[2], d[3], d[4], d[5], t);
      for (int i = 0; i < 6; ++i) r[i * 6 + j] = t[i];
    }
    for (int i = 0; i < 6; ++i) {  // B along j
      vec<T> t[6];
      bt6(r[i * 6], r[i * 6 + 1], r[i * 6 + 2], r[i * 6 + 3], r[i * 6 + 4], r[i * 6 + 5], t);
      for (int j = 0; j < 6; ++j) simd::store(V + (i * 6 + j) * xs + c * ldv + v, t[j]);
    }
  }
}

// y tiles of output channel o from M[xi][o][lane] (channel stride ldm, xi stride O * ldm), + the
// epilogue: bias[o] folded into the transform, channel[n, o] and residual added to each row while
// it is still in L1 (ep's pointers are this group's: channel + o, residual in y's layout).
template <typename T>
inline void output_tiles(const Geom& g, const T* M, int64_t ldm, const Seg* segs, int ns, int64_t nl, int64_t o,
                         const ConvEpilogue<T>& ep, T* y, T* out /* [16][nl] scratch */) {
  const T bias = ep.bias ? ep.bias[o] : T(0);
  constexpr int W = simd::V<T>::W;
  const int64_t xs = g.O * ldm;
  for (int64_t v = 0; v < nl; v += W) {
    vec<T> r[24];
    for (int j = 0; j < 6; ++j) {  // A^T along i
      vec<T> m[6], t[4];
      for (int i = 0; i < 6; ++i) m[i] = simd::load(M + (i * 6 + j) * xs + o * ldm + v);
      at6(m[0], m[1], m[2], m[3], m[4], m[5], t);
      for (int i = 0; i < 4; ++i) r[i * 6 + j] = t[i];
    }
    for (int i = 0; i < 4; ++i) {  // A along j
      vec<T> t[4];
      at6(r[i * 6], r[i * 6 + 1], r[i * 6 + 2], r[i * 6 + 3], r[i * 6 + 4], r[i * 6 + 5], t);
      for (int j = 0; j < 4; ++j) simd::store(out + (i * 4 + j) * nl + v, t[j] + bias);
    }
  }
  const int64_t OHW = g.OH * g.OW;
  for (int s = 0; s < ns; ++s) {
    const Seg& S = segs[s];
    T* base = y + S.n * g.ys + o * OHW + 4 * S.th * g.OW + 4 * S.tw0;
    const int64_t ni = std::min<int64_t>(4, g.OH - 4 * S.th);
    const int64_t kfull = std::min<int64_t>(S.len, (g.OW - 4 * S.tw0) / 4);  // tiles entirely inside
    for (int64_t i = 0; i < ni; ++i) {
      const T* src = out + i * 4 * nl + S.lane;
      interleave4(base + i * g.OW, src, src + nl, src + 2 * nl, src + 3 * nl, kfull);
      if (kfull < S.len)  // the tile overhanging the right edge
        for (int64_t j = 0; 4 * (S.tw0 + kfull) + j < g.OW; ++j) base[i * g.OW + 4 * kfull + j] = src[j * nl + kfull];
      if (ep.channel || ep.residual) {
        T* row = base + i * g.OW;
        const int64_t width = std::min<int64_t>(4 * S.len, g.OW - 4 * S.tw0);
        const T c = ep.channel ? ep.channel[S.n * ep.channel_stride + o] : T(0);
        if (ep.residual) {
          const T* r = ep.residual + (row - y);
          for (int64_t j = 0; j < width; ++j) row[j] += c + r[j];
        } else {
          for (int64_t j = 0; j < width; ++j) row[j] += c;
        }
      }
    }
  }
}

// Gt[xi][o][lane] (channel stride ldg, xi stride O * ldg) = A e A^T of each lane's 4x4 tile of
// the output gradient, read from its deinterleaved copy gq (4 TH rows of 4 x TW, zero past the
// edges); lanes no piece covers are zero.
template <typename T>
inline void grad_tiles(const Geom& g, const T* gq, const Seg* segs, const Piece<T>* pc, const int* cnt, int64_t nl,
                       int64_t o, T* Gt, int64_t ldg) {
  constexpr int W = simd::V<T>::W;
  const int64_t rowq = 4 * g.TW, xs = g.O * ldg;
  for (int64_t v = 0; v < nl; v += W) {
    const Piece<T>* P = pc + (v / W) * W;
    const int np = cnt[v / W];
    const T* base[W];
    for (int k = 0; k < np; ++k) {
      const Seg& S = segs[P[k].seg];
      base[k] = gq + ((S.n * g.O + o) * 4 * g.TH + 4 * S.th) * rowq + S.tw0 + P[k].shift;
    }
    vec<T> r[24];
    for (int j = 0; j < 4; ++j) {  // A along i
      vec<T> e[4];
      for (int i = 0; i < 4; ++i) {
        vec<T> x{};
        for (int k = 0; k < np; ++k) x = P[k].mask ? simd::load(base[k] + i * rowq + j * g.TW) : x;
        e[i] = x;
      }
      vec<T> t[6];
      a4(e[0], e[1], e[2], e[3], t);
      for (int i = 0; i < 6; ++i) r[i * 4 + j] = t[i];
    }
    for (int i = 0; i < 6; ++i) {  // A^T along j
      vec<T> t[6];
      a4(r[i * 4], r[i * 4 + 1], r[i * 4 + 2], r[i * 4 + 3], t);
      for (int j = 0; j < 6; ++j) simd::store(Gt + (i * 6 + j) * xs + o * ldg + v, t[j]);
    }
  }
}

// y (one group) = conv3x3(x, U) + bias, U packed into the GEMM's MR-row panels per xi.
// Tile blocks are one GEMM B panel wide (NR tiles): the input transform writes V_xi[c][tile]
// straight in the micro-kernel's packed-B layout, so the 36 GEMMs need no packing at all.
template <typename T>
void forward_group(const Geom& g, const T* xp, const T* Upk, const ConvEpilogue<T>& ep, T* y) {
  using Cfg = GemmCfg<T>;
  constexpr int64_t NB = Cfg::NR, MR = Cfg::MR;
  const int64_t nblk = (g.T + NB - 1) / NB, panels = (g.O + MR - 1) / MR;
  const size_t nv = size_t(36 * g.C * NB), nm = size_t(36 * g.O * NB);  // multiples of 16 elements
  parallel_for_scratch(nblk, 1, (nv + nm + 16 * NB) * sizeof(T), [&](int64_t b0, int64_t b1, void* scr) {
    T* const V = static_cast<T*>(scr);
    T* const M = V + nv;
    T* const d = M + nm;
    Seg segs[NB];
    Piece<T> pc[NB];
    int cnt[NB / simd::V<T>::W];
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t t0 = blk * NB, nt = std::min(NB, g.T - t0);
      const int ns = segments(g, t0, nt, segs);
      pieces_for(segs, ns, NB, pc, cnt);
      for (int64_t c = 0; c < g.C; ++c) input_tiles(g, xp, segs, pc, cnt, NB, c, V, NB);
      for (int xi = 0; xi < 36; ++xi) {
        const T* Ux = Upk + xi * panels * MR * g.C;
        const T* Vx = V + xi * g.C * NB;
        T* Mx = M + xi * g.O * NB;
        for (int64_t p = 0; p < panels; ++p)
          micro_kernel<T>(g.C, Ux + p * MR * g.C, Vx, Mx + p * MR * NB, NB, int(std::min(MR, g.O - p * MR)), int(NB),
                          T(1), T(0));
      }
      for (int64_t o = 0; o < g.O; ++o) output_tiles(g, M, NB, segs, ns, NB, o, ep, y, d);
    }
  });
}

// dU[xi][o][c] (double, for the final transform) = sum over tiles of Gt_xi[o][t] V_xi[c][t];
// xp and gq are the deinterleaved input and output gradient. Tiles go in super-blocks whose
// transformed tiles (V and Gt, shared by all threads) stay within kSuperBlockBytes; per super-block
// the threads first transform tile blocks, then take whole xi's: each of the 36 GEMMs runs on one
// thread over the super-block's full K and accumulates straight into dU. Per-thread partials of dU
// would need a serial reduction of threads x 36 x O x C doubles read from the other cores' caches,
// and would halve each GEMM's K on small tile counts (7x7 batches). The sum order depends on the
// super-blocks alone, so the result is the same for any number of threads.
constexpr size_t kSuperBlockBytes = size_t(6) << 20;

template <typename T>
void weight_grad_group(const Geom& g, const T* xp, const T* gq, double* dU) {
  constexpr int64_t kTb = GemmCfg<T>::NR;  // tiles per transform call
  const int64_t per_tile = 36 * (g.C + g.O) * int64_t(sizeof(T));
  const int64_t tiles_pad = (g.T + kTb - 1) / kTb * kTb;
  const int64_t ts = std::min(tiles_pad, std::max<int64_t>(1, int64_t(kSuperBlockBytes) / per_tile / kTb) * kTb);
  // V[xi][c][t] and Gt[xi][o][t], t < ts (a multiple of kTb: rows stay 64-byte aligned)
  Scratch<T> buf(size_t(36 * (g.C + g.O) * ts));
  T* const V = buf.p;
  T* const Gt = V + 36 * g.C * ts;
  if (g.T == 0) std::fill(dU, dU + 36 * g.O * g.C, 0.0);  // an empty batch: no super-block writes dU
  for (int64_t t0 = 0; t0 < g.T; t0 += ts) {
    const int64_t ntot = std::min(ts, g.T - t0), kpad = (ntot + kTb - 1) / kTb * kTb;
    {
      LCSS_PHASE(bww_tr, "bwd-weight tile transforms");
      parallel_for_dynamic(kpad / kTb, 1, [&](int64_t b0, int64_t b1) {
        Seg segs[kTb];
        Piece<T> pc[kTb];
        int cnt[kTb / simd::V<T>::W];
        for (int64_t tb = b0 * kTb; tb < b1 * kTb; tb += kTb) {
          const int64_t nt_ = std::min(kTb, ntot - tb);
          const int ns = segments(g, t0 + tb, nt_, segs);
          pieces_for(segs, ns, kTb, pc, cnt);
          for (int64_t c = 0; c < g.C; ++c) input_tiles(g, xp, segs, pc, cnt, kTb, c, V + tb, ts);
          for (int64_t o = 0; o < g.O; ++o) grad_tiles(g, gq, segs, pc, cnt, kTb, o, Gt + tb, ts);
        }
      });
    }
    // dU_xi [O x C] (+)= Gt_xi [O x K] * V_xi [C x K]^T, K = the super-block's tiles (padding lanes are zero)
    LCSS_PHASE(bww_gemm, "bwd-weight GEMMs");
    parallel_for(36, 1, [&](int64_t x0, int64_t x1) {
      for (int64_t xi = x0; xi < x1; ++xi)
        nt::gemm_nt<T>(g.O, g.C, kpad, Gt + xi * g.O * ts, ts, V + xi * g.C * ts, ts, dU + xi * g.O * g.C, g.C, t0 == 0);
    });
  }
}

// The table's entry points: whole convolutions (all groups), float32. The deinterleaved copies
// get W elements of slack before and after: masked tile loads may start up to W - 1 elements
// before a run and end W - 1 after it (those lanes are masked off).
inline void forward_f32(const ConvShape& s, const float* x, const float* w, const ConvEpilogue<float>& ep, float* y) {
  using Cfg = GemmCfg<float>;
  constexpr int64_t W = simd::V<float>::W;
  const int64_t cg = s.C / s.groups, og = s.O / s.groups;
  const Geom g = make_geom(s.N, cg, s.H, s.W, og, s.OH, s.OW, s.ph, s.pw, s.C * s.H * s.W, s.O * s.OH * s.OW);
  const int64_t panels = (og + Cfg::MR - 1) / Cfg::MR;
  Scratch<float> U(size_t(36 * og * cg)), Upk(size_t(36 * panels * Cfg::MR * cg)),
      xp(size_t(g.N * cg * g.Hp * g.Wp + 2 * W));
  for (int64_t gi = 0; gi < s.groups; ++gi) {
    {
      LCSS_PHASE(fwd_wt, "fwd weight transform + pack");
      weight_transform(w + gi * og * cg * 9, og, cg, U.p);
      for (int xi = 0; xi < 36; ++xi) pack_a<float>(Upk.p + xi * panels * Cfg::MR * cg, U.p + xi * og * cg, cg, 1, og, cg);
    }
    {
      LCSS_PHASE(fwd_di, "fwd deinterleave");
      deinterleave(x + gi * cg * s.H * s.W, g.N, cg, s.H, s.W, g.xs, s.ph, s.pw, g.Hp, g.TW + 1, xp.p + W);
    }
    ConvEpilogue<float> eg = ep;  // this group's channels
    if (eg.bias) eg.bias += gi * og;
    if (eg.channel) eg.channel += gi * og;
    if (eg.residual) eg.residual += gi * og * s.OH * s.OW;
    LCSS_PHASE(fwd_tiles, "fwd tiles (transforms, GEMMs)");
    forward_group(g, xp.p + W, Upk.p, eg, y + gi * og * s.OH * s.OW);
  }
}

inline void backward_weight_f32(const ConvShape& s, const float* x, const float* gy, float* gw) {
  constexpr int64_t W = simd::V<float>::W;
  const int64_t cg = s.C / s.groups, og = s.O / s.groups;
  const Geom g = make_geom(s.N, cg, s.H, s.W, og, s.OH, s.OW, s.ph, s.pw, s.C * s.H * s.W, s.O * s.OH * s.OW);
  Scratch<double> dU(size_t(36 * og * cg));
  Scratch<float> xp(size_t(g.N * cg * g.Hp * g.Wp + 2 * W)), gq(size_t(g.N * og * 16 * g.TH * g.TW + 2 * W));
  for (int64_t gi = 0; gi < s.groups; ++gi) {
    {
      LCSS_PHASE(bww_di, "bwd-weight deinterleave x, gy");
      deinterleave(x + gi * cg * s.H * s.W, g.N, cg, s.H, s.W, g.xs, s.ph, s.pw, g.Hp, g.TW + 1, xp.p + W);
      deinterleave(gy + gi * og * s.OH * s.OW, g.N, og, s.OH, s.OW, g.ys, int64_t(0), int64_t(0), 4 * g.TH, g.TW, gq.p + W);
    }
    weight_grad_group(g, xp.p + W, gq.p + W, dU.p);
    LCSS_PHASE(bww_gt, "bwd-weight G^T dU G");
    weight_grad_transform(dU.p, og, cg, gw + gi * og * cg * 9);
  }
}

}  // namespace wino
}  // namespace LCSS_ISA_NS
}  // namespace lcss
