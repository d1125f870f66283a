// SPDX-License-Identifier: MIT
// NCCL as the device transport of data-parallel training (native/dist/comm.h), loaded at run time
// with dlopen like the optional cuBLAS: the addon never links it and builds without its headers, so
// the handful of entry points used are declared here with NCCL's documented ABI (ncclUniqueId is
// 128 bytes passed by value; the enum values are NCCL's). LCSS_NCCL_LIB picks the file; LCSS_NCCL=0
// turns it off. Without it, CUDA tensors are all-reduced through the host staging copy and MPI.
//
// One communicator per process, on the device of the rank's tensors, joined on first use with the
// id rank 0 makes (broadcast over MPI by the communication thread). A job runs on a communication
// stream of its own that first waits for an event recorded on the compute stream when the job
// starts, so the gradients it reads are complete while the kernels backward queues after them
// overlap it: its pieces are packed into device staging memory, reduced in place (ncclAvg for the
// mean), and unpacked; an event marks the end, polled by the communication thread against the job's
// deadline. The compute stream touches those gradients again only in the optimiser step, which the
// host starts after that poll saw the end. As on the host path, the staging memory of a job that
// times out is left to NCCL (ncclCommAbort ends it).
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "../dist/comm.h"
#include "common.cuh"

namespace lcss {
namespace cu {

namespace {

typedef int NcclResult;  // ncclSuccess = 0
typedef void* NcclComm;
struct NcclUniqueId {
  char internal[128];
};
enum NcclType : int { kNcclInt8 = 0, kNcclInt32 = 2, kNcclFloat32 = 7, kNcclFloat64 = 8 };
enum NcclOp : int { kNcclSum = 0, kNcclAvg = 4 };  // ncclAvg: NCCL 2.10 and later

struct Nccl {
  std::string why;  // empty when loaded
  NcclResult (*get_unique_id)(NcclUniqueId*) = nullptr;
  NcclResult (*comm_init_rank)(NcclComm*, int, NcclUniqueId, int) = nullptr;
  NcclResult (*all_reduce)(const void*, void*, size_t, int, int, NcclComm, cudaStream_t) = nullptr;
  NcclResult (*broadcast)(const void*, void*, size_t, int, int, NcclComm, cudaStream_t) = nullptr;
  NcclResult (*comm_abort)(NcclComm) = nullptr;
  NcclResult (*async_error)(NcclComm, NcclResult*) = nullptr;
  const char* (*error_string)(NcclResult) = nullptr;
  std::string path;

  // per process: the communicator, its device, staging memory and the end-of-job event
  NcclComm comm = nullptr;
  int device = -1;
  void* stage = nullptr;
  size_t stage_bytes = 0;
  cudaEvent_t ready = nullptr, done = nullptr;
  cudaStream_t comm_stream = nullptr;
};

Nccl& lib() {
  static Nccl L;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* names[] = {std::getenv("LCSS_NCCL_LIB"), "libnccl.so.2", "libnccl.so"};
    void* h = nullptr;
    for (const char* n : names)
      if (n && *n && (h = dlopen(n, RTLD_NOW | RTLD_LOCAL))) {
        L.path = n;
        break;
      }
    if (!h) {
      const char* e = dlerror();
      L.why = strfmt("no libnccl could be loaded (%s)", e ? e : "not found");
      return;
    }
    const auto sym = [&](const char* n) { return dlsym(h, n); };
    L.get_unique_id = reinterpret_cast<decltype(L.get_unique_id)>(sym("ncclGetUniqueId"));
    L.comm_init_rank = reinterpret_cast<decltype(L.comm_init_rank)>(sym("ncclCommInitRank"));
    L.all_reduce = reinterpret_cast<decltype(L.all_reduce)>(sym("ncclAllReduce"));
    L.broadcast = reinterpret_cast<decltype(L.broadcast)>(sym("ncclBroadcast"));
    L.comm_abort = reinterpret_cast<decltype(L.comm_abort)>(sym("ncclCommAbort"));
    L.async_error = reinterpret_cast<decltype(L.async_error)>(sym("ncclCommGetAsyncError"));
    L.error_string = reinterpret_cast<decltype(L.error_string)>(sym("ncclGetErrorString"));
    if (!L.get_unique_id || !L.comm_init_rank || !L.all_reduce || !L.broadcast || !L.comm_abort || !L.async_error ||
        !L.error_string)
      L.why = strfmt("%s lacks the expected NCCL entry points", L.path.c_str());
  });
  return L;
}

void check(const char* what, NcclResult r) {
  if (r != 0) throw Error(strfmt("%s: NCCL error %d: %s", what, r, lib().error_string(r)), ErrorKind::Device);
}

std::string unavailable() { return lib().why; }

void make_id(void* id) {
  NcclUniqueId u;
  check("ncclGetUniqueId", lib().get_unique_id(&u));
  std::memcpy(id, &u, sizeof u);
}

void join(int device, int rank, int size, const void* id) {
  Nccl& L = lib();
  set_device(device);
  NcclUniqueId u;
  std::memcpy(&u, id, sizeof u);
  check("ncclCommInitRank", L.comm_init_rank(&L.comm, size, u, rank));
  L.device = device;
  LCSS_CU("cudaEventCreate", cudaEventCreate(&L.ready));
  LCSS_CU("cudaEventCreate", cudaEventCreate(&L.done));
  LCSS_CU("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&L.comm_stream, cudaStreamNonBlocking));
}

int nccl_type(DType t) {
  switch (t) {
    case DType::F32: return kNcclFloat32;
    case DType::F64: return kNcclFloat64;
    case DType::I32: return kNcclInt32;
    default: return kNcclInt8;
  }
}

void start(const dist::Job& job, int device) {
  Nccl& L = lib();
  LCSS_CU("cudaEventRecord", cudaEventRecord(L.ready, stream(device)));  // the gradients' kernels
  cudaStream_t s = L.comm_stream;
  LCSS_CU("cudaStreamWaitEvent", cudaStreamWaitEvent(s, L.ready, 0));
  size_t total = 0;
  for (auto& p : job.pieces) total += p.bytes;
  if (total > L.stage_bytes) {
    if (L.stage) cuda_free(device, L.stage, L.stage_bytes);
    L.stage = nullptr;
    L.stage_bytes = 0;
    L.stage = cuda_alloc(device, total);
    L.stage_bytes = total;
  }
  char* st = static_cast<char*>(L.stage);
  size_t at = 0;
  for (auto& p : job.pieces) {
    LCSS_CU("cudaMemcpyAsync", cudaMemcpyAsync(st + at, p.data, p.bytes, cudaMemcpyDeviceToDevice, s));
    at += p.bytes;
  }
  if (job.kind == dist::JobKind::AllReduce) {
    const size_t esz = dtype_size(job.dtype);
    check("ncclAllReduce", L.all_reduce(st, st, total / esz, nccl_type(job.dtype), job.average ? kNcclAvg : kNcclSum, L.comm, s));
  } else {
    check("ncclBroadcast", L.broadcast(st, st, total, kNcclInt8, job.root, L.comm, s));
  }
  at = 0;
  for (auto& p : job.pieces) {
    LCSS_CU("cudaMemcpyAsync", cudaMemcpyAsync(p.data, st + at, p.bytes, cudaMemcpyDeviceToDevice, s));
    at += p.bytes;
  }
  LCSS_CU("cudaEventRecord", cudaEventRecord(L.done, s));
}

bool finished(int device) {
  Nccl& L = lib();
  set_device(device);
  const cudaError_t e = cudaEventQuery(L.done);
  if (e == cudaSuccess) return true;
  if (e != cudaErrorNotReady) LCSS_CU("cudaEventQuery", e);
  NcclResult async = 0;
  check("ncclCommGetAsyncError", L.async_error(L.comm, &async));
  check("NCCL (asynchronous)", async);
  return false;
}

void abort_all() {
  Nccl& L = lib();
  if (L.comm) L.comm_abort(L.comm);
  L.comm = nullptr;
  L.stage = nullptr;  // still the aborted collective's: never reused, never freed under it
  L.stage_bytes = 0;
}

const dist::DeviceTransport kNccl{unavailable, sizeof(NcclUniqueId), make_id, join, start, finished, abort_all, "nccl"};
[[maybe_unused]] const bool registered = (dist::register_device_transport(&kNccl), true);

}  // namespace

}  // namespace cu
}  // namespace lcss
