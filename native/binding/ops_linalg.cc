// SPDX-License-Identifier: MIT
#include "../cpu/gemm.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

// Whether every element of a [n0, n1, n2] operand with strides s0, s1, s2 at `off` lies inside the
// buffer (strides may be any sign; the arithmetic is checked).
bool inside(const BufferRec& buf, int64_t off, int64_t n0, int64_t s0, int64_t n1, int64_t s1, int64_t n2, int64_t s2) {
  if (n0 == 0 || n1 == 0 || n2 == 0) return off <= buf.numel;
  int64_t lo = off, hi = off;
  const int64_t n[3] = {n0, n1, n2}, st[3] = {s0, s1, s2};
  for (int d = 0; d < 3; ++d) {
    const int64_t ext = checked_mul(n[d] - 1, st[d], "matmul");
    (ext >= 0 ? hi : lo) = checked_add(ext >= 0 ? hi : lo, ext, "matmul");
  }
  return lo >= 0 && hi < buf.numel;
}

// gemm(A buf, a_off, B buf, b_off, C buf, c_off, dims[12], alpha, beta)
//   dims = [batch, M, N, K, a_bs, a_rs, a_cs, b_bs, b_rs, b_cs, c_bs, c_rs]
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guarded(info, "matmul", [&]() -> Napi::Value {
    BufferRec& a = arg_buffer(info, 0, "matmul a");
    BufferRec& b = arg_buffer(info, 2, "matmul b");
    BufferRec& c = arg_buffer(info, 4, "matmul out");
    LCSS_CHECK(a.dtype == b.dtype && b.dtype == c.dtype, "matmul: operands must share a dtype");
    LCSS_CHECK(is_float(a.dtype), "matmul: operands must be float32 or float64, got %s", dtype_name(a.dtype));
    LCSS_CHECK(a.device == b.device && b.device == c.device && a.device_index == b.device_index &&
                   b.device_index == c.device_index,
               "matmul: operands must share a device");
    const int64_t ao = arg_size(info, 1, "matmul a offset"), bo = arg_size(info, 3, "matmul b offset");
    const int64_t co = arg_size(info, 5, "matmul out offset");
    const std::vector<int64_t> v = arg_ints(info, 6, "matmul dims", 12);
    const size_t es = dtype_size(a.dtype);
    GemmArgs g;
    g.batch = v[0]; g.M = v[1]; g.N = v[2]; g.K = v[3];
    LCSS_CHECK(g.batch >= 0 && g.M >= 0 && g.N >= 0 && g.K >= 0, "matmul: negative size");
    g.A = static_cast<char*>(a.data) + ao * int64_t(es); g.a_bs = v[4]; g.a_rs = v[5]; g.a_cs = v[6];
    g.B = static_cast<char*>(b.data) + bo * int64_t(es); g.b_bs = v[7]; g.b_rs = v[8]; g.b_cs = v[9];
    g.C = static_cast<char*>(c.data) + co * int64_t(es); g.c_bs = v[10]; g.c_rs = v[11];
    g.alpha = arg_finite(info, 7, "alpha");
    g.beta = arg_finite(info, 8, "beta");
    // Every element the kernel can touch must lie inside its buffer (a bad stride from JS must
    // raise, never read or write out of bounds).
    LCSS_CHECK(inside(a, ao, g.batch, g.a_bs, g.M, g.a_rs, g.K, g.a_cs),
               "matmul: A [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.M, (long long)g.K);
    LCSS_CHECK(inside(b, bo, g.batch, g.b_bs, g.K, g.b_rs, g.N, g.b_cs),
               "matmul: B [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.K, (long long)g.N);
    LCSS_CHECK(inside(c, co, g.batch, g.c_bs, g.M, g.c_rs, g.N, 1),
               "matmul: C [%lld x %lld x %lld] with its strides reaches outside its buffer", (long long)g.batch,
               (long long)g.M, (long long)g.N);
    if (a.device == DeviceKind::Cuda) cuda_gemm(a.device_index, a.dtype, g);
    else gemm(a.dtype, g);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports, Context* ctx) { define(env, exports, ctx, "gemm", Gemm); }

}  // namespace lcss
