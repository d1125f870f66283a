#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sanitizer runs (development and CI).
#   bash native/sanitize.sh asan [vitest args...]  the addon with ASan + UBSan (build-asan/), and the
#                                                   vitest suite on it (default: all of test/)
#   bash native/sanitize.sh tsan [filter]           the native harness (thread pool, allocator) with
#                                                   TSan (build-native-tsan/)
#   bash native/sanitize.sh harness [filter]        the native harness with ASan + UBSan
# Node is not instrumented, so the sanitizer runtime is preloaded into it (LD_PRELOAD). Any report
# fails the run: the runtimes halt on the first error, and the log is also searched for reports.
# LCSS_SANITIZE_JSON=FILE writes the vitest / harness counts as JSON for .ci/run's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-asan}
shift || true
jobs=${LCSS_BUILD_JOBS:-$(nproc)}
log() { printf '[sanitize] %s\n' "$*" >&2; }

harness() {  # $1: sanitizer list, $2: build dir, then the test filter
  local san=$1 dir=$2
  shift 2
  cmake -S native/test -B "$dir" -DLCSS_SANITIZE="$san" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" --parallel "$jobs" >&2
  local out
  out=$(mktemp -t lcss-harness-XXXXXX.log)
  set +e
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ASAN_OPTIONS="halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    LCSS_TEST_JSON="${LCSS_SANITIZE_JSON:-}" "$dir/lcss_native_tests" "$@" 2>&1 | tee "$out" >&2
  local status=${PIPESTATUS[0]}
  set -e
  if grep -qE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer|runtime error:" "$out"; then
    log "sanitizer reports in the harness run (see above)"
    status=1
  fi
  return "$status"
}

case "$mode" in
  tsan) harness thread build-native-tsan "$@" ;;
  harness) harness address,undefined build-native-asan "$@" ;;
  asan)
    start=$(date +%s)
    node node_modules/cmake-js/bin/cmake-js compile --out build-asan --parallel "$jobs" --CDLCSS_CUDA=OFF \
      --CDLCSS_SANITIZE=address,undefined --log-level warn >&2
    log "ASan + UBSan addon built in $(( $(date +%s) - start )) s"
    preload="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
    out=$(mktemp -t lcss-asan-XXXXXX.log)
    report=${LCSS_SANITIZE_JSON:-$(mktemp -t lcss-asan-XXXXXX.json)}
    set +e
    # detect_leaks=0: Node does not free everything at exit by design; leaks of our own are what the
    # memory tests measure. The child processes and Workers that tests start inherit all of this.
    LD_PRELOAD="$preload" ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:detect_odr_violation=0" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" LCSS_ADDON="$PWD/build-asan/Release/lcss.node" LCSS_SANITIZED=1 \
      LCSS_STRESS_RUNS=${LCSS_STRESS_RUNS:-2} \
      npx vitest run --config test/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$report" "${@:-test}" 2>&1 | tee "$out" >&2
    status=${PIPESTATUS[0]}
    set -e
    if grep -qE "ERROR: AddressSanitizer|runtime error:" "$out"; then
      log "sanitizer reports in the suite (see above):"
      grep -E "ERROR: AddressSanitizer|runtime error:" "$out" | sort | uniq -c >&2
      status=1
    fi
    log "suite under ASan + UBSan: exit $status, $(( $(date +%s) - start )) s in all"
    exit "$status"
    ;;
  *) echo "usage: bash native/sanitize.sh asan|tsan|harness [args]" >&2; exit 2 ;;
esac
