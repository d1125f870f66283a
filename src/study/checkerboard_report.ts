// SPDX-License-Identifier: MIT
// The Checkerboard study's outputs over seeds: per objective the mean with a 95 % t-interval of
// every metric, the pairwise ranking those intervals support (ranking.ts: "cannot rank X and Y"
// where they do not), a markdown table, the JSON of every run and a loss chart with bands.
import { join } from 'node:path';
import { atomicWriteFile } from '../io/atomic.js';
import { lineChart, type Series } from '../eval/plot.js';
import { meanInterval, type Interval } from './stats.js';
import { rankPairs, rankingSentence, type PairVerdict } from './ranking.js';

/** One (objective, seed) run. */
export interface StudyRow {
  objective: string;
  seed: number;
  finalLoss: number;
  seconds: number;
  msPerStep: number;
  inside: number;
  nll: number;
  referenceNll: number;
  mmd2: number;
  sw: number;
}

/** The metrics that say how good the samples are, and which direction is better. Final loss is
 * left out: the objectives' losses have different offsets and cannot be compared across them. */
export const RANKED_METRICS = [
  { key: 'inside', label: 'inside cells', higherIsBetter: true },
  { key: 'nll', label: 'NLL', higherIsBetter: false },
  { key: 'mmd2', label: 'MMD²', higherIsBetter: false },
  { key: 'sw', label: 'sliced W1', higherIsBetter: false },
] as const;

type MetricKey = 'finalLoss' | 'msPerStep' | (typeof RANKED_METRICS)[number]['key'];
const SUMMARISED: readonly MetricKey[] = ['finalLoss', 'msPerStep', 'inside', 'nll', 'mmd2', 'sw'];

export interface ObjectiveSummary {
  objective: string;
  seeds: number;
  metrics: Record<MetricKey, Interval>;
}

export interface Ranking {
  metric: string;
  higherIsBetter: boolean;
  pairs: PairVerdict[];
  sentence: string;
}

export function summarise(rows: readonly StudyRow[]): ObjectiveSummary[] {
  const objectives = [...new Set(rows.map((r) => r.objective))];
  return objectives.map((objective) => {
    const g = rows.filter((r) => r.objective === objective);
    const metrics = Object.fromEntries(SUMMARISED.map((k) => [k, meanInterval(g.map((r) => r[k]))])) as Record<MetricKey, Interval>;
    return { objective, seeds: g.length, metrics };
  });
}

export function rankings(rows: readonly StudyRow[]): Ranking[] {
  const objectives = [...new Set(rows.map((r) => r.objective))];
  return RANKED_METRICS.map((m) => {
    const groups = new Map(objectives.map((o) => [o, rows.filter((r) => r.objective === o).map((r) => r[m.key])]));
    const pairs = rankPairs(groups, m.higherIsBetter);
    return { metric: m.key, higherIsBetter: m.higherIsBetter, pairs, sentence: rankingSentence(m.label, pairs) };
  });
}

function num(v: number, d: number): string {
  if (!Number.isFinite(v)) return '-';
  return d < 0 ? v.toExponential(-d) : v.toFixed(d);
}
const ci = (i: Interval, d: number) => (Number.isFinite(i.lo) ? `${num(i.mean, d)} [${num(i.lo, d)}, ${num(i.hi, d)}]` : num(i.mean, d));

export function studyTable(summary: readonly ObjectiveSummary[], ranks: readonly Ranking[], steps: number, seeds: readonly number[], referenceNll: number): string {
  const lines = [
    `| objective | seeds | final loss | ms/step | inside cells | NLL (nats) | MMD² | sliced W1 |`,
    `|---|---|---|---|---|---|---|---|`,
    ...summary.map((s) => {
      const m = s.metrics;
      return `| ${s.objective} | ${s.seeds} | ${ci(m.finalLoss, 3)} | ${ci(m.msPerStep, 2)} | ${ci(m.inside, 3)} | ${ci(m.nll, 3)} | ${ci(m.mmd2, -2)} | ${ci(m.sw, 3)} |`;
    }),
    '',
    `Mean [95 % t-interval] over seeds ${seeds.join(', ')}; ${steps} steps each, the same seeds, model (toy-mlp), optimiser (Adam 1e-3, warm-up 100, clip 1) and VP SDE for every objective; ` +
      `samples from the reverse SDE (PC, EMA weights). True density: NLL ${num(referenceNll, 3)} nats, inside = 1. ` +
      // said here because the column reads like a data likelihood and is not one
      `NLL is that of the samples under the true density, floored at 1e-6 outside its support: on the checkerboard an affine function of inside cells, so its ranking repeats theirs.`,
    '',
    `Ranking (two-sided Welch t-test at 5 % per pair, no correction for the ${ranks[0]?.pairs.length ?? 0} pairs per metric; "intervals disjoint" where the 95 % intervals do not overlap either):`,
    '',
    ...ranks.map((r) => `- ${r.sentence}`),
  ];
  return lines.join('\n');
}

/**
 * Loss against step, mean over seeds with its interval as a band. The objectives have different
 * offsets (LCSS and SSM are unbounded below, DSM is >= its noise floor), so each run's curve is
 * scaled to 1 at its first and 0 at its last logged value before averaging: the chart compares
 * how fast each converges, not where.
 */
export function lossSeries(curves: readonly { name: string; x: number[]; y: number[] }[]): Series[] {
  const names = [...new Set(curves.map((c) => c.name))];
  return names.map((name) => {
    const g = curves.filter((c) => c.name === name).map((c) => {
      const a = c.y[0], b = c.y[c.y.length - 1];
      return { x: c.x, y: c.y.map((v) => (b === a ? 0 : (v - b) / (a - b))) };
    });
    const n = Math.min(...g.map((c) => c.y.length));
    const iv = Array.from({ length: n }, (_, i) => meanInterval(g.map((c) => c.y[i])));
    const fin = (v: number, i: number) => (Number.isFinite(v) ? v : iv[i].mean);
    return { name, x: g[0].x.slice(0, n), y: iv.map((v) => v.mean), lo: iv.map((v, i) => fin(v.lo, i)), hi: iv.map((v, i) => fin(v.hi, i)) };
  });
}

export async function writeReport(out: string, rows: readonly StudyRow[], curves: readonly { name: string; x: number[]; y: number[] }[],
  meta: { steps: number; seeds: number[] }): Promise<{ table: string; summary: ObjectiveSummary[]; ranks: Ranking[] }> {
  const summary = summarise(rows);
  const ranks = rankings(rows);
  const table = studyTable(summary, ranks, meta.steps, meta.seeds, rows[0]?.referenceNll ?? NaN);
  (await lineChart(lossSeries(curves), {
    title: `Checkerboard: training loss, each run scaled to 1 at the start and 0 at the end (mean of ${meta.seeds.length} seeds, 95% t-interval)`,
    xLabel: 'step', yLabel: 'scaled loss', yRange: [-0.2, 1.2],
  })).save(join(out, 'losses.png'));
  atomicWriteFile(join(out, 'results.md'), table + '\n', 'checkerboardStudy');
  atomicWriteFile(join(out, 'results.json'), JSON.stringify({ ...meta, summary, ranking: ranks, rows }, null, 2) + '\n', 'checkerboardStudy');
  return { table, summary, ranks };
}
