// SPDX-License-Identifier: MIT
// The fused Stein kernels against DRAM bandwidth (src/bench/stein.ts), from the command line:
//   npx tsc -p tsconfig.json && node dist/bench/losses-stein.js [--json out.json] [--B 4096] [--D 3072]
// (`npx lcss bench stein` runs the same benchmark.)
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as lc from '../src/index.js';
import { formatSteinKernelTable, runSteinKernelBench } from '../src/bench/stein.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runSteinKernelBench({ B: Number(arg('B') ?? 4096), D: Number(arg('D') ?? 3072) });
  console.log(`threads ${lc.getNumThreads()}, isa ${lc.cpuIsa()}`);
  console.log(formatSteinKernelTable(rows));
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify(rows, null, 2));
}
