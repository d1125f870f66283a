// SPDX-License-Identifier: MIT
import { checkFinite } from '../errors.js';
import { noGrad } from '../autograd/mode.js';
import { mul_ } from '../ops/inplace.js';
import { sum } from '../ops/reduce.js';
import { square } from '../ops/unary.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** The global L2 norm of the parameters' gradients. */
export function gradNorm(params: Tensor[]): number {
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
