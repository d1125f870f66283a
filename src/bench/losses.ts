// SPDX-License-Identifier: MIT
// Every score-matching objective on the same MLP score net (W5 of docs/PERFORMANCE.md:
// Linear(D,256)-SiLU-Linear(256,256)-SiLU-Linear(256,D), batch 128): time per training step
// (forward, loss, backward into the parameters' .grad) and the step's peak memory from the native
// allocator, for D in {2, 16, 64, 256, 784, 3072}, with the ratio to DSM. The exact Jacobian-trace
// objective grows linearly in D; where its projected step exceeds maxStepSeconds it is not run in
// full: its per-dimension cost is measured from partial traces (traceDims) and extrapolated.
// `npx lcss bench losses` calls runLossBench (and so does the dev script bench/losses.ts).
import { writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg } from 'node:os';
import * as lc from '../index.js';
import type { Tensor } from '../index.js';
import { Linear } from '../nn/linear.js';
import { Bench } from 'tinybench';
import { measure } from './timing.js';

export interface LossBenchObjective {
  /** Row label. */
  label: string;
  /** Registry name (makeLoss). */
  name: lc.losses.LossName;
  options: Record<string, unknown>;
}

export interface LossBenchOptions {
  dims?: number[];
  batch?: number;
  hidden?: number;
  objectives?: LossBenchObjective[];
  /** Interleaved rounds per run (default 7; the exact objective: 3 repetitions when a step exceeds a second). */
  reps?: number;
  /** Independent runs of the interleaved rounds; each cell is the median over the runs (default 1; use an odd number). */
  runs?: number;
  /** Steps projected to take longer than this are extrapolated, not run (default 60). */
  maxStepSeconds?: number;
  /**
   * Bytes a step may use (default: what the OS says is available, capped by a cgroup limit). A step
   * whose projected memory exceeds 80 % of it is extrapolated, not run, with a note: the exact
   * trace at D = 3072 wanted ~24 GB and was killed by the OOM killer on a 24 GB machine.
   */
  memoryBudget?: number;
  /** Write the result here as JSON. */
  jsonPath?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface LossBenchRow {
  D: number;
  objective: string;
  /** median ms per training step (the table's figure) */
  ms: number;
  /** a fast step: the 10th percentile of the steps (the minimum of 3 for a slow objective) */
  msMin: number;
  /** ms / DSM's ms at the same D, medians (the table's ratio) */
  ratioToDsm: number;
  /** msMin / DSM's msMin */
  ratioToDsmFast: number;
  /** the allocator's high-water mark during one step, above what was live before it (bytes) */
  stepPeakBytes: number;
  /** true: not run in full; projected from the measured per-dimension cost */
  extrapolated: boolean;
  note?: string;
}

export interface LossBenchResult {
  machine: { cpu: string; threads: number; isa: string; node: string; date: string; loadavg: number[] };
  batch: number;
  rows: LossBenchRow[];
  table: string;
}

export const DEFAULT_OBJECTIVES: LossBenchObjective[] = [
  { label: 'dsm', name: 'dsm', options: { sigma: 0.1 } },
  { label: 'lcss (control, K=1)', name: 'lcss', options: { sigma: 0.1, estimator: 'control', draws: 1 } },
  { label: 'lcss (control, K=1, composite)', name: 'lcss', options: { sigma: 0.1, estimator: 'control', draws: 1, fused: false } },
  { label: 'lcss (antithetic, K=1)', name: 'lcss', options: { sigma: 0.1, estimator: 'antithetic', draws: 1 } },
  { label: 'ssm', name: 'ssm', options: {} },
  { label: 'ssm-vr', name: 'ssm-vr', options: {} },
  { label: 'fdssm', name: 'fdssm', options: {} },
  { label: 'exact', name: 'exact', options: {} },
];

/** The W5 score net, built from src/nn/linear.ts. */
class MlpScore {
  readonly layers: Linear[];
  constructor(D: number, hidden: number, gen: lc.Generator) {
    this.layers = [new Linear(D, hidden, { generator: gen }), new Linear(hidden, hidden, { generator: gen }), new Linear(hidden, D, { generator: gen })];
  }
  forward(x: Tensor): Tensor {
    const [a, b, c] = this.layers;
    return c.forward(lc.silu(b.forward(lc.silu(a.forward(x)))));
  }
  zeroGrad(): void {
    for (const l of this.layers) l.zeroGrad();
  }
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

function stepFn(net: MlpScore, loss: lc.losses.ScoreLoss, x: Tensor): () => void {
  return () => {
    net.zeroGrad();
    lc.tidy(() => loss(net, x).backward());
  };
}

/** Peak bytes of a step above the bytes live before it (the least of `reps` steps: a step's own need, not a stray workspace). */
function stepPeak(step: () => void, reps = 3): number {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const before = lc.memory().cpu.allocatedBytes;
    lc.resetPeakMemory();
    step();
    best = Math.min(best, lc.memory().cpu.peakAllocatedBytes - before);
  }
  return best;
}

const now = () => performance.now();

/** Bytes this process may still take: the OS's available memory, capped by a cgroup limit. */
export function availableMemory(): number {
  const free = freemem();  // MemAvailable on Linux
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const capped = limit && limit > 0 && limit < 2 ** 60 ? limit - process.memoryUsage().rss : Infinity;
  return Math.max(0, Math.min(free, capped));
}

// A step's memory is projected from the native allocator's peak; the JS objects of its graph and
// the allocator's rounding come on top (measured: RSS ~1.3x the native peak for the exact trace).
const MEMORY_HEADROOM = 1.5;

/**
 * Per-step times of several step functions measured in interleaved rounds: each round is one
 * tinybench run over every function (`inner` steps each, every step timed on its own), so a burst
 * of load from other processes lands on all objectives alike instead of on whichever ran then.
 * The figures are the median and the 10th percentile of the individual steps over all rounds:
 * on a shared 2-core machine a step now and then waits milliseconds for a descheduled pool
 * thread, which a mean (or a per-round total) would count and a median does not.
 */
async function interleaved(fns: (() => void)[], rounds: number, minRepMs = 40): Promise<{ index: number; median: number; p10: number }[]> {
  if (!fns.length) return [];
  const inner = fns.map((f) => {
    for (let i = 0; i < 3; i++) f();  // warm-up: caches, allocator pool, lazily built kernels
    const t0 = now();
    f();
    return Math.max(1, Math.ceil(minRepMs / Math.max(now() - t0, 1e-3)));
  });
  const samples: number[][] = fns.map(() => []);
  const bench = new Bench({ iterations: 1, time: 0, warmup: false, throws: true });
  fns.forEach((f, i) => bench.add(String(i), () => {
    for (let k = 0; k < inner[i]!; k++) {
      const t0 = now();
      f();
      samples[i]!.push(now() - t0);
    }
  }));
  for (let r = 0; r < rounds; r++) await bench.run();
  return samples.map((v, index) => {
    const sorted = [...v].sort((a, b) => a - b);
    return { index, median: sorted[Math.floor(sorted.length / 2)], p10: sorted[Math.floor(sorted.length / 10)] };
  });
}

export async function runLossBench(o: LossBenchOptions = {}): Promise<LossBenchResult> {
  const dims = o.dims ?? [2, 16, 64, 256, 784, 3072];
  const B = o.batch ?? 128, H = o.hidden ?? 256;
  const objectives = o.objectives ?? DEFAULT_OBJECTIVES;
  const maxStep = (o.maxStepSeconds ?? 60) * 1e3;
  const log = o.log ?? (() => {});
  const budget = () => 0.8 * (o.memoryBudget ?? availableMemory());
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const rows: LossBenchRow[] = [];
  for (const D of dims) {
    const net = lc.tidy(() => new MlpScore(D, H, new lc.Generator(1)));
    const x = lc.keep(lc.randn([B, D], { generator: new lc.Generator(2) }));
    const perD: LossBenchRow[] = [];
    const gen = new lc.Generator(3);
    const run = (obj: LossBenchObjective, extra: Record<string, unknown> = {}) =>
      stepFn(net, lc.losses.makeLoss(obj.name, { ...obj.options, ...extra, generator: gen } as never), x);
    // the cheap objectives first, interleaved; the exact trace after them, on its own: its graphs of
    // D VJPs (hundreds of MB, many JS objects) would hand garbage collections and evicted caches to
    // whichever objective ran next
    const fast = objectives.filter((q) => q.name !== 'exact').map((obj) => ({ obj, f: run(obj) }));
    // several independent interleaved runs, each cell the median over the runs: a run that a burst
    // of outside load slowed down (or a lucky one) moves no cell by itself
    const perRun = fast.map(() => ({ median: [] as number[], p10: [] as number[] }));
    for (let k = 0; k < (o.runs ?? 1); k++)
      for (const r of await interleaved(fast.map((c) => c.f), o.reps ?? 7)) {
        perRun[r.index].median.push(r.median);
        perRun[r.index].p10.push(r.p10);
      }
    const mid = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    fast.forEach(({ obj, f }, i) => {
      const ms = mid(perRun[i].median), p10 = mid(perRun[i].p10);
      perD.push({ D, objective: obj.label, ms, msMin: p10, ratioToDsm: NaN, ratioToDsmFast: NaN, stepPeakBytes: stepPeak(f), extrapolated: false });
      log(`D=${D} ${obj.label}: ${ms.toFixed(3)} ms median, ${p10.toFixed(3)} p10 (runs: ${perRun[i].median.map((v) => v.toFixed(2)).join(', ')})`);
    });
    for (const obj of objectives.filter((q) => q.name === 'exact')) {
      // cost(k) = a + k * perDim for a partial trace over k coordinates: probe two k, project D
      const k1 = Math.min(D, 4), k2 = Math.min(D, 16);
      const partial = (k: number) => run(obj, { traceDims: [...Array(k).keys()] });
      const t = (k: number) => {
        const f = partial(k);
        f();  // warm-up
        let m = Infinity;
        for (let r = 0; r < 3; r++) {
          const t0 = now();
          f();
          m = Math.min(m, now() - t0);
        }
        return m;
      };
      const a1 = t(k1), a2 = t(k2);
      const perDim = k2 > k1 ? Math.max(0, (a2 - a1) / (k2 - k1)) : a2 / k2;
      const projected = a2 + (D - k2) * perDim;
      // memory grows linearly in the traced dimensions too: project it the same way, before running
      const p1 = stepPeak(partial(k1), 1), p2 = stepPeak(partial(k2), 1);
      const peak = Math.max(p2, p2 + (D - k2) * (k2 > k1 ? (p2 - p1) / (k2 - k1) : p2 / k2));
      const need = peak * MEMORY_HEADROOM, room = budget();
      const tooSlow = projected > maxStep, tooBig = need > room;
      if (tooSlow || tooBig) {
        const why = [tooSlow ? `> ${maxStep / 1e3} s` : '', tooBig ? `needs ~${gib(need)}, ${gib(room)} may be used` : ''].filter(Boolean).join('; ');
        perD.push({ D, objective: obj.label, ms: projected, msMin: projected, ratioToDsm: NaN, ratioToDsmFast: NaN, stepPeakBytes: peak, extrapolated: true,
          note: `not run (${why}); projected from partial traces: ${perDim.toFixed(1)} ms per trace dimension (${k1} and ${k2} dims took ${a1.toFixed(0)} and ${a2.toFixed(0)} ms, ${gib(p1)} and ${gib(p2)} peak)` });
        log(`D=${D} ${obj.label}: ${(projected / 1e3).toFixed(1)} s and ~${gib(need)} projected: not run (${why})`);
        continue;
      }
      const f = run(obj);
      const t0 = now();
      f();
      const slow = now() - t0 > 1000;
      const stat = await measure(f, { reps: slow ? 3 : o.reps ?? 7, warmup: 1, minRepMs: slow ? 0 : 100 });
      perD.push({ D, objective: obj.label, ms: stat.median, msMin: stat.min, ratioToDsm: NaN, ratioToDsmFast: NaN, stepPeakBytes: stepPeak(f, 1), extrapolated: false });
      log(`D=${D} ${obj.label}: ${stat.median.toFixed(1)} ms median, ${stat.min.toFixed(1)} min`);
    }
    perD.sort((a, b) => objectives.findIndex((q) => q.label === a.objective) - objectives.findIndex((q) => q.label === b.objective));
    const dsmRow = perD.find((r) => r.objective === 'dsm');
    for (const r of perD) {
      r.ratioToDsm = dsmRow ? r.ms / dsmRow.ms : NaN;
      r.ratioToDsmFast = dsmRow ? r.msMin / dsmRow.msMin : NaN;
    }
    rows.push(...perD);
    x.dispose();
    net.dispose();
  }
  const result: LossBenchResult = {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', threads: lc.getNumThreads(), isa: lc.cpuIsa(), node: process.version, date: new Date().toISOString(), loadavg: loadavg() },
    batch: B,
    rows,
    table: formatLossTable(rows, dims),
  };
  if (o.jsonPath) writeFileSync(o.jsonPath, JSON.stringify(result, null, 2));
  return result;
}

/** One row per objective, one column per D: "ms (ratio to DSM)"; then peak memory. */
export function formatLossTable(rows: LossBenchRow[], dims: number[]): string {
  const objs = [...new Set(rows.map((r) => r.objective))];
  const cell = (o: string, D: number, f: (r: LossBenchRow) => string) => {
    const r = rows.find((q) => q.objective === o && q.D === D);
    return r ? f(r) : '-';
  };
  const time = (r: LossBenchRow) => {
    const ms = r.ms >= 1000 ? `${(r.ms / 1e3).toFixed(1)} s` : `${r.ms.toFixed(r.ms < 10 ? 2 : 1)} ms`;
    return `${r.extrapolated ? '~' : ''}${ms} (${Number.isFinite(r.ratioToDsm) ? r.ratioToDsm.toFixed(r.ratioToDsm < 10 ? 2 : 0) : '?'}x)`;
  };
  const mem = (r: LossBenchRow) => `${r.extrapolated ? '~' : ''}${(r.stepPeakBytes / 2 ** 20).toFixed(r.stepPeakBytes < 2 ** 24 ? 2 : 0)}`;
  const head = `| step time, median (x DSM) | ${dims.map((D) => `D=${D}`).join(' | ')} |`;
  const sep = `|---|${dims.map(() => '---').join('|')}|`;
  const t = objs.map((o) => `| ${o} | ${dims.map((D) => cell(o, D, time)).join(' | ')} |`);
  const mhead = `| step peak MiB | ${dims.map((D) => `D=${D}`).join(' | ')} |`;
  const m = objs.map((o) => `| ${o} | ${dims.map((D) => cell(o, D, mem)).join(' | ')} |`);
  const notes = rows.filter((r) => r.note).map((r) => `- D=${r.D} ${r.objective}: ${r.note}`);
  return [head, sep, ...t, '', mhead, sep, ...m, ...(notes.length ? ['', ...notes] : [])].join('\n');
}
