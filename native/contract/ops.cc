// SPDX-License-Identifier: MIT
// check() of every contract: what the fields must satisfy together before a backend runs the op.
// The binding has already checked each field alone (integers are integers, views lie inside their
// buffers, operands are live); here the sizes must fit and agree, and every contiguous operand
// must hold what the kernel will read or write, so no backend can be handed an out-of-bounds call.
#include "ops.h"

#include <initializer_list>

namespace lcss {
namespace {

bool same_shape(const View& a, const View& b) {
  if (a.ndim != b.ndim) return false;
  for (int d = 0; d < a.ndim; ++d)
    if (a.shape[d] != b.shape[d]) return false;
  return true;
}

// The strided iterator walks y's shape over every operand, so each must have y's shape.
void views_match(const char* op, const View& y, std::initializer_list<const View*> others) {
  for (const View* v : others)
    LCSS_CHECK(same_shape(y, *v), "%s: operand shapes differ (broadcast operands must come as stride-0 views)", op);
}

// Operands of one kernel share the first present operand's dtype, which must be a float type.
void float_operands(const char* op, std::initializer_list<const Operand*> ps) {
  const Operand* first = nullptr;
  for (const Operand* p : ps) {
    if (!*p) continue;
    if (!first) first = p;
    else LCSS_CHECK(p->dtype == first->dtype, "%s: operands must share a dtype (%s and %s)", op,
                    dtype_name(first->dtype), dtype_name(p->dtype));
  }
  if (first) LCSS_CHECK(is_float(first->dtype), "%s: operands must be float32 or float64, got %s", op,
                        dtype_name(first->dtype));
}

// Every element of a [n0, n1, n2] operand with strides s0, s1, s2 (any sign) lies inside its buffer.
bool inside(const Operand& o, int64_t n0, int64_t s0, int64_t n1, int64_t s1, int64_t n2, int64_t s2) {
  if (n0 == 0 || n1 == 0 || n2 == 0) return o.avail >= 0;
  int64_t lo = 0, hi = 0;
  const int64_t n[3] = {n0, n1, n2}, st[3] = {s0, s1, s2};
  for (int d = 0; d < 3; ++d) {
    const int64_t ext = checked_mul(n[d] - 1, st[d], "matmul");
    if (ext >= 0) hi = checked_add(hi, ext, "matmul");
    else lo = checked_add(lo, ext, "matmul");
  }
  return -lo <= o.offset && hi < o.avail;
}

void check_conv(const char* op, const ConvShape& s) {
  LCSS_CHECK(s.groups >= 1 && s.C % s.groups == 0 && s.O % s.groups == 0, "%s: groups %lld must divide C %lld and O %lld",
             op, (long long)s.groups, (long long)s.C, (long long)s.O);
  LCSS_CHECK(s.KH >= 1 && s.KW >= 1 && s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1,
             "%s: kernel size, stride and dilation must be positive", op);
  checked_numel({s.N, s.C, s.H, s.W}, op);
  checked_numel({s.N, s.O, s.OH, s.OW}, op);
  checked_numel({s.O, s.C, s.KH, s.KW}, op);
  // the kernels index the input from the output coordinates: an output size that does not follow
  // from the input, kernel, stride, padding and dilation would read outside x
  const int64_t reach_h = checked_add(checked_mul(s.dh, s.KH - 1, op), 1, op);
  const int64_t reach_w = checked_add(checked_mul(s.dw, s.KW - 1, op), 1, op);
  const int64_t eh = checked_add(s.H, checked_mul(2, s.ph, op), op) - reach_h;
  const int64_t ew = checked_add(s.W, checked_mul(2, s.pw, op), op) - reach_w;
  LCSS_CHECK(eh >= 0 && ew >= 0 && s.OH == eh / s.sh + 1 && s.OW == ew / s.sw + 1,
             "%s: output %lldx%lld does not follow from input %lldx%lld, kernel %lldx%lld, stride, padding and dilation",
             op, (long long)s.OH, (long long)s.OW, (long long)s.H, (long long)s.W, (long long)s.KH, (long long)s.KW);
}
int64_t conv_in(const ConvShape& s) { return s.N * s.C * s.H * s.W; }
int64_t conv_out(const ConvShape& s) { return s.N * s.O * s.OH * s.OW; }
int64_t conv_weight(const ConvShape& s) { return s.O * (s.C / s.groups) * s.KH * s.KW; }

void check_pool(const char* op, const PoolShape& s) {
  LCSS_CHECK(s.kh >= 1 && s.kw >= 1 && s.sh >= 1 && s.sw >= 1 && s.dh >= 1 && s.dw >= 1,
             "%s: kernel size, stride and dilation must be positive", op);
  checked_numel({s.N, s.C, s.H, s.W}, op);
  checked_numel({s.N, s.C, s.OH, s.OW}, op);
  LCSS_CHECK(s.H * s.W <= INT32_MAX, "%s: planes of more than 2^31 elements cannot be indexed with int32", op);
}

void check_stein(const char* op, const SteinArgs& a) {
  check_int_range(op, "K", a.K, 1, 1 << 20);
  check_int_range(op, "estimator", a.estimator, 0, 2);
  LCSS_CHECK(a.seed < uint64_t(kMaxElements) && a.offset < uint64_t(kMaxElements), "%s: seed and offset must be below 2^53", op);
  LCSS_CHECK(a.rows_total >= 0 && a.row_offset >= 0 && checked_add(a.row_offset, a.B, op) <= a.rows_total,
             "%s: rows [%lld, %lld) of the noise block must lie within its %lld rows", op, (long long)a.row_offset,
             (long long)(a.row_offset + a.B), (long long)a.rows_total);
  // rows = B (1 + 2K) at most, and rows * D elements must fit, for the whole noise block too
  checked_numel({a.rows_total, checked_add(1, checked_mul(2, a.K, op), op), a.D}, op);
}

void check_index(const char* op, int64_t outer, int64_t D, int64_t inner, int64_t M, const Operand& big,
                 const Operand& index, const Operand& small, bool per_element) {
  const int64_t nb = checked_numel({outer, D, inner}, op), ns = checked_numel({outer, M, inner}, op);
  need(op, "the indexed operand", big, nb);
  need(op, "index", index, per_element ? ns : M);
  need(op, "the gathered operand", small, ns);
  LCSS_CHECK(index.dtype == DType::I32, "%s: indices must be int32, got %s", op, dtype_name(index.dtype));
  // any dtype (embedding tables and gathered labels may be integers), the same on both sides
  LCSS_CHECK(big.dtype == small.dtype, "%s: operands must share a dtype (%s and %s)", op, dtype_name(big.dtype),
             dtype_name(small.dtype));
}

void check_attn(const char* op, const AttnShape& s) {
  checked_numel({s.B, s.Lq, s.Lk}, op);
  checked_numel({s.B, s.Lq, s.D}, op);
  checked_numel({s.B, s.Lk, s.D}, op);
  checked_numel({s.B, s.Lq, s.Dv}, op);
  checked_numel({s.B, s.Lk, s.Dv}, op);
}
void need_strided(const char* op, const char* name, const Operand& o, const int64_t* st, int64_t n0, int64_t n1, int64_t n2) {
  const int64_t n[3] = {n0, n1, n2};
  need(op, name, o, strided_extent(n, st, 3, op));
}

}  // namespace

void check(Unary& a) {
  check_int_range("unary", "op", a.op, 0, 255);
  views_match("unary", a.y, {&a.x});
}
void check(Binary& a) {
  check_int_range("binary", "op", a.op, 0, 255);
  views_match("binary", a.y, {&a.a, &a.b});
}
void check(Where& a) { views_match("where", a.y, {&a.cond, &a.a, &a.b}); }
void check(Copy& a) { views_match("copy", a.y, {&a.x}); }
void check(Fill&) {}
void check(Reduce& a) {
  check_int_range("reduce", "op", a.op, 0, 255);
  LCSS_CHECK(a.nkeep <= a.x.ndim, "reduce: %lld kept dims of a %d-dim input", (long long)a.nkeep, a.x.ndim);
  int64_t outer = 1;
  for (int d = 0; d < a.nkeep; ++d) outer *= a.x.shape[d];
  LCSS_CHECK(a.y.contiguous() && a.y.numel() == outer, "reduce: the output must be contiguous with %lld elements",
             (long long)outer);
}
void check(RandomFill& a) {
  check_int_range("random", "kind", a.kind, 0, 3);
  LCSS_CHECK(a.seed < kMaxElements && a.offset < kMaxElements, "random: seed and offset must be below 2^53");
}
void check(Gemm& a) {
  float_operands("matmul", {&a.a, &a.b, &a.c});
  LCSS_CHECK(inside(a.a, a.batch, a.aBatchStride, a.M, a.aRowStride, a.K, a.aColStride),
             "matmul: A [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)a.batch,
             (long long)a.M, (long long)a.K);
  LCSS_CHECK(inside(a.b, a.batch, a.bBatchStride, a.K, a.bRowStride, a.N, a.bColStride),
             "matmul: B [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)a.batch,
             (long long)a.K, (long long)a.N);
  LCSS_CHECK(inside(a.c, a.batch, a.cBatchStride, a.M, a.cRowStride, a.N, 1),
             "matmul: C [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)a.batch,
             (long long)a.M, (long long)a.N);
}
void check(Conv2dForward& a) {
  const ConvShape s = conv_shape(a);
  check_conv("conv2d", s);
  need("conv2d", "x", a.x, conv_in(s));
  need("conv2d", "weight", a.w, conv_weight(s));
  need("conv2d", "bias", a.bias, s.O);
  need("conv2d", "channel", a.channel, s.N * s.O);
  need("conv2d", "residual", a.residual, conv_out(s));
  need("conv2d", "out", a.y, conv_out(s));
  float_operands("conv2d", {&a.x, &a.w, &a.bias, &a.channel, &a.residual, &a.y});
}
void check(Conv2dBackwardInput& a) {
  const ConvShape s = conv_shape(a);
  check_conv("conv2d_backward_input", s);
  need("conv2d_backward_input", "grad", a.gy, conv_out(s));
  need("conv2d_backward_input", "weight", a.w, conv_weight(s));
  need("conv2d_backward_input", "out", a.gx, conv_in(s));
  float_operands("conv2d_backward_input", {&a.gy, &a.w, &a.gx});
}
void check(Conv2dBackwardWeight& a) {
  const ConvShape s = conv_shape(a);
  check_conv("conv2d_backward_weight", s);
  need("conv2d_backward_weight", "x", a.x, conv_in(s));
  need("conv2d_backward_weight", "grad", a.gy, conv_out(s));
  need("conv2d_backward_weight", "out", a.gw, conv_weight(s));
  float_operands("conv2d_backward_weight", {&a.x, &a.gy, &a.gw});
}
void check(GroupNormForward& a) {
  const char* op = "group_norm";
  LCSS_CHECK(a.G >= 1 && a.C % a.G == 0, "%s: %lld groups must divide %lld channels", op, (long long)a.G, (long long)a.C);
  const int64_t n = checked_numel({a.N, a.C, a.HW}, op);
  need(op, "x", a.x, n);
  need(op, "weight", a.gamma, a.C);
  need(op, "bias", a.beta, a.C);
  need(op, "out", a.y, n);
  need(op, "mean", a.mean, a.N * a.G);
  need(op, "rstd", a.rstd, a.N * a.G);
  float_operands(op, {&a.x, &a.gamma, &a.beta, &a.y, &a.mean, &a.rstd});
}
void check(GroupNormBackward& a) {
  const char* op = "group_norm_backward";
  LCSS_CHECK(a.G >= 1 && a.C % a.G == 0, "%s: %lld groups must divide %lld channels", op, (long long)a.G, (long long)a.C);
  const int64_t n = checked_numel({a.N, a.C, a.HW}, op);
  need(op, "grad", a.gy, n);
  need(op, "x", a.x, n);
  need(op, "mean", a.mean, a.N * a.G);
  need(op, "rstd", a.rstd, a.N * a.G);
  need(op, "weight", a.gamma, a.C);
  need(op, "bias", a.beta, a.C);
  need(op, "out", a.gx, n);
  need(op, "weight grad", a.ggamma, a.C);
  need(op, "bias grad", a.gbeta, a.C);
  float_operands(op, {&a.gy, &a.x, &a.mean, &a.rstd, &a.gamma, &a.beta, &a.gx, &a.ggamma, &a.gbeta});
}
void check(LayerNormForward& a) {
  const char* op = "layer_norm";
  const int64_t n = checked_numel({a.R, a.D}, op);
  need(op, "x", a.x, n);
  need(op, "weight", a.w, a.D);
  need(op, "bias", a.b, a.D);
  need(op, "out", a.y, n);
  need(op, "mean", a.mean, a.R);
  need(op, "rstd", a.rstd, a.R);
  float_operands(op, {&a.x, &a.w, &a.b, &a.y, &a.mean, &a.rstd});
}
void check(LayerNormBackward& a) {
  const char* op = "layer_norm_backward";
  const int64_t n = checked_numel({a.R, a.D}, op);
  need(op, "grad", a.gy, n);
  need(op, "x", a.x, n);
  need(op, "mean", a.mean, a.R);
  need(op, "rstd", a.rstd, a.R);
  need(op, "weight", a.w, a.D);
  need(op, "out", a.gx, n);
  need(op, "weight grad", a.gw, a.D);
  need(op, "bias grad", a.gb, a.D);
  float_operands(op, {&a.gy, &a.x, &a.mean, &a.rstd, &a.w, &a.gx, &a.gw, &a.gb});
}
void check(SoftmaxForward& a) {
  const int64_t n = checked_numel({a.outer, a.D, a.inner}, "softmax");
  need("softmax", "x", a.x, n);
  need("softmax", "out", a.y, n);
  float_operands("softmax", {&a.x, &a.y});
}
void check(SoftmaxBackward& a) {
  const int64_t n = checked_numel({a.outer, a.D, a.inner}, "softmax_backward");
  need("softmax_backward", "y", a.y, n);
  need("softmax_backward", "grad", a.gy, n);
  need("softmax_backward", "out", a.gx, n);
  float_operands("softmax_backward", {&a.y, &a.gy, &a.gx});
}
void check(AvgPool2dForward& a) {
  const PoolShape s = pool_shape(a);
  check_pool("avg_pool2d", s);
  need("avg_pool2d", "x", a.x, s.N * s.C * s.H * s.W);
  need("avg_pool2d", "out", a.y, s.N * s.C * s.OH * s.OW);
  float_operands("avg_pool2d", {&a.x, &a.y});
}
void check(AvgPool2dBackward& a) {
  const PoolShape s = pool_shape(a);
  check_pool("avg_pool2d_backward", s);
  need("avg_pool2d_backward", "grad", a.gy, s.N * s.C * s.OH * s.OW);
  need("avg_pool2d_backward", "out", a.gx, s.N * s.C * s.H * s.W);
  float_operands("avg_pool2d_backward", {&a.gy, &a.gx});
}
void check(MaxPool2dForward& a) {
  const PoolShape s = pool_shape(a);
  check_pool("max_pool2d", s);
  need("max_pool2d", "x", a.x, s.N * s.C * s.H * s.W);
  need("max_pool2d", "out", a.y, s.N * s.C * s.OH * s.OW);
  need("max_pool2d", "indices", a.indices, s.N * s.C * s.OH * s.OW);
  LCSS_CHECK(a.indices.dtype == DType::I32, "max_pool2d: indices must be int32");
  float_operands("max_pool2d", {&a.x, &a.y});
}
void check(MaxPool2dBackward& a) {
  const PoolShape s = pool_shape(a);
  check_pool("max_pool2d_backward", s);
  need("max_pool2d_backward", "grad", a.gy, s.N * s.C * s.OH * s.OW);
  need("max_pool2d_backward", "indices", a.indices, s.N * s.C * s.OH * s.OW);
  need("max_pool2d_backward", "out", a.gx, s.N * s.C * s.H * s.W);
  LCSS_CHECK(a.indices.dtype == DType::I32, "max_pool2d_backward: indices must be int32");
  float_operands("max_pool2d_backward", {&a.gy, &a.gx});
}
namespace {
void check_upsample(const char* op, int64_t NC, int64_t H, int64_t W, int64_t fh, int64_t fw, const Operand& small,
                    const Operand& big) {
  LCSS_CHECK(fh >= 1 && fw >= 1, "%s: factors must be positive", op);
  const int64_t ns = checked_numel({NC, H, W}, op), nb = checked_numel({ns, fh, fw}, op);
  need(op, "low-resolution operand", small, ns);
  need(op, "high-resolution operand", big, nb);
  float_operands(op, {&small, &big});
}
}  // namespace
void check(UpsampleNearestForward& a) {
  check_upsample("upsample_nearest", a.NC, a.H, a.W, a.factorH, a.factorW, a.x, a.y);
}
void check(UpsampleNearestBackward& a) {
  check_upsample("upsample_nearest_backward", a.NC, a.H, a.W, a.factorH, a.factorW, a.gx, a.gy);
}
void check(IndexSelect& a) { check_index("index_select", a.outer, a.D, a.inner, a.M, a.x, a.index, a.y, false); }
void check(IndexAdd& a) { check_index("index_add", a.outer, a.D, a.inner, a.M, a.y, a.index, a.src, false); }
void check(Gather& a) { check_index("gather", a.outer, a.D, a.inner, a.M, a.x, a.index, a.y, true); }
void check(ScatterAdd& a) { check_index("scatter_add", a.outer, a.D, a.inner, a.M, a.y, a.index, a.src, true); }
void check(SteinPerturb& a) {
  const SteinArgs s = stein_args(a);
  check_stein("stein_perturb", s);
  need("stein_perturb", "sigma", a.sigma, s.B);
  need("stein_perturb", "x", a.x, s.B * s.D);
  need("stein_perturb", "out", a.y, stein_rows(s) * s.D);
  float_operands("stein_perturb", {&a.sigma, &a.x, &a.y});
}
void check(SteinLossForward& a) {
  const SteinArgs s = stein_args(a);
  check_stein("stein_loss", s);
  need("stein_loss", "sigma", a.sigma, s.B);
  need("stein_loss", "scores", a.s, stein_rows(s) * s.D);
  need("stein_loss", "out", a.out, s.B);
  float_operands("stein_loss", {&a.sigma, &a.s, &a.out});
}
void check(SteinLossBackward& a) {
  const SteinArgs s = stein_args(a);
  check_stein("stein_loss_backward", s);
  need("stein_loss_backward", "sigma", a.sigma, s.B);
  need("stein_loss_backward", "scores", a.s, stein_rows(s) * s.D);
  need("stein_loss_backward", "grad", a.gout, s.B);
  need("stein_loss_backward", "out", a.gs, stein_rows(s) * s.D);
  float_operands("stein_loss_backward", {&a.sigma, &a.s, &a.gout, &a.gs});
}
void check(AdamStep& a) {
  for (const Operand* o : {&a.p, &a.g, &a.m, &a.v}) need("adam", "operand", *o, a.n);
  float_operands("adam", {&a.p, &a.g, &a.m, &a.v});
  LCSS_CHECK(a.bc1 > 0 && a.bc2 > 0, "adam: bias corrections %g, %g must be positive (step >= 1, betas in [0, 1))", a.bc1,
             a.bc2);
}
void check(AttentionForward& a) {
  const char* op = "attention";
  for (const IntList* l : {&a.qStrides, &a.kStrides, &a.vStrides}) check_count(op, "strides", *l, 3);
  const AttnShape s = attn_shape(a);
  check_attn(op, s);
  need_strided(op, "q", a.q, s.qs, s.B, s.Lq, s.D);
  need_strided(op, "k", a.k, s.ks, s.B, s.Lk, s.D);
  need_strided(op, "v", a.v, s.vs, s.B, s.Lk, s.Dv);
  need(op, "out", a.o, s.B * s.Lq * s.Dv);
  need(op, "lse", a.lse, s.B * s.Lq);
  float_operands(op, {&a.q, &a.k, &a.v, &a.o, &a.lse});
}
void check(AttentionBackward& a) {
  const char* op = "attention_backward";
  for (const IntList* l : {&a.qStrides, &a.kStrides, &a.vStrides, &a.goStrides}) check_count(op, "strides", *l, 3);
  const AttnShape s = attn_shape(a);
  check_attn(op, s);
  need_strided(op, "q", a.q, s.qs, s.B, s.Lq, s.D);
  need_strided(op, "k", a.k, s.ks, s.B, s.Lk, s.D);
  need_strided(op, "v", a.v, s.vs, s.B, s.Lk, s.Dv);
  need(op, "lse", a.lse, s.B * s.Lq);
  need_strided(op, "grad", a.go, s.gos, s.B, s.Lq, s.Dv);
  need(op, "q grad", a.gq, s.B * s.Lq * s.D);
  need(op, "k grad", a.gk, s.B * s.Lk * s.D);
  need(op, "v grad", a.gv, s.B * s.Lk * s.Dv);
  float_operands(op, {&a.q, &a.k, &a.v, &a.lse, &a.go, &a.gq, &a.gk, &a.gv});
}

}  // namespace lcss
