// SPDX-License-Identifier: MIT
// The charts of training runs, from their metrics.jsonl records: loss, learning rate, gradient
// norm and evaluation metrics over steps, one curve per run. The trainer renders the loss chart
// into loss.png and the dashboard draws all of them live, from these same specs.
import { argError } from '../errors.js';
import { lineChartSpec, type ChartSpec, type Series } from './chart_specs.js';

export interface RunRecords {
  name: string;
  /** metrics.jsonl records: { step, loss, lr, gradNorm, ... } and { step, eval: { ... } } */
  records: readonly Record<string, unknown>[];
}

function checkRuns(fn: string, runs: readonly RunRecords[]): void {
  if (!Array.isArray(runs) || !runs.every((r) => r && typeof r.name === 'string' && Array.isArray(r.records)))
    throw argError(fn, 'runs', runs, 'an array of { name, records }');
}

function curve(run: RunRecords, key: string): Series {
  const pts = run.records.filter((r) => typeof r.step === 'number' && typeof r[key] === 'number');
  return { name: run.name, x: pts.map((r) => r.step as number), y: pts.map((r) => r[key] as number) };
}

/** A per-step quantity of the runs (loss, lr, gradNorm, itPerSec...) against the step. */
export function metricChartSpec(runs: readonly RunRecords[], key: string, o: { title?: string; logY?: boolean; width?: number; height?: number } = {}): ChartSpec {
  checkRuns('metricChartSpec', runs);
  const series = runs.map((r) => curve(r, key));
  // a log axis only when every value can go on it (LCSS and SSM losses can be negative)
  const logY = !!o.logY && series.every((s) => Array.from(s.y).every((v) => !Number.isFinite(v) || v > 0));
  return lineChartSpec(series.length ? series : [{ y: [] }], { title: o.title ?? key, xLabel: 'step', yLabel: key, logY, legend: runs.length > 1, width: o.width, height: o.height });
}

export function lossChartSpec(runs: readonly RunRecords[], o: { title?: string; width?: number; height?: number } = {}): ChartSpec {
  return metricChartSpec(runs, 'loss', { ...o, title: o.title ?? 'loss (mean over each logging window)' });
}

/** Every evaluation metric over steps, a small chart each with its own y scale, runs overlaid. */
export function evalChartSpec(runs: readonly RunRecords[]): ChartSpec {
  checkRuns('evalChartSpec', runs);
  const rows: { run: string; step: number; metric: string; value: number }[] = [];
  for (const r of runs)
    for (const rec of r.records) {
      const ev = rec.eval as Record<string, unknown> | undefined;
      if (typeof rec.step !== 'number' || !ev || typeof ev !== 'object') continue;
      for (const [metric, value] of Object.entries(ev))
        if (typeof value === 'number' && Number.isFinite(value) && metric !== 'nfe' && metric !== 'sampleSeconds') rows.push({ run: r.name, step: rec.step, metric, value });
    }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'evaluation metrics',
    background: 'white',
    data: { values: rows },
    facet: { field: 'metric', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 140,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'run', type: 'nominal', legend: runs.length > 1 ? { title: null } : null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as ChartSpec;
}
