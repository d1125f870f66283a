// SPDX-License-Identifier: MIT
import { checkFinite } from '../errors.js';
import { dropout, type Generator } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval mode. */
export class Dropout extends Module {
  constructor(readonly p = 0.5, readonly generator?: Generator) {
    super();
    checkFinite('Dropout', 'p', p, { min: 0, max: 1 });
  }

  forward(x: Tensor): Tensor {
    // p = 0 (the usual eval-time config) or eval mode: hand x through without a copy
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, true, this.generator);
  }
}
