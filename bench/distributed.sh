#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Data-parallel benchmark on this machine (needs Open MPI and an addon built against it):
#  1. all-reduce: our path (lc.distributed.allReduce: staging copy, communication thread,
#     non-blocking MPI_Iallreduce polled) against Open MPI's own blocking MPI_Allreduce, same sizes;
#  2. the training step at 1 and 2 ranks with one thread each, same global batch (strong scaling),
#     and the 1-process step with 2 threads (the other way to use the two cores); the share of the
#     step a rank waits on communication.
# Prints JSON lines, then a markdown table. bash bench/distributed.sh [reps]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p build-bench
mpicc -O2 -o build-bench/allreduce_peer bench/mpi/allreduce_peer.c
out=$(mktemp -t lcss-bench-dist-XXXXXX.jsonl)
{
  mpirun -np 2 build-bench/allreduce_peer "$reps"
  LCSS_NUM_THREADS=1 mpirun -np 2 -x LCSS_NUM_THREADS node dist/bench/distributed.js --part allreduce --reps "$reps"
  for w in toy unet; do
    LCSS_NUM_THREADS=1 node dist/bench/distributed.js --part step --workload $w --reps "$reps"
    LCSS_NUM_THREADS=2 node dist/bench/distributed.js --part step --workload $w --reps "$reps"
    LCSS_NUM_THREADS=1 mpirun -np 2 -x LCSS_NUM_THREADS node dist/bench/distributed.js --part step --workload $w --reps "$reps"
  done
} | tee "$out"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
const ours = rows.filter((r) => r.part === "allreduce"), peer = rows.filter((r) => r.part === "allreduce-mpi");
console.log("\n| buffer | ours ms | MPI_Allreduce ms | ours / MPI | ours bus GB/s | MPI bus GB/s |\n|---|---|---|---|---|---|");
for (const o of ours) {
  const p = peer.find((x) => x.bytes === o.bytes);
  console.log(`| ${(o.bytes / 2 ** 20).toFixed(2)} MB | ${o.ms.toFixed(3)} | ${p.ms.toFixed(3)} | ${(o.ms / p.ms).toFixed(2)} | ${o.busGBs.toFixed(2)} | ${p.busGBs.toFixed(2)} |`);
}
console.log("\n| workload | 1 rank x 1 thread ms | 1 rank x 2 threads ms | 2 ranks x 1 thread ms | speedup 1->2 ranks | efficiency | wait share | buckets overlapped |\n|---|---|---|---|---|---|---|---|");
for (const w of ["toy", "unet"]) {
  const s = rows.filter((r) => r.part === "step" && r.workload === w);
  const one = s.find((r) => r.ranks === 1 && r.threads === 1), two = s.find((r) => r.ranks === 1 && r.threads === 2), dp = s.find((r) => r.ranks === 2);
  console.log(`| ${w} (batch ${dp.globalBatch}, ${(dp.gradMB).toFixed(2)} MB of gradients) | ${one.msPerStep.toFixed(1)} | ${two.msPerStep.toFixed(1)} | ${dp.msPerStep.toFixed(1)} | ${(one.msPerStep / dp.msPerStep).toFixed(2)}x | ${(50 * one.msPerStep / dp.msPerStep).toFixed(0)} % | ${(100 * dp.waitMsPerStep / dp.msPerStep).toFixed(1)} % | ${(100 * dp.overlapped).toFixed(0)} % |`);
}
' "$out"
