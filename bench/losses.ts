// SPDX-License-Identifier: MIT
// Every score-matching objective on the W5 MLP (src/bench/losses.ts), from the command line:
//   npx tsc -p tsconfig.json && node dist/bench/losses.js [--dims 2,16,784] [--json out.json] [--reps 7] [--runs 3]
// (`npx lcss bench losses` runs the same benchmark.)
import { pathToFileURL } from 'node:url';
import { runLossBench } from '../src/bench/losses.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dims = arg('dims')?.split(',').map(Number);
  const res = await runLossBench({ dims, reps: arg('reps') ? Number(arg('reps')) : undefined, runs: arg('runs') ? Number(arg('runs')) : undefined,
    maxStepSeconds: arg('max-step-seconds') ? Number(arg('max-step-seconds')) : undefined,
    jsonPath: arg('json'), log: (l) => console.error(l) });
  console.log(`${res.machine.cpu}, ${res.machine.threads} threads, ${res.machine.isa}, node ${res.machine.node}, ${res.machine.date}, load ${res.machine.loadavg.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(res.table);
}
