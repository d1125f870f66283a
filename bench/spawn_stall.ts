// SPDX-License-Identifier: MIT
// The host's longest event-loop stall while a training runs: train() on the calling thread against
// lc.train.spawn() (a worker thread). perf_hooks' monitorEventLoopDelay samples the loop's delay
// every millisecond; its max is the longest time a request to a server on this thread would wait.
//
//   npm run build:ts && node dist/bench/spawn_stall.js [--preset checkerboard|mnist] [--steps N]
//   (or from the sources: npx tsx bench/spawn_stall.ts)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as lc from '../src/index.js';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const preset = arg('preset', 'checkerboard');
const steps = Number(arg('steps', preset === 'mnist' ? '20' : '300'));
const dir = mkdtempSync(join(tmpdir(), 'lcss-stall-'));

async function measure(name: string, run: (cfg: lc.train.TrainConfig) => Promise<unknown>) {
  const cfg = lc.train.resolveConfig(preset, undefined, { out: join(dir, name), steps, logEvery: 10, ckptEvery: 1_000_000 });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  await run(cfg);
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  // the histogram records delay on top of the 1 ms sampling interval
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  console.log(`${name.padEnd(14)} ${name.startsWith('idle') ? '' : `${steps} steps `}in ${seconds.toFixed(1)} s   event-loop delay: max ${ms(h.max)} ms, p99 ${ms(h.percentile(99))} ms, mean ${ms(h.mean)} ms`);
}

console.log(`${preset}, ${steps} steps, no evaluation; node ${process.version}`);
try {
  // the floor: the same thread doing nothing for 8 s, so OS scheduling on a loaded host shows
  await measure('idle (floor)', () => new Promise((r) => setTimeout(r, 8000)));
  await measure('main thread', async (cfg) => (await lc.train.train(cfg, { quiet: true, noEval: true })).dispose());
  await measure('spawned', (cfg) => lc.train.spawn(cfg, { noEval: true }).result);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
