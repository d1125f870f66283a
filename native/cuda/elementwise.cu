// SPDX-License-Identifier: MIT
// Elementwise kernels (unary, binary, where, copy with dtype conversion, fill) on any strides,
// broadcasting as stride 0, and the copies between host and device memory for strided views.
#include "../contract/backend.h"
#include <cstring>

#include "../contract/op_codes.h"
#include "../contract/shapes.h"
#include "ops.cuh"
#include "strided.cuh"

namespace lcss {

// A strided copy between two host views, by the CPU backend through the backend table (the CUDA
// backend includes no CPU header): the host side of a copy to or from a non-contiguous host view.
static void host_copy(const View& y, const View& x) {
  Copy c;
  c.y = y;
  c.x = x;
  find_backend(DeviceKind::Cpu)->run[int(OpId::Copy)](&c);
}
namespace {

constexpr int kThreads = 256;

template <typename T>
constexpr bool is_fp = std::is_same<T, float>::value || std::is_same<T, double>::value;

template <typename TO, typename TI>
__global__ void __launch_bounds__(kThreads) k_unary(int op, double p1d, double p2d, cu::Iter<2> it, int64_t n, TO* y,
                                                    const TI* x) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t o[2];
    it.offsets(i, o);
    const TI v = x[o[1]];
    if constexpr (is_fp<TI> && std::is_same<TO, TI>::value) {
      y[o[0]] = cu::unary_float<TI>(op, v, TI(p1d), TI(p2d));
    } else if constexpr (is_fp<TI>) {
      y[o[0]] = cu::unary_float_bool<TI>(op, v, TI(p1d));
    } else if constexpr (std::is_same<TI, int32_t>::value && std::is_same<TO, int32_t>::value) {
      // the scalars were checked on the host (int_scalar): integers in int32 range
      y[o[0]] = cu::unary_int(op, v, int32_t(p1d), int32_t(p2d));
    } else if constexpr (std::is_same<TI, int32_t>::value) {
      y[o[0]] = cu::unary_int_bool(op, v, p1d);
    } else {
      y[o[0]] = uint8_t(!v);  // bool: U_NOT is the only op
    }
  }
}

template <typename TO, typename TI>
__global__ void __launch_bounds__(kThreads) k_binary(int op, double p1d, double p2d, cu::Iter<3> it, int64_t n, TO* y,
                                                     const TI* a, const TI* b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t o[3];
    it.offsets(i, o);
    const TI u = a[o[1]], v = b[o[2]];
    if constexpr (std::is_same<TI, uint8_t>::value) {
      y[o[0]] = cu::binary_bool(op, u, v);
    } else if constexpr (std::is_same<TO, uint8_t>::value) {
      y[o[0]] = cu::binary_cmp<TI>(op, u, v);
    } else if constexpr (is_fp<TI>) {
      y[o[0]] = cu::binary_float<TI>(op, u, v, TI(p1d), TI(p2d));
    } else {
      y[o[0]] = cu::binary_int(op, u, v);
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_where(cu::Iter<4> it, int64_t n, T* y, const uint8_t* c, const T* a,
                                                    const T* b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t o[4];
    it.offsets(i, o);
    y[o[0]] = c[o[1]] ? a[o[2]] : b[o[3]];
  }
}

template <typename TO, typename TI>
__global__ void __launch_bounds__(kThreads) k_copy(cu::Iter<2> it, int64_t n, TO* y, const TI* x) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t o[2];
    it.offsets(i, o);
    if constexpr (std::is_same<TO, uint8_t>::value) {
      y[o[0]] = uint8_t(x[o[1]] != TI(0));  // to bool: nonzero
    } else if constexpr (std::is_same<TO, int32_t>::value && is_fp<TI>) {
      // saturating, NaN -> 0: what cvt.rzi does on the GPU, written out so the CPU backend and
      // the emulator (where a plain conversion is undefined) agree with it
      const TI v = x[o[1]];
      y[o[0]] = v != v ? 0 : v >= TI(2147483647.0) ? 2147483647 : v <= TI(-2147483648.0) ? int32_t(-2147483647 - 1) : int32_t(v);
    } else {
      y[o[0]] = TO(x[o[1]]);
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) k_fill(cu::Iter<1> it, int64_t n, T* y, T v) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t o[1];
    it.offsets(i, o);
    y[o[0]] = v;
  }
}

// Calls f(T{}) with T the C++ type of dtype t.
template <typename F>
void by_dtype(DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I32: return f(int32_t{});
    case DType::Bool: return f(uint8_t{});
  }
  LCSS_CHECK(false, "unknown dtype code %d", int(t));
}

// Device-to-device strided copy with conversion; views on one device.
void copy_on_device(int dev, const View& y, const View& x) {
  const View* ops[2] = {&y, &x};
  int64_t n;
  cu::Iter<2> it = cu::make_iter<2>(ops, &n);
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  by_dtype(y.dtype, [&](auto to) {
    using TO = decltype(to);
    by_dtype(x.dtype, [&](auto ti) {
      using TI = decltype(ti);
      cu::launch("copy", k_copy<TO, TI>, cu::grid_for(n, kThreads, dev), kThreads, 0, s, it, n, y.ptr<TO>(), x.ptr<TI>());
    });
  });
}

View contiguous_like(const View& v, void* data, DType t) {
  View c = v;
  c.data = data;
  c.dtype = t;
  int64_t s = 1;
  for (int d = v.ndim - 1; d >= 0; --d) {
    c.strides[d] = s;
    s *= v.shape[d];
  }
  return c;
}

}  // namespace

void cuda_unary(int op, const View& y, const View& x, double p1, double p2) {
  const int dev = cu::device_of("unary", {&y, &x});
  LCSS_CHECK(cu::unary_supported(op, x.dtype), "unary op %d is not defined for %s", op, dtype_name(x.dtype));
  const DType out = unary_outputs_bool(op) ? DType::Bool : x.dtype;
  LCSS_CHECK(y.dtype == out, "unary op %d: output must be %s, got %s", op, dtype_name(out), dtype_name(y.dtype));
  cu::check_same_shape("unary", y, x);
  if (x.dtype == DType::I32 && out == DType::I32)
    LCSS_CHECK(is_int32_value(p1) && (op != U_CLAMP || is_int32_value(p2)),
               "unary op %d on int32: scalars %g, %g must be integers in int32 range", op, p1, p2);
  const View* ops[2] = {&y, &x};
  int64_t n;
  cu::Iter<2> it = cu::make_iter<2>(ops, &n);
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  const unsigned g = cu::grid_for(n, kThreads, dev);
  by_dtype(x.dtype, [&](auto ti) {
    using TI = decltype(ti);
    if (out == DType::Bool) cu::launch("unary", k_unary<uint8_t, TI>, g, kThreads, 0, s, op, p1, p2, it, n, y.ptr<uint8_t>(), x.ptr<TI>());
    else cu::launch("unary", k_unary<TI, TI>, g, kThreads, 0, s, op, p1, p2, it, n, y.ptr<TI>(), x.ptr<TI>());
  });
}

void cuda_binary(int op, const View& y, const View& a, const View& b, double p1, double p2) {
  const int dev = cu::device_of("binary", {&y, &a, &b});
  LCSS_CHECK(cu::binary_supported(op, a.dtype), "binary op %d is not defined for %s", op, dtype_name(a.dtype));
  LCSS_CHECK(b.dtype == a.dtype, "binary op %d: operands are %s and %s", op, dtype_name(a.dtype), dtype_name(b.dtype));
  const DType out = binary_outputs_bool(op) ? DType::Bool : a.dtype;
  LCSS_CHECK(y.dtype == out, "binary op %d: output must be %s, got %s", op, dtype_name(out), dtype_name(y.dtype));
  cu::check_same_shape("binary", y, a);
  cu::check_same_shape("binary", y, b);
  const View* ops[3] = {&y, &a, &b};
  int64_t n;
  cu::Iter<3> it = cu::make_iter<3>(ops, &n);
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  const unsigned g = cu::grid_for(n, kThreads, dev);
  by_dtype(a.dtype, [&](auto ti) {
    using TI = decltype(ti);
    if (out == DType::Bool)
      cu::launch("binary", k_binary<uint8_t, TI>, g, kThreads, 0, s, op, p1, p2, it, n, y.ptr<uint8_t>(), a.ptr<TI>(), b.ptr<TI>());
    else
      cu::launch("binary", k_binary<TI, TI>, g, kThreads, 0, s, op, p1, p2, it, n, y.ptr<TI>(), a.ptr<TI>(), b.ptr<TI>());
  });
}

void cuda_where(const View& y, const View& c, const View& a, const View& b) {
  const int dev = cu::device_of("where", {&y, &c, &a, &b});
  LCSS_CHECK(c.dtype == DType::Bool, "where: condition must be bool, got %s", dtype_name(c.dtype));
  LCSS_CHECK(a.dtype == y.dtype && b.dtype == y.dtype, "where: operands must share the output dtype");
  cu::check_same_shape("where", y, c);
  cu::check_same_shape("where", y, a);
  cu::check_same_shape("where", y, b);
  const View* ops[4] = {&y, &c, &a, &b};
  int64_t n;
  cu::Iter<4> it = cu::make_iter<4>(ops, &n);
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  by_dtype(y.dtype, [&](auto tag) {
    using T = decltype(tag);
    cu::launch("where", k_where<T>, cu::grid_for(n, kThreads, dev), kThreads, 0, s, it, n, y.ptr<T>(), c.ptr<uint8_t>(),
               a.ptr<T>(), b.ptr<T>());
  });
}

void cuda_fill(const View& y, double v) {
  const int dev = cu::device_of("fill", {&y});
  const View* ops[1] = {&y};
  int64_t n;
  cu::Iter<1> it = cu::make_iter<1>(ops, &n);
  if (!n) return;
  cudaStream_t s = cu::stream(dev);
  const unsigned g = cu::grid_for(n, kThreads, dev);
  switch (y.dtype) {  // the value conversions of ew_fill
    case DType::F32: return cu::launch("fill", k_fill<float>, g, kThreads, 0, s, it, n, y.ptr<float>(), float(v));
    case DType::F64: return cu::launch("fill", k_fill<double>, g, kThreads, 0, s, it, n, y.ptr<double>(), v);
    case DType::I32:
      LCSS_CHECK(is_int32_value(v), "fill: %g is not an integer in int32 range", v);
      return cu::launch("fill", k_fill<int32_t>, g, kThreads, 0, s, it, n, y.ptr<int32_t>(), int32_t(v));
    case DType::Bool: return cu::launch("fill", k_fill<uint8_t>, g, kThreads, 0, s, it, n, y.ptr<uint8_t>(), uint8_t(v != 0));
  }
}

// y = x with dtype conversion, either side on the host or on any device. Host<->device copies of
// strided views go through contiguous staging buffers: the strided part is done by the copy
// kernel of the side it lives on, the transfer is one contiguous memcpy.
void cuda_copy(const View& y, const View& x) {
  cu::check_same_shape("copy", y, x);
  const int64_t n = y.numel();
  if (!n) return;
  if (y.cuda && x.cuda && y.device_index == x.device_index) return copy_on_device(y.device_index, y, x);

  const size_t xb = size_t(n) * dtype_size(x.dtype);
  if (y.cuda && x.cuda) {  // across devices: contiguous on the source, peer copy, then scatter
    const int sd = x.device_index, dd = y.device_index;
    cu::Scratch src(sd, xb), dst(dd, xb);
    View sv = contiguous_like(x, src.p, x.dtype);
    copy_on_device(sd, sv, x);
    LCSS_CU("copy", cudaStreamSynchronize(cu::stream(sd)));
    cudaStream_t s = cu::stream(dd);
    LCSS_CU("copy", cudaMemcpyPeerAsync(dst.p, dd, src.p, sd, xb, s));
    copy_on_device(dd, y, contiguous_like(x, dst.p, x.dtype));
    LCSS_CU("copy", cudaStreamSynchronize(s));  // before src returns to its device's cache
    return;
  }

  if (y.cuda) {  // host -> device
    const int dev = y.device_index;
    cudaStream_t s = cu::stream(dev);
    const bool direct = y.contiguous() && y.dtype == x.dtype;
    if (x.contiguous() && direct) {
      LCSS_CU("copy", cudaMemcpyAsync(y.data, x.data, xb, cudaMemcpyHostToDevice, s));
      return;
    }
    void* host = cpu_alloc(xb);
    struct Free { void* p; size_t n; ~Free() { cpu_free(p, n); } } hf{host, xb};
    View hv = contiguous_like(x, host, x.dtype);
    host_copy(hv, x);
    if (direct) {
      LCSS_CU("copy", cudaMemcpyAsync(y.data, host, xb, cudaMemcpyHostToDevice, s));
    } else {
      cu::Scratch tmp(dev, xb);
      LCSS_CU("copy", cudaMemcpyAsync(tmp.p, host, xb, cudaMemcpyHostToDevice, s));
      copy_on_device(dev, y, contiguous_like(x, tmp.p, x.dtype));
    }
    // pageable sources are staged before the call returns, but wait anyway: the staging buffer
    // goes back to the CPU cache now
    LCSS_CU("copy", cudaStreamSynchronize(s));
    return;
  }

  // device -> host: make x contiguous on the device, one transfer, then the CPU kernel scatters
  const int dev = x.device_index;
  const bool direct = y.contiguous() && y.dtype == x.dtype;
  cu::Scratch tmp(dev, x.contiguous() ? 0 : xb);
  const void* src = x.data;
  if (!x.contiguous()) {
    copy_on_device(dev, contiguous_like(x, tmp.p, x.dtype), x);
    src = tmp.p;
  }
  if (direct) {
    cuda_copy_d2h(dev, y.data, src, xb);
    return;
  }
  void* host = cpu_alloc(xb);
  struct Free { void* p; size_t n; ~Free() { cpu_free(p, n); } } hf{host, xb};
  cuda_copy_d2h(dev, host, src, xb);
  host_copy(y, contiguous_like(x, host, x.dtype));
}

// --- the backend table's entries for these kernels (contract/ops.h) ---
LCSS_BACKEND_OP(Cuda, Unary, 0) { cuda_unary(int(a.op), a.y, a.x, a.p1, a.p2); }
LCSS_BACKEND_OP(Cuda, Binary, 0) { cuda_binary(int(a.op), a.y, a.a, a.b, a.p1, a.p2); }
LCSS_BACKEND_OP(Cuda, Where, 0) { cuda_where(a.y, a.cond, a.a, a.b); }
LCSS_BACKEND_OP(Cuda, Copy, 0) { cuda_copy(a.y, a.x); }  // either side may be on the host
LCSS_BACKEND_OP(Cuda, Fill, 0) { cuda_fill(a.y, a.value); }

}  // namespace lcss
