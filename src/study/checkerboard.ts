// SPDX-License-Identifier: MIT
// The Checkerboard study (Osada et al. compare the training loss curves of SSM, FD-SSM, DSM and
// LCSS on it): the same MLP score model, seed, optimiser and step budget for every objective
// (plus the exact Jacobian trace, cheap at D = 2), sampled with the reverse SDE (PC) and scored
// against the true density. Writes loss curves, scatter plots, a markdown table and JSON.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChart } from '../eval/plot.js';
import { resolveConfig } from '../train/config.js';
import { train } from '../train/trainer.js';
import { atomicWriteFile } from '../io/atomic.js';

export const STUDY_OBJECTIVES = ['lcss', 'dsm', 'ssm', 'ssm-vr', 'fdssm', 'exact'] as const;

export interface StudyOptions {
  steps?: number;
  objectives?: readonly string[];
  out?: string;
  seed?: number;
  /** samples per objective for the metrics */
  samples?: number;
  /** reverse-SDE (PC) steps */
  samplingSteps?: number;
  log?: (line: string) => void;
  quiet?: boolean;
}

export interface StudyRow {
  objective: string;
  finalLoss: number;
  seconds: number;
  msPerStep: number;
  inside: number;
  nll: number;
  referenceNll: number;
  mmd2: number;
  sw: number;
}

export async function checkerboardStudy(o: StudyOptions = {}): Promise<{ rows: StudyRow[]; table: string; out: string }> {
  const out = o.out ?? 'runs/study-checkerboard';
  const steps = o.steps ?? 3000;
  const log = o.log ?? (() => {});
  mkdirSync(out, { recursive: true });
  const rows: StudyRow[] = [];
  const curves: { name: string; x: number[]; y: number[] }[] = [];
  for (const obj of o.objectives ?? STUDY_OBJECTIVES) {
    const dir = join(out, obj);
    const cfg = resolveConfig('checkerboard', obj === 'lcss' ? undefined : { loss: { name: obj } }, {
      steps, seed: o.seed ?? 0, out: dir, evalEvery: 0, ckptEvery: steps, logEvery: Math.max(1, Math.floor(steps / 60)),
      'sampling.n': o.samples ?? 2000, 'sampling.steps': o.samplingSteps ?? 500,
    });
    log(`[${obj}] training ${steps} steps...`);
    const r = await train(cfg, { quiet: o.quiet, plain: true, restart: true });  // a study rerun replaces its runs
    const ev = r.lastEval ?? {};
    rows.push({
      objective: obj, finalLoss: r.loss, seconds: r.seconds, msPerStep: (1000 * r.seconds) / steps,
      inside: ev.inside, nll: ev.nll, referenceNll: ev.referenceNll, mmd2: ev.mmd2, sw: ev.sw,
    });
    r.dispose();
    const recs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>)
      .filter((q) => typeof q.loss === 'number');
    curves.push({ name: obj, x: recs.map((q) => q.step), y: recs.map((q) => q.loss) });
    copyFileSync(join(dir, `samples-${String(steps).padStart(7, '0')}.png`), join(out, `samples-${obj}.png`));
    copyFileSync(join(dir, 'loss.png'), join(out, `loss-${obj}.png`));
    log(`[${obj}] ${r.seconds.toFixed(1)} s, inside ${ev.inside?.toFixed(3)}, NLL ${ev.nll?.toFixed(3)} (true ${ev.referenceNll?.toFixed(3)}), MMD² ${ev.mmd2?.toExponential(2)}, SW ${ev.sw?.toFixed(3)}`);
  }
  // The objectives have different offsets (LCSS and SSM are unbounded below, DSM is >= its noise
  // floor): compare how fast each converges by scaling every curve to [0, 1] between its first
  // and last logged value.
  (await lineChart(curves.map((c) => {
    const a = c.y[0], b = c.y[c.y.length - 1];
    return { name: c.name, x: c.x, y: c.y.map((v) => (b === a ? 0 : (v - b) / (a - b))) };
  }), { title: 'Checkerboard: training loss, each scaled to 1 at the start and 0 at the end', xLabel: 'step', yLabel: 'scaled loss', yRange: [-0.2, 1.2] })).save(join(out, 'losses.png'));
  const table = studyTable(rows, steps);
  atomicWriteFile(join(out, 'results.md'), table + '\n', 'checkerboardStudy');
  atomicWriteFile(join(out, 'results.json'), JSON.stringify({ steps, rows }, null, 2) + '\n', 'checkerboardStudy');
  return { rows, table, out };
}

export function studyTable(rows: StudyRow[], steps: number): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const lines = [
    `| objective | final loss | wall time (s) | ms/step | inside cells | NLL (nats) | MMD² | sliced W1 |`,
    `|---|---|---|---|---|---|---|---|`,
    ...rows.map((r) => `| ${r.objective} | ${f(r.finalLoss)} | ${f(r.seconds, 1)} | ${f(r.msPerStep, 2)} | ${f(r.inside)} | ${f(r.nll)} | ${Number.isFinite(r.mmd2) ? r.mmd2.toExponential(2) : '-'} | ${f(r.sw)} |`),
    '',
    `${steps} steps each, same seed, model (toy-mlp), optimiser (Adam 1e-3, warm-up 100, clip 1) and VP SDE; samples from the reverse SDE (PC, EMA weights). True density: NLL ${f(rows[0]?.referenceNll ?? NaN)} nats, inside = 1.`,
  ];
  return lines.join('\n');
}
