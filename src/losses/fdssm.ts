// SPDX-License-Identifier: MIT
// Finite-difference sliced score matching, FD-SSM-VR (Pang et al. 2020). With u uniform on the
// unit sphere, v = eps u and o+- = s(x +- v) from ONE forward of the stacked batch [x + v; x - v]:
//   l = sum_i (o+ + o-)_i^2 / 8 + D / (2 eps^2) v^T (o+ - o-)
// Why this is SSM-VR: (o+ + o-)/2 = s(x) + O(eps^2), so the first term is 1/2 |s|^2; and
// v^T (o+ - o-) = 2 eps^2 u^T (grad s) u + O(eps^4) with E[u u^T] = I/D, so the second is the
// Hutchinson trace D u^T (grad s) u. For a linear score both identities are exact.
// We write the second term as D/(2 eps) u^T (o+ - o-), the same number without forming eps^2.
// Step size: eps = 0.1 (Pang et al.) in the plain form. With an SDE the default is relative,
// eps(t) = 0.1 sigmaBar(t), like LCSS's sigma_s = rho sigmaBar: the score of p_t varies on the
// scale sigmaBar(t), so a fixed 0.1 would difference across ten standard deviations at VE's
// sigma_min = 0.01 and the "derivative" would be meaningless there. A fixed eps stays available.
import { argError, ArgumentError } from '../errors.js';
import { add, div, mul, sub, cat, randn, sum, sqrt, square, narrow } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_KEYS, callScore, checkBatch, checkKeys, dataNoise, featureDims, finish, perSampleView, posNumber, prepare,
  repeatBatch, resolveBase, type BaseLossOptions, type ScoreLoss, type ScoreModel } from './common.js';

export interface FdssmOptions extends BaseLossOptions {
  /** Fixed finite-difference step eps (plain-form default 0.1, as Pang et al.). */
  eps?: number;
  /** With an SDE: eps(t) = epsRatio * sigmaBar(t) (default 0.1 when no fixed eps is given). */
  epsRatio?: number;
  /** Plain form: N(0, sigma^2) noise added to x before matching (default 0: the data itself). */
  sigma?: number;
}

export const KEYS = [...BASE_KEYS, 'eps', 'epsRatio', 'sigma'];

/** The FD-SSM(-VR) objective: fdssm(options)(model, x) -> loss. */
export function fdssm(options: FdssmOptions = {}): ScoreLoss {
  const op = 'fdssm';
  checkKeys(op, options, KEYS);
  const base = resolveBase(op, options);
  if (options.eps !== undefined && options.epsRatio !== undefined)
    throw argError(op, 'epsRatio', options.epsRatio, "no value when 'eps' is given (give one of them)");
  if (!base.sde && options.epsRatio !== undefined)
    throw new ArgumentError(`${op}: option 'epsRatio' needs an 'sde' (it scales sigmaBar(t)); the plain form takes 'eps'`);
  const eps = posNumber(op, 'eps', options.eps, 0.1);
  const ratio = !base.sde || options.eps !== undefined ? null : posNumber(op, 'epsRatio', options.epsRatio, 0.1);
  const noise = dataNoise(op, options.sigma, !!base.sde);

  return (model: ScoreModel, x: Tensor): Tensor => {
    const x0 = checkBatch(op, x);
    return tidy(() => {
      const p = prepare(op, base, x0, noise);
      const B = x0.shape[0], D = numel(x0.shape.slice(1)), dims = featureDims(x0.ndim);
      const e = randn([...x0.shape], { dtype: x0.dtype, device: x0.device, generator: base.generator });
      const u = div(e, perSampleView(sqrt(sum(square(e), dims)), x0.ndim));  // uniform on the unit sphere
      const step: Tensor | number = ratio === null ? eps : perSampleView(mul(p.sigmaBar!, ratio), x0.ndim);
      const v = mul(u, step);
      const o = callScore(op, model, cat([add(p.x, v), sub(p.x, v)], 0), repeatBatch(p.t, 2));
      const op_ = narrow(o, 0, 0, B), om = narrow(o, 0, B, B);
      const normTerm = mul(sum(square(add(op_, om)), dims), 1 / 8);
      const stepB: Tensor | number = ratio === null ? eps : mul(p.sigmaBar!, ratio);
      const traceTerm = mul(div(sum(mul(u, sub(op_, om)), dims), stepB), D / 2);
      return finish(base, add(normTerm, traceTerm), p.weight);
    });
  };
}
