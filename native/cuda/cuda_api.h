// SPDX-License-Identifier: MIT
// The CUDA backend as the rest of the addon sees it. Built from cuda/*.cu when nvcc is found;
// otherwise cuda_stub.cc provides the same symbols, which report that CUDA was not built.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../core/view.h"

namespace lcss {

bool cuda_built();                 // compiled with the CUDA backend
int cuda_device_count();           // 0 when no driver/GPU (never throws)
const char* cuda_status_message(); // why the count is 0, when it is

void* cuda_alloc(int device, size_t nbytes);
void cuda_free(int device, void* p, size_t nbytes);
void cuda_copy_h2d(int device, void* dst, const void* src, size_t nbytes);
void cuda_copy_d2h(int device, void* dst, const void* src, size_t nbytes);
void cuda_synchronize(int device);

}  // namespace lcss
