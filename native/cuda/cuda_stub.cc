// SPDX-License-Identifier: MIT
// Linked instead of the CUDA backend when the addon is built without nvcc (or LCSS_CUDA=0).
#include "../core/error.h"
#include "cuda_api.h"
#include "cuda_ops.h"

namespace lcss {

static const char* kNotBuilt =
    "lcss was built without CUDA: install the CUDA toolkit (nvcc on PATH) and run `npm rebuild lcss` "
    "(LCSS_CUDA=1 forces it)";

bool cuda_built() { return false; }
int cuda_device_count() { return 0; }
const char* cuda_status_message() { return kNotBuilt; }
void cuda_device_info(int, CudaDeviceInfo*) { throw Error(kNotBuilt, ErrorKind::Device); }
void* cuda_alloc(int, size_t) { throw Error(kNotBuilt, ErrorKind::Device); }
void cuda_free(int, void*, size_t) {}
AllocStats cuda_alloc_stats(int) { return AllocStats{}; }
void cuda_reset_peak(int) {}
void cuda_empty_cache(int) {}
void cuda_copy_h2d(int, void*, const void*, size_t) { throw Error(kNotBuilt, ErrorKind::Device); }
void cuda_copy_d2h(int, void*, const void*, size_t) { throw Error(kNotBuilt, ErrorKind::Device); }
void cuda_synchronize(int) {}
bool cuda_set_tf32(bool) { return false; }

void cuda_unary(int, const View&, const View&, double, double) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_binary(int, const View&, const View&, const View&, double, double) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_where(const View&, const View&, const View&, const View&) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_copy(const View&, const View&) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_fill(const View&, double) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_reduce(int, const View&, const View&, int) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_random_fill(int, const View&, uint64_t, uint64_t, double, double) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_gemm(int, DType, const GemmArgs&) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_conv2d_forward(int, DType, const ConvShape&, const void*, const void*, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_conv2d_backward_input(int, DType, const ConvShape&, const void*, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_conv2d_backward_weight(int, DType, const ConvShape&, const void*, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_groupnorm_forward(int, DType, int64_t, int64_t, int64_t, int64_t, double, bool, const void*, const void*, const void*, void*, void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_groupnorm_backward(int, DType, int64_t, int64_t, int64_t, int64_t, bool, const void*, const void*, const void*, const void*, const void*, const void*, void*, void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_layernorm_forward(int, DType, int64_t, int64_t, double, const void*, const void*, const void*, void*, void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_layernorm_backward(int, DType, int64_t, int64_t, const void*, const void*, const void*, const void*, const void*, void*, void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_softmax_forward(int, DType, int64_t, int64_t, int64_t, bool, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_softmax_backward(int, DType, int64_t, int64_t, int64_t, bool, const void*, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_pool2d(int, DType, int, const PoolShape&, bool, const void*, void*, int32_t*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_upsample_nearest(int, DType, bool, int64_t, int64_t, int64_t, int64_t, int64_t, const void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_index_op(int, DType, int, int64_t, int64_t, int64_t, int64_t, void*, const int32_t*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_stein(int, DType, int, const SteinArgs&, const void*, const void*, void*, void*) { throw Error(cuda_status_message(), ErrorKind::Device); }
void cuda_adam_step(int, DType, int64_t, void*, const void*, void*, void*, double, double, double, double, double, double, double, bool) { throw Error(cuda_status_message(), ErrorKind::Device); }

}  // namespace lcss
