// SPDX-License-Identifier: MIT
// Module entry: one Context per environment (main thread or worker), owned by the environment
// through its instance data and destroyed with it, and every family of entry points registered
// with that Context as their data.
#include "binding.h"

namespace lcss {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Context* ctx = new Context();
  // The environment deletes the context (and so frees every buffer it still holds) at teardown,
  // which for a Worker is when it exits or is terminated.
  env.SetInstanceData<Context>(ctx);
  register_memory(env, exports, ctx);
  register_ops(env, exports, ctx);
  register_cuda(env, exports, ctx);
  register_dist(env, exports, ctx);
  return exports;
}

}  // namespace lcss

static Napi::Object InitLcss(Napi::Env env, Napi::Object exports) { return lcss::Init(env, exports); }

NODE_API_MODULE(lcss, InitLcss)
