// SPDX-License-Identifier: MIT
// The LCSS sweep of the score-error study: smoothing ratio rho = sigma_s / sigmaBar, Stein
// estimator and draws K, each cell trained and scored exactly as score_error_run.ts does (same
// network, data, optimiser, budget and seeds), so its rows compare with the objectives' table.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { argError, checkInt } from '../errors.js';
import { atomicWriteFile } from '../io/atomic.js';
import { VPSDE } from '../sde/vp.js';
import { mixtureTask } from './mixture_task.js';
import { markdownTable, summarise } from './score_error_report.js';
import { runCell, type CellResult, type CellSettings } from './score_error_run.js';
import { SCORE_ERROR_DEFAULTS } from './score_error.js';

export const SWEEP_RATIOS = [0.01, 0.03, 0.1, 0.3, 1] as const;
export const SWEEP_ESTIMATORS = ['plain', 'control', 'antithetic'] as const;
export const SWEEP_DRAWS = [1, 2, 4] as const;

export interface LcssSweepOptions extends Partial<CellSettings> {
  D?: number;
  seeds?: number;
  out?: string;
  log?: (line: string) => void;
}

export async function lcssSweep(o: LcssSweepOptions = {}): Promise<{ table: string; cells: CellResult[]; seconds: number }> {
  const fn = 'lcssSweep';
  const D = checkInt(fn, 'D', o.D ?? 16, 1, 4096);
  const seeds = checkInt(fn, 'seeds', o.seeds ?? 3, 1, 1000);
  const d = SCORE_ERROR_DEFAULTS;
  const s: CellSettings = {
    steps: checkInt(fn, 'steps', o.steps ?? d.steps, 1), batchSize: checkInt(fn, 'batchSize', o.batchSize ?? d.batchSize, 2),
    evals: checkInt(fn, 'evals', o.evals ?? 2, 1), evalN: checkInt(fn, 'evalN', o.evalN ?? d.evalN, 2),
    gradRepeats: checkInt(fn, 'gradRepeats', o.gradRepeats ?? d.gradRepeats, 2), hidden: checkInt(fn, 'hidden', o.hidden ?? d.hidden, 1), lr: o.lr ?? d.lr,
  };
  if (s.evals > s.steps) throw argError(fn, 'evals', s.evals, `at most steps (${s.steps}) evaluations`);
  const out = o.out ?? 'runs/study-lcss-sweep';
  const log = o.log ?? (() => {});
  mkdirSync(out, { recursive: true });
  const sde = new VPSDE();
  const task = mixtureTask(D, D <= 2 ? 8 : 16, sde);
  const cells: CellResult[] = [];
  const start = Date.now();
  try {
    for (const sigmaRatio of SWEEP_RATIOS)
      for (const estimator of SWEEP_ESTIMATORS)
        for (const draws of SWEEP_DRAWS)
          for (let seed = 0; seed < seeds; seed++) {
            const c = await runCell('lcss', task, sde, seed, s, { sigmaRatio, estimator, draws });
            c.objective = `ρ=${sigmaRatio} ${estimator} K=${draws}`;
            cells.push(c);
            log(`[D=${D}] lcss ${c.objective} seed ${seed}: error ${c.curve[c.curve.length - 1].overall.toPrecision(3)} (${c.msPerStep.toFixed(2)} ms/step)`);
          }
  } finally {
    task.dispose();
  }
  const seconds = (Date.now() - start) / 1000;
  const note = `LCSS at D = ${D} (VP, 16-component mixture), ${s.steps} steps of batch ${s.batchSize}, ${seeds} seeds, otherwise as \`lcss study score-error\`; ρ = σ_s/σ̄(t), K = draws; the sweep took ${seconds.toFixed(0)} s.`;
  const table = markdownTable(summarise(cells), note);
  atomicWriteFile(join(out, 'results.md'), table + '\n', fn);
  atomicWriteFile(join(out, 'results.json'), JSON.stringify({ D, seeds, settings: s, seconds, summary: summarise(cells), cells }, null, 1) + '\n', fn);
  return { table, cells, seconds };
}
