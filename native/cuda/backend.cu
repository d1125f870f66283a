// SPDX-License-Identifier: MIT
// The CUDA backend's table: the runtime layer (device.cu) for memory and queries. Each kernel
// registers its op next to itself (LCSS_BACKEND_OP(Cuda, ...) in elementwise.cu, conv.cu, ...);
// there is no fused attention kernel, so supports() says so and the op takes its composite form.
// Compiled only into CUDA builds (and the emulator build): a CPU-only addon has no CUDA entry.
#include "../contract/backend.h"
#include "cuda_api.h"

namespace lcss {
namespace {

bool register_runtime() {
  Backend& b = backend_slot(DeviceKind::Cuda);
  b.name = "cuda";
  b.alloc = cuda_alloc;
  b.free = cuda_free;
  b.copy_from_host = cuda_copy_h2d;
  b.copy_to_host = cuda_copy_d2h;
  b.synchronize = cuda_synchronize;
  b.memory_stats = cuda_alloc_stats;
  b.reset_peak = cuda_reset_peak;
  b.empty_cache = cuda_empty_cache;
  b.device_count = cuda_device_count;
  b.status = cuda_status_message;
  b.device_info = cuda_device_info;
  b.set_tf32 = cuda_set_tf32;
  return true;
}
const bool registered = register_runtime();

}  // namespace

}  // namespace lcss
