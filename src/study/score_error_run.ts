// SPDX-License-Identifier: MIT
// One cell of the score-error study: one objective trains the time-conditioned MLP on one mixture
// with one seed. Every objective of a seed gets the same initial weights, data stream, optimiser
// and step budget; only the loss (and its own noise) differs. The weighted score error is taken
// at evenly spaced steps, against the step and the training seconds spent so far (evaluation
// time excluded), with the time and memory of a step and the gradient noise at the start and end.
import { performance } from 'node:perf_hooks';
import { backward } from '../autograd/engine.js';
import { MLPScore } from '../models/mlp.js';
import { scoreFn } from '../models/score.js';
import type { Module } from '../nn/module.js';
import { Generator } from '../ops/index.js';
import { Adam } from '../optim/adam.js';
import type { SDE } from '../sde/sde.js';
import { memory, resetPeakMemory, tidy } from '../tensor/scope.js';
import type { ScoreNetwork } from '../score_types.js';
import { gradNoise } from './grad_variance.js';
import type { MixtureTask } from './mixture_task.js';
import { scoreError, type ScoreError } from './score_error_metric.js';
import { studyLoss, type LcssOverrides, type StudyObjective } from './score_error_objectives.js';

export interface CellSettings {
  steps: number;
  batchSize: number;
  /** evaluations after step 0 (evenly spaced, the last at `steps`) */
  evals: number;
  /** fresh draws per t band per evaluation */
  evalN: number;
  /** redraws of the loss's noise for the gradient variance */
  gradRepeats: number;
  hidden: number;
  lr: number;
}

export interface CurvePoint extends ScoreError {
  step: number;
  seconds: number;
}

export interface CellResult {
  objective: string;
  D: number;
  seed: number;
  curve: CurvePoint[];
  msPerStep: number;
  /** bytes the CPU allocator held at the peak of one step above what it held before it */
  stepPeakBytes: number;
  gradRelVarInit: number;
  gradRelVarEnd: number;
  /** the step at which the loss became non-finite (training stopped there), or null */
  divergedAt: number | null;
}

/** Trains and measures one (objective, task, seed) cell. Frees everything it made. */
export async function runCell(objective: StudyObjective, task: MixtureTask, sde: SDE, seed: number, s: CellSettings, lcss: LcssOverrides = {}): Promise<CellResult> {
  const model = new MLPScore({ dim: task.D, hidden: s.hidden, layers: 3, embedding: 'sinusoidal', generator: new Generator(1000 * seed + 2) }) as Module & ScoreNetwork;
  const score = scoreFn(sde, model);
  const opt = new Adam(model.parameters(), { lr: s.lr, gradClip: 1 });
  const loss = studyLoss(objective, sde, new Generator(1000 * seed + 3), lcss);
  const dataGen = new Generator(1000 * seed + 1);
  const evalSeed = 1000 * seed + 9;
  const evalAt = new Set(Array.from({ length: s.evals }, (_, i) => Math.round(((i + 1) * s.steps) / s.evals)));
  const fixedBatch = task.data.sample(s.batchSize, { generator: new Generator(1000 * seed + 5) });
  const noiseAt = () => gradNoise(model, score, fixedBatch, (r) => studyLoss(objective, sde, new Generator(1000 * seed + 100 + r), lcss), s.gradRepeats).relVariance;
  try {
    const gradRelVarInit = noiseAt();
    const curve: CurvePoint[] = [{ step: 0, seconds: 0, ...scoreError(score, task, sde, s.evalN, evalSeed) }];
    let seconds = 0, stepPeakBytes = NaN, divergedAt: number | null = null;
    for (let step = 1; step <= s.steps; step++) {
      const x = task.data.sample(s.batchSize, { generator: dataGen });
      // the second step: the first one also allocates Adam's moments
      const measureMemory = step === 2;
      if (measureMemory) resetPeakMemory();
      const before = measureMemory ? memory().cpu.allocatedBytes : 0;
      const t0 = performance.now();
      const value = tidy(() => {
        opt.zeroGrad();
        const l = loss(score, x);
        const v = l.item();
        if (Number.isFinite(v)) {
          backward(l);
          opt.step();
        }
        return v;
      });
      seconds += (performance.now() - t0) / 1000;
      if (measureMemory) stepPeakBytes = memory().cpu.peakAllocatedBytes - before;
      x.dispose();
      if (!Number.isFinite(value)) {
        divergedAt = step;
        curve.push({ step, seconds, overall: NaN, bands: curve[0].bands.map(() => NaN) });
        break;
      }
      if (evalAt.has(step)) curve.push({ step, seconds, ...scoreError(score, task, sde, s.evalN, evalSeed) });
      // a study runs for minutes: give the event loop a turn (progress output, Ctrl-C)
      if (step % 50 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    const gradRelVarEnd = divergedAt === null ? noiseAt() : NaN;
    opt.zeroGrad();
    return { objective, D: task.D, seed, curve, msPerStep: (1000 * seconds) / (curve[curve.length - 1].step || 1), stepPeakBytes, gradRelVarInit, gradRelVarEnd, divergedAt };
  } finally {
    fixedBatch.dispose();
    opt.dispose();
    model.dispose();
  }
}
