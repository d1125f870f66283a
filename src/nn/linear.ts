// SPDX-License-Identifier: MIT
import { linear, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInt, checkOptions } from '../errors.js';
import { defaultInit, torchDefault, type InitOptions } from './init.js';
import { Module } from './module.js';

export interface LinearOptions extends InitOptions {
  bias?: boolean;
  /** 'torch' (default): U(+-1/sqrt(in)); 'ddpm': variance scaling fan_avg (scale initScale), zero bias. */
  init?: 'torch' | 'ddpm';
  initScale?: number;
}

/** y = x W^T + b, W [out, in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, o: LinearOptions = {}) {
    super();
    o = checkOptions(new.target.name, 'options', o) as typeof o;
    checkInt('Linear', 'inFeatures', inFeatures, 1);
    checkInt('Linear', 'outFeatures', outFeatures, 1);
    const ddpm = o.init === 'ddpm';
    this.weight = this.param('weight', ddpm ? defaultInit([outFeatures, inFeatures], o.initScale ?? 1, o) : torchDefault([outFeatures, inFeatures], inFeatures, o));
    this.bias = o.bias === false ? null
      : this.param('bias', ddpm ? zeros([outFeatures], { dtype: o.dtype }) : torchDefault([outFeatures], inFeatures, o));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
