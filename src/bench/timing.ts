// SPDX-License-Identifier: MIT
// Timing with the same method as the PyTorch peer (bench/peer.ts runs it), so ratios are like for
// like: untimed warm-up calls, then R timed repetitions (tinybench samples) of K back-to-back calls
// each, K chosen so one repetition lasts >= minRepMs; per-call median/min/max. tinybench is a
// runtime dependency (no dependencies of its own) because `lcss bench` runs in installed packages.
import { Bench } from 'tinybench';

export interface Stat {
  median: number; // ms per call
  min: number;
  max: number;
  reps: number;
  inner: number;
}

export interface MeasureOptions {
  reps?: number;
  warmup?: number;
  minRepMs?: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

export async function measure(fn: () => void, o: MeasureOptions = {}): Promise<Stat> {
  const reps = o.reps ?? 7, warmup = Math.max(1, o.warmup ?? 3), minRep = o.minRepMs ?? 100;
  let est = Infinity;
  for (let i = 0; i < warmup; i++) {
    const t0 = now();
    fn();
    est = Math.min(est, now() - t0);  // calibrate on the fastest warm-up call
  }
  const inner = est < minRep ? Math.max(1, Math.ceil(minRep / Math.max(est, 1e-4))) : 1;
  const bench = new Bench({ iterations: reps, time: 0, warmup: false, throws: true, retainSamples: true });
  bench.add('w', () => {
    for (let i = 0; i < inner; i++) fn();
  });
  await bench.run();
  const lat = bench.tasks[0]!.result as unknown as { latency: { p50: number; min: number; max: number } };
  return { median: lat.latency.p50 / inner, min: lat.latency.min / inner, max: lat.latency.max / inner, reps, inner };
}

export const gflops = (flop: number, ms: number) => flop / (ms * 1e-3) / 1e9;
