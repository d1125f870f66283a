// SPDX-License-Identifier: MIT
// From a network to a score function s(x, t) ~ grad_x log p_t(x), per SDE, as score_sde's
// get_score_fn does for continuously trained models:
//   VP / subVP: labels = 999 t, s = -model(x, labels) / std(t)   (the net predicts the noise)
//   VE:         labels = sigma(t), s = model(x, labels)          (the net, scale_by_sigma or not, is the score)
import { argError, checkBool, checkKnownKeys, checkOptions, ShapeError, show } from '../errors.js';
import { checkFloatTensor, div, mul, neg, reshape } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { SDE as SDEClass, type SDE } from '../sde/sde.js';
import type { ScoreFn, ScoreNetwork } from '../score_types.js';

export type { ScoreFn, ScoreNetwork };

/**
 * 'sigma': labels are sigmaBar(t) and the output is the score (VE, NCSN-style models).
 * 'noise': labels are 999 t and the score is -output / sigmaBar(t) (VP, subVP, DDPM-style models).
 */
export type Parameterization = 'sigma' | 'noise';

export interface ScoreFnOptions {
  /** Default: 'sigma' for sde.name 've', 'noise' otherwise (VP, subVP and SDEs without a kernel). */
  parameterization?: Parameterization;
  /** Put the model in training (true) or eval (false) mode before each call, as score_sde's get_model_fn; default: leave it. */
  train?: boolean;
}

/** The parameterisation score_sde uses for this SDE. */
export function defaultParameterization(sde: Pick<SDE, 'name'>): Parameterization {
  if (!sde || typeof sde !== 'object' || typeof sde.name !== 'string') throw argError('defaultParameterization', 'sde', sde, 'an SDE');
  return sde.name === 've' ? 'sigma' : 'noise';
}

/** Network labels for times t [B] under a parameterisation. */
export function scoreLabels(sde: Pick<SDE, 'sigmaBar'>, t: Tensor, p: Parameterization): Tensor {
  if (!sde || typeof sde !== 'object' || typeof sde.sigmaBar !== 'function') throw argError('scoreLabels', 'sde', sde, 'an SDE');
  checkFloatTensor('scoreLabels', 't', t);
  if (p !== 'sigma' && p !== 'noise') throw argError('scoreLabels', 'parameterization', p, "'sigma' or 'noise'");
  return p === 'sigma' ? sde.sigmaBar(t) : mul(t, 999);
}

/**
 * s(x, t) for a network trained on `sde`. sigmaBar(t) is the marginal std for affine SDEs (and the
 * accumulated diffusion scale otherwise), so the 'noise' form also gives non-affine SDEs a score
 * with the right magnitude.
 */
export function scoreFn(sde: SDE, model: ScoreNetwork, options: ScoreFnOptions = {}): ScoreFn {
  if (!(sde instanceof SDEClass)) throw argError('scoreFn', 'sde', sde, 'an SDE (VESDE, VPSDE, SubVPSDE, DoubleWellSDE)');
  const o = checkOptions('scoreFn', 'options', options);
  checkKnownKeys('scoreFn', 'options', o, ['parameterization', 'train']);
  if (o.train !== undefined) checkBool('scoreFn', 'train', o.train);
  const p = o.parameterization ?? defaultParameterization(sde);
  if (p !== 'sigma' && p !== 'noise') throw argError('scoreFn', 'parameterization', p, "'sigma' or 'noise'");
  if (!model || typeof model.forward !== 'function') throw argError('scoreFn', 'model', model, 'a model with forward(x, labels)');
  return (x: Tensor, t: Tensor) => {
    checkFloatTensor('score', 'x', x);
    checkFloatTensor('score', 't', t);
    if (t.ndim !== 1 || t.shape[0] !== x.shape[0]) throw new ShapeError(`score: t must be [B] = [${x.shape[0]}], got ${show([...t.shape])}`);
    if (o.train !== undefined) model.train?.(o.train);
    return tidy(() => {
      if (p === 'sigma') return model.forward(x, sde.sigmaBar(t));
      const out = model.forward(x, mul(t, 999));
      const std = reshape(sde.sigmaBar(t), [x.shape[0], ...x.shape.slice(1).map(() => 1)]);
      return neg(div(out, std));
    });
  };
}
