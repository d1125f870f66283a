// SPDX-License-Identifier: MIT
// The score-error study's outputs: per (D, objective) the mean over seeds with 95 % t-intervals
// of the final weighted score error (overall and per t band), of the time and memory of a step
// and of the gradient noise; a markdown table, the JSON of every cell, and per D two charts, error
// against steps and against training seconds, with interval bands.
import { join } from 'node:path';
import { atomicWriteFile } from '../io/atomic.js';
import { lineChart, type Series } from '../eval/plot.js';
import type { CellResult } from './score_error_run.js';
import { T_BANDS } from './score_error_metric.js';
import { meanInterval, type Interval } from './stats.js';

export interface Summary {
  D: number;
  objective: string;
  seeds: number;
  final: Interval;
  bands: Interval[];
  msPerStep: Interval;
  stepPeakMiB: Interval;
  gradRelVarInit: Interval;
  gradRelVarEnd: Interval;
  diverged: number;
}

const last = (c: CellResult) => c.curve[c.curve.length - 1];

export function summarise(cells: readonly CellResult[]): Summary[] {
  const groups = new Map<string, CellResult[]>();
  for (const c of cells) {
    const k = `${c.D}\u0000${c.objective}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  return [...groups.values()].map((g) => ({
    D: g[0].D, objective: g[0].objective, seeds: g.length,
    final: meanInterval(g.map((c) => last(c).overall)),
    bands: T_BANDS.map((_, i) => meanInterval(g.map((c) => last(c).bands[i]))),
    msPerStep: meanInterval(g.map((c) => c.msPerStep)),
    stepPeakMiB: meanInterval(g.map((c) => c.stepPeakBytes / 2 ** 20)),
    gradRelVarInit: meanInterval(g.map((c) => c.gradRelVarInit)),
    gradRelVarEnd: meanInterval(g.map((c) => c.gradRelVarEnd)),
    diverged: g.filter((c) => c.divergedAt !== null).length,
  }));
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : a < 1 ? v.toPrecision(3) : v.toFixed(a < 100 ? 2 : 0);
}
const ci = (i: Interval) => (Number.isFinite(i.lo) ? `${num(i.mean)} [${num(i.lo)}, ${num(i.hi)}]` : num(i.mean));

export function markdownTable(rows: readonly Summary[], note: string): string {
  const bandNames = T_BANDS.map(([lo, hi]) => `t∈[${lo}, ${hi})`);
  const head = ['D', 'objective', 'score error (95% CI)', ...bandNames, 'ms/step', 'MiB/step', 'grad rel. var. at init', 'at end'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows)
    lines.push(`| ${r.D} | ${r.objective}${r.diverged ? ` (${r.diverged} diverged)` : ''} | ${ci(r.final)} | ${r.bands.map((b) => num(b.mean)).join(' | ')} | ${num(r.msPerStep.mean)} | ${num(r.stepPeakMiB.mean)} | ${ci(r.gradRelVarInit)} | ${ci(r.gradRelVarEnd)} |`);
  return [...lines, '', note].join('\n');
}

/** Error against steps or seconds for one D: mean over seeds with its interval as a band. */
function curves(cells: readonly CellResult[], D: number, x: 'step' | 'seconds'): Series[] {
  const byObj = new Map<string, CellResult[]>();
  for (const c of cells) if (c.D === D) byObj.set(c.objective, [...(byObj.get(c.objective) ?? []), c]);
  return [...byObj.entries()].map(([name, g]) => {
    const n = Math.min(...g.map((c) => c.curve.length));
    const pts = Array.from({ length: n }, (_, i) => ({ x: g.reduce((a, c) => a + c.curve[i][x], 0) / g.length, iv: meanInterval(g.map((c) => c.curve[i].overall)) }));
    // a log axis cannot show an interval reaching 0: the band stops at a tenth of the mean there
    const floor = (iv: Interval) => (iv.lo > 0 ? iv.lo : iv.mean / 10);
    const keep = pts.filter((p) => x === 'step' || p.x > 0);
    return {
      name, x: keep.map((p) => p.x), y: keep.map((p) => p.iv.mean),
      lo: keep.map((p) => (Number.isFinite(p.iv.lo) ? floor(p.iv) : p.iv.mean)), hi: keep.map((p) => (Number.isFinite(p.iv.hi) ? p.iv.hi : p.iv.mean)),
    };
  });
}

export async function writeReport(out: string, cells: readonly CellResult[], meta: Record<string, unknown>, note: string): Promise<{ table: string; files: string[] }> {
  const rows = summarise(cells);
  const table = markdownTable(rows, note);
  const files = ['results.md', 'results.json'];
  atomicWriteFile(join(out, 'results.md'), table + '\n', 'scoreErrorStudy');
  atomicWriteFile(join(out, 'results.json'), JSON.stringify({ ...meta, summary: rows, cells }, null, 1) + '\n', 'scoreErrorStudy');
  for (const D of [...new Set(cells.map((c) => c.D))]) {
    for (const [x, label] of [['step', 'step'], ['seconds', 'training seconds (log)']] as const) {
      const file = `error-${x === 'step' ? 'steps' : 'seconds'}-D${D}.png`;
      const plot = await lineChart(curves(cells, D, x), {
        title: `D = ${D}: weighted score error (mean over seeds, 95% t-interval)`, xLabel: label, yLabel: 'σ̄² |s − ∇log p_t|² / D', logY: true, logX: x === 'seconds',
      });
      plot.save(join(out, file));
      files.push(file);
    }
  }
  return { table, files };
}
