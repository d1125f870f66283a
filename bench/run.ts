// SPDX-License-Identifier: MIT
// `npm run bench`: W1-W5 on our engine (src/bench/kernels.ts); prints a table and,
// with --json, one JSON line per measurement in the peer script's format (bench/peer.ts reads it).
//   node dist/bench/run.js [--workloads W1,W2,W3,W5] [--reps 7] [--d-list 2,16,64,256,784]
//                          [--losses dsm,lcss] [--json]
import { pathToFileURL } from 'node:url';
import * as lc from '../src/index.js';
import { describe, runOurs } from '../src/bench/kernels.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

async function main() {
  const json = process.argv.includes('--json');
  const workloads = arg('workloads', 'W1,W2,W3,W4,W5').split(',');
  const reps = +arg('reps', '7');
  const dims = arg('d-list', '2,16,64,256,784').split(',').map(Number);
  const lossArg = arg('losses', '');
  const env = { kind: 'env', engine: 'lcss', isa: lc.cpuIsa(), threads: lc.getNumThreads(), node: process.version, date: new Date().toISOString() };
  if (json) console.log(JSON.stringify(env));
  else console.log(`# lcss bench: isa ${env.isa}, ${env.threads} threads, node ${env.node}, ${env.date}`);
  await runOurs({
    workloads, reps, dims, losses: lossArg ? lossArg.split(',') : undefined,
    onResult: (r) => console.log(json ? JSON.stringify(r) : describe(r)),
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
