// SPDX-License-Identifier: MIT
#include "backend.h"

namespace lcss {

namespace {
// Filled during static initialisation by the backends linked into this build. Function-local so
// that a registration from any translation unit finds the table constructed.
Backend* tables() {
  static Backend t[2];
  return t;
}
}  // namespace

Backend& backend_slot(DeviceKind kind) {
  Backend& b = tables()[int(kind)];
  b.kind = kind;
  return b;
}

const Backend* find_backend(DeviceKind kind) {
  const Backend& b = tables()[int(kind)];
  return b.alloc ? &b : nullptr;  // a backend exists once it has registered its memory functions
}

bool register_op(DeviceKind kind, OpId op, uint32_t dtypes, Backend::Run run) {
  Backend& b = backend_slot(kind);
  b.run[int(op)] = run;
  b.dtypes[int(op)] = dtypes;
  return true;
}

}  // namespace lcss
