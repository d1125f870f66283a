// SPDX-License-Identifier: MIT
// Checked argument readers. A value of the wrong type, a NaN, a fraction where an integer belongs,
// a size past 2^53 or a view whose reach leaves its buffer is an error here, before any conversion
// to a C++ integer (int64_t(NaN) is undefined behaviour, and (n - 1) * stride can wrap).
#include <cctype>
#include <cmath>
#include <cstring>

#include "../core/dtype.h"
#include "binding.h"

namespace lcss {

namespace {

// Whether `m` already starts with "name: " (kernel messages name their kernel; the JS guard
// renames that to the function the user called), so the binding's op name is not added twice.
bool has_op_prefix(const std::string& m) {
  size_t i = 0;
  while (i < m.size() && (std::isalnum(static_cast<unsigned char>(m[i])) || m[i] == '_' || m[i] == '.')) ++i;
  return i > 0 && i + 1 < m.size() && m[i] == ':' && m[i + 1] == ' ';
}

// An index, memory or device error is the user's to fix: the kernel's file:line is noise there.
// A plain native failure keeps it (it is a bug report's first line).
std::string without_location(const std::string& m, ErrorKind kind) {
  if (kind == ErrorKind::Argument || m.empty() || m.back() != ')') return m;
  // the suffix LCSS_CHECK adds: " (<file>.cc:<line>)" or ".cu" / ".h"
  size_t open = m.rfind(" (");
  size_t colon = m.rfind(':');
  if (open == std::string::npos || colon == std::string::npos || colon < open || colon + 2 >= m.size()) return m;
  for (size_t i = colon + 1; i + 1 < m.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(m[i]))) return m;
  const std::string file = m.substr(open + 2, colon - open - 2);
  if (file.find(' ') != std::string::npos || file.find('.') == std::string::npos) return m;
  return m.substr(0, open);
}

}  // namespace

Napi::Error native_error(Napi::Env env, const char* op, const std::string& raw, ErrorKind kind) {
  const std::string message = without_location(raw, kind);
  const std::string text = has_op_prefix(message) ? message : std::string(op) + ": " + message;
  Context* ctx = env.GetInstanceData<Context>();
  Napi::FunctionReference* cls = ctx ? &ctx->error_classes[int(kind)] : nullptr;
  if (cls && !cls->IsEmpty()) {
    Napi::Object e = cls->New({Napi::String::New(env, text)});
    e.Set("code", Napi::String::New(env, error_code(kind)));
    e.Set("nativeOp", Napi::String::New(env, op));
    return Napi::Error(env, e);
  }
  Napi::Error e = Napi::Error::New(env, "lcss." + text);
  e.Set("code", Napi::String::New(env, error_code(kind)));
  return e;
}

void define(Napi::Env env, Napi::Object exports, Context* ctx, const char* name, Napi::Function::Callback f) {
  exports.Set(name, Napi::Function::New(env, f, name, ctx));
}

namespace {

std::string describe(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return v.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return strfmt("%.17g", v.As<Napi::Number>().DoubleValue());
    case napi_string: return "a string";
    case napi_object: return v.IsArray() ? "an array" : "an object";
    case napi_function: return "a function";
    default: return "a value of another type";
  }
}

int64_t to_int(const Napi::Value& v, const char* what, int64_t lo, int64_t hi) {
  LCSS_CHECK(v.IsNumber(), "%s: expected an integer, got %s", what, describe(v).c_str());
  const double d = v.As<Napi::Number>().DoubleValue();
  // compare as doubles first: converting an out-of-range or non-finite double is undefined
  LCSS_CHECK(std::isfinite(d) && d == std::floor(d) && d >= double(lo) && d <= double(hi),
             "%s: expected an integer in [%lld, %lld], got %s", what, (long long)lo, (long long)hi, describe(v).c_str());
  return int64_t(d);
}

}  // namespace

double arg_num(const Napi::CallbackInfo& info, int i, const char* what) {
  LCSS_CHECK(info[i].IsNumber(), "%s: expected a number, got %s", what, describe(info[i]).c_str());
  return info[i].As<Napi::Number>().DoubleValue();
}

double arg_finite(const Napi::CallbackInfo& info, int i, const char* what) {
  const double d = arg_num(info, i, what);
  LCSS_CHECK(std::isfinite(d), "%s: expected a finite number, got %s", what, describe(info[i]).c_str());
  return d;
}

int64_t arg_int(const Napi::CallbackInfo& info, int i, const char* what, int64_t lo, int64_t hi) {
  return to_int(info[i], what, lo, hi);
}

bool arg_bool(const Napi::CallbackInfo& info, int i, const char* what) {
  LCSS_CHECK(info[i].IsBoolean(), "%s: expected a boolean, got %s", what, describe(info[i]).c_str());
  return info[i].As<Napi::Boolean>().Value();
}

std::vector<int64_t> arg_ints(const Napi::CallbackInfo& info, int i, const char* what, uint32_t n, int64_t lo,
                              int64_t hi) {
  LCSS_CHECK(info[i].IsArray(), "%s: expected an array of %u integers, got %s", what, n, describe(info[i]).c_str());
  Napi::Array a = info[i].As<Napi::Array>();
  LCSS_CHECK(a.Length() == n, "%s: expected %u integers, got %u", what, n, a.Length());
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; ++k) out[k] = to_int(a.Get(k), what, lo, hi);
  return out;
}

BufferRec& arg_buffer(const Napi::CallbackInfo& info, int i, const char* what) {
  return context(info).buffers.get(info[i], what);
}

View arg_view(const Napi::CallbackInfo& info, int i, const char* what) {
  BufferRec& b = arg_buffer(info, i, what);
  View v;
  v.dtype = b.dtype;
  v.cuda = b.device == DeviceKind::Cuda;
  v.device_index = b.device_index;
  const int64_t off = arg_int(info, i + 1, what, 0, kMaxElements);
  LCSS_CHECK(info[i + 2].IsArray() && info[i + 3].IsArray(), "%s: expected shape and strides arrays", what);
  Napi::Array shape = info[i + 2].As<Napi::Array>(), strides = info[i + 3].As<Napi::Array>();
  const uint32_t nd = shape.Length();
  LCSS_CHECK(nd <= uint32_t(kMaxDims) && strides.Length() == nd, "%s: %u dims with %u strides (at most %d, one each)",
             what, nd, strides.Length(), kMaxDims);
  v.ndim = int(nd);
  bool empty = false;
  for (uint32_t d = 0; d < nd; ++d) {
    v.shape[d] = to_int(shape.Get(d), what, 0, kMaxElements);
    v.strides[d] = to_int(strides.Get(d), what, -kMaxElements, kMaxElements);
    empty = empty || v.shape[d] == 0;
  }
  int64_t n = 1;
  for (int d = 0; d < v.ndim; ++d) {
    n = checked_mul(n, v.shape[d], what);
    LCSS_CHECK(n <= kMaxElements, "%s: the view has more than 2^53 elements", what);
  }
  // Bounds: the nearest and furthest elements reachable must lie inside the buffer, computed with
  // checked arithmetic ((shape - 1) * stride of two 2^53 numbers does not fit 64 bits).
  if (!empty) {
    int64_t lo = off, hi = off;
    for (int d = 0; d < v.ndim; ++d) {
      const int64_t ext = checked_mul(v.shape[d] - 1, v.strides[d], what);
      if (ext > 0) hi = checked_add(hi, ext, what);
      else lo = checked_add(lo, ext, what);
    }
    LCSS_CHECK(lo >= 0 && hi < b.numel,
               "%s: view (offset %lld, reaching elements %lld..%lld) lies outside its buffer of %lld elements", what,
               (long long)off, (long long)lo, (long long)hi, (long long)b.numel);
  } else {
    LCSS_CHECK(off <= b.numel, "%s: offset %lld is past the end of a buffer of %lld elements", what, (long long)off,
               (long long)b.numel);
  }
  v.data = static_cast<char*>(b.data) + off * int64_t(dtype_size(b.dtype));
  return v;
}

Operand arg_operand(const Napi::CallbackInfo& info, int i, const char* what, bool optional) {
  Operand r;
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return r;
  BufferRec& b = arg_buffer(info, i, what);
  const int64_t off = arg_int(info, i + 1, what, 0, kMaxElements);
  LCSS_CHECK(off <= b.numel, "%s: offset %lld is past the end of a buffer of %lld elements", what, (long long)off,
             (long long)b.numel);
  r.dtype = b.dtype;
  r.cuda = b.device == DeviceKind::Cuda;
  r.device_index = b.device_index;
  r.offset = off;
  r.avail = b.numel - off;
  r.p = static_cast<char*>(b.data) + off * int64_t(dtype_size(b.dtype));
  return r;
}

IntList arg_int_list(const Napi::CallbackInfo& info, int i, const char* what) {
  LCSS_CHECK(info[i].IsArray(), "%s: expected an array of integers, got %s", what, describe(info[i]).c_str());
  Napi::Array a = info[i].As<Napi::Array>();
  LCSS_CHECK(a.Length() <= uint32_t(kMaxInts), "%s: expected at most %d integers, got %u", what, kMaxInts, a.Length());
  IntList out;
  out.n = int(a.Length());
  for (int k = 0; k < out.n; ++k) out.v[k] = to_int(a.Get(uint32_t(k)), what, -kMaxElements, kMaxElements);
  return out;
}

}  // namespace lcss
