// SPDX-License-Identifier: MIT
// The score-error metric: E_t E_{x_t ~ p_t} lambda(t) |s(x_t, t) - grad log p_t(x_t)|^2 / D with
// lambda = sigmaBar(t)^2, the weight the objectives train with (it makes the error of every t
// comparable: sigmaBar^2 |grad log p_t|^2 / D is of order 1 at every t). t is stratified over
// bands, the first of them the small-t band where a score is hardest to learn; x_t are fresh
// draws of the exact p_t (data from the mixture, then the SDE's Gaussian kernel).
import { noGrad } from '../autograd/mode.js';
import { argError, checkInt } from '../errors.js';
import { Generator, mean, mul, rand, square, sub, sum } from '../ops/index.js';
import type { SDE } from '../sde/sde.js';
import type { ScoreFn } from '../score_types.js';
import { tidy } from '../tensor/scope.js';
import type { MixtureTask } from './mixture_task.js';

/** [lo, hi) bands of t; the overall error is their width-weighted mean, i.e. t ~ U(tEps, 1). */
export const T_BANDS: readonly (readonly [number, number])[] = [[1e-3, 0.05], [0.05, 0.2], [0.2, 0.5], [0.5, 1]];

export interface ScoreError {
  overall: number;
  /** one value per T_BANDS entry */
  bands: number[];
}

/**
 * The weighted score error of `score` on `n` fresh draws per band. The draws come from a generator
 * seeded with `seed`, so the evaluations of one seed (every objective, every step) share their
 * points and their differences are not evaluation noise.
 */
export function scoreError(score: ScoreFn, task: MixtureTask, sde: SDE, n: number, seed: number): ScoreError {
  const fn = 'scoreError';
  if (typeof score !== 'function') throw argError(fn, 'score', score, 'a score function (x, t) => Tensor');
  checkInt(fn, 'n', n, 1);
  checkInt(fn, 'seed', seed, 0);
  const g = new Generator(seed);
  const bands = T_BANDS.map(([lo, hi]) => noGrad(() => tidy(() => {
    const x0 = task.data.sample(n, { generator: g });
    const t = rand([n], { low: lo, high: hi, generator: g });
    const xt = sde.sampleXt(x0, t, { generator: g });
    const diff = sub(score(xt, t), task.pt.score(xt, t));
    const lam = square(sde.sigmaBar(t));
    return mean(mul(sum(square(diff), 1), lam)).item() / task.D;
  })));
  const widths = T_BANDS.map(([lo, hi]) => hi - lo);
  const overall = bands.reduce((a, b, i) => a + b * widths[i], 0) / widths.reduce((a, b) => a + b, 0);
  return { overall, bands };
}
