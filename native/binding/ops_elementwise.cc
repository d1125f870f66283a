// SPDX-License-Identifier: MIT
// Entry points of the elementwise, copy and reduction kernels. Argument conversion only: shapes
// and dtypes were validated by the TS op that calls these.
#include "../cpu/elementwise.h"
#include "../cpu/reduce.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

// The kernels of one call run on one device: a CPU kernel handed a CUDA buffer (or the reverse)
// would dereference memory of the wrong kind, so a mixed call is an error, never a crash.
void one_device(const char* op, std::initializer_list<const View*> vs) {
  const View* first = *vs.begin();
  for (const View* v : vs)
    LCSS_CHECK(v->cuda == first->cuda && v->device_index == first->device_index, "%s: operands are on different devices", op);
}

// The strided iterator walks operand 0's shape over every operand (broadcasting is stride 0), so
// operands of another shape would be read past their reach: every operand must have y's shape.
void same_shape(const char* op, std::initializer_list<const View*> vs) {
  const View* first = *vs.begin();
  for (const View* v : vs) {
    bool same = v->ndim == first->ndim;
    for (int d = 0; same && d < v->ndim; ++d) same = v->shape[d] == first->shape[d];
    LCSS_CHECK(same, "%s: operand shapes differ (broadcast operands must come as stride-0 views)", op);
  }
}

// unary(op, p1, p2, y(4), x(4))
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guarded(info, "unary", [&]() -> Napi::Value {
    int op = int(arg_int(info, 0, "unary op", 0, 255));
    double p1 = arg_num(info, 1, "p1"), p2 = arg_num(info, 2, "p2");
    View y = arg_view(info, 3, "unary out"), x = arg_view(info, 7, "unary x");
    one_device("unary", {&y, &x});
    same_shape("unary", {&y, &x});
    if (y.cuda) cuda_unary(op, y, x, p1, p2);
    else elementwise().unary(op, y, x, p1, p2);
    return info.Env().Undefined();
  });
}

// binary(op, p1, p2, y(4), a(4), b(4))
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guarded(info, "binary", [&]() -> Napi::Value {
    int op = int(arg_int(info, 0, "binary op", 0, 255));
    double p1 = arg_num(info, 1, "p1"), p2 = arg_num(info, 2, "p2");
    View y = arg_view(info, 3, "binary out"), a = arg_view(info, 7, "binary a"), b = arg_view(info, 11, "binary b");
    one_device("binary", {&y, &a, &b});
    same_shape("binary", {&y, &a, &b});
    if (y.cuda) cuda_binary(op, y, a, b, p1, p2);
    else elementwise().binary(op, y, a, b, p1, p2);
    return info.Env().Undefined();
  });
}

// where(y(4), cond(4), a(4), b(4))
Napi::Value Where(const Napi::CallbackInfo& info) {
  return guarded(info, "where", [&]() -> Napi::Value {
    View y = arg_view(info, 0, "where out"), c = arg_view(info, 4, "where cond");
    View a = arg_view(info, 8, "where a"), b = arg_view(info, 12, "where b");
    one_device("where", {&y, &c, &a, &b});
    same_shape("where", {&y, &c, &a, &b});
    if (y.cuda) cuda_where(y, c, a, b);
    else elementwise().where(y, c, a, b);
    return info.Env().Undefined();
  });
}

// copy(y(4), x(4)): strided copy with dtype conversion
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guarded(info, "copy", [&]() -> Napi::Value {
    View y = arg_view(info, 0, "copy out"), x = arg_view(info, 4, "copy x");
    same_shape("copy", {&y, &x});
    if (y.cuda || x.cuda) cuda_copy(y, x);
    else elementwise().copy(y, x);
    return info.Env().Undefined();
  });
}

// fill(y(4), value)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guarded(info, "fill", [&]() -> Napi::Value {
    View y = arg_view(info, 0, "fill out");
    double v = arg_num(info, 4, "fill value");
    if (y.cuda) cuda_fill(y, v);
    else ew_fill(y, v);
    return info.Env().Undefined();
  });
}

// reduce(op, nkeep, y(4), x(4))
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guarded(info, "reduce", [&]() -> Napi::Value {
    int op = int(arg_int(info, 0, "reduce op", 0, 255));
    int nkeep = int(arg_int(info, 1, "reduce nkeep", 0, kMaxDims));
    View y = arg_view(info, 2, "reduce out"), x = arg_view(info, 6, "reduce x");
    one_device("reduce", {&y, &x});
    LCSS_CHECK(nkeep <= x.ndim, "reduce: %d kept dims of a %d-dim input", nkeep, x.ndim);
    int64_t outer = 1;
    for (int d = 0; d < nkeep; ++d) outer *= x.shape[d];
    LCSS_CHECK(y.contiguous() && y.numel() == outer, "reduce: the output must be contiguous with %lld elements",
               (long long)outer);
    if (y.cuda) cuda_reduce(op, y, x, nkeep);
    else reduce(op, y, x, nkeep);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "unary", Unary);
  define(env, exports, ctx, "binary", Binary);
  define(env, exports, ctx, "where", Where);
  define(env, exports, ctx, "copy", Copy);
  define(env, exports, ctx, "fill", Fill);
  define(env, exports, ctx, "reduce", Reduce);
}

}  // namespace lcss
