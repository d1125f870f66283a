// SPDX-License-Identifier: MIT
// Sliced score matching (Song et al. 2019). With random projections v, E[v v^T] = I:
//   ssm:    v^T (grad s) v + 1/2 (v^T s)^2
//   ssm-vr: v^T (grad s) v + 1/2 |s|^2        (the variance-reduced form: E_v (v^T s)^2 = |s|^2)
// v^T (grad s) v comes from one vector-Jacobian product: grad of sum_b v_b . s(x_b) with respect to
// x is (grad s)^T v, recorded with createGraph so the parameter gradient is a double backward.
// `particles` copies of each sample, each with its own v, are stacked into one batch.
import { grad } from '../autograd/engine.js';
import { isGradEnabled } from '../autograd/mode.js';
import { add, mul, sub, detach, zerosLike, bernoulli, randn, mean, sum, square, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_KEYS, callScore, checkBatch, checkKeys, dataNoise, featureDims, finish, halfSqNorm, oneOf, posInt, prepare,
  repeatBatch, repeatRows, resolveBase, withInputGrad, type BaseLossOptions, type ScoreLoss, type ScoreModel } from './common.js';

export interface SsmOptions extends BaseLossOptions {
  /** Projection distribution: 'rademacher' (default, +-1) or 'gaussian'; both have E[v v^T] = I. */
  projection?: 'rademacher' | 'gaussian';
  /** Projections per sample (default 1), evaluated as one stacked batch. */
  particles?: number;
  /** Plain form: N(0, sigma^2) noise added to x before matching (default 0: the data itself). */
  sigma?: number;
}

export const KEYS = [...BASE_KEYS, 'projection', 'particles', 'sigma'];

function makeSsm(op: 'ssm' | 'ssmVr', options: SsmOptions): ScoreLoss {
  checkKeys(op, options, KEYS);
  const base = resolveBase(op, options);
  const projection = oneOf(op, 'projection', options.projection, ['rademacher', 'gaussian'] as const, 'rademacher');
  const M = posInt(op, 'particles', options.particles, 1);
  const noise = dataNoise(op, options.sigma, !!base.sde);
  const vr = op === 'ssmVr';

  return (model: ScoreModel, x: Tensor): Tensor => {
    const x0 = checkBatch(op, x);
    const outer = isGradEnabled();
    return tidy(() => {
      const p = prepare(op, base, x0, noise);
      const B = x0.shape[0], dims = featureDims(x0.ndim);
      const xs = repeatRows(p.x, M);
      const v = projection === 'gaussian'
        ? randn([...xs.shape], { dtype: x0.dtype, device: x0.device, generator: base.generator })
        : sub(mul(bernoulli(0.5, [...xs.shape], { dtype: x0.dtype, device: x0.device, generator: base.generator }), 2), 1);
      const per = withInputGrad((xg) => {
        const s = callScore(op, model, xg, repeatBatch(p.t, M));
        const sv = sum(mul(s, v), dims);  // [M B]
        // createGraph only when a parameter gradient will be asked for (training)
        const total = sum(sv);
        const [jv] = total.requiresGrad ? grad(total, [xg], { createGraph: outer, retainGraph: outer, allowUnused: true }) : [null];
        const vjv = sum(mul(jv ?? zerosLike(xg), v), dims);
        const val = add(vjv, vr ? halfSqNorm(s) : mul(square(sv), 0.5));
        return mean(reshape(val, [M, B]), 0);
      })(xs);
      return finish(base, outer ? per : detach(per), p.weight);
    });
  };
}

/** Sliced score matching: ssm(options)(model, x) -> loss. */
export function ssm(options: SsmOptions = {}): ScoreLoss {
  return makeSsm('ssm', options);
}

/** Sliced score matching with variance reduction: ssmVr(options)(model, x) -> loss. */
export function ssmVr(options: SsmOptions = {}): ScoreLoss {
  return makeSsm('ssmVr', options);
}
