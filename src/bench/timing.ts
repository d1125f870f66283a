// SPDX-License-Identifier: MIT
// Timing with the same method as the PyTorch peer (bench/peer.ts runs it), so ratios are like for
// like: untimed warm-up calls, then R timed repetitions of K back-to-back calls each, K chosen so
// one repetition lasts >= minRepMs; per-call median/min/max. Plain loops, no benchmark package:
// `lcss bench` runs in an installed package, where only the runtime dependencies exist.

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

/** Median of sorted values (the mean of the middle two for an even count). */
function median(sorted: number[]): number {
  const h = sorted.length >> 1;
  return sorted.length % 2 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

export async function measure(fn: () => void, o: MeasureOptions = {}): Promise<Stat> {
  const reps = o.reps ?? 7, warmup = Math.max(1, o.warmup ?? 3), minRep = o.minRepMs ?? 100;
  let est = Infinity;
  for (let i = 0; i < warmup; i++) {
    const t0 = now();
    fn();
    est = Math.min(est, now() - t0);  // calibrate on the fastest warm-up call
  }
  const inner = est < minRep ? Math.max(1, Math.ceil(minRep / Math.max(est, 1e-4))) : 1;
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < inner; i++) fn();
    times.push(now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { median: median(sorted) / inner, min: sorted[0] / inner, max: sorted[sorted.length - 1] / inner, reps, inner };
}

export const gflops = (flop: number, ms: number) => flop / (ms * 1e-3) / 1e9;
