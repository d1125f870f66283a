// SPDX-License-Identifier: MIT
// How long the host's event loop stalls while a large tensor is read back: dataSync() (the copy on
// the JS thread) against await data() (the copy on the libuv threadpool). A 1 ms setInterval ticker
// records the longest gap between its ticks over a window that holds one read; the idle window
// (no read) gives the floor the machine's load sets. The tensor is computed just before each read
// (add of two random tensors), as in a server that answers with a result.
//   node dist/bench/event_loop_stall.js [--sizes 8,64] (millions of float32 elements) [--reps 5] [--json]
// CUDA-resident tensors are measured too when a GPU is present (read = wait for the device + d2h).
import { pathToFileURL } from 'node:url';
import * as lc from '../src/index.js';
import { native } from '../src/native.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Longest gap between ticks of a 1 ms interval while `work` runs, and how long `work` took. */
async function stallDuring(work: () => Promise<unknown> | unknown): Promise<{ stallMs: number; readMs: number }> {
  let last = now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const t = now();
    maxGap = Math.max(maxGap, t - last);
    last = t;
  }, 1);
  await sleep(10);  // the ticker is running
  maxGap = 0;
  last = now();
  const t0 = now();
  await work();
  const readMs = now() - t0;
  await sleep(5);   // a tick after the read closes the gap it was in
  clearInterval(timer);
  maxGap = Math.max(maxGap, now() - last);
  return { stallMs: maxGap, readMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface StallResult {
  kind: 'stall';
  device: string;
  elements: number;
  mode: 'idle' | 'dataSync' | 'await data';
  stallMs: number;     // median over reps of the longest gap
  stallMaxMs: number;  // worst rep
  readMs: number;      // median time of the read itself
  reps: number;
}

export async function runStall(sizesM: number[], reps: number, onResult: (r: StallResult) => void): Promise<void> {
  const devices: string[] = ['cpu'];
  if (native.cudaBuilt() && native.cudaDeviceCount() > 0) devices.push('cuda:0');
  for (const device of devices) {
    for (const m of sizesM) {
      const n = Math.round(m * 1024 * 1024);
      const a = lc.randn([n], { device });
      const b = lc.randn([n], { device });
      const modes: Array<[StallResult['mode'], (x: lc.Tensor) => unknown]> = [
        ['idle', () => undefined],
        ['dataSync', (x) => x.dataSync()],
        ['await data', (x) => x.data()],
      ];
      for (const [mode, read] of modes) {
        const stalls: number[] = [];
        const reads: number[] = [];
        for (let r = 0; r < reps + 1; r++) {
          const x = lc.add(a, b);  // freshly computed (on CUDA: possibly still running when read)
          const s = await stallDuring(() => read(x));
          x.dispose();
          if (r > 0) { stalls.push(s.stallMs); reads.push(s.readMs); }  // the first one warms up
        }
        onResult({ kind: 'stall', device, elements: n, mode, stallMs: median(stalls), stallMaxMs: Math.max(...stalls),
          readMs: median(reads), reps });
      }
      lc.dispose([a, b]);
    }
  }
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '8,64').split(',').map(Number);
  const reps = Number(arg('reps', '5'));
  const json = process.argv.includes('--json');
  console.log(`# event-loop stall during a read-back (1 ms ticker; median of ${reps} reps, worst in brackets)`);
  console.log('device   elements     mode          longest stall ms        read ms');
  await runStall(sizes, reps, (r) => {
    if (json) console.log(JSON.stringify(r));
    else console.log(`${r.device.padEnd(8)} ${String(r.elements).padStart(9)}    ${r.mode.padEnd(12)} ${r.stallMs.toFixed(1).padStart(9)} (${r.stallMaxMs.toFixed(1)})`.padEnd(58) + r.readMs.toFixed(1).padStart(10));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
