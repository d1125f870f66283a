// SPDX-License-Identifier: MIT
// Denoising score matching (Vincent 2011). Plain form at noise sigma:
//   x~ = x + sigma e,  l = 1/2 |s(x~) + e / sigma|^2          (the target -(x~ - x)/sigma^2 = -e/sigma)
// Time-conditioned form (score_sde): x_t = mean(x_0, t) + std(t) z from the Gaussian kernel and
//   lambda(t) * 1/2 |s(x_t, t) + z / std|^2,
// computed as (lambda / std^2) * 1/2 |s std + z|^2, which for the default lambda = sigmaBar^2 is
// score_sde's |s std + z|^2 (with its 1/2-sum reduction) and stays finite as std -> 0.
// DSM needs the kernel's score: an SDE without a closed-form kernel is refused.
import { ArgumentError, ShapeError, show } from '../errors.js';
import { add, div, mul, randn, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_KEYS, callScore, checkBatch, checkKeys, checkPerSample, finish, halfSqNorm, perSampleView, posNumber,
  resolveBase, sampleTime, weightFor, type BaseLossOptions, type ScoreLoss, type ScoreModel } from './common.js';

export interface DsmOptions extends BaseLossOptions {
  /** Noise scale of the plain form (default 0.1). */
  sigma?: number;
}

export const KEYS = [...BASE_KEYS, 'sigma'];

/** The DSM objective: dsm(options)(model, x) -> loss. */
export function dsm(options: DsmOptions = {}): ScoreLoss {
  const op = 'dsm';
  checkKeys(op, options, KEYS);
  const base = resolveBase(op, options);
  if (base.sde && options.sigma !== undefined)
    throw new ArgumentError(`${op}: option 'sigma' is the noise of the plain form; with an 'sde' the noise scale is the kernel's std(t)`);
  const sigma = posNumber(op, 'sigma', options.sigma, 0.1);
  const sde = base.sde;
  if (sde && !sde.isAffine)
    throw new ArgumentError(`${op}: the SDE '${sde.name}' has no closed-form Gaussian perturbation kernel, and denoising score matching needs the kernel's score grad log p_0t(x_t | x_0); use lcss (or ssm, ssm-vr, fdssm, exact), which only need samples of x_t`);

  return (model: ScoreModel, x: Tensor): Tensor => {
    const x0 = checkBatch(op, x);
    return tidy(() => {
      const g = base.generator;
      if (!sde) {
        const e = randn([...x0.shape], { dtype: x0.dtype, device: x0.device, generator: g });
        const xn = add(x0, mul(e, sigma));
        const s = callScore(op, model, xn, null);
        return finish(base, halfSqNorm(add(s, mul(e, 1 / sigma))), null);
      }
      const B = x0.shape[0];
      const t = sampleTime(base, sde, B, x0);
      const m = sde.marginal(x0, t);
      if (!sameShape(m.mean.shape, x0.shape)) throw new ShapeError(`${op}: sde.marginal returned a mean of shape ${show([...m.mean.shape])} for x of shape ${show([...x0.shape])}`);
      const std = checkPerSample(op, 'sde.marginal(x, t).std', m.std, B);
      const z = randn([...x0.shape], { dtype: x0.dtype, device: x0.device, generator: g });
      const stdv = perSampleView(std, x0.ndim);
      const xt = add(m.mean, mul(z, stdv));
      const s = callScore(op, model, xt, t);
      const per = halfSqNorm(add(mul(s, stdv), z));
      // lambda / std^2 (exactly 1 for the default sigma2 weighting, where sigmaBar is the kernel's std)
      const sb = checkPerSample(op, 'sde.sigmaBar(t)', sde.sigmaBar(t), B);
      const w = base.weighting === 'sigma2' ? null : div(weightFor(base, sde, xt, t, sb) ?? 1, square(std));
      return finish(base, per, w);
    });
  };
}
