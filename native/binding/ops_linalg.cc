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
    // Every element the kernel can touch must lie inside its buffer (a bad stride from JS must
    // raise, never read or write out of bounds).
    LCSS_CHECK(g.batch >= 0 && g.M >= 0 && g.N >= 0 && g.K >= 0, "matmul: negative size");
    auto inside = [](const Buffer* buf, int64_t off, int64_t n0, int64_t s0, int64_t n1, int64_t s1, int64_t n2,
                     int64_t s2) {
      if (n0 == 0 || n1 == 0 || n2 == 0) return off >= 0 && off <= buf->numel;
      int64_t lo = off, hi = off;
      const int64_t n[3] = {n0, n1, n2}, st[3] = {s0, s1, s2};
      for (int d = 0; d < 3; ++d) (st[d] >= 0 ? hi : lo) += (n[d] - 1) * st[d];
      return lo >= 0 && hi < buf->numel;
    };
    LCSS_CHECK(inside(a, arg_int(info, 1, "a offset"), g.batch, g.a_bs, g.M, g.a_rs, g.K, g.a_cs),
               "matmul: A [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.M, (long long)g.K);
    LCSS_CHECK(inside(b, arg_int(info, 3, "b offset"), g.batch, g.b_bs, g.K, g.b_rs, g.N, g.b_cs),
               "matmul: B [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.K, (long long)g.N);
    LCSS_CHECK(inside(c, arg_int(info, 5, "c offset"), g.batch, g.c_bs, g.M, g.c_rs, g.N, 1),
               "matmul: C [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.M, (long long)g.N);
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
