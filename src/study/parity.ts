// SPDX-License-Identifier: MIT
// Two objectives trained at equal wall-clock over a few seeds (the MNIST parity study, issue 15):
// per objective the mean and 95 % t-interval of every sample and likelihood metric and of the
// budget actually spent, and per quality metric whether Welch's test separates the two. Kept
// apart from the bench script that reads the run directories so the arithmetic and the table
// can be tested on a small fixture.
import { argError, ArgumentError } from '../errors.js';
import { rankPairs, type PairVerdict } from './ranking.js';
import { meanInterval, type Interval } from './stats.js';

/** Any run a parity study compares: its arm (objective, or SDE), its seed, and its metrics as numeric fields named by the metric keys. */
export interface ParityRecord {
  objective: string;
  seed: number;
}

/** One trained and evaluated MNIST run (the default metric set's keys). */
export interface ParityRun {
  objective: string;
  seed: number;
  /** training steps taken */
  steps: number;
  /** wall-clock seconds of the training loop (the trainer's summary) */
  trainSeconds: number;
  fid: number;
  kid: number;
  is: number;
  /** bits/dim of held-out digits through the probability-flow ODE */
  bpd: number;
}

/** A column of the study: the quality metrics carry a direction, the budget columns do not (they describe, not rank). */
export interface ParityMetric {
  /** a numeric field of the runs; 'sPerStep' is derived from trainSeconds / steps */
  key: string;
  label: string;
  /** true: higher is better; false: lower is better; null: descriptive (no verdict) */
  higherIsBetter: boolean | null;
  digits: number;
}

export const PARITY_METRICS: readonly ParityMetric[] = [
  { key: 'fid', label: 'FID ↓', higherIsBetter: false, digits: 1 },
  { key: 'kid', label: 'KID ↓', higherIsBetter: false, digits: 1 },
  { key: 'is', label: 'IS ↑', higherIsBetter: true, digits: 2 },
  { key: 'bpd', label: 'bits/dim ↓', higherIsBetter: false, digits: 3 },
  { key: 'steps', label: 'steps', higherIsBetter: null, digits: 0 },
  { key: 'trainSeconds', label: 'train s', higherIsBetter: null, digits: 0 },
  { key: 'sPerStep', label: 's/step', higherIsBetter: null, digits: 3 },
];

export interface ParityCell extends Interval {
  values: number[];
}

export interface ParitySummary {
  /** the two objectives, in the order given (the first is the one the differences are taken from) */
  objectives: [string, string];
  seeds: Record<string, number[]>;
  /** the columns summarised, in order */
  metricList: ParityMetric[];
  /** metric key -> objective -> mean, interval and the per-seed values (seed order) */
  metrics: Record<string, Record<string, ParityCell>>;
  /** quality metric key -> Welch verdict of objectives[0] against objectives[1] */
  comparisons: Record<string, PairVerdict & { difference: number }>;
}

function metricValue(r: ParityRecord, key: string): number {
  // s/step from the trainer's own totals: it includes the data pipeline and checkpoint writes,
  // which is what a user pays per step at this budget
  const f = r as unknown as Record<string, unknown>;
  const v = key === 'sPerStep' ? (f.trainSeconds as number) / (f.steps as number) : f[key];
  if (typeof v !== 'number') throw argError('summarizeParity', `runs[].${key}`, v, `a number (run ${r.objective} seed ${r.seed})`);
  return v;
}

/**
 * Summarises `runs` for the two `objectives` over `metrics` (default: the MNIST study's); a run
 * of another objective is ignored, a missing objective is an error.
 */
export function summarizeParity(runs: readonly ParityRecord[], objectives: readonly [string, string],
  metrics: readonly ParityMetric[] = PARITY_METRICS): ParitySummary {
  const fn = 'summarizeParity';
  if (!Array.isArray(runs)) throw argError(fn, 'runs', runs, 'an array of runs');
  if (!Array.isArray(objectives) || objectives.length !== 2 || objectives[0] === objectives[1])
    throw argError(fn, 'objectives', objectives, 'two different objective names');
  if (!Array.isArray(metrics) || metrics.length === 0) throw argError(fn, 'metrics', metrics, 'a non-empty array of metric columns');
  const byObj = new Map<string, ParityRecord[]>();
  for (const o of objectives) {
    const rs = runs.filter((r) => r.objective === o).sort((a, b) => a.seed - b.seed);
    if (rs.length === 0) throw new ArgumentError(`${fn}: no run of objective ${JSON.stringify(o)} among ${runs.length} runs`);
    const seeds = rs.map((r) => r.seed);
    if (new Set(seeds).size !== seeds.length) throw new ArgumentError(`${fn}: objective ${JSON.stringify(o)} has a seed twice (${seeds.join(', ')})`);
    byObj.set(o, rs);
  }
  const cells: ParitySummary['metrics'] = {};
  const comparisons: ParitySummary['comparisons'] = {};
  for (const m of metrics) {
    cells[m.key] = {};
    const groups = new Map<string, number[]>();
    for (const o of objectives) {
      const values = byObj.get(o)!.map((r) => metricValue(r, m.key));
      groups.set(o, values);
      cells[m.key][o] = { ...meanInterval(values), values };
    }
    if (m.higherIsBetter !== null) {
      const [v] = rankPairs(groups, m.higherIsBetter);
      comparisons[m.key] = { ...v, difference: cells[m.key][objectives[0]].mean - cells[m.key][objectives[1]].mean };
    }
  }
  const seeds = Object.fromEntries(objectives.map((o) => [o, byObj.get(o)!.map((r) => r.seed)]));
  return { objectives: [objectives[0], objectives[1]], seeds, metricList: [...metrics], metrics: cells, comparisons };
}

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/** "mean [lo, hi]", or the bare mean when a single seed leaves no interval. */
export function formatCell(c: Interval, digits: number): string {
  return Number.isFinite(c.lo) ? `${fmt(c.mean, digits)} [${fmt(c.lo, digits)}, ${fmt(c.hi, digits)}]` : fmt(c.mean, digits);
}

/** Two markdown tables: the objectives with every metric as mean [95 % t-interval], then the Welch verdict per quality metric. */
export function parityMarkdown(s: ParitySummary): string {
  const [a, b] = s.objectives;
  const lines: string[] = [];
  lines.push(`| objective | seeds | ${s.metricList.map((m) => m.label).join(' | ')} |`);
  lines.push(`|---|---|${s.metricList.map(() => '---|').join('')}`);
  for (const o of s.objectives)
    lines.push(`| ${o.toUpperCase()} | ${s.seeds[o].length} | ${s.metricList.map((m) => formatCell(s.metrics[m.key][o], m.digits)).join(' | ')} |`);
  lines.push('');
  lines.push(`| metric | ${a.toUpperCase()} − ${b.toUpperCase()} | Welch t (df) | differs at 5 %? | better |`);
  lines.push('|---|---|---|---|---|');
  for (const m of s.metricList) {
    const c = s.comparisons[m.key];
    if (!c) continue;
    const better = c.better === null ? 'cannot rank' : `${c.better.toUpperCase()}${c.disjoint ? ' (intervals disjoint)' : ''}`;
    lines.push(`| ${m.label} | ${fmt(c.difference, m.digits)} | ${fmt(c.t, 2)} (${fmt(c.df, 1)}) | ${c.differ ? 'yes' : 'no'} | ${better} |`);
  }
  return lines.join('\n') + '\n';
}
