// SPDX-License-Identifier: MIT
#include "../cpu/gemm.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

// gemm(A buf, a_off, B buf, b_off, C buf, c_off, dims[12], alpha, beta)
//   dims = [batch, M, N, K, a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, c_bs, c_rs]
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guarded(info, "matmul", [&]() -> Napi::Value {
    Buffer* a = unwrap_buffer(info[0], "matmul a");
    Buffer* b = unwrap_buffer(info[2], "matmul b");
    Buffer* c = unwrap_buffer(info[4], "matmul out");
    LCSS_CHECK(a->dtype == b->dtype && b->dtype == c->dtype, "matmul: operands must share a dtype");
    LCSS_CHECK(a->device == b->device && b->device == c->device && a->device_index == b->device_index &&
                   b->device_index == c->device_index,
               "matmul: operands must share a device");
    Napi::Array d = info[6].As<Napi::Array>();
    LCSS_CHECK(d.Length() == 12, "matmul: expected 12 dims");
    int64_t v[12];
    for (uint32_t i = 0; i < 12; ++i) v[i] = int64_t(d.Get(i).As<Napi::Number>().DoubleValue());
    size_t es = dtype_size(a->dtype);
    GemmArgs g;
    g.batch = v[0]; g.M = v[1]; g.N = v[2]; g.K = v[3];
    g.A = static_cast<char*>(a->data) + arg_int(info, 1, "a offset") * es; g.a_bs = v[4]; g.a_rs = v[5]; g.a_cs = v[6];
    g.B = static_cast<char*>(b->data) + arg_int(info, 3, "b offset") * es; g.b_bs = v[7]; g.b_rs = v[8]; g.b_cs = v[9];
    g.C = static_cast<char*>(c->data) + arg_int(info, 5, "c offset") * es; g.c_bs = v[10]; g.c_rs = v[11];
    g.alpha = arg_num(info, 7, "alpha");
    g.beta = arg_num(info, 8, "beta");
    if (a->device == DeviceKind::Cuda) cuda_gemm(a->device_index, a->dtype, g);
    else gemm(a->dtype, g);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
}

}  // namespace lcss
