// SPDX-License-Identifier: MIT
import { checkFinite } from '../errors.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { mul } from './binary.js';
import { bernoulli, type Generator } from './random.js';
import { checkFloatTensor } from './util.js';

/** Zeroes each element with probability p and scales the rest by 1/(1-p) (identity when not training). */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  const t = checkFloatTensor('dropout', 'x', x);
  checkFinite('dropout', 'p', p, { min: 0, max: 1 });
  if (!training || p === 0) return mul(t, 1);
  if (p === 1) return mul(t, 0);
  return tidy(() => mul(mul(t, bernoulli(1 - p, [...t.shape], { dtype: t.dtype, device: t.device, generator })), 1 / (1 - p)));
}

