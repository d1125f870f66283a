// SPDX-License-Identifier: MIT
// Argument checks of the normalisation kernels; the kernels themselves are per ISA (norm_impl.h).
#include "../contract/backend.h"
#include "norm.h"

#include "../core/error.h"
#include "kernels.h"

namespace lcss {

static void check_float(DType t, const char* op) {
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "%s: dtype %s not supported", op, dtype_name(t));
}

void groupnorm_forward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, double eps, bool silu, const void* x,
                       const void* gamma, const void* beta, void* y, void* mean, void* rstd) {
  check_float(t, "group_norm");
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm: %lld channels not divisible by %lld groups", (long long)C, (long long)G);
  LCSS_CHECK(N >= 0 && HW >= 0, "group_norm: negative size");
  kernels().nn->norm.gn_forward(t, N, C, HW, G, eps, silu, x, gamma, beta, y, mean, rstd);
}

void groupnorm_backward(DType t, int64_t N, int64_t C, int64_t HW, int64_t G, bool silu, const void* gy, const void* x,
                        const void* mean, const void* rstd, const void* gamma, const void* beta, void* gx, void* ggamma,
                        void* gbeta) {
  check_float(t, "group_norm_backward");
  LCSS_CHECK(G >= 1 && C % G == 0, "group_norm_backward: channels not divisible by groups");
  LCSS_CHECK(N >= 0 && HW >= 0, "group_norm_backward: negative size");
  kernels().nn->norm.gn_backward(t, N, C, HW, G, silu, gy, x, mean, rstd, gamma, beta, gx, ggamma, gbeta);
}

void layernorm_forward(DType t, int64_t R, int64_t D, double eps, const void* x, const void* w, const void* b, void* y,
                       void* mean, void* rstd) {
  check_float(t, "layer_norm");
  LCSS_CHECK(R >= 0 && D >= 0, "layer_norm: negative size");
  kernels().nn->norm.ln_forward(t, R, D, eps, x, w, b, y, mean, rstd);
}

void layernorm_backward(DType t, int64_t R, int64_t D, const void* gy, const void* x, const void* mean, const void* rstd,
                        const void* w, void* gx, void* gw, void* gb) {
  check_float(t, "layer_norm_backward");
  LCSS_CHECK(R >= 0 && D >= 0, "layer_norm_backward: negative size");
  kernels().nn->norm.ln_backward(t, R, D, gy, x, mean, rstd, w, gx, gw, gb);
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, GroupNormForward, 0) {
  groupnorm_forward(a.x.dtype, a.N, a.C, a.HW, a.G, a.eps, a.silu, a.x.p, a.gamma.p, a.beta.p, a.y.p, a.mean.p,
                    a.rstd.p);
}
LCSS_BACKEND_OP(Cpu, GroupNormBackward, 0) {
  groupnorm_backward(a.x.dtype, a.N, a.C, a.HW, a.G, a.silu, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.gamma.p, a.beta.p,
                     a.gx.p, a.ggamma.p, a.gbeta.p);
}
LCSS_BACKEND_OP(Cpu, LayerNormForward, 0) {
  layernorm_forward(a.x.dtype, a.R, a.D, a.eps, a.x.p, a.w.p, a.b.p, a.y.p, a.mean.p, a.rstd.p);
}
LCSS_BACKEND_OP(Cpu, LayerNormBackward, 0) {
  layernorm_backward(a.x.dtype, a.R, a.D, a.gy.p, a.x.p, a.mean.p, a.rstd.p, a.w.p, a.gx.p, a.gw.p, a.gb.p);
}

}  // namespace lcss
