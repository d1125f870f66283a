// SPDX-License-Identifier: MIT
// Module entry: registers every family of entry points.
#include "binding.h"

namespace lcss {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  register_memory(env, exports);
  register_elementwise(env, exports);
  register_linalg(env, exports);
  register_random(env, exports);
  register_nn(env, exports);
  register_cuda(env, exports);
  return exports;
}

}  // namespace lcss

static Napi::Object InitLcss(Napi::Env env, Napi::Object exports) { return lcss::Init(env, exports); }

NODE_API_MODULE(lcss, InitLcss)
