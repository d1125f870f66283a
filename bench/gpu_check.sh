#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The GPU check in one command on a GPU machine that has CUDA 13 and PyTorch but no Node tooling:
# the CUDA check suites of checks/cuda (the whole op case table and more) on the GPU against the CPU, then
# W1-W5 timed on our engine and on PyTorch on the same GPU, logs under $OUT, the table last.
#
#   here (a dev machine with nvcc):  bash bench/gpu_check.sh --stage
#       builds the CUDA addon into build-cuda/ (never touching build/), compiles the TypeScript to
#       dist/ and stages .device/ with the device staging script ($LCSS_STAGE_SCRIPT): Node (xz),
#       dist/, the CUDA addon as .device/build/Release/lcss.node and the PyTorch peer script
#       ($LCSS_PEERS/torch_peer.py). Neither script is part of this repository.
#   there (from the copied checkout, with .device carried):  bash bench/gpu_check.sh
#       e.g. device run: {command: "bash bench/gpu_check.sh", carry: [".device"], timeout_s: 540}
#   options after the mode are passed to dist/bench/gpu_check.js (--reps N, --workloads W1,W4, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "${1:-}" = "--stage" ]; then
  shift
  stage=${LCSS_STAGE_SCRIPT:-}
  peers=${LCSS_PEERS:-}
  [ -f "$stage" ] || { echo "stage: set LCSS_STAGE_SCRIPT to the device staging script (got '$stage')" >&2; exit 1; }
  [ -f "$peers/torch_peer.py" ] || { echo "stage: set LCSS_PEERS to the folder holding torch_peer.py (got '$peers')" >&2; exit 1; }
  nvcc=${CUDACXX:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
  echo "[stage] CUDA addon -> build-cuda/ ($nvcc)"
  LCSS_CUDA=1 node node_modules/cmake-js/bin/cmake-js compile --out build-cuda --parallel "${LCSS_BUILD_JOBS:-2}" \
    --CDLCSS_CUDA=ON --CDCMAKE_CUDA_COMPILER="$nvcc" --log-level warn
  echo "[stage] TypeScript -> dist/"
  npx tsc -p tsconfig.json
  bash "$stage"
  # stage.sh copies build/ (the CPU build others test against, with its objects): ship only the
  # CUDA addon instead, xz-compressed (21 MB of device code for four targets -> ~3 MB)
  rm -rf .device/build && mkdir -p .device/build/Release .device/peers
  xz -T2 -6 -c build-cuda/Release/lcss.node > .device/build/Release/lcss.node.xz
  # the one package dist/src needs at import time (src/io/png.ts loads pngjs eagerly); not all of
  # node_modules (stage.sh --node-modules would be 126 MB before compression)
  tar cJf .device/node_modules.tar.xz node_modules/pngjs
  cp "$peers/torch_peer.py" .device/peers/torch_peer.py
  du -sh .device
  exit 0
fi

OUT=${OUT:-$root/gpu-check-out}
mkdir -p "$OUT"
if [ -f .device/node.xz ]; then  # unpack the staged Node (stage.sh's header)
  xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node && export PATH=/tmp:$PATH
  cp -r .device/build .device/dist . 2>/dev/null || true
  [ -f .device/node_modules.tar.xz ] && tar xJf .device/node_modules.tar.xz
  [ -f build/Release/lcss.node.xz ] && xz -dc build/Release/lcss.node.xz > build/Release/lcss.node
fi
export LCSS_ADDON=${LCSS_ADDON:-$root/build/Release/lcss.node}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt" || true

set +e
node dist/bench/gpu_check.js --out "$OUT" "$@" 2>&1 | tee "$OUT/lcss.log"
lcss_status=${PIPESTATUS[0]}
peer=.device/peers/torch_peer.py
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && [ -f "$peer" ]; then
  echo "## PyTorch on the same GPU (CUDA events, TF32 off)"
  PYTHONUNBUFFERED=1 python3 bench/gpu_check_torch.py --peer "$peer" --out "$OUT/torch.jsonl" 2>&1 | tee "$OUT/torch.log"
else
  echo "## PyTorch side skipped (no torch with CUDA, or no staged $peer)"
fi
# the optional cuBLAS path (opt-in, unvalidated until this runs): PyTorch's libcublas, if any
cublas=$(find "$(python3 -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))' 2>/dev/null || echo /nonexistent)" \
  /usr/local/cuda/lib64 -name 'libcublas.so.1[0-9]*' 2>/dev/null | sort | head -1)
if [ -n "$cublas" ]; then
  echo "## products again through cuBLAS ($cublas)"
  LCSS_CUBLAS=1 LCSS_CUBLAS_LIB=$cublas node dist/bench/gpu_check.js --out "$OUT" --tag cublas --suites table,kernels \
    --workloads W1,W5 --dims 64,784 "$@" 2>&1 | tee -a "$OUT/lcss.log"
fi
set -e
echo "## table"
python3 bench/gpu_check_table.py "$OUT/lcss.jsonl" "$OUT/torch.jsonl" | tee "$OUT/table.txt"
[ -f "$OUT/lcss_cublas.jsonl" ] && { echo "## with cuBLAS"; python3 bench/gpu_check_table.py "$OUT/lcss_cublas.jsonl" "$OUT/torch.jsonl" | tee -a "$OUT/table.txt"; }
exit "$lcss_status"
