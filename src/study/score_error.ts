// SPDX-License-Identifier: MIT
// `lcss study score-error`: every objective trains the same time-conditioned MLP, with the same
// optimiser, data stream and step budget, on Gaussian mixtures whose score is known at every t,
// and is scored by the weighted score error on fresh draws (score_error_metric.ts), against steps
// and training seconds, with the gradient noise, time and memory of a step; >= 3 seeds per cell.
// --quick is the same pipeline at a size a test runs in seconds.
import { mkdirSync } from 'node:fs';
import { native } from '../native.js';
import { argError, checkInt, checkOptions, checkKnownKeys } from '../errors.js';
import type { SDE } from '../sde/sde.js';
import { VESDE } from '../sde/ve.js';
import { SubVPSDE, VPSDE } from '../sde/vp.js';
import { mixtureTask } from './mixture_task.js';
import { checkObjectives, EXACT_MAX_DIM, SCORE_ERROR_OBJECTIVES, type LcssOverrides } from './score_error_objectives.js';
import { writeReport } from './score_error_report.js';
import { runCell, type CellResult, type CellSettings } from './score_error_run.js';

export interface ScoreErrorOptions extends Partial<CellSettings> {
  dims?: readonly number[];
  objectives?: readonly string[];
  /** number of seeds per cell (>= 3 for intervals worth the name; the quick mode too) */
  seeds?: number;
  /** mixture components (default 8 at D = 2, 16 above) */
  components?: number;
  sde?: 've' | 'vp' | 'subvp';
  /** the exact trace runs only up to this D */
  exactMaxDim?: number;
  quick?: boolean;
  out?: string;
  lcss?: LcssOverrides;
  log?: (line: string) => void;
}

export const SCORE_ERROR_DEFAULTS = {
  dims: [2, 16, 64, 256], seeds: 3, steps: 400, batchSize: 128, evals: 8, evalN: 512, gradRepeats: 8, hidden: 128, lr: 1e-3,
} as const;
export const SCORE_ERROR_QUICK = {
  dims: [2, 16], seeds: 3, steps: 40, batchSize: 64, evals: 2, evalN: 128, gradRepeats: 3, hidden: 32, lr: 1e-3,
} as const;

function buildSde(fn: string, name: unknown): SDE {
  switch (name) {
    case 've': return new VESDE();
    case 'vp': return new VPSDE();
    case 'subvp': return new SubVPSDE();
  }
  throw argError(fn, 'sde', name, "'vp', 've' or 'subvp' (an SDE with the Gaussian kernel the exact score needs)");
}

export interface ScoreErrorResult {
  cells: CellResult[];
  table: string;
  files: string[];
  out: string;
  seconds: number;
}

export async function scoreErrorStudy(options: ScoreErrorOptions = {}): Promise<ScoreErrorResult> {
  const fn = 'scoreErrorStudy';
  const o = checkOptions(fn, 'options', options);
  checkKnownKeys(fn, 'options', o, ['dims', 'objectives', 'seeds', 'components', 'sde', 'exactMaxDim', 'quick', 'out', 'lcss', 'log',
    'steps', 'batchSize', 'evals', 'evalN', 'gradRepeats', 'hidden', 'lr']);
  const d = o.quick ? SCORE_ERROR_QUICK : SCORE_ERROR_DEFAULTS;
  const dims = o.dims ?? d.dims;
  if (!Array.isArray(dims) || !dims.length || !dims.every((v) => Number.isInteger(v) && v >= 1 && v <= 4096))
    throw argError(fn, 'dims', dims, 'a non-empty list of integers in [1, 4096]');
  const objectives = checkObjectives(`${fn}: argument 'objectives'`, o.objectives ?? SCORE_ERROR_OBJECTIVES);
  const seeds = checkInt(fn, 'seeds', o.seeds ?? d.seeds, 1, 1000);
  const settings: CellSettings = {
    steps: checkInt(fn, 'steps', o.steps ?? d.steps, 1),
    batchSize: checkInt(fn, 'batchSize', o.batchSize ?? d.batchSize, 2),
    evals: checkInt(fn, 'evals', o.evals ?? d.evals, 1),
    evalN: checkInt(fn, 'evalN', o.evalN ?? d.evalN, 2),
    gradRepeats: checkInt(fn, 'gradRepeats', o.gradRepeats ?? d.gradRepeats, 2),
    hidden: checkInt(fn, 'hidden', o.hidden ?? d.hidden, 1),
    lr: o.lr ?? d.lr,
  };
  if (!(typeof settings.lr === 'number' && settings.lr > 0 && Number.isFinite(settings.lr))) throw argError(fn, 'lr', settings.lr, 'a finite number > 0');
  if (settings.evals > settings.steps) throw argError(fn, 'evals', settings.evals, `at most steps (${settings.steps}) evaluations`);
  const exactMaxDim = checkInt(fn, 'exactMaxDim', o.exactMaxDim ?? EXACT_MAX_DIM, 0);
  if (o.components !== undefined) checkInt(fn, 'components', o.components, 1, 1024);
  const sdeName = o.sde ?? 'vp';
  const sde = buildSde(fn, sdeName);
  const out = o.out ?? (o.quick ? 'runs/study-score-error-quick' : 'runs/study-score-error');
  if (typeof out !== 'string' || !out) throw argError(fn, 'out', out, 'an output directory');
  const log = o.log ?? (() => {});
  mkdirSync(out, { recursive: true });
  const cells: CellResult[] = [];
  const start = Date.now();
  // Untimed warm-up of every objective (JIT, allocator caches): otherwise the first cell of the
  // study pays for it and its ms/step is inflated several-fold.
  const warm = mixtureTask(dims[0], 2, sde);
  try {
    for (const objective of objectives)
      if (objective !== 'exact' || dims[0] <= exactMaxDim)
        await runCell(objective, warm, sde, 999, { ...settings, steps: 3, evals: 1, evalN: 2, gradRepeats: 2 }, o.lcss);
  } finally {
    warm.dispose();
  }
  for (const D of dims) {
    const K = o.components ?? (D <= 2 ? 8 : 16);
    const task = mixtureTask(D, K, sde);
    try {
      for (const objective of objectives) {
        if (objective === 'exact' && D > exactMaxDim) {
          log(`[D=${D}] exact: skipped (D > exactMaxDim = ${exactMaxDim}: D backward passes per step)`);
          continue;
        }
        for (let seed = 0; seed < seeds; seed++) {
          const c = await runCell(objective, task, sde, seed, settings, o.lcss);
          cells.push(c);
          const end = c.curve[c.curve.length - 1];
          log(`[D=${D}] ${objective} seed ${seed}: error ${c.curve[0].overall.toPrecision(3)} -> ${end.overall.toPrecision(3)} in ${end.seconds.toFixed(1)} s (${c.msPerStep.toFixed(2)} ms/step)${c.divergedAt !== null ? `, diverged at step ${c.divergedAt}` : ''}`);
        }
      }
    } finally {
      task.dispose();
    }
  }
  const seconds = (Date.now() - start) / 1000;
  const note = `${settings.steps} steps of batch ${settings.batchSize} per cell, ${seeds} seeds (mean [95% t-interval]); MLPScore (3 layers of ${settings.hidden}, sinusoidal time), ` +
    `Adam ${settings.lr} with clip 1, ${sdeName.toUpperCase()} SDE; mixtures of 8 (D = 2) or 16 components, means on the sphere of radius 2, std 0.3. ` +
    `Score error: E_t E_x σ̄(t)² |s − ∇log p_t|² / D on ${settings.evalN} fresh draws per t band; grad rel. var.: E|g − ḡ|²/|ḡ|² over ${settings.gradRepeats} redraws of the loss's noise on one batch. ` +
    `ms/step and MiB/step (the CPU allocator's peak during one step above what it held before) with ${native.getNumThreads()} kernel thread(s); the whole study took ${seconds.toFixed(0)} s.`;
  const meta = { settings, dims, objectives, seeds, sde: sdeName, exactMaxDim, lcss: o.lcss ?? {}, seconds, date: new Date().toISOString() };
  const { table, files } = await writeReport(out, cells, meta, note);
  return { cells, table, files, out, seconds };
}
