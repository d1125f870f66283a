// SPDX-License-Identifier: MIT
// The fused Stein kernels alone (steinPerturb, steinLoss forward and backward) against DRAM
// bandwidth: each kernel must read and write a known number of bytes (the noise is regenerated,
// never loaded), so bytes / time says how close it runs to the memory limit. Sizes are chosen well
// above the L3 cache so the numbers are DRAM numbers. The noise regeneration alone is timed too
// (randn of the same count), which is the compute floor of every kernel here.
// `npx lcss bench stein` calls runSteinKernelBench (and so does the dev script bench/losses-stein.ts).
import * as lc from '../index.js';
import { measure, type Stat } from './timing.js';

export interface SteinKernelRow {
  kernel: string;
  dtype: string;
  B: number;
  D: number;
  K: number;
  estimator: string;
  /** median ms per call */
  ms: number;
  /** fastest repetition's ms per call: what the kernel does when no other process takes the cores */
  msMin: number;
  /** bytes the kernel must read + write (no noise traffic: it is regenerated) */
  bytes: number;
  /** bytes / msMin */
  gbPerS: number;
  /** noise values generated per second (G/s), from msMin */
  gNoisePerS: number;
}

export interface SteinKernelOptions {
  B?: number;
  D?: number;
  draws?: number[];
  dtypes?: ('float32' | 'float64')[];
  reps?: number;
}

export async function runSteinKernelBench(o: SteinKernelOptions = {}): Promise<SteinKernelRow[]> {
  const B = o.B ?? 4096, D = o.D ?? 3072, rows: SteinKernelRow[] = [];
  for (const dtype of o.dtypes ?? ['float32']) {
    const el = dtype === 'float32' ? 4 : 8;
    for (const K of o.draws ?? [1, 4]) {
      const estimator = 'control' as const;
      const blocks = lc.steinBlocks(K, estimator);
      const key = { seed: 1, offset: 0 };
      const so = { key, draws: K, estimator };
      const x = lc.keep(lc.randn([B, D], { dtype, generator: new lc.Generator(1) }));
      const sigma = lc.keep(lc.full([B], 0.1, { dtype }));
      const s = lc.keep(lc.randn([blocks * B, D], { dtype, generator: new lc.Generator(2) }));
      const g = lc.keep(lc.full([B], 1, { dtype }));
      const noise = K * B * D;
      const add = (kernel: string, st: Stat, bytes: number) =>
        rows.push({ kernel, dtype, B, D, K, estimator, ms: st.median, msMin: st.min, bytes, gbPerS: bytes / (st.min * 1e-3) / 1e9, gNoisePerS: noise / (st.min * 1e-3) / 1e9 });
      // perturb: read x, write (1 + K) B D
      add('steinPerturb', (await measure(() => lc.tidy(() => { lc.steinPerturb(x, sigma, so); }), { reps: o.reps ?? 7 })),
        (1 + blocks) * B * D * el);
      // forward: read all (1 + K) B D scores
      add('steinLoss.forward', (await measure(() => lc.tidy(() => { lc.noGrad(() => lc.steinLoss(s, sigma, so)); }), { reps: o.reps ?? 7 })),
        blocks * B * D * el);
      // backward alone (control, norm at the centre): read s_0, write every row of the gradient;
      // the forward runs once, outside the timing, and its graph is kept for every repetition
      const sg = lc.keep(lc.detach(s));
      sg.requiresGrad = true;
      const l = lc.keep(lc.steinLoss(sg, sigma, so));
      add('steinLoss.backward', (await measure(() => lc.tidy(() => {
        lc.grad(l, [sg], { gradOutputs: g, retainGraph: true });
      }), { reps: o.reps ?? 7 })), (1 + blocks) * B * D * el);
      // the noise alone: what every kernel above has to regenerate (randn writes it once, too)
      add('randn (noise only)', (await measure(() => lc.tidy(() => { lc.randn([K * B, D], { key, dtype }); }), { reps: o.reps ?? 7 })),
        noise * el);
      lc.dispose([x, sigma, s, g, sg, l]);
    }
  }
  return rows;
}

export function formatSteinKernelTable(rows: SteinKernelRow[], bandwidthGBs = 50): string {
  const head = '| kernel | dtype | B x D | K | ms (median / min) | GB/s (min) | % of ~' + bandwidthGBs + ' GB/s | noise G values/s |';
  const sep = '|---|---|---|---|---|---|---|---|';
  const body = rows.map((r) => `| ${r.kernel} | ${r.dtype} | ${r.B} x ${r.D} | ${r.K} | ${r.ms.toFixed(1)} / ${r.msMin.toFixed(1)} | ${r.gbPerS.toFixed(1)} | ${(100 * r.gbPerS / bandwidthGBs).toFixed(0)}% | ${r.gNoisePerS.toFixed(2)} |`);
  return [head, sep, ...body].join('\n');
}
