// SPDX-License-Identifier: MIT
import { argError, checkFinite } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { mul_, sum, square } from '../ops/index.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';

/** Checks a parameter list: a non-empty array of live float tensors. */
export function checkParams(op: string, params: unknown): Tensor[] {
  if (!Array.isArray(params) || params.length === 0) throw argError(op, 'params', params, 'a non-empty array of tensors (model.parameters())');
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw argError(op, `params[${i}]`, p, 'a Tensor');
    p.assertLive(op, `params[${i}]`);
    if (p.dtype !== 'float32' && p.dtype !== 'float64') throw argError(op, `params[${i}]`, p, 'a float32 or float64 tensor');
  });
  return params as Tensor[];
}

/** The global L2 norm of the parameters' gradients. */
export function gradNorm(params: Tensor[]): number {
  checkParams('gradNorm', params);
  return tidy(() => {
    let total = 0;
    for (const p of params) if (p.grad) total += noGrad(() => sum(square(p.grad!))).item();
    return Math.sqrt(total);
  });
}

/**
 * Scales all gradients in place so their global L2 norm is at most maxNorm (torch's
 * clip_grad_norm_: factor maxNorm / (norm + 1e-6) when norm > maxNorm). Returns the norm before.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  checkParams('clipGradNorm', params);
  checkFinite('clipGradNorm', 'maxNorm', maxNorm, { min: 0, minExclusive: true });
  const norm = gradNorm(params);
  if (norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    noGrad(() => {
      for (const p of params) if (p.grad) mul_(p.grad, f);
    });
  }
  return norm;
}
