#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The double-well SDE (non-affine: DSM has no kernel to train it) against the same network under VP,
# both trained with LCSS, over several seeds: the README's `lcss train --sde doublewell --data
# 8gaussians` command and its `--sde vp` twin, one evaluation at the end (2000 PC samples, EMA
# weights), on one thread each, the two SDEs of a seed side by side (PAR=1: one run at a time). Then
# the per-metric means, 95 % intervals and Welch verdicts (bench/doublewell_vs_vp.ts).
#   npm run build:ts && bash bench/doublewell_vs_vp.sh [SEEDS=0,1,2] [OUT=runs/doublewell_vs_vp]
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-0,1,2}
OUT=${2:-runs/doublewell_vs_vp}
mkdir -p "$OUT"
run() {  # sde seed
  LCSS_NUM_THREADS=1 node dist/src/cli/bin.js train --sde "$1" --data 8gaussians --seed "$2" --evalEvery 6000 \
    --restart --plain --out "$OUT/$1-s$2" > "$OUT/$1-s$2.log" 2>&1
}
for s in ${SEEDS//,/ }; do
  echo "[$(date -u +%T)] seed $s: doublewell and vp"
  if [ "${PAR:-2}" = 1 ]; then
    run doublewell "$s"; run vp "$s"
  else
    run doublewell "$s" & a=$!
    run vp "$s" & b=$!
    wait $a; wait $b
  fi
done
node dist/bench/doublewell_vs_vp.js "$OUT" "$SEEDS" | tee "$OUT"/results.md
