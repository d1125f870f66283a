// SPDX-License-Identifier: MIT
// The objectives the score-error study compares, by name: every loss of src/losses, and LCSS once
// per estimator of its Stein term (the estimators share the mean and differ in variance and cost).
import { ArgumentError, show } from '../errors.js';
import { makeLoss, type LossName } from '../losses/index.js';
import type { ScoreLoss } from '../losses/common.js';
import type { Generator } from '../ops/index.js';
import type { SDE } from '../sde/sde.js';

export const SCORE_ERROR_OBJECTIVES = ['lcss', 'lcss-plain', 'lcss-antithetic', 'dsm', 'ssm', 'ssm-vr', 'fdssm', 'exact'] as const;
export type StudyObjective = (typeof SCORE_ERROR_OBJECTIVES)[number];

/** The exact Jacobian trace costs D backward passes: it is run up to this D (a flag may change it). */
export const EXACT_MAX_DIM = 16;

/** LCSS options of a sweep cell (sigmaRatio, estimator, draws) on top of an objective's defaults. */
export interface LcssOverrides {
  sigmaRatio?: number;
  estimator?: 'plain' | 'control' | 'antithetic';
  draws?: number;
}

export function checkObjectives(flag: string, names: readonly string[]): StudyObjective[] {
  for (const n of names)
    if (!(SCORE_ERROR_OBJECTIVES as readonly string[]).includes(n))
      throw new ArgumentError(`${flag}: got ${show(n)}, expected a list of ${SCORE_ERROR_OBJECTIVES.join(', ')}`);
  if (!names.length) throw new ArgumentError(`${flag}: got an empty list, expected some of ${SCORE_ERROR_OBJECTIVES.join(', ')}`);
  return names as StudyObjective[];
}

/** The loss of `name` for `sde`, drawing its noise from `generator`. */
export function studyLoss(name: StudyObjective, sde: SDE, generator: Generator, lcss: LcssOverrides = {}): ScoreLoss {
  const base = { sde, generator };
  switch (name) {
    case 'lcss': return makeLoss('lcss', { ...base, estimator: 'control', ...lcss });
    case 'lcss-plain': return makeLoss('lcss', { ...base, ...lcss, estimator: 'plain' });
    case 'lcss-antithetic': return makeLoss('lcss', { ...base, ...lcss, estimator: 'antithetic' });
    default: return makeLoss(name as LossName, base);
  }
}
