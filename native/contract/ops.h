// SPDX-License-Identifier: MIT
// Every native op, declared once: its JS name, the dtypes it takes, its fields in order (kind,
// name), and check(), which verifies what the fields must satisfy together (sizes that fit,
// operands long enough, dtypes that agree) before any backend runs it. From this one list come
// the C++ argument structs, the binding's readers (binding/ops.cc), the contract table the addon
// exports (TypeScript's declarations are generated from it: src/native/kernels.gen.ts), and the
// backend table's slots (contract/backend.h).
#pragma once
#include "fields.h"
#include "shapes.h"

namespace lcss {

enum DTypeMask : uint32_t {
  kF32 = 1u << int(DType::F32),
  kF64 = 1u << int(DType::F64),
  kI32 = 1u << int(DType::I32),
  kBool = 1u << int(DType::Bool),
  kFloat = kF32 | kF64,
  kNumeric = kF32 | kF64 | kI32,
  kAnyDType = kF32 | kF64 | kI32 | kBool,
};

// X(Name, "jsName", dtypes): the master list. Fields of each are LCSS_FIELDS_<Name>.
#define LCSS_OPS(X)                                          \
  X(Unary, "unary", kAnyDType)                               \
  X(Binary, "binary", kAnyDType)                             \
  X(Where, "where", kAnyDType)                               \
  X(Copy, "copy", kAnyDType)                                 \
  X(Fill, "fill", kAnyDType)                                 \
  X(Reduce, "reduce", kAnyDType)                             \
  X(RandomFill, "randomFill", kAnyDType)                     \
  X(Gemm, "gemm", kFloat)                                    \
  X(Conv2dForward, "conv2dForward", kFloat)                  \
  X(Conv2dBackwardInput, "conv2dBackwardInput", kFloat)      \
  X(Conv2dBackwardWeight, "conv2dBackwardWeight", kFloat)    \
  X(GroupNormForward, "groupNormForward", kFloat)            \
  X(GroupNormBackward, "groupNormBackward", kFloat)          \
  X(LayerNormForward, "layerNormForward", kFloat)            \
  X(LayerNormBackward, "layerNormBackward", kFloat)          \
  X(SoftmaxForward, "softmaxForward", kFloat)                \
  X(SoftmaxBackward, "softmaxBackward", kFloat)              \
  X(AvgPool2dForward, "avgPool2dForward", kFloat)            \
  X(AvgPool2dBackward, "avgPool2dBackward", kFloat)          \
  X(MaxPool2dForward, "maxPool2dForward", kFloat)            \
  X(MaxPool2dBackward, "maxPool2dBackward", kFloat)          \
  X(UpsampleNearestForward, "upsampleNearestForward", kFloat)   \
  X(UpsampleNearestBackward, "upsampleNearestBackward", kFloat) \
  X(IndexSelect, "indexSelect", kNumeric)                      \
  X(IndexAdd, "indexAdd", kNumeric)                            \
  X(Gather, "gather", kNumeric)                                \
  X(ScatterAdd, "scatterAdd", kNumeric)                        \
  X(SteinPerturb, "steinPerturb", kFloat)                    \
  X(SteinLossForward, "steinLossForward", kFloat)            \
  X(SteinLossBackward, "steinLossBackward", kFloat)          \
  X(AdamStep, "adamStep", kFloat)                            \
  X(AttentionForward, "attentionForward", kFloat)            \
  X(AttentionBackward, "attentionBackward", kFloat)

enum class OpId : int {
#define LCSS_OP_ID(Name, js, dt) Name,
  LCSS_OPS(LCSS_OP_ID)
#undef LCSS_OP_ID
  Count
};
constexpr int kNumOps = int(OpId::Count);

// --- fields -----------------------------------------------------------------------------------------
// elementwise: every view has y's shape (broadcast operands come as stride-0 views)
#define LCSS_FIELDS_Unary(F) F(Int, op) F(Num, p1) F(Num, p2) F(View, y) F(View, x)
#define LCSS_FIELDS_Binary(F) F(Int, op) F(Num, p1) F(Num, p2) F(View, y) F(View, a) F(View, b)
#define LCSS_FIELDS_Where(F) F(View, y) F(View, cond) F(View, a) F(View, b)
// strided copy with dtype conversion; the one op whose operands may live on different devices
#define LCSS_FIELDS_Copy(F) F(View, y) F(View, x)
#define LCSS_FIELDS_Fill(F) F(View, y) F(Num, value)
// reduce x over its trailing dims, keeping the first nkeep, into contiguous y
#define LCSS_FIELDS_Reduce(F) F(Int, op) F(Size, nkeep) F(View, y) F(View, x)
// kind: 0 uniform [a, b), 1 normal (mean a, std b), 2 bernoulli (p = a), 3 randint [a, b)
#define LCSS_FIELDS_RandomFill(F) F(Int, kind) F(View, y) F(Size, seed) F(Size, offset) F(Finite, a) F(Finite, b)
// C[b] (M x N, unit column stride) = alpha A[b] (M x K) B[b] (K x N) + beta C[b]; strides in elements
#define LCSS_FIELDS_Gemm(F)                                                                              \
  F(Size, batch) F(Size, M) F(Size, N) F(Size, K) F(Buf, a) F(Int, aBatchStride) F(Int, aRowStride)     \
  F(Int, aColStride) F(Buf, b) F(Int, bBatchStride) F(Int, bRowStride) F(Int, bColStride) F(Buf, c)     \
  F(Int, cBatchStride) F(Int, cRowStride) F(Finite, alpha) F(Finite, beta)
#define LCSS_CONV_SHAPE(F)                                                                                \
  F(Size, N) F(Size, C) F(Size, H) F(Size, W) F(Size, O) F(Size, KH) F(Size, KW) F(Size, OH) F(Size, OW) \
  F(Size, strideH) F(Size, strideW) F(Size, padH) F(Size, padW) F(Size, dilationH) F(Size, dilationW)     \
  F(Size, groups)
// y = conv(x, w) + bias[O] + channel[N, O] + residual[N, O, OH, OW] (each term optional)
#define LCSS_FIELDS_Conv2dForward(F) \
  LCSS_CONV_SHAPE(F) F(Buf, x) F(Buf, w) F(OptBuf, bias) F(OptBuf, channel) F(OptBuf, residual) F(Buf, y)
#define LCSS_FIELDS_Conv2dBackwardInput(F) LCSS_CONV_SHAPE(F) F(Buf, gy) F(Buf, w) F(Buf, gx)
#define LCSS_FIELDS_Conv2dBackwardWeight(F) LCSS_CONV_SHAPE(F) F(Buf, x) F(Buf, gy) F(Buf, gw)
#define LCSS_FIELDS_GroupNormForward(F)                                                                     \
  F(Size, N) F(Size, C) F(Size, HW) F(Size, G) F(Finite, eps) F(Flag, silu) F(Buf, x) F(OptBuf, gamma)     \
  F(OptBuf, beta) F(Buf, y) F(Buf, mean) F(Buf, rstd)
#define LCSS_FIELDS_GroupNormBackward(F)                                                                    \
  F(Size, N) F(Size, C) F(Size, HW) F(Size, G) F(Flag, silu) F(Buf, gy) F(Buf, x) F(Buf, mean) F(Buf, rstd) \
  F(OptBuf, gamma) F(OptBuf, beta) F(Buf, gx) F(OptBuf, ggamma) F(OptBuf, gbeta)
#define LCSS_FIELDS_LayerNormForward(F) \
  F(Size, R) F(Size, D) F(Finite, eps) F(Buf, x) F(OptBuf, w) F(OptBuf, b) F(Buf, y) F(Buf, mean) F(Buf, rstd)
#define LCSS_FIELDS_LayerNormBackward(F)                                                                  \
  F(Size, R) F(Size, D) F(Buf, gy) F(Buf, x) F(Buf, mean) F(Buf, rstd) F(OptBuf, w) F(Buf, gx) F(OptBuf, gw) \
  F(OptBuf, gb)
#define LCSS_FIELDS_SoftmaxForward(F) F(Size, outer) F(Size, D) F(Size, inner) F(Flag, log) F(Buf, x) F(Buf, y)
#define LCSS_FIELDS_SoftmaxBackward(F) \
  F(Size, outer) F(Size, D) F(Size, inner) F(Flag, log) F(Buf, y) F(Buf, gy) F(Buf, gx)
#define LCSS_POOL_SHAPE(F)                                                                                 \
  F(Size, N) F(Size, C) F(Size, H) F(Size, W) F(Size, OH) F(Size, OW) F(Size, kernelH) F(Size, kernelW)   \
  F(Size, strideH) F(Size, strideW) F(Size, padH) F(Size, padW) F(Size, dilationH) F(Size, dilationW)     \
  F(Size, divisor)
#define LCSS_FIELDS_AvgPool2dForward(F) LCSS_POOL_SHAPE(F) F(Flag, countIncludePad) F(Buf, x) F(Buf, y)
#define LCSS_FIELDS_AvgPool2dBackward(F) LCSS_POOL_SHAPE(F) F(Flag, countIncludePad) F(Buf, gy) F(Buf, gx)
// indices: int32 position h * W + w of each window's maximum inside its input plane
#define LCSS_FIELDS_MaxPool2dForward(F) LCSS_POOL_SHAPE(F) F(Buf, x) F(Buf, y) F(Buf, indices)
#define LCSS_FIELDS_MaxPool2dBackward(F) LCSS_POOL_SHAPE(F) F(Buf, gy) F(Buf, indices) F(Buf, gx)
#define LCSS_FIELDS_UpsampleNearestForward(F) \
  F(Size, NC) F(Size, H) F(Size, W) F(Size, factorH) F(Size, factorW) F(Buf, x) F(Buf, y)
#define LCSS_FIELDS_UpsampleNearestBackward(F) \
  F(Size, NC) F(Size, H) F(Size, W) F(Size, factorH) F(Size, factorW) F(Buf, gy) F(Buf, gx)
// x [outer, D, inner]; y [outer, M, inner]; index [M] (int32)
#define LCSS_FIELDS_IndexSelect(F) F(Size, outer) F(Size, D) F(Size, inner) F(Size, M) F(Buf, x) F(Buf, index) F(Buf, y)
// y [outer, D, inner] += src [outer, M, inner] at index [M]
#define LCSS_FIELDS_IndexAdd(F) F(Size, outer) F(Size, D) F(Size, inner) F(Size, M) F(Buf, y) F(Buf, index) F(Buf, src)
// y [outer, M, inner] = x [outer, D, inner] along index [outer, M, inner]
#define LCSS_FIELDS_Gather(F) F(Size, outer) F(Size, D) F(Size, inner) F(Size, M) F(Buf, x) F(Buf, index) F(Buf, y)
#define LCSS_FIELDS_ScatterAdd(F) F(Size, outer) F(Size, D) F(Size, inner) F(Size, M) F(Buf, y) F(Buf, index) F(Buf, src)
#define LCSS_STEIN(F)                                                                                   \
  F(Size, B) F(Size, D) F(Size, K) F(Int, estimator) F(Flag, normPerturbed) F(Finite, gamma) F(Size, seed) \
  F(Size, offset) F(Size, rowOffset) F(Size, rowsTotal) F(Buf, sigma)
// y [rows, D] (the stacked batch) from x [B, D]
#define LCSS_FIELDS_SteinPerturb(F) LCSS_STEIN(F) F(Buf, x) F(Buf, y)
// out [B] from the scores s [rows, D]
#define LCSS_FIELDS_SteinLossForward(F) LCSS_STEIN(F) F(Buf, s) F(Buf, out)
#define LCSS_FIELDS_SteinLossBackward(F) LCSS_STEIN(F) F(Buf, s) F(Buf, gout) F(Buf, gs)
#define LCSS_FIELDS_AdamStep(F)                                                                           \
  F(Size, n) F(Buf, p) F(Buf, g) F(Buf, m) F(Buf, v) F(Finite, lr) F(Finite, beta1) F(Finite, beta2)      \
  F(Finite, eps) F(Finite, weightDecay) F(Finite, bc1) F(Finite, bc2) F(Flag, adamw)
// q [B, Lq, D], k [B, Lk, D], v [B, Lk, Dv], go [B, Lq, Dv] at the given (batch, row, column) strides
#define LCSS_ATTN(F)                                                                                       \
  F(Size, B) F(Size, Lq) F(Size, Lk) F(Size, D) F(Size, Dv) F(Finite, scale) F(Ints, qStrides)            \
  F(Ints, kStrides) F(Ints, vStrides)
#define LCSS_FIELDS_AttentionForward(F) LCSS_ATTN(F) F(Buf, q) F(Buf, k) F(Buf, v) F(Buf, o) F(Buf, lse)
#define LCSS_FIELDS_AttentionBackward(F)                                                                   \
  LCSS_ATTN(F) F(Ints, goStrides) F(Buf, q) F(Buf, k) F(Buf, v) F(Buf, lse) F(Buf, go) F(Buf, gq) F(Buf, gk) \
  F(Buf, gv)

// --- the argument structs -------------------------------------------------------------------------
#define LCSS_FIELD_DECL(kind, name) FieldType<FieldKind::kind>::type name{};
#define LCSS_FIELD_VISIT(kind, name) v(FieldKind::kind, #name, self.name);
#define LCSS_CONTRACT_STRUCT(Name, js, dt)                              \
  struct Name {                                                         \
    static constexpr const char* kName = js;                            \
    static constexpr OpId kId = OpId::Name;                             \
    static constexpr uint32_t kDTypes = dt;                             \
    LCSS_FIELDS_##Name(LCSS_FIELD_DECL)                                 \
    template <class V, class S>                                         \
    static void visit(V&& v, S& self) { LCSS_FIELDS_##Name(LCSS_FIELD_VISIT) } \
  };
LCSS_OPS(LCSS_CONTRACT_STRUCT)
#undef LCSS_CONTRACT_STRUCT

// --- what the fields must satisfy together (contract/ops.cc) --------------------------------------
#define LCSS_DECLARE_CHECK(Name, js, dt) void check(Name& a);
LCSS_OPS(LCSS_DECLARE_CHECK)
#undef LCSS_DECLARE_CHECK

// Calls f(Tag<A>{}) for every contract A, in OpId order.
template <class T>
struct Tag {
  using type = T;
};
template <class F>
void for_each_contract(F&& f) {
#define LCSS_VISIT_CONTRACT(Name, js, dt) f(Tag<Name>{});
  LCSS_OPS(LCSS_VISIT_CONTRACT)
#undef LCSS_VISIT_CONTRACT
}

// Shape records from checked fields.
template <class A>
ConvShape conv_shape(const A& a) {
  return ConvShape{a.N, a.C, a.H, a.W, a.O, a.KH, a.KW, a.OH, a.OW,
                   a.strideH, a.strideW, a.padH, a.padW, a.dilationH, a.dilationW, a.groups};
}
template <class A>
PoolShape pool_shape(const A& a) {
  return PoolShape{a.N, a.C, a.H, a.W, a.OH, a.OW, a.kernelH, a.kernelW, a.strideH, a.strideW,
                   a.padH, a.padW, a.dilationH, a.dilationW, a.divisor};
}
template <class A>
SteinArgs stein_args(const A& a) {
  return SteinArgs{a.B, a.D, a.K, int(a.estimator), a.normPerturbed, a.gamma, uint64_t(a.seed), uint64_t(a.offset),
                   a.rowOffset, a.rowsTotal};
}
template <class A>
AttnShape attn_shape(const A& a) {
  AttnShape s{a.B, a.Lq, a.Lk, a.D, a.Dv, a.scale, {}, {}, {}, {}};
  for (int i = 0; i < 3; ++i) {
    s.qs[i] = a.qStrides[i];
    s.ks[i] = a.kStrides[i];
    s.vs[i] = a.vStrides[i];
  }
  return s;
}
inline AttnShape attn_shape(const AttentionBackward& a) {
  AttnShape s = attn_shape<AttentionBackward>(a);
  for (int i = 0; i < 3; ++i) s.gos[i] = a.goStrides[i];
  return s;
}
inline GemmArgs gemm_args(const Gemm& a) {
  return GemmArgs{a.batch, a.M, a.N, a.K, a.a.p, a.aBatchStride, a.aRowStride, a.aColStride,
                  a.b.p, a.bBatchStride, a.bRowStride, a.bColStride, a.c.p, a.cBatchStride, a.cRowStride,
                  a.alpha, a.beta};
}

}  // namespace lcss
