// SPDX-License-Identifier: MIT
// The backend table: what a device offers the binding. Memory (alloc, free, copies to and from the
// host, synchronize), device queries, and one slot per op of contract/ops.h with the dtypes it
// takes there. Each backend fills its own table where its kernels live, with LCSS_BACKEND_OP next
// to each kernel; the CPU backend is always linked, the CUDA backend only when it was built, so a
// build without CUDA simply has no CUDA entry (find_backend returns null and the binding says how
// to build it). supports(op, dtype) is what callers ask instead of testing device types.
#pragma once
#include <cstddef>

#include "../core/allocator.h"
#include "ops.h"

namespace lcss {

enum class DeviceKind : int32_t { Cpu = 0, Cuda = 1 };

struct DeviceInfo {
  char name[256];
  int major, minor;      // compute capability
  int sm_count;
  size_t total_mem;      // bytes
  size_t smem_per_block; // opt-in maximum of dynamic shared memory
  int runtime_version, driver_version;
  bool emulated;         // the CPU emulator (development builds), not a GPU
};

struct Backend {
  using Run = void (*)(const void* args);

  const char* name = nullptr;  // "cpu", "cuda"
  DeviceKind kind = DeviceKind::Cpu;

  // memory; `device` is the device index (0 on the CPU)
  void* (*alloc)(int device, size_t nbytes) = nullptr;            // throws OutOfMemory
  void (*free)(int device, void* p, size_t nbytes) = nullptr;     // never throws
  void (*copy_from_host)(int device, void* dst, const void* src, size_t nbytes) = nullptr;
  void (*copy_to_host)(int device, void* dst, const void* src, size_t nbytes) = nullptr;  // waits
  void (*synchronize)(int device) = nullptr;                      // waits, then reports earlier errors
  AllocStats (*memory_stats)(int device) = nullptr;
  void (*reset_peak)(int device) = nullptr;
  void (*empty_cache)(int device) = nullptr;                      // device < 0: every device

  // device queries (optional: the CPU has one device and no status to report)
  int (*device_count)() = nullptr;                                // never throws
  const char* (*status)() = nullptr;                              // why the count is 0, never throws
  void (*device_info)(int device, DeviceInfo* out) = nullptr;
  bool (*set_tf32)(bool on) = nullptr;                            // returns the previous setting

  // ops: run[op] takes a pointer to the checked argument struct of that op; dtypes[op] is the mask
  // of dtypes the backend takes for it (0 with no kernel)
  Run run[kNumOps] = {};
  uint32_t dtypes[kNumOps] = {};

  bool supports(OpId op, DType t) const {
    return run[int(op)] != nullptr && (dtypes[int(op)] & (1u << int(t))) != 0;
  }
};

// The backend of a device kind, or null when this build has none.
const Backend* find_backend(DeviceKind kind);
// The mutable table a backend fills while the addon loads (static initialisers).
Backend& backend_slot(DeviceKind kind);

// Registers a kernel for an op: used at namespace scope, followed by the function body, e.g.
//   LCSS_BACKEND_OP(Cpu, Conv2dForward, kFloat) { conv2d_forward(..., a.x.p, ...); }
// where `a` is the op's checked argument struct. dtypes narrows the contract's (0: the contract's).
#define LCSS_BACKEND_OP(Device, Op, DTypes)                                                                 \
  static void lcss_run_##Device##_##Op(const ::lcss::Op& a);                                                \
  static const bool lcss_registered_##Device##_##Op = ::lcss::register_op(                                 \
      ::lcss::DeviceKind::Device, ::lcss::OpId::Op, (DTypes) ? uint32_t(DTypes) : ::lcss::Op::kDTypes,       \
      [](const void* p) { lcss_run_##Device##_##Op(*static_cast<const ::lcss::Op*>(p)); });                 \
  static void lcss_run_##Device##_##Op(const ::lcss::Op& a)

bool register_op(DeviceKind kind, OpId op, uint32_t dtypes, Backend::Run run);

}  // namespace lcss
