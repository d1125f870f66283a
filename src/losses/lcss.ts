// SPDX-License-Identifier: MIT
// LCSS: local curvature smoothing with Stein's identity (docs/OBJECTIVES.md, section 3). The trace
// term of score matching is replaced by its Gaussian average over a sigma-neighbourhood, which
// Stein's identity turns into an inner product with the noise:
//   l(x) = 1/2 |s(x)|^2 + (gamma / sigma) (1/K) sum_k e_k . (s(x + sigma e_k) - b_k)
// The model runs ONCE on the stacked batch [x; x + sigma e_1; ...] (and x - sigma e_k for the
// antithetic estimator); the noise is never stored: steinPerturb and steinLoss regenerate it
// from one Philox key drawn from the loss's generator.
import { argError, checkFinite } from '../errors.js';
import { add, mul, sub, cat, steinBlocks, steinLoss, steinLossComposite, steinNoise, steinNoiseCount, steinPerturb, type SteinEstimator, type SteinOptions, reshape, unsqueeze } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { numel } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { BASE_KEYS, callScore, checkBatch, checkKeys, finish, oneOf, posInt, posNumber, prepare, repeatBatch,
  resolveBase, type BaseLossOptions, type ScoreLoss, type ScoreModel } from './common.js';

export interface LcssOptions extends BaseLossOptions {
  /** Smoothing scale sigma of the plain form (default 0.1); with an SDE, a fixed sigma instead of sigmaRatio. */
  sigma?: number;
  /** With an SDE: sigma_s(t) = sigmaRatio * sigmaBar(t) (default 0.1). */
  sigmaRatio?: number;
  /** Weight gamma of the curvature term (default 1: the unbiased smoothed objective). */
  gamma?: number;
  /** Noise draws K per sample (default 1). */
  draws?: number;
  /** b_k: 'plain' (0), 'control' (s(x), the default) or 'antithetic' (s(x - sigma e_k), term halved). */
  estimator?: SteinEstimator;
  /** Norm term 1/2 |s|^2 at the centre (default) or averaged over the perturbed points (= DSM in disguise, for K = 1, plain, gamma = 1). */
  normAt?: 'center' | 'perturbed';
  /** The fused native Stein kernels (default); false: the same loss from primitive ops. */
  fused?: boolean;
}

export const KEYS = [...BASE_KEYS, 'sigma', 'sigmaRatio', 'gamma', 'draws', 'estimator', 'normAt', 'fused'];

/** [x; x + sigma e_k; (x - sigma e_k)] from primitive ops, with the noise regenerated from the same key. */
function perturbComposite(x: Tensor, sigma: Tensor | number, so: SteinOptions & { draws: number; estimator: SteinEstimator }): Tensor {
  const B = x.shape[0], rest = x.shape.slice(1);
  const e = steinNoise(B, rest, so, x.dtype as 'float32' | 'float64', x.device);  // [K, B, ...]
  const sg = typeof sigma === 'number' ? sigma : reshape(sigma, [1, B, ...rest.map(() => 1)]);
  const xc = unsqueeze(x, 0);
  const se = mul(e, sg);
  const blocks = [xc, add(xc, se)];
  if (so.estimator === 'antithetic') blocks.push(sub(xc, se));
  return reshape(cat(blocks, 0), [steinBlocks(so.draws, so.estimator) * B, ...rest]);
}

/** The LCSS objective: lcss(options)(model, x) -> loss. */
export function lcss(options: LcssOptions = {}): ScoreLoss {
  const op = 'lcss';
  checkKeys(op, options, KEYS);
  const base = resolveBase(op, options);
  if (options.sigma !== undefined && options.sigmaRatio !== undefined)
    throw argError(op, 'sigmaRatio', options.sigmaRatio, "no value when 'sigma' is given (give one of them)");
  if (!base.sde && options.sigmaRatio !== undefined)
    throw argError(op, 'sigmaRatio', options.sigmaRatio, "no value without an 'sde' (the plain form takes 'sigma')");
  const sigma = posNumber(op, 'sigma', options.sigma, 0.1);
  const ratio = posNumber(op, 'sigmaRatio', options.sigmaRatio, 0.1);
  const fixedSigma = !base.sde || options.sigma !== undefined;
  const gamma = checkFinite(op, 'gamma', options.gamma ?? 1);
  const draws = posInt(op, 'draws', options.draws, 1);
  const estimator = oneOf(op, 'estimator', options.estimator, ['plain', 'control', 'antithetic'] as const, 'control');
  const normAt = oneOf(op, 'normAt', options.normAt, ['center', 'perturbed'] as const, 'center');
  if (options.fused !== undefined && typeof options.fused !== 'boolean') throw argError(op, 'fused', options.fused, 'a boolean');
  const fused = options.fused ?? true;
  const blocks = steinBlocks(draws, estimator);

  return (model: ScoreModel, x: Tensor): Tensor => {
    const x0 = checkBatch(op, x);
    return tidy(() => {
      const p = prepare(op, base, x0);
      const B = x0.shape[0], D = numel(x0.shape.slice(1));
      const sg: Tensor | number = fixedSigma ? sigma : mul(p.sigmaBar!, ratio);
      // one key for the whole draw: the perturbation and the loss (forward and backward) regenerate e from it
      // a rank of a data-parallel job draws its rows of the global batch's noise (Generator.shard)
      const shard = base.generator.shard, total = shard ? B * shard.world : B;
      const rows = shard ? { offset: shard.rank * B, total } : undefined;
      const so = { key: base.generator.next(steinNoiseCount(total, D, draws)), rows, draws, estimator, gamma, normAt };
      const stacked = fused ? steinPerturb(p.x, sg, so) : perturbComposite(p.x, sg, so);
      const scores = callScore(op, model, stacked, repeatBatch(p.t, blocks));
      const per = fused ? steinLoss(scores, sg, so) : steinLossComposite(scores, sg, so);
      return finish(base, per, p.weight);
    });
  };
}
