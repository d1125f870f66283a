// SPDX-License-Identifier: MIT
// The Checkerboard study (Osada et al. compare the training loss curves of SSM, FD-SSM, DSM and
// LCSS on it): the same MLP score model, seeds, optimiser and step budget for every objective
// (plus the exact Jacobian trace, cheap at D = 2), sampled with the reverse SDE (PC) and scored
// against the true density. One seed cannot rank objectives whose metrics differ by a few
// sampling errors, so every objective is trained with the same `seeds` seeds and reported as a
// mean with a 95 % t-interval and a pairwise ranking (checkerboard_report.ts).
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkInt, checkKnownKeys, checkOptions } from '../errors.js';
import { resolveConfig } from '../train/config.js';
import { train } from '../train/trainer.js';
import { writeReport, type ObjectiveSummary, type Ranking, type StudyRow } from './checkerboard_report.js';

export type { StudyRow } from './checkerboard_report.js';
export const STUDY_OBJECTIVES = ['lcss', 'dsm', 'ssm', 'ssm-vr', 'fdssm', 'exact'] as const;
/** Three seeds: the fewest that give a t-interval (t_{0.975,2} = 4.3) worth reading. */
export const STUDY_DEFAULT_SEEDS = 3;

export interface StudyOptions {
  steps?: number;
  objectives?: readonly string[];
  out?: string;
  /** the first seed; the runs use seed, seed + 1, ..., seed + seeds - 1 */
  seed?: number;
  /** training seeds per objective (the same set for every objective) */
  seeds?: number;
  /** samples per objective for the metrics */
  samples?: number;
  /** reverse-SDE (PC) steps */
  samplingSteps?: number;
  log?: (line: string) => void;
  quiet?: boolean;
}

export interface StudyResult {
  rows: StudyRow[];
  summary: ObjectiveSummary[];
  ranking: Ranking[];
  table: string;
  out: string;
}

export async function checkerboardStudy(options: StudyOptions = {}): Promise<StudyResult> {
  const fn = 'checkerboardStudy';
  const o = checkOptions(fn, 'options', options);
  checkKnownKeys(fn, 'options', o, ['steps', 'objectives', 'out', 'seed', 'seeds', 'samples', 'samplingSteps', 'log', 'quiet']);
  const out = o.out ?? 'runs/study-checkerboard';
  const steps = checkInt(fn, 'steps', o.steps ?? 3000, 1);
  const first = checkInt(fn, 'seed', o.seed ?? 0, 0);
  const seeds = Array.from({ length: checkInt(fn, 'seeds', o.seeds ?? STUDY_DEFAULT_SEEDS, 1, 1000) }, (_, i) => first + i);
  const log = o.log ?? (() => {});
  mkdirSync(out, { recursive: true });
  const rows: StudyRow[] = [];
  const curves: { name: string; x: number[]; y: number[] }[] = [];
  for (const obj of o.objectives ?? STUDY_OBJECTIVES) {
    for (const seed of seeds) {
      const dir = join(out, obj, `seed-${seed}`);
      const cfg = resolveConfig('checkerboard', obj === 'lcss' ? undefined : { loss: { name: obj } }, {
        steps, seed, out: dir, evalEvery: 0, ckptEvery: steps, logEvery: Math.max(1, Math.floor(steps / 60)),
        'sampling.n': o.samples ?? 2000, 'sampling.steps': o.samplingSteps ?? 500,
      });
      log(`[${obj} seed ${seed}] training ${steps} steps...`);
      const r = await train(cfg, { quiet: o.quiet, plain: true, restart: true });  // a study rerun replaces its runs
      const ev = r.lastEval ?? {};
      rows.push({
        objective: obj, seed, finalLoss: r.loss, seconds: r.seconds, msPerStep: (1000 * r.seconds) / steps,
        inside: ev.inside, nll: ev.nll, referenceNll: ev.referenceNll, mmd2: ev.mmd2, sw: ev.sw,
      });
      r.dispose();
      const recs = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>)
        .filter((q) => typeof q.loss === 'number');
      curves.push({ name: obj, x: recs.map((q) => q.step), y: recs.map((q) => q.loss) });
      // one seed's pictures per objective are enough to look at; the numbers cover every seed
      if (seed === first) {
        copyFileSync(join(dir, `samples-${String(steps).padStart(7, '0')}.png`), join(out, `samples-${obj}.png`));
        copyFileSync(join(dir, 'loss.png'), join(out, `loss-${obj}.png`));
      }
      log(`[${obj} seed ${seed}] ${r.seconds.toFixed(1)} s, inside ${ev.inside?.toFixed(3)}, NLL ${ev.nll?.toFixed(3)} (true ${ev.referenceNll?.toFixed(3)}), MMD² ${ev.mmd2?.toExponential(2)}, SW ${ev.sw?.toFixed(3)}`);
    }
  }
  const rep = await writeReport(out, rows, curves, { steps, seeds });
  return { rows, summary: rep.summary, ranking: rep.ranks, table: rep.table, out };
}
