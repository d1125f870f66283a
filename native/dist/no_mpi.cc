// SPDX-License-Identifier: MIT
// comm.h for builds without an MPI library: every entry point says what to install.
#include <cstdlib>

#include "../core/error.h"
#include "comm.h"

namespace lcss {
namespace dist {

namespace {
constexpr const char* kNoMpi =
    "lcss was built without MPI: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; "
    "or load your cluster's MPI module) and run `npm rebuild lcss`";
}

void register_device_transport(const DeviceTransport*) {}  // without MPI there is no job to use it

BuildInfo build_info() {
  BuildInfo b;
  b.compiled_by = kNoMpi;
  b.device = "none (no MPI)";
  return b;
}

WorldInfo init(double) { throw Error(kNoMpi, ErrorKind::Device); }
bool initialized() { return false; }
void set_timeout(double) {}
void submit(Job job) {
  for (auto& p : job.pieces)
    if (p.release) p.release();
  if (job.done) job.done(false, kNoMpi);
}
void abort_job(int code) { std::_Exit(code < 0 ? 1 : code); }
void finalize() {}

}  // namespace dist
}  // namespace lcss
