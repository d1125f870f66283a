// SPDX-License-Identifier: MIT
// Every op's entry point, generated from the contract list (contract/ops.h): the arguments are
// read in the contract's field order with the checked readers, the contract's check() runs, the
// operands' device picks the backend, and the backend's kernel for the op runs. Also exported:
// contracts() (the table TypeScript's declarations are generated from and tested against),
// supports(op, device, dtype) and opCodes().
#include "../contract/backend.h"
#include "../contract/op_codes.h"
#include "../cpu/conv.h"
#include "binding.h"

namespace lcss {
namespace {

// Reads a contract's fields from consecutive JS arguments, in declaration order.
struct Reader {
  const Napi::CallbackInfo& info;
  const char* op;
  int i = 0;
  void operator()(FieldKind k, const char* name, int64_t& out) {
    out = k == FieldKind::Size ? arg_size(info, i, name) : arg_int(info, i, name);
    ++i;
  }
  void operator()(FieldKind k, const char* name, double& out) {
    out = k == FieldKind::Finite ? arg_finite(info, i, name) : arg_num(info, i, name);
    ++i;
  }
  void operator()(FieldKind, const char* name, bool& out) { out = arg_bool(info, i++, name); }
  void operator()(FieldKind, const char* name, IntList& out) { out = arg_int_list(info, i++, name); }
  void operator()(FieldKind, const char* name, View& out) {
    out = arg_view(info, i, name);
    i += 4;
  }
  void operator()(FieldKind k, const char* name, Operand& out) {
    out = arg_operand(info, i, name, k == FieldKind::OptBuf);
    i += 2;
  }
};

// The device every operand of a call lives on (the first one's), refusing a mix: a CPU kernel
// handed a CUDA pointer (or the reverse) would dereference memory of the wrong kind. Copy alone
// may cross devices; it runs on the device side of the copy.
struct DeviceOf {
  const char* op;
  bool cross;
  bool found = false, cuda = false;
  int index = 0;
  DType dtype = DType::F32;  // the first operand's: the dtype supports() is asked about
  void see(bool is_cuda, int idx, DType t) {
    if (!found) {
      found = true, cuda = is_cuda, index = idx, dtype = t;
    } else if (is_cuda && !cuda && cross) {
      cuda = true, index = idx;
    } else if (!cross) {
      LCSS_CHECK(is_cuda == cuda && idx == index, "%s: operands are on different devices", op);
    }
  }
  template <class T>
  void operator()(FieldKind, const char*, const T&) {}
  void operator()(FieldKind, const char*, const View& v) { see(v.cuda, v.device_index, v.dtype); }
  void operator()(FieldKind, const char*, const Operand& o) {
    if (o) see(o.cuda, o.device_index, o.dtype);
  }
};

const Backend& backend_for(bool cuda, const char* op) {
  const Backend* b = find_backend(cuda ? DeviceKind::Cuda : DeviceKind::Cpu);
  LCSS_CHECK_KIND(ErrorKind::Device, b != nullptr, "%s: %s", op, kNoCudaBackend);
  return *b;
}

// A field the reader refuses names the op too ("softmaxForward: outer: expected an integer ..."),
// added only on failure so the success path builds no strings.
template <class A>
void read_fields(const Napi::CallbackInfo& info, A& a) {
  try {
    A::visit(Reader{info, A::kName}, a);
  } catch (const Error& e) {
    throw Error(std::string(A::kName) + ": " + e.what(), e.kind);
  }
}

template <class A>
Napi::Value run_op(const Napi::CallbackInfo& info) {
  return guarded(info, A::kName, [&]() -> Napi::Value {
    A a;
    read_fields(info, a);
    check(a);
    DeviceOf d{A::kName, A::kId == OpId::Copy};
    A::visit(d, a);
    const Backend& b = backend_for(d.cuda, A::kName);
    LCSS_CHECK_KIND(ErrorKind::Device, b.supports(A::kId, d.dtype), "%s: no %s kernel for %s operands", A::kName,
                    b.name, dtype_name(d.dtype));
    b.run[int(A::kId)](&a);
    return info.Env().Undefined();
  });
}

// contracts() -> [{ name, dtypes: string[], fields: [{ name, kind }] }] in OpId order
Napi::Value Contracts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  auto dtypes = [&](uint32_t mask) {
    Napi::Array a = Napi::Array::New(env);
    for (DType t : {DType::F32, DType::F64, DType::I32, DType::Bool})
      if (mask & (1u << int(t))) a.Set(a.Length(), dtype_name(t));
    return a;
  };
  auto add = [&](auto tag) {
    using A = typename decltype(tag)::type;
    Napi::Object c = Napi::Object::New(env);
    c.Set("name", A::kName);
    c.Set("dtypes", dtypes(A::kDTypes));
    Napi::Array fields = Napi::Array::New(env);
    A a;
    A::visit([&](FieldKind k, const char* name, auto&) {
      Napi::Object f = Napi::Object::New(env);
      f.Set("name", name);
      f.Set("kind", field_kind_name(k));
      fields.Set(fields.Length(), f);
    }, a);
    c.Set("fields", fields);
    out.Set(out.Length(), c);
  };
  for_each_contract([&](auto tag) { add(tag); });
  return out;
}

// supports(op, device 'cpu' | 'cuda', dtype) -> boolean: whether this build has a kernel for it
Napi::Value Supports(const Napi::CallbackInfo& info) {
  return guarded(info, "supports", [&]() -> Napi::Value {
    LCSS_CHECK(info[0].IsString() && info[1].IsString() && info[2].IsString(),
               "supports: expected (op, device, dtype) strings");
    const std::string op = info[0].As<Napi::String>(), device = info[1].As<Napi::String>(),
                      dtype = info[2].As<Napi::String>();
    LCSS_CHECK(device == "cpu" || device == "cuda", "supports: unknown device kind \"%s\"", device.c_str());
    const Backend* b = find_backend(device == "cuda" ? DeviceKind::Cuda : DeviceKind::Cpu);
    int id = -1;
    int k = 0;
    for_each_contract([&](auto tag) {
      if (op == decltype(tag)::type::kName) id = k;
      ++k;
    });
    LCSS_CHECK(id >= 0, "supports: unknown op \"%s\"", op.c_str());
    bool ok = false;
    for (DType t : {DType::F32, DType::F64, DType::I32, DType::Bool})
      if (dtype == dtype_name(t)) ok = b && b->supports(OpId(id), t);
    return Napi::Boolean::New(info.Env(), ok);
  });
}

// opCodes() -> { unary: { NAME: code }, binary: ..., reduce: ..., random: ... } from op_codes.h
Napi::Value OpCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  auto table = [&](const char* name, std::initializer_list<std::pair<const char*, int>> codes) {
    Napi::Object t = Napi::Object::New(env);
    for (auto& c : codes) t.Set(c.first, c.second);
    o.Set(name, t);
  };
#define C(x) {#x, x}
  table("unary", {C(U_NEG), C(U_ABS), C(U_SIGN), C(U_EXP), C(U_LOG), C(U_LOG1P), C(U_EXPM1), C(U_SQRT), C(U_RSQRT),
                  C(U_SQUARE), C(U_RECIP), C(U_SIN), C(U_COS), C(U_TANH), C(U_SIGMOID), C(U_SILU), C(U_SOFTPLUS),
                  C(U_RELU), C(U_ELU), C(U_GELU), C(U_GELU_TANH), C(U_ERF), C(U_FLOOR), C(U_CEIL), C(U_ROUND),
                  C(U_ADD_S), C(U_MUL_S), C(U_RSUB_S), C(U_RDIV_S), C(U_POW_S), C(U_RPOW_S), C(U_CLAMP), C(U_MAX_S),
                  C(U_MIN_S), C(U_LOG_SIGMOID), C(U_TAN), C(U_ATAN), C(U_EQ_S), C(U_NE_S), C(U_LT_S),
                  C(U_LE_S), C(U_GT_S), C(U_GE_S), C(U_NOT), C(U_ISNAN), C(U_ISFINITE)});
  table("binary", {C(B_ADD), C(B_SUB), C(B_MUL), C(B_DIV), C(B_POW), C(B_MAX), C(B_MIN), C(B_ATAN2), C(B_EQ), C(B_NE),
                   C(B_LT), C(B_LE), C(B_GT), C(B_GE), C(B_AND), C(B_OR), C(B_XOR), C(B_SILU_BWD), C(B_SIGMOID_BWD),
                   C(B_TANH_BWD), C(B_RELU_BWD), C(B_GELU_BWD), C(B_SOFTPLUS_BWD), C(B_ELU_BWD), C(B_GELU_TANH_BWD),
                   C(B_LOG_SIGMOID_BWD), C(B_LERP), C(B_AXPY)});
  table("reduce", {C(R_SUM), C(R_PROD), C(R_MAX), C(R_MIN), C(R_ARGMAX), C(R_ARGMIN)});
  table("random", {C(RND_UNIFORM), C(RND_NORMAL), C(RND_BERNOULLI), C(RND_RANDINT)});
  table("steinEstimator", {C(STEIN_PLAIN), C(STEIN_CONTROL), C(STEIN_ANTITHETIC)});
#undef C
  return o;
}

// convWinograd(on?: boolean) -> boolean: the CPU setting (after applying `on` when given)
Napi::Value ConvWinograd(const Napi::CallbackInfo& info) {
  return guarded(info, "convWinograd", [&]() -> Napi::Value {
    if (info.Length() > 0 && !info[0].IsUndefined()) conv_set_winograd(arg_bool(info, 0, "convWinograd"));
    return Napi::Boolean::New(info.Env(), conv_winograd());
  });
}

}  // namespace

void register_ops(Napi::Env env, Napi::Object exports, Context* ctx) {
#define LCSS_DEFINE_OP(Name, js, dt) define(env, exports, ctx, js, run_op<Name>);
  LCSS_OPS(LCSS_DEFINE_OP)
#undef LCSS_DEFINE_OP
  define(env, exports, ctx, "contracts", Contracts);
  define(env, exports, ctx, "supports", Supports);
  define(env, exports, ctx, "opCodes", OpCodes);
  define(env, exports, ctx, "convWinograd", ConvWinograd);
}

}  // namespace lcss
