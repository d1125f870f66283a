// SPDX-License-Identifier: MIT
// The CUDA runtime layer of the backend (device.cu): devices, memory, copies. Only cuda/ uses these;
// the rest of the addon reaches them through the backend table (cuda/backend.cu registers them).
// Everything here runs on the one stream of each device; only the read-back (d2h) and
// cuda_synchronize wait for the device, and they also report errors found by earlier kernels.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../core/allocator.h"
#include "../contract/backend.h"
#include "../core/view.h"

namespace lcss {

int cuda_device_count();           // 0 when no driver/GPU (never throws)
const char* cuda_status_message(); // why the count is 0, when it is (never throws)

void cuda_device_info(int device, DeviceInfo* out);

void* cuda_alloc(int device, size_t nbytes);
void cuda_free(int device, void* p, size_t nbytes);  // never throws (called from finalizers)
AllocStats cuda_alloc_stats(int device);
void cuda_reset_peak(int device);
void cuda_empty_cache(int device);  // device < 0: every device
void cuda_copy_h2d(int device, void* dst, const void* src, size_t nbytes);
void cuda_copy_d2h(int device, void* dst, const void* src, size_t nbytes);  // waits, then checks
void cuda_synchronize(int device);                                         // waits, then checks
// float32 products (GEMM, convolutions) on TF32 tensor cores where the device has them (sm_80+);
// off by default (strict float32, matching the CPU). Returns the previous setting.
bool cuda_set_tf32(bool on);

}  // namespace lcss
