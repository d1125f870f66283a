// SPDX-License-Identifier: MIT
#include "../cpu/random.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

// randomFill(kind, y(4), seed, offset, a, b); seed and offset are integers in [0, 2^53)
Napi::Value RandomFill(const Napi::CallbackInfo& info) {
  return guarded(info, "random", [&]() -> Napi::Value {
    const int kind = int(arg_int(info, 0, "random kind", 0, 3));
    View y = arg_view(info, 1, "random out");
    const uint64_t seed = uint64_t(arg_int(info, 5, "seed", 0, kMaxElements - 1));
    const uint64_t offset = uint64_t(arg_int(info, 6, "offset", 0, kMaxElements - 1));
    const double a = arg_finite(info, 7, "a"), b = arg_finite(info, 8, "b");
    if (y.cuda) cuda_random_fill(kind, y, seed, offset, a, b);
    else random_fill(kind, y, seed, offset, a, b);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports, Context* ctx) {
  define(env, exports, ctx, "randomFill", RandomFill);
}

}  // namespace lcss
