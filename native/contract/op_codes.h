// SPDX-License-Identifier: MIT
// Op codes of the elementwise, reduction and random-fill contracts (the `op` and `kind` fields of
// contract/ops.h), shared by every backend. The addon exports them (opCodes()) and a test checks
// that src/native.ts uses the same numbers.
#pragma once

namespace lcss {

enum UnaryOp : int {
  U_NEG = 0, U_ABS, U_SIGN, U_EXP, U_LOG, U_LOG1P, U_EXPM1, U_SQRT, U_RSQRT, U_SQUARE,
  U_RECIP = 10, U_SIN, U_COS, U_TANH, U_SIGMOID, U_SILU, U_SOFTPLUS, U_RELU, U_ELU, U_GELU,
  U_GELU_TANH = 20, U_ERF, U_FLOOR, U_CEIL, U_ROUND, U_ADD_S, U_MUL_S, U_RSUB_S, U_RDIV_S, U_POW_S,
  U_RPOW_S = 30, U_CLAMP, U_MAX_S, U_MIN_S, U_LOG_SIGMOID = 35, U_TAN, U_ATAN,
  // scalar comparisons and predicates: output bool
  U_EQ_S = 40, U_NE_S, U_LT_S, U_LE_S, U_GT_S, U_GE_S, U_NOT, U_ISNAN, U_ISFINITE,
  U_COUNT
};

enum BinaryOp : int {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_ATAN2,
  // comparisons: output bool
  B_EQ = 10, B_NE, B_LT, B_LE, B_GT, B_GE,
  // logical: bool inputs and output
  B_AND = 16, B_OR, B_XOR,
  // fused activation gradients: a = x (or y where noted), b = upstream gradient
  B_SILU_BWD = 20, B_SIGMOID_BWD /* a = x */, B_TANH_BWD /* a = x */, B_RELU_BWD, B_GELU_BWD,
  B_SOFTPLUS_BWD, B_ELU_BWD, B_GELU_TANH_BWD, B_LOG_SIGMOID_BWD,
  // in-place friendly updates: lerp y = a + p1 (b - a); axpy y = a + p1 b
  B_LERP = 30, B_AXPY,
  B_COUNT
};

enum ReduceOp : int { R_SUM = 0, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_COUNT };

enum RandomKind : int { RND_UNIFORM = 0, RND_NORMAL = 1, RND_BERNOULLI = 2, RND_RANDINT = 3 };

inline bool unary_outputs_bool(int op) { return op >= U_EQ_S && op <= U_ISFINITE; }
inline bool binary_outputs_bool(int op) { return op >= B_EQ && op <= B_XOR; }

}  // namespace lcss
