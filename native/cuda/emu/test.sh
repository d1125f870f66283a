#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the CUDA suites (test/cuda) on the CPU emulator, without a GPU: builds the emulator addon
# into build-emu/ (never touching build/), then runs the suites with the threads of each block
# visited forward, reversed and shuffled (a missing barrier shows up as a failure in one of them),
# the two-device checks on two emulated devices, and the products again through the cuBLAS path.
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
echo "== products through the cuBLAS path (native/cuda/emu/fake_cublas.c: BLAS semantics on the host)"
cc -O2 -shared -fPIC -o build-emu/fake_cublas.so native/cuda/emu/fake_cublas.c
LCSS_CUBLAS=1 LCSS_CUBLAS_LIB=$PWD/build-emu/fake_cublas.so LCSS_EMU_PROTECT=0 \
  npx vitest run --config test/vitest.config.ts test/cuda/op_table.test.ts test/cuda/kernels.test.ts test/cuda/models.test.ts "$@"
