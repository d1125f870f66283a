// SPDX-License-Identifier: MIT
#include "../cpu/random.h"
#include "../cuda/cuda_ops.h"
#include "binding.h"

namespace lcss {
namespace {

// randomFill(kind, y(4), seed, offset, a, b); seed and offset are integers below 2^53
Napi::Value RandomFill(const Napi::CallbackInfo& info) {
  return guarded(info, "random", [&]() -> Napi::Value {
    int kind = int(arg_int(info, 0, "random kind"));
    View y = arg_view(info, 1, "random out");
    uint64_t seed = uint64_t(arg_num(info, 5, "seed")), offset = uint64_t(arg_num(info, 6, "offset"));
    double a = arg_num(info, 7, "a"), b = arg_num(info, 8, "b");
    if (y.cuda) cuda_random_fill(kind, y, seed, offset, a, b);
    else random_fill(kind, y, seed, offset, a, b);
    return info.Env().Undefined();
  });
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports) {
  exports.Set("randomFill", Napi::Function::New(env, RandomFill));
}

}  // namespace lcss
