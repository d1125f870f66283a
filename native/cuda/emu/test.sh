#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the CUDA suites (test/cuda) on the CPU emulator, without a GPU: builds the emulator addon
# into build-emu/ (never touching build/), then runs the suites with the threads of each block
# visited forward, reversed and shuffled (a missing barrier shows up as a failure in one of them),
# and the two-device checks on two emulated devices.
#   bash native/cuda/emu/test.sh [vitest filter args...]
set -euo pipefail
cd "$(dirname "$0")/../../.."
node node_modules/cmake-js/bin/cmake-js compile --out build-emu --parallel "${LCSS_BUILD_JOBS:-2}" \
  --CDLCSS_CUDA=OFF --CDLCSS_CUDA_EMU=ON --log-level warn
export LCSS_ADDON=$PWD/build-emu/Release/lcss.node
for order in forward reverse shuffle; do
  echo "== thread order: $order"
  LCSS_EMU_ORDER=$order npx vitest run --config test/vitest.config.ts test/cuda "$@"
done
echo "== two devices"
LCSS_EMU_DEVICES=2 npx vitest run --config test/vitest.config.ts test/cuda/runtime.test.ts "$@"
