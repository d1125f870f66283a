// SPDX-License-Identifier: MIT
// Collective communication between the processes of one data-parallel job (MPI for host buffers).
//
// One communication thread per process owns the transport: it initialises MPI, runs every
// collective, and finalises, so MPI needs only MPI_THREAD_FUNNELED and the JS thread never blocks
// inside MPI. The JS thread submits jobs (an all-reduce of a bucket of gradients, a broadcast, a
// barrier) and learns of their completion through a callback that the binding turns into a settled
// Promise; meanwhile it goes on computing (the rest of backward), which is how communication
// overlaps compute.
//
// No job can hang the process: every collective runs non-blocking and is polled against a
// deadline. While waiting, each process tells every other one which collective it has reached (a
// few bytes per peer), so a collective that times out names the ranks that never reached it: the
// ones that died or hung. Transport errors return codes (MPI_ERRORS_RETURN) instead of aborting.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../core/dtype.h"

namespace lcss {

namespace dist {

// What this build can do, for the error that says what to install.
struct BuildInfo {
  std::string device;       // the device transport: "nccl (path)", or why device memory is staged on the host
  bool mpi = false;         // compiled against an MPI library
  std::string library;      // its version string (MPI_Get_library_version), once initialised
  std::string compiled_by;  // "Open MPI 4.1.4", or why there is none
};
BuildInfo build_info();

struct WorldInfo {
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  std::string library;
};

// One contiguous piece of a job's data: a tensor's memory or a typed array. Whoever submits it
// keeps the memory alive and untouched until `release` runs (on the communication thread, once the
// job no longer reads or writes it, whether it succeeded or not): the binding counts the job on the
// buffer's pin, so an op that would touch the memory waits and a free hands it to the job.
struct Piece {
  void* data = nullptr;
  size_t bytes = 0;
  std::function<void()> release;
  // Device memory (a CUDA tensor without a device transport): how the staging copy is made, on the
  // communication thread; both wait for the device. Unset: host memory, copied with memcpy.
  std::function<void(void* host)> to_host;
  std::function<void(const void* host)> from_host;
  // the CUDA device holding `data`, or -1 for host memory
  int device = -1;
};

enum class JobKind { AllReduce, Broadcast, Barrier };

struct Job {
  JobKind kind = JobKind::Barrier;
  DType dtype = DType::F32;
  bool average = false;  // all-reduce: divide the sum by the world size
  int root = 0;          // broadcast
  std::vector<Piece> pieces;
  std::string what;      // names the job in errors ("allReduce of bucket 2 (1.5 MB)")
  // Called once on the communication thread: ok, or the message of what failed. Every piece has
  // been released before it runs.
  std::function<void(bool ok, const std::string& error)> done;
};

struct Job;

// A transport that keeps device memory on the device (NCCL, loaded at run time by the CUDA backend,
// native/cuda/nccl.cu): used for jobs whose pieces all live on one CUDA device when it is
// available; otherwise device pieces go through the host staging copy and MPI. Every function runs
// on the communication thread and may throw lcss::Error.
struct DeviceTransport {
  // "" when usable, else why not (library not found, turned off)
  std::string (*unavailable)();
  size_t id_bytes;                                    // the unique id rank 0 makes and MPI broadcasts
  void (*make_id)(void* id);
  void (*join)(int device, int rank, int size, const void* id);
  // Queues the job on the device's stream, after the work already queued there (so the gradients
  // are complete): pack into device staging, the collective, unpack.
  void (*start)(const Job& job, int device);
  bool (*finished)(int device);                      // polls what start queued; throws on failure
  void (*abort)();                                    // ends every communicator (after a timeout)
  const char* name;
};
// The CUDA backend registers its transport at load time (none in builds without CUDA).
void register_device_transport(const DeviceTransport* t);

// Starts the communication thread and the transport; blocks until both are up. timeout_s bounds
// every later collective. Throws lcss::Error (kind Device) when the transport cannot start.
WorldInfo init(double timeout_s);
bool initialized();
void set_timeout(double timeout_s);
// Queues a job (the JS thread). The job's done callback is always called, also when the
// communicator is shut down first.
void submit(Job job);
// Ends the job everywhere: MPI_Abort on the communication thread (which never blocks in a call
// that could keep it from noticing), or _exit after a grace period if that thread is gone.
[[noreturn]] void abort_job(int code);
// Finalises the transport after the queued jobs; the communication thread ends.
void finalize();

}  // namespace dist
}  // namespace lcss
