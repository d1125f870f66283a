// SPDX-License-Identifier: MIT
// W1-W5 on our engine, one Result per measurement in the peer script's format: `lcss bench
// kernels` prints them, the dev script bench/run.ts (`npm run bench`) also writes them as JSON
// lines for bench/peer.ts.
import * as lc from '../index.js';
import { gflops, measure, type Stat } from './timing.js';
import { profile, type ProfileReport } from '../profile.js';
import { w1, w2, w3, w4, w5, type Case } from './workloads.js';

export interface Result {
  kind: 'result';
  workload: string;
  case: string;
  unit: 'ms' | 'GFLOP/s';
  median: number;
  min: number;
  max: number;
  reps: number;
  inner: number;
  [k: string]: unknown;
}

export interface RunOptions {
  workloads: string[];
  reps: number;
  dims: number[];
  losses?: string[];
  onResult?: (r: Result) => void;
  /** after timing a case, run this many more steps under the kernel profiler and report them */
  profileSteps?: number;
  onProfile?: (tag: string, report: ProfileReport) => void;
}

export async function runOurs(opts: RunOptions): Promise<Result[]> {
  const out: Result[] = [];
  const emit = (r: Result) => { out.push(r); opts.onResult?.(r); };
  const groups: (() => Case[])[] = [];
  if (opts.workloads.includes('W1')) groups.push(() => w1());
  if (opts.workloads.includes('W2')) groups.push(() => w2());
  if (opts.workloads.includes('W3')) groups.push(() => w3());
  if (opts.workloads.includes('W4')) groups.push(w4);
  if (opts.workloads.includes('W5')) groups.push(() => w5(opts.dims, opts.losses));
  for (const g of groups) {
    const cases = g();
    const dsmTime = new Map<unknown, number>();
    for (const c of cases) {
      if (c.case.startsWith('_')) { c.dispose(); continue; }
      const osBefore = lc.memory().cpu.osAllocs;
      const s: Stat = await measure(c.step, { reps: opts.reps });
      // fresh pages inside the timed loop would mean the caching allocator missed (see PERFORMANCE.md)
      const osAllocsTimed = lc.memory().cpu.osAllocs - osBefore;
      const extra: Record<string, unknown> = { ...(c.extra ?? {}) };
      if (c.workload.startsWith('W5')) {
        if (c.case === 'dsm') dsmTime.set(c.extra?.D, s.median);
        const d = dsmTime.get(c.extra?.D);
        if (d) extra.ratio_to_dsm = +(s.median / d).toFixed(3);
      }
      emit({ kind: 'result', workload: c.workload, case: c.case, unit: 'ms', ...round(s), os_allocs_after_warmup: osAllocsTimed, ...extra });
      if (c.flop) {
        emit({ kind: 'result', workload: c.workload, case: c.case, unit: 'GFLOP/s', median: gflops(c.flop, s.median),
          min: gflops(c.flop, s.max), max: gflops(c.flop, s.min), reps: s.reps, inner: s.inner, ...extra });
      }
      if (opts.profileSteps && opts.onProfile) {
        const { report } = await profile(async () => { for (let i = 0; i < opts.profileSteps!; i++) await c.step(); });
        opts.onProfile(`${c.workload} ${c.case}${c.extra?.D !== undefined ? ` D=${c.extra.D}` : ''} (${opts.profileSteps} steps)`, report);
      }
      c.dispose();
    }
  }
  return out;
}

function round(s: Stat) {
  const r = (v: number) => +v.toFixed(4);
  return { median: r(s.median), min: r(s.min), max: r(s.max), reps: s.reps, inner: s.inner };
}

export function describe(r: Result): string {
  const tag = `${r.workload} ${r.case}${r.D !== undefined ? ` D=${r.D}` : ''}`;
  const v = r.unit === 'ms' ? `${r.median.toFixed(4)} ms` : `${r.median.toFixed(1)} GFLOP/s`;
  const extra = r.ratio_to_dsm !== undefined && r.case !== 'dsm' ? `  (${r.ratio_to_dsm}x dsm)` : '';
  return `${tag.padEnd(48)} ${v.padStart(16)}  [${r.min.toFixed(r.unit === 'ms' ? 4 : 1)}, ${r.max.toFixed(r.unit === 'ms' ? 4 : 1)}]${extra}`;
}
