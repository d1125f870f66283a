// SPDX-License-Identifier: MIT
// How noisy an objective's minibatch gradient is at fixed parameters: the same data batch, the
// loss's own randomness (t, x_t, and the objective's noise or projections) redrawn R times. The
// number reported is the relative variance E|g - mean g|^2 / |mean g|^2 (trace of the covariance
// over the squared norm of the mean), so objectives whose losses have different scales compare.
import { backward } from '../autograd/engine.js';
import { argError, checkInt } from '../errors.js';
import type { ScoreLoss } from '../losses/common.js';
import type { Module } from '../nn/module.js';
import type { ScoreFn } from '../score_types.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface GradNoise {
  /** E|g - mean g|^2 / |mean g|^2 over the R redraws */
  relVariance: number;
  /** |mean g|^2 */
  meanSqNorm: number;
}

/** Gradient statistics of `makeLossFor(r)` (r = 0..R-1, each with its own generator) on batch x. */
export function gradNoise(model: Module, score: ScoreFn, x: Tensor, makeLossFor: (r: number) => ScoreLoss, R: number): GradNoise {
  const fn = 'gradNoise';
  checkInt(fn, 'R', R, 2);
  if (typeof makeLossFor !== 'function') throw argError(fn, 'makeLossFor', makeLossFor, 'a function r => loss');
  const params = model.parameters();
  const P = params.reduce((a, p) => a + p.size, 0);
  const sum = new Float64Array(P), sumSq = new Float64Array(P);
  for (let r = 0; r < R; r++) {
    model.zeroGrad();
    tidy(() => backward(makeLossFor(r)(score, x)));
    let o = 0;
    for (const p of params) {
      const g = p.grad ? p.grad.dataSync() : new Float32Array(p.size);
      for (let i = 0; i < g.length; i++, o++) {
        sum[o] += g[i];
        sumSq[o] += g[i] * g[i];
      }
    }
  }
  model.zeroGrad();
  let varTrace = 0, meanSq = 0;
  for (let i = 0; i < P; i++) {
    const m = sum[i] / R;
    meanSq += m * m;
    varTrace += (sumSq[i] - R * m * m) / (R - 1);
  }
  return { relVariance: varTrace / meanSq, meanSqNorm: meanSq };
}
