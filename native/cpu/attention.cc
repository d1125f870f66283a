// SPDX-License-Identifier: MIT
// Argument checks of the fused attention kernels; the kernels themselves are per ISA
// (attention_impl.h).
#include "../contract/backend.h"
#include "../core/error.h"
#include "kernels.h"
#include "nn.h"

namespace lcss {

static void check(DType t, const AttnShape& s, const char* op) {
  LCSS_CHECK(t == DType::F32 || t == DType::F64, "%s: dtype %s not supported", op, dtype_name(t));
  LCSS_CHECK(s.B >= 0 && s.Lq >= 0 && s.Lk >= 0 && s.D >= 0 && s.Dv >= 0, "%s: negative size", op);
}

void attention_forward(DType t, const AttnShape& s, const void* q, const void* k, const void* v, void* o, void* lse) {
  check(t, s, "attention");
  if (s.B * s.Lq == 0) return;
  LCSS_CHECK(s.Lk > 0, "attention: no keys (Lk = 0) to attend to");
  kernels().nn->attention_forward(t, s, q, k, v, o, lse);
}

void attention_backward(DType t, const AttnShape& s, const void* q, const void* k, const void* v, const void* lse,
                        const void* go, void* gq, void* gk, void* gv) {
  check(t, s, "attention_backward");
  if (s.B == 0) return;
  LCSS_CHECK(s.Lk > 0 || s.Lq == 0, "attention_backward: no keys (Lk = 0)");
  kernels().nn->attention_backward(t, s, q, k, v, lse, go, gq, gk, gv);
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cpu, AttentionForward, 0) {
  attention_forward(a.q.dtype, attn_shape(a), a.q.p, a.k.p, a.v.p, a.o.p, a.lse.p);
}
LCSS_BACKEND_OP(Cpu, AttentionBackward, 0) {
  attention_backward(a.q.dtype, attn_shape(a), a.q.p, a.k.p, a.v.p, a.lse.p, a.go.p, a.gq.p, a.gk.p, a.gv.p);
}

}  // namespace lcss
