#!/bin/sh
# SPDX-License-Identifier: MIT
# Before/after of one kernel-harness case on this VM, whose speed drifts 10-25 % within minutes:
# the two kbench binaries run in turn (ROUNDS times, KBENCH_REPS repetitions each) and the best
# time of each case is printed, so both sides see the same windows.
#   cp build-kbench/kbench /tmp/kbench-before; (change, rebuild with bench/kernels/build.sh)
#   sh bench/kernels/ab.sh /tmp/kbench-before build-kbench/kbench 1 gn 32 64 784 32
set -e
[ $# -ge 4 ] || { echo "usage: ab.sh OLD_KBENCH NEW_KBENCH THREADS CASE [ARGS...]" >&2; exit 2; }
old=$1 new=$2 threads=$3
shift 3
rounds=${ROUNDS:-6}
r=0
while [ $r -lt "$rounds" ]; do
  for side in old new; do
    bin=$old; [ $side = new ] && bin=$new
    LCSS_NUM_THREADS=$threads KBENCH_REPS=${KBENCH_REPS:-15} "$bin" "$@" | grep -v '^#' | sed "s/^/$side|/"
  done
  r=$((r + 1))
done | awk -F'|' '{
  split($2, f, /  +/); name = f[1]; v = ""
  if (match($2, /\(min +[0-9.]+/)) { v = substr($2, RSTART, RLENGTH); sub(/\(min +/, "", v) }
  if (v == "") next
  key = name "|" $1
  if (!(key in best) || v + 0 < best[key]) best[key] = v + 0
} END { for (k in best) { split(k, p, "|"); printf "%-30s %-4s %.4f ms\n", p[1], p[2], best[k] } }' | sort
